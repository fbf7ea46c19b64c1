"""All 12 Synthea bundles import; export -> import into a fresh store -> export is identical."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from medsage.health._fhir_export import bundle_json
from medsage.health._store import RecordStore

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

EXPECTED_COUNTS = {
    "patients": 12,
    "observations": 1196,
    "conditions": 87,
    "medications": 22,
    "allergies": 0,
    "encounters": 125,
    "care_plans": 29,
}
EXPECTED_SKIPPED = {
    "Claim": 147,
    "DiagnosticReport": 192,
    "DocumentReference": 125,
    "ExplanationOfBenefit": 125,
    "Immunization": 109,
    "Procedure": 63,
    "CareTeam": 29,
    "Provenance": 12,
    "Medication": 2,
    "MedicationAdministration": 2,
    "ImagingStudy": 1,
}


def test_when_all_12_bundles_round_trip_then_both_exports_and_all_records_are_identical(
    store_factory: Callable[[], RecordStore],
    bundle_files: list[Path],
) -> None:
    assert len(bundle_files) == 12
    first = store_factory()
    result = first.import_fhir("importer", bundle_files)
    assert result.counts == EXPECTED_COUNTS
    assert result.skipped == EXPECTED_SKIPPED
    assert len(set(result.patient_ids)) == 12
    # 1,043 Observation resources: 967 single values + 76 blood-pressure panels x (1 + 2)
    assert first.count("observations") == 1196
    exports = {pid: bundle_json(first.export_fhir("exporter", pid)) for pid in result.patient_ids}

    second = store_factory()
    again = second.import_fhir("importer", [json.loads(text) for text in exports.values()])
    assert again.counts == EXPECTED_COUNTS
    assert again.skipped == {}
    assert {
        pid: bundle_json(second.export_fhir("exporter", pid)) for pid in result.patient_ids
    } == exports
    for pid in result.patient_ids:
        assert second.patient_bundle("auditor", pid) == first.patient_bundle("auditor", pid)

    events = first.audit_events("auditor", action="import")
    assert [(e.patient_id, e.resource_type, e.outcome) for e in events] == [
        (pid, "Bundle", "success") for pid in result.patient_ids
    ]
    assert len(first.audit_events("auditor", action="export")) == 12


def test_when_bundle_is_imported_then_blood_pressure_panel_gives_findable_components(
    store: RecordStore,
    bundle_files: list[Path],
) -> None:
    antone = bundle_files[0]  # Antone63 Simonis280
    (pid,) = store.import_fhir("importer", [antone]).patient_ids
    systolic = store.observations("reader", pid, code="8480-6")
    diastolic = store.observations("reader", pid, code="8462-4")
    assert (len(systolic), len(diastolic)) == (6, 6)
    first = systolic[0]
    assert (first.value, first.unit, first.component) == (125.0, "mm[Hg]", 2)
    assert first.effective is not None
    assert first.effective.isoformat() == "2012-10-19T06:01:00+00:00"
    assert diastolic[0].value == 81.0
    patient = store.get_patient("reader", pid)
    assert (patient.family_name, patient.given_name, patient.gender) == (
        "Simonis280",
        "Antone63",
        "male",
    )
    conditions = store.conditions("reader", pid)
    bronchitis = [c for c in conditions if c.source_code == "10509002"]
    assert [(c.icd10, c.source_system) for c in bronchitis][:1] == [
        ("J20.9", "http://snomed.info/sct")
    ]
