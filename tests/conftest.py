"""Shared fixtures: where the real public data sets are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """`$MEDSAGE_DATA_DIR`, else `../shared/data` beside the repository, else None."""
    env = os.environ.get("MEDSAGE_DATA_DIR")
    candidate = Path(env) if env else REPO_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder. CI sets MEDSAGE_REQUIRE_SHARED_DATA=1 so absence fails there."""
    found = shared_data_dir()
    if found is None:
        if os.environ.get("MEDSAGE_REQUIRE_SHARED_DATA") == "1":
            pytest.fail("../shared/data is missing but MEDSAGE_REQUIRE_SHARED_DATA=1")
        pytest.skip("../shared/data not present (set MEDSAGE_DATA_DIR)")
    return found
