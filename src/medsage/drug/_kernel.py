"""Kernel ridge models of molecules: a MinMax kernel on ECFP4 counts mixed with an RBF kernel on
the scaled 2D descriptors, hyper-parameters chosen by scaffold-grouped cross-validation.

- MinMax kernel (Ralaivola et al., Neural Networks 2005; the count generalisation of Tanimoto):
  k(a, b) = sum_i min(a_i, b_i) / sum_i max(a_i, b_i). sum min comes from one sparse product of
  "count >= k" indicator matrices, and sum max = sum a + sum b - sum min, so it is exact.
- RBF kernel on the clipped, standardised descriptors: exp(-gamma * ||d - d'||^2 / n_desc).
- The model's kernel is w * MinMax + (1 - w) * RBF; prediction is kernel ridge regression
  (Saunders et al. 1998) on the centred target. Classification regresses the +-1 labels
  (least-squares SVM, Suykens and Vandewalle 1999): a score that `PropertyModel` calibrates.
- (w, gamma, alpha) come from 3-fold cross-validation on the training molecules, folds made
  of whole Bemis-Murcko scaffolds, so the validation fold stays untouched for model choice and
  conformal calibration. Each fold's kernel is diagonalised once and every alpha reuses it.

Exact kernel ridge keeps an n x n matrix: fitting is limited to `MAX_TRAIN` molecules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from medsage.errors import InvalidInputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

MAX_TRAIN = 6000
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # w: share of the MinMax kernel
GAMMAS = (0.1, 0.3, 1.0)  # RBF width, per descriptor
ALPHAS = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # ridge penalty
DESC_CLIP = 6.0  # standardised descriptors are clipped to +-6 (outliers would flatten the RBF)
_MAX_LEVEL = 63  # counts above this share one indicator column (ECFP4 counts rarely pass 30)


def _expand(counts: npt.NDArray[Any]) -> tuple[Any, FloatArray]:
    """Sparse 0/1 matrix with a column per (bit, level) set when count >= level, and row sums."""
    import numpy as np
    from scipy import sparse

    c = np.minimum(np.rint(np.asarray(counts)).astype(np.int64), _MAX_LEVEL)
    rows, cols = [], []
    for level in range(1, int(c.max(initial=0)) + 1):
        r, j = np.nonzero(c >= level)
        rows.append(r)
        cols.append(j * (_MAX_LEVEL + 1) + level)
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    j = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    mat = sparse.csr_matrix(
        (np.ones(len(r)), (r, j)), shape=(c.shape[0], c.shape[1] * (_MAX_LEVEL + 1))
    )
    return mat, c.sum(axis=1).astype(np.float64)


def minmax_kernel(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> FloatArray:
    """MinMax similarity of every count fingerprint in `a` to every one in `b`, (len a, len b)."""
    return _minmax(_expand(a), _expand(b))


def _minmax(ea: tuple[Any, FloatArray], eb: tuple[Any, FloatArray]) -> FloatArray:
    import numpy as np

    (ma, sa), (mb, sb) = ea, eb
    smin = (ma @ mb.T).toarray()
    union = sa[:, None] + sb[None, :] - smin
    out: FloatArray = np.divide(smin, union, out=np.zeros_like(smin), where=union > 0)
    return out


def rbf_kernel(a: FloatArray, b: FloatArray, gamma: float) -> FloatArray:
    """exp(-gamma * squared distance / n_columns)."""
    import numpy as np

    d = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T
    out: FloatArray = np.exp(-gamma * np.maximum(d, 0.0) / max(a.shape[1], 1))
    return out


def _mix(mm: FloatArray, da: FloatArray, db: FloatArray, w: float, gamma: float) -> FloatArray:
    return mm if w >= 1.0 else w * mm + (1 - w) * rbf_kernel(da, db, gamma)


def scaffold_folds(groups: Sequence[Sequence[int]], k: int = 3) -> list[npt.NDArray[np.int64]]:
    """`k` folds of whole scaffold groups, largest groups first, each into the smallest fold."""
    import numpy as np

    folds: list[list[int]] = [[] for _ in range(k)]
    for g in sorted(groups, key=len, reverse=True):
        min(folds, key=len).extend(g)
    return [np.asarray(sorted(f), dtype=np.int64) for f in folds if f]


@dataclass
class KernelRidge:
    """Fitted kernel ridge for one or more tasks (targets: values, or +-1 class labels).

    `coef[:, j]` are task j's dual coefficients over the training molecules (0 where the task
    is unlabelled), `offset[j]` the training mean of its target."""

    weight: float
    gamma: float
    alpha: float
    train_counts: npt.NDArray[np.uint8]
    train_desc: FloatArray
    coef: FloatArray
    offset: FloatArray
    cv_metric: float = float("nan")
    _expanded: tuple[Any, FloatArray] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_expanded": None}

    def predict(self, counts: npt.NDArray[Any], desc: FloatArray) -> FloatArray:
        """Scores of shape (n, n_tasks) for count fingerprints and *scaled* descriptors."""
        import numpy as np

        if self._expanded is None:
            self._expanded = _expand(self.train_counts)
        out = np.empty((counts.shape[0], self.coef.shape[1]))
        d = np.clip(desc, -DESC_CLIP, DESC_CLIP)
        for start in range(0, counts.shape[0], 1024):
            rows = slice(start, start + 1024)
            mm = _minmax(_expand(counts[rows]), self._expanded)
            out[rows] = _mix(mm, d[rows], self.train_desc, self.weight, self.gamma) @ self.coef
        return out + self.offset[None, :]


def fit_kernel_ridge(
    counts: npt.NDArray[Any],
    desc: FloatArray,
    y: FloatArray,
    *,
    classification: bool,
    groups: Sequence[Sequence[int]],
) -> KernelRidge:
    """Choose (w, gamma, alpha) by scaffold-grouped 3-fold CV, then fit on all rows.

    `desc`: scaled descriptors; `y`: (n, n_tasks), NaN where unlabelled (0/1 for classes);
    `groups`: row indices per scaffold. The CV metric is RMSE, or for classes the mean
    squared error of the +-1 scores (the least-squares objective itself)."""
    import numpy as np

    n = counts.shape[0]
    if n > MAX_TRAIN:
        raise InvalidInputError(
            f"kernel ridge keeps an n x n kernel: at most {MAX_TRAIN:,} training molecules, "
            f"got {n:,}; use rf or hgb for larger sets"
        )
    target = 2.0 * y - 1.0 if classification else np.asarray(y, dtype=np.float64)
    d = np.clip(desc, -DESC_CLIP, DESC_CLIP)
    mm = _minmax(_expand(counts), _expand(counts))
    folds = scaffold_folds(groups)
    configs = [(w, g) for w in WEIGHTS for g in (GAMMAS if w < 1 else (GAMMAS[0],))]
    best: tuple[float, float, float, float] | None = None  # (error, w, gamma, alpha)
    for w, g in configs:
        k_full = _mix(mm, d, d, w, g)
        sq = dict.fromkeys(ALPHAS, 0.0)
        count = 0
        for held in folds:
            train = np.setdiff1d(np.arange(n), held)
            for rows, cols in _label_groups(target[train]):
                tr = train[rows]
                lam, q = np.linalg.eigh(k_full[np.ix_(tr, tr)])
                t = target[tr][:, cols]
                mu = t.mean(axis=0)
                qt = q.T @ (t - mu)
                k_held = k_full[np.ix_(held, tr)] @ q
                truth = target[held][:, cols]
                seen = ~np.isnan(truth)
                for a in ALPHAS:
                    pred = k_held @ (qt / (lam + a)[:, None]) + mu
                    sq[a] += float(((pred - np.nan_to_num(truth)) ** 2)[seen].sum())
            count += int((~np.isnan(target[held])).sum())
        for a in ALPHAS:
            err = float(np.sqrt(sq[a] / max(count, 1)))
            if best is None or err < best[0]:
                best = (err, w, g, a)
    assert best is not None
    err, w, g, a = best
    k_full = _mix(mm, d, d, w, g)
    coef = np.zeros((n, target.shape[1]))
    offset = np.zeros(target.shape[1])
    for rows, cols in _label_groups(target):
        t = target[rows][:, cols]
        offset[cols] = t.mean(axis=0)
        sol = np.linalg.solve(k_full[np.ix_(rows, rows)] + a * np.eye(len(rows)), t - t.mean(0))
        coef[np.ix_(rows, cols)] = sol
    stored = np.minimum(np.rint(np.asarray(counts)), _MAX_LEVEL).astype(np.uint8)
    return KernelRidge(w, g, a, stored, d, coef, offset, cv_metric=err)


def _label_groups(
    target: FloatArray,
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """Tasks that share the same labelled rows, so each row set is solved once for all of them:
    [(rows, task columns)]."""
    import numpy as np

    by_mask: dict[bytes, list[int]] = {}
    labelled = ~np.isnan(target)
    for j in range(target.shape[1]):
        by_mask.setdefault(np.packbits(labelled[:, j]).tobytes(), []).append(j)
    return [
        (np.flatnonzero(labelled[:, cols[0]]), np.asarray(cols, dtype=np.int64))
        for cols in by_mask.values()
    ]
