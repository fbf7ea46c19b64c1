"""The consultation's view of a patient's record, read through the audited `RecordStore`."""

from __future__ import annotations

from medsage.consult._personal import PatientContext, RecordItem
from medsage.health._patient_view import record_risks
from medsage.health._store import RecordStore

ACTIVE = (None, "active", "recurrence", "relapse")


def patient_context(
    patient_id: str, *, actor: str, store: RecordStore | None = None
) -> PatientContext:
    """Active conditions, medications, allergies and the record's risk scores of one patient."""
    owned = store is None
    records = store or RecordStore()
    try:
        patient = records.get_patient(actor, patient_id)
        conditions = tuple(
            RecordItem("condition", c.id, c.display or c.icd10 or "", c.icd10 or "")
            for c in records.conditions(actor, patient_id)
            if c.clinical_status in ACTIVE
        )
        medications = tuple(
            RecordItem("medication", m.id, m.display or m.code, m.code)
            for m in records.medications(actor, patient_id)
            if m.status in (None, "active", "on-hold", "intended")
        )
        allergies = tuple(
            RecordItem("allergy", a.id, a.display or a.code, a.code)
            for a in records.allergies(actor, patient_id)
            if a.clinical_status in (None, "active")
        )
        observations = records.observations(actor, patient_id)
    finally:
        if owned:
            records.close()
    risks = tuple(
        RecordItem("risk", name, _risk_text(name, r.value, r.unit, r.category), name, r.value)
        for name, r in record_risks(patient, observations).items()
    )
    return PatientContext(patient_id, conditions, medications, allergies, risks)


def _risk_text(name: str, value: float, unit: str, category: str) -> str:
    if "level" in unit:  # an ordinal category (blood-pressure stage): the category says it
        return f"{name}: {category}"
    return f"{name}: {value} {unit} ({category})"
