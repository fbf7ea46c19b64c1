"""`pretrain(..., freeze_encoder=True)`: a new MLM head on an encoder-only checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from medsage.errors import InvalidInputError
from medsage.models import PretrainResult, pretrain
from medsage.models._bases import make_tiny_base

CORPUS = [
    "患者胸痛两小时伴大汗",
    "咳嗽咳痰三天伴发热",
    "多饮多尿体重下降",
    "chest pain radiating to the left arm",
    "productive cough and fever for three days",
    "头痛伴恶心呕吐",
] * 8


def test_when_encoder_frozen_then_only_head_learns_and_same_slice_scored_again(
    tmp_path: Path,
) -> None:
    # make_tiny_base writes an encoder without an MLM head, as the converted e5 is.
    base = make_tiny_base(tmp_path / "base", CORPUS, max_length=32)

    def run(out: str, start: Path, steps: int, freeze_encoder: bool) -> PretrainResult:
        return pretrain(
            CORPUS, tmp_path / out, base=str(start), steps=steps, batch_size=16, max_length=32,
            learning_rate=1e-2, freeze_encoder=freeze_encoder,
        )  # fmt: skip

    head = run("head", base, 40, True)
    assert head.freeze_encoder
    assert head.perplexity_after < 0.75 * head.perplexity_before
    before = load_file(str(base / "model.safetensors"))
    after = load_file(str(tmp_path / "head" / "model.safetensors"))
    encoder = [k for k in before if not k.startswith("pooler.")]
    assert encoder
    for key in encoder:  # saved with the "bert." prefix of BertForMaskedLM
        assert torch.equal(before[key], after[f"bert.{key}"]), key
    # Continuing from the head-trained checkpoint scores the same held-out texts and masks.
    full = run("full", tmp_path / "head", 2, False)
    assert full.heldout_loss_before == pytest.approx(head.heldout_loss_after, rel=1e-5)


def test_when_head_tied_to_embeddings_then_freezing_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="nothing to train"):
        pretrain(CORPUS, tmp_path / "x", objective="clm", steps=1, freeze_encoder=True)
