"""A patient's record as the applications use it: risk inputs, measurement series, alerts,
plans and the consultation context, all read through `RecordStore` (so every read is audited).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from medsage.errors import InvalidInputError
from medsage.health._alerts import Alert, evaluate_alerts
from medsage.health._plans import CarePlan, PlanInputs, make_plan
from medsage.health._records import ObservationRecord, PatientBundle, PatientRecord
from medsage.health._store import RecordStore
from medsage.health._trends import Measurement, Trend, trend
from medsage.health.risk import RiskResult, compute_from_observations
from medsage.health.risk._from_record import Observation

# Scores computed for every patient when the record holds their inputs.
RECORD_SCORES = ("bmi", "bp_category", "egfr_ckd_epi_2021")


def observation_tuples(observations: list[ObservationRecord]) -> list[Observation]:
    """(LOINC, value, unit, time, id) tuples, the form the risk registry reads."""
    return [
        (
            o.code,
            o.value if o.value is not None else o.value_text,
            o.unit,
            o.effective.isoformat() if o.effective else None,
            o.id,
        )
        for o in observations
    ]


def demographics(patient: PatientRecord) -> dict[str, Any]:
    return {"birth_date": patient.birth_date, "sex": patient.gender}


def record_risks(
    patient: PatientRecord, observations: list[ObservationRecord]
) -> dict[str, RiskResult]:
    """The `RECORD_SCORES` that the record holds every input for (others are left out)."""
    tuples = observation_tuples(observations)
    out: dict[str, RiskResult] = {}
    for name in RECORD_SCORES:
        try:
            out[name] = compute_from_observations(name, tuples, demographics(patient))
        except InvalidInputError:
            continue  # an input is missing or out of range in this record: no score
    return out


def measurement_series(
    observations: list[ObservationRecord], since: datetime | None = None
) -> dict[str, list[Measurement]]:
    """Numeric observations per LOINC code (oldest first), from `since` on when given."""
    series: dict[str, list[Measurement]] = defaultdict(list)
    for o in observations:
        if o.value is None or o.effective is None or not o.unit:
            continue
        when = o.effective if o.effective.tzinfo else o.effective.replace(tzinfo=UTC)
        if since is not None and when < since:
            continue
        series[o.code].append(Measurement(when, float(o.value), o.unit, o.id))
    return {code: sorted(points, key=lambda m: m.time) for code, points in series.items()}


def patient_alerts(
    store: RecordStore, actor: str, patient_id: str, *, since: datetime | None = None,
    standard: str = "international",
) -> list[Alert]:  # fmt: skip
    """Threshold and rapid-change alerts over the patient's measurements (from `since`)."""
    observations = store.observations(actor, patient_id)
    return evaluate_alerts(measurement_series(observations, since), standard=standard)  # type: ignore[arg-type]


def _age(birth: date | None, on: date) -> float:
    if birth is None:
        raise InvalidInputError("the record has no birth date, which a plan needs")
    return (on - birth).days / 365.25


def patient_plan(
    store: RecordStore, actor: str, patient_id: str, *, lang: str = "en",
    standard: str = "international", today: date | None = None,
) -> CarePlan:  # fmt: skip
    """A personal plan from the record (conditions, medications, allergies, latest measurements)
    and the scores the record allows."""
    patient = store.get_patient(actor, patient_id)
    observations = store.observations(actor, patient_id)
    series = measurement_series(observations)
    conditions = [
        c.icd10 for c in store.conditions(actor, patient_id)
        if c.icd10 and c.clinical_status in (None, "active", "recurrence", "relapse")
    ]  # fmt: skip
    inputs = PlanInputs(
        age=_age(patient.birth_date, today or datetime.now(UTC).date()),
        sex=patient.gender or "unknown",
        conditions=conditions,
        medications=[m.display or m.code for m in store.medications(actor, patient_id)],
        allergies=[a.display or a.code for a in store.allergies(actor, patient_id)],
        latest={code: points[-1] for code, points in series.items()},
        risks={name: r.to_dict() for name, r in record_risks(patient, observations).items()},
    )
    return make_plan(inputs, lang, standard=standard)


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def patient_dict(patient: PatientRecord) -> dict[str, Any]:
    """A patient's demographics as JSON-ready values."""
    return {
        "id": patient.id,
        "family_name": patient.family_name,
        "given_name": patient.given_name,
        "gender": patient.gender,
        "birth_date": _iso(patient.birth_date),
        "deceased": _iso(patient.deceased),
    }


def patient_summary(bundle: PatientBundle) -> dict[str, Any]:
    """Demographics, counts, conditions, medications, allergies and the latest value per code."""
    latest: dict[str, dict[str, Any]] = {}
    for o in bundle.observations:  # time order: the last one per code wins
        if o.value is not None or o.value_text is not None:
            latest[o.code] = {
                "code": o.code, "display": o.display, "value": o.value, "unit": o.unit,
                "value_text": o.value_text, "effective": _iso(o.effective),
            }  # fmt: skip
    return {
        "patient": patient_dict(bundle.patient),
        "counts": bundle.counts(),
        "conditions": [
            {
                "icd10": c.icd10,
                "code": c.source_code,
                "display": c.display,
                "onset": _iso(c.onset),
                "status": c.clinical_status,
            }
            for c in bundle.conditions
        ],
        "medications": [
            {"code": m.code, "display": m.display, "status": m.status, "start": _iso(m.start)}
            for m in bundle.medications
        ],
        "allergies": [
            {"code": a.code, "display": a.display, "criticality": a.criticality}
            for a in bundle.allergies
        ],
        "latest_observations": sorted(latest.values(), key=lambda x: x["code"]),
    }


def observation_dict(o: ObservationRecord) -> dict[str, Any]:
    """One observation as JSON-ready values."""
    return {
        "id": o.id, "code": o.code, "display": o.display, "value": o.value, "unit": o.unit,
        "value_text": o.value_text, "effective": _iso(o.effective), "status": o.status,
        "category": o.category, "component": o.component,
    }  # fmt: skip


def patient_trends(observations: list[ObservationRecord], code: str | None = None) -> list[Trend]:
    """The linear trend of each measurement code with two or more dates (one code if given)."""
    out = []
    for loinc, points in sorted(measurement_series(observations).items()):
        if (code and loinc != code) or len({p.time for p in points}) < 2:
            continue
        out.append(trend(points, code=loinc))
    return out
