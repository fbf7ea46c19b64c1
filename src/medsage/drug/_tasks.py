"""Train and score property models on MoleculeNet task sets (what `medsage drug models` runs)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medsage.drug._models import (
    PredictionArrays,
    PropertyModel,
    TaskType,
    load_property_model,
)
from medsage.errors import InvalidInputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]


def evaluate_predictions(
    task_type: TaskType, y: FloatArray, pred: PredictionArrays
) -> dict[str, float | int]:
    """Test-fold metrics: RMSE and conformal coverage / mean interval width (regression), or
    mean ROC-AUC over tasks with both classes and Brier score (classification); plus the
    fraction of molecules inside the applicability domain."""
    import numpy as np

    mask = ~np.isnan(y) & ~np.isnan(pred.value)
    out: dict[str, float | int] = {"molecules": int(y.shape[0])}
    if task_type == "regression":
        err = (y - pred.value)[mask]
        out["rmse"] = float(np.sqrt(np.mean(err**2)))
        out["mae"] = float(np.mean(np.abs(err)))
        inside = (y >= pred.lower) & (y <= pred.upper)
        out["conformal_coverage"] = float(inside[mask].mean())
        out["interval_mean_width"] = float((pred.upper - pred.lower)[mask].mean())
    else:
        from sklearn.metrics import roc_auc_score

        aucs = []
        for j in range(y.shape[1]):
            rows = mask[:, j]
            if len(np.unique(y[rows, j])) == 2:
                aucs.append(float(roc_auc_score(y[rows, j], pred.value[rows, j])))
        out["roc_auc"] = float(np.mean(aucs)) if aucs else math.nan
        out["tasks_scored"] = len(aucs)
        out["brier"] = float(np.mean((pred.value[mask] - y[mask]) ** 2))
    out["in_domain_fraction"] = float(pred.in_domain[:, 0].mean()) if y.shape[0] else 0.0
    return out


def _task_split(task: str, data_dir: str | Path, seed: int) -> tuple[Any, Any]:
    from medsage.datasets._moleculenet import load_moleculenet
    from medsage.drug._splits import scaffold_split

    ds = load_moleculenet(task, data_dir)
    return ds, scaffold_split(ds.smiles, seed=seed)


def train_task_model(
    task: str,
    data_dir: str | Path,
    out: str | Path,
    *,
    algorithm: str = "rf",
    n_estimators: int = 200,
    seed: int = 0,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """Train a property model on MoleculeNet `task` (balanced scaffold split 80/10/10, `seed`):
    fit on train, calibrate on validation, score on test, save the bundle at `out`.

    Returns {"task", "path", "split", "metrics"}.
    """
    ds, split = _task_split(task, data_dir, seed)

    def sub(ix: list[int]) -> list[str]:
        return [ds.smiles[i] for i in ix]

    model = PropertyModel(
        task, algorithm=algorithm, n_estimators=n_estimators, seed=seed, n_jobs=n_jobs
    )
    model.fit(
        sub(split.train),
        ds.labels[split.train],
        val_smiles=sub(split.val),
        val_y=ds.labels[split.val],
        tasks=ds.tasks,
        task_type=ds.task_type,
    )
    metrics = evaluate_predictions(
        ds.task_type, ds.labels[split.test], model.predict_arrays(sub(split.test))
    )
    sizes = {
        "train": len(split.train),
        "val": len(split.val),
        "test": len(split.test),
        "seed": seed,
    }
    path = model.save(out, metrics={"test": metrics, "split": sizes})
    return {"task": task, "path": str(path), "split": sizes, "metrics": metrics}


def evaluate_task_model(
    model_path: str | Path, task: str, data_dir: str | Path, *, seed: int = 0
) -> dict[str, Any]:
    """Score a saved model on the test fold of MoleculeNet `task` (scaffold split `seed`)."""
    model = load_property_model(model_path)
    ds, split = _task_split(task, data_dir, seed)
    if list(ds.tasks) != model.tasks:
        raise InvalidInputError(
            f"model {model.name!r} predicts {model.tasks[:3]}... but task set {task!r} has "
            f"{ds.tasks[:3]}...; evaluate it on the task set it was trained on"
        )
    pred = model.predict_arrays([ds.smiles[i] for i in split.test])
    return {
        "task": task,
        "model": model.name,
        "seed": seed,
        "metrics": evaluate_predictions(ds.task_type, ds.labels[split.test], pred),
    }
