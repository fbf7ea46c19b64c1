"""The main job on embedded defaults: train, evaluate and use a classifier on the demo set.

The demo set (`resources/demo/cases.jsonl`) was written by the MedSage authors: invented
Chinese and English case descriptions for six conditions. It shows the workflow; its numbers
say nothing about clinical performance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from medsage.datasets import TextDataset, stratified_split
from medsage.evaluation import EvaluationResult
from medsage.models import (
    Prediction,
    TrainingRun,
    evaluate_classifier,
    predict_texts,
    train_text_classifier,
    write_classifier_report,
)
from medsage.models._backend import Progress, no_progress
from medsage.settings import get_settings

# Cases in a style the demo set does not use, to show predictions on new text.
EXAMPLE_CASES = (
    "62岁男性，突发胸骨后压榨样疼痛1小时，向左肩放射，大汗，血压９０／６０ｍｍＨｇ。",
    "Fever 39.1 °C, productive cough and right-sided pleuritic pain for three days; SpO2 91%.",
    "小便时烧灼感，尿频尿急两天，无发热。",
    "Throbbing one-sided headache with nausea and light sensitivity since this morning.",
)


@dataclass(frozen=True)
class DemoResult:
    """What the demo produced and where it wrote it."""

    training: TrainingRun
    test: EvaluationResult
    predictions: list[Prediction]
    report: Path
    model_dir: Path
    n_train: int
    n_test: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": str(self.model_dir),
            "report": str(self.report),
            "n_train": self.n_train,
            "n_test": self.n_test,
            "test": {
                "accuracy": self.test.accuracy,
                "macro_f1": self.test.macro_f1,
                "ece": self.test.ece,
                "subgroups": {k: v.to_dict() for k, v in (self.test.subgroups or {}).items()},
            },
            "predictions": [p.to_dict() for p in self.predictions],
        }


def load_demo_cases() -> TextDataset:
    """The embedded demo set, with the language of each case as its group."""
    source = resources.files("medsage.resources").joinpath("demo/cases.jsonl")
    rows = [json.loads(line) for line in source.read_text("utf-8").splitlines() if line.strip()]
    return TextDataset(
        texts=[r["text"] for r in rows],
        labels=[r["label"] for r in rows],
        groups=[r["lang"] for r in rows],
        name="medsage-demo",
    )


def run_demo(
    out: str | Path | None = None, *, seed: int = 0, progress: Progress = no_progress
) -> DemoResult:
    """Split the demo set 75/25, train the tfidf classifier, evaluate, predict, write a report.

    Args:
        out: output folder (default `$MEDSAGE_HOME/demo`).
        seed: seed of the split and the model.
    """
    out_dir = Path(out) if out is not None else get_settings().home / "demo"
    data = load_demo_cases()
    train, test = stratified_split(data, test_size=0.25, seed=seed)
    training = train_text_classifier(
        train, out_dir / "model", dev=None, backend="tfidf", seed=seed, progress=progress
    )
    progress(f"evaluating on {len(test)} held-out cases")
    result = evaluate_classifier(training.model, test)
    report = write_classifier_report(
        training.model,
        test,
        result,
        out_dir / "report.html",
        title="MedSage demo: case classification (Chinese and English)",
        model_dir=training.bundle,
    )
    predictions = predict_texts(training.model, list(EXAMPLE_CASES))
    return DemoResult(
        training=training,
        test=result,
        predictions=predictions,
        report=report,
        model_dir=training.bundle,
        n_train=len(train),
        n_test=len(test),
    )
