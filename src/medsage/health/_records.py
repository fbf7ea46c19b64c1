"""Plain frozen records that `RecordStore` returns (never ORM objects, so nothing lazy-loads
outside a transaction and nothing writes back by accident).

Times are timezone-aware UTC `datetime`s; dates of birth are `date`s. Each clinical record
carries `id`, the FHIR resource id it came with (or was given on CSV import), so an export
re-imports identically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

AuditAction = Literal["read", "create", "update", "delete", "import", "export"]
AuditOutcome = Literal["success", "failure"]
MedicationKind = Literal["MedicationRequest", "MedicationStatement"]

AUDIT_ACTIONS: tuple[str, ...] = ("read", "create", "update", "delete", "import", "export")


@dataclass(frozen=True)
class PatientRecord:
    """One patient: identity and demographics (no address, no identifiers such as SSN)."""

    id: str
    family_name: str | None = None
    given_name: str | None = None
    gender: str | None = None  # FHIR administrative gender: male | female | other | unknown
    birth_date: date | None = None
    deceased: datetime | None = None


@dataclass(frozen=True)
class ObservationRecord:
    """One measured value. A FHIR Observation with components (a blood-pressure panel) gives
    one record for the panel (`component == 0`) and one per component (`component >= 1`),
    all with the panel's `id`, so `observations(code="8480-6")` finds systolic values."""

    id: str
    patient_id: str
    code: str  # LOINC
    display: str | None = None
    value: float | None = None
    unit: str | None = None  # UCUM code
    value_text: str | None = None  # coded or string value, as text
    value_code: str | None = None  # the code of a coded value (valueCodeableConcept)
    value_system: str | None = None
    effective: datetime | None = None
    issued: datetime | None = None
    status: str | None = None
    category: str | None = None
    encounter_id: str | None = None
    component: int = 0


@dataclass(frozen=True)
class ConditionRecord:
    """A diagnosis. `icd10` is the ICD-10 code (given, or mapped from SNOMED CT when the map
    holds the concept, else None); `source_system`/`source_code` keep the coding it came with."""

    id: str
    patient_id: str
    icd10: str | None
    display: str | None = None
    source_system: str | None = None
    source_code: str | None = None
    clinical_status: str | None = None
    verification_status: str | None = None
    category: str | None = None
    onset: datetime | None = None
    abatement: datetime | None = None
    recorded: datetime | None = None
    encounter_id: str | None = None


@dataclass(frozen=True)
class MedicationRecord:
    """A medication order or statement (RxNorm code)."""

    id: str
    patient_id: str
    code: str
    display: str | None = None
    system: str | None = None
    kind: MedicationKind = "MedicationRequest"
    status: str | None = None
    intent: str | None = None
    authored: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    encounter_id: str | None = None


@dataclass(frozen=True)
class AllergyRecord:
    """An allergy or intolerance (SNOMED CT or RxNorm substance code)."""

    id: str
    patient_id: str
    code: str
    display: str | None = None
    system: str | None = None
    clinical_status: str | None = None
    verification_status: str | None = None
    type: str | None = None
    category: str | None = None
    criticality: str | None = None
    onset: datetime | None = None
    end: datetime | None = None
    recorded: datetime | None = None
    encounter_id: str | None = None


@dataclass(frozen=True)
class EncounterRecord:
    """A visit: class (v3 ActCode), type (SNOMED CT) and period."""

    id: str
    patient_id: str
    status: str | None = None
    class_code: str | None = None
    type_code: str | None = None
    type_system: str | None = None
    type_display: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    reason_code: str | None = None
    reason_display: str | None = None


@dataclass(frozen=True)
class CarePlanActivity:
    """One planned activity of a care plan."""

    code: str | None
    display: str | None = None
    system: str | None = None
    status: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "display": self.display,
            "system": self.system,
            "status": self.status,
        }


@dataclass(frozen=True)
class CarePlanRecord:
    """A care plan with its category code and activities."""

    id: str
    patient_id: str
    status: str | None = None
    intent: str | None = None
    code: str | None = None
    display: str | None = None
    system: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    encounter_id: str | None = None
    activities: tuple[CarePlanActivity, ...] = ()


@dataclass(frozen=True)
class AuditEventRecord:
    """Who did what to which patient's record, when, and whether it succeeded."""

    id: int
    time: datetime
    actor: str
    action: str
    patient_id: str | None
    resource_type: str
    outcome: str
    detail: str | None = None


@dataclass(frozen=True)
class PatientBundle:
    """Everything the store holds for one patient (what export writes)."""

    patient: PatientRecord
    observations: tuple[ObservationRecord, ...] = ()
    conditions: tuple[ConditionRecord, ...] = ()
    medications: tuple[MedicationRecord, ...] = ()
    allergies: tuple[AllergyRecord, ...] = ()
    encounters: tuple[EncounterRecord, ...] = ()
    care_plans: tuple[CarePlanRecord, ...] = ()

    def counts(self) -> dict[str, int]:
        """Rows per kind (observations count components as rows)."""
        return {
            "patients": 1,
            "observations": len(self.observations),
            "conditions": len(self.conditions),
            "medications": len(self.medications),
            "allergies": len(self.allergies),
            "encounters": len(self.encounters),
            "care_plans": len(self.care_plans),
        }


@dataclass(frozen=True)
class ImportResult:
    """What an import stored: patient ids, rows per kind, and resources it did not keep."""

    patient_ids: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # resource type -> how many

    def to_dict(self) -> dict[str, Any]:
        return {
            "patient_ids": list(self.patient_ids),
            "counts": dict(self.counts),
            "skipped": dict(self.skipped),
        }
