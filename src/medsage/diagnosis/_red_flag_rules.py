"""Red-flag rules as data: read, check and compile `resources/diagnosis/red_flags.json`.

A rule is an id, a level (emergency or urgent), titles and advice in English and Chinese, the
guideline it comes from, and a condition tree (`when`) over findings, phrases and measurements;
see the file's "conventions" entry. Rules round-trip: `RedFlagRule.to_dict()` gives back the
object as written. Named conditions under "definitions" are shared with {"ref": name}.
"""

from __future__ import annotations

import copy
import json
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Final

from medsage.errors import DataFormatError
from medsage.text._findings import finding_concepts

__all__ = [
    "LEVELS",
    "MEASURES",
    "OPS",
    "Condition",
    "ConditionGroup",
    "FindingCondition",
    "MeasureCondition",
    "MessageContext",
    "PhraseCondition",
    "RedFlagRule",
    "load_message_context",
    "load_red_flag_rules",
    "parse_message_context",
    "parse_red_flag_rules",
    "rule_concepts",
]

RULES_RESOURCE: Final = "diagnosis/red_flags.json"
LEVELS: Final = ("emergency", "urgent", "routine", "self_care")
# Measurement names a rule may test; sbp/dbp come from blood_pressure or systolic_bp/diastolic_bp.
MEASURES: Final = ("sbp", "dbp", "heart_rate", "respiratory_rate", "temperature", "spo2", "glucose")
OPS: Final[dict[str, Callable[[float, float], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_RULE_KEYS: Final = ("id", "level", "title_en", "title_zh", "advice_en", "advice_zh", "source")
_EN_EDGE: Final = "A-Za-z0-9"

# --- How a message frames its mentions (the file's "message_context" entry)


@dataclass(frozen=True, slots=True)
class MessageContext:
    """Cues that decide whether a mention in a patient's message describes a case now.

    general_question: a clause that asks about a condition in general ("what are the signs
    of a stroke?"); nothing in it counts, nor in the clauses after it that start with an
    example marker of general_example ("比如", "such as"). hypothetical: ConText UNCERTAIN
    trigger rules that make a condition ("if", "如果"); a mention they reach before the next
    clause break does not count. relative_history / relative_now: what turns a relative's
    mention into family history, and what brings it back to the present ("had a stroke last
    year and now...").
    family_history: FAMILY trigger rules that always mean family history ("家族史").
    negated_symptom: symptoms worded as a negation ("not making sense", "叫不醒"); a negation
    trigger inside one does not reach the mentions after it.
    """

    general_question: tuple[tuple[str, re.Pattern[str]], ...]
    general_example: tuple[tuple[str, re.Pattern[str]], ...]
    hypothetical: frozenset[str]
    relative_history: tuple[tuple[str, re.Pattern[str]], ...]
    relative_now: tuple[tuple[str, re.Pattern[str]], ...]
    family_history: frozenset[str]
    negated_symptom: tuple[tuple[str, re.Pattern[str]], ...] = ()


@lru_cache(maxsize=1)
def load_message_context() -> MessageContext:
    """Read the packaged message-context cues (cached; read on first use, not at import)."""
    text = resources.files("medsage.resources").joinpath(RULES_RESOURCE).read_text("utf-8")
    return parse_message_context(json.loads(text).get("message_context") or {})


def parse_message_context(data: Mapping[str, Any]) -> MessageContext:
    """Check and compile a "message_context" object (every key optional)."""

    def patterns(key: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
        value = data.get(key) or {}
        if not isinstance(value, Mapping) or set(value) - {"en", "zh"}:
            raise DataFormatError(
                f"message_context.{key} must map en and/or zh to lists of regexes; got {value!r}"
            )
        out: list[tuple[str, re.Pattern[str]]] = []
        for language, regexes in value.items():
            for regex in regexes:
                source = _en_regex(regex) if language == "en" else regex
                try:
                    out.append((language, re.compile(source, re.IGNORECASE)))
                except re.error as exc:
                    raise DataFormatError(
                        f"message_context.{key}: {regex!r} is not a valid regex: {exc}"
                    ) from exc
        return tuple(out)

    def names(key: str) -> frozenset[str]:
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise DataFormatError(
                f"message_context.{key} must be a list of trigger rules; got {value!r}"
            )
        return frozenset(value)

    return MessageContext(
        general_question=patterns("general_question"),
        general_example=patterns("general_example"),
        hypothetical=names("hypothetical"),
        relative_history=patterns("relative_history"),
        relative_now=patterns("relative_now"),
        family_history=names("family_history"),
        negated_symptom=patterns("negated_symptom"),
    )


# --- Conditions


@dataclass(frozen=True, slots=True)
class FindingCondition:
    concepts: frozenset[str]


@dataclass(frozen=True, slots=True)
class PhraseCondition:
    patterns: tuple[tuple[str, re.Pattern[str]], ...]  # (language, pattern)
    certain: bool


@dataclass(frozen=True, slots=True)
class MeasureCondition:
    measure: str
    op: str
    value: float


@dataclass(frozen=True, slots=True)
class ConditionGroup:
    need: int  # how many children must hold; 0 means all of them
    children: tuple[Condition, ...]


Condition = FindingCondition | PhraseCondition | MeasureCondition | ConditionGroup


@dataclass(frozen=True, slots=True)
class RedFlagRule:
    """One rule of the data file; `when` is the condition tree as written there."""

    rule_id: str
    level: str
    titles: dict[str, str]
    advice: dict[str, str]
    source: str
    when: dict[str, Any]
    condition: Condition = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The rule as it is written in the data file."""
        return {
            "id": self.rule_id,
            "level": self.level,
            "title_en": self.titles["en"],
            "title_zh": self.titles["zh"],
            "advice_en": self.advice["en"],
            "advice_zh": self.advice["zh"],
            "source": self.source,
            "when": copy.deepcopy(self.when),
        }


@lru_cache(maxsize=1)
def load_red_flag_rules() -> tuple[RedFlagRule, ...]:
    """Read the packaged rules (cached; read on first use, not at import)."""
    text = resources.files("medsage.resources").joinpath(RULES_RESOURCE).read_text("utf-8")
    return parse_red_flag_rules(json.loads(text))


def parse_red_flag_rules(data: Mapping[str, Any]) -> tuple[RedFlagRule, ...]:
    """Check and compile the rules of a data file ({"definitions": ..., "rules": [...]})."""
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        raise DataFormatError("red-flag data must hold a non-empty list under 'rules'")
    compiler = _Compiler(data.get("definitions") or {}, frozenset(finding_concepts()))
    parsed = [compiler.rule(raw) for raw in rules]
    ids = [r.rule_id for r in parsed]
    if len(set(ids)) != len(ids):
        raise DataFormatError(
            f"rule ids must be unique; repeated: {sorted({i for i in ids if ids.count(i) > 1})}"
        )
    return tuple(parsed)


def rule_concepts() -> frozenset[str]:
    """Every finding concept the packaged rules (and their definitions) name."""
    text = resources.files("medsage.resources").joinpath(RULES_RESOURCE).read_text("utf-8")
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            concepts = node.get("finding")
            if concepts is not None:
                found.update([concepts] if isinstance(concepts, str) else concepts)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    data = json.loads(text)
    walk(data.get("definitions", {}))
    walk(data["rules"])
    return frozenset(found)


class _Compiler:
    """Turns the JSON condition trees into `Condition` objects, checking as it goes."""

    def __init__(self, definitions: Mapping[str, Any], concepts: frozenset[str]) -> None:
        self._definitions = definitions
        self._concepts = concepts
        self._resolved: dict[str, Condition] = {}
        self._resolving: list[str] = []
        self._rule = ""

    def rule(self, raw: Mapping[str, Any]) -> RedFlagRule:
        if not isinstance(raw, Mapping):
            raise DataFormatError(f"a rule must be a JSON object; got {type(raw).__name__}")
        self._rule = str(raw.get("id", "?"))
        for key in _RULE_KEYS:
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise self._error(f"{key} is missing or empty; every rule needs it")
        if raw["level"] not in LEVELS[:2]:
            raise self._error(f"level must be emergency or urgent; got {raw['level']!r}")
        if not isinstance(raw.get("when"), dict):
            raise self._error("when must be a condition object")
        return RedFlagRule(
            rule_id=raw["id"],
            level=raw["level"],
            titles={"en": raw["title_en"], "zh": raw["title_zh"]},
            advice={"en": raw["advice_en"], "zh": raw["advice_zh"]},
            source=raw["source"],
            when=copy.deepcopy(raw["when"]),
            condition=self.condition(raw["when"]),
        )

    def _error(self, message: str) -> DataFormatError:
        return DataFormatError(f"red-flag rule {self._rule!r}: {message}")

    def condition(self, node: object) -> Condition:
        if not isinstance(node, Mapping):
            raise self._error(f"a condition must be an object; got {node!r}")
        if "ref" in node:
            return self._ref(str(node["ref"]))
        if "finding" in node:
            return self._finding(node["finding"])
        if "phrase" in node:
            return self._phrase(node["phrase"], bool(node.get("certain", False)))
        if "measure" in node:
            return self._measure(node)
        for key, need in (("all_of", 0), ("any_of", 1), ("of", node.get("at_least"))):
            if key in node:
                children = node[key]
                if not isinstance(children, list) or not children:
                    raise self._error(f"{key} is empty; list at least one condition")
                if not isinstance(need, int) or not 0 <= need <= len(children):
                    raise self._error(f"at_least must be 1..{len(children)}; got {need!r}")
                return ConditionGroup(need, tuple(self.condition(c) for c in children))
        raise self._error(
            f"unknown condition {sorted(node)}; expected finding, phrase, measure, all_of, "
            "any_of, at_least/of or ref"
        )

    def _ref(self, name: str) -> Condition:
        if name in self._resolved:
            return self._resolved[name]
        if name not in self._definitions:
            raise self._error(f"ref {name!r} names no entry of definitions")
        if name in self._resolving:
            raise self._error(f"definitions refer to themselves: {' -> '.join(self._resolving)}")
        self._resolving.append(name)
        compiled = self.condition(self._definitions[name])
        self._resolving.pop()
        self._resolved[name] = compiled
        return compiled

    def _finding(self, value: object) -> Condition:
        concepts = [value] if isinstance(value, str) else value
        if not isinstance(concepts, list) or not concepts:
            raise self._error(f"finding must be a concept id or a list of them; got {value!r}")
        unknown = sorted(str(c) for c in concepts if c not in self._concepts)
        if unknown:
            raise self._error(
                f"unknown finding concept(s) {unknown}; use ids of findings_lexicon.tsv "
                "(medsage.text finding_concepts()) or a phrase"
            )
        return FindingCondition(frozenset(concepts))

    def _phrase(self, value: object, certain: bool) -> Condition:
        if not isinstance(value, Mapping) or not value or set(value) - {"en", "zh"}:
            raise self._error(f"phrase must map en and/or zh to lists of regexes; got {value!r}")
        patterns: list[tuple[str, re.Pattern[str]]] = []
        for language, regexes in value.items():
            for regex in regexes:
                source = _en_regex(regex) if language == "en" else regex
                try:
                    patterns.append((language, re.compile(source, re.IGNORECASE)))
                except re.error as exc:
                    raise self._error(f"phrase {regex!r} is not a valid regex: {exc}") from exc
        return PhraseCondition(tuple(patterns), certain)

    def _measure(self, node: Mapping[str, Any]) -> Condition:
        measure, op, value = node.get("measure"), node.get("op"), node.get("value")
        if measure not in MEASURES:
            raise self._error(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
        if op not in OPS:
            raise self._error(f"op must be one of {' '.join(OPS)}; got {op!r}")
        if not isinstance(value, int | float):
            raise self._error(f"value must be a number; got {value!r}")
        return MeasureCondition(str(measure), str(op), float(value))


def _en_regex(regex: str) -> str:
    """Whole words; a space outside a character class stands for any run of whitespace.

    An optional space (" ?" or " *": "heat ?stroke", "38.1 ?c") stands for none or any run.
    """
    out: list[str] = []
    in_class = escaped = skip = False
    for i, ch in enumerate(regex):
        if skip:
            skip = False
            continue
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        elif ch == " " and not in_class:
            skip = regex[i + 1 : i + 2] in ("?", "*")
            out.append(r"\s*" if skip else r"\s+")
            continue
        out.append(ch)
    return f"(?<![{_EN_EDGE}])(?:{''.join(out)})(?![{_EN_EDGE}])"
