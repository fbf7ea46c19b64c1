"""Bemis-Murcko scaffold splits (the "scaffold_balanced" procedure of chemprop / MoleculeNet).

The algorithm is chemprop v1's `scaffold_split(balanced=True)` (chemprop/data/scaffold.py, Yang
et al., J. Chem. Inf. Model. 2019): group molecules by their Bemis-Murcko scaffold (no
chirality); scaffold sets larger than half the validation or half the test size are "big" and
are shuffled and placed first, the remaining sets are shuffled after them (both with
`random.Random(seed)`); sets then go to train while they fit in 80%, else to validation while they
fit in 10%, else to test. chemprop 2.x delegates its own scaffold split to `astartes`, which
orders sets differently, so the benchmark writes these indices to a JSON file that chemprop reads
with `--splits-file`: both tools train and test on exactly the same molecules.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from medsage.errors import EmptyInputError, InvalidInputError


@dataclass(frozen=True)
class ScaffoldSplit:
    """Indices (ascending) of the train, validation and test molecules of one split."""

    train: list[int]
    val: list[int]
    test: list[int]
    seed: int

    def as_dict(self) -> dict[str, list[int]]:
        """`{"train": [...], "val": [...], "test": [...]}` (chemprop's splits-file entry)."""
        return {"train": self.train, "val": self.val, "test": self.test}


def scaffold_of_smiles(smiles: str) -> str:
    """Bemis-Murcko scaffold SMILES of `smiles` (no chirality; "" for acyclic molecules).

    Raises InvalidInputError when RDKit cannot parse `smiles`.
    """
    from rdkit import Chem, RDLogger
    from rdkit.Chem.Scaffolds import MurckoScaffold

    RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise InvalidInputError(f"cannot compute a scaffold: RDKit cannot parse {smiles!r}")
    core = MurckoScaffold.MurckoScaffoldSmiles(  # type: ignore[no-untyped-call]
        mol=mol, includeChirality=False
    )
    return str(core)


def scaffold_sets(smiles: Sequence[str]) -> dict[str, list[int]]:
    """Scaffold -> indices of the molecules with it, in first-seen order."""
    groups: dict[str, list[int]] = {}
    for i, smi in enumerate(smiles):
        groups.setdefault(scaffold_of_smiles(smi), []).append(i)
    return groups


def scaffold_split(
    smiles: Sequence[str],
    *,
    sizes: tuple[float, float, float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    groups: dict[str, list[int]] | None = None,
) -> ScaffoldSplit:
    """Balanced scaffold split of `smiles` into train/val/test with `sizes`, reproducible by `seed`.

    Args:
        groups: precomputed `scaffold_sets(smiles)` (saves recomputing scaffolds per seed).
    """
    if not smiles:
        raise EmptyInputError("scaffold_split got no molecules; pass at least one SMILES")
    if len(sizes) != 3 or any(s < 0 for s in sizes) or abs(sum(sizes) - 1.0) > 1e-6:
        raise InvalidInputError(f"sizes must be three non-negative fractions summing to 1: {sizes}")
    n = len(smiles)
    train_size, val_size, test_size = sizes[0] * n, sizes[1] * n, sizes[2] * n
    index_sets = list((groups if groups is not None else scaffold_sets(smiles)).values())
    big = [s for s in index_sets if len(s) > val_size / 2 or len(s) > test_size / 2]
    small = [s for s in index_sets if not (len(s) > val_size / 2 or len(s) > test_size / 2)]
    rng = random.Random(seed)
    rng.shuffle(big)
    rng.shuffle(small)
    train: list[int] = []
    val: list[int] = []
    test: list[int] = []
    for index_set in big + small:
        if len(train) + len(index_set) <= train_size:
            train += index_set
        elif len(val) + len(index_set) <= val_size:
            val += index_set
        else:
            test += index_set
    return ScaffoldSplit(sorted(train), sorted(val), sorted(test), seed)


def write_chemprop_splits(splits: Sequence[ScaffoldSplit], path: Path) -> Path:
    """Write `splits` as chemprop 2's `--splits-file` JSON (a list of train/val/test dicts)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([s.as_dict() for s in splits]), encoding="utf-8")
    return path
