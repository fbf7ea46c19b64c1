"""MoleculeNet CSV loaders on the real files in ../shared/data/moleculenet."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from medsage.datasets._moleculenet import MOLECULENET, load_moleculenet
from medsage.errors import DataFormatError, MissingFileError, UnknownNameError

# name: (molecules kept, tasks, rows dropped as unparseable, missing labels, task type)
EXPECTED = {
    "esol": (1128, 1, 0, 0, "regression"),
    "freesolv": (642, 1, 0, 0, "regression"),
    "lipophilicity": (4200, 1, 0, 0, "regression"),
    "bbbp": (2039, 1, 11, 0, "classification"),
    "bace": (1513, 1, 0, 0, "classification"),
    "clintox": (1480, 2, 4, 0, "classification"),
    "tox21": (7823, 12, 8, 16012, "classification"),
    "sider": (1427, 27, 0, 0, "classification"),
}


@pytest.mark.shared_data
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_when_loaded_then_exact_counts(shared_data: Path, name: str) -> None:
    ds = load_moleculenet(name, shared_data / "moleculenet")
    n, k, dropped, missing, kind = EXPECTED[name]
    assert (len(ds), len(ds.tasks), len(ds.dropped), kind) == (n, k, dropped, ds.task_type)
    assert ds.labels.shape == (n, k) and int(np.isnan(ds.labels).sum()) == missing
    assert len(ds.rows) == n and ds.rows[0] >= 1


@pytest.mark.shared_data
def test_when_esol_loaded_then_first_row_and_label(shared_data: Path) -> None:
    ds = load_moleculenet("esol", shared_data)  # the parent folder works too
    assert ds.smiles[0] == "OCC3OC(OCC2OC(OC(C#N)c1ccccc1)C(O)C(O)C2O)C(O)C(O)C3O"
    assert ds.labels[0, 0] == -0.77
    assert ds.tasks == ["measured log solubility in mols per litre"]


@pytest.mark.shared_data
def test_when_tox21_loaded_then_twelve_named_tasks_and_nan_for_blank(shared_data: Path) -> None:
    ds = load_moleculenet("tox21", shared_data / "moleculenet")
    assert ds.tasks[:3] == ["NR-AR", "NR-AR-LBD", "NR-AhR"] and ds.tasks[-1] == "SR-p53"
    assert "mol_id" not in ds.tasks
    assert ds.smiles[0] == "CCOc1ccc2nc(S(N)(=O)=O)sc2c1"
    first = ds.labels[0]
    assert first[:3].tolist() == [0.0, 0.0, 1.0] and math.isnan(first[3])


@pytest.mark.shared_data
def test_when_bbbp_has_bad_smiles_then_reported_with_row(shared_data: Path) -> None:
    ds = load_moleculenet("bbbp", shared_data / "moleculenet")
    first = ds.dropped[0]
    assert (first.row, first.reason) == (60, "RDKit could not parse the SMILES")
    assert first.smiles == "O=N([O-])C1=C(CN=C1NCCSCc2ncccc2)Cc3ccccc3"
    assert 60 not in ds.rows


@pytest.mark.shared_data
@pytest.mark.slow
def test_when_hiv_loaded_then_41120_molecules(shared_data: Path) -> None:
    ds = load_moleculenet("hiv", shared_data / "moleculenet")
    assert (len(ds), len(ds.dropped), int(ds.labels.sum())) == (41120, 7, 1443)


def test_when_unknown_name_then_error_lists_choices() -> None:
    with pytest.raises(UnknownNameError, match="esol, freesolv"):
        load_moleculenet("qm9", "/nowhere")
    assert len(MOLECULENET) == 9


def test_when_folder_missing_then_missing_file_error(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match=r"delaney-processed\.csv"):
        load_moleculenet("esol", tmp_path)


def test_when_label_not_binary_then_data_format_error(tmp_path: Path) -> None:
    (tmp_path / "BBBP.csv").write_text("num,name,p_np,smiles\n1,a,1,CCO\n2,b,2,CCN\n")
    with pytest.raises(DataFormatError, match=r"BBBP\.csv row 2: classification label '2'"):
        load_moleculenet("bbbp", tmp_path)


def test_when_smiles_column_absent_then_data_format_error(tmp_path: Path) -> None:
    (tmp_path / "SAMPL.csv").write_text("iupac,expt\nethanol,-5.0\n")
    with pytest.raises(DataFormatError, match="no SMILES column 'smiles'"):
        load_moleculenet("freesolv", tmp_path)
