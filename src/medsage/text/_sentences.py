"""Sentence splitting for Chinese, English and mixed clinical text."""

from __future__ import annotations

import re

from medsage.errors import InvalidInputError
from medsage.text._normalize import is_cjk

# Abbreviations whose final period never ends a sentence (titles, Latin, references).
# "No." is one only before a number ("No. 5"); "Smoking: no." ends a sentence.
_NEVER_FINAL = frozenset(
    "dr mr mrs ms prof sr jr st vs etc e.g i.e approx nos fig dept pt pts "
    "cf al est inc ltd mt ft".split()
)
# Dosing abbreviations end a sentence only when an upper-case word follows them.
_DOSING = frozenset(
    "b.i.d t.i.d q.i.d q.d q.h q.o.d p.r.n p.o i.v i.m s.c s.l h.s a.c p.c a.m p.m "
    "q4h q6h q8h q12h".split()
)
_CJK_TERMINATORS = "。！？；!?…"
_CANDIDATE = re.compile(r"[。！？；!?;.…]+[\"'”’)）」』]*|\n+")
_TOKEN_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
# Initials: "J." or "J.K." standing as a word (not the "L" of "mmol/L" or the "C" of "°C").
_INITIALS = re.compile(r"[A-Z](?:\.[A-Z])*")
_WORD_OPENERS = "([{\"'“‘"
# A list number ("1." opening a line, or "1." before Chinese text: "诊断：1.高血压 2.糖尿病")
# is never a sentence of its own.
_LIST_NUMBER = re.compile(r"(?:^|(?<=[\s:：,，;；、]))\(?\d{1,2}\)?$")
# How much text around a candidate boundary the rules look at (keeps splitting linear).
_WINDOW = 64


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of each sentence in `text`, whitespace trimmed.

    Chinese 。！？； end a sentence wherever they stand; "." "!" "?" end an English sentence
    when followed by a space and an upper-case letter, digit, CJK character or the end, unless
    the word before is an abbreviation ("Dr.", "e.g.") or a single initial; decimals (7.2)
    never split. A line break always ends a sentence.
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"split_sentences expects a str, got {type(text).__name__}")
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _CANDIDATE.finditer(text):
        if _is_boundary(text, match, start):
            _append(spans, text, start, match.end())
            start = match.end()
    _append(spans, text, start, len(text))
    return spans


def split_sentences(text: str) -> list[str]:
    """Split `text` into sentences (see `sentence_spans` for the rules)."""
    return [text[s:e] for s, e in sentence_spans(text)]


def _append(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    segment = text[start:end]
    stripped = segment.strip()
    if stripped:
        lead = len(segment) - len(segment.lstrip())
        spans.append((start + lead, start + lead + len(stripped)))


def _is_boundary(text: str, match: re.Match[str], start: int) -> bool:
    mark = match.group()
    if "\n" in mark or any(ch in _CJK_TERMINATORS for ch in mark if ch not in "!?"):
        return True
    before = text[max(0, match.start() - _WINDOW) : match.start()]
    after = text[match.end() : match.end() + _WINDOW]
    prev_char = before[-1:] if before else ""
    if mark.startswith(";"):
        # An ASCII semicolon ends a sentence only inside Chinese text (after NFKC "；" is ";").
        return bool(prev_char) and is_cjk(prev_char)
    if prev_char and is_cjk(prev_char):
        return True
    if not after:
        return True
    rest = after.lstrip()
    first = rest[:1]
    if mark == ".":
        low = max(start, match.start() - _WINDOW)
        # a window that does not reach the sentence start gets a sentinel so "^" cannot match
        head = (
            text[low : match.start()].strip()
            if low == start
            else "x" + text[low : match.start()].rstrip()
        )
        number = _LIST_NUMBER.search(head)
        if number and (number.start() == 0 or (first != "" and is_cjk(first))):
            return False
    if mark.startswith(".") and _is_abbreviation(before, first):
        return False
    next_char = after[0]
    if not next_char.isspace():
        # "7.2", "b.i.d", "e.g.," and URLs: no split without a following space, except before
        # CJK text ("...pain.患者").
        return is_cjk(next_char)
    if not first:
        return True
    if mark.startswith("."):
        token_match = _TOKEN_BEFORE.search(before)
        if token_match and token_match.group(1).lower() in _DOSING:
            return first.isupper()
    return first.isupper() or first.isdigit() or is_cjk(first) or first in "\"'([“"


def _is_abbreviation(before: str, first: str) -> bool:
    """True when the period after `before` closes an abbreviation or an initial, not a sentence.

    `first` is the first non-space character after the period ("" at the end).
    """
    token_match = _TOKEN_BEFORE.search(before)
    if not token_match:
        return False
    token = token_match.group(1)
    lowered = token.lower()
    if lowered in _NEVER_FINAL:
        return True
    if lowered == "no":
        return first.isdigit()
    if lowered in _DOSING:
        return False
    preceding = before[token_match.start(1) - 1 : token_match.start(1)]
    standalone = not preceding or preceding.isspace() or preceding in _WORD_OPENERS
    return standalone and _INITIALS.fullmatch(token) is not None
