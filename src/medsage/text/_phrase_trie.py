"""Compile many phrases into one trie-shaped regular expression (fast longest-match lookup).

A plain alternation of hundreds of phrases makes `re` try every phrase at every position; the
same phrases folded into a trie ("chest (?:pain|tightness)") are tried once per branch, which is
some hundred times faster on long texts. Matching is leftmost, then longest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

__all__ = ["compile_phrases", "phrase_key"]

_SEPARATORS: Final = re.compile(r"[ \t\-]+")
_SEP: Final = object()  # trie key: any run of spaces, tabs or hyphens
_END: Final = object()  # trie key: a phrase ends here
_WORD: Final = "[A-Za-z0-9]"


def phrase_key(text: str) -> str:
    """The lookup key of a phrase or of matched text: lower case, one space, straight '."""
    return _SEPARATORS.sub(" ", text.lower().replace("\u2019", "'")).strip()


def _token_regex(token: object, fold_case: bool) -> str:
    if token is _SEP:
        return r"[ \t\-]+"
    assert isinstance(token, str)
    if token == "'":
        return "['\u2019]"
    if not fold_case and token.isascii() and token.isalpha():
        # Case-insensitive letters without re.IGNORECASE, which would disable the fast
        # first-character scan for a trie of Chinese phrases ("Murphy征").
        return f"[{token.upper()}{token.lower()}]"
    return re.escape(token)


def _trie_regex(node: dict[object, object], end: str, fold_case: bool) -> str:
    tokens = sorted((k for k in node if k is not _END), key=lambda k: (k is _SEP, str(k)))
    alternatives = []
    for token in tokens:
        child = node[token]
        assert isinstance(child, dict)
        alternatives.append(_token_regex(token, fold_case) + _trie_regex(child, end, fold_case))
    if _END in node:
        alternatives.append(end)  # last, so that longer matches are tried first
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


def compile_phrases(
    phrases: Iterable[str], *, whole_words: bool, plural: bool = False
) -> re.Pattern[str]:
    """One pattern matching any of `phrases`, case-insensitively; longest match first.

    Args:
        phrases: the phrases; a space or hyphen in one matches any run of spaces or hyphens,
            an apostrophe also matches the curly one.
        whole_words: English-style: a match may not start or end inside a Latin word or number.
        plural: allow "s" or "es" after a phrase (with `whole_words`).
    """
    root: dict[object, object] = {}
    count = 0
    for phrase in phrases:
        key = phrase_key(phrase)
        if not key:
            continue
        node = root
        for ch in key:
            token: object = _SEP if ch == " " else ch
            node = node.setdefault(token, {})  # type: ignore[assignment]
        node[_END] = True
        count += 1
    if count == 0:
        return re.compile(r"(?!)")  # matches nothing
    if whole_words:
        end = (r"(?:e?s)?" if plural else "") + f"(?!{_WORD})"
        body = _trie_regex(root, end, fold_case=True)
        return re.compile(f"(?<!{_WORD}){body}", re.IGNORECASE)
    return re.compile(_trie_regex(root, "", fold_case=False))
