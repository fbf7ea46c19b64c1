"""Re-ranking scorers of `TermNormalizer`: P(candidate is right | features), saved as JSON.

Two kinds: a logistic regression ("logistic") and gradient-boosted trees ("boosted", fitted by
scikit-learn's HistGradientBoostingClassifier). Both are scored here in NumPy from plain arrays,
so a saved normaliser is JSON and loading it needs no unpickling and no scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from medsage.errors import InvalidInputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

ScorerKind = Literal["logistic", "boosted"]
SCORER_KINDS: tuple[str, ...] = ("logistic", "boosted")


def _sigmoid(z: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0))), dtype=np.float64)


@dataclass
class LogisticScorer:
    """Standardised features -> logistic regression."""

    mean: FloatArray
    scale: FloatArray
    coef: FloatArray
    intercept: float

    @classmethod
    def fit(cls, x: FloatArray, y: FloatArray, *, c: float, seed: int) -> LogisticScorer:
        from sklearn.linear_model import LogisticRegression

        mean = x.mean(axis=0)
        std = x.std(axis=0)
        scale = np.where(std > 0, std, 1.0)
        model = LogisticRegression(C=c, max_iter=3000, random_state=seed)
        model.fit((x - mean) / scale, y.astype(int))
        return cls(mean, scale, np.asarray(model.coef_[0], np.float64), float(model.intercept_[0]))

    def predict(self, x: FloatArray) -> FloatArray:
        return _sigmoid(((x - self.mean) / self.scale) @ self.coef + self.intercept)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "logistic",
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogisticScorer:
        return cls(
            np.asarray(data["mean"], np.float64),
            np.asarray(data["scale"], np.float64),
            np.asarray(data["coef"], np.float64),
            float(data["intercept"]),
        )


@dataclass
class _Tree:
    feature: IntArray
    threshold: FloatArray
    left: IntArray
    right: IntArray
    is_leaf: npt.NDArray[np.bool_]
    value: FloatArray
    depth: int

    def predict(self, x: FloatArray) -> FloatArray:
        node = np.zeros(x.shape[0], dtype=np.intp)
        rows = np.arange(x.shape[0])
        for _ in range(self.depth):
            # Features are never NaN here, so scikit-learn's missing-value branch never applies.
            go_left = x[rows, self.feature[node]] <= self.threshold[node]
            nxt = np.where(go_left, self.left[node], self.right[node])
            node = np.where(self.is_leaf[node], node, nxt)
        return self.value[node]


@dataclass
class BoostedTreesScorer:
    """Gradient-boosted regression trees on the log-odds scale (binary log loss)."""

    baseline: float
    trees: list[_Tree]

    @classmethod
    def fit(
        cls,
        x: FloatArray,
        y: FloatArray,
        *,
        learning_rate: float,
        max_iter: int,
        seed: int,
    ) -> BoostedTreesScorer:
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(
            learning_rate=learning_rate,
            max_iter=max_iter,
            early_stopping=False,
            random_state=seed,
        )
        model.fit(x, y.astype(int))
        # The fitted trees live in the private `_predictors` (one list per iteration, one tree
        # for binary loss) and `_baseline_prediction`; the unit test checks our NumPy scoring
        # against `predict_proba`, so a scikit-learn change that breaks this fails loudly.
        trees = []
        for (predictor,) in model._predictors:
            nodes = predictor.nodes
            if bool(np.any(nodes["is_categorical"])):
                raise InvalidInputError("categorical splits are not expected in term features")
            trees.append(
                _Tree(
                    feature=np.asarray(nodes["feature_idx"], np.intp),
                    threshold=np.asarray(nodes["num_threshold"], np.float64),
                    left=np.asarray(nodes["left"], np.intp),
                    right=np.asarray(nodes["right"], np.intp),
                    is_leaf=np.asarray(nodes["is_leaf"], bool),
                    value=np.asarray(nodes["value"], np.float64),
                    depth=int(nodes["depth"].max()),
                )
            )
        return cls(float(np.ravel(model._baseline_prediction)[0]), trees)

    def predict(self, x: FloatArray) -> FloatArray:
        raw = np.full(x.shape[0], self.baseline, dtype=np.float64)
        for tree in self.trees:
            raw += tree.predict(x)
        return _sigmoid(raw)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "boosted",
            "baseline": self.baseline,
            "trees": [
                {
                    "feature": t.feature.tolist(),
                    "threshold": t.threshold.tolist(),
                    "left": t.left.tolist(),
                    "right": t.right.tolist(),
                    "is_leaf": t.is_leaf.astype(int).tolist(),
                    "value": t.value.tolist(),
                    "depth": t.depth,
                }
                for t in self.trees
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BoostedTreesScorer:
        trees = [
            _Tree(
                feature=np.asarray(t["feature"], np.intp),
                threshold=np.asarray(t["threshold"], np.float64),
                left=np.asarray(t["left"], np.intp),
                right=np.asarray(t["right"], np.intp),
                is_leaf=np.asarray(t["is_leaf"], bool),
                value=np.asarray(t["value"], np.float64),
                depth=int(t["depth"]),
            )
            for t in data["trees"]
        ]
        return cls(float(data["baseline"]), trees)


TermScorer = LogisticScorer | BoostedTreesScorer


def scorer_from_dict(data: dict[str, Any]) -> TermScorer:
    """Rebuild a scorer saved with `to_dict`."""
    kind = data.get("kind")
    if kind == "logistic":
        return LogisticScorer.from_dict(data)
    if kind == "boosted":
        return BoostedTreesScorer.from_dict(data)
    raise InvalidInputError(f"unknown scorer kind {kind!r}; expected one of {SCORER_KINDS}")
