"""Transformer backend, fine-tuned from a tiny BERT that the tests build (fast, offline)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from medsage.cli.main import app
from medsage.datasets import load_text_label
from medsage.errors import InvalidInputError, MissingFileError
from medsage.models import TextClassifier, read_manifest
from medsage.models._bases import make_tiny_base, resolve_base
from medsage.models._finetune import length_bucketed_batches

DATA = Path(__file__).resolve().parents[2] / "data" / "tiny_cases.jsonl"
# Small and fast: the tiny model learns the 18 cases in a few seconds on one core.
FAST = {"epochs": 25, "batch_size": 6, "learning_rate": 3e-3, "warmup_ratio": 0.0, "patience": 25}


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = load_text_label(DATA).texts
    return make_tiny_base(tmp_path_factory.mktemp("base") / "tiny", texts)


@pytest.fixture(scope="module")
def fitted(tiny_base: Path) -> TextClassifier:
    ds = load_text_label(DATA)
    return TextClassifier("transformer", seed=0, base=str(tiny_base), **FAST).fit(
        ds.texts, ds.labels, dev=(ds.texts, ds.labels)
    )


def test_when_tiny_base_built_then_it_is_a_bert_folder(tiny_base: Path) -> None:
    config = json.loads((tiny_base / "config.json").read_text())
    assert (config["model_type"], config["num_hidden_layers"], config["hidden_size"]) == (
        "bert",
        2,
        32,
    )
    assert resolve_base(str(tiny_base)) == tiny_base


def test_when_fine_tuned_then_training_cases_learnt(fitted: TextClassifier) -> None:
    ds = load_text_label(DATA)
    assert fitted.predict(ds.texts) == ds.labels
    assert fitted.classes_ == ["cardiac", "metabolic", "respiratory"]
    history = fitted.model_.history  # type: ignore[attr-defined]
    assert history[0]["train_loss"] > history[-1]["train_loss"]
    assert fitted.calibration_["method"] == "temperature"
    assert fitted.calibration_["fitted_on"] == "dev (18 texts)"


def test_when_saved_and_loaded_then_identical_probabilities(
    fitted: TextClassifier, tmp_path: Path
) -> None:
    queries = ["持续胸痛大汗", "HbA1c 9%, very thirsty", "sneezing and sore throat"]
    fitted.save(tmp_path / "m")
    loaded = TextClassifier.load(tmp_path / "m")
    np.testing.assert_allclose(
        loaded.predict_proba(queries), fitted.predict_proba(queries), atol=1e-6
    )
    manifest = read_manifest(tmp_path / "m")
    assert manifest["backend"] == "transformer"
    assert "model.safetensors" in manifest["files"]
    assert "encoder/config.json" in manifest["files"]
    assert not list((tmp_path / "m").rglob("*.bin")) and not list((tmp_path / "m").rglob("*.pkl"))


def test_when_same_seed_then_same_model(tiny_base: Path) -> None:
    ds = load_text_label(DATA)
    settings = {**FAST, "epochs": 2}
    a = TextClassifier("transformer", seed=1, base=str(tiny_base), **settings)
    b = TextClassifier("transformer", seed=1, base=str(tiny_base), **settings)
    pa = a.fit(ds.texts, ds.labels).predict_proba(["chest pain"])
    pb = b.fit(ds.texts, ds.labels).predict_proba(["chest pain"])
    np.testing.assert_array_equal(pa, pb)


def test_when_checkpoint_dir_given_then_training_resumes(tiny_base: Path, tmp_path: Path) -> None:
    ds = load_text_label(DATA)
    ckpt = tmp_path / "ckpt"
    first = TextClassifier(
        "transformer", base=str(tiny_base), **{**FAST, "epochs": 2}, checkpoint_dir=str(ckpt)
    ).fit(ds.texts, ds.labels)
    state = json.loads((ckpt / "state.json").read_text())
    assert state["epoch"] == 2
    messages: list[str] = []
    resumed = TextClassifier(
        "transformer", base=str(tiny_base), **{**FAST, "epochs": 3}, checkpoint_dir=str(ckpt)
    ).fit(ds.texts, ds.labels, progress=messages.append)
    assert messages[0] == f"resumed from {ckpt} after epoch 2"
    assert [h["epoch"] for h in resumed.model_.history] == [1.0, 2.0, 3.0]  # type: ignore[attr-defined]
    assert first.classes_ == resumed.classes_


def test_when_probing_first_then_encoder_frozen_during_probe_and_trained_after(
    tiny_base: Path,
) -> None:
    import torch
    from transformers import AutoModel

    from medsage.models._transformer import TransformerBackend, TransformerSettings

    ds = load_text_label(DATA)
    settings = {**FAST, "epochs": 3, "probe_epochs": 4, "probe_learning_rate": 1e-2}
    full = TextClassifier("transformer", seed=0, base=str(tiny_base), **settings)
    history = full.fit(ds.texts, ds.labels).model_.history  # type: ignore[attr-defined]
    assert [h.get("probe", 0.0) for h in history] == [1.0] * 4 + [0.0] * 3
    # Probe, then a fine-tune too small to move anything: the encoder is still the base
    # checkpoint, only the head learnt, and the encoder is trainable again afterwards.
    lp = TransformerBackend(
        TransformerSettings.from_dict(
            {**settings, "base": str(tiny_base), "epochs": 1, "learning_rate": 1e-12}
        )
    )
    y = np.array([["cardiac", "metabolic", "respiratory"].index(x) for x in ds.labels])
    lp.fit(ds.texts, y, 3, seed=0)
    base = AutoModel.from_pretrained(tiny_base).state_dict()
    tuned = lp.network.encoder.state_dict()
    # (the pooler is unused by mean pooling and re-initialised at random on every load)
    same = [torch.allclose(base[k], tuned[k], atol=1e-9) for k in base if "pooler" not in k]
    assert len(same) > 20 and all(same)
    assert all(p.requires_grad for p in lp.network.encoder.parameters())
    # The same seed without a probe starts from the same head, which then stays put: the
    # probe is what moved it.
    untouched = TransformerBackend(
        TransformerSettings.from_dict(
            {**settings, "base": str(tiny_base), "epochs": 1, "learning_rate": 1e-12,
             "probe_epochs": 0}
        )
    )  # fmt: skip
    untouched.fit(ds.texts, y, 3, seed=0)
    moved = (lp.network.head.weight - untouched.network.head.weight).abs().max().item()
    assert moved > 1e-3


def test_when_wise_alpha_then_weights_are_the_mix_of_probed_and_fine_tuned(
    tiny_base: Path, tmp_path: Path
) -> None:
    import torch
    from transformers import AutoModel

    ds = load_text_label(DATA)
    settings = {**FAST, "epochs": 3, "probe_epochs": 2, "probe_learning_rate": 1e-2}
    model = TextClassifier(
        "transformer", seed=0, base=str(tiny_base), wise_alpha=0.25, **settings
    ).fit(ds.texts, ds.labels)
    backend = model.model_  # type: ignore[attr-defined]
    assert backend.wise_ends is not None
    probed, tuned = backend.wise_ends
    mixed = backend.network.state_dict()
    for name in ("head.weight", "encoder.encoder.layer.0.attention.self.query.weight"):
        assert torch.equal(mixed[name], 0.75 * probed[name] + 0.25 * tuned[name])
        assert not torch.allclose(probed[name], tuned[name])
    # alpha 0 is the probed model: the base encoder untouched under the probed head.
    backend.set_wise_alpha(0.0)
    base = AutoModel.from_pretrained(tiny_base).state_dict()
    encoder = backend.network.encoder.state_dict()
    assert all(torch.equal(base[k], encoder[k]) for k in base if "pooler" not in k)
    assert backend.settings.wise_alpha == 0.0
    backend.set_wise_alpha(0.25)
    # Only the mixed weights are saved; they load back with the setting.
    model.save(tmp_path / "m")
    loaded = TextClassifier.load(tmp_path / "m")
    assert read_manifest(tmp_path / "m")["settings"]["wise_alpha"] == 0.25
    np.testing.assert_allclose(
        loaded.predict_proba(["chest pain"]), model.predict_proba(["chest pain"]), atol=1e-6
    )


def test_when_wise_run_resumed_then_probed_weights_come_from_checkpoint(
    tiny_base: Path, tmp_path: Path
) -> None:
    import torch

    ds = load_text_label(DATA)
    ckpt = tmp_path / "ckpt"
    settings = {**FAST, "probe_epochs": 2, "wise_alpha": 0.5, "checkpoint_dir": str(ckpt)}
    first = TextClassifier("transformer", base=str(tiny_base), **{**settings, "epochs": 1})
    first.fit(ds.texts, ds.labels)
    assert (ckpt / "probed.safetensors").is_file()
    resumed = TextClassifier("transformer", base=str(tiny_base), **{**settings, "epochs": 2})
    resumed.fit(ds.texts, ds.labels)
    first_probed = first.model_.wise_ends[0]  # type: ignore[attr-defined]
    resumed_probed = resumed.model_.wise_ends[0]  # type: ignore[attr-defined]
    assert all(torch.equal(first_probed[k], resumed_probed[k]) for k in first_probed)
    (ckpt / "probed.safetensors").unlink()
    with pytest.raises(InvalidInputError, match=r"probed\.safetensors is missing"):
        TextClassifier("transformer", base=str(tiny_base), **{**settings, "epochs": 3}).fit(
            ds.texts, ds.labels
        )


def test_when_weights_averaged_then_mean_of_floats_and_latest_integers(tmp_path: Path) -> None:
    import torch

    from medsage.models._finetune import WeightAverage

    net = torch.nn.Linear(2, 1)
    net.register_buffer("steps", torch.tensor([0]))
    average = WeightAverage()
    for value in (1.0, 2.0, 6.0):
        with torch.no_grad():
            net.weight.fill_(value)
            net.bias.fill_(-value)
            net.steps.fill_(int(value))
        average.add(net)
    assert average.count == 3
    assert average.state["weight"].tolist() == [[3.0, 3.0]]
    assert average.state["bias"].tolist() == [-3.0]
    assert average.state["steps"].tolist() == [6]
    average.write(tmp_path)
    back = WeightAverage.read(tmp_path)
    assert back.count == 3
    assert all(torch.equal(back.state[k], average.state[k]) for k in average.state)
    assert WeightAverage.read(tmp_path / "none").count == 0


def test_when_average_from_epoch_then_average_scored_and_kept_only_if_as_good(
    tiny_base: Path,
) -> None:
    from medsage.models._finetune import _dev_score

    ds = load_text_label(DATA)
    settings = {**FAST, "epochs": 4, "average_from_epoch": 2}
    model = TextClassifier("transformer", seed=0, base=str(tiny_base), **settings)
    model.fit(ds.texts, ds.labels, dev=(ds.texts, ds.labels))
    history = model.model_.history  # type: ignore[attr-defined]
    assert [h["epoch"] for h in history] == [1.0, 2.0, 3.0, 4.0, 4.0]
    last = history[-1]
    assert last["averaged_epochs"] == 3.0
    best = max(h["dev_accuracy"] for h in history[:-1])
    assert last["average_kept"] == float(last["dev_accuracy"] >= best)
    backend = model.model_  # type: ignore[attr-defined]
    y = np.array([model.classes_.index(x) for x in ds.labels])
    kept = _dev_score(backend.network, (backend.encode(ds.texts), y), "accuracy", 0, "cpu")
    assert kept == (last["dev_accuracy"] if last["average_kept"] else best)


def test_when_averaging_run_resumed_then_average_continues(tiny_base: Path, tmp_path: Path) -> None:
    ds = load_text_label(DATA)
    ckpt = tmp_path / "ckpt"
    settings = {**FAST, "average_from_epoch": 1, "checkpoint_dir": str(ckpt)}
    TextClassifier("transformer", base=str(tiny_base), **{**settings, "epochs": 2}).fit(
        ds.texts, ds.labels
    )
    assert (ckpt / "average.safetensors").is_file()
    resumed = TextClassifier("transformer", base=str(tiny_base), **{**settings, "epochs": 3})
    history = resumed.fit(ds.texts, ds.labels).model_.history  # type: ignore[attr-defined]
    assert history[-1] == {"epoch": 3.0, "averaged_epochs": 3.0}
    # Resumed with nothing left to train and no best epoch in memory: the average is still
    # scored against the checkpoint's best, and the last weights stand in for that epoch's.
    # (the checkpoint's best score is -1 here: its runs had no dev data, so the average wins)
    again = TextClassifier("transformer", base=str(tiny_base), **{**settings, "epochs": 3})
    again.fit(ds.texts, ds.labels, dev=(ds.texts, ds.labels))
    last = again.model_.history[-1]  # type: ignore[attr-defined]
    assert (last["averaged_epochs"], last["average_kept"]) == (3.0, 1.0)


def test_when_lengths_bucketed_then_every_index_once_and_batches_similar_length() -> None:
    lengths = [int(x) for x in np.random.default_rng(0).integers(1, 200, size=500)]
    batches = length_bucketed_batches(lengths, 10, np.random.default_rng(1))
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(500))
    spread = np.mean([np.ptp([lengths[i] for i in b]) for b in batches])
    assert spread < 20  # random batches of 10 would spread about 160


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"epochs": 0}, "epochs must be >= 1"),
        ({"dev_metric": "auc"}, "dev_metric must be one of"),
        ({"layers": 3}, "unknown transformer setting"),
        ({"class_weight": "inverse"}, "class_weight must be"),
        ({"probe_epochs": -1}, "probe_epochs must be >= 0"),
        ({"wise_alpha": 1.5, "probe_epochs": 1}, r"wise_alpha must be in \[0, 1\], got 1.5"),
        ({"average_from_epoch": 6}, r"average_from_epoch must be in \[0, epochs\], got 6"),
        ({"wise_alpha": 0.5}, "wise_alpha < 1 mixes with the probed model: set probe_epochs"),
    ],
)
def test_when_settings_bad_then_clear_error(params: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        TextClassifier("transformer", **params).fit(["a b", "c d"], ["x", "y"])


def test_when_base_missing_then_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="neither minilm nor e5 nor a folder"):
        TextClassifier("transformer", base=str(tmp_path / "nope")).fit(["a b", "c d"], ["x", "y"])


def test_when_cli_trains_transformer_then_bundle_and_prediction(
    tiny_base: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "cli-model"
    result = runner.invoke(
        app,
        [
            "train", "--train", str(DATA), "--backend", "transformer", "--base", str(tiny_base),
            "--epochs", "2", "--max-length", "32", "--batch-size", "6", "--probe-epochs", "1",
            "--probe-learning-rate", "0.01", "--patience", "4", "--wise-alpha", "0.5",
            "--out", str(out), "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["backend"] == "transformer"
    assert read_manifest(out)["settings"]["max_length"] == 32
    assert read_manifest(out)["settings"]["probe_epochs"] == 1
    assert read_manifest(out)["settings"]["wise_alpha"] == 0.5
    assert read_manifest(out)["settings"]["probe_learning_rate"] == 0.01
    assert read_manifest(out)["settings"]["patience"] == 4
    predicted = runner.invoke(app, ["predict", "--model", str(out), "--json", "胸痛"])
    assert predicted.exit_code == 0, predicted.output
    assert json.loads(predicted.stdout)["label"] in {"cardiac", "metabolic", "respiratory"}


def test_when_tfidf_given_transformer_option_then_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["train", "--train", str(DATA), "--epochs", "3", "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 2
    assert "unknown tfidf setting(s): epochs" in result.output
