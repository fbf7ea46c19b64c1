"""Shared fixtures of the drug tests."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def hiv_smiles(shared_data: Path) -> list[str]:
    """The first 1,500 SMILES of MoleculeNet HIV, in file order (real, varied molecules)."""
    with (shared_data / "moleculenet" / "HIV.csv").open(encoding="utf-8") as handle:
        return [row["smiles"] for _, row in zip(range(1500), csv.DictReader(handle), strict=False)]
