"""The analysis engine: run recognizers, apply vetoes, resolve overlaps, keep confident spans."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from medsage.errors import InvalidInputError
from medsage.privacy._spans import PhiSpan, Protected, Recognizer

LANGS = ("auto", "en", "zh")
DEFAULT_THRESHOLD = 0.5
# A span losing an overlap is dropped when at least this share of it is covered by the winner,
# otherwise trimmed to its uncovered part (so no fragment of PHI is left behind unmarked).
_DROP_COVERED = 0.5
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def text_languages(text: str, lang: str = "auto") -> frozenset[str]:
    """The recognizer languages to run: "zh" when the text holds CJK, "en" when Latin words.

    Chinese notes carry English fragments (emails, drug names, English hospital names) and
    English notes sometimes carry Chinese names, so "auto" may run both.
    """
    if lang not in LANGS:
        raise InvalidInputError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    if lang != "auto":
        return frozenset({lang})
    found = set()
    if _CJK.search(text):
        found.add("zh")
    if _LATIN_WORD.search(text) or not found:
        found.add("en")
    return frozenset(found)


class Analyzer:
    """Finds PHI with a set of recognizers.

    Steps: every recognizer whose languages meet the text's proposes spans and protected ranges;
    a span inside a protected range with a score at or above its own is vetoed; same-type
    overlaps merge; across types the higher score (then the longer span) wins; spans under
    `threshold` are dropped.
    """

    def __init__(
        self, recognizers: Sequence[Recognizer], *, threshold: float = DEFAULT_THRESHOLD
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise InvalidInputError(f"threshold must be in [0, 1], got {threshold}")
        self.recognizers = list(recognizers)
        self.threshold = threshold

    def analyze(self, text: str, lang: str = "auto") -> list[PhiSpan]:
        """PHI spans in `text`, sorted by start, non-overlapping."""
        if not isinstance(text, str):
            raise InvalidInputError(f"analyze expects a str, got {type(text).__name__}")
        langs = text_languages(text, lang)
        active = [r for r in self.recognizers if r.languages & langs]
        candidates: list[PhiSpan] = []
        protected: list[Protected] = []
        for recognizer in active:
            candidates.extend(_clean(text, s) for s in recognizer.find(text))
            protected.extend(recognizer.protect(text))
        confident = [s for s in candidates if s.end > s.start and s.score >= self.threshold]
        return resolve_overlaps(_apply_vetoes(confident, protected))


def _clean(text: str, span: PhiSpan) -> PhiSpan:
    """Trim surrounding whitespace from a span."""
    start, end = span.start, span.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if (start, end) == (span.start, span.end):
        return span
    return PhiSpan(start, end, span.type, span.score, span.recognizer)


def _apply_vetoes(spans: Sequence[PhiSpan], protected: Sequence[Protected]) -> list[PhiSpan]:
    """Drop spans lying inside a protected range whose score is at least theirs.

    A sweep by start: only protected ranges still open at a span's start are compared.
    """
    if not protected:
        return list(spans)
    ranges = sorted(protected, key=lambda p: p.start)
    kept: list[PhiSpan] = []
    active: list[Protected] = []
    i = 0
    for span in sorted(spans, key=lambda x: x.start):
        while i < len(ranges) and ranges[i].start <= span.start:
            active.append(ranges[i])
            i += 1
        active = [p for p in active if p.end > span.start]
        if not any(span.end <= p.end and span.score <= p.score for p in active):
            kept.append(span)
    return kept


def resolve_overlaps(spans: Sequence[PhiSpan]) -> list[PhiSpan]:
    """Merge same-type overlaps, then let the stronger span win each cross-type overlap."""
    merged = _merge_same_type(spans)
    merged.sort(key=lambda s: (-s.score, -(s.end - s.start), s.start))
    starts: list[int] = []  # accepted spans are disjoint, kept sorted by start
    accepted: list[PhiSpan] = []
    for span in merged:
        pieces = [span]
        # only accepted spans starting before span.end, the nearest ones, can overlap
        j = bisect.bisect_left(starts, span.end)
        k = j
        while k > 0 and accepted[k - 1].end > span.start:
            k -= 1
        for winner in accepted[k:j]:
            pieces = [p for piece in pieces for p in _subtract(piece, winner)]
        for piece in pieces:
            at = bisect.bisect_left(starts, piece.start)
            starts.insert(at, piece.start)
            accepted.insert(at, piece)
    return accepted


def _merge_same_type(spans: Sequence[PhiSpan]) -> list[PhiSpan]:
    out: list[PhiSpan] = []
    for span in sorted(spans, key=lambda s: (s.type, s.start, -s.end)):
        last = out[-1] if out else None
        if last is not None and last.type == span.type and span.start < last.end:
            best = last if last.score >= span.score else span
            out[-1] = PhiSpan(
                last.start, max(last.end, span.end), span.type, best.score, best.recognizer
            )
        else:
            out.append(span)
    return out


def _subtract(span: PhiSpan, winner: PhiSpan) -> list[PhiSpan]:
    """What is left of `span` once `winner` has taken its range (nothing if mostly covered)."""
    overlap = min(span.end, winner.end) - max(span.start, winner.start)
    if overlap <= 0:
        return [span]
    if overlap >= _DROP_COVERED * (span.end - span.start):
        return []
    parts = [(span.start, winner.start), (winner.end, span.end)]
    return [PhiSpan(a, b, span.type, span.score, span.recognizer) for a, b in parts if b - a > 0]
