"""Where the records live and how a connection is made.

- Default: the SQLite file `$MEDSAGE_HOME/records.sqlite3`, with foreign keys ON (SQLite's
  default is OFF, which would make ON DELETE CASCADE silently do nothing) and WAL journaling
  (readers never block the writer, and a killed writer leaves the last commit intact).
- `MEDSAGE_DATABASE_URL` (or an explicit `url`): any SQLAlchemy URL; `postgresql://` and
  `postgres://` are read as `postgresql+psycopg://` (psycopg 3 is the driver we ship).

Opening a database migrates it to the newest schema (`alembic upgrade head`, configured in code;
the scripts ship as package data in `medsage/health/migrations`).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from medsage.errors import InvalidInputError
from medsage.settings import get_settings

log = logging.getLogger(__name__)

DATABASE_URL_ENV = "MEDSAGE_DATABASE_URL"
SQLITE_FILE_NAME = "records.sqlite3"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = threading.Lock()
_LOCK_KEY = 7_123_577_001  # pg_advisory_xact_lock key of the records-store migration


def database_url(url: str | None = None) -> str:
    """The URL to use: `url`, else `$MEDSAGE_DATABASE_URL`, else the SQLite file in the home."""
    chosen = url or os.environ.get(DATABASE_URL_ENV)
    if not chosen:
        home = get_settings().home
        home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{home / SQLITE_FILE_NAME}"
    for plain in ("postgresql://", "postgres://"):
        if chosen.startswith(plain):
            return "postgresql+psycopg://" + chosen[len(plain) :]
    return chosen


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, start transactions (pysqlite would leave DDL outside them);
    # `_sqlite_begin` then opens each one. (SQLAlchemy docs, "Serializable isolation /
    # Savepoints / Transactional DDL" for pysqlite.)
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock up front: every store transaction writes (at least its
    # audit event), and a deferred one that read first could fail to upgrade its lock when
    # another process writes in between. Writers queue on busy_timeout instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | None = None) -> Engine:
    """An engine for `database_url(url)`; SQLite connections get foreign keys ON and WAL."""
    resolved = database_url(url)
    try:
        parsed = make_url(resolved)
        engine = create_engine(parsed, pool_pre_ping=parsed.get_backend_name() != "sqlite")
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise InvalidInputError(
            f"database URL {_redacted(resolved)!r} is not usable ({exc}); expected e.g. "
            "sqlite:////path/records.sqlite3 or postgresql+psycopg://user@host/db"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _redacted(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unparsable URL>"


def alembic_config(connection: Connection | None = None) -> Any:
    """An Alembic `Config` built in code (no alembic.ini), optionally bound to `connection`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Migrate the database to the newest schema (no-op when already there)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with _MIGRATION_LOCK:  # alembic's `context` is a module global: one migration per process
        _upgrade_locked(engine, head)


def _upgrade_locked(engine: Engine, head: str | None) -> None:
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            if current == head:
                return
        with engine.begin() as connection:
            # two processes opening a new database at once: one migrates, the other waits
            # (PostgreSQL: an advisory lock; SQLite: the write lock of BEGIN IMMEDIATE).
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            if MigrationContext.configure(connection).get_current_revision() == head:
                return
            log.info("migrating records database from %s to %s", current, head)
            command.upgrade(alembic_config(connection), "head")
    except OperationalError as exc:
        raise InvalidInputError(
            f"cannot open the records database {_redacted(str(engine.url))!r}: "
            f"{str(exc.orig).strip().splitlines()[0]}; check {DATABASE_URL_ENV} "
            "or that the server is running"
        ) from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (records are copied out of them)."""
    return sessionmaker(engine, expire_on_commit=False)
