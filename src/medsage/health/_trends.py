"""Trends of one measurement over time: a least-squares line, change per month and per year.

Works on plain `Measurement`s (no store), so any source can feed it. Units are compared after
spelling aliases are folded (mm[Hg] = mmHg, µmol/L = umol/L); a series in two units of one
analyte with a cited conversion factor (creatinine, glucose, cholesterol, HbA1c) is converted,
any other mix is an error that names the units and the observations in each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from medsage.errors import EmptyInputError, InvalidInputError

__all__ = [
    "DAYS_PER_MONTH",
    "DAYS_PER_YEAR",
    "Measurement",
    "Trend",
    "convert_value",
    "same_unit",
    "trend",
]

# A Julian year (365.25 days) and a twelfth of it, so 12 months make exactly one year.
DAYS_PER_YEAR: Final = 365.25
DAYS_PER_MONTH: Final = DAYS_PER_YEAR / 12.0
_SECONDS_PER_DAY: Final = 86_400.0

# Spellings of one unit folded to one key (compared case-insensitively after this).
_UNIT_ALIASES: Final[dict[str, str]] = {
    "mm[hg]": "mmhg",
    "mm hg": "mmhg",
    "µmol/l": "umol/l",
    "μmol/l": "umol/l",
    "meq/l": "mmol/l",  # monovalent ions (K+, Na+, Cl-): 1 mEq = 1 mmol
    "{beats}/min": "/min",
    "beats/min": "/min",
    "bpm": "/min",
    "kg/m^2": "kg/m2",
    "kg/m²": "kg/m2",
    "ml/min/{1.73_m2}": "ml/min/1.73m2",
    "ml/min/1.73 m2": "ml/min/1.73m2",
    "ml/min/1.73m^2": "ml/min/1.73m2",
    "ml/min/1.73 m^2": "ml/min/1.73m2",
    "ml/min/1.73m²": "ml/min/1.73m2",
}

# Analytes whose units convert: LOINC codes -> analyte, and per analyte each unit key as
# (scale, offset) into the analyte's base unit: base = value * scale + offset.
_ANALYTE_CODES: Final[dict[str, str]] = {
    **dict.fromkeys(("2160-0", "38483-4", "14682-9", "77140-2"), "creatinine"),
    **dict.fromkeys(("2339-0", "2345-7", "1558-6", "14749-6", "15074-8"), "glucose"),
    **dict.fromkeys(("2093-3", "2085-9", "18262-6", "13457-7", "2089-1"), "cholesterol"),
    **dict.fromkeys(("4548-4", "17856-6"), "hba1c"),
    **dict.fromkeys(("33914-3", "62238-1", "98979-8", "48642-3", "48643-1"), "egfr"),
    **dict.fromkeys(("9318-7", "14959-1"), "acr"),
}
_CONVERSIONS: Final[dict[str, dict[str, tuple[float, float]]]] = {
    # Creatinine 113.12 g/mol: 1 mg/dL = 88.4 umol/L, the factor of KDIGO 2012 CKD guideline
    # (Kidney Int Suppl 2013;3:1-150) and of CKD-EPI 2021 (Inker et al., NEJM 2021;385:1737).
    "creatinine": {"mg/dl": (1.0, 0.0), "umol/l": (1.0 / 88.4, 0.0)},
    # Glucose 180.16 g/mol: 1 mmol/L = 18.016 mg/dL (AMA Manual of Style SI conversion table).
    "glucose": {"mg/dl": (1.0, 0.0), "mmol/l": (18.016, 0.0)},
    # Cholesterol 386.65 g/mol: 1 mmol/L = 38.67 mg/dL (NCEP ATP III report, Circulation
    # 2002;106:3143, units note), used for total, HDL and LDL cholesterol alike.
    "cholesterol": {"mg/dl": (1.0, 0.0), "mmol/l": (38.67, 0.0)},
    # HbA1c IFCC (mmol/mol) -> NGSP (%): NGSP = IFCC / 10.929 + 2.15, the IFCC-NGSP master
    # equation (Hoelzel et al., Clin Chem 2004;50:166-174; ngsp.org/ifccngsp.asp).
    "hba1c": {"%": (1.0, 0.0), "mmol/mol": (1.0 / 10.929, 2.15)},
    # These LOINC eGFR codes are defined per 1.73 m2; Synthea writes their unit as "mL/min".
    "egfr": {"ml/min/1.73m2": (1.0, 0.0), "ml/min": (1.0, 0.0)},
    # Urine albumin-to-creatinine ratio: 1 mg/mmol = 8.84 mg/g (creatinine 113.12 g/mol);
    # KDIGO 2012 CKD guideline, Table 7: A2 starts at 30 mg/g, about 3 mg/mmol.
    "acr": {"mg/g": (1.0, 0.0), "mg/mmol": (8.84, 0.0)},
}


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measured value: when, what, in which unit, and the record it came from."""

    time: datetime
    value: float
    unit: str
    source_id: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (time in ISO 8601)."""
        return {
            "time": self.time.isoformat(),
            "value": self.value,
            "unit": self.unit,
            "source_id": self.source_id,
        }


@dataclass(frozen=True, slots=True)
class Trend:
    """A least-squares line through one measurement's values over time.

    `slope_per_year` is the fitted change per 365.25 days, `slope_per_month` a twelfth of it;
    `change` is the last value minus the first as measured; `r2` is the coefficient of
    determination (1.0 when every value is the same). `points` are sorted by time and given
    in `unit`.
    """

    code: str
    n: int
    first: Measurement
    last: Measurement
    slope_per_month: float
    slope_per_year: float
    change: float
    r2: float
    unit: str
    points: tuple[Measurement, ...]

    def value_at(self, time: datetime) -> float:
        """The fitted value at `time` (the line goes through the mean time and mean value)."""
        days = [_days(self.first.time, p.time) for p in self.points]
        mean_x = sum(days) / len(days)
        mean_y = sum(p.value for p in self.points) / len(self.points)
        slope_per_day = self.slope_per_year / DAYS_PER_YEAR
        return mean_y + slope_per_day * (_days(self.first.time, time) - mean_x)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "code": self.code,
            "n": self.n,
            "unit": self.unit,
            "first": self.first.to_dict(),
            "last": self.last.to_dict(),
            "slope_per_month": self.slope_per_month,
            "slope_per_year": self.slope_per_year,
            "change": self.change,
            "r2": self.r2,
            "points": [p.to_dict() for p in self.points],
        }


def _unit_key(unit: str) -> str:
    key = " ".join(unit.strip().split()).lower()
    return _UNIT_ALIASES.get(key, key)


def same_unit(a: str, b: str) -> bool:
    """True when `a` and `b` spell the same unit (e.g. "mm[Hg]" and "mmHg")."""
    return _unit_key(a) == _unit_key(b)


def convert_value(value: float, from_unit: str, to_unit: str, *, code: str) -> float:
    """`value` of LOINC `code` converted from `from_unit` to `to_unit`.

    Raises:
        InvalidInputError: no cited conversion between the two units for this code.
    """
    src, dst = _unit_key(from_unit), _unit_key(to_unit)
    if src == dst:
        return value
    table = _CONVERSIONS.get(_ANALYTE_CODES.get(code, ""), {})
    if src not in table or dst not in table:
        known = sorted(table) if table else "none"
        raise InvalidInputError(
            f"cannot convert LOINC {code} from {from_unit!r} to {to_unit!r}: no known "
            f"conversion (units convertible for this code: {known}); record the values in "
            "one unit or convert them before calling"
        )
    scale_in, offset_in = table[src]
    scale_out, offset_out = table[dst]
    return (value * scale_in + offset_in - offset_out) / scale_out


def _days(origin: datetime, time: datetime) -> float:
    return (time - origin).total_seconds() / _SECONDS_PER_DAY


def _check_points(points: Sequence[Measurement], code: str) -> None:
    for point in points:
        if not isinstance(point, Measurement):
            raise InvalidInputError(
                f"points for {code} must be Measurement objects; got {type(point).__name__}"
            )
        if isinstance(point.value, bool) or not math.isfinite(point.value):
            raise InvalidInputError(
                f"observation {point.source_id!r} ({code}) has value {point.value!r}; "
                "expected a finite number"
            )
    aware = {p.time.tzinfo is not None and p.time.utcoffset() is not None for p in points}
    if len(aware) > 1:
        raise InvalidInputError(
            f"points for {code} mix timezone-aware and naive times; give all times in one "
            "kind (the store gives UTC-aware times)"
        )


def _id_list(ids: list[str]) -> str:
    shown = ", ".join(ids[:5])
    noun = "point" if len(ids) == 1 else "points"
    return f"{len(ids)} {noun}: {shown}{', ...' if len(ids) > 5 else ''}"


def _common_unit(points: Sequence[Measurement], code: str, unit: str | None) -> str:
    """The unit to report in: `unit` if given, else the latest point's; checks convertibility."""
    target = unit if unit is not None else points[-1].unit
    by_unit: dict[str, list[str]] = {}
    for point in points:
        by_unit.setdefault(point.unit, []).append(point.source_id)
    for unit_name in by_unit:
        try:
            convert_value(1.0, unit_name, target, code=code)
        except InvalidInputError:
            groups = "; ".join(f"{name!r} ({_id_list(obs)})" for name, obs in by_unit.items())
            raise InvalidInputError(
                f"points for {code} have mixed units with no known conversion to {target!r}: "
                f"{groups}; convert them to one unit before computing a trend"
            ) from None
    return target


def trend(points: Sequence[Measurement], *, code: str, unit: str | None = None) -> Trend:
    """Least-squares line of `points` (value against time in days) and the change it implies.

    Args:
        points: measurements of one LOINC code, in any order.
        code: the LOINC code, used for unit conversion and messages.
        unit: the unit to report in; default the unit of the latest point.

    Raises:
        EmptyInputError: no points.
        InvalidInputError: fewer than 2 points or 2 distinct times, a non-finite value, mixed
            naive and aware times, or units that do not convert into one another.
    """
    if not points:
        raise EmptyInputError(f"no points for {code}; a trend needs at least 2 measurements")
    _check_points(points, code)
    ordered = sorted(points, key=lambda p: (p.time, p.source_id))
    if len(ordered) < 2:
        raise InvalidInputError(
            f"a trend for {code} needs at least 2 measurements; got 1 ({ordered[0].source_id})"
        )
    if len({p.time for p in ordered}) < 2:
        raise InvalidInputError(
            f"the {len(ordered)} measurements of {code} were all taken at "
            f"{ordered[0].time.isoformat()}; a trend needs at least 2 distinct times"
        )
    target = _common_unit(ordered, code, unit)
    converted = tuple(
        p
        if p.unit == target
        else replace(p, value=convert_value(p.value, p.unit, target, code=code), unit=target)
        for p in ordered
    )
    origin = converted[0].time
    xs = [_days(origin, p.time) for p in converted]
    ys = [p.value for p in converted]
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    syy = sum((y - mean_y) ** 2 for y in ys)
    slope_per_day = sxy / sxx
    residual = sum(
        (y - (mean_y + slope_per_day * (x - mean_x))) ** 2 for x, y in zip(xs, ys, strict=True)
    )
    r2 = 1.0 if syy == 0.0 else max(0.0, 1.0 - residual / syy)
    slope_per_year = slope_per_day * DAYS_PER_YEAR
    return Trend(
        code=code,
        n=n,
        first=converted[0],
        last=converted[-1],
        slope_per_month=slope_per_year / 12.0,
        slope_per_year=slope_per_year,
        change=converted[-1].value - converted[0].value,
        r2=r2,
        unit=target,
        points=converted,
    )
