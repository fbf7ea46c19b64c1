"""Balanced Bemis-Murcko scaffold split (chemprop v1's scaffold_balanced procedure)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from medsage.drug._splits import (
    scaffold_of_smiles,
    scaffold_sets,
    scaffold_split,
    write_chemprop_splits,
)
from medsage.errors import EmptyInputError, InvalidInputError

# 10 benzenes, 5 cyclohexanes, 3 pyridines, 2 acyclic molecules.
SMALL = [
    "c1ccccc1C", "c1ccccc1CC", "c1ccccc1O", "c1ccccc1N", "c1ccccc1Cl", "c1ccccc1F",
    "c1ccccc1Br", "c1ccccc1CO", "c1ccccc1CN", "c1ccccc1C(=O)O",
    "CC1CCCCC1", "OC1CCCCC1", "NC1CCCCC1", "ClC1CCCCC1", "C1CCCCC1CC",
    "Cc1ccncc1", "Oc1ccncc1", "Nc1ccncc1", "CCO", "CCCN",
]  # fmt: skip


def _many() -> list[str]:
    """200 molecules over ~60 scaffolds: ring systems with varied substituents."""
    rings = ["c1ccccc1", "C1CCCCC1", "c1ccncc1", "c1ccoc1", "c1ccsc1", "C1CCNCC1", "C1CCOC1"]
    subs = ["C", "CC", "O", "N", "Cl", "F", "C(=O)O", "OC", "C#N", "CCC"]
    out = []
    for i, a in enumerate(rings):
        for j, b in enumerate(rings):
            for s in subs[: 2 + (i + j) % 4]:
                out.append(f"{s}{a}".replace("1", "9") + b.replace("1", "8"))
    return out[:200]


def test_when_scaffolds_computed_then_bemis_murcko_smiles() -> None:
    assert scaffold_of_smiles("CC(=O)Oc1ccccc1C(=O)O") == "c1ccccc1"
    assert scaffold_of_smiles("CCO") == ""
    assert scaffold_of_smiles("C[C@H](N)c1ccc(Cc2ccccn2)cc1") == "c1ccc(Cc2ccccn2)cc1"


def test_when_smiles_unparseable_then_invalid_input_error() -> None:
    with pytest.raises(InvalidInputError, match="cannot parse 'C1CC'"):
        scaffold_of_smiles("C1CC")


def test_when_groups_formed_then_first_seen_order_and_exact_members() -> None:
    assert scaffold_sets(SMALL) == {
        "c1ccccc1": list(range(10)),
        "C1CCCCC1": [10, 11, 12, 13, 14],
        "c1ccncc1": [15, 16, 17],
        "": [18, 19],
    }


def test_when_all_sets_big_then_chemprop_assignment_exactly() -> None:
    # n=20: train 16, val 2, test 2; every set is "big" (> 1), so the seeded shuffle alone decides.
    split = scaffold_split(SMALL, seed=0)
    assert split.train == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 18, 19]
    assert split.val == []
    assert split.test == [10, 11, 12, 13, 14]
    assert scaffold_split(SMALL, seed=2).test == list(range(10))


def test_when_split_then_reference_algorithm_gives_the_same_indices() -> None:
    # chemprop v1 chemprop/data/scaffold.py scaffold_split(balanced=True), re-typed inline.
    smiles = _many()
    for seed in (0, 1, 2):
        n = len(smiles)
        sets = list(scaffold_sets(smiles).values())
        big = [s for s in sets if len(s) > 0.1 * n / 2 or len(s) > 0.1 * n / 2]
        small = [s for s in sets if s not in big]
        rnd = random.Random(seed)
        rnd.shuffle(big)
        rnd.shuffle(small)
        train, val, test = [], [], []
        for s in big + small:
            if len(train) + len(s) <= 0.8 * n:
                train += s
            elif len(val) + len(s) <= 0.1 * n:
                val += s
            else:
                test += s
        got = scaffold_split(smiles, seed=seed)
        assert (got.train, got.val, got.test) == (sorted(train), sorted(val), sorted(test))


def test_when_split_then_partition_without_shared_scaffolds() -> None:
    smiles = _many()
    split = scaffold_split(smiles, seed=1)
    assert sorted(split.train + split.val + split.test) == list(range(len(smiles)))
    assert len(split.train) <= 160 and len(split.val) <= 20
    folds = [split.train, split.val, split.test]
    scaffolds = [{scaffold_of_smiles(smiles[i]) for i in fold} for fold in folds]
    assert not (scaffolds[0] & scaffolds[1] or scaffolds[0] & scaffolds[2])
    assert not scaffolds[1] & scaffolds[2]


def test_when_same_seed_then_same_split_and_other_seed_differs() -> None:
    smiles = _many()
    assert scaffold_split(smiles, seed=3) == scaffold_split(smiles, seed=3)
    assert scaffold_split(smiles, seed=3).test != scaffold_split(smiles, seed=4).test


def test_when_bad_sizes_or_empty_then_clear_errors() -> None:
    with pytest.raises(EmptyInputError, match="no molecules"):
        scaffold_split([])
    with pytest.raises(InvalidInputError, match="summing to 1"):
        scaffold_split(SMALL, sizes=(0.8, 0.1, 0.2))


def test_when_written_for_chemprop_then_list_of_train_val_test_dicts(tmp_path: Path) -> None:
    split = scaffold_split(SMALL, seed=0)
    path = write_chemprop_splits([split], tmp_path / "s" / "splits.json")
    assert json.loads(path.read_text()) == [
        {"train": split.train, "val": split.val, "test": split.test}
    ]
