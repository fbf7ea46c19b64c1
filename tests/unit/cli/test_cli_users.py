"""`medsage users ...`: accounts, keys and assignments through the CLI (SQLite file)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medsage.cli.users import app
from medsage.health._users import UserStore

runner = CliRunner()
PASSWORD = "correct horse battery"


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    return ["--database", f"sqlite:///{tmp_path / 'r.sqlite3'}"]


def _run(*args: str, stdin: str | None = None) -> Any:
    result = runner.invoke(app, [*args, "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _without_created(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("created", "id")}


def test_when_accounts_are_added_assigned_and_disabled_then_json_is_exact(db: list[str]) -> None:
    added = _run("add", "dr.li", "--role", "clinician", "--name", "Li Wei", "--password-stdin",
                 *db, stdin=PASSWORD + "\n")  # fmt: skip
    assert _without_created(added) == {
        "username": "dr.li",
        "role": "clinician",
        "disabled": False,
        "patient_id": None,
        "display_name": "Li Wei",
    }
    _run("add", "p.zhang", "--role", "patient", "--patient", "p-1", "--password-stdin", *db,
         stdin=PASSWORD + "\n")  # fmt: skip
    assert _run("assign", "dr.li", "p-1", *db) == {
        "username": "dr.li",
        "patient_id": "p-1",
        "assigned": True,
    }
    _run("assign", "dr.li", "p-2", *db)
    _run("unassign", "dr.li", "p-2", *db)
    assert _run("disable", "p.zhang", *db)["disabled"] is True
    listed = _run("list", *db)
    assert [_without_created(u) for u in listed] == [
        {
            "username": "dr.li",
            "role": "clinician",
            "disabled": False,
            "patient_id": None,
            "display_name": "Li Wei",
            "assigned_patients": ["p-1"],
        },
        {
            "username": "p.zhang",
            "role": "patient",
            "disabled": True,
            "patient_id": "p-1",
            "display_name": None,
            "assigned_patients": [],
        },
    ]
    assert _run("enable", "p.zhang", *db)["disabled"] is False
    with UserStore(db[1]) as users:
        assert users.authenticate("p.zhang", PASSWORD) is not None


def test_when_password_is_typed_at_the_prompt_then_it_is_confirmed_and_never_echoed(
    db: list[str],
) -> None:
    result = runner.invoke(app, ["add", "admin", "--role", "admin", *db],
                           input=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "created user admin (id 1, admin, enabled)" in result.output
    changed = runner.invoke(app, ["password", "admin", "--password-stdin", *db],
                            input="another long passphrase\n")  # fmt: skip
    assert changed.exit_code == 0, changed.output
    with UserStore(db[1]) as users:
        assert users.authenticate("admin", PASSWORD) is None
        assert users.authenticate("admin", "another long passphrase") is not None


def test_when_key_is_created_listed_and_revoked_then_secret_is_shown_once_and_works(
    db: list[str],
) -> None:
    _run("add", "res.chen", "--role", "researcher", "--password-stdin", *db, stdin=PASSWORD + "\n")
    created = _run("key", "create", "res.chen", "--name", "notebook", *db)
    secret = created["secret"]
    assert re.fullmatch(r"msk_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}", secret)
    assert _without_created(created["key"]) == {
        "user_id": 1,
        "name": "notebook",
        "prefix": secret[4:12],
        "revoked": False,
    }
    listed = runner.invoke(app, ["key", "list", "res.chen", *db])
    assert listed.exit_code == 0 and secret[13:] not in listed.output
    assert secret[4:12] in listed.output and "1 keys" in listed.output
    with UserStore(db[1]) as users:
        verified = users.verify_api_key(secret)
        assert verified is not None and verified.username == "res.chen"
    revoked = _run("key", "revoke", str(created["key"]["id"]), *db)
    assert revoked["revoked"] is True
    assert [k["revoked"] for k in _run("key", "list", "res.chen", *db)] == [True]
    with UserStore(db[1]) as users:
        assert users.verify_api_key(secret) is None


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["add", "dr.wu", "--role", "clinician", "--password-stdin"], "short\n",
         "error: password has 5 characters; it needs at least 12"),
        (["add", "p.x", "--role", "patient", "--password-stdin"], None,
         "error: a patient account needs the id of the patient's record (--patient ID)"),
        (["add", "x", "--role", "admin", "--password-stdin"], None,
         "error: username 'x' is not allowed"),
        (["disable", "ghost"], None, "error: no user 'ghost'; list the accounts with"),
        (["assign", "ghost", "p-1"], None, "error: no user 'ghost'"),
        (["key", "revoke", "42"], None, "error: no API key with id 42"),
        (["key", "create", "ghost", "--name", "k"], None, "error: no user 'ghost'"),
    ],
)  # fmt: skip
def test_when_input_is_bad_then_one_line_error_and_exit_code_2(
    db: list[str], args: list[str], stdin: str | None, message: str
) -> None:
    result = runner.invoke(app, [*args, *db], input=stdin)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
