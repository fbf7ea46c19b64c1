"""How a patient's or carer's message frames a mention: does it describe the case now?

Patients and carers write differently from case notes, so the cues of the rules file's
"message_context" entry (`MessageContext`) adjust a mention's ConText assertion before a red-flag
rule may count it:

- a relative's mention ("my dad's face drooped", "我爸刚才嘴歪了") is ConText "family", but in
  a carer's message the relative is the patient: it counts (with the mention's other triggers)
  unless family-history wording ("家族史", "runs in the family") or a history cue ("had",
  "years ago", "去年", "后遗症") stands between the relative and the mention with no "now" cue
  ("now", "刚才", "minutes ago") after it;
- a hypothetical trigger ("if", "如果") makes the mentions it reaches, up to the next clause
  break, not count ("what should I do if my child swallows medicine?");
- a clause that asks about a condition in general ("what are the signs of a stroke?",
  "心梗有哪些前兆？", "看新闻又有人...") counts nothing;
- a symptom worded as a negation ("not making sense", "叫不醒", "没有反应") keeps its negation
  word to itself: ConText would carry "not" forward over the next words ("not making sense,
  skin looks blotchy" negates "blotchy"), so a negation trigger inside such a symptom does not
  reach the mentions after it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from medsage.diagnosis._red_flag_rules import MessageContext, load_message_context
from medsage.text import Assertion
from medsage.text._assertion import Trigger

__all__ = ["CLAUSE_BREAK", "MessageFrame", "fold"]

# A hypothetical ("if ...") reaches up to the next clause break.
CLAUSE_BREAK: Final = re.compile(r"[,;:.!?。\n]")
# ConText priority of the assertion categories (medsage.text._assertion).
_PRIORITY: Final = (
    ("FAMILY", Assertion.FAMILY),
    ("NEGATED", Assertion.NEGATED),
    ("UNCERTAIN", Assertion.UNCERTAIN),
    ("HISTORICAL", Assertion.HISTORICAL),
)


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def fold(text: str) -> str:
    """Same-length copy with single-character NFKC forms ("，" -> ",", "Ａ" -> "A")."""
    return text if text.isascii() else "".join(_fold_char(ch) for ch in text)


def _assertion(triggers: Sequence[Trigger]) -> Assertion:
    categories = {t.category for t in triggers}
    return next((a for c, a in _PRIORITY if c in categories), Assertion.PRESENT)


class MessageFrame:
    """The message-context cues of one text, matched lazily and once."""

    def __init__(
        self, text: str, languages: Sequence[str], context: MessageContext | None = None
    ) -> None:
        self.folded = fold(text)
        self.languages = tuple(languages)
        self._context = context if context is not None else load_message_context()
        self._general: list[tuple[int, int]] | None = None
        self._negated_symptoms: list[tuple[int, int]] | None = None

    def counts(
        self,
        assertion: Assertion,
        triggers: Sequence[Trigger],
        start: int,
        end: int,
        allowed: Sequence[Assertion],
    ) -> bool:
        """Whether a mention at [start, end) with this ConText result counts as the case now."""
        if any(s <= start < e for s, e in self._general_clauses()):
            return False
        kept = [t for t in triggers if not self._held_by_symptom(t, start)]
        if len(kept) < len(triggers):
            triggers, assertion = kept, _assertion(kept)
        if assertion is Assertion.FAMILY and self._relative_is_patient(triggers, start, end):
            assertion = _assertion([t for t in triggers if t.category != "FAMILY"])
        if assertion is Assertion.UNCERTAIN and any(
            t.category == "UNCERTAIN"
            and t.rule in self._context.hypothetical
            and t.end <= start
            and not CLAUSE_BREAK.search(self.folded, t.end, start)
            for t in triggers
        ):
            return False
        return assertion in allowed

    def _matches(self, patterns: Sequence[tuple[str, re.Pattern[str]]]) -> list[tuple[int, int]]:
        return [
            m.span()
            for language, pattern in patterns
            if language in self.languages
            for m in pattern.finditer(self.folded)
        ]

    def _held_by_symptom(self, trigger: Trigger, start: int) -> bool:
        """A negation word that belongs to a symptom ending before the mention at `start`."""
        if trigger.category != "NEGATED":
            return False
        if self._negated_symptoms is None:
            self._negated_symptoms = self._matches(self._context.negated_symptom)
        return any(
            s <= trigger.start and trigger.end <= e <= start for s, e in self._negated_symptoms
        )

    def _cues(self, patterns: Sequence[tuple[str, re.Pattern[str]]], lo: int, hi: int) -> list[int]:
        """End offsets of the cue matches inside [lo, hi)."""
        return [
            m.end()
            for language, pattern in patterns
            if language in self.languages
            for m in pattern.finditer(self.folded, lo, hi)
        ]

    def _relative_is_patient(self, triggers: Sequence[Trigger], start: int, end: int) -> bool:
        """A relative named before the mention, with no family history in between, is the case."""
        family = [t for t in triggers if t.category == "FAMILY"]
        if not family or any(
            t.rule in self._context.family_history or t.start >= start for t in family
        ):
            return False
        begin = min(t.start for t in family)
        clause_end = CLAUSE_BREAK.search(self.folded, end)
        window_end = clause_end.start() if clause_end else len(self.folded)
        history = self._cues(self._context.relative_history, begin, window_end)
        if not history:
            return True
        before = [h for h in history if h <= start]
        since = max(before) if before else begin
        return bool(self._cues(self._context.relative_now, since, start))

    def _general_clauses(self) -> list[tuple[int, int]]:
        """Clauses that ask about a condition in general (computed once, on first use)."""
        if self._general is None:
            self._general = []
            for s, e in self._matches(self._context.general_question):
                before = [b.end() for b in CLAUSE_BREAK.finditer(self.folded, 0, s)]
                self._general.append((before[-1] if before else 0, self._clause_end(e)))
        return self._general

    def _clause_end(self, position: int) -> int:
        """End of the clause at `position`, carried over clauses that give examples."""
        while (after := CLAUSE_BREAK.search(self.folded, position)) is not None:
            nxt = len(after.group()) + after.start()
            while nxt < len(self.folded) and self.folded[nxt].isspace():
                nxt += 1
            if not any(
                p.match(self.folded, nxt)
                for language, p in self._context.general_example
                if language in self.languages
            ):
                return after.start()
            position = nxt + 1
        return len(self.folded)
