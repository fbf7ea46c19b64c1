"""Validated clinical risk scores: a registry, one module per score, each citing its source.

>>> from medsage.health.risk import compute
>>> compute("bmi", weight_kg=70, height_cm=175).value
22.9

`compute(name, **inputs)` gives a `RiskResult` (value, unit, category, details, reference);
`compute_many(name, rows)` does the same for many rows with numpy; `list_scores()` says
what each score needs (types, units, allowed ranges, unit alternatives).
`inputs_from_observations` reads a score's inputs from a patient's observations (LOINC).
"""

from __future__ import annotations

from medsage.health.risk._base import InputSpec, RiskResult, ScoreSpec, UnitAlternative
from medsage.health.risk._from_record import (
    Observation,
    compute_from_observations,
    inputs_from_observations,
)
from medsage.health.risk._registry import (
    compute,
    compute_many,
    get_spec,
    list_scores,
    missing_inputs,
)

__all__ = [
    "InputSpec",
    "Observation",
    "RiskResult",
    "ScoreSpec",
    "UnitAlternative",
    "compute",
    "compute_from_observations",
    "compute_many",
    "get_spec",
    "inputs_from_observations",
    "list_scores",
    "missing_inputs",
]
