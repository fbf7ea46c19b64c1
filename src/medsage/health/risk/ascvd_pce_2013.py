"""10-year risk of a first hard ASCVD event: the 2013 ACC/AHA Pooled Cohort Equations."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from medsage.health.risk._base import (
    Inputs,
    InputSpec,
    RiskResult,
    Score,
    ScoreSpec,
    UnitAlternative,
    band,
    flag,
    num,
    round_half_up,
    text,
)

if TYPE_CHECKING:
    from medsage.health.risk._base import Column, FloatArray


@dataclass(frozen=True)
class PceCoefficients:
    """One row group of Table A (None where the table prints N/A)."""

    ln_age: float
    ln_age_squared: float | None
    ln_total_cholesterol: float
    ln_age_x_ln_total_cholesterol: float | None
    ln_hdl: float
    ln_age_x_ln_hdl: float | None
    ln_treated_sbp: float
    ln_age_x_ln_treated_sbp: float | None
    ln_untreated_sbp: float
    ln_age_x_ln_untreated_sbp: float | None
    current_smoker: float
    ln_age_x_current_smoker: float | None
    diabetes: float
    mean_coefficient_x_value: float
    baseline_survival: float


# Goff DC Jr, Lloyd-Jones DM, Bennett G, et al. 2013 ACC/AHA guideline on the assessment of
# cardiovascular risk. Circulation 2014;129(25 Suppl 2):S49-S73 (J Am Coll Cardiol
# 2014;63:2935-59), Work Group report Table A: "Equation parameters of the Pooled Cohort
# Equations for estimation of 10-year risk of hard ASCVD". Risk = 1 - S10^exp(sum - mean),
# sum = sum of coefficient x value, with natural logs of age (years), total cholesterol and
# HDL-C (mg/dL) and systolic BP (mm Hg); smoker and diabetes are 1/0.
PCE_TABLE_A: dict[str, PceCoefficients] = {
    "white_female": PceCoefficients(
        ln_age=-29.799, ln_age_squared=4.884, ln_total_cholesterol=13.540,
        ln_age_x_ln_total_cholesterol=-3.114, ln_hdl=-13.578, ln_age_x_ln_hdl=3.149,
        ln_treated_sbp=2.019, ln_age_x_ln_treated_sbp=None, ln_untreated_sbp=1.957,
        ln_age_x_ln_untreated_sbp=None, current_smoker=7.574, ln_age_x_current_smoker=-1.665,
        diabetes=0.661, mean_coefficient_x_value=-29.18, baseline_survival=0.9665,
    ),
    "african_american_female": PceCoefficients(
        ln_age=17.114, ln_age_squared=None, ln_total_cholesterol=0.940,
        ln_age_x_ln_total_cholesterol=None, ln_hdl=-18.920, ln_age_x_ln_hdl=4.475,
        ln_treated_sbp=29.291, ln_age_x_ln_treated_sbp=-6.432, ln_untreated_sbp=27.820,
        ln_age_x_ln_untreated_sbp=-6.087, current_smoker=0.691, ln_age_x_current_smoker=None,
        diabetes=0.874, mean_coefficient_x_value=86.61, baseline_survival=0.9533,
    ),
    "white_male": PceCoefficients(
        ln_age=12.344, ln_age_squared=None, ln_total_cholesterol=11.853,
        ln_age_x_ln_total_cholesterol=-2.664, ln_hdl=-7.990, ln_age_x_ln_hdl=1.769,
        ln_treated_sbp=1.797, ln_age_x_ln_treated_sbp=None, ln_untreated_sbp=1.764,
        ln_age_x_ln_untreated_sbp=None, current_smoker=7.837, ln_age_x_current_smoker=-1.795,
        diabetes=0.658, mean_coefficient_x_value=61.18, baseline_survival=0.9144,
    ),
    "african_american_male": PceCoefficients(
        ln_age=2.469, ln_age_squared=None, ln_total_cholesterol=0.302,
        ln_age_x_ln_total_cholesterol=None, ln_hdl=-0.307, ln_age_x_ln_hdl=None,
        ln_treated_sbp=1.916, ln_age_x_ln_treated_sbp=None, ln_untreated_sbp=1.809,
        ln_age_x_ln_untreated_sbp=None, current_smoker=0.549, ln_age_x_current_smoker=None,
        diabetes=0.645, mean_coefficient_x_value=19.54, baseline_survival=0.8954,
    ),
}  # fmt: skip

# Grundy SM et al. 2018 AHA/ACC guideline on the management of blood cholesterol.
# Circulation 2019;139:e1082-e1143, and Arnett DK et al. 2019 ACC/AHA guideline on the
# primary prevention of cardiovascular disease. Circulation 2019;140:e596-e646, section 2.2:
# 10-year risk < 5% low; 5% to < 7.5% borderline; >= 7.5% to < 20% intermediate; >= 20% high.
RISK_BANDS: tuple[tuple[float, str], ...] = (
    (5.0, "low"),
    (7.5, "borderline"),
    (20.0, "intermediate"),
    (float("inf"), "high"),
)
RISK_ZH = {"low": "低危", "borderline": "临界风险", "intermediate": "中危", "high": "高危"}

# Cholesterol (C27H46O, 386.65 g/mol): 1 mmol/L = 38.67 mg/dL (= 1 / 0.02586), the factor
# for total, HDL and LDL cholesterol alike.
CHOLESTEROL_MG_DL_PER_MMOL_L = 38.67
_CHOLESTEROL_SOURCE = "38.67 mg/dL per mmol/L (cholesterol 386.65 g/mol)"

REFERENCE = (
    "Goff DC Jr et al. 2013 ACC/AHA guideline on the assessment of cardiovascular risk. "
    "Circulation 2014;129(Suppl 2):S49-S73, Table A (Pooled Cohort Equations); categories: "
    "Arnett DK et al. 2019 ACC/AHA primary prevention guideline, Circulation "
    "2019;140:e596-e646"
)

# Accepted ranges: the equations' stated ages (40-79) and the input ranges of the ACC/AHA
# ASCVD Risk Estimator Plus (total cholesterol 130-320, HDL 20-100 mg/dL, SBP 90-200 mm Hg).
SPEC = ScoreSpec(
    name="ascvd_pce_2013",
    title="10-year ASCVD risk, Pooled Cohort Equations (2013 ACC/AHA)",
    title_zh="10年动脉粥样硬化性心血管病风险（2013 ACC/AHA 汇总队列方程）",
    unit="%",
    inputs=(
        InputSpec(
            "age",
            "number",
            "age",
            unit="years",
            minimum=40,
            maximum=79,
            hint="the equations were derived for ages 40 to 79",
        ),
        InputSpec("sex", "choice", "sex", choices=("female", "male")),
        InputSpec(
            "race",
            "choice",
            "race (other: the white equations are used)",
            choices=("white", "african_american", "other"),
        ),
        InputSpec(
            "total_cholesterol_mg_dl",
            "number",
            "total cholesterol",
            unit="mg/dL",
            minimum=130,
            maximum=320,
            alternatives=(
                UnitAlternative(
                    "total_cholesterol_mmol_l",
                    "mmol/L",
                    CHOLESTEROL_MG_DL_PER_MMOL_L,
                    _CHOLESTEROL_SOURCE,
                ),
            ),
        ),
        InputSpec(
            "hdl_mg_dl",
            "number",
            "HDL cholesterol",
            unit="mg/dL",
            minimum=20,
            maximum=100,
            alternatives=(
                UnitAlternative(
                    "hdl_mmol_l", "mmol/L", CHOLESTEROL_MG_DL_PER_MMOL_L, _CHOLESTEROL_SOURCE
                ),
            ),
        ),
        InputSpec(
            "systolic_bp", "number", "systolic blood pressure", unit="mmHg", minimum=90, maximum=200
        ),
        InputSpec("bp_treated", "boolean", "on treatment for high blood pressure"),
        InputSpec("smoker", "boolean", "current smoker"),
        InputSpec("diabetes", "boolean", "diabetes"),
    ),
    categories=tuple(label for _, label in RISK_BANDS),
    reference=REFERENCE,
)


def group_of(sex: str, race: str) -> str:
    """The Table A group: 'other' race uses the white equations (as the guideline advises)."""
    return f"{'african_american' if race == 'african_american' else 'white'}_{sex}"


def individual_sum(c: PceCoefficients, age: float, tc: float, hdl: float, sbp: float,
                   treated: bool, smoker: bool, diabetes: bool) -> float:  # fmt: skip
    """Sum of coefficient x value for one person (the 'Individual Sum' row of Table A)."""
    la, lt, lh, ls = math.log(age), math.log(tc), math.log(hdl), math.log(sbp)
    total = c.ln_age * la + c.ln_total_cholesterol * lt + c.ln_hdl * lh
    total += (c.ln_age_squared or 0.0) * la * la
    total += (c.ln_age_x_ln_total_cholesterol or 0.0) * la * lt
    total += (c.ln_age_x_ln_hdl or 0.0) * la * lh
    if treated:
        total += c.ln_treated_sbp * ls + (c.ln_age_x_ln_treated_sbp or 0.0) * la * ls
    else:
        total += c.ln_untreated_sbp * ls + (c.ln_age_x_ln_untreated_sbp or 0.0) * la * ls
    if smoker:
        total += c.current_smoker + (c.ln_age_x_current_smoker or 0.0) * la
    if diabetes:
        total += c.diabetes
    return total


def _sum_from_inputs(x: Inputs) -> float:
    c = PCE_TABLE_A[group_of(text(x, "sex"), text(x, "race"))]
    return individual_sum(
        c, num(x, "age"), num(x, "total_cholesterol_mg_dl"), num(x, "hdl_mg_dl"),
        num(x, "systolic_bp"), flag(x, "bp_treated"), flag(x, "smoker"), flag(x, "diabetes"),
    )  # fmt: skip


def risk_from_sum(group: str, total: float) -> float:
    """10-year risk in percent from an individual sum: 1 - S10^exp(sum - mean)."""
    c = PCE_TABLE_A[group]
    survival: float = c.baseline_survival ** math.exp(total - c.mean_coefficient_x_value)
    return 100.0 * (1.0 - survival)


def raw(x: Inputs) -> float:
    """The individual sum (linear predictor); `finish` turns it into the risk."""
    return _sum_from_inputs(x)


def raw_many(cols: Mapping[str, Column]) -> FloatArray:
    import numpy as np

    la, lt = np.log(cols["age"]), np.log(cols["total_cholesterol_mg_dl"])
    lh, ls = np.log(cols["hdl_mg_dl"]), np.log(cols["systolic_bp"])
    treated, smoker = cols["bp_treated"], cols["smoker"]
    diabetes = cols["diabetes"]
    aa = cols["race"] == "african_american"
    out = np.empty(len(la))
    for name, c in PCE_TABLE_A.items():
        rows = (cols["sex"] == name.rsplit("_", 1)[1]) & (aa == name.startswith("african"))
        if not rows.any():
            continue
        a, t, h, s = la[rows], lt[rows], lh[rows], ls[rows]
        tr, sm = treated[rows], smoker[rows]
        total = c.ln_age * a + c.ln_total_cholesterol * t + c.ln_hdl * h
        total += (c.ln_age_squared or 0.0) * a * a
        total += (c.ln_age_x_ln_total_cholesterol or 0.0) * a * t
        total += (c.ln_age_x_ln_hdl or 0.0) * a * h
        total += np.where(
            tr,
            c.ln_treated_sbp * s + (c.ln_age_x_ln_treated_sbp or 0.0) * a * s,
            c.ln_untreated_sbp * s + (c.ln_age_x_ln_untreated_sbp or 0.0) * a * s,
        )
        total += np.where(sm, c.current_smoker + (c.ln_age_x_current_smoker or 0.0) * a, 0.0)
        total += np.where(diabetes[rows], c.diabetes, 0.0)
        out[rows] = total
    return out


def finish(value: float, x: Inputs) -> RiskResult:
    group = group_of(text(x, "sex"), text(x, "race"))
    risk = risk_from_sum(group, value)
    shown = round_half_up(risk, 1)
    category = band(shown, RISK_BANDS)
    details: dict[str, object] = {
        "risk_unrounded": risk,
        "equation": group,
        "individual_sum": value,
        "category_zh": RISK_ZH[category],
        "inputs": dict(x),
        "note": "for adults 40-79 without ASCVD and with LDL-C < 190 mg/dL; hard ASCVD = "
        "nonfatal MI, CHD death, fatal or nonfatal stroke",
    }
    if x["race"] == "other":
        details["race_note"] = (
            "no equation for other races: the white equations are used and may over- or "
            "underestimate risk (2013 ACC/AHA guideline)"
        )
    return RiskResult(shown, SPEC.unit, category, details, REFERENCE, SPEC.name)


def coefficient_table() -> dict[str, dict[str, float | None]]:
    """Table A as published, group -> parameter -> value (None = N/A)."""
    return {group: asdict(c) for group, c in PCE_TABLE_A.items()}


SCORE = Score(SPEC, raw, raw_many, finish)
