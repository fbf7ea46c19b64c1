"""Molecular property models: tree ensembles and kernel ridge on ECFP4 + 2D descriptors, with
honest uncertainty.

`PropertyModel` fits one scikit-learn random forest (or gradient boosting) per task on the rows
labelled for that task, then turns every fitted tree into plain arrays (children, feature,
threshold, leaf value) and predicts with its own vectorised numpy traversal, so a saved bundle is
JSON + `.npy` arrays and nothing is ever unpickled. Kernel ridge ("krr", `_kernel.py`) stores its
training fingerprints, descriptors and dual coefficients the same way; "krr+rf" and "krr+hgb"
average the kernel's and the trees' raw outputs before calibration.

Uncertainty, per prediction:
- ensemble spread: the standard deviation of the per-tree predictions (random forest only);
- regression: a split-conformal interval (Vovk et al. 2005; Lei et al., JASA 2018) calibrated on
  the validation fold, normalised by the spread: score = |y - yhat| / (sigma + beta), beta =
  median sigma on the calibration rows (Papadopoulos et al. 2011), so intervals widen where
  trees disagree; nominal coverage `coverage` (default 0.9);
- classification: the forest's probability recalibrated on the validation fold (Platt scaling,
  Platt 1999, or isotonic regression, Zadrozny and Elkan 2002); `lower`/`upper` are the
  calibrated probabilities at raw p -/+ one spread (an uncertainty band, not a coverage claim);
- applicability domain: Tanimoto similarity (ECFP4 bits) to the nearest training molecule;
  `in_domain` when it is >= `domain_threshold` (default 0.3: below it, ECFP4 neighbours are
  rarely related, cf. the 0.3-0.4 range used by Sheridan et al., J. Chem. Inf. Comput. Sci. 2004).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from medsage.drug._features import (
    ECFP_SIZE,
    DescriptorScaler,
    FeatureBatch,
    Featurizer,
    featurize_smiles,
    parse_model_inputs,
)
from medsage.drug._kernel import KernelRidge, fit_kernel_ridge
from medsage.drug._trees import PackedForest, hist_tree, pack_trees
from medsage.drug._uncertainty import Calibrator, NeighbourIndex, conformal_quantile
from medsage.errors import EmptyInputError, InvalidInputError, NotFittedError, UnknownNameError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

BUNDLE_KIND = "drug.property_model"
ALGORITHMS = ("rf", "gb", "hgb", "krr", "krr+rf", "krr+hgb")
DEFAULT_DOMAIN_THRESHOLD = 0.3
TaskType = Literal["regression", "classification"]
Prediction = dict[str, float | bool | None]


# --------------------------------------------------------------------------- the model


@dataclass
class PredictionArrays:
    """Predictions for the parsed inputs as arrays of shape (n_inputs, n_tasks); NaN rows for
    inputs that could not be parsed (`errors[i]` says why)."""

    value: FloatArray
    lower: FloatArray
    upper: FloatArray
    spread: FloatArray
    nearest_similarity: FloatArray
    in_domain: npt.NDArray[np.bool_]
    errors: list[str]


class PropertyModel:
    """Tree-ensemble property model for one or more tasks of the same type.

    Args:
        name: the model's name (what the screen calls it).
        algorithm: "rf" (random forest), "gb" (gradient boosting), "hgb" (histogram
            gradient boosting: every feature is a split candidate at each node), "krr"
            (kernel ridge on MinMax ECFP + RBF descriptor kernels, `_kernel.py`), or
            "krr+rf" / "krr+hgb": the mean of kernel ridge and the tree model's raw outputs.
        n_estimators: trees per task.
        coverage: nominal coverage of the regression conformal intervals.
        calibration: "platt" or "isotonic" (classification).
        domain_threshold: nearest-neighbour Tanimoto below which a molecule is out of domain.
        seed: random seed of the tree learners.
        n_jobs: worker processes for fitting (prediction is numpy, single process).
    """

    def __init__(
        self,
        name: str = "model",
        *,
        algorithm: str = "rf",
        n_estimators: int = 200,
        coverage: float = 0.9,
        calibration: str = "platt",
        domain_threshold: float = DEFAULT_DOMAIN_THRESHOLD,
        seed: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.name = name
        self.algorithm = algorithm
        self.n_estimators = n_estimators
        self.coverage = coverage
        self.calibration = calibration
        self.domain_threshold = domain_threshold
        self.seed = seed
        self.n_jobs = n_jobs
        self.tasks: list[str] = []
        self.task_type: TaskType = "regression"
        self.forest_: PackedForest | None = None
        self.kernel_: KernelRidge | None = None
        self.estimators_: list[Any] = []  # the sklearn models of this session (never saved)
        self.scaler_ = DescriptorScaler()
        self.train_bits_: npt.NDArray[np.uint8] | None = None
        self.gb_init_: FloatArray | None = None
        self.gb_rate_: float = 1.0
        self.conformal_q_: list[float] = []
        self.conformal_beta_: list[float] = []
        self.calibrators_: list[Calibrator] = []
        self._featurizer: Featurizer | None = None
        self._neighbour_index: tuple[Any, NeighbourIndex] | None = None  # (train_bits_, index)

    def __getstate__(self) -> dict[str, Any]:
        """What a screening worker receives (in memory): no featurizer, which holds an
        RDKit generator that cannot be pickled (rebuilt on first use)."""
        return {**self.__dict__, "_featurizer": None}

    # ---- features

    @property
    def featurizer(self) -> Featurizer:
        """The ECFP4 + descriptor featurizer (built on first use)."""
        if self._featurizer is None:
            self._featurizer = Featurizer(counts=True)
        return self._featurizer

    def _features(self, mols: Sequence[Any], *, fit: bool = False) -> npt.NDArray[np.float32]:
        import numpy as np

        desc = self.featurizer.descriptors(mols)
        if fit:
            self.scaler_.fit(desc)
        return np.hstack([self.featurizer.ecfp(mols), self.scaler_.transform(desc)]).astype(
            np.float32
        )

    # ---- fit

    def fit(
        self,
        smiles: Sequence[str],
        y: FloatArray,
        *,
        val_smiles: Sequence[str],
        val_y: FloatArray,
        tasks: Sequence[str],
        task_type: TaskType,
    ) -> PropertyModel:
        """Fit on (`smiles`, `y`), calibrate on (`val_smiles`, `val_y`); `y` has shape
        (n, n_tasks) with NaN for missing labels. Unparseable SMILES are errors."""
        import numpy as np

        if self.algorithm not in ALGORITHMS:
            raise UnknownNameError(f"algorithm {self.algorithm!r}; expected one of {ALGORITHMS}")
        if task_type not in ("regression", "classification"):
            raise InvalidInputError(f"task_type must be regression or classification: {task_type}")
        y = np.asarray(y, dtype=np.float64).reshape(len(smiles), -1)
        val_y = np.asarray(val_y, dtype=np.float64).reshape(len(val_smiles), -1)
        if y.shape[1] != len(tasks) or val_y.shape[1] != len(tasks):
            raise InvalidInputError(
                f"labels have {y.shape[1]} / {val_y.shape[1]} columns but {len(tasks)} tasks"
            )
        if len(smiles) == 0 or len(val_smiles) == 0:
            raise EmptyInputError("fit needs training and validation molecules; got none")
        mols, val_mols = self._parse_all(smiles, "training"), self._parse_all(val_smiles, "val")
        self.tasks, self.task_type = list(tasks), task_type
        x = self._features(mols, fit=True)
        xv = self._features(val_mols)
        self.train_bits_ = self.featurizer.ecfp_bits(mols)
        for j in range(len(tasks)):
            rows = ~np.isnan(y[:, j])
            if task_type == "classification" and len(np.unique(y[rows, j])) < 2:
                raise InvalidInputError(
                    f"task {tasks[j]!r} has one class only in the training molecules; "
                    "a classifier needs both 0 and 1 labels (drop the task or resplit)"
                )
        if "krr" in self.algorithm:
            from medsage.drug._splits import scaffold_sets

            self.kernel_ = fit_kernel_ridge(
                x[:, :ECFP_SIZE],
                x[:, ECFP_SIZE:].astype(np.float64),
                y,
                classification=task_type == "classification",
                groups=list(scaffold_sets(list(smiles)).values()),
            )
        if self.tree_algorithm is not None:
            self._fit_trees(x, y)
        raw, spread = self._raw(xv)
        self.conformal_q_, self.conformal_beta_, self.calibrators_ = [], [], []
        for j in range(len(tasks)):
            rows = ~np.isnan(val_y[:, j])
            if task_type == "regression":
                sigma = spread[rows, j]
                beta = float(np.median(sigma)) if sigma.size and np.median(sigma) > 0 else 1.0
                scores = np.abs(val_y[rows, j] - raw[rows, j]) / (sigma + beta)
                self.conformal_beta_.append(beta)
                self.conformal_q_.append(conformal_quantile(scores, self.coverage))
            else:
                self.calibrators_.append(
                    Calibrator.fit(self.calibration, raw[rows, j], val_y[rows, j])
                )
        return self

    @property
    def tree_algorithm(self) -> str | None:
        """The tree part of the algorithm ("rf", "gb", "hgb"), None for kernel ridge alone."""
        return None if self.algorithm == "krr" else self.algorithm.removeprefix("krr+")

    def _fit_trees(self, x: npt.NDArray[np.float32], y: FloatArray) -> None:
        import numpy as np

        algo = self.tree_algorithm
        trees: list[tuple[Any, int]] = []
        self.estimators_, inits = [], []
        for j in range(len(self.tasks)):
            rows = ~np.isnan(y[:, j])
            est = self._make_estimator(y[rows, j])
            regression = self.task_type == "regression"
            est.fit(x[rows], y[rows, j] if regression else y[rows, j].astype(int))
            self.estimators_.append(est)
            trees += self._trees_of(est, j)
            inits.append(self._gb_init(est, x[:1]))
        self.forest_ = pack_trees(
            trees, classifier=self.task_type == "classification" and algo == "rf"
        )
        self.gb_init_ = np.asarray(inits, dtype=np.float64)
        # HistGradientBoosting stores leaf values already multiplied by its learning rate.
        self.gb_rate_ = (
            1.0 if algo == "hgb" else float(getattr(self.estimators_[0], "learning_rate", 1.0))
        )

    def _parse_all(self, smiles: Sequence[str], what: str) -> list[Any]:
        mols, ok, errors = parse_model_inputs(smiles)
        if len(ok) != len(smiles):
            bad = next(i for i, e in enumerate(errors) if e)
            raise InvalidInputError(
                f"{what} molecule {bad} cannot be used: {errors[bad]}; "
                f"{len(smiles) - len(ok)} of {len(smiles)} failed, remove them before fitting"
            )
        return mols

    def _make_estimator(self, y: FloatArray) -> Any:
        from sklearn.ensemble import (
            GradientBoostingClassifier,
            GradientBoostingRegressor,
            RandomForestClassifier,
            RandomForestRegressor,
        )

        common = {"n_estimators": self.n_estimators, "random_state": self.seed}
        algo = self.tree_algorithm
        if algo == "rf":
            # max_features: p/3 for regression, sqrt(p) for classification (Breiman 2001; the
            # randomForest defaults), which also keeps fitting on 2,000+ columns affordable.
            if self.task_type == "regression":
                return RandomForestRegressor(**common, n_jobs=self.n_jobs, max_features=1 / 3)
            return RandomForestClassifier(**common, n_jobs=self.n_jobs, max_features="sqrt")
        if algo == "hgb":
            from sklearn.ensemble import (
                HistGradientBoostingClassifier,
                HistGradientBoostingRegressor,
            )

            # Histogram gradient boosting (the LightGBM algorithm, Ke et al. 2017), defaults
            # of scikit-learn except the learning rate; every one of the ~2,100 columns is a
            # split candidate, so the 47 descriptors are not drowned by the ECFP bits. On the
            # validation folds of FreeSolv and ESOL it beat the forest (benchmarks/README.md).
            hist = (
                HistGradientBoostingRegressor
                if self.task_type == "regression"
                else HistGradientBoostingClassifier
            )
            return hist(max_iter=self.n_estimators, learning_rate=0.05, random_state=self.seed)
        cls = (
            GradientBoostingRegressor
            if self.task_type == "regression"
            else (GradientBoostingClassifier)
        )
        return cls(**common, learning_rate=0.05, max_depth=6, subsample=0.8, max_features="sqrt")

    def _trees_of(self, est: Any, task: int) -> list[tuple[Any, int]]:
        if self.tree_algorithm == "rf":
            return [(t.tree_, task) for t in est.estimators_]
        if self.tree_algorithm == "hgb":
            return [(hist_tree(p[0]), task) for p in est._predictors]
        return [(t.tree_, task) for t in est.estimators_[:, 0]]

    def _gb_init(self, est: Any, x1: npt.NDArray[np.float32]) -> float:
        import numpy as np

        if self.tree_algorithm == "hgb":
            return float(np.ravel(est._baseline_prediction)[0])
        if self.tree_algorithm != "gb":
            return 0.0
        return float(est._raw_predict_init(x1)[0, 0])

    # ---- predict

    def _neighbours(self) -> NeighbourIndex:
        """The applicability-domain index of `train_bits_`, built on first use."""
        assert self.train_bits_ is not None
        cached = self._neighbour_index
        if cached is None or cached[0] is not self.train_bits_:
            cached = (self.train_bits_, NeighbourIndex(self.train_bits_))
            self._neighbour_index = cached
        return cached[1]

    def _raw(self, x: npt.NDArray[np.float32]) -> tuple[FloatArray, FloatArray]:
        """Raw prediction (regression value or uncalibrated p) and spread, (n, n_tasks) each.
        An ensemble ("krr+rf", "krr+hgb") averages the two raw outputs and keeps the spread
        of the forest's trees."""
        import numpy as np

        if not self._fitted():
            raise NotFittedError(f"property model {self.name!r} is not fitted")
        n, k = x.shape[0], len(self.tasks)
        raw, spread = np.zeros((n, k)), np.zeros((n, k))
        if self.forest_ is not None:
            out = self.forest_.tree_outputs(x)
            for j in range(k):
                cols = out[:, self.forest_.tree_task == j]
                if self.tree_algorithm == "rf":
                    raw[:, j] = cols.mean(axis=1)
                    spread[:, j] = cols.std(axis=1)
                else:
                    assert self.gb_init_ is not None
                    z = self.gb_init_[j] + self.gb_rate_ * cols.sum(axis=1)
                    raw[:, j] = z if self.task_type == "regression" else 1 / (1 + np.exp(-z))
        if self.kernel_ is not None:
            score = self.kernel_.predict(x[:, :ECFP_SIZE], x[:, ECFP_SIZE:].astype(np.float64))
            if self.task_type == "classification":
                # +-1 scores to (0, 1) by a fixed logistic; the calibrator fitted on the
                # validation fold (Platt on the logit, or isotonic) gives the probability.
                score = 1 / (1 + np.exp(-4.0 * score))
            raw = score if self.forest_ is None else (raw + score) / 2
        return raw, spread

    def _fitted(self) -> bool:
        return self.train_bits_ is not None and (
            self.forest_ is not None or self.kernel_ is not None
        )

    def predict_arrays(self, smiles: Sequence[str], *, batch_size: int = 512) -> PredictionArrays:
        """Predictions with intervals, spread and domain flags as arrays (see PredictionArrays)."""
        import numpy as np

        if not self._fitted():
            raise NotFittedError(f"property model {self.name!r} is not fitted")
        n, k = len(smiles), len(self.tasks)
        nan = np.full((n, k), np.nan)
        res = PredictionArrays(
            nan.copy(), nan.copy(), nan.copy(), nan.copy(), nan.copy(), np.zeros((n, k), bool), []
        )
        for first in range(0, n, 4096):
            part = featurize_smiles(smiles[first : first + 4096])
            res.errors += part.errors
            self._predict_part(part, first, res, batch_size)
        return res

    def _predict_part(
        self, part: FeatureBatch, first: int, res: PredictionArrays, batch_size: int
    ) -> None:
        import numpy as np

        assert self.train_bits_ is not None
        for start in range(0, len(part.ok), batch_size):
            idx = first + np.asarray(part.ok[start : start + batch_size], dtype=np.int64)
            rows = slice(start, start + batch_size)
            x = np.hstack([part.ecfp[rows], self.scaler_.transform(part.descriptors[rows])]).astype(
                np.float32
            )
            raw, spread = self._raw(x)
            sim = self._neighbours().nearest(part.bits[rows])
            self._fill(res, idx, raw, spread, sim)

    def predict_features(self, part: FeatureBatch) -> list[dict[str, Prediction]]:
        """`predict` for molecules already featurised with `featurize_mols` (the screen's
        workers featurise each standardised molecule once for all their models)."""
        import numpy as np

        if not self._fitted():
            raise NotFittedError(f"property model {self.name!r} is not fitted")
        n, k = len(part.errors), len(self.tasks)
        nan = np.full((n, k), np.nan)
        res = PredictionArrays(
            nan.copy(), nan.copy(), nan.copy(), nan.copy(), nan.copy(), np.zeros((n, k), bool),
            list(part.errors),
        )  # fmt: skip
        self._predict_part(part, 0, res, 512)
        return self._as_dicts(res)

    def _fill(
        self,
        res: PredictionArrays,
        idx: npt.NDArray[np.int64],
        raw: FloatArray,
        spread: FloatArray,
        sim: FloatArray,
    ) -> None:
        import numpy as np

        for j in range(len(self.tasks)):
            if self.task_type == "regression":
                half = self.conformal_q_[j] * (spread[:, j] + self.conformal_beta_[j])
                value, lower, upper = raw[:, j], raw[:, j] - half, raw[:, j] + half
            else:
                cal = self.calibrators_[j]
                value = cal(raw[:, j])
                lower = cal(np.clip(raw[:, j] - spread[:, j], 0.0, 1.0))
                upper = cal(np.clip(raw[:, j] + spread[:, j], 0.0, 1.0))
            res.value[idx, j], res.lower[idx, j], res.upper[idx, j] = value, lower, upper
            res.spread[idx, j] = spread[:, j]
        res.nearest_similarity[idx] = sim[:, None]
        res.in_domain[idx] = (sim >= self.domain_threshold)[:, None]

    def predict(self, smiles: Sequence[str]) -> list[dict[str, Prediction]]:
        """One dict per input: task -> {"value", "lower", "upper", "nearest_similarity",
        "in_domain"}. For classification, value is the calibrated probability of class 1.
        An input RDKit cannot parse gets None everywhere and in_domain False."""
        return self._as_dicts(self.predict_arrays(smiles))

    def _as_dicts(self, a: PredictionArrays) -> list[dict[str, Prediction]]:
        out: list[dict[str, Prediction]] = []
        for i in range(len(a.errors)):
            row: dict[str, Prediction] = {}
            for j, task in enumerate(self.tasks):
                if a.errors[i]:
                    row[task] = dict.fromkeys(
                        ("value", "lower", "upper", "nearest_similarity"), None
                    ) | {"in_domain": False}
                    continue
                row[task] = {
                    "value": float(a.value[i, j]),
                    "lower": float(a.lower[i, j]),
                    "upper": float(a.upper[i, j]),
                    "nearest_similarity": float(a.nearest_similarity[i, j]),
                    "in_domain": bool(a.in_domain[i, j]),
                }
            out.append(row)
        return out

    # ---- persistence

    def save(self, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
        """Write the model bundle folder (medsage.json + .npy arrays; no pickle)."""
        import numpy as np

        from medsage.models._bundle import save_bundle

        if not self._fitted() or self.train_bits_ is None or self.scaler_.mean_ is None:
            raise NotFittedError(f"property model {self.name!r} is not fitted")
        arrays: dict[str, Any] = {
            **(self.forest_.arrays() if self.forest_ is not None else {}),
            "train_bits": self.train_bits_,
            "scaler_mean": self.scaler_.mean_,
            "scaler_scale": self.scaler_.scale_,
            "gb_init": self.gb_init_ if self.gb_init_ is not None else np.zeros(0),
        }
        for j, cal in enumerate(self.calibrators_):
            if cal.xs is not None and cal.ys is not None:
                arrays[f"isotonic_x_{j}"], arrays[f"isotonic_y_{j}"] = cal.xs, cal.ys
        kernel = self.kernel_
        if kernel is not None:
            arrays |= {
                "krr_train_counts": kernel.train_counts,
                "krr_train_desc": kernel.train_desc,
                "krr_coef": kernel.coef,
                "krr_offset": kernel.offset,
            }
        meta = {
            "name": self.name,
            "tasks": self.tasks,
            "task_type": self.task_type,
            "algorithm": self.algorithm,
            "n_estimators": self.n_estimators,
            "coverage": self.coverage,
            "calibration": self.calibration,
            "domain_threshold": self.domain_threshold,
            "seed": self.seed,
            "gb_learning_rate": self.gb_rate_,
            "kernel": None
            if kernel is None
            else {
                "weight": kernel.weight,
                "gamma": kernel.gamma,
                "alpha": kernel.alpha,
                "cv_metric": kernel.cv_metric,
            },
            "conformal_q": [q if math.isfinite(q) else None for q in self.conformal_q_],
            "conformal_beta": self.conformal_beta_,
            "calibrators": [{"method": c.method, "a": c.a, "b": c.b} for c in self.calibrators_],
            "features": {"ecfp_radius": 2, "ecfp_size": 2048, "counts": True},
            "n_train": int(self.train_bits_.shape[0]),
            "metrics": metrics or {},
        }

        def write(folder: Path) -> None:
            for key, arr in arrays.items():
                np.save(folder / f"{key}.npy", np.asarray(arr), allow_pickle=False)

        return save_bundle(path, kind=BUNDLE_KIND, meta=meta, write_files=write)


def load_property_model(path: str | Path) -> PropertyModel:
    """Load a bundle written by `PropertyModel.save` (arrays only; nothing is unpickled)."""
    from medsage.errors import ModelBundleError
    from medsage.models._bundle import load_array, read_manifest

    folder = Path(path)
    meta = read_manifest(folder, expected_kind=BUNDLE_KIND)
    a = {f[:-4]: load_array(folder / f) for f in meta["files"] if f.endswith(".npy")}
    try:
        model = PropertyModel(
            str(meta["name"]),
            algorithm=meta["algorithm"],
            n_estimators=meta["n_estimators"],
            coverage=meta["coverage"],
            calibration=meta["calibration"],
            domain_threshold=meta["domain_threshold"],
            seed=meta["seed"],
        )
        model.tasks = [str(t) for t in meta["tasks"]]
        model.task_type = meta["task_type"]
        model.forest_ = PackedForest.from_arrays(a) if model.tree_algorithm else None
        kernel = meta.get("kernel")
        if kernel is not None:
            model.kernel_ = KernelRidge(
                float(kernel["weight"]),
                float(kernel["gamma"]),
                float(kernel["alpha"]),
                a["krr_train_counts"],
                a["krr_train_desc"],
                a["krr_coef"],
                a["krr_offset"],
                cv_metric=float(kernel["cv_metric"]),
            )
        elif "krr" in model.algorithm:
            raise KeyError("kernel")
        model.train_bits_ = a["train_bits"]
        model.scaler_ = DescriptorScaler(a["scaler_mean"], a["scaler_scale"])
        model.gb_init_ = a["gb_init"]
        model.gb_rate_ = float(meta["gb_learning_rate"])
        model.conformal_q_ = [math.inf if q is None else float(q) for q in meta["conformal_q"]]
        model.conformal_beta_ = [float(b) for b in meta["conformal_beta"]]
        model.calibrators_ = [
            Calibrator(
                c["method"], c["a"], c["b"], a.get(f"isotonic_x_{j}"), a.get(f"isotonic_y_{j}")
            )
            for j, c in enumerate(meta["calibrators"])
        ]
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ModelBundleError(
            f"{folder} is not a complete property-model bundle ({exc})"
        ) from None
    return model


def manifest_summary(path: str | Path) -> str:
    """One-line JSON summary of a property-model bundle (name, tasks, type, metrics)."""
    from medsage.models._bundle import read_manifest

    meta = read_manifest(Path(path), expected_kind=BUNDLE_KIND)
    keys = ("name", "tasks", "task_type", "algorithm", "n_train", "metrics")
    return json.dumps({k: meta.get(k) for k in keys}, ensure_ascii=False)
