"""Body-mass index (kg/m²) with the WHO or the Chinese adult cut-offs."""

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
    num,
    round_half_up,
)

if TYPE_CHECKING:
    from medsage.health.risk._base import Column, FloatArray

# WHO. Obesity: preventing and managing the global epidemic. Report of a WHO consultation.
# WHO Technical Report Series 894. Geneva: WHO; 2000. Table 2.1, classification of adults
# by BMI: underweight < 18.50; normal 18.50-24.99; pre-obese 25.00-29.99; obese class I
# 30.00-34.99, class II 35.00-39.99, class III >= 40.00. (upper bound exclusive, label)
WHO_BANDS: tuple[tuple[float, str], ...] = (
    (18.5, "underweight"),
    (25.0, "normal"),
    (30.0, "overweight"),
    (35.0, "obese_class_1"),
    (40.0, "obese_class_2"),
    (float("inf"), "obese_class_3"),
)
WHO_ZH = {
    "underweight": "体重过低", "normal": "正常", "overweight": "超重（肥胖前期）",
    "obese_class_1": "肥胖I级", "obese_class_2": "肥胖II级", "obese_class_3": "肥胖III级",
}  # fmt: skip

# 中华人民共和国卫生行业标准 WS/T 428-2013《成人体重判定》(国家卫生和计划生育委员会, 2013),
# 表1: 体重过低 BMI < 18.5; 体重正常 18.5 <= BMI < 24.0; 超重 24.0 <= BMI < 28.0; 肥胖 >= 28.0.
CHINA_BANDS: tuple[tuple[float, str], ...] = (
    (18.5, "underweight"),
    (24.0, "normal"),
    (28.0, "overweight"),
    (float("inf"), "obese"),
)
CHINA_ZH = {"underweight": "体重过低", "normal": "体重正常", "overweight": "超重", "obese": "肥胖"}

REFERENCE = (
    "WHO. Obesity: preventing and managing the global epidemic. WHO Technical Report Series "
    "894, 2000, Table 2.1; China: WS/T 428-2013 成人体重判定, Table 1 (18.5 / 24 / 28)"
)

SPEC = ScoreSpec(
    name="bmi",
    title="Body-mass index (adults)",
    title_zh="体重指数（成人）",
    unit="kg/m²",
    inputs=(
        InputSpec(
            "weight_kg",
            "number",
            "body weight",
            unit="kg",
            minimum=2,
            maximum=650,
            hint="give the weight in kilograms (1 lb = 0.45359237 kg)",
        ),
        InputSpec(
            "height_cm",
            "number",
            "body height",
            unit="cm",
            minimum=50,
            maximum=272,
            hint="give the height in centimetres (1.75 m = 175 cm)",
        ),
        InputSpec("standard", "choice", "which cut-offs", choices=("who", "china"), default="who"),
    ),
    categories=(*(label for _, label in WHO_BANDS), "obese"),
    reference=REFERENCE,
)


def raw(x: Inputs) -> float:
    height_m = num(x, "height_cm") / 100.0
    return num(x, "weight_kg") / (height_m * height_m)


def raw_many(cols: Mapping[str, Column]) -> FloatArray:
    height_m = cols["height_cm"] / 100.0
    return cols["weight_kg"] / (height_m * height_m)


def finish(value: float, x: Inputs) -> RiskResult:
    # The category is read from the reported (rounded) value, as a clinician reads it.
    shown = round_half_up(value, 1)
    if x["standard"] == "china":
        category, zh = band(shown, CHINA_BANDS), CHINA_ZH
    else:
        category, zh = band(shown, WHO_BANDS), WHO_ZH
    details = {
        "bmi_unrounded": value,
        "standard": x["standard"],
        "category_zh": zh[category],
        "inputs": dict(x),
        "note": "adult cut-offs; for children and adolescents use BMI-for-age",
    }
    return RiskResult(shown, SPEC.unit, category, details, REFERENCE, SPEC.name)


SCORE = Score(SPEC, raw, raw_many, finish)
