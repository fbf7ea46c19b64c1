"""Synthea CSV folder import: exact counts, stable ids, bad cells rejected with nothing stored."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from medsage.errors import DataFormatError, MissingFileError
from medsage.health._fhir_export import bundle_json
from medsage.health._store import RecordStore
from medsage.health._synthea_csv import read_synthea_folder

pytestmark = pytest.mark.shared_data

EXPECTED = {
    "patients": 115,
    "observations": 0,
    "conditions": 1454,
    "medications": 4485,
    "allergies": 51,
    "encounters": 4402,
    "care_plans": 485,
}


@pytest.mark.slow
def test_when_sample_folder_is_imported_then_counts_are_exact_and_one_audit_event_per_patient(
    store: RecordStore,
    synthea_dir: Path,
) -> None:
    result = store.import_synthea_csv("importer", synthea_dir / "csv")
    assert result.counts == EXPECTED
    assert {t: store.count(t) for t in EXPECTED} == EXPECTED
    assert sorted(result.skipped) == [
        "devices.csv",
        "imaging_studies.csv",
        "immunizations.csv",
        "organizations.csv",
        "payer_transitions.csv",
        "payers.csv",
        "procedures.csv",
        "providers.csv",
        "supplies.csv",
    ]
    assert len(store.audit_events("auditor", action="import")) == 115
    pid = "64a92987-ac95-c759-a7fc-6681dd9f1a9d"  # the first row of allergies.csv
    allergies = store.allergies("reader", pid)
    assert ("232347008", "Dander (animal) allergy") in [(a.code, a.display) for a in allergies]
    gout = [c for c in store.conditions("reader", pid) if c.source_code == "90560007"]
    assert [c.icd10 for c in gout] == ["M10.9"]


def test_when_folder_is_read_twice_then_derived_ids_are_the_same(synthea_dir: Path) -> None:
    first = read_synthea_folder(synthea_dir / "csv")
    second = read_synthea_folder(synthea_dir / "csv")
    ids = [c.id for b in first.patients for c in b.conditions]
    assert ids == [c.id for b in second.patients for c in b.conditions]
    assert len(set(ids)) == 1454


def test_when_csv_patient_is_exported_and_reimported_then_export_is_identical(
    store_factory: Callable[[], RecordStore],
    synthea_dir: Path,
    tmp_path: Path,
) -> None:
    # one patient's rows only, to keep the test quick
    pid = "64a92987-ac95-c759-a7fc-6681dd9f1a9d"
    folder = tmp_path / "one"
    folder.mkdir()
    for name in (
        "patients.csv",
        "conditions.csv",
        "medications.csv",
        "allergies.csv",
        "encounters.csv",
        "careplans.csv",
    ):
        lines = (synthea_dir / "csv" / name).read_text(encoding="utf-8").splitlines()
        kept = [lines[0]] + [line for line in lines[1:] if pid in line]
        (folder / name).write_text("\n".join(kept) + "\n", encoding="utf-8")
    first = store_factory()
    first.import_synthea_csv("importer", folder)
    exported = bundle_json(first.export_fhir("exporter", pid))
    second = store_factory()
    second.import_fhir("importer", [json.loads(exported)])
    assert bundle_json(second.export_fhir("exporter", pid)) == exported
    assert second.patient_bundle("a", pid) == first.patient_bundle("a", pid)


def test_when_a_cell_is_bad_then_error_names_file_line_column_and_nothing_is_stored(
    store: RecordStore,
    synthea_dir: Path,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "csv"
    shutil.copytree(synthea_dir / "csv", folder)
    lines = (folder / "medications.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[5] = "RX-12"
    lines[3] = ",".join(cells)
    (folder / "medications.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(
        DataFormatError,
        match=r"medications.csv line 4 column CODE: 'RX-12' is "
        r"not an RxNorm code",
    ):
        store.import_synthea_csv("importer", folder)
    assert store.count("patients") == 0
    assert [(e.action, e.outcome) for e in store.audit_events("a")] == [("import", "failure")]


def test_when_folder_has_no_patients_csv_then_missing_file_error(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match=r"holds no patients\.csv"):
        read_synthea_folder(tmp_path)
