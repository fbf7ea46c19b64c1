"""FINDRISC: the Finnish Diabetes Risk Score for 10-year risk of type 2 diabetes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from medsage.health.risk._base import (
    Inputs,
    InputSpec,
    RiskResult,
    Score,
    ScoreSpec,
    band,
    flag,
    num,
    text,
)

if TYPE_CHECKING:
    from medsage.health.risk._base import Column, FloatArray

# Lindström J, Tuomilehto J. The Diabetes Risk Score: a practical tool to predict type 2
# diabetes risk. Diabetes Care 2003;26:725-31, and the FINDRISC form ("Type 2 diabetes risk
# assessment form", Finnish Diabetes Association) whose points are:
#   age: < 45 -> 0, 45-54 -> 2, 55-64 -> 3, > 64 -> 4
#   BMI (kg/m²): < 25 -> 0, 25-30 -> 1, > 30 -> 3
#   waist (cm): men < 94 -> 0, 94-102 -> 3, > 102 -> 4; women < 80 -> 0, 80-88 -> 3, > 88 -> 4
#   at least 30 min of physical activity daily: no -> 2
#   vegetables, fruit or berries every day: no -> 1
#   ever taken medication for high blood pressure: yes -> 2
#   ever found high blood glucose: yes -> 5
#   diabetes in family: second degree (grandparent, aunt, uncle, first cousin) -> 3,
#   first degree (parent, brother, sister, own child) -> 5
FINDRISC_AGE_POINTS = ((45.0, 0), (55.0, 2), (65.0, 3), (float("inf"), 4))  # age < bound
FINDRISC_BMI = (25.0, 30.0)  # the middle band, both ends inclusive
FINDRISC_BMI_MIDDLE, FINDRISC_BMI_HIGH = 1, 3
FINDRISC_WAIST = {"male": (94.0, 102.0), "female": (80.0, 88.0)}  # middle band, inclusive
FINDRISC_WAIST_MIDDLE, FINDRISC_WAIST_HIGH = 3, 4
FINDRISC_INACTIVE = 2
FINDRISC_NO_DAILY_VEGETABLES = 1
FINDRISC_BP_MEDICATION = 2
FINDRISC_HIGH_GLUCOSE = 5
FINDRISC_FAMILY = {"none": 0, "second_degree": 3, "first_degree": 5}

# The form's risk levels (total 0-26) and its estimated 10-year risk of type 2 diabetes.
FINDRISC_BANDS: tuple[tuple[float, str], ...] = (
    (7, "low"),  # < 7
    (12, "slightly_elevated"),  # 7-11
    (15, "moderate"),  # 12-14
    (21, "high"),  # 15-20
    (float("inf"), "very_high"),  # > 20
)
FINDRISC_TEN_YEAR_RISK = {
    "low": "1 in 100", "slightly_elevated": "1 in 25", "moderate": "1 in 6",
    "high": "1 in 3", "very_high": "1 in 2",
}  # fmt: skip
FINDRISC_ZH = {
    "low": "低", "slightly_elevated": "稍高", "moderate": "中等", "high": "高", "very_high": "很高",
}  # fmt: skip

REFERENCE = (
    "Lindström J, Tuomilehto J. The Diabetes Risk Score: a practical tool to predict type 2 "
    "diabetes risk. Diabetes Care 2003;26:725-31; FINDRISC form points and risk levels"
)

SPEC = ScoreSpec(
    name="findrisc",
    title="FINDRISC, 10-year risk of type 2 diabetes",
    title_zh="芬兰糖尿病风险评分（FINDRISC）",
    unit="points",
    inputs=(
        InputSpec("age", "number", "age", unit="years", minimum=18, maximum=120),
        InputSpec("sex", "choice", "sex (for the waist cut-offs)", choices=("female", "male")),
        InputSpec(
            "bmi",
            "number",
            "body-mass index",
            unit="kg/m²",
            minimum=10,
            maximum=100,
            hint="BMI = weight (kg) / height (m)²",
        ),
        InputSpec(
            "waist_cm",
            "number",
            "waist circumference at the navel",
            unit="cm",
            minimum=40,
            maximum=250,
            hint="give the waist in centimetres (1 in = 2.54 cm)",
        ),
        InputSpec(
            "physically_active_30min_daily",
            "boolean",
            "at least 30 minutes of physical activity every day",
        ),
        InputSpec("vegetables_daily", "boolean", "eats vegetables, fruit or berries every day"),
        InputSpec("bp_medication", "boolean", "has ever taken medication for high blood pressure"),
        InputSpec(
            "high_glucose_history",
            "boolean",
            "high blood glucose ever found (check-up, illness, pregnancy)",
        ),
        InputSpec(
            "family_history",
            "choice",
            "diabetes in relatives",
            choices=("none", "second_degree", "first_degree"),
        ),
    ),
    categories=tuple(label for _, label in FINDRISC_BANDS),
    reference=REFERENCE,
)


def _first(value: float, bands: tuple[tuple[float, int], ...]) -> int:
    for bound, points in bands:
        if value < bound:
            return points
    return bands[-1][1]


def _middle_band(value: float, bounds: tuple[float, float], middle: int, high: int) -> int:
    """0 below the band, `middle` inside it (ends included), `high` above it."""
    if value < bounds[0]:
        return 0
    return middle if value <= bounds[1] else high


def item_points(x: Inputs) -> dict[str, int]:
    """Points of each form item."""
    waist_bounds = FINDRISC_WAIST[text(x, "sex")]
    return {
        "age": _first(num(x, "age"), FINDRISC_AGE_POINTS),
        "bmi": _middle_band(num(x, "bmi"), FINDRISC_BMI, FINDRISC_BMI_MIDDLE, FINDRISC_BMI_HIGH),
        "waist_cm": _middle_band(
            num(x, "waist_cm"), waist_bounds, FINDRISC_WAIST_MIDDLE, FINDRISC_WAIST_HIGH
        ),
        "physically_active_30min_daily": 0 if flag(x, "physically_active_30min_daily")
        else FINDRISC_INACTIVE,
        "vegetables_daily": 0 if flag(x, "vegetables_daily") else FINDRISC_NO_DAILY_VEGETABLES,
        "bp_medication": FINDRISC_BP_MEDICATION if flag(x, "bp_medication") else 0,
        "high_glucose_history": FINDRISC_HIGH_GLUCOSE if flag(x, "high_glucose_history") else 0,
        "family_history": FINDRISC_FAMILY[text(x, "family_history")],
    }  # fmt: skip


def raw(x: Inputs) -> float:
    return float(sum(item_points(x).values()))


def raw_many(cols: Mapping[str, Column]) -> FloatArray:
    import numpy as np

    age, bmi, waist = cols["age"], cols["bmi"], cols["waist_cm"]
    bounds = np.array([bound for bound, _ in FINDRISC_AGE_POINTS[:-1]])
    age_points = np.array([points for _, points in FINDRISC_AGE_POINTS])
    total = age_points[np.searchsorted(bounds, age, side="right")].astype(np.float64)
    total += np.where(
        bmi < FINDRISC_BMI[0],
        0,
        np.where(bmi <= FINDRISC_BMI[1], FINDRISC_BMI_MIDDLE, FINDRISC_BMI_HIGH),
    )
    male = cols["sex"] == "male"
    low = np.where(male, FINDRISC_WAIST["male"][0], FINDRISC_WAIST["female"][0])
    high = np.where(male, FINDRISC_WAIST["male"][1], FINDRISC_WAIST["female"][1])
    total += np.where(
        waist < low, 0, np.where(waist <= high, FINDRISC_WAIST_MIDDLE, FINDRISC_WAIST_HIGH)
    )
    total += np.where(cols["physically_active_30min_daily"], 0, FINDRISC_INACTIVE)
    total += np.where(cols["vegetables_daily"], 0, FINDRISC_NO_DAILY_VEGETABLES)
    total += np.where(cols["bp_medication"], FINDRISC_BP_MEDICATION, 0)
    total += np.where(cols["high_glucose_history"], FINDRISC_HIGH_GLUCOSE, 0)
    for name, points in FINDRISC_FAMILY.items():
        total += np.where(cols["family_history"] == name, points, 0)
    return total


def finish(value: float, x: Inputs) -> RiskResult:
    points = int(value)
    category = band(points, FINDRISC_BANDS)
    details = {
        "points": item_points(x),
        "estimated_10y_risk": FINDRISC_TEN_YEAR_RISK[category],
        "category_zh": FINDRISC_ZH[category],
        "inputs": dict(x),
    }
    return RiskResult(points, SPEC.unit, category, details, REFERENCE, SPEC.name)


SCORE = Score(SPEC, raw, raw_many, finish)
