"""Alerts over measurement series: thresholds on the latest value and rapid change over time.

Rules are data (`resources/health/alert_rules.json`), each with the guideline it comes from;
see the file's "conventions" entry. `evaluate_alerts` takes plain `Measurement` lists keyed by
LOINC code and returns alerts that name the observations behind them.
"""

from __future__ import annotations

import json
import math
import operator
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from importlib import resources
from typing import Any, Final, Literal, cast

from medsage.errors import DataFormatError, InvalidInputError
from medsage.health._trends import DAYS_PER_MONTH, Measurement, convert_value, trend

__all__ = [
    "KINDS",
    "SEVERITIES",
    "STANDARDS",
    "Alert",
    "AlertRule",
    "Threshold",
    "alert_thresholds",
    "display_name",
    "evaluate_alerts",
    "load_alert_rules",
    "parse_alert_rules",
]

RULES_RESOURCE: Final = "health/alert_rules.json"
KINDS: Final = ("threshold", "rapid_change")
SEVERITIES: Final = ("urgent", "warning", "info")  # most severe first
STANDARDS: Final = ("international", "china")
OPS: Final[dict[str, Callable[[float, float], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_PLACEHOLDERS: Final = frozenset(
    ("display", "value", "unit", "threshold", "date", "slope", "rate", "per", "n", "months")
)
# UCUM codes as people write them in messages.
_UNIT_DISPLAY: Final = {"mm[Hg]": "mmHg", "mL/min/{1.73_m2}": "mL/min/1.73 m2"}

Severity = Literal["urgent", "warning", "info"]
AlertKind = Literal["threshold", "rapid_change"]
Standard = Literal["international", "china"]


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One rule of the data file (see its "conventions")."""

    rule_id: str
    kind: AlertKind
    codes: tuple[str, ...]
    unit: str
    severity: Severity
    message_en: str
    message_zh: str
    reference: str
    group: str | None = None
    op: str | None = None  # threshold rules
    value: float | None = None
    direction: str | None = None  # rapid_change rules
    rate: float | None = None
    per: str | None = None
    window_days: int | None = None
    min_points: int | None = None
    min_span_days: int | None = None
    standards: tuple[str, ...] = STANDARDS

    def to_dict(self) -> dict[str, Any]:
        """The rule as it is written in the data file."""
        out: dict[str, Any] = {"id": self.rule_id}
        if self.group is not None:
            out["group"] = self.group
        out |= {"codes": list(self.codes), "kind": self.kind}
        if self.kind == "threshold":
            out |= {"op": self.op, "value": self.value}
        else:
            out |= {"direction": self.direction, "rate": self.rate, "per": self.per}
        out |= {"unit": self.unit}
        if self.kind == "rapid_change":
            out |= {
                "window_days": self.window_days,
                "min_points": self.min_points,
                "min_span_days": self.min_span_days,
            }
        out["severity"] = self.severity
        if self.standards != STANDARDS:
            out["standards"] = list(self.standards)
        out |= {
            "message_en": self.message_en,
            "message_zh": self.message_zh,
            "reference": self.reference,
        }
        return out


@dataclass(frozen=True, slots=True)
class Alert:
    """A rule that fired on one series, with the observations behind it."""

    code: str
    kind: AlertKind
    severity: Severity
    message_en: str
    message_zh: str
    observation_ids: tuple[str, ...]
    rule_id: str
    reference: str

    def message(self, lang: str = "en") -> str:
        """The message in `lang` ("en" or "zh")."""
        return self.message_zh if lang == "zh" else self.message_en

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "code": self.code,
            "kind": self.kind,
            "severity": self.severity,
            "rule_id": self.rule_id,
            "message_en": self.message_en,
            "message_zh": self.message_zh,
            "observation_ids": list(self.observation_ids),
            "reference": self.reference,
        }


@dataclass(frozen=True, slots=True)
class Threshold:
    """A threshold line for a plot: the value, its unit, the rule and its severity."""

    value: float
    unit: str
    label: str
    severity: str


@lru_cache(maxsize=1)
def _packaged() -> tuple[dict[str, dict[str, str]], tuple[AlertRule, ...]]:
    text = resources.files("medsage.resources").joinpath(RULES_RESOURCE).read_text("utf-8")
    data = json.loads(text)
    return dict(data.get("measurements", {})), parse_alert_rules(data)


def load_alert_rules() -> tuple[AlertRule, ...]:
    """The packaged rules (read on first use and cached)."""
    return _packaged()[1]


def display_name(code: str, lang: str = "en") -> str:
    """The display name of LOINC `code` in `lang`, or "LOINC <code>" when the table lacks it."""
    names = _packaged()[0].get(code)
    if names is None:
        return f"LOINC {code}"
    return names["display_zh" if lang == "zh" else "display_en"]


def _need(raw: Mapping[str, Any], key: str, kind: type | tuple[type, ...], rule_id: str) -> Any:
    value = raw.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise DataFormatError(
            f"alert rule {rule_id!r}: {key!r} is {value!r}; expected {_kind_name(kind)}"
        )
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _check_message(template: str, rule_id: str) -> None:
    names = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    unknown = names - _PLACEHOLDERS
    if unknown:
        raise DataFormatError(
            f"alert rule {rule_id!r}: unknown placeholders {sorted(unknown)}; "
            f"allowed: {sorted(_PLACEHOLDERS)}"
        )


def _rule(raw: Mapping[str, Any]) -> AlertRule:
    if not isinstance(raw, Mapping):
        raise DataFormatError(f"each alert rule must be an object; got {raw!r}")
    rule_id = _need(raw, "id", str, "?")
    kind = _need(raw, "kind", str, rule_id)
    if kind not in KINDS:
        raise DataFormatError(f"alert rule {rule_id!r}: kind {kind!r}; expected one of {KINDS}")
    severity = _need(raw, "severity", str, rule_id)
    if severity not in SEVERITIES:
        raise DataFormatError(
            f"alert rule {rule_id!r}: severity {severity!r}; expected one of {SEVERITIES}"
        )
    codes = _need(raw, "codes", list, rule_id)
    if not codes or not all(isinstance(c, str) and c for c in codes):
        raise DataFormatError(f"alert rule {rule_id!r}: 'codes' must list LOINC codes")
    standards = tuple(raw.get("standards", STANDARDS))
    if not standards or not set(standards) <= set(STANDARDS):
        raise DataFormatError(
            f"alert rule {rule_id!r}: standards {list(standards)}; expected some of {STANDARDS}"
        )
    texts = {key: _need(raw, key, str, rule_id) for key in ("message_en", "message_zh")}
    for template in texts.values():
        _check_message(template, rule_id)
    group = raw.get("group")
    if group is not None and not isinstance(group, str):
        raise DataFormatError(f"alert rule {rule_id!r}: 'group' must be a string")
    common: dict[str, Any] = {
        "rule_id": rule_id,
        "kind": cast(AlertKind, kind),
        "codes": tuple(codes),
        "unit": _need(raw, "unit", str, rule_id),
        "severity": cast(Severity, severity),
        "reference": _need(raw, "reference", str, rule_id),
        "group": group,
        "standards": standards,
        **texts,
    }
    if kind == "threshold":
        op = _need(raw, "op", str, rule_id)
        if op not in OPS:
            raise DataFormatError(f"alert rule {rule_id!r}: op {op!r}; expected one of {list(OPS)}")
        return AlertRule(**common, op=op, value=float(_need(raw, "value", (int, float), rule_id)))
    direction = _need(raw, "direction", str, rule_id)
    per = _need(raw, "per", str, rule_id)
    if direction not in ("increase", "decrease") or per not in ("month", "year"):
        raise DataFormatError(
            f"alert rule {rule_id!r}: direction {direction!r} / per {per!r}; expected "
            "'increase' or 'decrease' / 'month' or 'year'"
        )
    ints = {k: _need(raw, k, int, rule_id) for k in ("window_days", "min_points", "min_span_days")}
    if ints["min_points"] < 2 or ints["min_span_days"] < 1 or ints["window_days"] < 1:
        raise DataFormatError(
            f"alert rule {rule_id!r}: needs min_points >= 2, min_span_days >= 1, window_days >= 1"
        )
    rate = float(_need(raw, "rate", (int, float), rule_id))
    if rate <= 0:
        raise DataFormatError(f"alert rule {rule_id!r}: rate {rate}; expected a positive number")
    return AlertRule(**common, direction=direction, rate=rate, per=per, **ints)


def parse_alert_rules(data: Mapping[str, Any]) -> tuple[AlertRule, ...]:
    """Check and build the rules of a data file ({"rules": [...]})."""
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise DataFormatError("alert rule data must hold a non-empty list under 'rules'")
    rules = tuple(_rule(raw) for raw in raw_rules)
    ids = [r.rule_id for r in rules]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise DataFormatError(f"alert rule ids must be unique; repeated: {repeated}")
    return rules


def _number(value: float) -> str:
    """A value as people write it: at most 2 decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _unit_text(unit: str) -> str:
    return _UNIT_DISPLAY.get(unit, unit)


def _messages(rule: AlertRule, code: str, fields: dict[str, str]) -> tuple[str, str]:
    en = rule.message_en.format_map({**fields, "display": display_name(code, "en")})
    zh = rule.message_zh.format_map({**fields, "display": display_name(code, "zh")})
    return en, zh


def _in_rule_unit(points: Sequence[Measurement], rule: AlertRule, code: str) -> list[Measurement]:
    out = []
    for p in points:
        if isinstance(p.value, bool) or not math.isfinite(p.value):
            raise InvalidInputError(
                f"observation {p.source_id!r} ({code}) has value {p.value!r}; "
                "expected a finite number"
            )
        try:
            value = convert_value(p.value, p.unit, rule.unit, code=code)
        except InvalidInputError as exc:
            raise InvalidInputError(f"observation {p.source_id!r}: {exc}") from None
        out.append(Measurement(p.time, value, rule.unit, p.source_id))
    return out


def _threshold_alert(rule: AlertRule, code: str, latest: Measurement) -> Alert | None:
    assert rule.op is not None and rule.value is not None
    (point,) = _in_rule_unit([latest], rule, code)
    if not OPS[rule.op](point.value, rule.value):
        return None
    fields = {
        "value": _number(point.value),
        "unit": _unit_text(rule.unit),
        "threshold": _number(rule.value),
        "date": point.time.date().isoformat(),
    }
    en, zh = _messages(rule, code, fields)
    return Alert(code, "threshold", rule.severity, en, zh, (point.source_id,), rule.rule_id,
                 rule.reference)  # fmt: skip


def _rapid_change_alert(rule: AlertRule, code: str, ordered: list[Measurement]) -> Alert | None:
    assert rule.window_days is not None and rule.min_points is not None
    assert rule.min_span_days is not None and rule.rate is not None
    start = ordered[-1].time - timedelta(days=rule.window_days)
    window = [p for p in ordered if p.time >= start]
    if len(window) < rule.min_points:
        return None
    span_days = (window[-1].time - window[0].time).total_seconds() / 86_400.0
    if span_days < rule.min_span_days:
        return None
    fit = trend(_in_rule_unit(window, rule, code), code=code, unit=rule.unit)
    slope = fit.slope_per_month if rule.per == "month" else fit.slope_per_year
    fired = slope > rule.rate if rule.direction == "increase" else slope < -rule.rate
    if not fired:
        return None
    fields = {
        "slope": _number(abs(slope)),
        "rate": _number(rule.rate),
        "per": rule.per or "",
        "unit": _unit_text(rule.unit),
        "n": str(fit.n),
        "months": _number(span_days / DAYS_PER_MONTH),
        "date": fit.last.time.date().isoformat(),
    }
    en, zh = _messages(rule, code, fields)
    ids = tuple(p.source_id for p in fit.points)
    return Alert(code, "rapid_change", rule.severity, en, zh, ids, rule.rule_id,
                 rule.reference)  # fmt: skip


def evaluate_alerts(
    series: Mapping[str, Sequence[Measurement]],
    *,
    standard: Standard = "international",
    rules: Sequence[AlertRule] | None = None,
) -> list[Alert]:
    """The alerts the rules raise on `series` (LOINC code -> measurements, any order).

    Threshold rules test the latest measurement of a series; of the threshold rules of one
    group only the most severe that fires is kept. Rapid-change rules fit a line through the
    measurements of their window. Codes without rules and empty series raise nothing.

    Args:
        series: measurements per LOINC code.
        standard: "international" or "china" cut-offs (rules limited to one standard).
        rules: rules to use instead of the packaged ones.

    Returns:
        Alerts sorted by severity (urgent first), then code, then rule id.

    Raises:
        InvalidInputError: an unknown standard, a bad measurement, or a unit that does not
            convert to the rule's unit (the message names the observation).
    """
    if standard not in STANDARDS:
        raise InvalidInputError(f"standard {standard!r}; expected one of {STANDARDS}")
    active = [
        r for r in (load_alert_rules() if rules is None else rules) if standard in r.standards
    ]
    alerts: list[Alert] = []
    for code, points in series.items():
        code_rules = [r for r in active if code in r.codes]
        if not points or not code_rules:
            continue
        ordered = sorted(points, key=lambda p: (p.time, p.source_id))
        best_in_group: dict[str, Alert] = {}
        for rule in code_rules:
            alert = (
                _threshold_alert(rule, code, ordered[-1])
                if rule.kind == "threshold"
                else _rapid_change_alert(rule, code, ordered)
            )
            if alert is None:
                continue
            if rule.group is None:
                alerts.append(alert)
                continue
            held = best_in_group.get(rule.group)
            if held is None or _rank(alert) < _rank(held):
                best_in_group[rule.group] = alert
        alerts.extend(best_in_group.values())
    return sorted(alerts, key=lambda a: (_rank(a), a.code, a.rule_id))


def _rank(alert: Alert) -> int:
    return SEVERITIES.index(alert.severity)


def alert_thresholds(code: str, *, standard: Standard = "international") -> list[Threshold]:
    """The threshold values the packaged rules set for `code` (for plots), lowest first."""
    out = [
        Threshold(
            rule.value,
            rule.unit,
            f"{rule.op} {_number(rule.value)} ({rule.severity})",
            rule.severity,
        )
        for rule in load_alert_rules()
        if rule.kind == "threshold"
        and code in rule.codes
        and standard in rule.standards
        and rule.value is not None
    ]
    return sorted(out, key=lambda t: (t.value, t.label))
