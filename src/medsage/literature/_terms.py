"""Content words of a text (tokens minus stop words), shared by summaries and trends."""

from __future__ import annotations

import functools
import re

from medsage.errors import InvalidInputError
from medsage.text import normalize, tokenize

LANGUAGES = ("auto", "en", "zh")

# Chinese function words and fillers (written for MedSage; no public list is packaged here).
ZH_STOP_WORDS = frozenset(
    "的 地 得 了 着 过 和 与 及 以及 或 或者 并 并且 而 而且 也 又 还 都 就 才 在 于 对 对于 "
    "为 为了 以 由 由于 因 因此 因为 所以 但 但是 然而 如果 如 若 则 即 即使 虽然 是 不是 有 "
    "被 将 把 从 向 至 到 其 之 这 那 这些 那些 该 此 各 每 某 其他 其中 我 你 他 她 它 我们 "
    "你们 他们 她们 它们 本 个 种 一 一个 一种 一些 可 可以 能 能够 会 应 应该 需 需要 所 等 "
    "等等 上 下 中 内 后 前 时 时候 之后 之前 以上 以下 比 较 更 最 很 非常 已 已经 曾 仍 尚 "
    "与其 通过 进行 采用 使用 具有 对比 作为".split()
)
# Words that structure every abstract ("Methods", "目的") and say nothing about its topic.
ABSTRACT_BOILERPLATE = frozenset(
    "background objective objectives aim aims purpose introduction method methods material "
    "materials result results conclusion conclusions study studies also however may might "
    "using used use showed shown show found respectively among whereas including based "
    "研究 目的 方法 结果 结论 背景 探讨 分析 观察".split()
)
# A token counts as a word when it holds a letter or a CJK character (drops "120", "7.2%").
_WORDISH = re.compile(r"[A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def check_language(lang: str) -> str:
    """`lang` if it is one of `LANGUAGES`, else InvalidInputError."""
    if lang not in LANGUAGES:
        raise InvalidInputError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    return lang


@functools.lru_cache(maxsize=4)
def stop_words(lang: str = "auto") -> frozenset[str]:
    """Stop words of `lang`: English (scikit-learn's list, from the Glasgow IR group), Chinese
    (`ZH_STOP_WORDS`), or both for "auto" (the scripts do not overlap), plus abstract
    boilerplate."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    check_language(lang)
    words: set[str] = set(ABSTRACT_BOILERPLATE)
    if lang in ("auto", "en"):
        words |= ENGLISH_STOP_WORDS
    if lang in ("auto", "zh"):
        words |= ZH_STOP_WORDS
    return frozenset(words)


def content_tokens(text: str, stop: frozenset[str]) -> list[str]:
    """Lower-cased word tokens of `text` without stop words, numbers and single letters."""
    return [
        token
        for token in tokenize(normalize(text), lowercase=True)
        if token not in stop
        and _WORDISH.search(token)
        and not (len(token) == 1 and token.isascii())
    ]
