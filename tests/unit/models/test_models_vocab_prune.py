"""Vocabulary pruning keeps the corpus' segmentation and the kept embedding rows."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
from transformers import BertConfig, BertModel

from medsage.errors import InvalidInputError, MissingFileError
from medsage.models._vocab_prune import prune_unigram_vocabulary

CORPUS = [
    "患者胸痛两小时，伴大汗",
    "chest pain radiating to the left arm",
    "咳嗽咳痰三天，发热",
    "fasting glucose 9.8 mmol/L",
    "小便时烧灼感，尿频尿急",
    "throbbing headache with nausea",
] * 5
OTHER = ["lumbar back pain after lifting", "腰痛三天"]


def _unigram_checkpoint(folder: Path) -> Path:
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.train_from_iterator(
        CORPUS + OTHER * 5,
        trainers.UnigramTrainer(
            vocab_size=200, special_tokens=["<s>", "<pad>", "</s>", "<unk>"], unk_token="<unk>"
        ),
    )
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    folder.mkdir(parents=True)
    tok.save(str(folder / "tokenizer.json"))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        pad_token_id=1,
    )
    BertModel(config).save_pretrained(folder)
    return folder


def test_when_pruned_then_corpus_pieces_and_embeddings_unchanged(tmp_path: Path) -> None:
    source = _unigram_checkpoint(tmp_path / "full")
    report = prune_unigram_vocabulary(source, CORPUS, tmp_path / "small")
    assert report.vocab_after < report.vocab_before
    assert report.parameters_after < report.parameters_before
    full = Tokenizer.from_file(str(source / "tokenizer.json"))
    small = Tokenizer.from_file(str(tmp_path / "small" / "tokenizer.json"))
    for text in CORPUS:
        assert small.encode(text).tokens == full.encode(text).tokens
    old = load_file(str(source / "model.safetensors"))["embeddings.word_embeddings.weight"]
    new = load_file(str(tmp_path / "small" / "model.safetensors"))[
        "embeddings.word_embeddings.weight"
    ]
    assert new.shape[0] == report.vocab_after
    for text in CORPUS[:6]:
        for a, b in zip(full.encode(text).ids, small.encode(text).ids, strict=True):
            assert torch.equal(old[a], new[b])
    assert small.encode("chest pain").ids[0] == small.token_to_id("<s>")


def test_when_float16_asked_then_weights_halved(tmp_path: Path) -> None:
    source = _unigram_checkpoint(tmp_path / "full")
    prune_unigram_vocabulary(source, CORPUS, tmp_path / "half", dtype="float16")
    state = load_file(str(tmp_path / "half" / "model.safetensors"))
    assert {t.dtype for t in state.values()} == {torch.float16}


def test_when_inputs_bad_then_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match=r"has no tokenizer\.json"):
        prune_unigram_vocabulary(tmp_path, CORPUS, tmp_path / "out")
    source = _unigram_checkpoint(tmp_path / "full")
    with pytest.raises(InvalidInputError, match="corpus is empty"):
        prune_unigram_vocabulary(source, [], tmp_path / "out")
    with pytest.raises(InvalidInputError, match="dtype must be"):
        prune_unigram_vocabulary(source, CORPUS, tmp_path / "out", dtype="int8")
