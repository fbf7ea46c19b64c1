"""Domain pretraining (masked and causal LM) on a small corpus the tests write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medsage.cli.main import app
from medsage.errors import EmptyInputError, InvalidInputError
from medsage.models import TextClassifier, pretrain
from medsage.models._pretrain import _word_groups

CORPUS = [
    "患者胸痛两小时伴大汗",
    "咳嗽咳痰三天伴发热",
    "多饮多尿体重下降",
    "chest pain radiating to the left arm",
    "productive cough and fever for three days",
    "thirst and frequent urination",
    "头痛伴恶心呕吐",
    "burning when passing urine",
] * 8


@pytest.mark.parametrize("objective", ["mlm", "clm"])
def test_when_pretrained_then_heldout_perplexity_falls_and_checkpoint_fine_tunes(
    objective: str, tmp_path: Path
) -> None:
    result = pretrain(
        CORPUS, tmp_path / "ckpt", objective=objective, steps=100, batch_size=16, max_length=32
    )
    assert result.perplexity_after < 0.75 * result.perplexity_before
    assert (result.n_train, result.n_heldout) == (61, 3)
    clf = TextClassifier("transformer", base=str(tmp_path / "ckpt"), epochs=2, batch_size=8).fit(
        CORPUS[:8], ["a", "b", "c", "a", "b", "c", "d", "e"]
    )
    assert len(clf.predict(["胸痛"])) == 1


def test_when_whole_word_masking_then_jieba_words_grouped() -> None:
    # "胸痛" and "大汗" are dictionary words: each is one group of two character tokens.
    offsets = [[0, 0], [0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [0, 0]]
    assert _word_groups("胸痛伴大汗", offsets) == [[1, 2], [3], [4, 5]]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"objective": "seq2seq"}, InvalidInputError, "objective must be mlm or clm"),
        ({"config": "huge"}, InvalidInputError, "config must be one of tiny, small"),
        ({"steps": 0}, InvalidInputError, "steps must be >= 1"),
    ],
)
def test_when_options_bad_then_clear_error(
    kwargs: dict[str, object], error: type[Exception], message: str, tmp_path: Path
) -> None:
    with pytest.raises(error, match=message):
        pretrain(CORPUS, tmp_path / "x", **kwargs)  # type: ignore[arg-type]


def test_when_corpus_empty_then_error(tmp_path: Path) -> None:
    with pytest.raises(EmptyInputError, match="at least 2 non-empty texts"):
        pretrain(["  "], tmp_path / "x")


def test_when_cli_pretrains_then_json_report(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(CORPUS), encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "pretrain", "--corpus", str(corpus), "--objective", "mlm", "--out",
            str(tmp_path / "ckpt"), "--steps", "20", "--max-length", "32", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["objective"] == "mlm"
    assert payload["perplexity_after"] < payload["perplexity_before"]
    assert (tmp_path / "ckpt" / "config.json").is_file()
