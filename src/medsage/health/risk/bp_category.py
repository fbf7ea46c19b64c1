"""Blood-pressure category in adults: ACC/AHA 2017 stages or the Chinese 2018 grades.

The value is the level of the category (0 = normal ... 4 = crisis / grade 3), so it can be
compared and trended; the category names the level.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from medsage.health.risk._base import Inputs, InputSpec, RiskResult, Score, ScoreSpec, num

if TYPE_CHECKING:
    from medsage.health.risk._base import Column, FloatArray

# Whelton PK, Carey RM, Aronow WS, et al. 2017 ACC/AHA/AAPA/ABC/ACPM/AGS/APhA/ASH/ASPC/NMA/PCNA
# Guideline for the prevention, detection, evaluation, and management of high blood pressure
# in adults. Hypertension 2018;71:e13-e115. Table 6: normal < 120 and < 80; elevated 120-129
# and < 80; stage 1 130-139 or 80-89; stage 2 >= 140 or >= 90 (the higher category counts
# when SBP and DBP fall in different ones). Section 11.2: hypertensive crisis (emergency or
# urgency) SBP > 180 and/or DBP > 120 mm Hg.
ACC_AHA_ELEVATED_SBP = 120.0
ACC_AHA_STAGE1 = (130.0, 80.0)  # (SBP, DBP) lower bounds
ACC_AHA_STAGE2 = (140.0, 90.0)
ACC_AHA_CRISIS = (180.0, 120.0)  # strictly above
ACC_AHA_LEVELS = ("normal", "elevated", "stage_1", "stage_2", "crisis")
ACC_AHA_ZH = ("正常", "血压升高", "1期高血压", "2期高血压", "高血压危象")

# 中国高血压防治指南修订委员会. 中国高血压防治指南2018年修订版. 中国心血管杂志 2019;24(1):24-56.
# 表3 血压水平分类和定义 (mmHg): 正常血压 < 120 和 < 80; 正常高值 120-139 和/或 80-89;
# 1级 140-159 和/或 90-99; 2级 160-179 和/或 100-109; 3级 >= 180 和/或 >= 110;
# 单纯收缩期高血压 >= 140 和 < 90. 收缩压与舒张压分属不同级别时以较高的分级为准.
CHINA_SBP_BOUNDS = (120.0, 140.0, 160.0, 180.0)  # lower bounds of levels 1..4
CHINA_DBP_BOUNDS = (80.0, 90.0, 100.0, 110.0)
CHINA_LEVELS = ("normal", "high_normal", "grade_1", "grade_2", "grade_3")
CHINA_ZH = ("正常血压", "正常高值", "1级高血压（轻度）", "2级高血压（中度）", "3级高血压（重度）")
CHINA_GRADE_ZH = ("", "", "1级", "2级", "3级")
CHINA_ISOLATED_SYSTOLIC = (140.0, 90.0)  # SBP >= 140 and DBP < 90

REFERENCE = (
    "Whelton PK et al. 2017 ACC/AHA high blood pressure guideline. Hypertension "
    "2018;71:e13-e115, Table 6 and section 11.2 (crisis > 180 and/or > 120 mm Hg); "
    "中国高血压防治指南2018年修订版. 中国心血管杂志 2019;24(1):24-56, 表3"
)

SPEC = ScoreSpec(
    name="bp_category",
    title="Blood-pressure category (adults)",
    title_zh="血压水平分类（成人）",
    unit="level (0-4)",
    inputs=(
        InputSpec(
            "systolic",
            "number",
            "systolic blood pressure",
            unit="mmHg",
            minimum=50,
            maximum=300,
            hint="give it in mmHg (1 kPa = 7.50 mmHg)",
        ),
        InputSpec(
            "diastolic",
            "number",
            "diastolic blood pressure",
            unit="mmHg",
            minimum=20,
            maximum=200,
            hint="give it in mmHg (1 kPa = 7.50 mmHg)",
        ),
        InputSpec(
            "standard",
            "choice",
            "which guideline",
            choices=("acc_aha_2017", "china_2018"),
            default="acc_aha_2017",
        ),
    ),
    categories=(*ACC_AHA_LEVELS, *CHINA_LEVELS[1:], "isolated_systolic"),
    reference=REFERENCE,
)


def _acc_aha_level(sbp: float, dbp: float) -> int:
    if sbp > ACC_AHA_CRISIS[0] or dbp > ACC_AHA_CRISIS[1]:
        return 4
    if sbp >= ACC_AHA_STAGE2[0] or dbp >= ACC_AHA_STAGE2[1]:
        return 3
    if sbp >= ACC_AHA_STAGE1[0] or dbp >= ACC_AHA_STAGE1[1]:
        return 2
    return 1 if sbp >= ACC_AHA_ELEVATED_SBP else 0


def _china_level(value: float, bounds: tuple[float, ...]) -> int:
    return sum(value >= bound for bound in bounds)


def raw(x: Inputs) -> float:
    sbp, dbp = num(x, "systolic"), num(x, "diastolic")
    if x["standard"] == "china_2018":
        return float(max(_china_level(sbp, CHINA_SBP_BOUNDS), _china_level(dbp, CHINA_DBP_BOUNDS)))
    return float(_acc_aha_level(sbp, dbp))


def raw_many(cols: Mapping[str, Column]) -> FloatArray:
    import numpy as np

    sbp, dbp = cols["systolic"], cols["diastolic"]
    acc = np.select(
        [
            (sbp > ACC_AHA_CRISIS[0]) | (dbp > ACC_AHA_CRISIS[1]),
            (sbp >= ACC_AHA_STAGE2[0]) | (dbp >= ACC_AHA_STAGE2[1]),
            (sbp >= ACC_AHA_STAGE1[0]) | (dbp >= ACC_AHA_STAGE1[1]),
            sbp >= ACC_AHA_ELEVATED_SBP,
        ],
        [4.0, 3.0, 2.0, 1.0],
        0.0,
    )
    china = np.maximum(
        np.searchsorted(np.array(CHINA_SBP_BOUNDS), sbp, side="right"),
        np.searchsorted(np.array(CHINA_DBP_BOUNDS), dbp, side="right"),
    ).astype(np.float64)
    return np.where(cols["standard"] == "china_2018", china, acc)


def check(x: Inputs) -> str | None:
    sbp, dbp = num(x, "systolic"), num(x, "diastolic")
    if sbp <= dbp:
        return (
            f"systolic = {sbp:g} is not above diastolic = {dbp:g}; check that the two "
            "were not swapped"
        )
    return None


def check_many(cols: Mapping[str, Column]) -> Column:
    return cols["systolic"] <= cols["diastolic"]


def finish(value: float, x: Inputs) -> RiskResult:
    level = int(value)
    sbp, dbp = num(x, "systolic"), num(x, "diastolic")
    details: dict[str, object] = {"standard": x["standard"], "level": level}
    if x["standard"] == "china_2018":
        category = CHINA_LEVELS[level]
        zh = CHINA_ZH[level]
        details["systolic_category"] = CHINA_LEVELS[_china_level(sbp, CHINA_SBP_BOUNDS)]
        details["diastolic_category"] = CHINA_LEVELS[_china_level(dbp, CHINA_DBP_BOUNDS)]
        if sbp >= CHINA_ISOLATED_SYSTOLIC[0] and dbp < CHINA_ISOLATED_SYSTOLIC[1]:
            details["grade"] = category
            category = "isolated_systolic"
            zh = f"单纯收缩期高血压（{CHINA_GRADE_ZH[level]}）"
    else:
        category = ACC_AHA_LEVELS[level]
        zh = ACC_AHA_ZH[level]
    details["category_zh"] = zh
    details["inputs"] = dict(x)
    details["note"] = (
        "adults; classify on the average of >= 2 readings on >= 2 occasions, not one reading"
    )
    return RiskResult(level, SPEC.unit, category, details, REFERENCE, SPEC.name)


SCORE = Score(SPEC, raw, raw_many, finish, check=check, check_many=check_many)
