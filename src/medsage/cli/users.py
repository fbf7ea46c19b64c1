"""`medsage users`: accounts, API keys and clinician-patient assignments of the web service.

The database is `--database`, else `$MEDSAGE_DATABASE_URL`, else `$MEDSAGE_HOME/records.sqlite3`
(the records store's database). A password is read from stdin (`--password-stdin`, one line) or
asked for with a hidden prompt; it is never an argument, which would leave it in shell history.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.table import Table

from medsage.cli._common import emit_json, handles_errors, stderr, stdout

app = typer.Typer(
    help="Accounts, API keys and patient assignments for the web service.", no_args_is_help=True
)
key_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
app.add_typer(key_app, name="key")

DATABASE = typer.Option(
    None, "--database", help="SQLAlchemy URL; default $MEDSAGE_DATABASE_URL or the home SQLite."
)
JSON = typer.Option(False, "--json", help="Write JSON to stdout.")
PASSWORD_STDIN = typer.Option(
    False, "--password-stdin", help="Read the password from the first line of stdin."
)


@contextmanager
def _users(database: str | None) -> Iterator[Any]:
    from medsage.health._users import UserStore

    store = UserStore(database)
    try:
        yield store
    finally:
        store.close()


def _read_password(from_stdin: bool) -> str:
    from medsage.health._users import check_password

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return check_password(password)


def _show_user(user: Any, as_json: bool, verb: str) -> None:
    if as_json:
        emit_json(user.to_dict())
        return
    state = "disabled" if user.disabled else "enabled"
    stdout.print(f"{verb} user {user.username} (id {user.id}, {user.role}, {state})")


@app.command("add")
@handles_errors
def add_command(
    username: str = typer.Argument(..., help="3-64 characters: letters, digits, _ . @ -"),
    role: str = typer.Option(..., "--role", help="admin, clinician, researcher or patient."),
    patient: str | None = typer.Option(
        None, "--patient", help="The patient's record id (required for role patient)."
    ),
    name: str | None = typer.Option(None, "--name", help="Display name."),
    password_stdin: bool = PASSWORD_STDIN,
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """Create an account (the password is asked for, or read from stdin)."""
    from medsage.health._users import check_user_fields

    check_user_fields(username, role, patient, name)  # before asking for a password
    password = _read_password(password_stdin)
    with _users(database) as users:
        user = users.add_user(username, password, role, patient_id=patient, display_name=name)
    _show_user(user, as_json, "created")


@app.command("list")
@handles_errors
def list_command(database: str | None = DATABASE, as_json: bool = JSON) -> None:
    """List accounts (with each clinician's assigned patients)."""
    with _users(database) as users:
        listed = [
            (u, sorted(users.assigned_patients(u.username)) if u.role == "clinician" else [])
            for u in users.list_users()
        ]
    if as_json:
        emit_json([{**u.to_dict(), "assigned_patients": a} for u, a in listed])
        return
    table = Table("id", "username", "role", "state", "patient", "assigned", "name")
    for u, assigned in listed:
        table.add_row(
            str(u.id),
            u.username,
            u.role,
            "disabled" if u.disabled else "enabled",
            u.patient_id or "",
            str(len(assigned)) if u.role == "clinician" else "",
            u.display_name or "",
        )
    stdout.print(table)
    stdout.print(f"{len(listed)} users")


@app.command("disable")
@handles_errors
def disable_command(
    username: str = typer.Argument(..., help="The account."),
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """Disable an account: no sign-in, its API keys stop working, no access to records."""
    with _users(database) as users:
        user = users.set_disabled(username, True)
    _show_user(user, as_json, "disabled")


@app.command("enable")
@handles_errors
def enable_command(
    username: str = typer.Argument(..., help="The account."),
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """Enable a disabled account again."""
    with _users(database) as users:
        user = users.set_disabled(username, False)
    _show_user(user, as_json, "enabled")


@app.command("password")
@handles_errors
def password_command(
    username: str = typer.Argument(..., help="The account."),
    password_stdin: bool = PASSWORD_STDIN,
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """Set a new password for an account."""
    with _users(database) as users:
        user = users.get_user(username)  # an unknown name fails before the prompt
        users.set_password(username, _read_password(password_stdin))
    if as_json:
        emit_json({"username": user.username, "password_changed": True})
        return
    stdout.print(f"password of {user.username} changed")


def _assignment(username: str, patient_id: str, assigned: bool, as_json: bool) -> None:
    if as_json:
        emit_json({"username": username, "patient_id": patient_id, "assigned": assigned})
        return
    verb = "assigned to" if assigned else "no longer assigned to"
    stdout.print(f"{username} {verb} patient {patient_id}")


@app.command("assign")
@handles_errors
def assign_command(
    username: str = typer.Argument(..., help="A clinician's account."),
    patient_id: str = typer.Argument(..., help="The patient's record id."),
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """Let a clinician see and change a patient's record."""
    with _users(database) as users:
        users.assign(username, patient_id)
    _assignment(username, patient_id, True, as_json)


@app.command("unassign")
@handles_errors
def unassign_command(
    username: str = typer.Argument(..., help="A clinician's account."),
    patient_id: str = typer.Argument(..., help="The patient's record id."),
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """End a clinician's assignment to a patient."""
    with _users(database) as users:
        users.unassign(username, patient_id)
    _assignment(username, patient_id, False, as_json)


@key_app.command("create")
@handles_errors
def key_create_command(
    username: str = typer.Argument(..., help="The account the key acts as."),
    name: str = typer.Option(..., "--name", help="Where the key is used (e.g. lab-laptop)."),
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """Create an API key and print its secret (shown this once only)."""
    with _users(database) as users:
        secret, key = users.create_api_key(username, name)
    if as_json:
        emit_json({"secret": secret, "key": key.to_dict()})
        return
    stdout.print(secret, highlight=False, markup=False)
    stderr.print(f"key {key.id} ({key.name}) for {username}: store the secret now, it is not kept")


@key_app.command("list")
@handles_errors
def key_list_command(
    username: str = typer.Argument(..., help="The account."),
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """List an account's API keys (prefix and state; never the secret)."""
    with _users(database) as users:
        keys = users.list_api_keys(username)
    if as_json:
        emit_json([k.to_dict() for k in keys])
        return
    table = Table("id", "name", "prefix", "created", "state")
    for k in keys:
        state = "revoked" if k.revoked else "active"
        table.add_row(str(k.id), k.name, k.prefix, k.created.isoformat(timespec="seconds"), state)
    stdout.print(table)
    stdout.print(f"{len(keys)} keys")


@key_app.command("revoke")
@handles_errors
def key_revoke_command(
    key_id: int = typer.Argument(..., help="The key's id (from `medsage users key list`)."),
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """Revoke an API key for good."""
    with _users(database) as users:
        key = users.revoke_api_key(key_id)
    if as_json:
        emit_json(key.to_dict())
        return
    stdout.print(f"revoked key {key.id} ({key.name})")
