"""CHA₂DS₂-VASc: stroke risk in atrial fibrillation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from medsage.health.risk._base import (
    Inputs,
    InputSpec,
    RiskResult,
    Score,
    ScoreSpec,
    flag,
    num,
    text,
)

if TYPE_CHECKING:
    from medsage.health.risk._base import Column, FloatArray

# Lip GYH, Nieuwlaat R, Pisters R, Lane DA, Crijns HJGM. Refining clinical risk stratification
# for predicting stroke and thromboembolism in atrial fibrillation using a novel risk
# factor-based approach: the Euro Heart Survey on atrial fibrillation. Chest 2010;137:263-72,
# Table 1 (points): congestive heart failure / LV dysfunction 1; hypertension 1; age >= 75
# 2; diabetes 1; stroke / TIA / thromboembolism 2; vascular disease (prior MI, peripheral
# artery disease, aortic plaque) 1; age 65-74 1; sex category female 1. Maximum 9.
CHA2DS2_VASC_POINTS = {
    "congestive_heart_failure": 1,
    "hypertension": 1,
    "diabetes": 1,
    "stroke_tia_thromboembolism": 2,
    "vascular_disease": 1,
}
CHA2DS2_VASC_AGE = ((65.0, 0), (75.0, 1), (float("inf"), 2))  # age < bound -> points
CHA2DS2_VASC_FEMALE = 1

# Hindricks G et al. 2020 ESC guidelines for the diagnosis and management of atrial
# fibrillation. Eur Heart J 2021;42:373-498, section 10.1.1: female sex is a risk modifier,
# so risk is read from the points other than sex: 0 low (score 0 men / 1 women); 1 (score 1
# men / 2 women: oral anticoagulation should be considered); >= 2 (score >= 2 men / >= 3
# women: oral anticoagulation recommended).
CHA2DS2_VASC_BANDS = ((1, "low"), (2, "intermediate"), (float("inf"), "high"))
CHA2DS2_VASC_ZH = {"low": "低危", "intermediate": "中危", "high": "高危"}

REFERENCE = (
    "Lip GYH et al. Chest 2010;137:263-72 (CHA2DS2-VASc points, Table 1); risk categories by "
    "points other than sex: Hindricks G et al. 2020 ESC AF guidelines, Eur Heart J "
    "2021;42:373-498"
)

SPEC = ScoreSpec(
    name="cha2ds2_vasc",
    title="CHA2DS2-VASc stroke risk in atrial fibrillation",
    title_zh="CHA2DS2-VASc 房颤卒中风险评分",
    unit="points",
    inputs=(
        InputSpec("age", "number", "age", unit="years", minimum=18, maximum=120),
        InputSpec("sex", "choice", "sex", choices=("female", "male")),
        InputSpec(
            "congestive_heart_failure",
            "boolean",
            "congestive heart failure or LV systolic dysfunction",
        ),
        InputSpec("hypertension", "boolean", "hypertension"),
        InputSpec("diabetes", "boolean", "diabetes mellitus"),
        InputSpec("stroke_tia_thromboembolism", "boolean", "prior stroke, TIA or thromboembolism"),
        InputSpec(
            "vascular_disease",
            "boolean",
            "vascular disease (prior MI, peripheral artery disease, aortic plaque)",
        ),
    ),
    categories=tuple(label for _, label in CHA2DS2_VASC_BANDS),
    reference=REFERENCE,
)


def _age_points(age: float) -> int:
    for bound, points in CHA2DS2_VASC_AGE:
        if age < bound:
            return points
    return CHA2DS2_VASC_AGE[-1][1]


def item_points(x: Inputs) -> dict[str, int]:
    """Points of each item (age and sex included)."""
    points = {name: weight if flag(x, name) else 0 for name, weight in CHA2DS2_VASC_POINTS.items()}
    points["age"] = _age_points(num(x, "age"))
    points["sex_female"] = CHA2DS2_VASC_FEMALE if text(x, "sex") == "female" else 0
    return points


def raw(x: Inputs) -> float:
    return float(sum(item_points(x).values()))


def raw_many(cols: Mapping[str, Column]) -> FloatArray:
    import numpy as np

    bounds = np.array([bound for bound, _ in CHA2DS2_VASC_AGE[:-1]])
    age_points = np.array([points for _, points in CHA2DS2_VASC_AGE], dtype=np.float64)
    total = age_points[np.searchsorted(bounds, cols["age"], side="right")]
    total += np.where(cols["sex"] == "female", CHA2DS2_VASC_FEMALE, 0)
    for name, weight in CHA2DS2_VASC_POINTS.items():
        total += np.where(cols[name], weight, 0)
    return total


def finish(value: float, x: Inputs) -> RiskResult:
    score = int(value)
    points = item_points(x)
    non_sex = score - points["sex_female"]
    category = "low"
    for bound, label in CHA2DS2_VASC_BANDS:
        if non_sex < bound:
            category = label
            break
    details = {
        "points": points,
        "points_other_than_sex": non_sex,
        "category_zh": CHA2DS2_VASC_ZH[category],
        "inputs": dict(x),
        "note": "for patients with atrial fibrillation; bleeding risk is assessed separately",
    }
    return RiskResult(score, SPEC.unit, category, details, REFERENCE, SPEC.name)


SCORE = Score(SPEC, raw, raw_many, finish)
