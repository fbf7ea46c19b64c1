"""Language of a text: Chinese, English or mixed."""

from __future__ import annotations

import re

from medsage.errors import InvalidInputError
from medsage.text._normalize import is_cjk

_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")
# Units and lab abbreviations appear inside Chinese notes; they do not make a note English.
_NEUTRAL_TOKENS = frozenset(
    "mmhg mmol mg dl kg g cm mm m l ml ul µl bpm min h hr hrs iu u kpa umol mol "
    "ct mri ecg ekg bp hr rr spo2 sao2 hba1c ldl hdl alt ast wbc rbc hb plt crp esr "
    "inr bnp tsh c f x10".split()  # c, f: °C, °F; x10: "12x10^9/L"
)
# Upper-case acronyms (PCI, T2DM, COPD) are clinical shorthand in Chinese notes too.
_ACRONYM = re.compile(r"[A-Z][A-Z0-9]{1,5}")
# A Chinese word is about two characters (so two CJK characters weigh as one English word).
_CJK_CHARS_PER_WORD = 2.0
ZH_SHARE = 0.9  # at or above: "zh"
EN_SHARE = 0.1  # at or below: "en"


def detect_language(text: str) -> str:
    """Return "zh", "en", "mixed", or "unknown" when the text holds no letters at all.

    The share of Chinese is CJK words (characters / 2) over CJK words plus English words;
    unit and lab abbreviations (mmHg, HbA1c, CT) and upper-case acronyms (PCI, T2DM) do not
    count as English.
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"detect_language expects a str, got {type(text).__name__}")
    cjk_words = sum(1 for ch in text if is_cjk(ch)) / _CJK_CHARS_PER_WORD
    en_words = sum(1 for w in _LATIN_WORD.findall(text) if not _is_neutral(w))
    if cjk_words == 0 and en_words == 0:
        # Only abbreviations: treat as English if there are Latin letters at all.
        return "en" if _LATIN_WORD.search(text) else "unknown"
    share = cjk_words / (cjk_words + en_words)
    if share >= ZH_SHARE:
        return "zh"
    if share <= EN_SHARE:
        return "en"
    return "mixed"


def _is_neutral(word: str) -> bool:
    """A unit, lab abbreviation or acronym: it says nothing about the language of the text."""
    return word.lower() in _NEUTRAL_TOKENS or _ACRONYM.fullmatch(word) is not None
