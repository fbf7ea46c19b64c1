"""Patient health management: records, FHIR, risk scores, trends, alerts and plans.

`RecordStore` keeps each patient's record (SQLite by default, PostgreSQL by URL) and audits
every read and write; `medsage.health.risk` holds validated risk scores; `trend`,
`evaluate_alerts` and `make_plan` watch measurements and propose a personal plan.
"""

from __future__ import annotations

from medsage.health._access import (
    Access,
    can_create_patients,
    can_write_patient,
    deidentified_observation,
    deidentified_patient,
    patient_access,
    pseudonym,
)
from medsage.health._alerts import Alert, evaluate_alerts
from medsage.health._bulk import RecordCheckError, bulk_import
from medsage.health._fhir_import import FhirBundleError
from medsage.health._patient_view import (
    measurement_series,
    patient_alerts,
    patient_plan,
    record_risks,
)
from medsage.health._plans import CarePlan, PlanInputs, make_plan
from medsage.health._plots import plot_measurement
from medsage.health._records import (
    AllergyRecord,
    AuditEventRecord,
    ConditionRecord,
    EncounterRecord,
    ImportResult,
    MedicationRecord,
    ObservationRecord,
    PatientRecord,
)
from medsage.health._store import RecordStore
from medsage.health._synthetic import synthetic_fhir_bundles, synthetic_patients
from medsage.health._trends import Measurement, Trend, trend
from medsage.health._users import ROLES, ApiKeyRecord, UserRecord, UserStore

__all__ = [
    "ROLES",
    "Access",
    "Alert",
    "AllergyRecord",
    "ApiKeyRecord",
    "AuditEventRecord",
    "CarePlan",
    "ConditionRecord",
    "EncounterRecord",
    "FhirBundleError",
    "ImportResult",
    "Measurement",
    "MedicationRecord",
    "ObservationRecord",
    "PatientRecord",
    "PlanInputs",
    "RecordCheckError",
    "RecordStore",
    "Trend",
    "UserRecord",
    "UserStore",
    "bulk_import",
    "can_create_patients",
    "can_write_patient",
    "deidentified_observation",
    "deidentified_patient",
    "evaluate_alerts",
    "make_plan",
    "measurement_series",
    "patient_access",
    "patient_alerts",
    "patient_plan",
    "plot_measurement",
    "pseudonym",
    "record_risks",
    "synthetic_fhir_bundles",
    "synthetic_patients",
    "trend",
]
