"""Snippets: the sentence that shares most query terms, with the matches marked."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from medsage.literature._tokens import WIDTH_FOLD, analyze_spans

SNIPPET_CHARS = 240  # longer best sentences are cut to a window around their first match
MARK = "**"


@dataclass(frozen=True)
class Snippet:
    """A passage of a document; `highlights` are (start, end) offsets of matches in `text`."""

    text: str
    highlights: tuple[tuple[int, int], ...]

    def marked(self, mark: str = MARK) -> str:
        """`text` with each highlight wrapped in `mark` ("**metformin**")."""
        parts: list[str] = []
        position = 0
        for start, end in self.highlights:
            parts += [self.text[position:start], mark, self.text[start:end], mark]
            position = end
        parts.append(self.text[position:])
        return "".join(parts)


def make_snippet(
    text: str, query_terms: Collection[str], max_chars: int = SNIPPET_CHARS
) -> Snippet:
    """The best sentence of `text` for `query_terms` (most distinct terms, then most matches,
    then the earliest); without any match, the opening of the text."""
    from medsage.text import sentence_spans

    wanted = set(query_terms)
    sentences = sentence_spans(text) or [(0, len(text))]
    matches = _matches(text, sentences, wanted) if wanted else []
    best = (0, 0, 0)  # (distinct terms, matches, -index)
    best_span = sentences[0]
    if matches:
        for index, (s_start, s_end) in enumerate(sentences):
            inside = [t for s, e, t in matches if s >= s_start and e <= s_end]
            key = (len(set(inside)), len(inside), -index)
            if key > best:
                best, best_span = key, (s_start, s_end)
    start, end = best_span
    if end - start > max_chars:
        first = next((s for s, e, _t in matches if s >= start and e <= end), start)
        start = max(start, min(first - max_chars // 4, end - max_chars))
        end = min(end, start + max_chars)
    spans = sorted({(s - start, e - start) for s, e, _t in matches if s >= start and e <= end})
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return Snippet(text[start:end], tuple(merged))


def _matches(
    text: str, sentences: list[tuple[int, int]], wanted: set[str]
) -> list[tuple[int, int, str]]:
    """(start, end, term) of the query terms in `text`.

    Only sentences that hold the opening of some term are analysed (a stem keeps the first
    letters of its word: "diabet" of "Diabetes"), which spares most sentences of an abstract;
    if none passes, the whole text is analysed.
    """
    keys = {t[: max(1, min(4, len(t) - 1))] if t.isascii() else t for t in wanted}
    chosen = [
        (a, b)
        for a, b in sentences
        if any(k in text[a:b].translate(WIDTH_FOLD).lower() for k in keys)
    ]
    found: list[tuple[int, int, str]] = []
    for a, b in chosen or [(0, len(text))]:
        found += [(a + s, a + e, t) for t, s, e in analyze_spans(text[a:b]) if t in wanted]
    return found
