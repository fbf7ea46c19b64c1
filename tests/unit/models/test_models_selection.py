"""Settings selection by cross-validation on training data."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsage.datasets import load_text_label
from medsage.errors import InvalidInputError
from medsage.models import select_settings

DATA = Path(__file__).resolve().parents[2] / "data" / "tiny_cases.jsonl"


def test_when_grid_scored_then_each_candidate_has_fold_scores_and_best_is_max() -> None:
    data = load_text_label(DATA)
    grid = [{"model": "svm", "C": 1.0}, {"model": "logreg", "C": 10.0}]
    result = select_settings(data, grid=grid, metric="macro_f1", folds=3, seed=0)
    assert result.metric == "macro_f1"
    assert [c["params"] for c in result.candidates] == grid
    assert all(len(c["folds"]) == 3 for c in result.candidates)
    best = max(result.candidates, key=lambda c: c["mean"])
    assert result.best_params == best["params"]
    assert set(result.to_dict()) == {"metric", "folds", "best_params", "candidates"}


def test_when_same_seed_then_same_scores() -> None:
    data = load_text_label(DATA)
    a = select_settings(data, grid=[{"C": 1.0}], folds=3, seed=1)
    b = select_settings(data, grid=[{"C": 1.0}], folds=3, seed=1)
    assert a.candidates == b.candidates


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "auc"}, "metric must be one of accuracy, macro_f1"),
        ({"grid": []}, "grid is empty"),
        ({"folds": 7}, "7-fold selection needs at least 7 examples of every label"),
    ],
)
def test_when_options_bad_then_clear_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        select_settings(load_text_label(DATA), **kwargs)  # type: ignore[arg-type]
