"""Bad bundles are rejected with the resource and field that failed; nothing is stored."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medsage.errors import InvalidInputError, MissingFileError
from medsage.health._fhir_import import FhirBundleError
from medsage.health._store import RecordStore

pytestmark = pytest.mark.shared_data

TABLES = (
    "patients",
    "observations",
    "conditions",
    "medications",
    "allergies",
    "encounters",
    "care_plans",
)


def _smallest(bundle_files: list[Path]) -> dict[str, Any]:
    path = min(bundle_files, key=lambda p: p.stat().st_size)  # Blaine377 Hickle134, 116 entries
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _first(data: dict[str, Any], rtype: str, has: str | None = None) -> dict[str, Any]:
    return next(
        e["resource"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == rtype and (has is None or has in e["resource"])
    )


def _unit(data: dict[str, Any]) -> tuple[str, str]:
    r = _first(data, "Observation", "valueQuantity")
    r["valueQuantity"]["code"] = "mmHg"
    return r["id"], "valueQuantity.code"


def _component_loinc(data: dict[str, Any]) -> tuple[str, str]:
    r = _first(data, "Observation", "component")
    r["component"][0]["code"]["coding"][0]["code"] = "8462-5"
    return r["id"], "component[0].code.coding[0].code"


def _date(data: dict[str, Any]) -> tuple[str, str]:
    r = _first(data, "Observation", "effectiveDateTime")
    r["effectiveDateTime"] = "yesterday"
    return r["id"], "effectiveDateTime"


def _icd10(data: dict[str, Any]) -> tuple[str, str]:
    r = _first(data, "Condition")
    r["code"]["coding"].append({"system": "http://hl7.org/fhir/sid/icd-10", "code": "I10.99"})
    return r["id"], "code.coding[1].code"


def _snomed(data: dict[str, Any]) -> tuple[str, str]:
    r = _first(data, "Condition")
    code = r["code"]["coding"][0]["code"]
    r["code"]["coding"][0]["code"] = code[:-1] + str((int(code[-1]) + 1) % 10)
    return r["id"], "code.coding[0].code"


def _subject(data: dict[str, Any]) -> tuple[str, str]:
    r = _first(data, "Observation")
    r["subject"]["reference"] = "urn:uuid:00000000-0000-0000-0000-000000000000"
    return r["id"], "subject.reference"


def _rxnorm(data: dict[str, Any]) -> tuple[str, str]:
    r = _first(data, "MedicationRequest", "medicationCodeableConcept")
    r["medicationCodeableConcept"]["coding"][0]["code"] = "abc"
    return r["id"], "medicationCodeableConcept.coding[0].code"


def _status_type(data: dict[str, Any]) -> tuple[str, str]:
    r = _first(data, "Encounter")
    r["status"] = 12
    return r["id"], "status"


def _unknown_type(data: dict[str, Any]) -> tuple[str, str]:
    r = _first(data, "Claim")
    r["resourceType"] = "Claimz"
    return r["id"], "resourceType"


@pytest.mark.parametrize(
    ("corrupt", "rtype", "problem"),
    [
        (_unit, "Observation", "'mmHg' is not a UCUM unit"),
        (_component_loinc, "Observation", "its check digit should be 4"),
        (_date, "Observation", "DateTime value string does not match"),
        (_icd10, "Condition", "'I10.99' is not in WHO ICD-10 (2019)"),
        (_snomed, "Condition", "Verhoeff check digit is wrong"),
        (_subject, "Observation", "does not resolve to a Patient in this bundle"),
        (_rxnorm, "MedicationRequest", "'abc' is not an RxNorm code"),
        (_status_type, "Encounter", "Input should be a valid string"),
        (_unknown_type, "Claimz", "not a FHIR R4 resource type"),
    ],
)
def test_when_bundle_has_a_bad_resource_then_error_names_it_and_nothing_is_stored(
    store: RecordStore,
    bundle_files: list[Path],
    corrupt: Callable[[dict[str, Any]], tuple[str, str]],
    rtype: str,
    problem: str,
) -> None:
    data = _smallest(bundle_files)
    rid, field = corrupt(data)
    with pytest.raises(FhirBundleError) as info:
        store.import_fhir("importer", [data])
    assert (info.value.resource_type, info.value.resource_id, info.value.field) == (
        rtype,
        rid,
        field,
    )
    assert problem in str(info.value)
    assert "nothing from this bundle was stored" in str(info.value)
    assert {t: store.count(t) for t in TABLES} == dict.fromkeys(TABLES, 0)
    (event,) = store.audit_events("auditor", action="import")
    assert (event.outcome, event.patient_id) == ("failure", None)


def test_when_bundle_fails_inside_its_transaction_then_its_patient_is_rolled_back(
    store: RecordStore,
    bundle_files: list[Path],
) -> None:
    good = _smallest(bundle_files)
    store.import_fhir("importer", [good])
    clash = copy.deepcopy(good)  # a new patient id, but every other resource id already stored
    patient = _first(clash, "Patient")
    old_id, new_id = patient["id"], "7d6c1c55-1111-4222-8333-944455556666"
    text = json.dumps(clash).replace(old_id, new_id)
    with pytest.raises(InvalidInputError, match="already stored for another patient"):
        store.import_fhir("importer", [json.loads(text)])
    assert [p.id for p in store.list_patients("reader")] == [old_id]
    assert store.count("observations") == 65


def test_when_middle_bundle_is_bad_then_earlier_stay_and_later_are_not_attempted(
    store: RecordStore,
    bundle_files: list[Path],
) -> None:
    first, bad, third = (json.loads(p.read_text(encoding="utf-8")) for p in bundle_files[:3])
    _unit(bad)
    with pytest.raises(FhirBundleError, match="bundle 2: Observation/"):
        store.import_fhir("importer", [first, bad, third])
    assert [p.id for p in store.list_patients("reader")] == [_first(first, "Patient")["id"]]


def test_when_patient_is_imported_twice_then_error_unless_replace(
    store: RecordStore,
    bundle_files: list[Path],
) -> None:
    path = bundle_files[0]
    store.import_fhir("importer", [path])
    with pytest.raises(InvalidInputError, match="already in the records store"):
        store.import_fhir("importer", [path])
    result = store.import_fhir("importer", [path], replace=True)
    assert result.counts["observations"] == store.count("observations") == 74
    actions = [
        (e.action, e.outcome) for e in store.audit_events("a", patient_id=result.patient_ids[0])
    ]
    assert actions == [("import", "success"), ("update", "success")]


def test_when_file_is_missing_or_not_json_then_clear_error(
    store: RecordStore,
    tmp_path: Path,
) -> None:
    with pytest.raises(MissingFileError, match="does not exist"):
        store.import_fhir("importer", [tmp_path / "none.json"])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not a FHIR JSON bundle"):
        store.import_fhir("importer", [bad])
    bad.write_text('{"resourceType": "Bundle", "type": 5, "entry": []}', encoding="utf-8")
    with pytest.raises(FhirBundleError, match="Bundle/- field type: "):
        store.import_fhir("importer", [bad])
    bad.write_text('{"resourceType": "Patient", "id": "x"}', encoding="utf-8")
    with pytest.raises(FhirBundleError, match="Patient/x field resourceType: expected a Bundle"):
        store.import_fhir("importer", [bad])
