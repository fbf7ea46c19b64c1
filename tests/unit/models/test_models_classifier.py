"""TextClassifier (tfidf backend) and the model bundle format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from medsage.datasets import load_text_label
from medsage.errors import (
    EmptyInputError,
    InvalidInputError,
    ModelBundleError,
    NotFittedError,
    UnknownNameError,
)
from medsage.models import TextClassifier, read_manifest
from medsage.models._bundle import FORMAT_VERSION

DATA = Path(__file__).resolve().parents[2] / "data" / "tiny_cases.jsonl"


@pytest.fixture(scope="module")
def tiny() -> tuple[list[str], list[str]]:
    ds = load_text_label(DATA)
    return ds.texts, ds.labels


@pytest.fixture(scope="module")
def fitted(tiny: tuple[list[str], list[str]]) -> TextClassifier:
    return TextClassifier("tfidf", seed=0).fit(*tiny)


def test_when_fitted_then_classes_sorted_and_probabilities_sum_to_one(
    fitted: TextClassifier,
) -> None:
    assert fitted.classes_ == ["cardiac", "metabolic", "respiratory"]
    proba = fitted.predict_proba(["胸痛 大汗", "fever and cough"])
    assert proba.shape == (2, 3)
    np.testing.assert_allclose(proba.sum(axis=1), [1.0, 1.0], atol=1e-12)


def test_when_training_texts_predicted_then_all_correct(
    fitted: TextClassifier, tiny: tuple[list[str], list[str]]
) -> None:
    texts, labels = tiny
    assert fitted.predict(texts) == labels


def test_when_saved_and_loaded_then_probabilities_identical(
    fitted: TextClassifier, tmp_path: Path
) -> None:
    queries = ["心前区疼痛，血压１６０／１００ｍｍＨｇ", "HbA1c 9%", "sneezing"]
    fitted.save(tmp_path / "model", metrics={"dev": {"accuracy": 1.0}})
    loaded = TextClassifier.load(tmp_path / "model")
    np.testing.assert_array_equal(loaded.predict_proba(queries), fitted.predict_proba(queries))
    assert loaded.classes_ == fitted.classes_
    assert loaded.fingerprint_ == fitted.fingerprint_
    assert loaded.metrics_ == {"dev": {"accuracy": 1.0}}


def test_when_saved_then_bundle_has_manifest_and_no_pickle(
    fitted: TextClassifier, tmp_path: Path
) -> None:
    fitted.save(tmp_path / "model")
    manifest = read_manifest(tmp_path / "model")
    assert manifest["kind"] == "text-classifier"
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["labels"] == ["cardiac", "metabolic", "respiratory"]
    assert manifest["training_data"]["n_examples"] == 18
    assert len(manifest["training_data"]["fingerprint"]) == 64
    assert manifest["settings"]["model"] == "svm"
    assert manifest["calibration"]["method"] == "temperature"
    names = sorted(p.name for p in (tmp_path / "model").iterdir())
    assert names == [
        "coef.npy",
        "idf.npy",
        "intercept.npy",
        "medsage.json",
        "vocab_char.json",
        "vocab_word.json",
    ]
    for npy in (tmp_path / "model").glob("*.npy"):
        assert np.load(npy, allow_pickle=False).dtype == np.float64


def test_when_saved_twice_then_bundle_replaced(fitted: TextClassifier, tmp_path: Path) -> None:
    fitted.save(tmp_path / "model")
    fitted.save(tmp_path / "model")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_when_target_is_foreign_folder_then_refused(fitted: TextClassifier, tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("x")
    with pytest.raises(ModelBundleError, match="is not a MedSage model bundle"):
        fitted.save(tmp_path / "notes")
    assert (tmp_path / "notes" / "keep.txt").read_text() == "x"


def test_when_same_seed_then_same_model(tiny: tuple[list[str], list[str]]) -> None:
    a = TextClassifier(seed=3).fit(*tiny).predict_proba(["chest pain"])
    b = TextClassifier(seed=3).fit(*tiny).predict_proba(["chest pain"])
    np.testing.assert_array_equal(a, b)


def test_when_binary_then_two_probability_columns() -> None:
    clf = TextClassifier().fit(["fever cough", "cough", "rash itch", "itchy rash"], list("aabb"))
    proba = clf.predict_proba(["cough and fever", "rash"])
    assert proba.shape == (2, 2)
    assert clf.predict(["cough and fever", "rash"]) == ["a", "b"]


@pytest.mark.parametrize(
    ("texts", "labels", "error", "message"),
    [
        ([], [], EmptyInputError, "no texts given"),
        (["a b", "c d"], ["x"], InvalidInputError, "2 texts but 1 labels"),
        (["a b", "c d"], ["x", "x"], InvalidInputError, "at least 2 distinct labels"),
        (["a b", "   "], ["x", "y"], EmptyInputError, "text 1 is empty"),
        (["a b", 3], ["x", "y"], InvalidInputError, "text 1 is a int"),
        ("chest pain", ["x"], InvalidInputError, "single str"),
    ],
)
def test_when_fit_input_bad_then_clear_error(
    texts: object, labels: list[str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        TextClassifier().fit(texts, labels)  # type: ignore[arg-type]


def test_when_unknown_backend_then_names_choices() -> None:
    with pytest.raises(
        UnknownNameError, match="unknown classifier backend 'bert'; choose one of: tfidf"
    ):
        TextClassifier("bert").fit(["a", "b"], ["x", "y"])


def test_when_unknown_setting_then_error() -> None:
    with pytest.raises(InvalidInputError, match="unknown tfidf setting"):
        TextClassifier(alpha=1).fit(["a", "b"], ["x", "y"])


def test_when_not_fitted_then_not_fitted_error() -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        TextClassifier().predict(["chest pain"])
    assert issubclass(NotFittedError, AttributeError)


def test_when_model_folder_missing_then_bundle_error(tmp_path: Path) -> None:
    with pytest.raises(ModelBundleError, match="does not exist"):
        TextClassifier.load(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelBundleError, match=r"medsage.json is missing"):
        TextClassifier.load(tmp_path / "empty")


def test_when_bundle_from_newer_version_then_refused(
    fitted: TextClassifier, tmp_path: Path
) -> None:
    fitted.save(tmp_path / "model")
    manifest_path = tmp_path / "model" / "medsage.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    manifest["medsage_version"] = "9.0.0"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ModelBundleError, match=r"newer MedSage \(9.0.0.*upgrade medsage"):
        TextClassifier.load(tmp_path / "model")


def test_when_bundle_array_missing_or_corrupt_then_bundle_error(
    fitted: TextClassifier, tmp_path: Path
) -> None:
    fitted.save(tmp_path / "model")
    (tmp_path / "model" / "coef.npy").unlink()
    with pytest.raises(ModelBundleError, match=r"coef\.npy is missing"):
        TextClassifier.load(tmp_path / "model")
    fitted.save(tmp_path / "model2")
    (tmp_path / "model2" / "idf.npy").write_bytes(b"not an array")
    with pytest.raises(ModelBundleError, match="could not be read"):
        TextClassifier.load(tmp_path / "model2")


def test_when_pickled_array_in_bundle_then_refused(fitted: TextClassifier, tmp_path: Path) -> None:
    fitted.save(tmp_path / "model")
    np.save(tmp_path / "model" / "idf.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ModelBundleError, match="could not be read"):
        TextClassifier.load(tmp_path / "model")


def test_when_text_in_language_never_trained_then_warned() -> None:
    english = ["chest pain and sweating", "crushing chest pressure", "cough and fever", "wet cough"]
    clf = TextClassifier().fit(english, ["cardiac", "cardiac", "resp", "resp"])
    assert clf.languages_ == {"en": 4}
    warnings = clf.input_warnings(["患者胸痛两小时", "chest pain", "zzz qqq"])
    assert warnings == [
        [
            "the text looks Chinese but the model was trained on en texts only; "
            "the prediction is unreliable",
            "none of the text's words occur in the training data",
        ],
        [],
        ["none of the text's words occur in the training data"],
    ]


def test_when_bilingual_model_then_no_language_warning(fitted: TextClassifier) -> None:
    assert fitted.languages_ == {"en": 9, "zh": 9}
    assert fitted.input_warnings(["胸痛大汗", "chest pain"]) == [[], []]
