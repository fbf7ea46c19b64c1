"""Explanations point at the evidence; Integrated Gradients satisfy completeness."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from medsage.cli.main import app
from medsage.datasets import load_text_label
from medsage.errors import InvalidInputError
from medsage.models import TextClassifier, explain, explanation_html
from medsage.models._bases import make_tiny_base

DATA = Path(__file__).resolve().parents[2] / "data" / "tiny_cases.jsonl"
# Constructed cases: the label is carried by a few evidence words among filler.
CASES = {
    "uti": [
        "burning when passing urine and frequent urination",
        "burning urination several times a night",
        "painful burning urination, cloudy urine",
        "frequent urination with burning",
    ],
    "migraine": [
        "throbbing headache with nausea and light sensitivity",
        "one sided throbbing headache, sensitive to light",
        "headache with aura and nausea",
        "severe throbbing headache behind one eye",
    ],
    "asthma": [
        "wheezing and tight chest at night",
        "wheezing, shortness of breath after exercise",
        "chest tightness and wheezing in cold air",
        "short of breath with a whistling wheeze",
    ],
}
FILLER = {"i", "have", "been", "the", "and", "for", "my", "a", "it", "is", "with", "when"}


@pytest.fixture(scope="module")
def tfidf_model() -> TextClassifier:
    texts = [t for ts in CASES.values() for t in ts]
    labels = [label for label, ts in CASES.items() for _ in ts]
    return TextClassifier("tfidf").fit(texts, labels)


def test_when_uti_explained_then_burning_and_urination_outrank_filler(
    tfidf_model: TextClassifier,
) -> None:
    ex = explain(tfidf_model, "I have been having burning and urination all the time")
    assert ex.label == "uti"
    scores = {w.word.lower(): w.score for w in ex.words}
    evidence = min(scores["burning"], scores["urination"])
    assert all(evidence > scores[f] for f in FILLER if f in scores)
    assert {w.word for w in ex.top(2)} == {"burning", "urination"}


def test_when_other_label_asked_then_evidence_is_negative(tfidf_model: TextClassifier) -> None:
    ex = explain(tfidf_model, "burning urination", label="asthma")
    assert ex.label == "asthma"
    assert all(w.score < 0 for w in ex.words)


def test_when_chinese_explained_then_words_are_jieba_words_with_spans() -> None:
    ds = load_text_label(DATA)
    model = TextClassifier("tfidf").fit(ds.texts, ds.labels)
    ex = explain(model, "患者胸痛伴大汗，血压１６０／１００ｍｍＨｇ")
    assert ex.text == "患者胸痛伴大汗,血压160/100mmHg"
    assert [w.word for w in ex.words] == ["患者", "胸痛", "伴", "大汗", "血压", "160/100", "mmHg"]
    assert all(ex.text[w.start : w.end] == w.word for w in ex.words)
    assert ex.label == "cardiac"
    assert ex.top(1)[0].score > 0


def test_when_unknown_label_or_empty_text_then_clear_error(tfidf_model: TextClassifier) -> None:
    with pytest.raises(InvalidInputError, match="not one of the model's labels"):
        explain(tfidf_model, "burning", label="flu")
    with pytest.raises(InvalidInputError, match="non-empty text"):
        explain(tfidf_model, "  ")


def test_when_html_rendered_then_words_highlighted_and_escaped(
    tfidf_model: TextClassifier,
) -> None:
    page = explanation_html([explain(tfidf_model, "burning <b>urination</b>")])
    assert "&lt;" in page and "&gt;" in page
    assert "<b>urination" not in page
    assert 'title="+' in page
    assert "<script" not in page


def test_when_integrated_gradients_then_scores_sum_to_logit_difference(tmp_path: Path) -> None:
    ds = load_text_label(DATA)
    base = make_tiny_base(tmp_path / "tiny", ds.texts)
    model = TextClassifier(
        "transformer", base=str(base), epochs=3, batch_size=6, learning_rate=3e-3
    ).fit(ds.texts, ds.labels)
    backend = model.model_
    ids = backend.tokenizer("胸痛大汗 chest pain")["input_ids"]  # type: ignore[attr-defined]
    scores = backend.token_attributions(ids, 0, steps=256)  # type: ignore[attr-defined]
    network = backend.network  # type: ignore[attr-defined]
    tokens = torch.tensor([ids])
    mask = torch.ones_like(tokens)
    with torch.no_grad():
        embedded = network.encoder.get_input_embeddings()(tokens)
        full = network(None, mask, inputs_embeds=embedded)[0, 0].item()
        empty = network(None, mask, inputs_embeds=torch.zeros_like(embedded))[0, 0].item()
    assert float(np.sum(scores)) == pytest.approx(full - empty, abs=0.02 * max(1.0, abs(full)))
    ex = explain(model, "胸痛大汗 chest pain")
    assert ex.method.startswith("integrated gradients")
    assert [w.word for w in ex.words] == ["胸痛", "大汗", "chest", "pain"]


def test_when_cli_explains_then_json_and_html(tfidf_model: TextClassifier, tmp_path: Path) -> None:
    tfidf_model.save(tmp_path / "m")
    result = CliRunner().invoke(
        app,
        [
            "explain", "--model", str(tmp_path / "m"), "--json", "--html",
            str(tmp_path / "e.html"), "burning urination at night",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["label"] == "uti"
    assert [w["word"] for w in payload["words"]] == ["burning", "urination", "at", "night"]
    assert (tmp_path / "e.html").read_text(encoding="utf-8").startswith("<!doctype html>")
