"""Every input check of `evaluate` raises a MedSage error saying what was received."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from medsage.errors import EmptyInputError, InvalidInputError
from medsage.evaluation import evaluate

Y = ["a", "b", "a"]
P = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
C = ["a", "b"]


def _call(**overrides: Any) -> None:
    kwargs: dict[str, Any] = {"y_true": Y, "proba": P, "classes": C, **overrides}
    evaluate(**kwargs)


def test_when_y_true_is_empty_then_empty_input_error() -> None:
    with pytest.raises(EmptyInputError, match="y_true is empty"):
        _call(y_true=[], proba=np.zeros((0, 2)))


def test_when_y_true_is_a_single_string_then_error_says_wrap_it() -> None:
    with pytest.raises(InvalidInputError, match=r"single string 'abc'.*wrap it in a list"):
        _call(y_true="abc")


def test_when_y_true_is_not_a_sequence_then_error_names_type() -> None:
    with pytest.raises(InvalidInputError, match="received int"):
        _call(y_true=5)


def test_when_classes_are_empty_then_empty_input_error() -> None:
    with pytest.raises(EmptyInputError, match="classes is empty"):
        _call(classes=[])


def test_when_classes_repeat_then_error_lists_repeats() -> None:
    with pytest.raises(InvalidInputError, match=re.escape("these repeat: ['a']")):
        _call(classes=["a", "a"])


def test_when_proba_has_fewer_rows_than_y_true_then_shape_error() -> None:
    with pytest.raises(InvalidInputError, match=re.escape("shape (2, 2) but expected (3, 2)")):
        _call(proba=P[:2])


def test_when_proba_has_wrong_number_of_columns_then_shape_error() -> None:
    proba = np.full((3, 3), 1 / 3)
    with pytest.raises(
        InvalidInputError,
        match=re.escape("shape (3, 3) but expected (3, 2): one row per entry of y_true (3)"),
    ):
        _call(proba=proba)


def test_when_proba_is_one_dimensional_then_error_gives_shape() -> None:
    with pytest.raises(InvalidInputError, match=re.escape("2-dimensional") + ".*shape \\(3,\\)"):
        _call(proba=np.array([0.8, 0.3, 0.6]))


def test_when_proba_is_not_numeric_then_conversion_error() -> None:
    with pytest.raises(InvalidInputError, match="could not be converted to numbers"):
        _call(proba=[["x", "y"], ["x", "y"], ["x", "y"]])


def test_when_proba_has_no_rows_then_empty_input_error() -> None:
    with pytest.raises(EmptyInputError, match="proba is empty"):
        _call(proba=np.zeros((3, 0)))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_when_proba_holds_nan_or_inf_then_error_gives_row(bad: float) -> None:
    proba = P.copy()
    proba[1, 0] = bad
    with pytest.raises(
        InvalidInputError, match="1 NaN or infinite value\\(s\\) \\(first in row 1\\)"
    ):
        _call(proba=proba)


def test_when_proba_is_negative_then_error_mentions_logits() -> None:
    proba = np.array([[1.2, -0.2], [0.3, 0.7], [0.6, 0.4]])
    with pytest.raises(
        InvalidInputError, match=re.escape("negative values (minimum -0.2, first in row 0)")
    ):
        _call(proba=proba)


def test_when_rows_do_not_sum_to_one_then_error_gives_row_and_sum() -> None:
    proba = np.array([[0.8, 0.2], [0.3, 0.2], [2.0, 3.0]])
    with pytest.raises(InvalidInputError) as info:
        _call(proba=proba)
    message = str(info.value)
    assert "rows must sum to 1 (within 0.001)" in message
    assert "2 row(s) do not; row 1 sums to 0.5" in message
    assert "not logits" in message


def test_when_groups_length_differs_then_error_gives_both_lengths() -> None:
    with pytest.raises(InvalidInputError, match="groups has 2 entries but y_true has 3"):
        _call(groups=["x", "y"])


def test_when_groups_are_empty_then_empty_input_error() -> None:
    with pytest.raises(EmptyInputError, match="groups is empty"):
        _call(groups=[])


@pytest.mark.parametrize("top_k", [(0,), (1, -2), ("3",), (True,)])
def test_when_top_k_holds_non_positive_or_non_int_then_error(top_k: tuple[object, ...]) -> None:
    with pytest.raises(InvalidInputError, match="top_k must hold positive integers"):
        _call(top_k=top_k)


def test_when_top_k_is_not_a_sequence_then_error() -> None:
    with pytest.raises(InvalidInputError, match="top_k must be a sequence"):
        _call(top_k=3)


@pytest.mark.parametrize("n_bins", [0, 1.5, None])
def test_when_n_bins_is_invalid_then_error_shows_value(n_bins: object) -> None:
    with pytest.raises(
        InvalidInputError, match=f"n_bins must be a positive integer but received {n_bins!r}"
    ):
        _call(n_bins=n_bins)


def test_when_min_group_size_is_invalid_then_error_shows_value() -> None:
    with pytest.raises(InvalidInputError, match="min_group_size must be a positive integer"):
        _call(groups=["x", "y", "x"], min_group_size=0)


def test_when_any_validation_error_then_it_is_also_a_value_error() -> None:
    with pytest.raises(ValueError):
        _call(proba=P[:1])
