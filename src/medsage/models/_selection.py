"""Choose classifier settings by stratified k-fold cross-validation on training data only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from medsage.datasets import TextDataset
from medsage.errors import InvalidInputError
from medsage.models._backend import Progress, no_progress
from medsage.models._classifier import TextClassifier

# A small grid that covers what mattered on our benchmarks: loss (SVM or logistic) and class
# weights (long-tailed label sets such as CHIP-CTC). Word and character n-grams stay on.
TFIDF_GRID: tuple[dict[str, Any], ...] = (
    {"model": "svm", "C": 1.0, "class_weight": None},
    {"model": "svm", "C": 0.5, "class_weight": "balanced"},
    {"model": "logreg", "C": 10.0, "class_weight": None},
    {"model": "logreg", "C": 10.0, "class_weight": "balanced"},
)
METRICS = ("accuracy", "macro_f1")


@dataclass(frozen=True)
class SelectionResult:
    """Cross-validated score of each candidate and the winner (first on ties)."""

    metric: str
    folds: int
    best_params: dict[str, Any]
    candidates: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "folds": self.folds,
            "best_params": self.best_params,
            "candidates": self.candidates,
        }


def select_settings(
    data: TextDataset,
    *,
    backend: str = "tfidf",
    grid: Sequence[Mapping[str, Any]] = TFIDF_GRID,
    metric: str = "accuracy",
    folds: int = 3,
    seed: int = 0,
    progress: Progress = no_progress,
) -> SelectionResult:
    """Score every settings dict in `grid` by k-fold CV on `data`; never touches a test split.

    Args:
        data: the training data.
        grid: candidate backend settings.
        metric: "accuracy" or "macro_f1".
        folds: number of stratified folds.
    """
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold

    if metric not in METRICS:
        raise InvalidInputError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")
    if not grid:
        raise InvalidInputError("the settings grid is empty")
    counts = np.unique(np.array(data.labels), return_counts=True)[1]
    if folds < 2 or counts.min() < folds:
        raise InvalidInputError(
            f"{folds}-fold selection needs at least {folds} examples of every label; the "
            f"rarest label has {int(counts.min())}"
        )
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(np.zeros(len(data)), data.labels))
    candidates: list[dict[str, Any]] = []
    for i, params in enumerate(grid, start=1):
        scores = []
        for k, (train_idx, held_idx) in enumerate(splits, start=1):
            progress(f"candidate {i}/{len(grid)}, fold {k}/{folds}")
            train, held = data.subset(train_idx), data.subset(held_idx)
            model = TextClassifier(backend, seed=seed, calibrate=False, **dict(params))
            predicted = model.fit(train.texts, train.labels).predict(held.texts)
            if metric == "accuracy":
                scores.append(float(accuracy_score(held.labels, predicted)))
            else:
                scores.append(float(f1_score(held.labels, predicted, average="macro")))
        candidates.append({"params": dict(params), "mean": float(np.mean(scores)), "folds": scores})
    best = max(range(len(candidates)), key=lambda j: (candidates[j]["mean"], -j))
    return SelectionResult(metric, folds, dict(candidates[best]["params"]), candidates)
