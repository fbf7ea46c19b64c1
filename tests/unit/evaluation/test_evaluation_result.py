"""`EvaluationResult.to_dict`: JSON-serialisable, documented keys, rounded Python floats."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from evaluation_cases import HandCase

from medsage.evaluation import RESULT_KEYS, SCHEMA_VERSION, EvaluationResult, evaluate
from medsage.evaluation._result import BIN_KEYS, CLASS_KEYS, GAP_KEYS, SUBGROUP_KEYS


def test_when_to_dict_then_json_dumps_strictly_and_round_trips(
    hand_result: EvaluationResult,
) -> None:
    data = hand_result.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data


def test_when_to_dict_then_top_level_keys_are_the_documented_ones_in_order(
    hand_result: EvaluationResult,
) -> None:
    data = hand_result.to_dict()
    assert tuple(data) == RESULT_KEYS
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["primary_metric"] == "accuracy"


def test_when_to_dict_then_values_match_hand_case(hand_result: EvaluationResult) -> None:
    data = hand_result.to_dict()
    assert data["n"] == 4
    assert data["accuracy"] == 0.5
    assert data["macro_f1"] == 0.266667
    assert data["weighted_f1"] == 0.6
    assert data["ece"] == 0.1875
    assert data["brier"] == 0.63875
    assert data["top_k_accuracy"] == {"1": 0.5, "2": 0.75, "3": 1.0}
    assert data["auroc_ovr_macro"] == 0.5
    assert data["auroc_per_class"] == {"a": 0.666667, "b": 0.333333, "c": None}
    assert data["per_class"]["a"] == {"precision": 1.0, "recall": 0.666667, "f1": 0.8, "support": 3}
    assert data["confusion_matrix"] == [[2, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert data["labels"] == data["classes"] == ["a", "b", "c"]
    assert data["unseen_labels"] == []
    assert data["subgroups"] is None and data["subgroup_gap"] is None


def test_when_to_dict_then_nested_entries_have_documented_keys(hand_case: HandCase) -> None:
    result = evaluate(
        hand_case.y_true,
        hand_case.proba,
        hand_case.classes,
        groups=["x", "y", "x", "y"],
        n_bins=3,
        min_group_size=1,
    )
    data = result.to_dict()
    assert all(tuple(v) == CLASS_KEYS for v in data["per_class"].values())
    assert len(data["reliability"]) == 3
    assert all(tuple(b) == BIN_KEYS for b in data["reliability"])
    assert all(tuple(g) == SUBGROUP_KEYS for g in data["subgroups"].values())
    assert tuple(data["subgroup_gap"]) == GAP_KEYS
    assert data["subgroup_gap"]["eligible_groups"] == ["x", "y"]
    json.dumps(data, allow_nan=False)


def test_when_a_bin_is_empty_then_its_mean_and_accuracy_are_none(
    hand_case: HandCase,
) -> None:
    result = evaluate(hand_case.y_true, hand_case.proba, hand_case.classes, n_bins=10)
    first = result.to_dict()["reliability"][0]
    assert first == {
        "lower": 0.0,
        "upper": 0.1,
        "count": 0,
        "mean_confidence": None,
        "accuracy": None,
    }


def test_when_to_dict_then_floats_are_python_floats_rounded_to_six_decimals(
    hand_result: EvaluationResult,
) -> None:
    data = hand_result.to_dict()
    for key in ("accuracy", "macro_f1", "ece", "brier", "nll"):
        assert type(data[key]) is float
        assert data[key] == round(data[key], 6)
    assert data["nll"] == pytest.approx(hand_result.nll, abs=1e-6)


def test_when_importing_evaluation_then_heavy_libraries_are_not_loaded() -> None:
    code = (
        "import sys, medsage.evaluation; "
        "print(sorted(m for m in ('matplotlib', 'sklearn', 'jinja2', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_when_labels_come_as_numpy_arrays_then_result_holds_plain_strings() -> None:
    y_true = np.array(["a", "zz"])
    classes = np.array(["a", "b"])
    result = evaluate(y_true, np.array([[0.9, 0.1], [0.4, 0.6]]), classes)  # type: ignore[arg-type]
    assert all(type(label) is str for label in result.labels)
    assert result.unseen_labels == ["zz"]
    json.dumps(result.to_dict(), allow_nan=False)
