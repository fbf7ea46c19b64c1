"""The registry of risk scores and the functions that compute them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from medsage.health.risk import (
    ascvd_pce_2013,
    bmi,
    bp_category,
    cha2ds2_vasc,
    egfr_ckd_epi_2021,
    findrisc,
    qsofa,
)
from medsage.health.risk._base import RiskResult, Score, ScoreSpec, missing_required, resolve_inputs
from medsage.registry import Registry

SCORES: Registry[Score] = Registry("risk score")
for _module in (bmi, bp_category, egfr_ckd_epi_2021, ascvd_pce_2013, findrisc, cha2ds2_vasc, qsofa):
    SCORES.register(_module.SPEC.name)(_module.SCORE)


def compute(name: str, **inputs: object) -> RiskResult:
    """Compute score `name` from keyword inputs (see `list_scores()` for names and ranges).

    Strings are accepted for numbers ("120") and yes/no inputs ("yes", "false", "1").
    Raises UnknownNameError for an unknown score and InvalidInputError for a missing,
    unknown, malformed or out-of-range input (the message names it and its allowed range).
    """
    score = SCORES.get(name)
    x = resolve_inputs(score, inputs)
    return score.finish(score.raw(x), x)


def compute_many(name: str, rows: Sequence[Mapping[str, object]]) -> list[RiskResult]:
    """Compute score `name` for many rows (dicts of inputs) with numpy; same results as
    `compute` row by row. Raises InvalidInputError 'row I: ...' for the first bad row."""
    from medsage.health.risk._columns import resolve_columns

    score = SCORES.get(name)
    if not rows:
        return []
    columns, row_inputs = resolve_columns(score, rows)
    values = score.raw_many(columns).tolist()
    finish = score.finish
    return [finish(value, x) for value, x in zip(values, row_inputs, strict=True)]


def list_scores() -> list[ScoreSpec]:
    """Every registered score: name, title, inputs (type, unit, allowed range), reference."""
    return [SCORES.get(name).spec for name in SCORES.names()]


def get_spec(name: str) -> ScoreSpec:
    """The specification of score `name` (UnknownNameError lists the known names)."""
    return SCORES.get(name).spec


def missing_inputs(name: str, inputs: Mapping[str, object]) -> list[str]:
    """The required inputs of score `name` that `inputs` lacks (in every unit)."""
    return missing_required(SCORES.get(name), inputs)
