"""ONNX export of a transformer bundle: same logits, int8 close, used by predict, refused when
stale or for tfidf."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from medsage.cli.main import app
from medsage.datasets import load_text_label
from medsage.errors import InvalidInputError
from medsage.models import TextClassifier, export_onnx
from medsage.models._bases import make_tiny_base

DATA = Path(__file__).resolve().parents[2] / "data" / "tiny_cases.jsonl"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ds = load_text_label(DATA)
    root = tmp_path_factory.mktemp("onnx")
    base = make_tiny_base(root / "base", ds.texts)
    model = TextClassifier(
        "transformer", base=str(base), epochs=10, batch_size=6, learning_rate=3e-3
    ).fit(ds.texts, ds.labels)
    return model.save(root / "model")


def test_when_exported_then_predict_uses_onnx_with_same_probabilities(bundle: Path) -> None:
    texts = load_text_label(DATA).texts
    before = TextClassifier.load(bundle).predict_proba(texts)
    report = export_onnx(bundle, quantize=True)
    assert report["files"] == ["onnx/model.onnx", "onnx/model.int8.onnx"]
    assert report["max_logit_diff_fp32"] < 1e-4
    assert report["max_logit_diff_int8"] < 0.5
    loaded = TextClassifier.load(bundle)
    assert loaded.model_.onnx[1] == "model.int8.onnx"  # type: ignore[attr-defined]
    after = loaded.predict_proba(texts)
    assert (after.argmax(1) == before.argmax(1)).mean() >= 0.9
    (bundle / "onnx" / "model.int8.onnx").unlink()
    fp32 = TextClassifier.load(bundle)
    assert fp32.model_.onnx[1] == "model.onnx"  # type: ignore[attr-defined]
    np.testing.assert_allclose(fp32.predict_proba(texts), before, atol=1e-5)


def test_when_weights_change_after_export_then_onnx_ignored(bundle: Path, tmp_path: Path) -> None:
    export_onnx(bundle)
    manifest = bundle / "onnx" / "onnx.json"
    info = json.loads(manifest.read_text())
    info["weights_sha256"] = "0" * 64
    manifest.write_text(json.dumps(info))
    assert TextClassifier.load(bundle).model_.onnx is None  # type: ignore[attr-defined]


def test_when_tfidf_bundle_exported_then_refused(tmp_path: Path) -> None:
    ds = load_text_label(DATA)
    TextClassifier().fit(ds.texts, ds.labels).save(tmp_path / "m")
    with pytest.raises(InvalidInputError, match="only transformer bundles export to ONNX"):
        export_onnx(tmp_path / "m")
    result = CliRunner().invoke(app, ["export", "onnx", "--model", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "only transformer bundles" in result.output


def test_when_cli_exports_then_json_report(bundle: Path) -> None:
    result = CliRunner().invoke(app, ["export", "onnx", "--model", str(bundle), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"] == ["onnx/model.onnx"]
