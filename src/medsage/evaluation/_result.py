"""Result types of an evaluation and their JSON form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Version of the `EvaluationResult.to_dict` layout; bumped when a key changes meaning.
SCHEMA_VERSION = 1

#: Top-level keys of `EvaluationResult.to_dict()`, in order.
RESULT_KEYS: tuple[str, ...] = (
    "schema_version",
    "primary_metric",
    "n",
    "classes",
    "labels",
    "unseen_labels",
    "accuracy",
    "macro_f1",
    "weighted_f1",
    "macro_precision",
    "macro_recall",
    "per_class",
    "top_k_accuracy",
    "auroc_ovr_macro",
    "auroc_per_class",
    "ece",
    "brier",
    "nll",
    "n_bins",
    "reliability",
    "confusion_matrix",
    "subgroups",
    "subgroup_gap",
)

#: Keys of each entry of `per_class`, `reliability`, `subgroups` and of `subgroup_gap`.
CLASS_KEYS: tuple[str, ...] = ("precision", "recall", "f1", "support")
BIN_KEYS: tuple[str, ...] = ("lower", "upper", "count", "mean_confidence", "accuracy")
SUBGROUP_KEYS: tuple[str, ...] = ("n", "accuracy", "macro_f1", "ece")
GAP_KEYS: tuple[str, ...] = (
    "metric",
    "min_group_size",
    "eligible_groups",
    "gap",
    "best_group",
    "best_value",
    "worst_group",
    "worst_value",
)

_DECIMALS = 6


def _num(value: float) -> float:
    """A Python float rounded to 6 decimals."""
    return round(float(value), _DECIMALS)


def _opt(value: float | None) -> float | None:
    """Like `_num`, passing None through."""
    return None if value is None else _num(value)


@dataclass(frozen=True)
class ClassMetrics:
    """Precision, recall, F1 and support (rows with this true label) of one label."""

    precision: float
    recall: float
    f1: float
    support: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form with keys `CLASS_KEYS`."""
        return {
            "precision": _num(self.precision),
            "recall": _num(self.recall),
            "f1": _num(self.f1),
            "support": int(self.support),
        }


@dataclass(frozen=True)
class ReliabilityBin:
    """One equal-width confidence bin `(lower, upper]` (the first also holds 0).

    `mean_confidence` and `accuracy` are None when the bin is empty.
    """

    lower: float
    upper: float
    count: int
    mean_confidence: float | None
    accuracy: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form with keys `BIN_KEYS`."""
        return {
            "lower": _num(self.lower),
            "upper": _num(self.upper),
            "count": int(self.count),
            "mean_confidence": _opt(self.mean_confidence),
            "accuracy": _opt(self.accuracy),
        }


@dataclass(frozen=True)
class SubgroupMetrics:
    """Metrics restricted to the rows of one subgroup."""

    n: int
    accuracy: float
    macro_f1: float
    ece: float

    def to_dict(self) -> dict[str, Any]:
        """JSON form with keys `SUBGROUP_KEYS`."""
        return {
            "n": int(self.n),
            "accuracy": _num(self.accuracy),
            "macro_f1": _num(self.macro_f1),
            "ece": _num(self.ece),
        }


@dataclass(frozen=True)
class SubgroupGap:
    """Spread of `metric` across subgroups that have at least `min_group_size` rows.

    `gap` (best minus worst) and the best/worst fields are None when fewer than two groups
    are large enough.
    """

    metric: str
    min_group_size: int
    eligible_groups: tuple[str, ...]
    gap: float | None
    best_group: str | None
    best_value: float | None
    worst_group: str | None
    worst_value: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form with keys `GAP_KEYS`."""
        return {
            "metric": self.metric,
            "min_group_size": int(self.min_group_size),
            "eligible_groups": [str(g) for g in self.eligible_groups],
            "gap": _opt(self.gap),
            "best_group": None if self.best_group is None else str(self.best_group),
            "best_value": _opt(self.best_value),
            "worst_group": None if self.worst_group is None else str(self.worst_group),
            "worst_value": _opt(self.worst_value),
        }


@dataclass(frozen=True)
class EvaluationResult:
    """Metrics of one model on one labelled data set (see `evaluate`).

    `labels` is `classes` followed by `unseen_labels` (true labels outside `classes`, sorted);
    `per_class` and the confusion matrix use that order. Macro averages run over the labels that
    occur in the true or predicted labels (the scikit-learn convention). `top_k_accuracy` holds
    each requested k with k <= number of classes. `subgroups` and `subgroup_gap` are None unless
    groups were given.
    """

    n: int
    classes: list[str]
    labels: list[str]
    unseen_labels: list[str]
    accuracy: float
    macro_f1: float
    weighted_f1: float
    macro_precision: float
    macro_recall: float
    per_class: dict[str, ClassMetrics]
    top_k_accuracy: dict[int, float]
    auroc_ovr_macro: float | None
    auroc_per_class: dict[str, float | None]
    ece: float
    brier: float
    nll: float
    n_bins: int
    reliability: list[ReliabilityBin]
    confusion_matrix: list[list[int]]
    subgroups: dict[str, SubgroupMetrics] | None = None
    subgroup_gap: SubgroupGap | None = None
    primary_metric: str = "accuracy"

    @property
    def primary_value(self) -> float:
        """The value of `primary_metric`."""
        value = getattr(self, self.primary_metric)
        return float(value)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict with the keys of `RESULT_KEYS`, in that order.

        Floats are Python floats rounded to 6 decimals; undefined values are None (never NaN).
        Mapping keys are strings: `top_k_accuracy` is keyed by str(k); `per_class` and
        `auroc_per_class` by label; `subgroups` by group value. `per_class` entries have keys
        `CLASS_KEYS`, `reliability` entries `BIN_KEYS`, `subgroups` entries `SUBGROUP_KEYS`,
        `subgroup_gap` has `GAP_KEYS`. `confusion_matrix` rows are true labels and columns
        predicted labels, both in the order of `labels`.
        """
        out: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "primary_metric": self.primary_metric,
            "n": int(self.n),
            "classes": [str(c) for c in self.classes],
            "labels": [str(c) for c in self.labels],
            "unseen_labels": [str(c) for c in self.unseen_labels],
            "accuracy": _num(self.accuracy),
            "macro_f1": _num(self.macro_f1),
            "weighted_f1": _num(self.weighted_f1),
            "macro_precision": _num(self.macro_precision),
            "macro_recall": _num(self.macro_recall),
            "per_class": {str(k): v.to_dict() for k, v in self.per_class.items()},
            "top_k_accuracy": {str(k): _num(v) for k, v in self.top_k_accuracy.items()},
            "auroc_ovr_macro": _opt(self.auroc_ovr_macro),
            "auroc_per_class": {str(k): _opt(v) for k, v in self.auroc_per_class.items()},
            "ece": _num(self.ece),
            "brier": _num(self.brier),
            "nll": _num(self.nll),
            "n_bins": int(self.n_bins),
            "reliability": [b.to_dict() for b in self.reliability],
            "confusion_matrix": [[int(x) for x in row] for row in self.confusion_matrix],
            "subgroups": None
            if self.subgroups is None
            else {str(k): v.to_dict() for k, v in self.subgroups.items()},
            "subgroup_gap": None if self.subgroup_gap is None else self.subgroup_gap.to_dict(),
        }
        return out
