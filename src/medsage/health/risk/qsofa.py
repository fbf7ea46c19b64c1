"""qSOFA: quick Sequential Organ Failure Assessment at the bedside (suspected infection)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from medsage.health.risk._base import Inputs, InputSpec, RiskResult, Score, ScoreSpec, num

if TYPE_CHECKING:
    from medsage.health.risk._base import Column, FloatArray

# Seymour CW, Liu VX, Iwashyna TJ, et al. Assessment of clinical criteria for sepsis: for the
# Third International Consensus Definitions for Sepsis and Septic Shock (Sepsis-3).
# JAMA 2016;315:762-74: one point each for respiratory rate >= 22/min, altered mentation
# (Glasgow Coma Scale < 15) and systolic blood pressure <= 100 mm Hg; a score >= 2 in a
# patient with suspected infection marks a higher risk of death or a prolonged ICU stay
# (Singer M et al. JAMA 2016;315:801-10).
QSOFA_RESPIRATORY_RATE = 22.0  # >= this
QSOFA_SYSTOLIC_BP = 100.0  # <= this
QSOFA_FULL_GCS = 15  # GCS below this = altered mentation
QSOFA_POSITIVE = 2  # score >= this

REFERENCE = (
    "Seymour CW et al. Assessment of clinical criteria for sepsis (Sepsis-3). JAMA "
    "2016;315:762-74; Singer M et al. JAMA 2016;315:801-10"
)

SPEC = ScoreSpec(
    name="qsofa",
    title="qSOFA (quick SOFA) in suspected infection",
    title_zh="快速序贯器官衰竭评分（qSOFA）",
    unit="points",
    inputs=(
        InputSpec(
            "respiratory_rate", "number", "respiratory rate", unit="/min", minimum=0, maximum=80
        ),
        InputSpec(
            "systolic_bp", "number", "systolic blood pressure", unit="mmHg", minimum=20, maximum=300
        ),
        InputSpec(
            "altered_mentation", "boolean", "altered mentation (or give gcs)", required=False
        ),
        InputSpec(
            "gcs",
            "integer",
            "Glasgow Coma Scale total (or give altered_mentation)",
            minimum=3,
            maximum=15,
            required=False,
        ),
    ),
    categories=("negative", "positive"),
    reference=REFERENCE,
)


def _altered(x: Inputs) -> bool:
    if x.get("altered_mentation") is not None:
        return bool(x["altered_mentation"])
    return num(x, "gcs") < QSOFA_FULL_GCS


def item_points(x: Inputs) -> dict[str, int]:
    return {
        "respiratory_rate": int(num(x, "respiratory_rate") >= QSOFA_RESPIRATORY_RATE),
        "altered_mentation": int(_altered(x)),
        "systolic_bp": int(num(x, "systolic_bp") <= QSOFA_SYSTOLIC_BP),
    }


def raw(x: Inputs) -> float:
    return float(sum(item_points(x).values()))


def raw_many(cols: Mapping[str, Column]) -> FloatArray:
    import numpy as np

    mentation, gcs = cols["altered_mentation"], cols["gcs"]  # floats, NaN where not given
    altered = np.where(np.isnan(mentation), gcs < QSOFA_FULL_GCS, mentation == 1.0)
    total = (cols["respiratory_rate"] >= QSOFA_RESPIRATORY_RATE).astype(np.float64)
    total += cols["systolic_bp"] <= QSOFA_SYSTOLIC_BP
    total += altered
    return total


def check(x: Inputs) -> str | None:
    mentation, gcs = x.get("altered_mentation"), x.get("gcs")
    if mentation is None and gcs is None:
        return "missing input altered_mentation (true or false) or gcs (3 to 15); give one"
    if (
        mentation is not None
        and gcs is not None
        and bool(mentation) != (float(gcs) < QSOFA_FULL_GCS)
    ):
        return (
            f"altered_mentation = {mentation} and gcs = {gcs} disagree (qSOFA counts GCS < 15 "
            "as altered mentation); give only one of them"
        )
    return None


def check_many(cols: Mapping[str, Column]) -> Column:
    import numpy as np

    mentation, gcs = cols["altered_mentation"], cols["gcs"]
    neither = np.isnan(mentation) & np.isnan(gcs)
    both = ~np.isnan(mentation) & ~np.isnan(gcs)
    bad: Column = neither | (both & ((mentation == 1.0) != (gcs < QSOFA_FULL_GCS)))
    return bad


def finish(value: float, x: Inputs) -> RiskResult:
    score = int(value)
    category = "positive" if score >= QSOFA_POSITIVE else "negative"
    details = {
        "points": item_points(x),
        "category_zh": "阳性（≥2分，不良结局风险高）" if category == "positive" else "阴性",
        "inputs": dict(x),
        "note": "a prompt to look for organ dysfunction in suspected infection; not a "
        "diagnosis of sepsis",
    }
    return RiskResult(score, SPEC.unit, category, details, REFERENCE, SPEC.name)


SCORE = Score(SPEC, raw, raw_many, finish, check=check, check_many=check_many)
