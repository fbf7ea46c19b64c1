"""Evaluation of probabilistic text classifiers: metrics, calibration, plots and HTML report.

`evaluate` turns true labels and predicted probabilities into an `EvaluationResult`;
`write_html_report` renders it as one self-contained HTML file. Importing this package does not
import scikit-learn, matplotlib or Jinja2; they load when first needed.
"""

from __future__ import annotations

from medsage.evaluation._calibration import brier_score, expected_calibration_error
from medsage.evaluation._metrics import DEFAULT_MIN_GROUP_SIZE, evaluate
from medsage.evaluation._plots import plot_confusion_matrix, plot_reliability_diagram
from medsage.evaluation._ranking import (
    RankingScores,
    average_precision,
    evaluate_ranking,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
)
from medsage.evaluation._report import SCOPE_NOTE, render_html_report, write_html_report
from medsage.evaluation._result import (
    RESULT_KEYS,
    SCHEMA_VERSION,
    ClassMetrics,
    EvaluationResult,
    ReliabilityBin,
    SubgroupGap,
    SubgroupMetrics,
)
from medsage.evaluation._temperature import fit_temperature, softmax

__all__ = [
    "DEFAULT_MIN_GROUP_SIZE",
    "RESULT_KEYS",
    "SCHEMA_VERSION",
    "SCOPE_NOTE",
    "ClassMetrics",
    "EvaluationResult",
    "RankingScores",
    "ReliabilityBin",
    "SubgroupGap",
    "SubgroupMetrics",
    "average_precision",
    "brier_score",
    "evaluate",
    "evaluate_ranking",
    "expected_calibration_error",
    "fit_temperature",
    "ndcg_at_k",
    "plot_confusion_matrix",
    "plot_reliability_diagram",
    "recall_at_k",
    "reciprocal_rank",
    "render_html_report",
    "softmax",
    "write_html_report",
]
