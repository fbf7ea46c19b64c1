"""ConText-style assertion for Chinese and English clinical text.

The algorithm is ConText (Harkema H, Dowling JN, Thornblade T, Chapman WW. J Biomed Inform
2009;42:839-51): trigger phrases from a rule table (package data `context_rules.tsv`) mark a
scope inside the sentence, forward, backward or both ways; a finding inside the scope of a
trigger takes the trigger's category. A scope ends at the sentence end, at a termination term
("but", "however", "但", and in Chinese a comma for negation and uncertainty), or after the
rule's `max_scope` words (en) or characters (zh). Pseudo-triggers ("no change", "gram negative",
"无明显诱因") only hide the shorter triggers inside them, and a trigger that overlaps the finding
itself ("四肢无力", "no appetite") is ignored.

When several categories reach one finding the assertion is, by priority:
family > negated > uncertain > historical > present. Family comes first because a statement
about a relative says nothing about the patient, whatever its polarity ("mother had no
diabetes" -> family); negation beats history so "no history of asthma" is negated; uncertainty
beats history so "possible history of seizures" is uncertain.

Matching runs on a same-length folded copy of the text (full-width letters, digits and
punctuation folded to ASCII), so every offset is an offset into the caller's text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Final

from medsage.errors import DataFormatError, InvalidInputError
from medsage.text._measurements import _fold
from medsage.text._phrase_trie import compile_phrases, phrase_key
from medsage.text._sentences import sentence_spans

__all__ = [
    "CATEGORIES",
    "Assertion",
    "AssertionResult",
    "ContextRule",
    "Trigger",
    "assert_span",
    "assess_spans",
    "explain_span",
    "load_context_rules",
]

RULES_FILE: Final = "context_rules.tsv"
LANGS: Final = ("auto", "zh", "en", "mixed")
CATEGORIES: Final = ("NEGATED", "UNCERTAIN", "HISTORICAL", "FAMILY", "PSEUDO", "TERMINATION")
DIRECTIONS: Final = ("FORWARD", "BACKWARD", "BIDIRECTIONAL")
_COLUMNS: Final = (
    "language",
    "trigger",
    "match",
    "category",
    "direction",
    "max_scope",
    "terminates",
    "source",
)
_EN_WORD: Final = r"[A-Za-z0-9]"
_LINE: Final = re.compile(r"[^\n]+")


class Assertion(StrEnum):
    """What a text says about a finding (compares equal to its string value)."""

    PRESENT = "present"
    NEGATED = "negated"
    UNCERTAIN = "uncertain"
    HISTORICAL = "historical"
    FAMILY = "family"


# Highest priority first (see the module docstring for why).
_PRIORITY: Final = (
    ("FAMILY", Assertion.FAMILY),
    ("NEGATED", Assertion.NEGATED),
    ("UNCERTAIN", Assertion.UNCERTAIN),
    ("HISTORICAL", Assertion.HISTORICAL),
)


@dataclass(frozen=True, slots=True)
class ContextRule:
    """One row of the rule table."""

    language: str
    trigger: str
    match: str
    category: str
    direction: str
    max_scope: int | None
    terminates: frozenset[str]
    source: str

    def to_dict(self) -> dict[str, str]:
        """The row as strings, in the column order of the TSV file."""
        return {
            "language": self.language,
            "trigger": self.trigger,
            "match": self.match,
            "category": self.category,
            "direction": self.direction,
            "max_scope": "" if self.max_scope is None else str(self.max_scope),
            "terminates": ",".join(sorted(self.terminates)),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, row: dict[str, str]) -> ContextRule:
        """Build and check a rule from the strings of one TSV row."""
        category = row["category"].strip().upper()
        direction = row["direction"].strip().upper()
        language = row["language"].strip()
        match = row["match"].strip() or "phrase"
        if language not in ("en", "zh", "any"):
            raise DataFormatError(f"language must be en, zh or any; got {language!r}")
        if category not in CATEGORIES:
            raise DataFormatError(f"category must be one of {CATEGORIES}; got {category!r}")
        if category in ("PSEUDO", "TERMINATION"):
            direction = ""
        elif direction not in DIRECTIONS:
            raise DataFormatError(f"direction must be one of {DIRECTIONS}; got {direction!r}")
        if match not in ("phrase", "regex"):
            raise DataFormatError(f"match must be phrase or regex; got {match!r}")
        terminates = frozenset(
            t.strip().upper() for t in row.get("terminates", "").split(",") if t.strip()
        )
        if category == "TERMINATION" and not terminates:
            raise DataFormatError(f"termination {row['trigger']!r} names no category to end")
        if "ALL" in terminates:
            terminates = frozenset(_c for _c, _ in _PRIORITY)
        max_scope = row.get("max_scope", "").strip()
        return cls(
            language=language,
            trigger=row["trigger"].strip(),
            match=match,
            category=category,
            direction=direction,
            max_scope=int(max_scope) if max_scope else None,
            terminates=terminates,
            source=row.get("source", "").strip(),
        )


@dataclass(frozen=True, slots=True)
class Trigger:
    """A trigger that fired: `text == source[start:end]`."""

    text: str
    start: int
    end: int
    category: str
    direction: str
    rule: str

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict of every field."""
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "category": self.category,
            "direction": self.direction,
            "rule": self.rule,
        }


@dataclass(frozen=True, slots=True)
class AssertionResult:
    """The assertion of one span and the triggers whose scope reached it (in text order)."""

    assertion: Assertion
    triggers: tuple[Trigger, ...]


@lru_cache(maxsize=1)
def load_context_rules() -> tuple[ContextRule, ...]:
    """Read the packaged rule table (cached)."""
    text = resources.files("medsage.resources").joinpath(RULES_FILE).read_text(encoding="utf-8")
    return parse_context_rules(text.splitlines())


def parse_context_rules(lines: Iterable[str]) -> tuple[ContextRule, ...]:
    """Parse TSV lines (header first, `#` comments allowed) into rules."""
    rows = [line for line in lines if line.strip() and not line.startswith("#")]
    if not rows or tuple(rows[0].split("\t")) != _COLUMNS:
        header = "<TAB>".join(_COLUMNS)
        raise DataFormatError(f"context rules must start with the header {header}")
    rules = []
    for number, line in enumerate(rows[1:], start=2):
        cells = line.split("\t")
        if len(cells) != len(_COLUMNS):
            raise DataFormatError(
                f"context rule row {number} has {len(cells)} columns, expected {len(_COLUMNS)}"
            )
        rules.append(ContextRule.from_dict(dict(zip(_COLUMNS, cells, strict=True))))
    return tuple(rules)


# --- Compiled matcher


@dataclass(frozen=True, slots=True)
class _Matcher:
    """Phrase rules as two tries (whole-word English, substring Chinese), regex rules apart."""

    words: re.Pattern[str]
    word_rules: dict[str, ContextRule]  # phrase_key -> rule
    chars: re.Pattern[str]
    char_rules: dict[str, ContextRule]
    regex: re.Pattern[str] | None
    regex_rules: tuple[ContextRule, ...]  # index i <-> named group "r{i}"


def _whole_words(rule: ContextRule) -> bool:
    return rule.language != "zh" and rule.trigger[:1].isascii() and rule.trigger[:1].isalnum()


def _add(table: dict[str, ContextRule], rule: ContextRule) -> None:
    key = phrase_key(rule.trigger)
    other = table.get(key)
    if other is not None and (other.category, other.direction) != (rule.category, rule.direction):
        raise DataFormatError(
            f"trigger {rule.trigger!r} is both {other.category} and {rule.category}; keep one"
        )
    table.setdefault(key, rule)


def _regex_alternative(index: int, rule: ContextRule) -> str:
    if re.compile(rule.trigger).groups:
        raise DataFormatError(f"regex trigger {rule.trigger!r} must use (?:...) groups only")
    if rule.language == "zh":
        return f"(?P<r{index}>{rule.trigger})"
    return f"(?P<r{index}>(?<!{_EN_WORD}){rule.trigger}(?!{_EN_WORD}))"


@lru_cache(maxsize=8)
def _matcher(languages: frozenset[str]) -> _Matcher:
    word_rules: dict[str, ContextRule] = {}
    char_rules: dict[str, ContextRule] = {}
    regex_rules: list[ContextRule] = []
    for rule in load_context_rules():
        if rule.language not in languages:
            continue
        if rule.match == "regex":
            regex_rules.append(rule)
        else:
            _add(word_rules if _whole_words(rule) else char_rules, rule)
    regex = "|".join(_regex_alternative(i, r) for i, r in enumerate(regex_rules))
    return _Matcher(
        words=compile_phrases(word_rules, whole_words=True),
        word_rules=word_rules,
        chars=compile_phrases(char_rules, whole_words=False),
        char_rules=char_rules,
        regex=re.compile(regex, re.IGNORECASE) if regex else None,
        regex_rules=tuple(regex_rules),
    )


def _languages(lang: str) -> frozenset[str]:
    if lang not in LANGS:
        raise InvalidInputError(f"lang must be one of {', '.join(LANGS)}; got {lang!r}")
    if lang in ("auto", "mixed"):
        return frozenset({"en", "zh", "any"})
    return frozenset({lang, "any"})


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    rule: ContextRule


def _hits(folded: str, matcher: _Matcher) -> list[_Hit]:
    """Every trigger in the text, leftmost first, then longest, without overlaps."""
    found = [
        _Hit(m.start(), m.end(), table[phrase_key(m.group())])
        for pattern, table in (
            (matcher.words, matcher.word_rules),
            (matcher.chars, matcher.char_rules),
        )
        for m in pattern.finditer(folded)
    ]
    if matcher.regex is not None:
        for m in matcher.regex.finditer(folded):
            assert m.lastgroup is not None
            found.append(_Hit(m.start(), m.end(), matcher.regex_rules[int(m.lastgroup[1:])]))
    found.sort(key=lambda h: (h.start, h.start - h.end))
    hits: list[_Hit] = []
    for hit in found:
        if not hits or hit.start >= hits[-1].end:
            hits.append(hit)
    return hits


# --- Scope


def _gap(folded: str, start: int, end: int, language: str) -> int:
    """Distance between trigger and finding: words for English, characters for Chinese."""
    if language == "zh":
        return end - start
    return len(folded[start:end].split())


def _applies(termination: ContextRule, trigger: ContextRule) -> bool:
    same_language = termination.language in ("any", trigger.language) or trigger.language == "any"
    return same_language and trigger.category in termination.terminates


def _in_scope(
    folded: str,
    trigger: _Hit,
    span: tuple[int, int],
    sentence: tuple[int, int],
    terminations: Sequence[_Hit],
) -> bool:
    rule = trigger.rule
    start, end = span
    if rule.direction in ("FORWARD", "BIDIRECTIONAL") and trigger.end <= start:
        stop = min(
            [t.start for t in terminations if t.start >= trigger.end and _applies(t.rule, rule)]
            + [sentence[1]]
        )
        near = rule.max_scope is None or (
            _gap(folded, trigger.end, start, rule.language) <= rule.max_scope
        )
        if start < stop and near:
            return True
    if rule.direction in ("BACKWARD", "BIDIRECTIONAL") and end <= trigger.start:
        begin = max(
            [t.end for t in terminations if t.end <= trigger.start and _applies(t.rule, rule)]
            + [sentence[0]]
        )
        near = rule.max_scope is None or (
            _gap(folded, end, trigger.start, rule.language) <= rule.max_scope
        )
        if start >= begin and near:
            return True
    return False


def _sentences(text: str) -> list[tuple[int, int]]:
    """`sentence_spans`, one line at a time (a line break always ends a sentence).

    Line by line keeps long multi-line texts linear: `sentence_spans` looks back over the
    whole text before each candidate boundary.
    """
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        offset = line.start()
        spans.extend((offset + s, offset + e) for s, e in sentence_spans(line.group()))
    return spans


def _sentence_bounds(
    sentences: list[tuple[int, int]], starts: list[int], start: int, end: int, length: int
) -> tuple[int, int]:
    """The sentence(s) holding [start, end); the whole text when no sentence is found."""
    if not sentences:
        return (0, length)
    first = max(bisect.bisect_right(starts, start) - 1, 0)
    last = max(bisect.bisect_right(starts, max(end - 1, start)) - 1, first)
    return (min(sentences[first][0], start), max(sentences[last][1], end))


def assess_spans(
    text: str, spans: Sequence[tuple[int, int]], lang: str = "auto"
) -> list[AssertionResult]:
    """Assert every span of `text` at once (one pass of the rules over the text).

    A trigger that overlaps any of the spans is ignored for all of them: in
    "四肢无力伴头晕" the "无" belongs to the finding 四肢无力 and negates nothing.

    Args:
        text: the source text (any width; offsets refer to it).
        spans: (start, end) character offsets of the findings.
        lang: "auto", "zh", "en" or "mixed": which rule sets apply ("auto" and "mixed": both).

    Returns:
        One `AssertionResult` per span, in the order given.
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"assert_span expects a str, got {type(text).__name__}")
    languages = _languages(lang)
    for start, end in spans:
        if not (0 <= start < end <= len(text)):
            raise InvalidInputError(
                f"span ({start}, {end}) is not inside the text of length {len(text)}; "
                "expected 0 <= start < end <= len(text)"
            )
    if not spans:
        return []
    folded = _fold(text)
    occupied = _Occupied(spans)
    hits = [h for h in _hits(folded, _matcher(languages)) if not occupied.overlaps(h.start, h.end)]
    terminations = [h for h in hits if h.rule.category == "TERMINATION"]
    triggers = [h for h in hits if h.rule.category not in ("TERMINATION", "PSEUDO")]
    trigger_starts = [h.start for h in triggers]
    termination_starts = [h.start for h in terminations]
    sentences = _sentences(text)
    sentence_starts = [s for s, _ in sentences]
    results = []
    for start, end in spans:
        sentence = _sentence_bounds(sentences, sentence_starts, start, end, len(text))
        lo = bisect.bisect_left(trigger_starts, sentence[0])
        hi = bisect.bisect_left(trigger_starts, sentence[1])
        local_terms = terminations[
            bisect.bisect_left(termination_starts, sentence[0]) : bisect.bisect_left(
                termination_starts, sentence[1]
            )
        ]
        fired = [
            h
            for h in triggers[lo:hi]
            if h.end <= sentence[1] and _in_scope(folded, h, (start, end), sentence, local_terms)
        ]
        categories = {h.rule.category for h in fired}
        assertion = next((a for c, a in _PRIORITY if c in categories), Assertion.PRESENT)
        results.append(
            AssertionResult(
                assertion,
                tuple(
                    Trigger(
                        text[h.start : h.end],
                        h.start,
                        h.end,
                        h.rule.category,
                        h.rule.direction,
                        h.rule.trigger,
                    )
                    for h in fired
                ),
            )
        )
    return results


class _Occupied:
    """The finding spans; answers "does [start, end) overlap any of them?" in O(log n)."""

    def __init__(self, spans: Sequence[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self._starts = [s for s, _ in ordered]
        self._max_end: list[int] = []
        running = -1
        for _, end in ordered:
            running = max(running, end)
            self._max_end.append(running)

    def overlaps(self, start: int, end: int) -> bool:
        # Among spans that start before `end`, the furthest end must pass `start`.
        index = bisect.bisect_left(self._starts, end) - 1
        return index >= 0 and self._max_end[index] > start


def explain_span(text: str, start: int, end: int, lang: str = "auto") -> AssertionResult:
    """The assertion of `text[start:end]` with the triggers that decided it."""
    return assess_spans(text, [(start, end)], lang)[0]


def assert_span(text: str, start: int, end: int, lang: str = "auto") -> Assertion:
    """Assert the finding at `text[start:end]` from the ConText rules within its sentence.

    Returns one of present, negated, uncertain, historical or family (see the module docstring
    for the priority when several apply). `lang`: "auto", "zh", "en" or "mixed".

    Example:
        >>> text = "无发热、咳嗽，咳痰3天。"
        >>> assert_span(text, 4, 6), assert_span(text, 7, 9)
        (<Assertion.NEGATED: 'negated'>, <Assertion.PRESENT: 'present'>)
    """
    return explain_span(text, start, end, lang).assertion
