"""Stratified train/test splits that keep every label's share and never crash on singletons."""

from __future__ import annotations

import math

from medsage.datasets._types import TextDataset
from medsage.errors import EmptyInputError, InvalidInputError


def _test_count(n: int, test_size: float) -> int:
    """Rows of a label with `n` rows that go to test: rounded half up, at least 1, at most n-1."""
    if n < 2:
        return 0
    return min(n - 1, max(1, math.floor(n * test_size + 0.5)))


def stratified_split(
    ds: TextDataset, *, test_size: float = 0.2, seed: int = 0
) -> tuple[TextDataset, TextDataset]:
    """Split `ds` into (train, test) per label with `numpy.random.Generator(PCG64(seed))`.

    Each label with n >= 2 rows sends round(n * test_size) of them (at least 1, at most n - 1)
    to test; labels with a single row stay in train. Both parts keep the source order, and the
    result depends only on the data, `test_size` and `seed`.
    """
    if isinstance(test_size, bool) or not isinstance(test_size, int | float):
        raise InvalidInputError(f"test_size must be a float in (0, 1), got {test_size!r}")
    if not 0.0 < test_size < 1.0:  # also rejects NaN
        raise InvalidInputError(
            f"test_size must be a float strictly between 0 and 1, got {test_size!r}"
        )
    if len(ds) == 0:
        raise EmptyInputError("cannot split an empty data set")
    import numpy as np

    rng = np.random.Generator(np.random.PCG64(seed))
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(ds.labels):
        by_label.setdefault(label, []).append(i)
    test: list[int] = []
    for label in sorted(by_label):
        indices = by_label[label]
        k = _test_count(len(indices), test_size)
        if k:
            chosen = rng.permutation(len(indices))[:k]
            test.extend(indices[int(j)] for j in chosen)
    if not test:
        raise InvalidInputError(
            f"no label of {ds.name or 'the data set'} has 2 or more rows, so nothing can go to "
            "the test split; add data or evaluate another way"
        )
    test_set = set(test)
    train_idx = [i for i in range(len(ds)) if i not in test_set]
    base = ds.name or "data"
    return (
        ds.subset(train_idx, name=f"{base}:train"),
        ds.subset(sorted(test), name=f"{base}:test"),
    )
