"""`TextClassifier`: one scikit-learn style API over the text-classification backends."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from medsage.errors import EmptyInputError, InvalidInputError, ModelBundleError, NotFittedError
from medsage.evaluation import fit_temperature, softmax
from medsage.models._backend import BACKENDS, ClassifierBackend, Progress, no_progress
from medsage.models._bundle import read_manifest, save_bundle
from medsage.models._tfidf import TfidfBackend
from medsage.models._transformer import TransformerBackend
from medsage.text import detect_language

logger = logging.getLogger(__name__)

BUNDLE_KIND = "text-classifier"
BACKENDS.register("tfidf")(TfidfBackend)
BACKENDS.register("transformer")(TransformerBackend)


class TextClassifier:
    """Classify clinical texts (Chinese or English) into labels.

    Follows scikit-learn: `__init__` only stores arguments, `fit` validates and returns self,
    learned state ends in `_`.

    Args:
        backend: a name from `BACKENDS` ("tfidf", "transformer").
        seed: seed of every stochastic step.
        calibrate: fit a softmax temperature so that probabilities match observed accuracy:
            on out-of-fold training scores for tfidf (3 extra fits), on the dev data for
            backends too costly to refit (none without dev data).
        **params: backend settings (for tfidf see `TfidfSettings`, e.g. ``C=10``).

    Example:
        >>> clf = TextClassifier("tfidf").fit(["胸痛 出汗", "cough and fever"], ["MI", "flu"])
        >>> clf.predict(["持续胸痛"])
        ['MI']
    """

    def __init__(
        self, backend: str = "tfidf", *, seed: int = 0, calibrate: bool = True, **params: Any
    ) -> None:
        self.backend = backend
        self.seed = seed
        self.calibrate = calibrate
        self.params = params

    # -- training -------------------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        dev: tuple[Sequence[str], Sequence[str]] | None = None,
        progress: Progress | None = None,
    ) -> TextClassifier:
        """Train on `texts` with one label each; returns self.

        Args:
            dev: optional (texts, labels) held out from training: backends that train for
                several epochs stop early on it, and backends too costly to refit (the
                transformer) fit their softmax temperature on it.
            progress: callback that receives one-line status messages.
        """
        backend_cls = BACKENDS.get(self.backend)
        settings = backend_cls.settings_from_dict(dict(self.params))
        texts_list = _check_texts(texts)
        labels_list = [str(label) for label in labels]
        if len(labels_list) != len(texts_list):
            raise InvalidInputError(
                f"got {len(texts_list)} texts but {len(labels_list)} labels; "
                "need one label per text"
            )
        classes = sorted(set(labels_list))
        if len(classes) < 2:
            raise InvalidInputError(
                f"training needs at least 2 distinct labels, got {len(classes)}: {classes}"
            )
        index = {label: i for i, label in enumerate(classes)}
        y = np.array([index[label] for label in labels_list], dtype=np.int64)
        dev_data = None
        if dev is not None:
            dev_texts = _check_texts(dev[0])
            if len(dev[1]) != len(dev_texts):
                raise InvalidInputError(f"dev has {len(dev_texts)} texts but {len(dev[1])} labels")
            # Dev rows whose label never occurs in training cannot guide training; they still
            # count (as errors) when the caller evaluates on dev.
            keep = [i for i, label in enumerate(dev[1]) if str(label) in index]
            if keep:
                dev_data = (
                    [dev_texts[i] for i in keep],
                    np.array([index[str(dev[1][i])] for i in keep], dtype=np.int64),
                )
        model: ClassifierBackend = backend_cls(settings)
        model.fit(
            texts_list, y, len(classes), self.seed, dev=dev_data, progress=progress or no_progress
        )
        self.calibration_: dict[str, Any] = {"method": "none", "temperature": 1.0}
        if self.calibrate and backend_cls.cv_calibration:
            self.calibration_ = _out_of_fold_temperature(
                backend_cls, settings, texts_list, y, len(classes), self.seed
            )
        elif self.calibrate and dev_data is not None:
            temperature = fit_temperature(model.decision_function(dev_data[0]), dev_data[1])
            self.calibration_ = {
                "method": "temperature",
                "temperature": round(temperature, 6),
                "fitted_on": f"dev ({len(dev_data[0])} texts)",
            }
        self.classes_: list[str] = classes
        self.model_ = model
        self.settings_ = settings
        self.fingerprint_ = training_fingerprint(texts_list, labels_list)
        self.n_train_ = len(texts_list)
        self.languages_ = language_counts(texts_list)
        self.metrics_: dict[str, Any] = {}
        return self

    # -- inference ------------------------------------------------------------------------
    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Raw class scores, shape (n_texts, n_classes), columns in `classes_` order."""
        self._check_fitted()
        return self.model_.decision_function(_check_texts(texts))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, shape (n_texts, n_classes), columns in `classes_` order."""
        scores = self.decision_function(texts)
        return softmax(scores, float(self.calibration_["temperature"]))

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Most probable label of each text."""
        proba = self.predict_proba(texts)
        return [self.classes_[i] for i in proba.argmax(axis=1)]

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
        """Write a model bundle folder (see `medsage.models._bundle`)."""
        self._check_fitted()
        if metrics is not None:
            self.metrics_ = metrics
        meta = {
            "backend": self.backend,
            "labels": self.classes_,
            "settings": self.settings_.to_dict(),
            "seed": self.seed,
            "calibration": self.calibration_,
            "preprocessing": {"normalize": "medsage.text.normalize"},
            "training_data": {
                "fingerprint": self.fingerprint_,
                "n_examples": self.n_train_,
                "languages": self.languages_,
            },
            "metrics": self.metrics_,
        }
        return save_bundle(path, kind=BUNDLE_KIND, meta=meta, write_files=self.model_.write)

    @classmethod
    def load(cls, path: str | Path) -> TextClassifier:
        """Load a bundle written by `save` (no pickle)."""
        folder = Path(path)
        meta = read_manifest(folder, expected_kind=BUNDLE_KIND)
        try:
            backend = str(meta["backend"])
            labels = [str(label) for label in meta["labels"]]
            backend_cls = BACKENDS.get(backend)
            settings = backend_cls.settings_from_dict(dict(meta["settings"]))
            model: ClassifierBackend = backend_cls.read(settings, folder)
        except (KeyError, TypeError, InvalidInputError) as exc:
            raise ModelBundleError(
                f"{path} is not a valid text-classifier bundle ({exc})"
            ) from None
        if model.n_classes != len(labels):
            raise ModelBundleError(
                f"{path}: {len(labels)} labels but weights for {model.n_classes} classes"
            )
        clf = cls(backend, seed=int(meta.get("seed", 0)), **settings.to_dict())
        clf.classes_ = labels
        clf.model_ = model
        clf.calibration_ = dict(meta.get("calibration") or {"method": "none", "temperature": 1.0})
        clf.calibrate = clf.calibration_.get("method") != "none"
        clf.settings_ = settings
        training = dict(meta.get("training_data", {}))
        clf.fingerprint_ = str(training.get("fingerprint", ""))
        clf.n_train_ = int(training.get("n_examples", 0))
        clf.languages_ = {str(k): int(v) for k, v in dict(training.get("languages", {})).items()}
        clf.metrics_ = dict(meta.get("metrics", {}))
        return clf

    def input_warnings(self, texts: Sequence[str]) -> list[list[str]]:
        """Reasons, per text, why a prediction may be meaningless (empty list when none).

        A text in a language the model never saw in training (Chinese for an English-only
        model, or the reverse), or one that shares no word with the training data, gets a
        prediction that is little more than the label prior: we say so instead of staying
        silent.
        """
        self._check_fitted()
        trained = {lang for lang, n in self.languages_.items() if n > 0}
        has_cjk = bool(trained & {"zh", "mixed"})
        has_en = bool(trained & {"en", "mixed"})
        known = self.model_.known_word_share(_check_texts(texts))
        out: list[list[str]] = []
        for text, share in zip(texts, known, strict=True):
            reasons = []
            lang = detect_language(text)
            if trained and (
                (lang in ("zh", "mixed") and not has_cjk) or (lang == "en" and not has_en)
            ):
                seen = ", ".join(sorted(trained))
                reasons.append(
                    f"the text looks {LANGUAGE_NAMES[lang]} but the model was trained on "
                    f"{seen} texts only; the prediction is unreliable"
                )
            if share == 0.0:
                reasons.append("none of the text's words occur in the training data")
            out.append(reasons)
        return out

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError("this TextClassifier is not fitted yet; call fit() or load()")


CALIBRATION_FOLDS = 3


def _out_of_fold_temperature(
    backend_cls: Any,
    settings: Any,
    texts: list[str],
    y: np.ndarray,
    n_classes: int,
    seed: int,
) -> dict[str, Any]:
    """Fit the softmax temperature on scores of models that did not see the scored texts."""
    from sklearn.model_selection import StratifiedKFold

    smallest = int(np.bincount(y, minlength=n_classes).min())
    folds = min(CALIBRATION_FOLDS, smallest)
    if folds < 2:
        logger.info("calibration skipped: a label has fewer than 2 examples")
        return {"method": "none", "temperature": 1.0, "reason": "a label has < 2 examples"}
    scores = np.zeros((len(texts), n_classes))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, held_idx in splitter.split(np.zeros(len(y)), y):
        fold_model: ClassifierBackend = backend_cls(settings)
        fold_model.fit([texts[i] for i in train_idx], y[train_idx], n_classes, seed)
        scores[held_idx] = fold_model.decision_function([texts[i] for i in held_idx])
    temperature = fit_temperature(scores, y)
    return {"method": "temperature", "temperature": round(temperature, 6), "folds": folds}


LANGUAGE_NAMES = {"zh": "Chinese", "en": "English", "mixed": "mixed Chinese-English"}


def language_counts(texts: Sequence[str]) -> dict[str, int]:
    """How many texts `detect_language` puts in each language."""
    counts: dict[str, int] = {}
    for text in texts:
        lang = detect_language(text)
        counts[lang] = counts.get(lang, 0) + 1
    return dict(sorted(counts.items()))


def training_fingerprint(texts: Sequence[str], labels: Sequence[str]) -> str:
    """sha256 over the training texts and labels (order-sensitive), as a hex string."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(text.encode("utf-8"))
        digest.update(b"\x1f")
        digest.update(label.encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise InvalidInputError("expected a list of texts, got a single str; wrap it in a list")
    texts_list = list(texts)
    if not texts_list:
        raise EmptyInputError("no texts given; pass at least one text")
    for i, text in enumerate(texts_list):
        if not isinstance(text, str):
            raise InvalidInputError(f"text {i} is a {type(text).__name__}, expected str")
        if not text.strip():
            raise EmptyInputError(f"text {i} is empty; every text needs some content")
    return texts_list
