"""Search terms for BM25: one analyzer for documents and queries, English and Chinese alike.

English words are lower-cased, stop words dropped and Snowball-stemmed (PyStemmer); hyphenated
and slashed words also match by their parts ("non-small" -> "non", "small"). Chinese runs are
segmented by `medsage.text` (jieba plus the medical dictionary); function words are dropped, and
a long word also yields the dictionary words inside it (as jieba's search mode does), so "糖尿病"
finds "2型糖尿病". Numbers stay whole ("160/100", "7.2%"). Mixed text is handled token by token.

Each term keeps the offsets of the text it came from, so snippets can highlight matches.
"""

from __future__ import annotations

import re
import threading
from typing import Any

ANALYZER_VERSION = "medsage-literature-terms/1"

# Lucene's English stop set (EnglishAnalyzer.ENGLISH_STOP_WORDS_SET; bm25s ships the same 33
# words). Short on purpose: "no", "not" and "with" matter less in BM25 than recall does, and a
# long list would drop clinical words such as "after" or "over".
STOP_WORDS_EN = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split()
)
# Chinese function words and question words that carry no topic (particles, conjunctions,
# pronouns, prepositions); a hand-written list for medical questions and abstracts.
STOP_WORDS_ZH = frozenset(
    "的 地 得 了 着 过 和 与 及 或 是 在 有 为 对 以 等 被 把 也 就 都 而 之 其 于 从 向 到 由 这 "
    "那 个 我 你 他 她 它 吗 呢 吧 啊 呀 所 并 且 则 若 该 此 各 每 "
    "我们 你们 他们 以及 或者 但是 因为 所以 如果 什么 怎么 怎样 如何 哪些 哪个 是否 可以 "
    "一些 这些 那些 其中 还是 还有 需要 应该 能否 是不是 一下 请问".split()
)

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space fold to ASCII one character for
# one, so offsets stay valid ("ＣＴ" matches "CT").
WIDTH_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_PART = re.compile(r"[A-Za-z0-9µ°]+")
_LATIN_PART = re.compile(r"[a-z][a-z0-9]+")

_LOCK = threading.Lock()
_STEMMER: Any = None
_STEMS: dict[str, str] = {}
_MAX_STEM_CACHE = 500_000


def analyze(text: str) -> list[str]:
    """The BM25 terms of `text` (documents and queries go through this same function)."""
    return [term for term, _start, _end in analyze_spans(text)]


def analyze_spans(text: str) -> list[tuple[str, int, int]]:
    """(term, start, end) for each term of `text`; offsets index `text` itself."""
    from medsage.text import token_spans

    folded = text.translate(WIDTH_FOLD)
    out: list[tuple[str, int, int]] = []
    for start, end in token_spans(folded):
        token = folded[start:end]
        if _CJK.search(token):
            _add_chinese(out, token.lower(), start, end)
        elif token[0].isdigit():
            out.append((token, start, end))
        else:
            _add_english(out, token, start)
    return out


def _add_english(out: list[tuple[str, int, int]], token: str, start: int) -> None:
    word = token.split("'", 1)[0]  # "patient's" -> "patient"
    parts = list(_PART.finditer(word))
    for part in parts:
        lower = part.group().lower()
        if lower in STOP_WORDS_EN or (len(parts) > 1 and len(lower) == 1 and lower.isalpha()):
            continue
        out.append((_stem(lower), start + part.start(), start + part.end()))


def _add_chinese(out: list[tuple[str, int, int]], word: str, start: int, end: int) -> None:
    if word in STOP_WORDS_ZH:
        return
    out.append((word, start, end))
    if len(word) > 2:
        out.extend((sub, start, end) for sub in _dictionary_subwords(word))
    if not _CJK.fullmatch(word[0]) or not _CJK.fullmatch(word[-1]):
        # A mixed dictionary term ("胸部ct", "2型糖尿病"): its Latin part matches on its own too.
        out.extend(
            (_stem(m.group()), start + m.start(), start + m.end())
            for m in _LATIN_PART.finditer(word)
            if m.group() not in STOP_WORDS_EN
        )


def _dictionary_subwords(word: str) -> list[str]:
    """Dictionary words of two and three characters inside `word` (jieba's search mode)."""
    from medsage.text._segment import _tokenizer  # the shared jieba with the medical dictionary

    tokenizer = _tokenizer()
    freq = tokenizer.FREQ
    subs: list[str] = []
    for n in (2, 3):
        if len(word) <= n:
            break
        for i in range(len(word) - n + 1):
            gram = word[i : i + n]
            if freq.get(gram) and gram not in STOP_WORDS_ZH:
                subs.append(gram)
    return subs


def _stem(word: str) -> str:
    stem = _STEMS.get(word)
    if stem is None:
        stem = str(_stemmer().stemWord(word))
        if len(_STEMS) < _MAX_STEM_CACHE:
            _STEMS[word] = stem
    return stem


def _stemmer() -> Any:
    global _STEMMER
    with _LOCK:
        if _STEMMER is None:
            try:
                import Stemmer  # type: ignore[import-not-found]
            except ImportError:
                from medsage.errors import MissingFileError

                raise MissingFileError(
                    "English stemming needs PyStemmer: pip install PyStemmer==3.1.0"
                ) from None
            _STEMMER = Stemmer.Stemmer("english")
        return _STEMMER
