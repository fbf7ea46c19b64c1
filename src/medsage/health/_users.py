"""`UserStore`: accounts, API keys and clinician-patient assignments, in the records database.

- Passwords are hashed with argon2id (argon2-cffi's `PasswordHasher` defaults, RFC 9106's
  second recommended option) and rehashed on sign-in when those defaults change.
- An API key is `msk_<prefix>_<secret>`: the 8-character prefix finds the row, and only the
  SHA-256 of the whole key is stored. 256 random bits need no slow hash (a brute force of the
  stored digest is hopeless); the key is shown once, when made.
- Nothing here logs a password, a hash, a key, a user name or a display name: ids and counts only.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from medsage.errors import InvalidInputError, UnknownNameError
from medsage.health import _orm as orm
from medsage.health._db import make_engine, session_factory, upgrade

log = logging.getLogger(__name__)

ROLES = ("admin", "clinician", "researcher", "patient")

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.@-]{3,64}")
# The project's rule. NIST SP 800-63B-4 (2025) sec. 3.1.1.2 asks at least 15 characters when a
# password is the only factor and at least 8 when it is part of multi-factor authentication.
MIN_PASSWORD_LENGTH = 12
KEY_PREFIX = "msk_"
_PREFIX_LENGTH = 8  # secrets.token_urlsafe(6) -> 8 characters
_SECRET_BYTES = 32  # 256 bits -> 43 url-safe characters
_KEY_PATTERN = re.compile(r"msk_([A-Za-z0-9_-]{8})_[A-Za-z0-9_-]{43}")
_MAX_KEY_NAME = 100
_MAX_DISPLAY_NAME = 200
_MAX_PATIENT_ID = orm.FHIR_ID


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class UserRecord:
    """An account as the rest of MedSage sees it (the password hash never leaves the store)."""

    id: int
    username: str
    role: str
    disabled: bool
    patient_id: str | None
    display_name: str | None
    created: datetime  # aware UTC

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "role": self.role,
            "disabled": self.disabled,
            "patient_id": self.patient_id,
            "display_name": self.display_name,
            "created": self.created.isoformat(),
        }


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key's public facts: its id, owner, name and prefix (never the secret)."""

    id: int
    user_id: int
    name: str
    prefix: str
    created: datetime  # aware UTC
    revoked: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "name": self.name,
            "prefix": self.prefix,
            "created": self.created.isoformat(),
            "revoked": self.revoked,
        }


def _user_record(row: orm.User) -> UserRecord:
    return UserRecord(
        id=row.id,
        username=row.username,
        role=row.role,
        disabled=bool(row.disabled),
        patient_id=row.patient_id,
        display_name=row.display_name,
        created=_aware(row.created),
    )


def _key_record(row: orm.ApiKey) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        created=_aware(row.created),
        revoked=bool(row.revoked),
    )


@functools.cache
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the user is unknown, so that answer takes as long as a wrong password.
    return str(_hasher().hash(secrets.token_urlsafe(16)))


def _verify(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):  # VerifyMismatchError is a VerificationError
        return False


def check_username(username: str) -> str:
    """`username` if it is 3-64 characters of letters, digits and `_ . @ -`; else an error."""
    if not isinstance(username, str) or not USERNAME_PATTERN.fullmatch(username):
        raise InvalidInputError(
            f"username {username!r} is not allowed; use 3 to 64 characters from letters, "
            "digits and _ . @ -"
        )
    return username


def check_password(password: str) -> str:
    """`password` if it has at least 12 characters (not all spaces); else an error.

    The message never repeats the password.
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH or not password.strip():
        length = len(password) if isinstance(password, str) else 0
        raise InvalidInputError(
            f"password has {length} characters; it needs at least {MIN_PASSWORD_LENGTH} "
            "(a passphrase of several words is easiest to remember)"
        )
    return password


def _check_patient_id(patient_id: str) -> str:
    if (
        not isinstance(patient_id, str)
        or not patient_id.strip()
        or len(patient_id) > _MAX_PATIENT_ID
    ):
        raise InvalidInputError(
            f"patient id {patient_id!r} is not usable; expected the record's id "
            f"(1 to {_MAX_PATIENT_ID} characters), as `medsage patients list` shows it"
        )
    return patient_id


def check_user_fields(
    username: str,
    role: str,
    patient_id: str | None = None,
    display_name: str | None = None,
) -> None:
    """Check a new account's fields (all but the password) before asking for the password."""
    check_username(username)
    if role not in ROLES:
        raise InvalidInputError(f"role {role!r} is not one of {', '.join(ROLES)}; pick one of them")
    if role == "patient":
        if patient_id is None:
            raise InvalidInputError(
                f"a patient account needs the id of the patient's record (--patient ID) "
                f"for {username!r}"
            )
        _check_patient_id(patient_id)
    elif patient_id is not None:
        raise InvalidInputError(
            f"only patient accounts are linked to a patient record, but role {role!r} was given "
            f"patient id {patient_id!r}; drop the patient id, or use role 'patient'"
        )
    if display_name is not None and len(display_name) > _MAX_DISPLAY_NAME:
        raise InvalidInputError(
            f"display name has {len(display_name)} characters; at most {_MAX_DISPLAY_NAME} fit"
        )


class UserStore:
    """Accounts, API keys and assignments, in the same database as `RecordStore`.

    Args:
        url: SQLAlchemy URL; default `$MEDSAGE_DATABASE_URL`, else
            `$MEDSAGE_HOME/records.sqlite3`. The schema is migrated when the store opens.
    """

    def __init__(self, url: str | None = None) -> None:
        self.engine = make_engine(url)
        upgrade(self.engine)
        self._sessions = session_factory(self.engine)

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> UserStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _begin(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    @staticmethod
    def _row(session: Session, username: str) -> orm.User:
        row = session.scalars(select(orm.User).where(orm.User.username == username)).first()
        if row is None:
            raise UnknownNameError(
                f"no user {username!r}; list the accounts with `medsage users list`"
            )
        return row

    # ------------------------------------------------------------------ accounts

    def add_user(
        self,
        username: str,
        password: str,
        role: str,
        *,
        patient_id: str | None = None,
        display_name: str | None = None,
    ) -> UserRecord:
        """Create an account (errors: bad username/password/role, or the name is taken)."""
        check_user_fields(username, role, patient_id, display_name)
        password_hash = str(_hasher().hash(check_password(password)))
        taken = InvalidInputError(
            f"user {username!r} already exists; pick another name, or change that account "
            "with `medsage users enable/disable`"
        )
        try:
            with self._begin() as session:
                exists = session.scalars(
                    select(orm.User.id).where(orm.User.username == username)
                ).first()
                if exists is not None:
                    raise taken
                row = orm.User(
                    username=username,
                    role=role,
                    password_hash=password_hash,
                    disabled=False,
                    patient_id=patient_id,
                    display_name=display_name,
                    created=_now(),
                )
                session.add(row)
                session.flush()
                record = _user_record(row)
        except IntegrityError:  # another process took the name between our check and insert
            raise taken from None
        log.info("created user %d with role %s", record.id, record.role)
        return record

    def get_user(self, username: str) -> UserRecord:
        """The account called `username` (UnknownNameError when there is none)."""
        with self._begin() as session:
            return _user_record(self._row(session, username))

    def get_user_by_id(self, user_id: int) -> UserRecord:
        """The account with id `user_id` (UnknownNameError when there is none)."""
        with self._begin() as session:
            row = session.get(orm.User, user_id)
            if row is None:
                raise UnknownNameError(
                    f"no user with id {user_id!r}; list the accounts with `medsage users list`"
                )
            return _user_record(row)

    def list_users(self) -> list[UserRecord]:
        """Every account, by username."""
        with self._begin() as session:
            rows = session.scalars(select(orm.User).order_by(orm.User.username)).all()
            return [_user_record(row) for row in rows]

    def set_disabled(self, username: str, disabled: bool = True) -> UserRecord:
        """Disable (or, with `disabled=False`, enable) an account; its keys follow it."""
        with self._begin() as session:
            row = self._row(session, username)
            row.disabled = disabled
            session.flush()
            record = _user_record(row)
        log.info("user %d %s", record.id, "disabled" if disabled else "enabled")
        return record

    def set_password(self, username: str, password: str) -> None:
        """Replace an account's password (the 12-character rule applies)."""
        password_hash = str(_hasher().hash(check_password(password)))
        with self._begin() as session:
            row = self._row(session, username)
            row.password_hash = password_hash
            user_id = row.id
        log.info("password of user %d changed", user_id)

    def authenticate(self, username: str, password: str) -> UserRecord | None:
        """The account when `password` is right and the account enabled, else None.

        An unknown name costs one argon2 verification too, so the time taken does not tell
        which names exist. The hash is verified outside any transaction (SQLite holds its write
        lock for the length of one).
        """
        with self._begin() as session:
            row = session.scalars(select(orm.User).where(orm.User.username == username)).first()
            found = (_user_record(row), row.password_hash) if row is not None else None
        if found is None:
            _verify(_dummy_hash(), password if isinstance(password, str) else "")
            return None
        record, password_hash = found
        if not isinstance(password, str) or not _verify(password_hash, password):
            return None
        if record.disabled:
            return None
        if _hasher().check_needs_rehash(password_hash):
            new_hash = str(_hasher().hash(password))
            with self._begin() as session:
                # only if nobody changed the password meanwhile
                session.execute(
                    update(orm.User)
                    .where(orm.User.id == record.id, orm.User.password_hash == password_hash)
                    .values(password_hash=new_hash)
                )
            log.info("password hash of user %d upgraded to the current parameters", record.id)
        return record

    # ------------------------------------------------------------------ API keys

    def create_api_key(self, username: str, name: str) -> tuple[str, ApiKeyRecord]:
        """A new key for an enabled account: (the secret, shown only now; its record)."""
        if not isinstance(name, str) or not name.strip() or len(name) > _MAX_KEY_NAME:
            raise InvalidInputError(
                f"key name {name!r} is not usable; give 1 to {_MAX_KEY_NAME} characters that "
                "say where the key is used (e.g. 'lab-laptop')"
            )
        for _attempt in range(3):  # a prefix collision (48 random bits) is retried
            prefix = secrets.token_urlsafe(6)
            secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(_SECRET_BYTES)}"
            try:
                with self._begin() as session:
                    user = self._row(session, username)
                    if user.disabled:
                        raise InvalidInputError(
                            f"user {username!r} is disabled; enable the account first "
                            "(`medsage users enable`)"
                        )
                    row = orm.ApiKey(
                        user_id=user.id,
                        name=name,
                        prefix=prefix,
                        key_hash=hashlib.sha256(secret.encode()).hexdigest(),
                        created=_now(),
                        revoked=False,
                    )
                    session.add(row)
                    session.flush()
                    record = _key_record(row)
            except IntegrityError:
                continue
            log.info("created API key %d for user %d", record.id, record.user_id)
            return secret, record
        raise InvalidInputError("could not find a free API key prefix in 3 tries; try again")

    def verify_api_key(self, secret: str) -> UserRecord | None:
        """The key's account, or None: malformed, unknown or revoked key, or disabled account."""
        if not isinstance(secret, str):
            return None
        match = _KEY_PATTERN.fullmatch(secret)
        if match is None:
            return None
        digest = hashlib.sha256(secret.encode()).hexdigest()
        with self._begin() as session:
            key = session.scalars(
                select(orm.ApiKey).where(orm.ApiKey.prefix == match.group(1))
            ).first()
            if key is None or not hmac.compare_digest(key.key_hash, digest) or key.revoked:
                return None
            user = session.get(orm.User, key.user_id)
            if user is None or user.disabled:
                return None
            return _user_record(user)

    def list_api_keys(self, username: str) -> list[ApiKeyRecord]:
        """An account's keys (revoked ones too), oldest first."""
        with self._begin() as session:
            user = self._row(session, username)
            rows = session.scalars(
                select(orm.ApiKey).where(orm.ApiKey.user_id == user.id).order_by(orm.ApiKey.id)
            ).all()
            return [_key_record(row) for row in rows]

    def revoke_api_key(self, key_id: int) -> ApiKeyRecord:
        """Revoke a key for good (revoking twice is harmless)."""
        with self._begin() as session:
            row = session.get(orm.ApiKey, key_id)
            if row is None:
                raise UnknownNameError(
                    f"no API key with id {key_id!r}; list them with `medsage users key list USER`"
                )
            row.revoked = True
            session.flush()
            record = _key_record(row)
        log.info("revoked API key %d", record.id)
        return record

    # ------------------------------------------------------------------ assignments

    def assign(self, clinician_username: str, patient_id: str) -> None:
        """Let a clinician see and change a patient's record (assigning twice is harmless)."""
        _check_patient_id(patient_id)
        try:
            with self._begin() as session:
                user = self._row(session, clinician_username)
                if user.role != "clinician":
                    raise InvalidInputError(
                        f"user {clinician_username!r} has role {user.role!r}; only clinicians "
                        "are assigned to patients (admins see every record already)"
                    )
                exists = session.scalars(
                    select(orm.Assignment.id).where(
                        orm.Assignment.user_id == user.id, orm.Assignment.patient_id == patient_id
                    )
                ).first()
                if exists is None:
                    session.add(orm.Assignment(user_id=user.id, patient_id=patient_id))
                user_id = user.id
        except IntegrityError:  # the same assignment was made at the same moment elsewhere
            return
        log.info("user %d assigned to a patient", user_id)

    def unassign(self, clinician_username: str, patient_id: str) -> None:
        """End an assignment (UnknownNameError when the clinician was not assigned)."""
        with self._begin() as session:
            user = self._row(session, clinician_username)
            result = session.execute(
                delete(orm.Assignment).where(
                    orm.Assignment.user_id == user.id, orm.Assignment.patient_id == patient_id
                )
            )
            if getattr(result, "rowcount", 0) == 0:
                raise UnknownNameError(
                    f"user {clinician_username!r} is not assigned to patient {patient_id!r}, "
                    "so nothing was removed; check both names"
                )
            user_id = user.id
        log.info("user %d unassigned from a patient", user_id)

    def assigned_patients(self, username: str) -> set[str]:
        """The ids of the patients a clinician is assigned to (empty for other roles)."""
        with self._begin() as session:
            user = self._row(session, username)
            return set(
                session.scalars(
                    select(orm.Assignment.patient_id).where(orm.Assignment.user_id == user.id)
                ).all()
            )

    def is_assigned(self, username: str, patient_id: str) -> bool:
        """Whether `username` is assigned to `patient_id` (False for an unknown user)."""
        with self._begin() as session:
            found = session.scalars(
                select(orm.Assignment.id)
                .join(orm.User, orm.User.id == orm.Assignment.user_id)
                .where(orm.User.username == username, orm.Assignment.patient_id == patient_id)
            ).first()
            return found is not None
