"""Text helpers shared by the Chinese recognizers: width folding and left-boundary scanning."""

from __future__ import annotations

import functools

# Full-width ASCII (U+FF01-U+FF5E) and the ideographic space fold to ASCII one for one, so a
# folded text has the same length and every offset maps back unchanged.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

# Characters that end a run of a place or facility name when scanning left from its suffix:
# prepositions, verbs of movement and other function words ("就诊于|杭州市第一人民医院").
STOP_LEFT = frozenset(
    "在于至到往赴入转去来经从由送诊与及或、的为是曾已回返我该此他她其先后前并又再即因以被"
    "将把给对向自就收住出系现均地时等患者请约予拟行做查见述称诉"
)
# Date words: "3月5日杭州市..." ends the run at 日 only when a number comes before it, so
# "日照市" keeps its first character.
_DATE_CHARS = frozenset("日号月年")
_NUMERALS = frozenset("0123456789〇零一二三四五六七八九十两今昨次同当")


@functools.lru_cache(maxsize=4)
def fold(text: str) -> str:
    """`text` with full-width ASCII letters, digits and punctuation made half-width."""
    return text.translate(_FOLD)


def is_cjk(ch: str) -> bool:
    """True for a CJK unified ideograph (basic block and extension A)."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def scan_left(text: str, end: int, limit: int, floor: int = 0, digits: bool = True) -> int:
    """Start of the name run that ends at `end`: CJK (and digits) back to a stop character.

    At most `limit` characters and never before `floor`.
    """
    i = end
    lowest = max(floor, end - limit)
    while i > lowest:
        ch = text[i - 1]
        if ch in STOP_LEFT:
            break
        if ch in _DATE_CHARS and i >= 2 and text[i - 2] in _NUMERALS:
            break
        if not (is_cjk(ch) or (digits and ch.isdigit())):
            break
        i -= 1
    return i
