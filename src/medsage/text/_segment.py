"""Word segmentation (jieba with a medical user dictionary) and feature tokenisation."""

from __future__ import annotations

import logging
import re
import threading
from importlib import resources
from typing import Any

from medsage.errors import InvalidInputError

_LOCK = threading.Lock()
_TOKENIZER: Any = None
_MIXED_TERMS: re.Pattern[str] | None = None
_LEXICON = "lexicons/medical_zh.txt"

# Numbers keep their decimals, ratios and percent signs ("160/100", "7.2%"); units and
# abbreviations stay whole ("mmHg", "HbA1c", "T2DM"); CJK runs go to jieba.
_TOKEN = re.compile(
    r"(?P<num>\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?%?)"
    r"|(?P<latin>[A-Za-zµ°][A-Za-z0-9µ°]*(?:[-'/][A-Za-z0-9]+)*)"
    r"|(?P<cjk>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
)


def _tokenizer() -> Any:
    """The process-wide jieba tokenizer with the medical dictionary, built on first use."""
    global _TOKENIZER
    with _LOCK:
        if _TOKENIZER is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            lexicon = resources.files("medsage.resources").joinpath(_LEXICON)
            with resources.as_file(lexicon) as path:
                tok.load_userdict(str(path))
            _TOKENIZER = tok
        return _TOKENIZER


def _mixed_terms() -> re.Pattern[str]:
    """Dictionary terms that join CJK with digits or Latin letters ("2型糖尿病", "胸部CT").

    `tokenize` splits text into numbers, Latin words and CJK runs before jieba sees it, which
    would cut such terms apart ("2", "型", "糖尿病"); they are matched whole first instead.
    """
    global _MIXED_TERMS
    with _LOCK:
        if _MIXED_TERMS is None:
            lexicon = resources.files("medsage.resources").joinpath(_LEXICON)
            words = [line.split()[0] for line in lexicon.read_text("utf-8").splitlines() if line]
            mixed = [w for w in words if not w.isascii() and re.search("[A-Za-z0-9]", w)]
            alternatives = "|".join(re.escape(w) for w in sorted(mixed, key=len, reverse=True))
            _MIXED_TERMS = re.compile(
                f"(?<![A-Za-z0-9])(?:{alternatives or '(?!)'})(?![A-Za-z0-9])", re.IGNORECASE
            )
        return _MIXED_TERMS


def segment_words(text: str) -> list[str]:
    """Segment Chinese (and mixed) text into words with jieba plus the medical dictionary.

    Whitespace tokens are dropped. English words come through whole.

    Example:
        >>> segment_words("患者有2型糖尿病和高血压")
        ['患者', '有', '2型糖尿病', '和', '高血压']
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"segment_words expects a str, got {type(text).__name__}")
    return [w for w in _tokenizer().lcut(text, HMM=True) if w.strip()]


def tokenize(text: str, *, lowercase: bool = True) -> list[str]:
    """Tokens for bag-of-words features: numbers with their units kept, words, CJK words.

    Punctuation is dropped; "160/100", "7.2%", "HbA1c" and "mmHg" each stay one token.
    Chinese runs are segmented by `segment_words`.
    """
    return [
        text[start:end].lower() if lowercase else text[start:end]
        for start, end in token_spans(text)
    ]


def token_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets in `text` of the tokens `tokenize` returns, in order."""
    if not isinstance(text, str):
        raise InvalidInputError(f"tokenize expects a str, got {type(text).__name__}")
    spans: list[tuple[int, int]] = []
    position = 0
    for term in _mixed_terms().finditer(text):
        spans.extend(_plain_spans(text, position, term.start()))
        spans.append((term.start(), term.end()))
        position = term.end()
    spans.extend(_plain_spans(text, position, len(text)))
    return spans


def _plain_spans(text: str, begin: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for match in _TOKEN.finditer(text, begin, end):
        if match.lastgroup == "cjk":
            spans.extend(
                (match.start() + a, match.start() + b)
                for _word, a, b in _tokenizer().tokenize(match.group(), HMM=True)
            )
        else:
            spans.append(match.span())
    return spans
