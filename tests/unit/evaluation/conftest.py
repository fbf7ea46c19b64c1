"""Fixtures for the evaluation tests: a small case whose metrics are computed by hand."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from evaluation_cases import HandCase, make_hand_case

from medsage.evaluation import EvaluationResult, evaluate


@pytest.fixture
def hand_case() -> HandCase:
    """The hand-computed case (see test_evaluation_metrics.py for the arithmetic)."""
    return make_hand_case()


@pytest.fixture
def hand_result(hand_case: HandCase) -> EvaluationResult:
    """`evaluate` on the hand case with 2 bins and top-k (1, 2, 3, 5)."""
    return evaluate(
        hand_case.y_true, hand_case.proba, hand_case.classes, top_k=(1, 2, 3, 5), n_bins=2
    )


@pytest.fixture
def random_case() -> tuple[list[str], npt.NDArray[np.float64], list[str]]:
    """200 rows, 6 classes, softmax of noisy logits, fixed seed."""
    rng = np.random.default_rng(12345)
    classes = [f"c{i}" for i in range(6)]
    n = 200
    y = rng.integers(0, len(classes), size=n)
    logits = rng.normal(size=(n, len(classes)))
    logits[np.arange(n), y] += 1.2
    proba = np.exp(logits)
    proba /= proba.sum(axis=1, keepdims=True)
    return [classes[i] for i in y], proba, classes
