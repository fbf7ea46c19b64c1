"""Red flags and triage: emergencies in Chinese and English text, whatever a classifier says.

The rules are package data (`resources/diagnosis/red_flags.json`), each with the guideline it
comes from, a level (emergency or urgent), titles and advice in both languages, and a condition
tree over three kinds of evidence:

- findings from `medsage.text.find_findings` (lexicon concepts such as chest_pain);
- phrases, regular expressions for wording the lexicon lacks ("spreading to my left arm",
  "压之不褪色"), each match asserted by the ConText rules like a finding (`assess_spans`,
  the batch form of `medsage.text.assert_span`);
- measurements from `medsage.text.find_measurements` against thresholds (SpO2 < 90 %).

A mention counts when it is present or uncertain; negated, historical and family mentions never
count. Uncertain mentions count because a red flag errs on the side of safety: "is this chest
pain and sweating serious?" is a question about a symptom the writer has. Rules whose phrases
name a disease ("anaphylaxis") mark them `certain` so that "risk of anaphylaxis" does not fire.

`triage` turns the flags into one level: emergency (an emergency rule fired), urgent (an urgent
rule fired or a measurement crossed a threshold in `THRESHOLDS`), self_care (only mild
complaints from `MILD_CONCEPTS` and nothing else), or routine. Titles and advice follow the
text's language: Chinese when `detect_language` says "zh", else English.

Patients and carers write differently from case notes, so the cues of the file's
"message_context" entry adjust the assertion before a mention counts (a relative is the patient,
hypotheticals and general questions count nothing, a negation inside a symptom such as "not
making sense" stays there); see `medsage.diagnosis._message_context`.

Known limits: rules never see time words that the assertion rules lack ("chest pain last year"
still fires).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Final

from medsage.diagnosis._message_context import MessageFrame
from medsage.diagnosis._red_flag_rules import (
    LEVELS,
    MEASURES,
    OPS,
    Condition,
    FindingCondition,
    MeasureCondition,
    PhraseCondition,
    RedFlagRule,
    load_red_flag_rules,
    parse_red_flag_rules,
    rule_concepts,
)
from medsage.errors import InvalidInputError
from medsage.text import (
    Assertion,
    Finding,
    Measurement,
    detect_language,
    find_findings,
    find_measurements,
)
from medsage.text._assertion import assess_spans

__all__ = [
    "LEVELS",
    "MEASURES",
    "MILD_CONCEPTS",
    "THRESHOLDS",
    "AbnormalMeasurement",
    "Evidence",
    "RedFlag",
    "RedFlagRule",
    "Threshold",
    "Triage",
    "abnormal_measurements",
    "check_red_flags",
    "load_red_flag_rules",
    "parse_red_flag_rules",
    "rule_concepts",
    "triage",
]

LANGS: Final = ("auto", "zh", "en", "mixed")
_COUNTED: Final = (Assertion.PRESENT, Assertion.UNCERTAIN)
# Complaints that alone call for self-care: common cold, sore throat and acute cough (NICE NG84
# Sore throat (acute): antimicrobial prescribing, 2018; NICE NG120 Cough (acute), 2019; NICE CKS
# Common cold, 2022: self-limiting, self-care with safety-netting advice).
MILD_CONCEPTS: Final = frozenset(
    {
        "runny_nose",
        "nasal_congestion",
        "sneezing",
        "nasal_itching",
        "sore_throat",
        "throat_discomfort",
        "hoarseness",
        "cough",
        "watery_eyes",
        "itchy_eyes",
    }
)


@dataclass(frozen=True, slots=True)
class Threshold:
    """A measurement value that calls for urgent assessment on its own."""

    measure: str  # one of MEASURES
    flag: str  # "low" or "high"
    op: str
    value: float
    source: str


_NEWS2: Final = "NEWS2 (Royal College of Physicians 2017): scores 3"
# Each threshold is a single-parameter trigger for urgent review in the source given.
THRESHOLDS: Final[tuple[Threshold, ...]] = (
    # NEWS2 SpO2 scale 1 scores 3 at <= 91 %; NICE NG51 high risk: oxygen needed to keep >= 92 %.
    Threshold("spo2", "low", "<", 92.0, f"{_NEWS2} at SpO2 <= 91 %; NICE NG51 (2016)"),
    # 2017 ACC/AHA guideline 11.2 (Whelton et al., Hypertension 2018;71:e13): severe elevation
    # > 180/120; ESC/ESH 2018 grade 3 starts at 180. Read as >= here, as in the issue.
    Threshold("sbp", "high", ">=", 180.0, "2017 ACC/AHA guideline 11.2; 2018 ESC/ESH grade 3"),
    Threshold("dbp", "high", ">=", 120.0, "2017 ACC/AHA guideline 11.2 (hypertensive crisis)"),
    Threshold("sbp", "low", "<=", 90.0, f"{_NEWS2} at SBP <= 90; NICE NG51 high risk"),
    # NEWS2 scores 2 from 39.1 °C; notes round to tenths, so >= 39.0 is the practical cut-off.
    Threshold("temperature", "high", ">=", 39.0, "NEWS2 (RCP 2017): scores 2 at >= 39.1 °C"),
    Threshold("temperature", "low", "<=", 35.0, f"{_NEWS2} at <= 35.0 °C"),
    Threshold("heart_rate", "high", ">=", 131.0, f"{_NEWS2} at >= 131; NICE NG51 HR > 130"),
    Threshold("heart_rate", "low", "<=", 40.0, f"{_NEWS2} at <= 40/min"),
    Threshold("respiratory_rate", "high", ">=", 25.0, f"{_NEWS2} at >= 25/min; NICE NG51"),
    Threshold("respiratory_rate", "low", "<=", 8.0, f"{_NEWS2} at <= 8/min"),
    # ADA Standards of Care 2024 section 6: level 2 hypoglycaemia < 54 mg/dL (3.0 mmol/L).
    Threshold("glucose", "low", "<", 3.0, "ADA Standards of Care 2024, 6: level 2 < 3.0 mmol/L"),
    # ADA consensus on hyperglycaemic crises (Kitabchi et al., Diabetes Care 2009;32:1335): HHS
    # glucose > 600 mg/dL (33.3 mmol/L).
    Threshold("glucose", "high", ">=", 33.3, "ADA hyperglycaemic crises (Kitabchi 2009): HHS"),
)
_THRESHOLD_KIND: Final = {"sbp": "systolic_bp", "dbp": "diastolic_bp"}


# --- Results


@dataclass(frozen=True, slots=True)
class Evidence:
    """Text that made a rule fire: `text == source[start:end]`."""

    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict of every field."""
        return {"text": self.text, "start": self.start, "end": self.end}


@dataclass(frozen=True, slots=True)
class RedFlag:
    """A rule that fired, with its title and advice in the text's language."""

    rule_id: str
    level: str
    title: str
    advice: str
    source: str
    evidence: list[Evidence]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (evidence as dicts)."""
        data = {f: getattr(self, f) for f in ("rule_id", "level", "title", "advice", "source")}
        return {**data, "evidence": [e.to_dict() for e in self.evidence]}


@dataclass(frozen=True, slots=True)
class AbnormalMeasurement:
    """A measurement past a threshold in `THRESHOLDS` (blood pressure as systolic/diastolic)."""

    kind: str
    text: str
    start: int
    end: int
    value: float
    unit: str
    flag: str
    op: str
    threshold: float
    source: str

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict of every field."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Triage:
    """The triage level, the rules that fired (emergency first) and abnormal measurements."""

    level: str
    rules: list[RedFlag]
    abnormal: list[AbnormalMeasurement] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "level": self.level,
            "rules": [r.to_dict() for r in self.rules],
            "abnormal": [a.to_dict() for a in self.abnormal],
        }


# --- Evaluation


class _Case:
    """One text with its findings, measurements and (lazily) phrase matches."""

    def __init__(
        self,
        text: str,
        lang: str,
        findings: Sequence[Finding],
        measurements: Sequence[Measurement],
    ) -> None:
        self.text = text
        self.lang = lang
        self.languages = ("en", "zh") if lang in ("auto", "mixed") else (lang,)
        self._frame = MessageFrame(text, self.languages)
        self._folded = self._frame.folded
        self.concepts: dict[str, list[Evidence]] = {}
        for f in findings:
            if self._frame.counts(f.assertion, f.triggers, f.start, f.end, _COUNTED):
                self.concepts.setdefault(f.concept, []).append(Evidence(f.text, f.start, f.end))
        self.values: dict[str, list[tuple[float, Evidence]]] = {}
        for name, value, m in _measure_values(measurements):
            self.values.setdefault(name, []).append((value, Evidence(m.text, m.start, m.end)))
        # keyed by identity: the rules are loaded once, and hashing a condition (its compiled
        # patterns) on every look-up cost more than the look-up
        self._phrases: dict[int, list[Evidence]] = {}

    def phrases(self, condition: PhraseCondition) -> list[Evidence]:
        """Matches of the condition's patterns whose assertion counts (asserted in one pass)."""
        key = id(condition)
        if key not in self._phrases:
            allowed = (Assertion.PRESENT,) if condition.certain else _COUNTED
            spans = sorted(
                {
                    (m.start(), m.end())
                    for language, pattern in condition.patterns
                    if language in self.languages
                    for m in pattern.finditer(self._folded)
                    if m.end() > m.start()
                }
            )
            results = assess_spans(self.text, spans, self.lang)
            self._phrases[key] = [
                Evidence(self.text[s:e], s, e)
                for (s, e), result in zip(spans, results, strict=True)
                if self._frame.counts(result.assertion, result.triggers, s, e, allowed)
            ]
        return self._phrases[key]

    def holds(self, condition: Condition) -> list[Evidence] | None:
        """The evidence for `condition`, or None when it does not hold."""
        if isinstance(condition, FindingCondition):
            hits = [e for c in sorted(condition.concepts) for e in self.concepts.get(c, [])]
        elif isinstance(condition, PhraseCondition):
            hits = self.phrases(condition)
        elif isinstance(condition, MeasureCondition):
            compare = OPS[condition.op]
            hits = [
                e for v, e in self.values.get(condition.measure, []) if compare(v, condition.value)
            ]
        else:
            held = [h for h in (self.holds(c) for c in condition.children) if h is not None]
            if len(held) < (condition.need or len(condition.children)):
                return None
            hits = [e for h in held for e in h]
        return self._merged(hits) if hits else None

    def _merged(self, hits: Iterable[Evidence]) -> list[Evidence]:
        """Evidence in text order, overlapping spans ("怀孕" + "孕6周") joined into one."""
        spans: list[list[int]] = []
        for e in sorted(hits, key=lambda e: (e.start, e.end)):
            if spans and e.start < spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], e.end)
            else:
                spans.append([e.start, e.end])
        return [Evidence(self.text[s:e], s, e) for s, e in spans]


def _measure_values(
    measurements: Iterable[Measurement],
) -> Iterable[tuple[str, float, Measurement]]:
    """(measure name, canonical value, measurement) for the plausible values rules can test."""
    for m in measurements:
        if not m.plausible:
            continue
        if m.kind == "blood_pressure":
            yield "sbp", m.canonical_value, m
            if m.diastolic is not None:
                yield "dbp", m.diastolic, m
        elif m.kind == "systolic_bp":
            yield "sbp", m.canonical_value, m
        elif m.kind == "diastolic_bp":
            yield "dbp", m.canonical_value, m
        elif m.kind in MEASURES:
            yield m.kind, m.canonical_value, m


# --- Public functions


def abnormal_measurements(measurements: Iterable[Measurement]) -> list[AbnormalMeasurement]:
    """Measurements past a threshold of `THRESHOLDS`, in text order (systolic before diastolic)."""
    found: list[AbnormalMeasurement] = []
    for name, value, m in _measure_values(measurements):
        for t in THRESHOLDS:
            if t.measure == name and OPS[t.op](value, t.value):
                found.append(
                    AbnormalMeasurement(
                        kind=_THRESHOLD_KIND.get(name, name),
                        text=m.text,
                        start=m.start,
                        end=m.end,
                        value=value,
                        unit=m.canonical_unit,
                        flag=t.flag,
                        op=t.op,
                        threshold=t.value,
                        source=t.source,
                    )
                )
    return found


def _check_input(text: object, lang: str) -> None:
    if not isinstance(text, str):
        raise InvalidInputError(f"expected the text as a str, got {type(text).__name__}")
    if lang not in LANGS:
        raise InvalidInputError(f"lang must be one of {', '.join(LANGS)}; got {lang!r}")


def _output_language(text: str, lang: str) -> str:
    if lang in ("zh", "en"):
        return lang
    return "zh" if detect_language(text) == "zh" else "en"


def _flags(
    text: str, lang: str, findings: Sequence[Finding], measurements: Sequence[Measurement]
) -> list[RedFlag]:
    case = _Case(text, lang, findings, measurements)
    out_lang = _output_language(text, lang)
    flags = []
    for rule in load_red_flag_rules():
        evidence = case.holds(rule.condition)
        if evidence is not None:
            flags.append(
                RedFlag(
                    rule_id=rule.rule_id,
                    level=rule.level,
                    title=rule.titles[out_lang],
                    advice=rule.advice[out_lang],
                    source=rule.source,
                    evidence=evidence,
                )
            )
    return sorted(flags, key=lambda f: LEVELS.index(f.level))


def check_red_flags(
    text: str,
    lang: str = "auto",
    findings: Sequence[Finding] | None = None,
    measurements: Sequence[Measurement] | None = None,
) -> list[RedFlag]:
    """The red-flag rules that fire on `text`, emergencies first, each with its evidence.

    Args:
        text: a case note or a patient's question, Chinese, English or mixed.
        lang: "auto" or "mixed" (both languages), "zh" or "en". Titles and advice are in
            `lang`, or for "auto"/"mixed" in Chinese when the text is Chinese, else English.
        findings: findings already found in `text` (default: `find_findings(text, lang)`).
        measurements: measurements already found in `text` (default: `find_measurements`).

    Example:
        >>> [f.rule_id for f in check_red_flags("无胸痛，吐血一次")]
        ['upper_gi_bleeding']
    """
    _check_input(text, lang)
    if findings is None:
        findings = find_findings(text, lang)
    if measurements is None:
        measurements = find_measurements(text)
    return _flags(text, lang, findings, measurements)


def triage(
    text: str,
    lang: str = "auto",
    findings: Sequence[Finding] | None = None,
    measurements: Sequence[Measurement] | None = None,
) -> Triage:
    """One triage level for `text` with the rules that fired and the abnormal measurements.

    emergency: an emergency rule fired. urgent: an urgent rule fired or a measurement crossed a
    threshold of `THRESHOLDS`. self_care: every present or uncertain finding is a mild complaint
    of `MILD_CONCEPTS` (runny nose, sneezing, sore throat...) and nothing else. routine: the rest.
    Arguments as for `check_red_flags`.
    """
    _check_input(text, lang)
    if findings is None:
        findings = find_findings(text, lang)
    if measurements is None:
        measurements = find_measurements(text)
    flags = _flags(text, lang, findings, measurements)
    abnormal = abnormal_measurements(measurements)
    complaints = {f.concept for f in findings if f.assertion in _COUNTED}
    if any(f.level == "emergency" for f in flags):
        level = "emergency"
    elif flags or abnormal:
        level = "urgent"
    elif complaints and complaints <= MILD_CONCEPTS:
        level = "self_care"
    else:
        level = "routine"
    return Triage(level, flags, abnormal)
