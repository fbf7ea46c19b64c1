"""Uncertainty for the property models: split-conformal thresholds, probability calibration,
and nearest-neighbour Tanimoto similarity for the applicability domain."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from medsage.errors import InvalidInputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]


def conformal_quantile(scores: FloatArray, coverage: float) -> float:
    """The split-conformal threshold: the ceil((n+1) * coverage)-th smallest score (Lei et al.
    2018, eq. 3); +inf when n is too small for the requested coverage."""
    import numpy as np

    if not 0.0 < coverage < 1.0:
        raise InvalidInputError(f"coverage must be between 0 and 1 (exclusive), got {coverage}")
    s = np.sort(np.asarray(scores, dtype=np.float64))
    k = math.ceil((s.shape[0] + 1) * coverage)
    return math.inf if k > s.shape[0] else float(s[k - 1])


def fit_platt(p: FloatArray, y: FloatArray) -> tuple[float, float]:
    """Platt scaling on the logit of `p`: calibrated = sigmoid(a * logit(p) + b)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    if len(np.unique(y)) < 2:
        return 1.0, 0.0  # one class only: keep the forest's probabilities
    z = _logit(p)[:, None]
    lr = LogisticRegression(C=1e4, max_iter=1000).fit(z, y.astype(int))
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _logit(p: FloatArray) -> FloatArray:
    import numpy as np

    q = np.clip(p, 1e-4, 1 - 1e-4)
    out: FloatArray = np.log(q / (1 - q))
    return out


@dataclass
class Calibrator:
    """Maps raw forest probabilities to calibrated ones (Platt or isotonic, fitted on val)."""

    method: str
    a: float = 1.0
    b: float = 0.0
    xs: FloatArray | None = None
    ys: FloatArray | None = None

    def __call__(self, p: FloatArray) -> FloatArray:
        import numpy as np

        if self.method == "isotonic" and self.xs is not None and self.ys is not None:
            out: FloatArray = np.interp(p, self.xs, self.ys)
            return out
        z = self.a * _logit(p) + self.b
        sig: FloatArray = 1.0 / (1.0 + np.exp(-z))
        return sig

    @classmethod
    def fit(cls, method: str, p: FloatArray, y: FloatArray) -> Calibrator:
        import numpy as np

        if method == "isotonic" and len(np.unique(y)) == 2:
            from sklearn.isotonic import IsotonicRegression

            iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(p, y)
            return cls(
                "isotonic",
                xs=iso.X_thresholds_.astype(np.float64),
                ys=iso.y_thresholds_.astype(np.float64),
            )
        a, b = fit_platt(p, y)
        return cls("platt", a=a, b=b)


# --------------------------------------------------------------------------- domain


class NeighbourIndex:
    """Training fingerprints kept as a sparse matrix, for nearest-neighbour Tanimoto queries.

    ECFP4 bit vectors are sparse (about 45 of 2,048 bits set), so the bit intersections of a
    block of queries with every training molecule come from one sparse matrix product, about
    4x faster than popcounts over packed words (benchmarks/README.md, screening throughput).
    Counts are exact integers, so the similarities equal RDKit's `BulkTanimotoSimilarity`.
    """

    def __init__(self, train_bits: npt.NDArray[np.uint8]) -> None:
        import numpy as np
        from scipy import sparse

        dense = np.unpackbits(np.ascontiguousarray(train_bits), axis=1)
        self._train_t = sparse.csr_matrix(dense.T.astype(np.float32))  # (bits, n_train)
        self._train_count = dense.sum(axis=1, dtype=np.int64)

    def nearest(self, query_bits: npt.NDArray[np.uint8]) -> FloatArray:
        """Tanimoto similarity of each packed query fingerprint to its nearest training one."""
        import numpy as np
        from scipy import sparse

        out = np.zeros(query_bits.shape[0], dtype=np.float64)
        if self._train_count.shape[0] == 0:
            return out
        chunk = max(1, 4_000_000 // self._train_count.shape[0])  # <= ~32 MB of float64
        for start in range(0, query_bits.shape[0], chunk):
            dense = np.unpackbits(np.ascontiguousarray(query_bits[start : start + chunk]), axis=1)
            inter = (sparse.csr_matrix(dense.astype(np.float32)) @ self._train_t).toarray()
            inter = inter.astype(np.float64)
            union = dense.sum(axis=1, dtype=np.int64)[:, None] + self._train_count[None, :] - inter
            sim = np.divide(inter, union, out=np.zeros(inter.shape), where=union > 0)
            out[start : start + chunk] = sim.max(axis=1)
        return out


def nearest_similarity(
    query_bits: npt.NDArray[np.uint8], train_bits: npt.NDArray[np.uint8]
) -> FloatArray:
    """Tanimoto similarity of each query fingerprint to its nearest training fingerprint.

    Both arguments are packed bit arrays (`np.packbits`, 256 bytes for 2048 bits). A model
    that queries many times keeps a `NeighbourIndex` instead.
    """
    return NeighbourIndex(train_bits).nearest(query_bits)
