"""Fixtures for the health-records tests: a fresh store on SQLite and on PostgreSQL.

The PostgreSQL parameter connects to `$MEDSAGE_TEST_POSTGRES_URL` (`.ci/run` starts a server
and sets it) and gives each store its own schema, dropped afterwards. Without the variable the
PostgreSQL cases skip, unless `MEDSAGE_REQUIRE_POSTGRES=1`, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from medsage.health._store import RecordStore

POSTGRES_ENV = "MEDSAGE_TEST_POSTGRES_URL"
REQUIRE_ENV = "MEDSAGE_REQUIRE_POSTGRES"


def postgres_base_url() -> str | None:
    """The test server URL, or None (skip) / pytest.fail when it is required."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{POSTGRES_ENV} is unset but {REQUIRE_ENV}=1 (run tests via .ci/run)")
        pytest.skip(f"PostgreSQL not configured (set {POSTGRES_ENV}, or run .ci/run)")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend under test."""
    return str(request.param)


@pytest.fixture
def make_url(backend: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """A factory of URLs of fresh, empty databases on `backend` (SQLite file or PG schema)."""
    schemas: list[str] = []
    base = postgres_base_url() if backend == "postgresql" else None
    counter = iter(range(1_000_000))

    def fresh() -> str:
        if base is None:
            return f"sqlite:///{tmp_path / f'records_{next(counter)}.sqlite3'}"
        schema = f"test_{uuid.uuid4().hex[:16]}"
        engine = create_engine(base)
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
        schemas.append(schema)
        separator = "&" if "?" in base else "?"
        return f"{base}{separator}options=-csearch_path%3D{schema}"

    yield fresh
    if base is not None and schemas:
        engine = create_engine(base)
        with engine.begin() as conn:
            for schema in schemas:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


@pytest.fixture
def store_factory(make_url: Callable[[], str]) -> Iterator[Callable[[], RecordStore]]:
    """Open as many fresh stores as a test needs (closed at the end)."""
    stores: list[RecordStore] = []

    def open_store() -> RecordStore:
        store = RecordStore(make_url())
        stores.append(store)
        return store

    yield open_store
    for store in stores:
        store.close()


@pytest.fixture
def store(store_factory: Callable[[], RecordStore]) -> RecordStore:
    """A fresh, migrated, empty store on the backend under test."""
    return store_factory()


@pytest.fixture(scope="session")
def synthea_dir(shared_data: Path) -> Path:
    """The Synthea mCODE sample (12 FHIR bundles in fhir/, 115 patients as CSV in csv/)."""
    return shared_data / "synthea_mcode_sample"


@pytest.fixture(scope="session")
def bundle_files(synthea_dir: Path) -> list[Path]:
    """The 12 FHIR bundle files, sorted by name."""
    return sorted((synthea_dir / "fhir").glob("*.json"))
