"""ECE, Brier score and log loss on cases computed by hand.

Hand case (conftest.py), 2 equal-width bins (0, 0.5] and (0.5, 1]:
- bin 1 holds confidences 0.40 (hit) and 0.45 (miss): mean 0.425, accuracy 0.5, gap 0.075
- bin 2 holds confidences 0.90 (hit) and 0.70 (miss): mean 0.800, accuracy 0.5, gap 0.300
- ECE = 2/4 * 0.075 + 2/4 * 0.300 = 0.1875
Brier, row by row (p - one-hot)^2 summed over a, b, c:
- (0.9-1)^2 + 0.05^2 + 0.05^2 = 0.015
- (0.2-1)^2 + 0.7^2 + 0.1^2 = 1.14
- (0.4-1)^2 + 0.35^2 + 0.25^2 = 0.545
- 0.3^2 + (0.25-1)^2 + 0.45^2 = 0.855
- mean = 2.555 / 4 = 0.63875
"""

from __future__ import annotations

import numpy as np
import pytest
from evaluation_cases import HandCase

from medsage.errors import EmptyInputError, InvalidInputError
from medsage.evaluation import brier_score, expected_calibration_error


def test_when_two_bins_then_ece_matches_hand_computation(hand_case: HandCase) -> None:
    y_idx = [0, 0, 0, 1]
    assert expected_calibration_error(y_idx, hand_case.proba, n_bins=2) == pytest.approx(0.1875)


def test_when_one_bin_then_ece_is_gap_between_mean_confidence_and_accuracy(
    hand_case: HandCase,
) -> None:
    # mean confidence (0.9 + 0.7 + 0.4 + 0.45) / 4 = 0.6125, accuracy 0.5
    value = expected_calibration_error(np.array([0, 0, 0, 1]), hand_case.proba, n_bins=1)
    assert value == pytest.approx(0.1125)


def test_when_confidence_is_on_a_bin_edge_then_it_falls_in_the_lower_bin() -> None:
    # Confidence exactly 0.5 with 2 bins belongs to (0, 0.5]: one bin, mean 0.5, accuracy 1.
    proba = np.array([[0.5, 0.5], [0.5, 0.5]])
    assert expected_calibration_error([0, 0], proba, n_bins=2) == pytest.approx(0.5)


def test_when_perfectly_confident_and_right_then_ece_and_brier_are_zero() -> None:
    proba = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert expected_calibration_error([0, 1], proba) == 0.0
    assert brier_score([0, 1], proba) == 0.0


def test_when_hand_case_then_brier_matches_hand_computation(hand_case: HandCase) -> None:
    assert brier_score([0, 0, 0, 1], hand_case.proba) == pytest.approx(0.63875)


def test_when_confidently_wrong_then_brier_is_two() -> None:
    assert brier_score([1], np.array([[1.0, 0.0]])) == pytest.approx(2.0)


def test_when_label_index_is_outside_columns_then_brier_adds_one_and_ece_counts_miss() -> None:
    proba = np.array([[0.6, 0.4]])
    # 0.6^2 + 0.4^2 + (0 - 1)^2 for the implicit column of the unseen label
    assert brier_score([2], proba) == pytest.approx(1.52)
    # one miss at confidence 0.6
    assert expected_calibration_error([2], proba) == pytest.approx(0.6)


def test_when_sklearn_brier_is_available_then_binary_case_agrees() -> None:
    from sklearn.metrics import brier_score_loss

    rng = np.random.default_rng(7)
    p1 = rng.uniform(size=50)
    y = rng.integers(0, 2, size=50)
    proba = np.column_stack([1 - p1, p1])
    # The multi-class Brier of a binary problem is twice the binary (positive-class) one.
    assert brier_score(y, proba) == pytest.approx(2 * brier_score_loss(y, p1))


@pytest.mark.parametrize(
    ("y_idx", "proba", "message"),
    [
        ([0.0, 1.0], [[0.5, 0.5], [0.5, 0.5]], "integer class indices"),
        ([0], [[0.5, 0.5], [0.5, 0.5]], "y_true_idx has 1 entries but proba has 2 rows"),
        ([-1, 0], [[0.5, 0.5], [0.5, 0.5]], "must be >= 0"),
        ([[0, 1]], [[0.5, 0.5], [0.5, 0.5]], "1-dimensional"),
        ([0, 1], [[0.5, 0.6], [0.5, 0.5]], "sum to 1"),
        ([0, 1], [0.5, 0.5], "2-dimensional"),
    ],
)
def test_when_calibration_inputs_are_invalid_then_invalid_input_error_explains(
    y_idx: object, proba: object, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        expected_calibration_error(y_idx, proba)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=message):
        brier_score(y_idx, proba)  # type: ignore[arg-type]


def test_when_calibration_inputs_are_empty_then_empty_input_error() -> None:
    with pytest.raises(EmptyInputError, match="proba is empty"):
        brier_score([], np.zeros((0, 2)))
    with pytest.raises(EmptyInputError, match="y_true_idx is empty"):
        expected_calibration_error(np.array([], dtype=int), np.ones((1, 1)))


@pytest.mark.parametrize("n_bins", [0, -3, True, 2.5])
def test_when_n_bins_is_not_a_positive_int_then_error_names_it(n_bins: object) -> None:
    with pytest.raises(InvalidInputError, match="n_bins must be a positive integer"):
        expected_calibration_error([0], [[1.0]], n_bins=n_bins)  # type: ignore[arg-type]
