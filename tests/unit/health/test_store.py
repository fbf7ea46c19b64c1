"""RecordStore: records in and out, audit events for every read and write, deletion."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from medsage.errors import InvalidInputError, UnknownNameError
from medsage.health._records import ConditionRecord, ObservationRecord, PatientRecord
from medsage.health._store import RecordStore

PATIENT = PatientRecord(
    id="p-1", family_name="Zhang", given_name="Wei", gender="female", birth_date=date(1960, 5, 17)
)
SBP = ObservationRecord(
    id="obs-1",
    patient_id="p-1",
    code="8480-6",
    display="Systolic blood pressure",
    value=142.0,
    unit="mm[Hg]",
    effective=datetime(2024, 3, 1, 8, 30, tzinfo=UTC),
    status="final",
    category="vital-signs",
)


def _audit_tuples(store: RecordStore) -> list[tuple[str, str, str | None, str, str]]:
    return [
        (e.actor, e.action, e.patient_id, e.resource_type, e.outcome)
        for e in store.audit_events("auditor")
    ]


def test_when_patient_and_observation_written_and_read_then_records_match_and_each_is_audited(
    store: RecordStore,
) -> None:
    store.add_patient("dr.li", PATIENT)
    store.add_observation("dr.li", SBP)
    assert store.get_patient("nurse.wu", "p-1") == PATIENT
    assert store.observations("nurse.wu", "p-1") == [SBP]
    assert store.observations("nurse.wu", "p-1", code="8462-4") == []
    assert store.list_patients("nurse.wu") == [PATIENT]
    assert _audit_tuples(store) == [
        ("dr.li", "create", "p-1", "Patient", "success"),
        ("dr.li", "create", "p-1", "Observation", "success"),
        ("nurse.wu", "read", "p-1", "Patient", "success"),
        ("nurse.wu", "read", "p-1", "Observation", "success"),
        ("nurse.wu", "read", "p-1", "Observation", "success"),
        ("nurse.wu", "read", None, "Patient", "success"),
    ]
    # reading the audit log is itself audited
    assert store.audit_events("auditor", action="read")[-1].resource_type == "AuditEvent"


def test_when_every_kind_of_call_is_made_then_audit_log_has_exactly_one_event_per_call(
    store: RecordStore,
) -> None:
    store.add_patient("a", PATIENT)  # 1 create
    store.add_observation("a", SBP)  # 2 create
    store.add_condition(
        "a",
        ConditionRecord(id="c-1", patient_id="p-1", icd10="I10", display="Essential hypertension"),
    )  # 3 fmt: skip
    for read in (
        store.observations,
        store.conditions,
        store.medications,
        store.allergies,
        store.encounters,
        store.care_plans,
        store.get_patient,
    ):
        read("b", "p-1")  # 4..10 reads
    store.list_patients("b")  # 11
    store.export_fhir("c", "p-1")  # 12 export
    with pytest.raises(UnknownNameError):
        store.get_patient("b", "nobody")  # 13 failed read
    store.delete_patient("d", "p-1")  # 14 delete
    events = store.audit_events("auditor")  # 15 (written after the listing)
    assert len(events) == 14
    assert [e.action for e in events].count("read") == 9
    assert [(e.action, e.outcome) for e in events if e.outcome == "failure"] == [
        ("read", "failure")
    ]
    assert store.count("audit_events") == 15


def test_when_patient_is_deleted_then_clinical_rows_go_and_audit_trail_stays(
    store: RecordStore,
) -> None:
    store.add_patient("a", PATIENT)
    store.add_observation("a", SBP)
    store.delete_patient("a", "p-1")
    assert store.count("patients") == 0
    assert store.count("observations") == 0  # ON DELETE CASCADE (SQLite: foreign_keys=ON)
    assert [e.patient_id for e in store.audit_events("auditor", patient_id="p-1")] == [
        "p-1",
        "p-1",
        "p-1",
    ]
    with pytest.raises(UnknownNameError, match="no patient 'p-1'"):
        store.observations("a", "p-1")


def test_when_observation_has_bad_code_or_unit_then_it_is_rejected_and_nothing_is_stored(
    store: RecordStore,
) -> None:
    store.add_patient("a", PATIENT)
    with pytest.raises(InvalidInputError, match="check digit should be 6"):
        store.add_observation("a", ObservationRecord(id="o", patient_id="p-1", code="8480-5"))
    with pytest.raises(InvalidInputError, match="'mmHg' is not a UCUM unit"):
        store.add_observation(
            "a",
            ObservationRecord(id="o", patient_id="p-1", code="8480-6", value=120.0, unit="mmHg"),
        )
    with pytest.raises(InvalidInputError, match=r"'I10\.99' is not in WHO ICD-10"):
        store.add_condition("a", ConditionRecord(id="c", patient_id="p-1", icd10="I10.99"))
    with pytest.raises(UnknownNameError):
        store.add_observation("a", ObservationRecord(id="o", patient_id="p-2", code="8480-6"))
    assert store.count("observations") == 0
    assert store.count("conditions") == 0


def test_when_actor_is_blank_then_invalid_input_and_nothing_is_written(store: RecordStore) -> None:
    with pytest.raises(InvalidInputError, match="actor must be a non-empty name"):
        store.add_patient("  ", PATIENT)
    assert store.count("patients") == 0
    assert store.count("audit_events") == 0


def test_when_time_has_an_offset_then_it_reads_back_as_the_same_instant_in_utc(
    store: RecordStore,
) -> None:
    store.add_patient("a", PATIENT)
    local = datetime(2024, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    store.add_observation(
        "a",
        ObservationRecord(
            id="o", patient_id="p-1", code="8480-6", value=120.0, unit="mm[Hg]", effective=local
        ),
    )
    (read,) = store.observations("a", "p-1")
    assert read.effective == datetime(2024, 3, 1, 0, 30, tzinfo=UTC)
    assert read.effective == local


def test_when_no_url_is_given_then_sqlite_file_in_medsage_home_with_wal_and_foreign_keys(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEDSAGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MEDSAGE_DATABASE_URL", raising=False)
    with RecordStore() as store:
        store.add_patient("a", PATIENT)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    path = tmp_path / "home" / "records.sqlite3"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT id FROM patients").fetchall() == [("p-1",)]


def test_when_database_url_env_is_set_then_store_uses_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEDSAGE_DATABASE_URL", f"sqlite:///{tmp_path / 'other.sqlite3'}")
    with RecordStore() as store:
        assert store.count("patients") == 0
    assert (tmp_path / "other.sqlite3").is_file()


def test_when_postgres_url_has_no_driver_then_psycopg_is_used() -> None:
    from medsage.health._db import database_url

    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_when_server_is_unreachable_then_error_names_the_url_without_password() -> None:
    with pytest.raises(InvalidInputError, match=r"cannot open the records database") as info:
        RecordStore("postgresql+psycopg://u:secret@127.0.0.1:1/db?connect_timeout=2")
    assert "secret" not in str(info.value)
