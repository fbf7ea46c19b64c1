"""Estimated GFR from serum creatinine: the race-free CKD-EPI 2021 equation, KDIGO G1-G5."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from medsage.health.risk._base import (
    Inputs,
    InputSpec,
    RiskResult,
    Score,
    ScoreSpec,
    UnitAlternative,
    band,
    num,
    round_half_up,
)

if TYPE_CHECKING:
    from medsage.health.risk._base import Column, FloatArray

# Inker LA, Eneanya ND, Coresh J, et al. New creatinine- and cystatin C-based equations to
# estimate GFR without race. N Engl J Med 2021;385:1737-49 (Table 2, eGFRcr 2021):
#   eGFR = 142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^age x 1.012 [if female]
#   k = 0.7 (female) / 0.9 (male); a = -0.241 (female) / -0.302 (male); Scr in mg/dL.
CKD_EPI_2021_MULTIPLIER = 142.0
CKD_EPI_2021_KAPPA = {"female": 0.7, "male": 0.9}
CKD_EPI_2021_ALPHA = {"female": -0.241, "male": -0.302}
CKD_EPI_2021_HIGH_EXPONENT = -1.200
CKD_EPI_2021_AGE_BASE = 0.9938
CKD_EPI_2021_FEMALE_FACTOR = 1.012

# Creatinine (C4H7N3O, molar mass 113.12 g/mol): 1 mg/dL = 10 000 / 113.12 = 88.4 umol/L,
# the factor the KDIGO 2012 guideline (Kidney Int Suppl 2013;3:1-150) uses.
CREATININE_UMOL_L_PER_MG_DL = 88.4

# KDIGO 2012 Clinical Practice Guideline for the Evaluation and Management of CKD. Kidney Int
# Suppl 2013;3:1-150, Figure 2 / Table 5, GFR categories (mL/min/1.73 m²): G1 >= 90;
# G2 60-89; G3a 45-59; G3b 30-44; G4 15-29; G5 < 15. (upper bound exclusive, label)
KDIGO_BANDS: tuple[tuple[float, str], ...] = (
    (15.0, "G5"),
    (30.0, "G4"),
    (45.0, "G3b"),
    (60.0, "G3a"),
    (90.0, "G2"),
    (float("inf"), "G1"),
)
KDIGO_ZH = {
    "G1": "G1 正常或升高", "G2": "G2 轻度下降", "G3a": "G3a 轻到中度下降",
    "G3b": "G3b 中到重度下降", "G4": "G4 重度下降", "G5": "G5 肾衰竭",
}  # fmt: skip
KDIGO_EN = {
    "G1": "normal or high", "G2": "mildly decreased", "G3a": "mildly to moderately decreased",
    "G3b": "moderately to severely decreased", "G4": "severely decreased",
    "G5": "kidney failure",
}  # fmt: skip

REFERENCE = (
    "Inker LA et al. New creatinine- and cystatin C-based equations to estimate GFR without "
    "race. N Engl J Med 2021;385:1737-49 (eGFRcr 2021); categories: KDIGO 2012 CKD "
    "guideline, Kidney Int Suppl 2013;3:1-150, Table 5"
)

SPEC = ScoreSpec(
    name="egfr_ckd_epi_2021",
    title="eGFR, CKD-EPI 2021 creatinine equation (race-free)",
    title_zh="估算肾小球滤过率（CKD-EPI 2021 肌酐方程）",
    unit="mL/min/1.73 m²",
    inputs=(
        InputSpec(
            "creatinine_mg_dl",
            "number",
            "serum creatinine (IDMS-traceable)",
            unit="mg/dL",
            minimum=0.1,
            maximum=30.0,
            alternatives=(
                UnitAlternative(
                    "creatinine_umol_l",
                    "µmol/L",
                    1 / CREATININE_UMOL_L_PER_MG_DL,
                    "88.4 µmol/L per mg/dL (creatinine 113.12 g/mol; KDIGO 2012)",
                ),
            ),
            hint="mg/dL values are usually 0.5-1.5; µmol/L values go in creatinine_umol_l",
        ),
        InputSpec(
            "age",
            "number",
            "age",
            unit="years",
            minimum=18,
            maximum=120,
            hint="the equation is for adults",
        ),
        InputSpec("sex", "choice", "sex", choices=("female", "male")),
    ),
    categories=tuple(label for _, label in reversed(KDIGO_BANDS)),
    reference=REFERENCE,
)


def raw(x: Inputs) -> float:
    sex = str(x["sex"])
    ratio = num(x, "creatinine_mg_dl") / CKD_EPI_2021_KAPPA[sex]
    egfr: float = (
        CKD_EPI_2021_MULTIPLIER
        * min(ratio, 1.0) ** CKD_EPI_2021_ALPHA[sex]
        * max(ratio, 1.0) ** CKD_EPI_2021_HIGH_EXPONENT
        * CKD_EPI_2021_AGE_BASE ** num(x, "age")
    )
    return egfr * CKD_EPI_2021_FEMALE_FACTOR if sex == "female" else egfr


def raw_many(cols: Mapping[str, Column]) -> FloatArray:
    import numpy as np

    female = cols["sex"] == "female"
    kappa = np.where(female, CKD_EPI_2021_KAPPA["female"], CKD_EPI_2021_KAPPA["male"])
    alpha = np.where(female, CKD_EPI_2021_ALPHA["female"], CKD_EPI_2021_ALPHA["male"])
    ratio = cols["creatinine_mg_dl"] / kappa
    egfr = (
        CKD_EPI_2021_MULTIPLIER
        * np.minimum(ratio, 1.0) ** alpha
        * np.maximum(ratio, 1.0) ** CKD_EPI_2021_HIGH_EXPONENT
        * CKD_EPI_2021_AGE_BASE ** cols["age"]
    )
    return np.where(female, egfr * CKD_EPI_2021_FEMALE_FACTOR, egfr)


def finish(value: float, x: Inputs) -> RiskResult:
    shown = round_half_up(value, 1)
    category = band(shown, KDIGO_BANDS)
    details = {
        "egfr_unrounded": value,
        "category_en": KDIGO_EN[category],
        "category_zh": KDIGO_ZH[category],
        "kappa": CKD_EPI_2021_KAPPA[str(x["sex"])],
        "alpha": CKD_EPI_2021_ALPHA[str(x["sex"])],
        "inputs": dict(x),
        "note": "CKD needs eGFR < 60 for > 3 months or kidney damage; one value is not a diagnosis",
    }
    return RiskResult(shown, SPEC.unit, category, details, REFERENCE, SPEC.name)


SCORE = Score(SPEC, raw, raw_many, finish)
