"""Fingerprints, top-k Tanimoto, Butina clusters, MaxMin picks and Murcko scaffolds."""

from __future__ import annotations

import pytest
from rdkit import Chem

from medsage.drug._similarity import (
    butina_clusters,
    fingerprint,
    maccs_fingerprint,
    max_similarity,
    maxmin_pick,
    morgan_fingerprint,
    murcko_scaffold,
    tanimoto,
    top_k_similar,
)
from medsage.errors import InvalidInputError, UnknownNameError

SMILES = [
    "CC(=O)Oc1ccccc1C(=O)O",  # aspirin
    "O=C(O)c1ccccc1O",  # salicylic acid
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",  # ibuprofen
    "COc1ccc2cc(C(C)C(=O)O)ccc2c1",  # naproxen
    "CCO",
    "CCCO",
    "CCCCO",
]
MOLS = [Chem.MolFromSmiles(s) for s in SMILES]
FPS = [morgan_fingerprint(m) for m in MOLS]


def set_tanimoto(a: object, b: object) -> float:
    """Independent Tanimoto on the sets of on-bits."""
    x, y = set(a.GetOnBits()), set(b.GetOnBits())  # type: ignore[attr-defined]
    return len(x & y) / len(x | y)


def test_when_fingerprints_then_ecfp4_2048_and_maccs_167() -> None:
    assert FPS[0].GetNumBits() == 2048
    assert maccs_fingerprint(MOLS[0]).GetNumBits() == 167
    assert fingerprint(MOLS[0], "maccs").ToBitString() == maccs_fingerprint(MOLS[0]).ToBitString()
    with pytest.raises(UnknownNameError, match="unknown fingerprint 'ecfp6'"):
        fingerprint(MOLS[0], "ecfp6")  # type: ignore[arg-type]


def test_when_top_k_then_ranked_by_tanimoto_equal_to_set_formula() -> None:
    hits = top_k_similar(FPS[0], FPS, k=3)
    assert [(h.rank, h.index) for h in hits] == [(1, 0), (2, 1), (3, 3)]
    for hit in hits:
        assert hit.similarity == pytest.approx(set_tanimoto(FPS[0], FPS[hit.index]), abs=1e-12)
    assert round(hits[1].similarity, 4) == 0.4483  # aspirin vs salicylic acid: 13/29
    assert tanimoto(FPS[0], FPS[1]) == hits[1].similarity
    assert max_similarity(FPS[0], FPS[1:]) == hits[1].similarity
    assert max_similarity(FPS[0], []) == 0.0


def test_when_similarities_tie_then_lower_index_first() -> None:
    hits = top_k_similar(FPS[0], [FPS[4], FPS[0], FPS[0]], k=2)
    assert [(h.index, h.similarity) for h in hits] == [(1, 1.0), (2, 1.0)]
    with pytest.raises(InvalidInputError, match="k must be at least 1"):
        top_k_similar(FPS[0], FPS, k=0)


def test_when_butina_then_disjoint_clusters_within_threshold_of_centroid() -> None:
    clusters = butina_clusters(FPS, threshold=0.6)
    assert clusters == [[6, 4, 5], [3, 2], [1, 0]]
    assert sorted(i for c in clusters for i in c) == list(range(len(FPS)))
    for centroid, *members in clusters:
        for m in members:
            assert 1.0 - set_tanimoto(FPS[centroid], FPS[m]) <= 0.6
    assert butina_clusters(FPS, threshold=0.0) == [[i] for i in (6, 5, 4, 3, 2, 1, 0)]
    assert butina_clusters([]) == []


def test_when_maxmin_then_seeded_and_repeatable() -> None:
    picks = maxmin_pick(FPS, 3, seed=0)
    assert picks == [3, 6, 1]
    assert maxmin_pick(FPS, 3, seed=0) == picks
    assert len(set(maxmin_pick(FPS, 7, seed=1))) == 7
    with pytest.raises(InvalidInputError, match="cannot pick 8 molecules from 7"):
        maxmin_pick(FPS, 8)


def test_when_murcko_then_ring_systems_and_linkers() -> None:
    assert [murcko_scaffold(m) for m in MOLS] == [
        "c1ccccc1", "c1ccccc1", "c1ccccc1", "c1ccc2ccccc2c1", "", "", "",
    ]  # fmt: skip
    imatinib = Chem.MolFromSmiles("Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1")
    assert murcko_scaffold(imatinib) == ("O=C(Nc1cccc(Nc2nccc(-c3cccnc3)n2)c1)c1ccc(CN2CCNCC2)cc1")
    assert murcko_scaffold(MOLS[3], generic=True) == "C1CCC2CCCCC2C1"
