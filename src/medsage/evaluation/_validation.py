"""Input checks shared by the evaluation functions; each failure raises a MedSage error."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from medsage.errors import EmptyInputError, InvalidInputError

#: Largest allowed distance between a row sum of `proba` and 1.
ROW_SUM_TOLERANCE = 1e-3
#: Values of `proba` below this are rejected as negative (tiny negatives are rounding noise).
NEGATIVE_TOLERANCE = 1e-9


def _describe(value: object) -> str:
    """A short description of a received value for error messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_labels(values: Sequence[str], what: str) -> list[str]:
    """Return `values` as a list after checking it is a non-empty sequence (not a bare string).

    Args:
        values: The labels (or group values) received.
        what: The argument name used in messages.

    Returns:
        The values as a new list.
    """
    if isinstance(values, str | bytes):
        raise InvalidInputError(
            f"{what} must be a sequence of labels, one per sample, but received a single "
            f"string {_describe(values)}; wrap it in a list"
        )
    try:
        out = list(values)
    except TypeError as exc:
        raise InvalidInputError(
            f"{what} must be a sequence of labels, but received {type(values).__name__}"
        ) from exc
    if not out:
        raise EmptyInputError(f"{what} is empty; expected at least one entry")
    # numpy string scalars (from an array of labels) become plain str
    return [str(v) if isinstance(v, str) else v for v in out]


def check_classes(classes: Sequence[str]) -> list[str]:
    """Return the class names as a list after checking they are non-empty and unique."""
    out = check_labels(classes, "classes")
    duplicates = sorted(str(c) for c, count in Counter(out).items() if count > 1)
    if duplicates:
        raise InvalidInputError(
            f"classes must be unique (one per proba column) but these repeat: {duplicates}"
        )
    return out


def check_proba(
    proba: Any,
    n_rows: int | None = None,
    n_cols: int | None = None,
    *,
    row_what: str = "y_true",
    col_what: str = "classes",
) -> npt.NDArray[np.float64]:
    """Return `proba` as a float64 (n_samples, n_classes) array of probabilities.

    Args:
        proba: The received probabilities.
        n_rows: Expected number of rows (samples), or None to accept any.
        n_cols: Expected number of columns (classes), or None to accept any.
        row_what: Name of the argument that fixes the number of rows, for messages.
        col_what: Name of the argument that fixes the number of columns, for messages.

    Returns:
        The validated array (a copy only when a conversion was needed).
    """
    try:
        arr = np.asarray(proba, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"proba must be a numeric array of shape (n_samples, n_classes), but could not be "
            f"converted to numbers: {exc}"
        ) from exc
    if arr.ndim != 2:
        raise InvalidInputError(
            f"proba must be 2-dimensional (n_samples, n_classes) but has shape {arr.shape}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise EmptyInputError(f"proba is empty (shape {arr.shape}); expected at least one row")
    expected_rows = arr.shape[0] if n_rows is None else n_rows
    expected_cols = arr.shape[1] if n_cols is None else n_cols
    if arr.shape != (expected_rows, expected_cols):
        raise InvalidInputError(
            f"proba has shape {arr.shape} but expected ({expected_rows}, {expected_cols}): "
            f"one row per entry of {row_what} ({expected_rows}) and one column per entry of "
            f"{col_what} ({expected_cols}), in the same order"
        )
    finite = np.isfinite(arr)
    if not finite.all():
        row = int(np.argwhere(~finite)[0][0])
        count = int((~finite).sum())
        raise InvalidInputError(
            f"proba holds {count} NaN or infinite value(s) (first in row {row}); "
            "expected finite probabilities"
        )
    low = float(arr.min())
    if low < -NEGATIVE_TOLERANCE:
        row = int(np.argwhere(arr < -NEGATIVE_TOLERANCE)[0][0])
        raise InvalidInputError(
            f"proba holds negative values (minimum {low:.6g}, first in row {row}); expected "
            "probabilities in [0, 1] - pass softmax output, not logits or raw scores"
        )
    sums = arr.sum(axis=1)
    bad = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
    if bad.any():
        row = int(np.argmax(bad))
        raise InvalidInputError(
            f"proba rows must sum to 1 (within {ROW_SUM_TOLERANCE}), but {int(bad.sum())} "
            f"row(s) do not; row {row} sums to {float(sums[row]):.6g}. Pass probabilities "
            "(e.g. softmax output), not logits or raw scores"
        )
    return arr


def check_index_labels(y_true_idx: Any, n_rows: int) -> npt.NDArray[np.intp]:
    """Return class indices as an int array of length `n_rows`, each >= 0.

    An index >= the number of classes marks a label the model cannot predict.
    """
    arr = np.asarray(y_true_idx)
    if arr.ndim != 1:
        raise InvalidInputError(
            f"y_true_idx must be 1-dimensional (one class index per sample) but has shape "
            f"{arr.shape}"
        )
    if arr.size == 0:
        raise EmptyInputError("y_true_idx is empty; expected at least one class index")
    if not (np.issubdtype(arr.dtype, np.integer) and not np.issubdtype(arr.dtype, np.bool_)):
        raise InvalidInputError(
            f"y_true_idx must hold integer class indices but has dtype {arr.dtype}"
        )
    if arr.shape[0] != n_rows:
        raise InvalidInputError(
            f"y_true_idx has {arr.shape[0]} entries but proba has {n_rows} rows; expected one "
            "class index per row of proba"
        )
    if int(arr.min()) < 0:
        raise InvalidInputError(
            f"y_true_idx must be >= 0 but holds {int(arr.min())}; use an index >= n_classes "
            "for a label outside the model's classes"
        )
    return arr.astype(np.intp, copy=False)


def check_n_bins(n_bins: int) -> int:
    """Return `n_bins` after checking it is a positive integer."""
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise InvalidInputError(f"n_bins must be a positive integer but received {n_bins!r}")
    return int(n_bins)


def check_top_k(top_k: Sequence[int]) -> list[int]:
    """Return the distinct values of `top_k`, sorted, after checking each is a positive int."""
    try:
        values = list(top_k)
    except TypeError as exc:
        raise InvalidInputError(
            f"top_k must be a sequence of positive integers but received {_describe(top_k)}"
        ) from exc
    for k in values:
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise InvalidInputError(
                f"top_k must hold positive integers but received {k!r} in {_describe(top_k)}"
            )
    return sorted({int(k) for k in values})


def check_min_group_size(min_group_size: int) -> int:
    """Return `min_group_size` after checking it is a positive integer."""
    if (
        isinstance(min_group_size, bool)
        or not isinstance(min_group_size, int | np.integer)
        or min_group_size < 1
    ):
        raise InvalidInputError(
            f"min_group_size must be a positive integer but received {min_group_size!r}"
        )
    return int(min_group_size)
