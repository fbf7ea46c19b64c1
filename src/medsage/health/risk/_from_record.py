"""A score's inputs from a patient's observations (LOINC codes), with where each came from.

Pure functions over plain tuples, so the records store, a FHIR bundle or a test can feed them.
The latest value of each code is taken; units are converted only with the factors listed here
(an unlisted unit is an error, never a guess); inputs the observations cannot give (on
blood-pressure treatment? diabetes?) are left out, for the caller to ask for by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from medsage.errors import InvalidInputError
from medsage.health.risk._base import InputSpec, RiskResult
from medsage.health.risk._registry import SCORES, compute

# (loinc_code, value, unit, effective_time_iso, observation_id)
Observation = tuple[str, float | int | str | None, str | None, str | None, str]


@dataclass(frozen=True)
class Source:
    """Where an input comes from: LOINC codes, and for each accepted unit the input name it
    fills and the factor to that input's unit."""

    codes: tuple[str, ...]
    units: Mapping[str, tuple[str, float]]


# Exact unit definitions: 1 lb = 0.45359237 kg and 1 in = 2.54 cm (international yard and
# pound agreement, 1959). Other conversions happen in the score itself (its unit alternatives,
# with their cited factors): creatinine µmol/L, cholesterol mmol/L.
_KG = {"kg": ("weight_kg", 1.0), "g": ("weight_kg", 0.001), "[lb_av]": ("weight_kg", 0.45359237)}
_CM = {"cm": ("height_cm", 1.0), "m": ("height_cm", 100.0), "mm": ("height_cm", 0.1),
       "[in_i]": ("height_cm", 2.54)}  # fmt: skip
_MMHG = {"mm[hg]": ("", 1.0), "mmhg": ("", 1.0)}
_PER_MIN = {"/min": ("", 1.0), "{breaths}/min": ("", 1.0), "1/min": ("", 1.0)}
_UNITLESS = {"": ("", 1.0), "{score}": ("", 1.0), "1": ("", 1.0)}

WEIGHT = Source(("29463-7",), _KG)  # Body weight
HEIGHT = Source(("8302-2",), _CM)  # Body height
BMI = Source(("39156-5",), {"kg/m2": ("", 1.0)})  # Body mass index
SYSTOLIC = Source(("8480-6",), _MMHG)  # Systolic blood pressure
DIASTOLIC = Source(("8462-4",), _MMHG)  # Diastolic blood pressure
# Creatinine [Mass/volume] in Serum or Plasma 2160-0, in Blood 38483-4 (what Synthea writes),
# [Moles/volume] in Serum or Plasma 14682-9.
CREATININE = Source(
    ("2160-0", "38483-4", "14682-9"),
    {"mg/dl": ("creatinine_mg_dl", 1.0), "umol/l": ("creatinine_umol_l", 1.0),
     "mmol/l": ("creatinine_umol_l", 1000.0)},
)  # fmt: skip
TOTAL_CHOLESTEROL = Source(
    ("2093-3",),
    {"mg/dl": ("total_cholesterol_mg_dl", 1.0), "mmol/l": ("total_cholesterol_mmol_l", 1.0)},
)
HDL = Source(("2085-9",), {"mg/dl": ("hdl_mg_dl", 1.0), "mmol/l": ("hdl_mmol_l", 1.0)})
WAIST = Source(("8280-0",), {"cm": ("waist_cm", 1.0), "[in_i]": ("waist_cm", 2.54)})
RESPIRATORY_RATE = Source(("9279-1",), _PER_MIN)
GCS_TOTAL = Source(("9269-2",), _UNITLESS)  # Glasgow coma score total
SMOKING_STATUS = "72166-2"  # Tobacco smoking status (coded: SNOMED CT text or code)

# SNOMED CT answers of LOINC 72166-2 (the NHIS list): current smokers -> True, never and
# former -> False. "Unknown if ever smoked" (266927001) gives nothing.
SMOKER_ANSWERS: Mapping[str, bool] = {
    "current every day smoker": True, "449868002": True,
    "current some day smoker": True, "428041000124106": True,
    "smoker, current status unknown": True, "77176002": True,
    "heavy tobacco smoker": True, "428071000124103": True,
    "light tobacco smoker": True, "428061000124105": True,
    "former smoker": False, "8517006": False,
    "never smoker": False, "266919005": False,
}  # fmt: skip

# Which observation fills which input of each score ("" in a unit table: the input itself).
SCORE_SOURCES: Mapping[str, Mapping[str, Source]] = {
    "bmi": {"weight_kg": WEIGHT, "height_cm": HEIGHT},
    "bp_category": {"systolic": SYSTOLIC, "diastolic": DIASTOLIC},
    "egfr_ckd_epi_2021": {"creatinine_mg_dl": CREATININE},
    "ascvd_pce_2013": {"total_cholesterol_mg_dl": TOTAL_CHOLESTEROL, "hdl_mg_dl": HDL,
                       "systolic_bp": SYSTOLIC},
    "findrisc": {"bmi": BMI, "waist_cm": WAIST},
    "cha2ds2_vasc": {},
    "qsofa": {"respiratory_rate": RESPIRATORY_RATE, "systolic_bp": SYSTOLIC, "gcs": GCS_TOTAL},
}  # fmt: skip

# FHIR / Synthea race words -> the Pooled Cohort Equations' groups ("other" = neither).
RACE_WORDS: Mapping[str, str] = {
    "white": "white", "black": "african_american", "african_american": "african_american",
    "black or african american": "african_american", "asian": "other", "native": "other",
    "american indian or alaska native": "other", "hawaiian": "other",
    "native hawaiian or other pacific islander": "other", "other": "other",
}  # fmt: skip


@dataclass(frozen=True)
class _Reading:
    value: float | int | str
    unit: str
    time: datetime | None
    observation_id: str
    order: int

    def key(self) -> tuple[bool, datetime, int]:
        return (self.time is not None, self.time or datetime.min.replace(tzinfo=UTC), self.order)


def inputs_from_observations(
    name: str, observations: Iterable[Observation], patient: Mapping[str, Any],
    *, as_of: date | None = None,
) -> tuple[dict[str, object], dict[str, str]]:  # fmt: skip
    """The inputs of score `name` that the observations and the patient give, and where each
    came from (`{input_name: observation_id}`; demographics say `patient.<field>`).

    Takes the latest value of each LOINC code (observations without a time count as oldest);
    systolic and diastolic come from the same reading when one has both. Age is in completed
    years on `as_of`, by default the date of the latest observation used (today when none
    is). Inputs the data cannot give are left out: `missing_inputs(name, inputs)` names them.
    Raises InvalidInputError for an observation in a unit that cannot be converted.
    """
    SCORES.get(name)  # UnknownNameError for a wrong name
    readings = _readings(observations)
    inputs: dict[str, object] = {}
    provenance: dict[str, str] = {}
    used: list[_Reading] = []
    sources = SCORE_SOURCES[name]
    chosen = _choose(sources, readings)
    for input_name, source in sources.items():
        reading = chosen.get(input_name)
        if reading is None:
            continue
        target, value = _convert(input_name, source, reading)
        inputs[target] = value
        provenance[target] = reading.observation_id
        used.append(reading)
    spec_names = {inp.name for inp in SCORES.get(name).spec.inputs}
    if "smoker" in spec_names:
        smoking = _latest(readings.get(SMOKING_STATUS, []))
        if smoking is not None and str(smoking.value).strip().lower() in SMOKER_ANSWERS:
            inputs["smoker"] = SMOKER_ANSWERS[str(smoking.value).strip().lower()]
            provenance["smoker"] = smoking.observation_id
            used.append(smoking)
    _demographics(spec_names, patient, used, as_of, inputs, provenance)
    return inputs, provenance


def compute_from_observations(
    name: str, observations: Iterable[Observation], patient: Mapping[str, Any],
    given: Mapping[str, object] | None = None, *, as_of: date | None = None,
) -> RiskResult:  # fmt: skip
    """Compute score `name` from a patient's observations, with `given` inputs filling gaps
    or overriding the record. The result's details carry `provenance` (input -> observation
    id, `patient.<field>` or `given`). Raises InvalidInputError naming every input that
    neither the record nor `given` holds."""
    spec = SCORES.get(name).spec
    inputs, provenance = inputs_from_observations(name, observations, patient, as_of=as_of)
    for key, value in (given or {}).items():
        if value is None:
            continue
        inp = _input_named(spec.inputs, key)
        for alias in inp.names() if inp else (key,):
            inputs.pop(alias, None)
            provenance.pop(alias, None)
        inputs[key] = value
        provenance[key] = "given"
    missing = [
        inp for inp in spec.inputs
        if inp.required and inp.default is None
        and all(inputs.get(alias) is None for alias in inp.names())
    ]  # fmt: skip
    if missing:
        listed = "; ".join(f"{inp.name} ({inp.description}; {inp.allowed()})" for inp in missing)
        raise InvalidInputError(
            f"{name}: not in the patient's record and not given: {listed}. Give them as inputs"
        )
    result = compute(name, **inputs)
    by_input = {}  # provenance under the input's own name (creatinine_umol_l -> _mg_dl)
    for key, source in provenance.items():
        inp = _input_named(spec.inputs, key)
        by_input[inp.name if inp else key] = source
    details = {**result.details, "provenance": by_input}
    return RiskResult(result.value, result.unit, result.category, details, result.reference,
                      result.score)  # fmt: skip


def _input_named(inputs: Sequence[InputSpec], key: str) -> InputSpec | None:
    return next((inp for inp in inputs if key in inp.names()), None)


def _readings(observations: Iterable[Observation]) -> dict[str, list[_Reading]]:
    by_code: dict[str, list[_Reading]] = {}
    for order, obs in enumerate(observations):
        if len(obs) != 5:
            raise InvalidInputError(
                f"observation {order} has {len(obs)} fields; expected (loinc_code, value, unit, "
                "effective_time_iso, observation_id)"
            )
        code, value, unit, when, obs_id = obs
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        reading = _Reading(value, _norm_unit(unit), _parse_time(when, obs_id), str(obs_id), order)
        by_code.setdefault(str(code), []).append(reading)
    return by_code


def _norm_unit(unit: str | None) -> str:
    return (unit or "").strip().replace("µ", "u").replace("μ", "u").lower()


def _parse_time(when: str | None, obs_id: object) -> datetime | None:
    if not when:
        return None
    try:
        parsed = datetime.fromisoformat(when)
    except ValueError:
        raise InvalidInputError(
            f"observation {obs_id}: effective time {when!r} is not an ISO 8601 date-time"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _latest(readings: list[_Reading]) -> _Reading | None:
    return max(readings, key=_Reading.key) if readings else None


def _choose(
    sources: Mapping[str, Source], readings: dict[str, list[_Reading]]
) -> dict[str, _Reading]:
    chosen: dict[str, _Reading] = {}
    for input_name, source in sources.items():
        latest = _latest([r for code in source.codes for r in readings.get(code, [])])
        if latest is not None:
            chosen[input_name] = latest
    if "systolic" in chosen and "diastolic" in chosen:  # take both from one reading
        pairs = [
            (s, d) for s in readings.get(SYSTOLIC.codes[0], [])
            for d in readings.get(DIASTOLIC.codes[0], [])
            if s.observation_id == d.observation_id or (s.time is not None and s.time == d.time)
        ]  # fmt: skip
        if pairs:
            chosen["systolic"], chosen["diastolic"] = max(pairs, key=lambda p: p[0].key())
    return chosen


def _convert(input_name: str, source: Source, reading: _Reading) -> tuple[str, float]:
    if reading.unit not in source.units:
        accepted = ", ".join(repr(u) for u in source.units) or "none"
        raise InvalidInputError(
            f"observation {reading.observation_id} for {input_name} has unit "
            f"{reading.unit or 'none'!r}, which is not converted (accepted: {accepted}); "
            "fix the unit in the record or give the value directly"
        )
    target, factor = source.units[reading.unit]
    try:
        number = float(reading.value)
    except ValueError:
        raise InvalidInputError(
            f"observation {reading.observation_id} for {input_name} has value "
            f"{reading.value!r}, not a number"
        ) from None
    return target or input_name, number * factor


def _demographics(
    spec_names: set[str], patient: Mapping[str, Any], used: list[_Reading],
    as_of: date | None, inputs: dict[str, object], provenance: dict[str, str],
) -> None:  # fmt: skip
    sex = str(patient.get("sex") or patient.get("gender") or "").strip().lower()
    if "sex" in spec_names and sex in ("female", "male"):
        inputs["sex"] = sex
        provenance["sex"] = "patient.sex"
    race = RACE_WORDS.get(str(patient.get("race") or "").strip().lower())
    if "race" in spec_names and race is not None:
        inputs["race"] = race
        provenance["race"] = "patient.race"
    birth = patient.get("birth_date")
    if "age" in spec_names and birth:
        try:
            born = birth if isinstance(birth, date) else date.fromisoformat(str(birth)[:10])
        except ValueError:
            raise InvalidInputError(
                f"patient birth_date {birth!r} is not an ISO date (YYYY-MM-DD)"
            ) from None
        if isinstance(born, datetime):
            born = born.date()
        timed = [r.time for r in used if r.time is not None]
        on = as_of or (max(timed).date() if timed else date.today())
        years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        inputs["age"] = years
        provenance["age"] = f"patient.birth_date (age on {on.isoformat()})"
