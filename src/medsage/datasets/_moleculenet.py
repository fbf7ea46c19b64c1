"""MoleculeNet CSV files (the copies in ``../shared/data/moleculenet``) as label matrices.

Each task set names its file, SMILES column, label columns and task type. Labels become a float
matrix with NaN where a label is missing (Tox21, ToxCast-style files leave cells empty). Rows whose
SMILES RDKit cannot parse are dropped and reported in `MoleculeDataset.dropped` with their row
number and reason, so a benchmark never silently loses or mislabels a molecule.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from medsage.errors import DataFormatError, EmptyInputError, MissingFileError, UnknownNameError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

TaskType = Literal["regression", "classification"]


@dataclass(frozen=True)
class MoleculeNetSpec:
    """Where one MoleculeNet task set lives and how its columns are read."""

    name: str
    filename: str
    smiles_column: str
    task_columns: tuple[str, ...] | None  # None: every column except `exclude_columns`
    task_type: TaskType
    exclude_columns: tuple[str, ...] = ()


#: The nine task sets of MoleculeNet (Wu et al., Chem. Sci. 2018, 9, 513) that we benchmark.
#: Column names checked against the files in ../shared/data/moleculenet (AttentiveFP copies).
MOLECULENET: dict[str, MoleculeNetSpec] = {
    spec.name: spec
    for spec in (
        MoleculeNetSpec(
            "esol",
            "delaney-processed.csv",
            "smiles",
            ("measured log solubility in mols per litre",),
            "regression",
        ),
        MoleculeNetSpec("freesolv", "SAMPL.csv", "smiles", ("expt",), "regression"),
        MoleculeNetSpec("lipophilicity", "Lipophilicity.csv", "smiles", ("exp",), "regression"),
        MoleculeNetSpec("bbbp", "BBBP.csv", "smiles", ("p_np",), "classification"),
        MoleculeNetSpec("bace", "bace.csv", "mol", ("Class",), "classification"),
        MoleculeNetSpec(
            "clintox", "clintox.csv", "smiles", ("FDA_APPROVED", "CT_TOX"), "classification"
        ),
        MoleculeNetSpec(
            "tox21", "tox21.csv", "smiles", None, "classification", exclude_columns=("mol_id",)
        ),
        MoleculeNetSpec("sider", "sider.csv", "smiles", None, "classification"),
        MoleculeNetSpec("hiv", "HIV.csv", "smiles", ("HIV_active",), "classification"),
    )
}


@dataclass(frozen=True)
class DroppedRow:
    """A source row left out of a data set, and why."""

    row: int  # 1-based data row (the header is row 0)
    smiles: str
    reason: str


@dataclass(frozen=True)
class MoleculeDataset:
    """Molecules (SMILES as written in the source), task names and a label matrix.

    `labels[i, j]` is molecule i's label for task j, NaN when missing; classification labels
    are 0.0 / 1.0. `rows[i]` is the 1-based source row of molecule i.
    """

    name: str
    smiles: list[str]
    tasks: list[str]
    labels: npt.NDArray[np.float64]
    task_type: TaskType
    rows: list[int]
    dropped: list[DroppedRow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.smiles)


def _parse_label(text: str, *, task_type: TaskType, where: str) -> float:
    text = text.strip()
    if text == "" or text.lower() in ("nan", "na"):
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise DataFormatError(f"{where}: label {text!r} is not a number") from None
    if task_type == "classification" and value not in (0.0, 1.0):
        raise DataFormatError(f"{where}: classification label {text!r} is not 0 or 1")
    return value


def _resolve(
    name_or_path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None
) -> tuple[MoleculeNetSpec, Path]:
    key = str(name_or_path).lower()
    if key in MOLECULENET:
        spec = MOLECULENET[key]
        if data_dir is None:
            raise MissingFileError(
                f"no data folder given for MoleculeNet task set {key!r}; pass data_dir= the "
                "folder holding the MoleculeNet CSV files (e.g. ../shared/data/moleculenet)"
            )
        return spec, Path(data_dir) / spec.filename
    raise UnknownNameError(
        f"unknown MoleculeNet task set {str(name_or_path)!r}; expected one of "
        f"{', '.join(MOLECULENET)}"
    )


def load_moleculenet(
    name: str, data_dir: str | os.PathLike[str] | None, *, validate: bool = True
) -> MoleculeDataset:
    """Load MoleculeNet task set `name` (esol, freesolv, lipophilicity, bbbp, bace, clintox, tox21,
    sider, hiv) from `data_dir` (the folder with the CSV files, or its parent).

    Args:
        validate: parse every SMILES with RDKit and drop (and report) the ones that fail.
    """
    import numpy as np

    spec, path = _resolve(name, data_dir)
    if not path.is_file() and data_dir is not None:
        nested = Path(data_dir) / "moleculenet" / spec.filename
        path = nested if nested.is_file() else path
    if not path.is_file():
        raise MissingFileError(
            f"MoleculeNet file {str(path)!r} for {spec.name!r} does not exist; expected "
            f"{spec.filename} in the data folder"
        )
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise EmptyInputError(f"{path} is empty; expected a header and data rows") from None
    if spec.smiles_column not in header:
        raise DataFormatError(
            f"{path} has no SMILES column {spec.smiles_column!r}; columns are {header[:8]}"
        )
    if spec.task_columns is None:
        tasks = [h for h in header if h not in (spec.smiles_column, *spec.exclude_columns)]
    else:
        missing = [c for c in spec.task_columns if c not in header]
        if missing:
            raise DataFormatError(f"{path} lacks label column(s) {missing}; columns: {header}")
        tasks = list(spec.task_columns)
    s_col = header.index(spec.smiles_column)
    t_cols = [header.index(t) for t in tasks]

    parse = None
    if validate:
        from rdkit import Chem, RDLogger

        RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]
        parse = Chem.MolFromSmiles

    smiles: list[str] = []
    rows: list[int] = []
    labels: list[list[float]] = []
    dropped: list[DroppedRow] = []
    for row_no, row in enumerate(reader, start=1):
        if not row:
            continue
        if len(row) != len(header):
            raise DataFormatError(
                f"{path} row {row_no} has {len(row)} fields but the header has {len(header)}"
            )
        smi = row[s_col].strip()
        if not smi:
            dropped.append(DroppedRow(row_no, smi, "empty SMILES"))
            continue
        if parse is not None and parse(smi) is None:
            dropped.append(DroppedRow(row_no, smi, "RDKit could not parse the SMILES"))
            continue
        where = f"{path.name} row {row_no}"
        values = [_parse_label(row[c], task_type=spec.task_type, where=where) for c in t_cols]
        if all(math.isnan(v) for v in values):
            dropped.append(DroppedRow(row_no, smi, "no label for any task"))
            continue
        smiles.append(smi)
        rows.append(row_no)
        labels.append(values)
    if not smiles:
        raise EmptyInputError(f"{path} holds no usable molecules ({len(dropped)} rows dropped)")
    return MoleculeDataset(
        name=spec.name,
        smiles=smiles,
        tasks=tasks,
        labels=np.asarray(labels, dtype=np.float64),
        task_type=spec.task_type,
        rows=rows,
        dropped=dropped,
    )
