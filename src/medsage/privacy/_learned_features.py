"""Token features for the learned PHI recognizer (`_learned.LearnedRecognizer`).

A note is cut into tokens (letter runs, digit runs, single punctuation marks). Each token gets
string features: its lower-cased word, shape, prefix and suffix, membership of the package word
lists and of the rule recognizers' cue lists, the votes of the rule recognizers (which of them
put a span over it), the same for the tokens around it (+-2 tokens, +-2 words), its place on
the line and in the note. The features are turned into column numbers by a vocabulary
(`FeatureIndex`), so a corpus is held as integer arrays, not millions of strings.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from medsage.privacy._en_tokens import (
    first_names,
    is_clinical,
    is_common,
    is_eponym,
    last_names,
)
from medsage.privacy._recognizers_en_names import (
    CREDENTIALS,
    FUNCTION_WORDS,
    RELATIONS,
    ROLES,
    TITLES,
    WEAK_TITLES,
)
from medsage.privacy._recognizers_en_places import FACILITY_WORDS, WEAK_FACILITY_WORDS
from medsage.privacy._spans import PhiSpan, Protected, Recognizer

# Letter runs, digit runs, and every other non-blank character alone: "10/6/93" is five tokens,
# so a date, phone number or hyphenated name is a run of tokens.
_TOKEN = re.compile(r"[^\W\d_]+|\d+|\S")
_MONTHS = frozenset(
    """jan january feb february mar march apr april may jun june jul july aug august sep sept
    september oct october nov november dec december""".split()
)
_WEEKDAYS = frozenset(
    "mon monday tue tues tuesday wed wednesday thu thur thurs thursday fri friday sat saturday "
    "sun sunday".split()
)
_NO_FEATURES: tuple[str, ...] = ()


@dataclass
class NoteTokens:
    """The tokens of one text: offsets and kinds ("a" letters, "d" digits, "p" other)."""

    starts: list[int]
    ends: list[int]
    kinds: list[str]


def note_tokens(text: str) -> NoteTokens:
    """Cut `text` into letter runs, digit runs and single punctuation marks."""
    starts: list[int] = []
    ends: list[int] = []
    kinds: list[str] = []
    for m in _TOKEN.finditer(text):
        a, b = m.span()
        starts.append(a)
        ends.append(b)
        c = text[a]
        kinds.append("d" if c.isdigit() else "a" if c.isalpha() else "p")
    return NoteTokens(starts, ends, kinds)


@dataclass
class RuleOutput:
    """What the rule recognizers said about a text (kept to reuse between runs)."""

    spans: list[PhiSpan]
    protected: list[Protected]


def run_rules(recognizers: Sequence[Recognizer], text: str) -> RuleOutput:
    """Every recognizer's raw spans and protected ranges (no overlap resolution)."""
    spans: list[PhiSpan] = []
    protected: list[Protected] = []
    for recognizer in recognizers:
        spans.extend(recognizer.find(text))
        protected.extend(recognizer.protect(text))
    return RuleOutput(spans, protected)


def _shape(word: str, kind: str) -> str:
    if kind == "d":
        return "d" * min(len(word), 5)
    if kind == "p":
        return word
    if word.isupper():
        return "X" if len(word) == 1 else "XX"
    if word.islower():
        return "x" if len(word) == 1 else "xx"
    return "Xx" if word[0].isupper() and word[1:].islower() else "xX"


def _word_classes(low: str) -> tuple[str, ...]:
    """Which word lists hold `low` (names, common words, clinical terms, rule cue words)."""
    out = []
    if low in first_names():
        out.append("first")
    if low in last_names():
        out.append("last")
    if is_common(low):
        out.append("common")
    if is_clinical(low):
        out.append("clinical")
    if is_eponym(low):
        out.append("eponym")
    if low in TITLES:
        out.append("title")
    if low in WEAK_TITLES:
        out.append("weak_title")
    if low in RELATIONS:
        out.append("relation")
    if low in ROLES:
        out.append("role")
    if low in CREDENTIALS:
        out.append("credential")
    if low in FUNCTION_WORDS:
        out.append("function")
    if low in _MONTHS:
        out.append("month")
    if low in _WEEKDAYS:
        out.append("weekday")
    if low in FACILITY_WORDS or low in WEAK_FACILITY_WORDS:
        out.append("facility")
    if not out:
        out.append("unknown")
    return tuple(out)


def _number_classes(digits: str) -> tuple[str, ...]:
    value = int(digits)
    out = []
    if len(digits) <= 2 and 1 <= value <= 12:
        out.append("n<=12")
    if len(digits) <= 2 and 1 <= value <= 31:
        out.append("n<=31")
    if len(digits) == 4 and 1900 <= value <= 2099:
        out.append("year")
    if len(digits) <= 3 and value >= 90:
        out.append("n>=90")
    return tuple(out)


def token_features(text: str, tokens: NoteTokens, rules: RuleOutput) -> list[list[str]]:
    """The feature strings of every token of `text`."""
    n = len(tokens.starts)
    words = [text[a:b] for a, b in zip(tokens.starts, tokens.ends, strict=True)]
    kinds = tokens.kinds
    lows = [w.lower() for w in words]
    forms = [w if k != "d" else f"<{len(w)}d>" for w, k in zip(lows, kinds, strict=True)]
    shapes = [_shape(w, k) for w, k in zip(words, kinds, strict=True)]
    classes: list[tuple[str, ...]] = [
        _word_classes(w) if k == "a" else _number_classes(w) if k == "d" else _NO_FEATURES
        for w, k in zip(lows, kinds, strict=True)
    ]
    votes: list[list[str]] = [[] for _ in range(n)]
    firsts: list[list[str]] = [[] for _ in range(n)]
    for span in rules.spans:
        i = bisect.bisect_right(tokens.ends, span.start)
        first = True
        while i < n and tokens.starts[i] < span.end:
            votes[i].append(span.recognizer)
            if first:
                firsts[i].append(span.recognizer)
                first = False
            i += 1
    protected = [False] * n
    for p in rules.protected:
        i = bisect.bisect_right(tokens.ends, p.start)
        while i < n and tokens.starts[i] < p.end:
            protected[i] = True
            i += 1
    note_case = "U" if text.isupper() else "L" if text.islower() else "M"
    alpha = [i for i in range(n) if kinds[i] == "a"]
    alpha_rank = {i: r for r, i in enumerate(alpha)}
    length = max(len(text), 1)

    out: list[list[str]] = []
    for i in range(n):
        w, s = forms[i], shapes[i]
        gap_before = text[tokens.ends[i - 1] : tokens.starts[i]] if i else "\n"
        gap_after = text[tokens.ends[i] : tokens.starts[i + 1]] if i + 1 < n else "\n"
        f = [
            f"w={w}",
            f"s={s}",
            f"s|case={s}|{note_case}",
            f"gb={_gap(gap_before)}",
            f"ga={_gap(gap_after)}",
            f"pos={10 * tokens.starts[i] // length}",
        ]
        if kinds[i] == "a" and len(w) > 3:
            f += [f"p3={w[:3]}", f"x3={w[-3:]}", f"x2={w[-2:]}"]
        f += [f"L={c}" for c in classes[i]]
        f += [f"r={v}" for v in votes[i]]
        f += [f"rb={v}" for v in firsts[i]]
        if protected[i]:
            f.append("protected")
        for d in (-2, -1, 1, 2):
            j = i + d
            if 0 <= j < n:
                f += [f"w{d}={forms[j]}", f"s{d}={shapes[j]}"]
                if d in (-1, 1):
                    f += [f"L{d}={c}" for c in classes[j]]
                    f += [f"r{d}={v}" for v in votes[j]]
            else:
                f.append(f"w{d}=<edge>")
        # the nearest words, skipping punctuation and numbers ("Dr. Smith", "son, Bill")
        r = alpha_rank.get(i)
        if r is None:
            r = bisect.bisect_left(alpha, i)
            prev_words = alpha[max(0, r - 2) : r][::-1]
            next_words = alpha[r : r + 2]
        else:
            prev_words = alpha[max(0, r - 2) : r][::-1]
            next_words = alpha[r + 1 : r + 3]
        for k, j in enumerate(prev_words, 1):
            f.append(f"pw{k}={lows[j]}")
        for k, j in enumerate(next_words, 1):
            f.append(f"nw{k}={lows[j]}")
        if prev_words:
            f.append(f"pw1|s={lows[prev_words[0]]}|{s}")
            f += [f"pwL={c}" for c in classes[prev_words[0]]]
        if next_words:
            f += [f"nwL={c}" for c in classes[next_words[0]]]
        out.append(f)
    return out


def _gap(gap: str) -> str:
    if "\n" in gap:
        return "nl"
    if not gap:
        return "none"
    return "sp"


class FeatureIndex:
    """Feature strings -> column numbers; grows while `frozen` is False."""

    def __init__(self, names: Sequence[str] = ()) -> None:
        self.columns: dict[str, int] = {name: i for i, name in enumerate(names)}
        self.frozen = bool(names)

    def __len__(self) -> int:
        return len(self.columns)

    def names(self) -> list[str]:
        ordered = [""] * len(self.columns)
        for name, column in self.columns.items():
            ordered[column] = name
        return ordered

    def encode(self, features: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """CSR `indptr` and `indices` of the tokens' features (unknown ones dropped if frozen)."""
        columns = self.columns
        indptr = np.zeros(len(features) + 1, dtype=np.int64)
        indices: list[int] = []
        if self.frozen:
            get: Callable[[str], int | None] = columns.get
            for t, feats in enumerate(features):
                for name in feats:
                    c = get(name)
                    if c is not None:
                        indices.append(c)
                indptr[t + 1] = len(indices)
        else:
            for t, feats in enumerate(features):
                for name in feats:
                    c = columns.get(name)
                    if c is None:
                        c = columns[name] = len(columns)
                    indices.append(c)
                indptr[t + 1] = len(indices)
        return indptr, np.asarray(indices, dtype=np.int64)
