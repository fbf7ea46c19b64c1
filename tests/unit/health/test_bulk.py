"""Bulk import (COPY on PostgreSQL, executemany on SQLite) and the synthetic patient generator."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medsage.errors import InvalidInputError
from medsage.health._bulk import RecordCheckError, bulk_import
from medsage.health._fhir_export import bundle_json
from medsage.health._fhir_import import FhirBundleError, parse_bundle
from medsage.health._records import PatientBundle
from medsage.health._store import RecordStore
from medsage.health._synthetic import (
    synthetic_fhir_bundles,
    synthetic_patient,
    synthetic_patient_id,
    synthetic_patients,
)

KINDS = ("observations", "conditions", "medications", "allergies", "encounters", "care_plans")


def _rows(store: RecordStore) -> dict[str, int]:
    return {kind: store.count(kind) for kind in ("patients", *KINDS)}


def _import_events(store: RecordStore) -> list[tuple[str, dict[str, object]]]:
    return [
        (e.outcome, json.loads(e.detail or "{}"))
        for e in store.audit_events("test", action="import")
    ]


# --------------------------------------------------------------------------- generator


def test_when_patients_are_generated_twice_or_in_slices_then_they_are_identical() -> None:
    whole = list(synthetic_patients(8, seed=3))
    assert list(synthetic_patients(3, seed=3, start=5)) == whole[5:]
    assert whole[2] == synthetic_patient(2, seed=3)
    assert [b.patient.id for b in whole[:2]] == ["syn3-0000000", "syn3-0000001"]
    assert synthetic_patient(0, seed=4).patient.id == synthetic_patient_id(0, 4) == "syn4-0000000"


def test_when_200_patients_are_generated_then_rows_per_patient_and_codes_are_as_measured() -> None:
    bundles = list(synthetic_patients(200, seed=1))
    rows = sum(sum(b.counts().values()) for b in bundles)
    assert rows == 9650  # 48.25 rows a patient, patient row included
    icd10 = sorted({c.icd10 or "" for b in bundles for c in b.conditions})
    assert icd10 == ["E11.9", "E66.9", "E78.5", "I10", "I48.9", "J45.9", "K21.9", "M54.5", "N18.1"]
    assert {o.unit for b in bundles for o in b.observations} == {
        None, "mm[Hg]", "/min", "kg", "kg/m2", "mg/dL", "cm",
    }  # fmt: skip


def test_when_generated_patients_go_through_fhir_then_parse_gives_the_same_records() -> None:
    def ordered(bundle: PatientBundle) -> dict[str, list[object]]:
        return {
            k: sorted(getattr(bundle, k), key=lambda r: (r.id, getattr(r, "component", 0)))
            for k in KINDS
        }

    for bundle, fhir in zip(
        synthetic_patients(20, seed=2), synthetic_fhir_bundles(20, seed=2), strict=True
    ):
        parsed = parse_bundle(fhir).patients
        assert len(parsed) == 1
        assert parsed[0].patient == bundle.patient
        assert ordered(parsed[0]) == ordered(bundle)


def test_when_n_is_negative_then_generator_refuses() -> None:
    with pytest.raises(InvalidInputError, match="n must be a non-negative integer, got -1"):
        list(synthetic_patients(-1))


# --------------------------------------------------------------------------- bulk import


def test_when_patients_are_bulk_and_normally_imported_then_exports_are_identical(
    store_factory: Callable[[], RecordStore],
) -> None:
    normal, from_fhir, from_records = store_factory(), store_factory(), store_factory()
    fhir = list(synthetic_fhir_bundles(6, seed=0))
    normal.import_fhir("test", fhir)
    result = bulk_import(from_fhir, "test", fhir, batch_patients=4)
    bulk_import(from_records, "test", synthetic_patients(6, seed=0), batch_patients=4)
    assert result.patient_ids == tuple(synthetic_patient_id(i, 0) for i in range(6))
    assert result.counts == {
        "patients": 6, "observations": 240, "conditions": 4, "medications": 3,
        "allergies": 1, "encounters": 27, "care_plans": 1,
    }  # fmt: skip
    assert _rows(from_fhir) == _rows(from_records) == _rows(normal) == result.counts
    for pid in result.patient_ids:
        expected = bundle_json(normal.export_fhir("test", pid))
        assert bundle_json(from_fhir.export_fhir("test", pid)) == expected
        assert bundle_json(from_records.export_fhir("test", pid)) == expected


def test_when_care_plans_and_allergies_are_bulk_imported_then_they_read_back_equal(
    store: RecordStore,
) -> None:
    # patients 0..39 of seed 0 include diabetics (a care plan with activities, a JSON column)
    # and allergies
    source = list(synthetic_patients(40))
    bulk_import(store, "test", source, batch_patients=15)
    assert (store.count("care_plans"), store.count("allergies")) == (4, 9)
    for bundle in source:
        if bundle.care_plans or bundle.allergies:
            pid = bundle.patient.id
            assert store.care_plans("test", pid) == list(bundle.care_plans)
            assert store.allergies("test", pid) == list(bundle.allergies)


def test_when_batches_are_imported_then_one_audit_event_per_batch_holds_counts_and_ids(
    store: RecordStore,
) -> None:
    ticks: list[tuple[int, int]] = []
    bulk_import(
        store, "test", list(synthetic_patients(5)), batch_patients=2,
        progress=lambda done, total: ticks.append((done, total)),
    )  # fmt: skip
    assert ticks == [(2, 5), (4, 5), (5, 5)]
    events = _import_events(store)
    assert [(outcome, d["batch"], d["count"], d["patient_ids"]) for outcome, d in events] == [
        ("success", 1, 2, ["syn0-0000000", "syn0-0000001"]),
        ("success", 2, 2, ["syn0-0000002", "syn0-0000003"]),
        ("success", 3, 1, ["syn0-0000004"]),
    ]
    assert sum(int(d["observations"]) for _o, d in events) == store.count("observations") == 212


def test_when_a_batch_holds_stored_patients_then_the_error_names_them_and_the_batch_is_not_stored(
    store: RecordStore,
) -> None:
    bulk_import(store, "test", synthetic_patients(2, start=3))
    before = _rows(store)
    with pytest.raises(InvalidInputError) as caught:
        # batch 1: patients 0, 1 (new); batch 2: patients 2, 3 (3 is stored)
        bulk_import(store, "test", synthetic_patients(4), batch_patients=2)
    assert str(caught.value) == (
        "batch 2 (items 3-4): 1 patients are already in the records store: 'syn0-0000003'; "
        "nothing of this batch was stored (bulk import never overwrites: delete them first or "
        "leave them out of the input) (2 patients of earlier batches stay stored)"
    )
    assert [p.id for p in store.list_patients("test")] == [
        "syn0-0000000", "syn0-0000001", "syn0-0000003", "syn0-0000004",
    ]  # fmt: skip
    assert store.count("observations") == before["observations"] + 88
    assert [(o, d.get("count")) for o, d in _import_events(store)] == [
        ("success", 2), ("success", 2), ("failure", None),
    ]  # fmt: skip


def test_when_a_patient_id_repeats_in_a_batch_then_nothing_of_it_is_stored(
    store: RecordStore,
) -> None:
    patient = synthetic_patient(0)
    with pytest.raises(InvalidInputError, match="patient ids given more than once: 'syn0-0000000'"):
        bulk_import(store, "test", [patient, synthetic_patient(1), patient])
    assert _rows(store) == dict.fromkeys(("patients", *KINDS), 0)


def test_when_a_resource_id_is_stored_for_another_patient_then_the_batch_is_refused(
    store: RecordStore,
) -> None:
    first = synthetic_patient(0)
    bulk_import(store, "test", [first])
    other = synthetic_patient(1)
    renamed = dataclasses.replace(other.encounters[0], id=first.encounters[0].id)
    clash = dataclasses.replace(other, encounters=(renamed, *other.encounters[1:]))
    with pytest.raises(InvalidInputError, match=r"batch 1 \(items 1-1\): a row conflicts"):
        bulk_import(store, "test", [clash])
    assert store.count("patients") == 1
    assert store.count("encounters") == len(first.encounters)


def test_when_a_record_has_a_bad_loinc_code_then_the_error_names_record_and_field(
    store: RecordStore,
) -> None:
    good = synthetic_patient(0)
    bad_obs = dataclasses.replace(good.observations[3], code="8867-5")  # check digit is 4
    bad = dataclasses.replace(good, observations=(bad_obs, *good.observations[4:]))
    with pytest.raises(RecordCheckError) as caught:
        bulk_import(store, "test", [synthetic_patient(1), bad])
    assert (caught.value.source, caught.value.kind, caught.value.record_id) == (
        "record 2", "observations", "syn0-0000000-o0-hr",
    )  # fmt: skip
    assert caught.value.field == "code"
    assert "check digit" in caught.value.problem
    assert store.count("patients") == 0
    assert _import_events(store) == [("failure", {"error": "RecordCheckError"})]


def test_when_a_bundle_has_a_bad_unit_then_the_fhir_error_is_the_one_import_fhir_raises(
    store_factory: Callable[[], RecordStore],
) -> None:
    bundle = next(synthetic_fhir_bundles(1))
    for entry in bundle["entry"]:
        quantity = entry["resource"].get("valueQuantity")
        if quantity and quantity["code"] == "kg":
            quantity["code"] = quantity["unit"] = "kilo"
            break
    errors = []
    for run in (
        lambda s: s.import_fhir("test", [bundle]),
        lambda s: bulk_import(s, "test", [bundle]),
    ):
        target = store_factory()
        with pytest.raises(FhirBundleError) as caught:
            run(target)
        errors.append((caught.value.resource_id, caught.value.field, caught.value.problem))
        assert target.count("patients") == 0
    assert (
        errors[0]
        == errors[1]
        == (
            "syn0-0000000-o0-wt",
            "valueQuantity.code",
            "'kilo' is not a UCUM unit (e.g. mm[Hg], mg/dL, kg/m2, /min, 10*3/uL)",
        )
    )


def test_when_a_bundle_holds_two_patients_then_both_count_and_the_batch_label_names_items(
    store: RecordStore,
) -> None:
    first, second, third = synthetic_fhir_bundles(3)
    merged = {**first, "entry": first["entry"] + second["entry"]}
    result = bulk_import(store, "test", [merged], batch_patients=1)
    assert result.patient_ids == ("syn0-0000000", "syn0-0000001")
    with pytest.raises(InvalidInputError) as caught:
        bulk_import(store, "test", [third, second], batch_patients=5)
    assert str(caught.value).startswith(
        "batch 1 (items 1-2): 1 patients are already in the records store: 'syn0-0000001';"
    )
    assert store.count("patients") == 2


@pytest.mark.parametrize("size", [0, 100_001])
def test_when_batch_size_is_out_of_range_then_bulk_import_refuses(
    store: RecordStore, size: int
) -> None:
    with pytest.raises(InvalidInputError, match=f"from 1 to 100000, got {size}"):
        bulk_import(store, "test", [], batch_patients=size)


# --------------------------------------------------------------------------- CLI


def test_when_cli_imports_with_bulk_then_counts_match_and_stored_patients_are_refused(
    tmp_path: Path,
) -> None:
    from medsage.cli.patients import app

    folder = tmp_path / "bundles"
    folder.mkdir()
    for i, bundle in enumerate(synthetic_fhir_bundles(3)):
        (folder / f"p{i}.json").write_text(json.dumps(bundle), encoding="utf-8")
    db = ["--database", f"sqlite:///{tmp_path / 'r.sqlite3'}", "--actor", "dr.cli"]
    runner = CliRunner()
    result = runner.invoke(
        app, ["import", str(folder), "--bulk", "--batch-size", "2", "--json", *db]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "patient_ids": ["syn0-0000000", "syn0-0000001", "syn0-0000002"],
        "counts": {
            "patients": 3, "observations": 140, "conditions": 3, "medications": 2,
            "allergies": 1, "encounters": 16, "care_plans": 0,
        },
        "skipped": {},
    }  # fmt: skip
    again = runner.invoke(app, ["import", str(folder / "p1.json"), "--bulk", *db])
    assert again.exit_code != 0
    assert "'syn0-0000001'" in again.output and "Traceback" not in again.output
    refused = runner.invoke(app, ["import", str(folder), "--bulk", "--replace", *db])
    assert refused.exit_code != 0
    assert "--bulk never overwrites stored patients" in refused.output
