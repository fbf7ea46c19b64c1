"""Fingerprints, Tanimoto search, Butina clustering, MaxMin picking and Bemis-Murcko scaffolds.

ECFP4 is Morgan radius 2 folded to 2048 bits (Rogers & Hahn, J Chem Inf Model 2010;50:742);
MACCS is RDKit's 166-key implementation. Clustering is Butina's (J Chem Inf Comput Sci
1999;39:747) on Tanimoto distance; picking is RDKit's MaxMin picker (Ashton et al., Quant
Struct-Act Relat 2002;21:598); scaffolds are Bemis & Murcko's (J Med Chem 1996;39:2887).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from medsage.errors import EmptyInputError, InvalidInputError, UnknownNameError

if TYPE_CHECKING:
    from medsage.drug._molecules import MoleculeRecord, StdMolecule

ECFP_RADIUS = 2
ECFP_BITS = 2048
BUTINA_MAX_MOLECULES = 10_000  # n^2/2 distances in memory: 10k molecules is ~50M floats
FingerprintKind = Literal["morgan", "maccs"]
FINGERPRINT_KINDS: tuple[FingerprintKind, ...] = ("morgan", "maccs")


@dataclass(frozen=True)
class SimilarityHit:
    """One reference molecule found for a query: 0-based `index` into the references."""

    rank: int
    index: int
    similarity: float


@functools.cache
def _morgan_generator() -> Any:
    from rdkit.Chem import rdFingerprintGenerator

    return rdFingerprintGenerator.GetMorganGenerator(radius=ECFP_RADIUS, fpSize=ECFP_BITS)


def morgan_fingerprint(mol: Any) -> Any:
    """ECFP4 bit vector (Morgan radius 2, 2048 bits) of one molecule."""
    return _morgan_generator().GetFingerprint(mol)


def maccs_fingerprint(mol: Any) -> Any:
    """MACCS 166-key bit vector of one molecule."""
    from rdkit.Chem import MACCSkeys

    return MACCSkeys.GenMACCSKeys(mol)  # type: ignore[attr-defined]


def fingerprint(mol: Any, kind: FingerprintKind = "morgan") -> Any:
    """A fingerprint of `kind` ('morgan' = ECFP4, 'maccs')."""
    if kind == "morgan":
        return morgan_fingerprint(mol)
    if kind == "maccs":
        return maccs_fingerprint(mol)
    raise UnknownNameError(f"unknown fingerprint {kind!r}; choose from morgan, maccs")


def tanimoto(a: Any, b: Any) -> float:
    """Tanimoto similarity of two bit vectors."""
    from rdkit import DataStructs

    return float(DataStructs.TanimotoSimilarity(a, b))


def top_k_similar(query: Any, references: Sequence[Any], k: int = 10) -> list[SimilarityHit]:
    """The k most similar references (bulk Tanimoto); ties go to the lower index."""
    from rdkit import DataStructs

    if k < 1:
        raise InvalidInputError(f"k must be at least 1, got {k}")
    if not references:
        return []
    sims = DataStructs.BulkTanimotoSimilarity(query, list(references))
    order = sorted(range(len(sims)), key=lambda i: (-sims[i], i))[:k]
    return [SimilarityHit(rank, i, float(sims[i])) for rank, i in enumerate(order, start=1)]


def max_similarity(query: Any, references: Sequence[Any]) -> float:
    """The highest Tanimoto similarity of `query` to any reference (0.0 with none)."""
    from rdkit import DataStructs

    if not references:
        return 0.0
    return float(max(DataStructs.BulkTanimotoSimilarity(query, list(references))))


def butina_clusters(fps: Sequence[Any], *, threshold: float = 0.35) -> list[list[int]]:
    """Butina clusters of `fps` at Tanimoto distance `threshold` (similarity >= 1 - threshold).

    Returns clusters largest first, each a list of indices with its centroid first; ties
    between equal-sized clusters keep RDKit's order (deterministic).
    """
    from rdkit import DataStructs
    from rdkit.ML.Cluster import Butina

    n = len(fps)
    if not 0.0 <= threshold <= 1.0:
        raise InvalidInputError(f"threshold is a Tanimoto distance in 0..1, got {threshold}")
    if n > BUTINA_MAX_MOLECULES:
        raise InvalidInputError(
            f"Butina clustering holds n^2/2 distances in memory; {n} molecules is more than "
            f"{BUTINA_MAX_MOLECULES}; pick a diverse subset first (medsage drug pick)"
        )
    if n == 0:
        return []
    distances: list[float] = []
    for i in range(1, n):
        sims = DataStructs.BulkTanimotoSimilarity(fps[i], list(fps[:i]))
        distances.extend(1.0 - s for s in sims)
    clusters = Butina.ClusterData(distances, n, threshold, isDistData=True, reordering=True)  # type: ignore[no-untyped-call]
    return [list(cluster) for cluster in clusters]


def maxmin_pick(fps: Sequence[Any], n: int, *, seed: int = 0) -> list[int]:
    """Indices of `n` diverse molecules picked by MaxMin on Tanimoto distance (seeded)."""
    from rdkit.SimDivFilters import rdSimDivPickers

    if n < 1:
        raise InvalidInputError(f"n must be at least 1, got {n}")
    if n > len(fps):
        raise InvalidInputError(f"cannot pick {n} molecules from {len(fps)}; ask for fewer")
    picker = rdSimDivPickers.MaxMinPicker()
    return list(picker.LazyBitVectorPick(list(fps), len(fps), n, seed=seed))


def murcko_scaffold(mol: Any, *, generic: bool = False) -> str:
    """Bemis-Murcko scaffold SMILES ('' for acyclic molecules); `generic` makes it all-carbon,
    single-bonded (the graph framework)."""
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    core = MurckoScaffold.GetScaffoldForMol(mol)  # type: ignore[no-untyped-call]
    if generic and core.GetNumAtoms():
        core = MurckoScaffold.MakeScaffoldGeneric(core)  # type: ignore[no-untyped-call]
    return str(Chem.MolToSmiles(core))


@dataclass(frozen=True)
class MoleculeSet:
    """The valid molecules of a file with their fingerprints; invalid rows kept with reasons."""

    records: list[MoleculeRecord]
    smiles: list[str]
    fps: list[Any]
    invalid: list[tuple[MoleculeRecord, str]]
    kind: FingerprintKind = "morgan"


def load_molecule_set(
    path: str | Path, *, smiles_column: str | None = None, kind: FingerprintKind = "morgan",
    canonical_tautomer: bool = True,
) -> MoleculeSet:  # fmt: skip
    """Read, standardise and fingerprint every molecule of a .smi/.csv/.sdf file."""
    from medsage.drug._molecules import read_molecules, standardize_record

    if kind not in FINGERPRINT_KINDS:
        raise UnknownNameError(f"unknown fingerprint {kind!r}; choose from morgan, maccs")
    records: list[MoleculeRecord] = []
    smiles: list[str] = []
    fps: list[Any] = []
    invalid: list[tuple[MoleculeRecord, str]] = []
    for record in read_molecules(path, smiles_column=smiles_column):
        std = standardize_record(record, canonical_tautomer=canonical_tautomer)
        if not std.valid or std.smiles is None:
            invalid.append((record, std.error or "invalid"))
            continue
        records.append(record)
        smiles.append(std.smiles)
        fps.append(fingerprint(std.mol, kind))
    return MoleculeSet(records, smiles, fps, invalid, kind)


def similarity_search(
    queries: Sequence[str], references: MoleculeSet, *, k: int = 10,
    canonical_tautomer: bool = True,
) -> list[tuple[StdMolecule, list[SimilarityHit]]]:  # fmt: skip
    """Standardise each query SMILES and find its k nearest references (bulk Tanimoto)."""
    from medsage.drug._molecules import standardize

    if not references.fps:
        raise EmptyInputError("the reference set holds no valid molecule to search")
    out: list[tuple[StdMolecule, list[SimilarityHit]]] = []
    for text in queries:
        std = standardize(text, canonical_tautomer=canonical_tautomer)
        hits: list[SimilarityHit] = []
        if std.valid:
            hits = top_k_similar(fingerprint(std.mol, references.kind), references.fps, k)
        out.append((std, hits))
    return out
