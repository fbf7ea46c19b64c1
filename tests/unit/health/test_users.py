"""UserStore: accounts, passwords (argon2id), API keys and assignments, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from argon2 import PasswordHasher
from sqlalchemy import inspect, text

from medsage.errors import InvalidInputError, UnknownNameError
from medsage.health import _users
from medsage.health._db import alembic_config, make_engine
from medsage.health._orm import Base
from medsage.health._users import ApiKeyRecord, UserRecord, UserStore

PASSWORD = "correct horse battery"


@pytest.fixture
def users(make_url: Callable[[], str]) -> Iterator[UserStore]:
    """A fresh, migrated user store on the backend under test."""
    store = UserStore(make_url())
    yield store
    store.close()


def test_when_store_opens_then_schema_is_at_0003_and_equals_orm_metadata_and_downgrades_to_0001(
    make_url: Callable[[], str],
) -> None:
    url = make_url()
    UserStore(url).close()
    engine = make_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert context.get_current_revision() == "0003"
        assert compare_metadata(context, Base.metadata) == []
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    assert {"users", "api_keys", "assignments"} & tables == set()
    assert "patients" in tables
    engine.dispose()


def test_when_users_are_added_then_they_read_back_exactly_ordered_by_username(
    users: UserStore,
) -> None:
    before = datetime.now(UTC)
    li = users.add_user("dr.li", PASSWORD, "clinician", display_name="Li Wei")
    admin = users.add_user("admin", PASSWORD, "admin")
    # a patient's account may exist before the record is imported (no foreign key)
    pat = users.add_user("p.zhang", PASSWORD, "patient", patient_id="p-not-imported-yet")
    assert li == UserRecord(li.id, "dr.li", "clinician", False, None, "Li Wei", li.created)
    assert li.created.tzinfo == UTC and before - timedelta(seconds=1) <= li.created
    assert li.created <= datetime.now(UTC)
    assert users.get_user("dr.li") == li
    assert users.get_user_by_id(pat.id) == pat
    assert [u.username for u in users.list_users()] == ["admin", "dr.li", "p.zhang"]
    assert users.list_users()[0] == admin
    assert pat.to_dict() == {
        "id": pat.id,
        "username": "p.zhang",
        "role": "patient",
        "disabled": False,
        "patient_id": "p-not-imported-yet",
        "display_name": None,
        "created": pat.created.isoformat(),
    }


@pytest.mark.parametrize(
    ("username", "password", "role", "patient_id", "message"),
    [
        ("ab", PASSWORD, "admin", None, "username 'ab' is not allowed; use 3 to 64 characters"),
        ("li wei", PASSWORD, "admin", None, "username 'li wei' is not allowed"),
        ("x" * 65, PASSWORD, "admin", None, "is not allowed; use 3 to 64 characters"),
        ("dr.wu", "short pass", "admin", None, "password has 10 characters; it needs at least 12"),
        ("dr.wu", " " * 12, "admin", None, "password has 12 characters; it needs at least 12"),
        ("dr.wu", PASSWORD, "nurse", None, "role 'nurse' is not one of admin, clinician, "),
        ("dr.wu", PASSWORD, "patient", None, "a patient account needs the id of the patient's"),
        ("dr.wu", PASSWORD, "patient", "x" * 65, "is not usable; expected the record's id"),
        ("dr.wu", PASSWORD, "clinician", "p-1", "only patient accounts are linked to a patient"),
        ("dr.li", PASSWORD, "admin", None, "user 'dr.li' already exists; pick another name"),
    ],
)
def test_when_account_fields_break_a_rule_then_invalid_input_names_the_rule(
    users: UserStore,
    username: str,
    password: str,
    role: str,
    patient_id: str | None,
    message: str,
) -> None:
    users.add_user("dr.li", PASSWORD, "clinician")
    with pytest.raises(InvalidInputError) as caught:
        users.add_user(username, password, role, patient_id=patient_id)
    assert message in str(caught.value)
    if password != PASSWORD:  # an error never repeats the password
        assert password not in str(caught.value)
    assert [u.username for u in users.list_users()] == ["dr.li"]


def test_when_names_are_unknown_then_unknown_name_error_says_how_to_list(users: UserStore) -> None:
    with pytest.raises(UnknownNameError, match=r"no user 'ghost'; list the accounts with"):
        users.get_user("ghost")
    with pytest.raises(UnknownNameError, match=r"no user with id 99"):
        users.get_user_by_id(99)
    with pytest.raises(UnknownNameError):
        users.set_disabled("ghost")
    with pytest.raises(UnknownNameError, match=r"no API key with id 7"):
        users.revoke_api_key(7)


def test_when_signing_in_then_only_right_password_of_enabled_account_passes(
    users: UserStore,
) -> None:
    li = users.add_user("dr.li", PASSWORD, "clinician")
    assert users.authenticate("dr.li", PASSWORD) == li
    assert users.authenticate("dr.li", PASSWORD + "x") is None
    assert users.authenticate("DR.LI", PASSWORD) is None  # names are case-sensitive
    _users._dummy_hash.cache_clear()
    assert users.authenticate("ghost", PASSWORD) is None
    # the unknown name was checked against the dummy hash (same argon2 cost as a real one)
    assert _users._dummy_hash.cache_info().currsize == 1
    disabled = users.set_disabled("dr.li")
    assert disabled.disabled is True
    assert users.authenticate("dr.li", PASSWORD) is None
    users.set_disabled("dr.li", False)
    assert users.authenticate("dr.li", PASSWORD) == li


def test_when_password_is_changed_then_old_fails_new_passes_and_a_short_one_is_refused(
    users: UserStore,
) -> None:
    users.add_user("dr.li", PASSWORD, "clinician")
    users.set_password("dr.li", "a new passphrase here")
    assert users.authenticate("dr.li", PASSWORD) is None
    assert users.authenticate("dr.li", "a new passphrase here") is not None
    with pytest.raises(InvalidInputError, match="password has 5 characters"):
        users.set_password("dr.li", "short")


def test_when_stored_hash_has_old_parameters_then_sign_in_rehashes_with_current_ones(
    users: UserStore,
) -> None:
    users.add_user("dr.li", PASSWORD, "clinician")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with users.engine.begin() as conn:
        conn.execute(text("UPDATE users SET password_hash = :h"), {"h": weak})
    assert users.authenticate("dr.li", PASSWORD) is not None
    with users.engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users")).scalar_one()
    assert stored != weak
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert users.authenticate("dr.li", PASSWORD) is not None


def test_when_api_key_is_created_then_secret_is_returned_once_and_only_its_sha256_is_stored(
    users: UserStore,
) -> None:
    li = users.add_user("dr.li", PASSWORD, "clinician")
    secret, key = users.create_api_key("dr.li", "lab-laptop")
    assert re.fullmatch(r"msk_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}", secret)
    assert key == ApiKeyRecord(key.id, li.id, "lab-laptop", secret[4:12], key.created, False)
    with users.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM api_keys")).mappings().one()
    assert row["key_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in [str(v) for v in row.values()]
    assert secret[13:] not in "".join(str(v) for v in row.values())
    assert users.verify_api_key(secret) == li
    assert users.list_api_keys("dr.li") == [key]
    assert key.to_dict() == {
        "id": key.id,
        "user_id": li.id,
        "name": "lab-laptop",
        "prefix": secret[4:12],
        "created": key.created.isoformat(),
        "revoked": False,
    }


def test_when_api_key_is_malformed_tampered_revoked_or_its_user_disabled_then_it_fails(
    users: UserStore,
) -> None:
    users.add_user("dr.li", PASSWORD, "clinician")
    secret, key = users.create_api_key("dr.li", "lab-laptop")
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    unknown_prefix = "msk_" + ("A" if secret[4] != "A" else "B") + secret[5:]
    for bad in ("", "msk_", secret + "x", secret.replace("msk_", "mks_"), tampered, unknown_prefix):
        assert users.verify_api_key(bad) is None, bad
    users.set_disabled("dr.li")
    assert users.verify_api_key(secret) is None
    with pytest.raises(InvalidInputError, match=r"user 'dr\.li' is disabled; enable the account"):
        users.create_api_key("dr.li", "second")
    users.set_disabled("dr.li", False)
    assert users.verify_api_key(secret) is not None
    revoked = users.revoke_api_key(key.id)
    assert revoked.revoked is True and users.revoke_api_key(key.id) == revoked
    assert users.verify_api_key(secret) is None
    assert users.list_api_keys("dr.li") == [revoked]
    with pytest.raises(InvalidInputError, match="key name '' is not usable"):
        users.create_api_key("dr.li", "")


def test_when_clinician_is_assigned_then_assignment_is_idempotent_and_unassign_removes_it(
    users: UserStore,
) -> None:
    users.add_user("dr.li", PASSWORD, "clinician")
    users.add_user("res.wu", PASSWORD, "researcher")
    users.assign("dr.li", "p-1")
    users.assign("dr.li", "p-1")
    users.assign("dr.li", "p-2")
    with users.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM assignments")).scalar_one() == 2
    assert users.assigned_patients("dr.li") == {"p-1", "p-2"}
    assert users.is_assigned("dr.li", "p-1") is True
    assert users.is_assigned("dr.li", "p-3") is False
    assert users.is_assigned("ghost", "p-1") is False
    assert users.assigned_patients("res.wu") == set()
    users.unassign("dr.li", "p-1")
    assert users.assigned_patients("dr.li") == {"p-2"}
    with pytest.raises(UnknownNameError, match="is not assigned to patient 'p-1', so nothing"):
        users.unassign("dr.li", "p-1")
    with pytest.raises(InvalidInputError, match="has role 'researcher'; only clinicians"):
        users.assign("res.wu", "p-1")
    with pytest.raises(UnknownNameError):
        users.assign("ghost", "p-1")


def test_when_user_row_is_deleted_then_keys_and_assignments_go_with_it(users: UserStore) -> None:
    li = users.add_user("dr.li", PASSWORD, "clinician")
    users.assign("dr.li", "p-1")
    users.create_api_key("dr.li", "k")
    with users.engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": li.id})
    with users.engine.connect() as conn:
        counts = [
            conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("api_keys", "assignments")
        ]
    assert counts == [0, 0]


def test_when_database_check_sees_a_patient_role_without_patient_id_then_it_refuses(
    users: UserStore,
) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), users.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (username, role, password_hash, disabled, created) "
                "VALUES ('x.y', 'patient', 'h', false, '2026-01-01 00:00:00')"
            )
        )
