"""Temperature scaling (Guo et al. 2017)."""

from __future__ import annotations

import numpy as np
import pytest

from medsage.errors import InvalidInputError
from medsage.evaluation import fit_temperature, softmax


def test_when_softmax_then_rows_sum_to_one_and_temperature_flattens() -> None:
    scores = np.array([[2.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(softmax(scores), [[0.880797, 0.119203], [0.5, 0.5]], atol=1e-6)
    np.testing.assert_allclose(softmax(scores, 2.0)[0], [0.731059, 0.268941], atol=1e-6)


def test_when_scores_overconfident_then_temperature_above_one() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=600)
    # The true class wins 60% of the time but with huge margins: overconfident scores.
    winners = np.where(rng.random(600) < 0.6, y, (y + 1) % 3)
    scores = np.zeros((600, 3))
    scores[np.arange(600), winners] = 20.0
    t = fit_temperature(scores, y)
    assert t > 5
    confidence = softmax(scores, t).max(axis=1).mean()
    assert abs(confidence - 0.6) < 0.05


def test_when_scores_calibrated_by_construction_then_temperature_near_one() -> None:
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(4000, 4)) * 2
    proba = softmax(scores)
    y = np.array([rng.choice(4, p=row) for row in proba])
    assert fit_temperature(scores, y) == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize(
    ("scores", "y", "message"),
    [
        (np.zeros((0, 2)), np.zeros(0, dtype=int), "needs scores"),
        (np.zeros((2, 2)), np.zeros(3, dtype=int), "needs scores"),
        (np.array([[np.nan, 0.0]]), np.array([0]), "non-finite"),
        (np.zeros((1, 2)), np.array([2]), r"class indices must lie in \[0, 1\]"),
    ],
)
def test_when_input_bad_then_clear_error(scores: np.ndarray, y: np.ndarray, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        fit_temperature(scores, y)


def test_when_every_held_out_prediction_right_then_temperature_left_at_one() -> None:
    scores = np.array([[3.0, 0.0], [0.0, 2.0], [1.0, 0.5]])
    assert fit_temperature(scores, np.array([0, 1, 0])) == 1.0
