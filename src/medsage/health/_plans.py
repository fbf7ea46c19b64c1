"""Personal care plans from a record and its risk scores: goals, actions and follow-up.

Rules are data (`resources/health/plan_rules.json`; see its "conventions" entry). Every item
carries the reasons that triggered it (the condition code, the observation id, the risk name)
and the guideline it comes from. Plans assist a clinician; each carries a disclaimer.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Final, Literal

from medsage.errors import DataFormatError, InvalidInputError
from medsage.health._alerts import OPS, display_name
from medsage.health._trends import Measurement, convert_value

__all__ = [
    "SECTIONS",
    "CarePlan",
    "PlanInputs",
    "PlanItem",
    "PlanReason",
    "load_plan_rules",
    "make_plan",
]

RULES_RESOURCE: Final = "health/plan_rules.json"
SECTIONS: Final = ("goal", "action", "follow_up")
SCHEMA: Final = "medsage.health.plan/1"
LANGS: Final = ("en", "zh")
STANDARDS: Final = ("international", "china")
SEXES: Final = ("female", "male", "other", "unknown")
_ICD10: Final = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")
_TRIGGERS: Final = ("condition", "measurement", "risk", "smoker", "medication", "missing", "age")
# KDIGO 2012 CKD guideline (Kidney Int Suppl 2013;3:1-150), Table 5 (GFR categories, lower
# bounds in mL/min/1.73 m2) and Table 7 (albuminuria categories, ACR in mg/g).
_G_STAGES: Final = ((90.0, "G1"), (60.0, "G2"), (45.0, "G3a"), (30.0, "G3b"), (15.0, "G4"))
_A2_FROM_MG_G: Final = 30.0  # A2: 30-300 mg/g
_A3_ABOVE_MG_G: Final = 300.0  # A3: > 300 mg/g
_EGFR_UNIT: Final = "mL/min/{1.73_m2}"
_HEADINGS: Final = {
    "en": {"goal": "Goals", "action": "Actions", "follow_up": "Follow-up",
           "title": "Care plan", "because": "Because", "source": "Source",
           "empty": "No rule applied to this record."},
    "zh": {"goal": "目标", "action": "行动", "follow_up": "随访",
           "title": "健康管理计划", "because": "依据", "source": "来源",
           "empty": "没有规则适用于此记录。"},
}  # fmt: skip

Section = Literal["goal", "action", "follow_up"]


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """What a plan is made from: demographics, the record's items and computed risks.

    `latest` holds the latest measurement per LOINC code; `risks` maps a score name to
    `RiskResult.to_dict()` (value, unit, category, details, reference). Smoking status comes as
    `smoker` (with the observation it was read from) or as an ICD-10 code (F17, Z72.0).
    """

    age: float
    sex: str
    conditions: Sequence[str] = ()
    medications: Sequence[str] = ()
    allergies: Sequence[str] = ()
    latest: Mapping[str, Measurement] = field(default_factory=dict)
    risks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    smoker: bool | None = None
    smoking_source_id: str | None = None


@dataclass(frozen=True, slots=True)
class PlanReason:
    """A record item or risk that triggered a plan item; `item_id` names it (ICD-10 code,
    observation id, risk name, medication as written)."""

    kind: str  # condition | measurement | risk | smoking | medication | age
    item_id: str
    text_en: str
    text_zh: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready dict."""
        return {"kind": self.kind, "id": self.item_id, "text_en": self.text_en,
                "text_zh": self.text_zh}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One goal, action or follow-up, with its reasons and guideline."""

    rule_id: str
    section: Section
    text_en: str
    text_zh: str
    reasons: tuple[PlanReason, ...]
    reference: str

    def text(self, lang: str = "en") -> str:
        """The item's text in `lang`."""
        return self.text_zh if lang == "zh" else self.text_en

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "rule_id": self.rule_id,
            "section": self.section,
            "text_en": self.text_en,
            "text_zh": self.text_zh,
            "reasons": [r.to_dict() for r in self.reasons],
            "reference": self.reference,
        }


@dataclass(frozen=True, slots=True)
class CarePlan:
    """Goals, actions and follow-up for one person, with a disclaimer."""

    goals: tuple[PlanItem, ...]
    actions: tuple[PlanItem, ...]
    follow_up: tuple[PlanItem, ...]
    disclaimer_en: str
    disclaimer_zh: str
    lang: str = "en"
    standard: str = "international"

    @property
    def items(self) -> tuple[PlanItem, ...]:
        """All items: goals, then actions, then follow-up."""
        return self.goals + self.actions + self.follow_up

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (schema `medsage.health.plan/1`)."""
        return {
            "schema": SCHEMA,
            "lang": self.lang,
            "standard": self.standard,
            "goals": [i.to_dict() for i in self.goals],
            "actions": [i.to_dict() for i in self.actions],
            "follow_up": [i.to_dict() for i in self.follow_up],
            "disclaimer_en": self.disclaimer_en,
            "disclaimer_zh": self.disclaimer_zh,
        }

    def to_text(self, lang: str | None = None) -> str:
        """The plan as plain text in `lang` (default: the plan's language)."""
        lang = _check_lang(lang or self.lang)
        words = _HEADINGS[lang]
        colon = "：" if lang == "zh" else ": "
        lines = [words["title"]]
        for section, items in (("goal", self.goals), ("action", self.actions),
                               ("follow_up", self.follow_up)):  # fmt: skip
            if not items:
                continue
            lines.append(f"{words[section]}")
            for number, item in enumerate(items, start=1):
                sep = "；" if lang == "zh" else "; "
                reasons = sep.join(r.text_zh if lang == "zh" else r.text_en for r in item.reasons)
                lines.append(f"  {number}. {item.text(lang)}")
                lines.append(f"     {words['because']}{colon}{reasons}")
                lines.append(f"     {words['source']}{colon}{item.reference}")
        if not self.items:
            lines.append(words["empty"])
        lines.append(self.disclaimer_zh if lang == "zh" else self.disclaimer_en)
        return "\n".join(lines)


# --- rules


@dataclass(frozen=True, slots=True)
class _PlanRules:
    data: dict[str, Any]
    definitions: dict[str, Any]
    rules: tuple[dict[str, Any], ...]


@lru_cache(maxsize=1)
def load_plan_rules() -> _PlanRules:
    """The packaged plan rules, checked (read on first use and cached)."""
    text = resources.files("medsage.resources").joinpath(RULES_RESOURCE).read_text("utf-8")
    return _parse_rules(json.loads(text))


def _parse_rules(data: Mapping[str, Any]) -> _PlanRules:
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        raise DataFormatError("plan rule data must hold a non-empty list under 'rules'")
    for key in ("disclaimer_en", "disclaimer_zh"):
        if not isinstance(data.get(key), str):
            raise DataFormatError(f"plan rule data must hold a string under {key!r}")
    definitions = dict(data.get("definitions") or {})
    ids: set[str] = set()
    for rule in rules:
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        if not isinstance(rule_id, str) or rule_id in ids:
            raise DataFormatError(f"plan rule ids must be unique strings; got {rule_id!r}")
        ids.add(rule_id)
        for key in ("text_en", "text_zh", "reference"):
            if not isinstance(rule.get(key), str):
                raise DataFormatError(f"plan rule {rule_id!r}: {key!r} must be a string")
        if rule.get("section") not in SECTIONS:
            raise DataFormatError(
                f"plan rule {rule_id!r}: section {rule.get('section')!r}; expected {SECTIONS}"
            )
        if not set(rule.get("standards", STANDARDS)) <= set(STANDARDS):
            raise DataFormatError(f"plan rule {rule_id!r}: standards must be some of {STANDARDS}")
        _check_node(rule.get("when"), definitions, rule_id)
    return _PlanRules(dict(data), definitions, tuple(rules))


def _check_node(node: Any, definitions: Mapping[str, Any], rule_id: str) -> None:
    if not isinstance(node, dict) or not node:
        raise DataFormatError(f"plan rule {rule_id!r}: a condition must be an object; got {node!r}")
    if "ref" in node:
        if node["ref"] not in definitions:
            raise DataFormatError(f"plan rule {rule_id!r}: unknown definition {node['ref']!r}")
        return
    if "any" in node or "all" in node:
        children = node.get("any", node.get("all"))
        if not isinstance(children, list) or not children:
            raise DataFormatError(f"plan rule {rule_id!r}: 'any'/'all' needs a non-empty list")
        for child in children:
            _check_node(child, definitions, rule_id)
        return
    if "not" in node:
        _check_node(node["not"], definitions, rule_id)
        return
    kinds = [k for k in _TRIGGERS if k in node]
    if len(kinds) != 1:
        raise DataFormatError(
            f"plan rule {rule_id!r}: a trigger needs exactly one of {_TRIGGERS}; got {sorted(node)}"
        )
    if kinds[0] in ("measurement", "risk") and node.get("op") not in OPS:
        raise DataFormatError(f"plan rule {rule_id!r}: op {node.get('op')!r}; expected {list(OPS)}")
    if kinds[0] == "measurement" and not isinstance(node.get("unit"), str):
        raise DataFormatError(f"plan rule {rule_id!r}: a measurement trigger needs a 'unit'")


# --- evaluation


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InvalidInputError(f"lang {lang!r}; expected one of {LANGS}")
    return lang


def _icd_key(code: str) -> str:
    return code.strip().upper().replace(".", "")


def _condition_matches(code: str, pattern: str) -> bool:
    key = _icd_key(code)
    if "-" in pattern:
        low, high = (_icd_key(part) for part in pattern.split("-", 1))
        return low <= key[:3] <= high
    return key.startswith(_icd_key(pattern))


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class _Evaluator:
    def __init__(self, inputs: PlanInputs, rules: _PlanRules) -> None:
        self.inputs = inputs
        self.rules = rules
        self.risk_names: dict[str, dict[str, str]] = rules.data.get("risk_names", {})

    # A node gives None when it does not hold, else the reasons it holds for.
    def holds(self, node: Mapping[str, Any]) -> list[PlanReason] | None:
        if "ref" in node:
            return self.holds(self.rules.definitions[node["ref"]])
        if "any" in node:
            found = [self.holds(child) for child in node["any"]]
            held = [r for r in found if r is not None]
            return [reason for reasons in held for reason in reasons] if held else None
        if "all" in node:
            out: list[PlanReason] = []
            for child in node["all"]:
                reasons = self.holds(child)
                if reasons is None:
                    return None
                out.extend(reasons)
            return out
        if "not" in node:
            return [] if self.holds(node["not"]) is None else None
        return self._trigger(node)

    def _trigger(self, node: Mapping[str, Any]) -> list[PlanReason] | None:
        if "condition" in node:
            hits = [
                PlanReason(
                    "condition", code, f"{node['label_en']}: {code}", f"{node['label_zh']}：{code}"
                )
                for code in self.inputs.conditions
                if any(_condition_matches(code, p) for p in node["condition"])
            ]
            return hits or None
        if "measurement" in node:
            return self._measurement(node)
        if "risk" in node:
            return self._risk(node)
        if "smoker" in node:
            if self.inputs.smoker is not bool(node["smoker"]):
                return None
            item = self.inputs.smoking_source_id or "smoker"
            return [PlanReason("smoking", item, "current smoker", "目前吸烟")]
        if "medication" in node:
            fragments = [f.lower() for f in node["medication"]]
            hits = [
                PlanReason(
                    "medication", name, f"{node['label_en']}: {name}", f"{node['label_zh']}：{name}"
                )
                for name in self.inputs.medications
                if any(f in name.lower() for f in fragments)
            ]
            return hits or None
        if "missing" in node:
            return None if any(c in self.inputs.latest for c in node["missing"]) else []
        bounds = node["age"]
        age = self.inputs.age
        if bounds.get("min", -math.inf) <= age <= bounds.get("max", math.inf):
            return [PlanReason("age", "age", f"age {_number(age)}", f"年龄{_number(age)}岁")]
        return None

    def latest_of(self, codes: Sequence[str]) -> tuple[str, Measurement] | None:
        present = [(m.time, c, m) for c in codes if (m := self.inputs.latest.get(c)) is not None]
        if not present:
            return None
        _, code, measurement = max(present, key=lambda x: (x[0], x[1]))
        return code, measurement

    def converted(self, code: str, measurement: Measurement, unit: str) -> float:
        try:
            return convert_value(measurement.value, measurement.unit, unit, code=code)
        except InvalidInputError as exc:
            raise InvalidInputError(f"observation {measurement.source_id!r}: {exc}") from None

    def _measurement(self, node: Mapping[str, Any]) -> list[PlanReason] | None:
        found = self.latest_of(node["measurement"])
        if found is None:
            return None
        code, measurement = found
        value = self.converted(code, measurement, node["unit"])
        if not OPS[node["op"]](value, float(node["value"])):
            return None
        return [self.measurement_reason(code, measurement, value, node["unit"])]

    def measurement_reason(
        self, code: str, measurement: Measurement, value: float, unit: str
    ) -> PlanReason:
        unit_text = {"mm[Hg]": "mmHg", _EGFR_UNIT: "mL/min/1.73 m2"}.get(unit, unit)
        date = measurement.time.date().isoformat()
        shown = f"{_number(value)}{unit_text}" if unit == "%" else f"{_number(value)} {unit_text}"
        return PlanReason(
            "measurement",
            measurement.source_id,
            f"{display_name(code, 'en')} {shown} ({date})",
            f"{display_name(code, 'zh')} {shown}（{date}）",
        )

    def risk_value(self, name: str) -> float | None:
        risk = self.inputs.risks.get(name)
        if risk is None:
            return None
        value = risk.get("value")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidInputError(
                f"risk {name!r} has value {value!r}; expected a finite number "
                "(pass RiskResult.to_dict())"
            )
        return float(value)

    def risk_reason(self, name: str) -> PlanReason:
        risk = self.inputs.risks[name]
        value = _number(float(risk["value"]))
        unit = str(risk.get("unit") or "")
        shown = f"{value}{unit}" if unit == "%" else f"{value} {unit}".rstrip()
        labels = self.risk_names.get(name, {"en": name, "zh": name})
        category = risk.get("category")
        extra = f" ({category})" if category else ""
        extra_zh = f"（{category}）" if category else ""
        return PlanReason("risk", name, f"{labels['en']} {shown}{extra}",
                          f"{labels['zh']} {shown}{extra_zh}")  # fmt: skip

    def _risk(self, node: Mapping[str, Any]) -> list[PlanReason] | None:
        value = self.risk_value(node["risk"])
        if value is None or not OPS[node["op"]](value, float(node["value"])):
            return None
        return [self.risk_reason(node["risk"])]


def _dedup(reasons: Sequence[PlanReason]) -> tuple[PlanReason, ...]:
    return tuple(dict.fromkeys(reasons))


def _ckd_item(rule: Mapping[str, Any], ev: _Evaluator, reasons: list[PlanReason]) -> PlanItem:
    """The KDIGO monitoring item: times a year from the G and A categories."""
    egfr: float | None = ev.risk_value("egfr_ckd_epi_2021")
    if egfr is not None:
        reasons.append(ev.risk_reason("egfr_ckd_epi_2021"))
    else:
        found = ev.latest_of(rule["egfr_codes"])
        if found is not None:
            egfr = ev.converted(found[0], found[1], _EGFR_UNIT)
            reasons.append(ev.measurement_reason(found[0], found[1], egfr, _EGFR_UNIT))
    if egfr is None:
        return PlanItem(rule["id"], "follow_up", rule["unstaged_en"], rule["unstaged_zh"],
                        _dedup(reasons), rule["reference"])  # fmt: skip
    g_stage = next((name for low, name in _G_STAGES if egfr >= low), "G5")
    a_stage: str | None = None
    acr = ev.latest_of(rule["acr_codes"])
    if acr is not None:
        ratio = ev.converted(acr[0], acr[1], "mg/g")
        a_stage = "A3" if ratio > _A3_ABOVE_MG_G else "A2" if ratio >= _A2_FROM_MG_G else "A1"
        reasons.append(ev.measurement_reason(acr[0], acr[1], ratio, "mg/g"))
    times = int(rule["times_per_year"][g_stage][a_stage or "A1"])
    stage_en = f"{g_stage} {a_stage}" if a_stage else f"{g_stage}; {rule['unknown_albuminuria_en']}"
    stage_zh = f"{g_stage} {a_stage}" if a_stage else f"{g_stage}；{rule['unknown_albuminuria_zh']}"
    text_en = rule["text_en"].format(frequency=rule["frequency_en"][str(times)], stage=stage_en)
    text_zh = rule["text_zh"].format(frequency=rule["frequency_zh"][str(times)], stage=stage_zh)
    return PlanItem(rule["id"], "follow_up", text_en, text_zh, _dedup(reasons), rule["reference"])


def _check_inputs(inputs: PlanInputs) -> None:
    age = inputs.age
    if isinstance(age, bool) or not isinstance(age, int | float) or not 0 <= age <= 130:
        raise InvalidInputError(f"age {age!r}; expected a number of years from 0 to 130")
    if inputs.sex not in SEXES:
        raise InvalidInputError(f"sex {inputs.sex!r}; expected one of {SEXES}")
    for code in inputs.conditions:
        if not isinstance(code, str) or not _ICD10.match(code.strip().upper()):
            raise InvalidInputError(
                f"condition {code!r} is not an ICD-10 code; expected e.g. 'I10' or 'E11.9'"
            )
    for code, measurement in inputs.latest.items():
        if not isinstance(measurement, Measurement):
            raise InvalidInputError(
                f"latest[{code!r}] is {type(measurement).__name__}; expected a Measurement"
            )
        if isinstance(measurement.value, bool) or not math.isfinite(measurement.value):
            raise InvalidInputError(
                f"observation {measurement.source_id!r} ({code}) has value "
                f"{measurement.value!r}; expected a finite number"
            )


def make_plan(inputs: PlanInputs, lang: str = "en", *, standard: str = "international") -> CarePlan:
    """A care plan from `inputs` by the packaged rules.

    Args:
        inputs: the record's items and risk results.
        lang: default language of `CarePlan.to_text` ("en" or "zh"); items carry both.
        standard: "international" or "china" cut-offs (e.g. BMI 25 or 24 for weight loss).

    Raises:
        InvalidInputError: a bad age, sex, ICD-10 code, measurement or risk value, or a
            measurement unit that does not convert to the rule's unit.
    """
    _check_lang(lang)
    if standard not in STANDARDS:
        raise InvalidInputError(f"standard {standard!r}; expected one of {STANDARDS}")
    _check_inputs(inputs)
    rules = load_plan_rules()
    ev = _Evaluator(inputs, rules)
    sections: dict[str, list[PlanItem]] = {name: [] for name in SECTIONS}
    for rule in rules.rules:
        if standard not in rule.get("standards", STANDARDS):
            continue
        reasons = ev.holds(rule["when"])
        if reasons is None:
            continue
        if rule.get("kind") == "ckd_monitoring":
            item = _ckd_item(rule, ev, list(reasons))
        else:
            item = PlanItem(rule["id"], rule["section"], rule["text_en"], rule["text_zh"],
                            _dedup(reasons), rule["reference"])  # fmt: skip
        sections[item.section].append(item)
    return CarePlan(
        goals=tuple(sections["goal"]),
        actions=tuple(sections["action"]),
        follow_up=tuple(sections["follow_up"]),
        disclaimer_en=rules.data["disclaimer_en"],
        disclaimer_zh=rules.data["disclaimer_zh"],
        lang=lang,
        standard=standard,
    )
