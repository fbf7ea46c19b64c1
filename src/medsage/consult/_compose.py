"""Extractive answers: sentences taken verbatim from the retrieved passages, each cited.

Nothing is generated: every sentence of the answer is a sentence of the passage it cites, so a
reader (and a test) can trace each one back. The best passage gives the opening sentences; the
next passages add a sentence each when it shares topic words with the question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from medsage.consult._knowledge import Passage
from medsage.consult._question import QuestionInfo
from medsage.literature._tokens import analyze
from medsage.text._sentences import split_sentences

MAX_PRIMARY_SENTENCES = 3
PRIMARY_BUDGET = {"en": 70, "zh": 160}  # words (en) or characters (zh) from the best passage
MAX_SUPPORTING = 2  # passages after the first that may add one sentence each
MIN_SUPPORT_OVERLAP = 2  # topic words a supporting sentence must share with the question


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer and the number of the passage it was taken from."""

    text: str
    citation: int

    def rendered(self, lang: str = "en") -> str:
        return f"{self.text}[{self.citation}]" if lang == "zh" else f"{self.text} [{self.citation}]"


def _size(sentence: str, lang: str) -> int:
    return len(sentence) if lang == "zh" else len(sentence.split())


def _usable(sentence: str) -> bool:
    """A sentence worth quoting: not a heading or a list stub."""
    stripped = sentence.strip()
    return len(stripped) >= 12 and not stripped.endswith(":")


def compose(info: QuestionInfo, passages: Sequence[Passage]) -> list[AnswerSentence]:
    """The answer's sentences, best passage first (empty when there are no passages)."""
    if not passages:
        return []
    topic = set(info.topic_terms)
    lang = info.language
    primary = passages[0]
    sentences = [s for s in split_sentences(primary.text) if _usable(s)]
    chosen: list[AnswerSentence] = []
    used = 0
    for sentence in sentences:
        if len(chosen) == MAX_PRIMARY_SENTENCES:
            break
        if chosen and used + _size(sentence, lang) > PRIMARY_BUDGET[lang]:
            break
        chosen.append(AnswerSentence(sentence, primary.number))
        used += _size(sentence, lang)
    for passage in passages[1 : 1 + MAX_SUPPORTING]:
        best: tuple[int, str] | None = None
        for sentence in split_sentences(passage.text):
            if not _usable(sentence):
                continue
            overlap = len(topic & set(analyze(sentence)))
            if overlap >= MIN_SUPPORT_OVERLAP and (best is None or overlap > best[0]):
                best = (overlap, sentence)
        if best is not None and all(best[1] != c.text for c in chosen):
            chosen.append(AnswerSentence(best[1], passage.number))
    return chosen


def render(sentences: Sequence[AnswerSentence], lang: str) -> str:
    """The answer text with a citation mark after each sentence."""
    return ("" if lang == "zh" else " ").join(s.rendered(lang) for s in sentences)
