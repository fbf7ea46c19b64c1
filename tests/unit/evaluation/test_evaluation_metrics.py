"""`evaluate` on small cases computed by hand, and cross-checked against scikit-learn.

Hand case (conftest.py), classes a, b, c; truths a, a, a, b; predictions a, b, a, c:
- accuracy = 2/4 = 0.5
- a: precision 2/2 = 1, recall 2/3, F1 = 2 * 1 * (2/3) / (1 + 2/3) = 0.8
- b: never predicted correctly (precision 0/1, recall 0/1) -> F1 0; c: predicted once, no
  support -> all 0. All three labels occur, so macro F1 = 0.8 / 3, macro precision = 1/3,
  macro recall = (2/3) / 3 = 2/9, weighted F1 = (0.8 * 3 + 0 * 1) / 4 = 0.6
- top-2: row 2 ranks a second (hit); row 4 ranks c, a, b (miss) -> 3/4
- AUROC a: positive scores 0.9, 0.2, 0.4 vs negative 0.3 -> 2 of 3 pairs = 2/3
  AUROC b: positive 0.25 vs negatives 0.05, 0.7, 0.35 -> 1/3; c has no positive -> None
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from evaluation_cases import HandCase

from medsage.evaluation import EvaluationResult, evaluate


def test_when_hand_case_then_accuracy_and_f1_match_hand_computation(
    hand_result: EvaluationResult,
) -> None:
    assert hand_result.n == 4
    assert hand_result.accuracy == pytest.approx(0.5)
    assert hand_result.macro_f1 == pytest.approx(0.8 / 3)
    assert hand_result.weighted_f1 == pytest.approx(0.6)
    assert hand_result.macro_precision == pytest.approx(1 / 3)
    assert hand_result.macro_recall == pytest.approx(2 / 9)
    assert hand_result.primary_metric == "accuracy"
    assert hand_result.primary_value == pytest.approx(0.5)


def test_when_hand_case_then_per_class_metrics_match(hand_result: EvaluationResult) -> None:
    a, b, c = (hand_result.per_class[k] for k in ("a", "b", "c"))
    assert (a.precision, a.recall, a.f1, a.support) == pytest.approx((1.0, 2 / 3, 0.8, 3))
    assert (b.precision, b.recall, b.f1, b.support) == (0.0, 0.0, 0.0, 1)
    assert (c.precision, c.recall, c.f1, c.support) == (0.0, 0.0, 0.0, 0)
    assert list(hand_result.per_class) == ["a", "b", "c"]


def test_when_top_k_requested_then_only_k_up_to_n_classes_reported(
    hand_result: EvaluationResult,
) -> None:
    assert hand_result.top_k_accuracy == pytest.approx({1: 0.5, 2: 0.75, 3: 1.0})
    assert 5 not in hand_result.top_k_accuracy


def test_when_hand_case_then_auroc_per_class_and_macro_match(
    hand_result: EvaluationResult,
) -> None:
    assert hand_result.auroc_per_class["a"] == pytest.approx(2 / 3)
    assert hand_result.auroc_per_class["b"] == pytest.approx(1 / 3)
    assert hand_result.auroc_per_class["c"] is None
    assert hand_result.auroc_ovr_macro == pytest.approx(0.5)


def test_when_only_one_class_in_truth_then_auroc_is_none() -> None:
    result = evaluate(["a", "a"], np.array([[0.6, 0.4], [0.3, 0.7]]), ["a", "b"])
    assert result.auroc_per_class == {"a": None, "b": None}
    assert result.auroc_ovr_macro is None


def test_when_hand_case_then_confusion_matrix_is_exact(hand_result: EvaluationResult) -> None:
    assert hand_result.labels == ["a", "b", "c"]
    assert hand_result.confusion_matrix == [[2, 1, 0], [0, 0, 1], [0, 0, 0]]


def test_when_hand_case_then_calibration_fields_match(hand_result: EvaluationResult) -> None:
    # Worked out in test_evaluation_calibration.py.
    assert hand_result.ece == pytest.approx(0.1875)
    assert hand_result.brier == pytest.approx(0.63875)
    expected_nll = -np.mean(np.log([0.9, 0.2, 0.4, 0.25]))
    assert hand_result.nll == pytest.approx(expected_nll)
    assert hand_result.n_bins == 2
    assert [(b.lower, b.upper, b.count) for b in hand_result.reliability] == [
        (0.0, 0.5, 2),
        (0.5, 1.0, 2),
    ]
    assert hand_result.reliability[0].mean_confidence == pytest.approx(0.425)
    assert hand_result.reliability[0].accuracy == pytest.approx(0.5)
    assert hand_result.reliability[1].mean_confidence == pytest.approx(0.8)
    assert hand_result.reliability[1].accuracy == pytest.approx(0.5)


def test_when_probabilities_tie_then_first_class_is_predicted() -> None:
    result = evaluate(["b", "a"], np.array([[0.5, 0.5], [0.5, 0.5]]), ["a", "b"], top_k=(1, 2))
    assert result.confusion_matrix == [[1, 0], [1, 0]]
    assert result.accuracy == 0.5
    assert result.top_k_accuracy == {1: 0.5, 2: 1.0}


def test_when_true_labels_outside_classes_then_counted_as_errors_and_listed() -> None:
    # Predictions a, a, b, b; truths a, zz, b, yy (zz and yy are not model classes).
    proba = np.array([[0.8, 0.2], [0.6, 0.4], [0.3, 0.7], [0.1, 0.9]])
    result = evaluate(["a", "zz", "b", "yy"], proba, ["a", "b"], top_k=(1, 2))
    assert result.unseen_labels == ["yy", "zz"]
    assert result.labels == ["a", "b", "yy", "zz"]
    assert result.classes == ["a", "b"]
    assert result.accuracy == 0.5
    assert result.top_k_accuracy == {1: 0.5, 2: 0.5}
    assert result.confusion_matrix == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0]]
    for label in ("yy", "zz"):
        m = result.per_class[label]
        assert (m.precision, m.recall, m.f1, m.support) == (0.0, 0.0, 0.0, 1)
    # a and b: precision 1/2, recall 1, F1 2/3; the unseen labels add two F1 zeros.
    assert result.macro_f1 == pytest.approx((2 / 3 + 2 / 3) / 4)
    # Brier: 0.08 + (0.52 + 1) + 0.18 + (0.82 + 1) = 3.6 -> 0.9
    assert result.brier == pytest.approx(0.9)
    # The model gave the unseen truths probability 0 -> clipped log loss.
    assert result.nll == pytest.approx(
        -(np.log(0.8) + np.log(1e-15) + np.log(0.7) + np.log(1e-15)) / 4
    )
    # Unseen rows are negatives for every class: a 1.0 (0.8 over 0.6, 0.3, 0.1); b 2/3.
    assert result.auroc_per_class == pytest.approx({"a": 1.0, "b": 2 / 3})
    assert "yy" not in result.auroc_per_class


def test_when_groups_given_then_subgroup_metrics_and_gap_are_exact(hand_case: HandCase) -> None:
    # x = rows 1, 3 (both hits, conf 0.9 and 0.4); y = rows 2, 4 (both misses, 0.7 and 0.45).
    result = evaluate(
        hand_case.y_true,
        hand_case.proba,
        hand_case.classes,
        groups=["x", "y", "x", "y"],
        n_bins=2,
        min_group_size=2,
    )
    assert result.subgroups is not None
    x, y = result.subgroups["x"], result.subgroups["y"]
    assert (x.n, x.accuracy, x.macro_f1) == (2, 1.0, 1.0)
    # x: bins hold 0.4 (hit) and 0.9 (hit): ECE = 0.5 * 0.6 + 0.5 * 0.1 = 0.35
    assert x.ece == pytest.approx(0.35)
    # y: truths a, b predicted b, c -> labels a, b, c all F1 0.
    assert (y.n, y.accuracy, y.macro_f1) == (2, 0.0, 0.0)
    # y: bins hold 0.45 (miss) and 0.7 (miss): ECE = 0.5 * 0.45 + 0.5 * 0.7 = 0.575
    assert y.ece == pytest.approx(0.575)
    gap = result.subgroup_gap
    assert gap is not None
    assert gap.metric == "accuracy"
    assert gap.eligible_groups == ("x", "y")
    assert (gap.gap, gap.best_group, gap.best_value) == (1.0, "x", 1.0)
    assert (gap.worst_group, gap.worst_value) == ("y", 0.0)


def test_when_groups_are_smaller_than_minimum_then_excluded_from_gap(
    hand_case: HandCase,
) -> None:
    result = evaluate(
        hand_case.y_true,
        hand_case.proba,
        hand_case.classes,
        groups=["x", "x", "y", "z"],
        min_group_size=2,
    )
    assert result.subgroups is not None
    assert list(result.subgroups) == ["x", "y", "z"]
    assert [m.n for m in result.subgroups.values()] == [2, 1, 1]
    gap = result.subgroup_gap
    assert gap is not None
    assert gap.eligible_groups == ("x",)
    assert gap.gap is None and gap.best_group is None and gap.worst_group is None


def test_when_default_min_group_size_then_small_groups_give_no_gap(hand_case: HandCase) -> None:
    result = evaluate(
        hand_case.y_true, hand_case.proba, hand_case.classes, groups=["x", "y", "x", "y"]
    )
    assert result.subgroup_gap is not None
    assert result.subgroup_gap.min_group_size == 30
    assert result.subgroup_gap.gap is None


def test_when_no_groups_then_subgroups_are_none(hand_result: EvaluationResult) -> None:
    assert hand_result.subgroups is None
    assert hand_result.subgroup_gap is None


def test_when_random_case_then_metrics_agree_with_sklearn(
    random_case: tuple[list[str], npt.NDArray[np.float64], list[str]],
) -> None:
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        log_loss,
        precision_score,
        recall_score,
        roc_auc_score,
        top_k_accuracy_score,
    )

    y_true, proba, classes = random_case
    result = evaluate(y_true, proba, classes, top_k=(1, 3, 5))
    y_pred = [classes[i] for i in np.argmax(proba, axis=1)]
    y_idx = np.array([classes.index(y) for y in y_true])
    assert len(set(y_true)) == len(classes)  # AUROC comparison needs every class present
    assert result.accuracy == pytest.approx(accuracy_score(y_true, y_pred))
    assert result.macro_f1 == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert result.weighted_f1 == pytest.approx(f1_score(y_true, y_pred, average="weighted"))
    assert result.macro_precision == pytest.approx(
        precision_score(y_true, y_pred, average="macro", zero_division=0)
    )
    assert result.macro_recall == pytest.approx(recall_score(y_true, y_pred, average="macro"))
    assert result.confusion_matrix == confusion_matrix(y_true, y_pred, labels=classes).tolist()
    assert result.auroc_ovr_macro == pytest.approx(
        roc_auc_score(y_idx, proba, multi_class="ovr", average="macro")
    )
    assert result.nll == pytest.approx(log_loss(y_idx, proba, labels=range(len(classes))))
    for k in (1, 3, 5):
        expected = top_k_accuracy_score(y_idx, proba, k=k, labels=range(len(classes)))
        assert result.top_k_accuracy[k] == pytest.approx(expected)


def test_when_proba_rows_sum_within_tolerance_then_accepted() -> None:
    proba = np.array([[0.7, 0.2995], [0.1, 0.9004]])
    result = evaluate(["a", "b"], proba, ["a", "b"])
    assert result.accuracy == 1.0


def test_when_inputs_are_plain_lists_then_accepted() -> None:
    result = evaluate(("a", "b"), [[0.9, 0.1], [0.2, 0.8]], ("a", "b"), top_k=[1])
    assert result.accuracy == 1.0
    assert result.top_k_accuracy == {1: 1.0}
