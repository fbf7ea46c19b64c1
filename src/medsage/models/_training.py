"""Train, evaluate and predict with a `TextClassifier` on `TextDataset`s (what the CLI calls)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medsage.datasets import TextDataset
from medsage.evaluation import EvaluationResult, evaluate, softmax, write_html_report
from medsage.models._backend import Progress, no_progress
from medsage.models._classifier import TextClassifier


@dataclass(frozen=True)
class TrainingRun:
    """What `train_text_classifier` did."""

    model: TextClassifier
    bundle: Path
    n_train: int
    dev: EvaluationResult | None
    fit_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "bundle": str(self.bundle),
            "backend": self.model.backend,
            "labels": self.model.classes_,
            "n_train": self.n_train,
            "fit_seconds": round(self.fit_seconds, 3),
            "dev": None if self.dev is None else self.dev.to_dict(),
        }


@dataclass(frozen=True)
class Prediction:
    """One text's predicted label and the probability of every label."""

    text: str
    label: str
    probabilities: dict[str, float]
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """`{"text", "label", "probabilities"}`, plus `"warnings"` when there are any."""
        out: dict[str, Any] = {
            "text": self.text,
            "label": self.label,
            "probabilities": self.probabilities,
        }
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


def train_text_classifier(
    train: TextDataset,
    out: str | Path,
    *,
    dev: TextDataset | None = None,
    backend: str = "tfidf",
    seed: int = 0,
    params: dict[str, Any] | None = None,
    progress: Progress = no_progress,
) -> TrainingRun:
    """Fit a classifier on `train`, evaluate it on `dev` when given, save the bundle to `out`."""
    progress(f"fitting {backend} on {len(train)} examples")
    started = time.perf_counter()
    model = TextClassifier(backend, seed=seed, **(params or {})).fit(
        train.texts,
        train.labels,
        dev=None if dev is None else (dev.texts, dev.labels),
        progress=progress,
    )
    fit_seconds = time.perf_counter() - started
    dev_result = None
    metrics: dict[str, Any] = {}
    if dev is not None:
        progress(f"evaluating on {len(dev)} dev examples")
        dev_result = evaluate_classifier(model, dev)
        metrics = {
            "dev": {
                "n": dev_result.n,
                "accuracy": dev_result.accuracy,
                "macro_f1": dev_result.macro_f1,
                "ece": dev_result.ece,
            }
        }
    progress("saving the model bundle")
    bundle = model.save(out, metrics=metrics)
    return TrainingRun(model, bundle, len(train), dev_result, fit_seconds)


def evaluate_classifier(model: TextClassifier, data: TextDataset) -> EvaluationResult:
    """Metrics of `model` on `data` (subgroup metrics when `data.groups` is set)."""
    proba = model.predict_proba(data.texts)
    return evaluate(data.labels, proba, model.classes_, groups=data.groups)


def calibration_effect(model: TextClassifier, data: TextDataset) -> dict[str, Any]:
    """ECE and Brier score on `data` without and with the model's softmax temperature."""
    scores = model.decision_function(data.texts)
    temperature = float(model.calibration_["temperature"])
    before = evaluate(data.labels, softmax(scores, 1.0), model.classes_)
    after = evaluate(data.labels, softmax(scores, temperature), model.classes_)
    return {
        "method": model.calibration_.get("method", "none"),
        "temperature": temperature,
        "ece_before": before.ece,
        "ece_after": after.ece,
        "brier_before": before.brier,
        "brier_after": after.brier,
    }


def predict_texts(model: TextClassifier, texts: Sequence[str]) -> list[Prediction]:
    """Predictions with the full probability table, labels in the model's order."""
    proba = model.predict_proba(texts)
    warnings = model.input_warnings(texts)
    out = []
    for text, row, reasons in zip(texts, proba, warnings, strict=True):
        probabilities = {
            label: round(float(p), 6) for label, p in zip(model.classes_, row, strict=True)
        }
        label = model.classes_[int(row.argmax())]
        out.append(Prediction(text, label, probabilities, tuple(reasons)))
    return out


def write_classifier_report(
    model: TextClassifier,
    data: TextDataset,
    result: EvaluationResult,
    path: str | Path,
    *,
    title: str,
    model_dir: str | Path | None = None,
    n_examples: int = 20,
) -> Path:
    """HTML report of `result`, with model facts and the first `n_examples` predictions."""
    shown = data.subset(range(min(n_examples, len(data))))
    predictions = predict_texts(model, shown.texts) if len(shown) else []
    examples = [
        {
            "text": p.text,
            "true": true,
            "predicted": p.label,
            "confidence": p.probabilities[p.label],
        }
        for p, true in zip(predictions, shown.labels, strict=True)
    ]
    info: dict[str, object] = {
        "backend": model.backend,
        "labels": len(model.classes_),
        "training examples": model.n_train_,
        "training data fingerprint": model.fingerprint_[:16],
        "evaluation data": data.name or "(unnamed)",
    }
    if model_dir is not None:
        info["model bundle"] = str(model_dir)
    return write_html_report(result, path, title=title, model_info=info, examples=examples)
