"""Molecules: parse with sanitisation, standardise, and stream records from .smi, .csv and .sdf.

Standardisation (`standardize`) runs, in this order, RDKit's MolStandardize steps:

1. parse the SMILES without sanitising, then report chemistry problems (bad valence with the
   atom, aromatic rings that cannot be kekulised) before sanitising;
2. `Cleanup` (remove explicit H, disconnect metals, normalise functional groups, reionise);
3. keep the largest fragment (strips salts, counter-ions and solvents);
4. `Uncharger` (neutralise where a neutral form exists);
5. canonical tautomer (`TautomerEnumerator`, capped at `MAX_TAUTOMERS` tautomers and
   `MAX_TRANSFORMS` transforms) when `canonical_tautomer=True`;
6. canonical isomeric SMILES, InChIKey, and the molecule re-read from that SMILES, so that every
   property computed later can be reproduced from the SMILES that we print.

Measured CPU cost per HIV.csv molecule (one process, first 1,000 molecules): steps 1-4 and 6
without the InChIKey 0.7 ms; with the capped tautomer step 3.1 ms (about 13-17 ms uncapped);
see benchmarks/results/screening_throughput.json. Screening therefore leaves step 5
off unless asked (`medsage drug screen --tautomers`); `props`, `filter`, `similar`, `cluster`
and `pick` turn it on (`--no-tautomers` turns it off).

RDKit's own messages are captured (`rdBase.CaptureErrorLog`) into the `error` field, never
printed.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medsage.errors import DataFormatError, MissingFileError

# Caps on the tautomer search: the defaults (1000 tautomers, 1000 transforms) cost ~17 ms per
# HIV molecule; 50/50 keeps the canonical tautomer identical on our known drugs at ~4 ms.
MAX_TAUTOMERS = 50
MAX_TRANSFORMS = 50

SMILES_COLUMNS = ("smiles", "mol", "canonical_smiles")  # auto-detected, case-insensitive
NAME_COLUMNS = ("name", "compound id", "compound_id", "title", "drug")
ID_COLUMNS = ("id", "mol_id", "molecule_id", "chembl_id", "cid")
SMILES_SUFFIXES = (".smi", ".smiles", ".ism", ".can", ".txt")
CSV_SUFFIXES = (".csv", ".tsv")
SDF_SUFFIXES = (".sdf", ".sd", ".mol")

_TIMESTAMP = re.compile(r"^\[\d\d:\d\d:\d\d\]\s?")


@dataclass(frozen=True)
class StdMolecule:
    """One input after standardisation; `valid=False` carries the reason in `error`."""

    input: str
    mol: Any  # rdkit.Chem.Mol re-read from `smiles`, or None when invalid
    smiles: str | None
    inchikey: str | None
    valid: bool
    error: str | None

    @classmethod
    def invalid(cls, text: str, reason: str) -> StdMolecule:
        return cls(input=text, mol=None, smiles=None, inchikey=None, valid=False, error=reason)


@dataclass(frozen=True)
class MoleculeRecord:
    """One row of an input file: `row` is 1-based (data rows for .csv, lines for .smi, records
    for .sdf); `error` is set when the reader itself could not read the row."""

    row: int
    input: str
    name: str | None
    id: str
    error: str | None = None


@contextmanager
def _quiet_rdkit() -> Iterator[Any]:
    """Silence RDKit's warning and info logs; yield a capture of its error log (`.messages`)."""
    from rdkit import rdBase

    with rdBase.BlockLogs(), rdBase.CaptureErrorLog() as capture:
        yield capture


def _messages(raw: str) -> list[str]:
    lines = [_TIMESTAMP.sub("", line).strip() for line in raw.splitlines()]
    return [line for line in lines if line]


@functools.cache
def _standardizers() -> dict[str, Any]:
    """RDKit standardisation objects, built once per process (building them costs ~0.5 ms)."""
    from rdkit.Chem.MolStandardize import rdMolStandardize as ms

    params = ms.CleanupParameters()
    params.maxTautomers = MAX_TAUTOMERS  # type: ignore[assignment]
    params.maxTransforms = MAX_TRANSFORMS  # type: ignore[assignment]
    # Keep tetrahedral stereo: by default RDKit drops it on any sp3 centre that a tautomer
    # could touch (alpha to a carbonyl), which would erase the stereo of most amino acids.
    params.tautomerRemoveSp3Stereo = False  # type: ignore[assignment]
    return {
        "metal": ms.MetalDisconnector(),
        "normalizer": ms.Normalizer(),
        "reionizer": ms.Reionizer(),
        "fragment": ms.LargestFragmentChooser(),
        "uncharger": ms.Uncharger(),
        "tautomer": ms.TautomerEnumerator(params),
    }


def parse_smiles(text: str) -> tuple[Any, str | None]:
    """Parse and sanitise one SMILES; returns (mol, None) or (None, reason).

    Reasons start with a kind: `empty input`, `not SMILES`, `unclosed ring`, `bad valence`,
    `cannot kekulize`, followed by RDKit's own message.
    """
    from rdkit import Chem

    smiles = text.strip()
    if not smiles:
        return None, "empty input: no SMILES on this line"
    if any(ch.isspace() for ch in smiles):
        return None, f"not SMILES: {smiles[:60]!r} contains spaces (a SMILES never does)"
    with _quiet_rdkit() as capture:
        mol = Chem.MolFromSmiles(smiles, sanitize=False)
        if mol is None:
            detail = _parse_error_detail(capture.messages)
            if "unclosed ring" in detail:
                return None, f"unclosed ring: {detail}"
            return None, f"not SMILES: {detail or 'RDKit could not parse it'}"
        if mol.GetNumAtoms() == 0:
            return None, "not SMILES: no atoms"
        try:
            Chem.SanitizeMol(mol)
        except Exception as exc:  # RDKit raises its own MolSanitizeException subclasses
            # Only now find out why, on a fresh unsanitised copy (saves a pass on good input).
            problems = Chem.DetectChemistryProblems(Chem.MolFromSmiles(smiles, sanitize=False))
            if problems:
                return None, _problem_reason(mol, problems[0])
            return None, f"sanitisation failed: {exc}"
    return mol, None


def _parse_error_detail(raw: str) -> str:
    """RDKit's SMILES parse messages in one line: 'syntax error while parsing: X at position 3'."""
    prefix = "SMILES Parse Error: "
    lines = [m.removeprefix(prefix) for m in _messages(raw) if m.startswith(prefix)]
    position = next((m for m in lines if m.startswith("check for mistakes around")), None)
    core = [m for m in lines if not m.startswith(("check for mistakes", "Failed parsing"))]
    if not core:
        core = [m for m in lines if m.startswith("Failed parsing")]
    detail = "; ".join(core)
    if position is not None:
        detail += " at " + position.removeprefix("check for mistakes around ").rstrip(":")
    return detail


def _problem_reason(mol: Any, problem: Any) -> str:
    kind = problem.GetType()
    message = problem.Message()
    if kind == "AtomValenceException":
        idx = problem.GetAtomIdx()
        symbol = mol.GetAtomWithIdx(idx).GetSymbol()
        return f"bad valence at atom {idx} ({symbol}): {message}"
    if kind == "KekulizeException":
        return f"cannot kekulize: {message}"
    return f"{kind}: {message}"


def standardize(
    smiles: str, *, canonical_tautomer: bool = True, inchikey: bool = True
) -> StdMolecule:
    """Parse and standardise one SMILES (cleanup, largest fragment, neutralise, tautomer).

    Never raises for bad chemistry: the result has `valid=False` and the reason in `error`.
    `inchikey=False` skips the InChIKey (0.3-0.5 ms; the screen computes it for hits only).
    """
    mol, reason = parse_smiles(smiles)
    if mol is None:
        return StdMolecule.invalid(smiles, reason or "not SMILES")
    return standardize_mol(mol, smiles, canonical_tautomer=canonical_tautomer, inchikey=inchikey)


def standardize_mol(
    mol: Any, text: str, *, canonical_tautomer: bool = True, inchikey: bool = True
) -> StdMolecule:
    """Standardise an already sanitised RDKit molecule; `text` is the input to report."""
    from rdkit import Chem

    tools = _standardizers()
    with _quiet_rdkit() as capture:
        try:
            # Same steps as rdMolStandardize.Cleanup, with objects built once per process. Steps
            # that cannot change the molecule are skipped (see `_ORGANIC`, `_CHARGE_CORRECTED`).
            organic = all(atom.GetAtomicNum() in _ORGANIC for atom in mol.GetAtoms())
            work = Chem.RWMol(mol if organic else Chem.RemoveHs(mol))
            if not organic:
                tools["metal"].DisconnectInPlace(work)
            tools["normalizer"].normalizeInPlace(work)
            if not organic or _needs_reionizing(work):
                tools["reionizer"].reionizeInPlace(work)
            Chem.AssignStereochemistry(work, cleanIt=True, force=True)
            tools["fragment"].chooseInPlace(work)
            if not organic or any(atom.GetFormalCharge() for atom in work.GetAtoms()):
                tools["uncharger"].unchargeInPlace(work)
            out = work.GetMol()
            Chem.SanitizeMol(out)  # re-perceive aromaticity after charges and bonds changed
            if canonical_tautomer:
                out = tools["tautomer"].Canonicalize(out)
            written = Chem.MolToSmiles(out)
            final = Chem.MolFromSmiles(written)
            if final is None:
                raise ValueError(f"RDKit cannot re-read its own SMILES {written!r}")
            canonical = Chem.MolToSmiles(final)  # canonical for the molecule we hand on
            key = inchi_key(final) if inchikey else None
        except Exception as exc:  # any RDKit failure becomes this row's reason
            detail = "; ".join(_messages(capture.messages)) or str(exc)
            return StdMolecule.invalid(text, f"standardisation failed: {detail}")
    return StdMolecule(
        input=text, mol=final, smiles=canonical, inchikey=key, valid=True, error=None
    )


# Elements for which the metal disconnector has nothing to do (its SMARTS name only metals).
# Molecules made of these alone, without explicit hydrogen atoms, skip RemoveHs and the
# disconnector; uncharged ones also skip the reionizer and the uncharger, unless they hold an
# isolated Li, Na, K, Mg, Ca or Cl atom, which the reionizer's charge corrections would charge.
# On all 61,372 parseable MoleculeNet molecules (HIV, BBBP, BACE, ClinTox, Tox21, SIDER,
# Lipophilicity, FreeSolv, ESOL) the standardised SMILES are identical with and without these
# skips, which save about 0.26 ms per molecule.
_ORGANIC = frozenset({5, 6, 7, 8, 9, 14, 15, 16, 17, 34, 35, 53})  # B C N O F Si P S Cl Se Br I
_CHARGE_CORRECTED = frozenset({3, 11, 19, 12, 20, 17})  # Li Na K Mg Ca Cl, when isolated


def _needs_reionizing(mol: Any) -> bool:
    return any(
        atom.GetFormalCharge()
        or (atom.GetAtomicNum() in _CHARGE_CORRECTED and atom.GetDegree() == 0)
        for atom in mol.GetAtoms()
    )


def inchi_key(mol: Any) -> str | None:
    """The standard InChIKey of `mol` (None when InChI cannot represent it)."""
    from rdkit import Chem

    with _quiet_rdkit():
        return Chem.MolToInchiKey(mol) or None  # type: ignore[no-untyped-call]


def read_molecules(
    path: str | Path, *, smiles_column: str | None = None, name_column: str | None = None
) -> Iterator[MoleculeRecord]:
    """Stream the records of a .smi, .csv/.tsv or .sdf file, bad rows included.

    Args:
        path: the file; its suffix chooses the reader.
        smiles_column: the CSV column holding SMILES (default: `smiles` or `mol`, any case).
        name_column: the CSV column holding names (default: `name`, `compound id`, ...).
    """
    file = Path(path)
    if not file.is_file():
        raise MissingFileError(
            f"molecule file {file} does not exist; give a .smi, .csv or .sdf file"
        )
    suffix = file.suffix.lower()
    if suffix in SMILES_SUFFIXES:
        return _read_smi(file)
    if suffix in CSV_SUFFIXES:
        return _read_csv(file, smiles_column, name_column)
    if suffix in SDF_SUFFIXES:
        return _read_sdf(file)
    raise DataFormatError(
        f"cannot read molecules from {file.name!r}: suffix {suffix!r} is not one of "
        f"{', '.join(SMILES_SUFFIXES + CSV_SUFFIXES + SDF_SUFFIXES)}; rename the file"
    )


def count_records(path: str | Path) -> int:
    """How many records `read_molecules` will yield (a fast pre-pass for progress bars)."""
    file = Path(path)
    suffix = file.suffix.lower()
    with file.open("rb") as handle:
        if suffix in SDF_SUFFIXES:
            return sum(1 for line in handle if line.startswith(b"$$$$"))
        lines = sum(1 for _ in handle)
    if suffix in CSV_SUFFIXES:
        return max(lines - 1, 0)
    return lines


def _read_smi(file: Path) -> Iterator[MoleculeRecord]:
    with file.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        for row, line in enumerate(handle, start=1):
            text = line.rstrip("\r\n")
            if row == 1 and text.split()[:1] in (["smiles"], ["SMILES"]):
                continue  # a header line
            if text.lstrip().startswith("#"):
                continue  # a comment, not a molecule
            parts = text.strip().split(None, 1)
            smiles = parts[0] if parts else ""
            name = parts[1].strip() if len(parts) > 1 else None
            yield MoleculeRecord(row=row, input=smiles, name=name, id=name or str(row))


def _pick_column(fields: list[str], wanted: str | None, defaults: tuple[str, ...]) -> str | None:
    if wanted is not None:
        return wanted if wanted in fields else None
    lowered = {f.strip().lower(): f for f in fields}
    return next((lowered[name] for name in defaults if name in lowered), None)


def _read_csv(
    file: Path, smiles_column: str | None, name_column: str | None
) -> Iterator[MoleculeRecord]:
    delimiter = "\t" if file.suffix.lower() == ".tsv" else ","
    with file.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            return
        column = _pick_column(header, smiles_column, SMILES_COLUMNS)
        if column is None:
            asked = repr(smiles_column) if smiles_column else " or ".join(SMILES_COLUMNS)
            raise DataFormatError(
                f"{file.name}: no SMILES column {asked}; columns are {header}; "
                "name the column with --smiles-column"
            )
        if name_column is not None and name_column not in header:
            raise DataFormatError(f"{file.name}: no column {name_column!r}; columns are {header}")
        s_idx = header.index(column)
        n_col = _pick_column(header, name_column, NAME_COLUMNS)
        i_col = _pick_column(header, None, ID_COLUMNS)
        n_idx = header.index(n_col) if n_col is not None else None
        i_idx = header.index(i_col) if i_col is not None else None
        for row, cells in enumerate(reader, start=1):
            smiles = cells[s_idx] if s_idx < len(cells) else ""
            name = (
                cells[n_idx].strip() or None if n_idx is not None and n_idx < len(cells) else None
            )
            ident = cells[i_idx].strip() if i_idx is not None and i_idx < len(cells) else ""
            yield MoleculeRecord(
                row=row, input=smiles.strip(), name=name or None, id=ident or name or str(row)
            )


def _read_sdf(file: Path) -> Iterator[MoleculeRecord]:
    from rdkit import Chem

    with file.open("rb") as handle:
        supplier = Chem.ForwardSDMolSupplier(handle, sanitize=True, removeHs=True)
        row = 0
        while True:
            with _quiet_rdkit() as capture:
                try:
                    mol = next(supplier)
                    failure = None
                except StopIteration:
                    return
                except Exception as exc:  # a broken record: report it and go on
                    mol, failure = None, str(exc)
            row += 1
            if mol is None:
                detail = "; ".join(_messages(capture.messages)) or failure or "unreadable"
                yield MoleculeRecord(
                    row=row, input="", name=None, id=str(row),
                    error=f"unreadable SDF record: {detail}",
                )  # fmt: skip
                if failure is not None and supplier.atEnd():
                    return
                continue
            name = mol.GetProp("_Name").strip() if mol.HasProp("_Name") else ""
            props = {k.lower(): k for k in mol.GetPropNames()}
            id_prop = next((props[k] for k in ID_COLUMNS if k in props), None)
            ident = mol.GetProp(id_prop).strip() if id_prop else ""
            yield MoleculeRecord(
                row=row, input=Chem.MolToSmiles(mol), name=name or None,
                id=ident or name or str(row),
            )  # fmt: skip


def standardize_record(
    record: MoleculeRecord, *, canonical_tautomer: bool = True, inchikey: bool = True
) -> StdMolecule:
    """Standardise one file record; a reader-level error becomes an invalid molecule."""
    if record.error is not None:
        return StdMolecule.invalid(record.input, record.error)
    return standardize(record.input, canonical_tautomer=canonical_tautomer, inchikey=inchikey)
