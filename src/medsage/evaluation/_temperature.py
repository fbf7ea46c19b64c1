"""Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017).

One scalar T divides the class scores before the softmax; T is chosen to minimise the negative
log-likelihood on held-out scores. It changes confidence, never the ranking of classes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from medsage.errors import InvalidInputError

# Search range for T: wide enough for very over- and under-confident linear models.
T_MIN, T_MAX = 0.01, 100.0


def softmax(scores: npt.ArrayLike, temperature: float = 1.0) -> npt.NDArray[np.float64]:
    """Row-wise softmax of `scores / temperature` (numerically stable)."""
    z = np.asarray(scores, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    exp = np.exp(z)
    out: npt.NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
    return out


def _nll(scores: npt.NDArray[np.float64], y_idx: npt.NDArray[np.int64], t: float) -> float:
    z = scores / t
    z = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z).sum(axis=1))
    return float(np.mean(log_norm - z[np.arange(len(y_idx)), y_idx]))


def fit_temperature(scores: npt.ArrayLike, y_idx: npt.ArrayLike) -> float:
    """The temperature T in [0.01, 100] that minimises the NLL of `softmax(scores / T)`.

    Returns 1.0 (no change) when every row is already classified correctly, since the NLL
    then has no minimum: the held-out data cannot say how confident the model should be.

    Args:
        scores: held-out class scores (logits), shape (n_samples, n_classes).
        y_idx: true class index of each row.
    """
    from scipy.optimize import minimize_scalar

    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y_idx, dtype=np.int64)
    if s.ndim != 2 or s.shape[0] == 0 or s.shape[0] != y.shape[0]:
        raise InvalidInputError(
            f"fit_temperature needs scores (n, n_classes) and n labels; got {s.shape}, {y.shape}"
        )
    if not np.isfinite(s).all():
        raise InvalidInputError("fit_temperature got non-finite scores")
    if y.min() < 0 or y.max() >= s.shape[1]:
        raise InvalidInputError(f"class indices must lie in [0, {s.shape[1] - 1}]")
    if (s.argmax(axis=1) == y).all():
        # With every held-out prediction right, the NLL keeps falling as T -> 0: the data
        # cannot tell how confident to be, so leave the scores as they are.
        return 1.0
    found = minimize_scalar(
        lambda log_t: _nll(s, y, float(np.exp(log_t))),
        bounds=(np.log(T_MIN), np.log(T_MAX)),
        method="bounded",
        options={"xatol": 1e-4},
    )
    return float(np.exp(found.x))
