"""Calibration metrics: expected calibration error, Brier score, log loss, reliability bins.

Class indices in `y_true_idx` point at columns of `proba`. An index >= the number of columns
marks a true label the model cannot predict: it is always a miss, and the model gave it
probability 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from medsage.evaluation._result import ReliabilityBin
from medsage.evaluation._validation import check_index_labels, check_n_bins, check_proba

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Probabilities are clipped to [NLL_EPS, 1] before the logarithm in `negative_log_likelihood`.
NLL_EPS = 1e-15


def bin_edges(n_bins: int) -> FloatArray:
    """The `n_bins + 1` equal-width bin edges from 0 to 1."""
    return np.linspace(0.0, 1.0, n_bins + 1)


def bin_index(confidence: FloatArray, n_bins: int) -> IntArray:
    """The bin of each confidence: bins are `(lower, upper]`, the first one also holds 0."""
    interior = bin_edges(n_bins)[1:-1]
    return np.searchsorted(interior, confidence, side="left").astype(np.intp)


def confidence_and_correct(y_idx: IntArray, proba: FloatArray) -> tuple[FloatArray, BoolArray]:
    """Top-class probability and whether the top class (first on ties) is the true one."""
    pred = np.argmax(proba, axis=1)
    confidence = proba[np.arange(proba.shape[0]), pred]
    return confidence.astype(np.float64), pred == y_idx


def _ece(confidence: FloatArray, correct: BoolArray, n_bins: int) -> float:
    """ECE from precomputed confidences and hits."""
    idx = bin_index(confidence, n_bins)
    counts = np.bincount(idx, minlength=n_bins).astype(np.float64)
    conf_sum = np.bincount(idx, weights=confidence, minlength=n_bins)
    hit_sum = np.bincount(idx, weights=correct.astype(np.float64), minlength=n_bins)
    filled = counts > 0
    gaps = np.abs(hit_sum[filled] - conf_sum[filled])  # = count * |accuracy - confidence|
    return float(gaps.sum() / confidence.shape[0])


def ece_unchecked(y_idx: IntArray, proba: FloatArray, n_bins: int) -> float:
    """`expected_calibration_error` without input checks (inputs already validated)."""
    confidence, correct = confidence_and_correct(y_idx, proba)
    return _ece(confidence, correct, n_bins)


def reliability_bins(y_idx: IntArray, proba: FloatArray, n_bins: int) -> list[ReliabilityBin]:
    """Per-bin count, mean top-class confidence and accuracy (all bins, empty ones too)."""
    confidence, correct = confidence_and_correct(y_idx, proba)
    idx = bin_index(confidence, n_bins)
    edges = bin_edges(n_bins)
    out: list[ReliabilityBin] = []
    for b in range(n_bins):
        mask = idx == b
        count = int(mask.sum())
        out.append(
            ReliabilityBin(
                lower=float(edges[b]),
                upper=float(edges[b + 1]),
                count=count,
                mean_confidence=float(confidence[mask].mean()) if count else None,
                accuracy=float(correct[mask].mean()) if count else None,
            )
        )
    return out


def brier_unchecked(y_idx: IntArray, proba: FloatArray) -> float:
    """`brier_score` without input checks (inputs already validated)."""
    n, k = proba.shape
    onehot = np.zeros((n, k), dtype=np.float64)
    seen = y_idx < k
    onehot[np.flatnonzero(seen), y_idx[seen]] = 1.0
    per_row = ((proba - onehot) ** 2).sum(axis=1)
    per_row = per_row + (~seen).astype(np.float64)  # unseen label: (0 - 1)^2 on its own column
    return float(per_row.mean())


def nll_unchecked(y_idx: IntArray, proba: FloatArray) -> float:
    """Mean negative log probability of the true label, clipped to [NLL_EPS, 1]."""
    n, k = proba.shape
    seen = y_idx < k
    p_true = np.zeros(n, dtype=np.float64)
    p_true[seen] = proba[np.flatnonzero(seen), y_idx[seen]]
    return float(-np.log(np.clip(p_true, NLL_EPS, 1.0)).mean())


def expected_calibration_error(
    y_true_idx: Sequence[int] | npt.NDArray[np.integer],
    proba: npt.ArrayLike,
    n_bins: int = 10,
) -> float:
    """Expected calibration error of the top-class confidence, over equal-width bins.

    ECE = sum over bins of (bin count / n) * |bin accuracy - bin mean confidence|, where
    bins are `(lower, upper]` on [0, 1] (the first one also holds 0) and the predicted class
    is the arg-max of each row (first class on ties).

    Args:
        y_true_idx: True class index per row; an index >= n_classes counts as a miss.
        proba: Probabilities, shape (n_samples, n_classes), rows summing to 1.
        n_bins: Number of equal-width bins.

    Returns:
        The ECE, in [0, 1].
    """
    bins = check_n_bins(n_bins)
    arr = check_proba(proba, row_what="y_true_idx", col_what="the model's classes")
    idx = check_index_labels(y_true_idx, arr.shape[0])
    return ece_unchecked(idx, arr, bins)


def brier_score(
    y_true_idx: Sequence[int] | npt.NDArray[np.integer],
    proba: npt.ArrayLike,
) -> float:
    """Multi-class Brier score: mean over rows of sum over classes of (p - one-hot)^2.

    A true label outside the columns (index >= n_classes) adds 1 for its own, implicit column
    with probability 0. Ranges from 0 (perfect) to 2.

    Args:
        y_true_idx: True class index per row.
        proba: Probabilities, shape (n_samples, n_classes), rows summing to 1.

    Returns:
        The Brier score.
    """
    arr = check_proba(proba, row_what="y_true_idx", col_what="the model's classes")
    idx = check_index_labels(y_true_idx, arr.shape[0])
    return brier_unchecked(idx, arr)
