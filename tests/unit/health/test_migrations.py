"""Alembic migrations: the migrated schema equals the ORM metadata; upgrade is idempotent."""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from medsage.health._db import MIGRATIONS_DIR, alembic_config, make_engine, upgrade
from medsage.health._orm import Base
from medsage.health._store import RecordStore


def test_when_store_opens_then_schema_is_at_head_and_equals_orm_metadata(
    make_url: Callable[[], str],
) -> None:
    url = make_url()
    RecordStore(url).close()
    engine = make_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert context.get_current_revision() == "0003"
        assert compare_metadata(context, Base.metadata) == []
        tables = set(inspect(conn).get_table_names())
    assert tables == {
        "alembic_version",
        "patients",
        "observations",
        "conditions",
        "medications",
        "allergies",
        "encounters",
        "care_plans",
        "audit_events",
        "users",
        "api_keys",
        "assignments",
    }
    upgrade(engine)  # a second open is a no-op
    engine.dispose()


def test_when_downgraded_to_base_and_upgraded_again_then_schema_is_back(
    make_url: Callable[[], str],
) -> None:
    url = make_url()
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == {"alembic_version"}
    upgrade(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


def test_when_migration_scripts_are_listed_then_one_linear_history_ships_in_the_package() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert [s.revision for s in scripts.walk_revisions()] == ["0003", "0002", "0001"]
    assert sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py")) == [
        "0001_initial.py",
        "0002_users.py",
        "0003_query_indexes.py",
    ]
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()


def test_when_four_stores_open_a_new_database_at_once_then_all_succeed(
    make_url: Callable[[], str],
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url = make_url()

    def open_and_count(_: int) -> int:
        with RecordStore(url) as store:
            return store.count("patients")

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(open_and_count, range(4))) == [0, 0, 0, 0]
