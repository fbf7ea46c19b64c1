"""Word tokens and word classes shared by the English name and place recognizers.

Capitalisation is unreliable in clinical notes (ALL-CAPS and all-lower-case notes are common),
so the recognizers decide on lower-cased words: membership of the census name lists, of the
common-word stoplist (SCOWL), of the clinical stoplist, and the words around them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from medsage.privacy._spans import word_list

# A word: letters with inner apostrophes (O'Rourke) and hyphens (Forman-Lyons). Letters glued
# to digits ("CHA2DS2", "T2DM", "x3d") are codes and units, never a name or a place.
_WORD = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]+(?:['\u2019][A-Za-z]+)?(?:-[A-Za-z]+)*(?![A-Za-z0-9])"
)


@dataclass
class Tokens:
    """The words of a text: parallel lists of offsets, raw and lower-cased forms."""

    text: str
    starts: list[int]
    ends: list[int]
    raw: list[str]
    low: list[str]

    @functools.cached_property
    def vocabulary(self) -> frozenset[str]:
        """The distinct raw words (case kept), for cheap "is any cue here" checks."""
        return frozenset(self.raw)

    def gap(self, i: int) -> str:
        """The characters between word `i` and word `i + 1` (to the text end for the last)."""
        end = self.starts[i + 1] if i + 1 < len(self.starts) else len(self.text)
        return self.text[self.ends[i] : end]

    def gap_before(self, i: int) -> str:
        """The characters between word `i - 1` and word `i`."""
        start = self.ends[i - 1] if i > 0 else 0
        return self.text[start : self.starts[i]]


@functools.lru_cache(maxsize=8)
def tokenize(text: str) -> Tokens:
    """The words of `text` (cached: several recognizers scan the same note)."""
    spans = [m.span() for m in _WORD.finditer(text)]
    starts = [a for a, _ in spans]
    ends = [b for _, b in spans]
    raw = _WORD.findall(text)
    if text.isascii():
        low = _WORD.findall(text.lower())  # same words: lower() keeps ASCII offsets
    else:
        low = [w.lower().replace("\u2019", "'") for w in raw]
    return Tokens(text, starts, ends, raw, low)


@functools.cache
def first_names() -> frozenset[str]:
    return word_list("en_first_names")


@functools.cache
def last_names() -> frozenset[str]:
    return word_list("en_last_names")


@functools.cache
def any_names() -> frozenset[str]:
    return first_names() | last_names()


@functools.cache
def common_words() -> frozenset[str]:
    return word_list("en_common_words") | word_list("en_common_words_extra")


@functools.cache
def clinical_words() -> frozenset[str]:
    """Clinical words, abbreviations and drug names that look like names or towns."""
    return word_list("en_clinical_terms")


@functools.cache
def eponyms() -> frozenset[str]:
    """Eponyms and device names that are also surnames (Foley, Parkinson, Swan-Ganz)."""
    return word_list("eponyms_en")


def _parts(low: str) -> list[str]:
    return [p for p in low.split("-") if p]


def is_common(low: str) -> bool:
    """An ordinary English word (for a hyphenated word: every part is)."""
    if low in common_words():
        return True
    parts = _parts(low)
    return len(parts) > 1 and all(p in common_words() or len(p) == 1 for p in parts)


def is_clinical(low: str) -> bool:
    if low in clinical_words():
        return True
    return "-" in low and any(p in clinical_words() for p in _parts(low))


def is_eponym(low: str) -> bool:
    return low in eponyms() or ("-" in low and any(p in eponyms() for p in _parts(low)))


def in_name_lists(low: str) -> bool:
    """In the census first- or last-name lists (for a hyphenated word: every part is)."""
    if low in first_names() or low in last_names():
        return True
    if "'" in low:
        return in_name_lists(low.replace("'", ""))
    parts = _parts(low)
    return len(parts) > 1 and all(p in first_names() or p in last_names() for p in parts)


def cue_starts(tokens: Tokens, cues: frozenset[str]) -> list[int]:
    """Offsets of the words that are in `cues` (a set scan beats a regex alternation)."""
    return [tokens.starts[i] for i, w in enumerate(tokens.low) if w in cues]
