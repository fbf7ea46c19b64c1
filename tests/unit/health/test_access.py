"""The patient-access policy and the de-identified views (real UserStore on a SQLite file)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from medsage.errors import InvalidInputError
from medsage.health._access import (
    Access,
    can_create_patients,
    can_write_patient,
    deidentified_observation,
    deidentified_patient,
    patient_access,
    pseudonym,
)
from medsage.health._records import ObservationRecord, PatientRecord
from medsage.health._users import UserStore

PASSWORD = "correct horse battery"
KEY = b"\x0b" * 20  # RFC 4231 test case 1 key


@pytest.fixture(scope="module")
def users(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UserStore]:
    """One account per role (plus a disabled admin); dr.li is assigned to p-1."""
    path: Path = tmp_path_factory.mktemp("access") / "records.sqlite3"
    store = UserStore(f"sqlite:///{path}")
    store.add_user("admin", PASSWORD, "admin")
    store.add_user("old.admin", PASSWORD, "admin")
    store.set_disabled("old.admin")
    store.add_user("dr.li", PASSWORD, "clinician")
    store.add_user("dr.wu", PASSWORD, "clinician")
    store.add_user("res.chen", PASSWORD, "researcher")
    store.add_user("p.zhang", PASSWORD, "patient", patient_id="p-1")
    store.assign("dr.li", "p-1")
    yield store
    store.close()


# (user, patient, read access, may write)
POLICY = [
    ("admin", "p-1", Access.FULL, True),
    ("admin", "p-2", Access.FULL, True),
    ("old.admin", "p-1", Access.NONE, False),
    ("dr.li", "p-1", Access.FULL, True),
    ("dr.li", "p-2", Access.NONE, False),
    ("dr.wu", "p-1", Access.NONE, False),
    ("res.chen", "p-1", Access.DEIDENTIFIED, False),
    ("p.zhang", "p-1", Access.FULL, False),
    ("p.zhang", "p-2", Access.NONE, False),
]


@pytest.mark.parametrize(("username", "patient_id", "read", "write"), POLICY)
def test_when_policy_is_asked_then_each_role_gets_exactly_its_access(
    users: UserStore, username: str, patient_id: str, read: Access, write: bool
) -> None:
    user = users.get_user(username)
    assert patient_access(user, patient_id, users) is read
    assert can_write_patient(user, patient_id, users) is write


def test_when_clinician_is_disabled_then_assignment_no_longer_grants_access(
    users: UserStore,
) -> None:
    users.add_user("dr.gone", PASSWORD, "clinician")
    users.assign("dr.gone", "p-1")
    gone = users.set_disabled("dr.gone")
    assert patient_access(gone, "p-1", users) is Access.NONE
    assert can_write_patient(gone, "p-1", users) is False
    assert can_create_patients(gone) is False


def test_when_creating_patients_is_asked_then_only_enabled_admins_and_clinicians_may(
    users: UserStore,
) -> None:
    allowed = {u.username: can_create_patients(u) for u in users.list_users()}
    assert {name: ok for name, ok in allowed.items() if name != "dr.gone"} == {
        "admin": True,
        "dr.li": True,
        "dr.wu": True,
        "old.admin": False,
        "p.zhang": False,
        "res.chen": False,
    }
    assert str(Access.DEIDENTIFIED) == "deidentified"


def test_when_pseudonym_is_made_then_it_is_the_rfc_4231_hmac_sha256_prefix() -> None:
    # RFC 4231 test case 1: HMAC-SHA256(0x0b * 20, "Hi There") = b0344c61d8db3853 5ca8...
    assert pseudonym("Hi There", KEY) == "R-b0344c61d8db3853"
    assert pseudonym("Hi There", b"\x0c" * 20) != pseudonym("Hi There", KEY)
    with pytest.raises(InvalidInputError, match="at least 16 random bytes, got 4"):
        pseudonym("p-1", b"Jefe")


def test_when_patient_is_deidentified_then_only_pseudonym_gender_birth_year_and_death_remain() -> (
    None
):
    record = PatientRecord(
        id="Hi There",
        family_name="Zhang",
        given_name="Wei",
        gender="female",
        birth_date=date(1960, 5, 17),
        deceased=datetime(2024, 1, 2, tzinfo=UTC),
    )
    assert deidentified_patient(record, KEY, today=date(2026, 1, 1)) == {
        "id": "R-b0344c61d8db3853",
        "gender": "female",
        "birth_year": 1960,
        "deceased": True,
        "age_90_or_over": False,
    }
    unknown = PatientRecord(id="Hi There")
    assert deidentified_patient(unknown, KEY, today=date(2026, 1, 1)) == {
        "id": "R-b0344c61d8db3853",
        "gender": None,
        "birth_year": None,
        "deceased": False,
        "age_90_or_over": False,
    }


@pytest.mark.parametrize(
    ("today", "birth_year", "old"),
    [(date(2026, 3, 1), 1936, False), (date(2026, 3, 2), None, True)],
)
def test_when_patient_turns_90_then_birth_year_is_withheld_per_safe_harbor(
    today: date, birth_year: int | None, old: bool
) -> None:
    record = PatientRecord(id="p-1", gender="male", birth_date=date(1936, 3, 2))
    shown = deidentified_patient(record, KEY, today=today)
    assert (shown["birth_year"], shown["age_90_or_over"]) == (birth_year, old)


SBP = ObservationRecord(
    id="obs-1",
    patient_id="Hi There",
    code="8480-6",
    display="Systolic blood pressure",
    value=142.0,
    unit="mm[Hg]",
    effective=datetime(2024, 5, 16, 23, 30, tzinfo=UTC),
    issued=datetime(2024, 5, 17, 8, 0, tzinfo=UTC),
    status="final",
    category="vital-signs",
    encounter_id="enc-9",
)


def test_when_observation_is_deidentified_then_time_becomes_year_and_whole_years_of_age() -> None:
    # 16 May 2024 is the day before the 64th birthday: still 63
    assert deidentified_observation(SBP, KEY, date(1960, 5, 17), today=date(2026, 1, 1)) == {
        "patient_id": "R-b0344c61d8db3853",
        "code": "8480-6",
        "display": "Systolic blood pressure",
        "value": 142.0,
        "unit": "mm[Hg]",
        "value_code": None,
        "value_system": None,
        "value_text": None,
        "category": "vital-signs",
        "status": "final",
        "component": 0,
        "year": 2024,
        "age_at_observation": 63,
        "age_90_or_over": False,
    }
    on_birthday = deidentified_observation(SBP, KEY, date(1960, 5, 16), today=date(2026, 1, 1))
    assert on_birthday["age_at_observation"] == 64
    assert deidentified_observation(SBP, KEY, None)["age_at_observation"] is None


def test_when_observation_has_free_text_or_patient_is_90_then_text_and_age_are_withheld() -> None:
    smoking = ObservationRecord(
        id="obs-2",
        patient_id="p-1",
        code="72166-2",
        value_text="Never smoker",
        value_code="266919005",
        value_system="http://snomed.info/sct",
    )
    note = ObservationRecord(id="obs-3", patient_id="p-1", code="8867-4", value_text="Mr Zhang ok")
    assert deidentified_observation(smoking, KEY, None)["value_text"] == "Never smoker"
    assert deidentified_observation(note, KEY, None)["value_text"] is None
    old = deidentified_observation(SBP, KEY, date(1930, 1, 1), today=date(2026, 1, 1))
    assert (old["year"], old["age_at_observation"], old["age_90_or_over"]) == (2024, None, True)
