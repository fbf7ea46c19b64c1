"""`evaluate`: classification, ranking and calibration metrics from predicted probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from medsage.errors import InvalidInputError
from medsage.evaluation._calibration import (
    brier_unchecked,
    ece_unchecked,
    nll_unchecked,
    reliability_bins,
)
from medsage.evaluation._result import (
    ClassMetrics,
    EvaluationResult,
    SubgroupGap,
    SubgroupMetrics,
)
from medsage.evaluation._validation import (
    check_classes,
    check_labels,
    check_min_group_size,
    check_n_bins,
    check_proba,
    check_top_k,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Default smallest subgroup (rows) that takes part in the subgroup gap.
DEFAULT_MIN_GROUP_SIZE = 30


def _prf(
    y_idx: IntArray, pred: IntArray, n_labels: int
) -> tuple[FloatArray, FloatArray, FloatArray, IntArray]:
    """Per-label precision, recall, F1 and support for label indices 0..n_labels-1."""
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, f1, support = precision_recall_fscore_support(
        y_idx, pred, labels=np.arange(n_labels), average=None, zero_division=0.0
    )
    return (
        np.asarray(precision, dtype=np.float64),
        np.asarray(recall, dtype=np.float64),
        np.asarray(f1, dtype=np.float64),
        np.asarray(support, dtype=np.intp),
    )


def _present(y_idx: IntArray, pred: IntArray, n_labels: int) -> npt.NDArray[np.bool_]:
    """Mask of labels occurring as a true or predicted label (the macro-average set)."""
    mask = np.zeros(n_labels, dtype=bool)
    mask[y_idx] = True
    mask[pred] = True
    return mask


def _macro_f1(y_idx: IntArray, pred: IntArray, n_labels: int) -> float:
    """Macro F1 over labels that occur in `y_idx` or `pred`."""
    _, _, f1, _ = _prf(y_idx, pred, n_labels)
    return float(f1[_present(y_idx, pred, n_labels)].mean())


def _top_k(y_idx: IntArray, proba: FloatArray, ks: list[int]) -> dict[int, float]:
    """Share of rows whose true class is among the k most probable (earlier class on ties)."""
    n_classes = proba.shape[1]
    usable = [k for k in ks if k <= n_classes]
    if not usable:
        return {}
    # Rank of the true class = classes with a higher probability + earlier classes with an
    # equal one, so top-1 agrees with the arg-max rule. Unseen labels rank last.
    seen = y_idx < n_classes
    rows = np.flatnonzero(seen)
    p_true = proba[rows, y_idx[seen]][:, None]
    earlier = np.arange(n_classes)[None, :] < y_idx[seen][:, None]
    rank = np.full(y_idx.shape[0], n_classes, dtype=np.intp)
    scores = proba[rows]
    higher = (scores > p_true).sum(axis=1)
    tied_before = ((scores == p_true) & earlier).sum(axis=1)
    rank[rows] = higher + tied_before
    return {k: float((rank < k).mean()) for k in usable}


def _auroc(
    y_idx: IntArray, proba: FloatArray, classes: list[str]
) -> tuple[float | None, dict[str, float | None]]:
    """One-vs-rest AUROC per class (None without both positives and negatives) and macro."""
    from sklearn.metrics import roc_auc_score

    per_class: dict[str, float | None] = {}
    for j, label in enumerate(classes):
        positive = y_idx == j
        n_pos = int(positive.sum())
        if n_pos == 0 or n_pos == positive.shape[0]:
            per_class[label] = None
        else:
            per_class[label] = float(roc_auc_score(positive, proba[:, j]))
    defined = [v for v in per_class.values() if v is not None]
    macro = float(np.mean(defined)) if defined else None
    return macro, per_class


def _confusion(y_idx: IntArray, pred: IntArray, n_labels: int) -> list[list[int]]:
    """Confusion counts, rows = true label index, columns = predicted label index."""
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(y_idx, pred, labels=np.arange(n_labels))
    return [[int(x) for x in row] for row in matrix]


def _subgroups(
    groups: list[str],
    y_idx: IntArray,
    pred: IntArray,
    proba: FloatArray,
    n_labels: int,
    n_bins: int,
    min_group_size: int,
) -> tuple[dict[str, SubgroupMetrics], SubgroupGap]:
    """Metrics per group value (sorted) and the accuracy gap across large-enough groups."""
    values = np.asarray(groups, dtype=object)
    out: dict[str, SubgroupMetrics] = {}
    for group in sorted(set(groups), key=str):
        mask = values == group
        g_idx, g_pred, g_proba = y_idx[mask], pred[mask], proba[mask]
        out[group] = SubgroupMetrics(
            n=int(mask.sum()),
            accuracy=float((g_idx == g_pred).mean()),
            macro_f1=_macro_f1(g_idx, g_pred, n_labels),
            ece=ece_unchecked(g_idx, g_proba, n_bins),
        )
    eligible = [g for g, m in out.items() if m.n >= min_group_size]
    if len(eligible) < 2:
        gap = SubgroupGap("accuracy", min_group_size, tuple(eligible), None, None, None, None, None)
        return out, gap
    ranked = sorted(eligible, key=lambda g: (out[g].accuracy, str(g)))
    worst, best = ranked[0], ranked[-1]
    gap = SubgroupGap(
        metric="accuracy",
        min_group_size=min_group_size,
        eligible_groups=tuple(eligible),
        gap=out[best].accuracy - out[worst].accuracy,
        best_group=best,
        best_value=out[best].accuracy,
        worst_group=worst,
        worst_value=out[worst].accuracy,
    )
    return out, gap


def evaluate(
    y_true: Sequence[str],
    proba: npt.ArrayLike,
    classes: Sequence[str],
    *,
    groups: Sequence[str] | None = None,
    top_k: Sequence[int] = (1, 3, 5),
    n_bins: int = 10,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> EvaluationResult:
    """Compute classification, ranking and calibration metrics of predicted probabilities.

    The prediction of each row is the arg-max of `proba` (the first class on ties). True labels
    that are not in `classes` count as errors; they are listed in `unseen_labels` and appended
    to `labels`, `per_class` and the confusion matrix. Macro averages run over the labels that
    occur as a true or predicted label.

    Args:
        y_true: True label per sample.
        proba: Probabilities, shape (n_samples, n_classes), columns in the order of `classes`,
            each row summing to 1 (within 1e-3).
        classes: The model's class names, unique.
        groups: Optional subgroup value per sample (e.g. hospital, sex, age band).
        top_k: Values of k for top-k accuracy; those above the number of classes are skipped.
        n_bins: Number of equal-width confidence bins for ECE and the reliability diagram.
        min_group_size: Smallest group (rows) that takes part in the subgroup accuracy gap.

    Returns:
        The metrics as an `EvaluationResult`.

    Raises:
        EmptyInputError: `y_true`, `classes` or `proba` is empty.
        InvalidInputError: Lengths or shapes disagree, `proba` holds NaN, negative values or
            rows not summing to 1, or an option is out of range.
    """
    labels_true = check_labels(y_true, "y_true")
    class_list = check_classes(classes)
    bins = check_n_bins(n_bins)
    ks = check_top_k(top_k)
    min_size = check_min_group_size(min_group_size)
    arr = check_proba(proba, len(labels_true), len(class_list))
    group_list: list[str] | None = None
    if groups is not None:
        group_list = check_labels(groups, "groups")
        if len(group_list) != len(labels_true):
            raise InvalidInputError(
                f"groups has {len(group_list)} entries but y_true has {len(labels_true)}; "
                "expected one group value per sample"
            )

    class_set = set(class_list)
    unseen = sorted({label for label in labels_true if label not in class_set}, key=str)
    labels = class_list + unseen
    position: dict[Any, int] = {label: i for i, label in enumerate(labels)}
    y_idx = np.fromiter((position[label] for label in labels_true), dtype=np.intp)
    pred = np.argmax(arr, axis=1).astype(np.intp)
    n_labels = len(labels)

    precision, recall, f1, support = _prf(y_idx, pred, n_labels)
    present = _present(y_idx, pred, n_labels)
    per_class = {
        label: ClassMetrics(
            precision=float(precision[i]),
            recall=float(recall[i]),
            f1=float(f1[i]),
            support=int(support[i]),
        )
        for i, label in enumerate(labels)
    }
    auroc_macro, auroc_per_class = _auroc(y_idx, arr, class_list)

    subgroups: dict[str, SubgroupMetrics] | None = None
    gap: SubgroupGap | None = None
    if group_list is not None:
        subgroups, gap = _subgroups(group_list, y_idx, pred, arr, n_labels, bins, min_size)

    return EvaluationResult(
        n=len(labels_true),
        classes=class_list,
        labels=labels,
        unseen_labels=unseen,
        accuracy=float((y_idx == pred).mean()),
        macro_f1=float(f1[present].mean()),
        weighted_f1=float((f1 * support).sum() / support.sum()),
        macro_precision=float(precision[present].mean()),
        macro_recall=float(recall[present].mean()),
        per_class=per_class,
        top_k_accuracy=_top_k(y_idx, arr, ks),
        auroc_ovr_macro=auroc_macro,
        auroc_per_class=auroc_per_class,
        ece=ece_unchecked(y_idx, arr, bins),
        brier=brier_unchecked(y_idx, arr),
        nll=nll_unchecked(y_idx, arr),
        n_bins=bins,
        reliability=reliability_bins(y_idx, arr, bins),
        confusion_matrix=_confusion(y_idx, pred, n_labels),
        subgroups=subgroups,
        subgroup_gap=gap,
    )
