"""The small chemical language model: SMILES tokenizer, MLM pretraining, fine-tuning (tiny)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from medsage.drug._chem_lm import (
    ChemLMConfig,
    SmilesVocab,
    canonical_smiles,
    finetune_chem_lm,
    pretrain_chem_lm,
    tokenize_smiles,
)
from medsage.errors import EmptyInputError, InvalidInputError

TINY = ChemLMConfig(
    hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, max_length=40, batch_size=8
)
SMILES = [
    "CC(=O)Oc1ccccc1C(=O)O", "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "CC(=O)Nc1ccc(O)cc1",
    "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "CN1CCC[C@H]1c1cccnc1", "OC(=O)c1ccccc1O", "CCO", "CCCl",
    "c1ccc2ccccc2c1", "Nc1ccc(cc1)S(N)(=O)=O", "CCOc1ccccc1", "CCCCBr", "OCC(O)CO", "CCN",
]  # fmt: skip


def test_when_tokenized_then_multi_char_atoms_and_ring_labels_are_single_tokens() -> None:
    assert tokenize_smiles("C[C@@H](Cl)c1ccc(Br)cc1%10") == [
        "C", "[C@@H]", "(", "Cl", ")", "c", "1", "c", "c", "c", "(", "Br", ")", "c", "c", "1",
        "%10",
    ]  # fmt: skip


def test_when_smiles_has_characters_outside_grammar_then_error() -> None:
    with pytest.raises(InvalidInputError, match="cannot read"):
        tokenize_smiles("CC{O}")


def test_when_vocab_built_then_rare_tokens_map_to_unk() -> None:
    vocab = SmilesVocab.build(["CCO", "CCN", "CBr"], min_count=2)
    assert vocab.tokens == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "C"]
    assert vocab.encode("CBr", max_length=10) == [2, 5, 1, 3]
    assert vocab.encode("CCCCCC", max_length=4) == [2, 5, 5, 3]


def test_when_canonicalised_then_largest_fragment_and_empty_for_invalid() -> None:
    assert canonical_smiles(["OCC.[Na+]", "C1CC", "c1ccccc1"]) == ["CCO", "", "c1ccccc1"]


def test_when_pretrained_and_finetuned_then_reproducible_predictions(tmp_path: Path) -> None:
    info = pretrain_chem_lm(SMILES, tmp_path / "lm", config=TINY, max_steps=3, seed=0)
    assert info["steps"] == 3 and info["vocab_size"] == len(
        json.loads((tmp_path / "lm" / "vocab.json").read_text())
    )
    y = np.arange(10, dtype=float)[:, None]

    def run() -> np.ndarray:
        model = finetune_chem_lm(
            tmp_path / "lm", SMILES[:10], y, val_smiles=SMILES[10:], val_y=np.ones((4, 1)),
            task_type="regression", epochs=2, seed=0,
        )  # fmt: skip
        assert model.epochs_run == 2
        return model.predict(["CCO", "C1CC", "CCN"])

    first, second = run(), run()
    assert first.shape == (3, 1) and np.isnan(first[1, 0]) and not np.isnan(first[0, 0])
    assert np.array_equal(first, second, equal_nan=True)


def test_when_classification_with_missing_labels_then_probabilities(tmp_path: Path) -> None:
    pretrain_chem_lm(SMILES, tmp_path / "lm", config=TINY, max_steps=1, seed=0)
    y = np.array([[0.0, np.nan], [1.0, 0.0], [0.0, 1.0], [1.0, np.nan]] * 2 + [[0.0, 1.0]] * 2)
    model = finetune_chem_lm(
        tmp_path / "lm", SMILES[:10], y, val_smiles=SMILES[10:], val_y=np.ones((4, 2)),
        task_type="classification", epochs=1,
    )  # fmt: skip
    p = model.predict(SMILES[10:])
    assert p.shape == (4, 2) and np.all((p > 0) & (p < 1))


def test_when_nothing_parses_then_empty_input_error(tmp_path: Path) -> None:
    with pytest.raises(EmptyInputError, match="no parseable SMILES"):
        pretrain_chem_lm(["C1CC", ""], tmp_path / "lm", config=TINY, max_steps=1)
