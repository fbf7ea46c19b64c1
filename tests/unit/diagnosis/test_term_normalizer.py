"""Chinese diagnosis-term normalisation (CHIP-CDN style) and its micro-F1 metric."""

from __future__ import annotations

import json

import numpy as np
import pytest

from medsage.diagnosis._cdn_metric import cdn_scores, split_names
from medsage.diagnosis._normalize_terms import TermNormalizer
from medsage.diagnosis._term_scorers import BoostedTreesScorer
from medsage.errors import EmptyInputError, InvalidInputError, NotFittedError

TERMS = [
    "2型糖尿病", "糖尿病2型", "二型糖尿病", "高血压", "高血压病", "原发性高血压",
    "冠心病", "冠状动脉粥样硬化性心脏病", "冠脉粥样硬化心脏病", "高血压伴冠心病",
    "糖尿病伴高血压", "右乳腺癌", "左乳腺癌术后", "乳腺Ca",
]  # fmt: skip
CHD = "冠状动脉粥样硬化性心脏病"
ANSWERS = [
    "2型糖尿病", "2型糖尿病", "2型糖尿病", "高血压", "高血压", "高血压",
    CHD, CHD, CHD, f"高血压##{CHD}", "2型糖尿病##高血压",
    "乳腺恶性肿瘤##癌", "乳腺恶性肿瘤##癌", "乳腺恶性肿瘤##癌",
]  # fmt: skip
QUERIES = ["2型糖尿病伴高血压", "冠心病", "乳腺癌", "高血压病3级"]


def _fit(scorer: str) -> TermNormalizer:
    return TermNormalizer(n_folds=2, scorer=scorer, threshold=0.5, max_iter=20).fit(  # type: ignore[arg-type]
        TERMS, ANSWERS
    )


def test_when_fitted_on_tiny_pairs_then_logistic_predicts_exact_sets() -> None:
    model = _fit("logistic")
    assert model.predict(QUERIES) == [
        ["2型糖尿病", "高血压"],
        [CHD],
        ["癌", "乳腺恶性肿瘤"],
        ["高血压"],
    ]
    (ranked,) = model.rank(["冠心病"], top_k=2)
    assert [c.name for c in ranked] == [CHD, "高血压"]
    assert ranked[0].probability == pytest.approx(0.987, abs=1e-3)


def test_when_fitted_on_tiny_pairs_then_boosted_predicts_the_same_sets() -> None:
    predicted = _fit("boosted").predict(QUERIES)
    assert [sorted(p) for p in predicted] == [
        ["2型糖尿病", "高血压"],
        [CHD],
        ["乳腺恶性肿瘤", "癌"],
        ["高血压"],
    ]


@pytest.mark.parametrize("scorer", ["logistic", "boosted"])
def test_when_saved_as_json_and_loaded_then_predictions_are_identical(scorer: str) -> None:
    model = _fit(scorer)
    loaded = TermNormalizer.from_dict(json.loads(json.dumps(model.to_dict())))
    assert loaded.predict(QUERIES) == model.predict(QUERIES)
    assert loaded.rank(QUERIES, top_k=3) == model.rank(QUERIES, top_k=3)


def test_when_boosted_trees_are_exported_then_numpy_scores_match_sklearn() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 4))
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(np.float64)
    ours = BoostedTreesScorer.fit(x, y, learning_rate=0.1, max_iter=30, seed=0)
    ref = HistGradientBoostingClassifier(
        learning_rate=0.1, max_iter=30, early_stopping=False, random_state=0
    ).fit(x, y.astype(int))
    x_new = rng.normal(size=(100, 4))
    np.testing.assert_allclose(ours.predict(x_new), ref.predict_proba(x_new)[:, 1], atol=1e-12)


def test_when_the_term_is_empty_then_invalid_input_error() -> None:
    model = _fit("logistic")
    with pytest.raises(InvalidInputError, match="empty after normalisation"):
        model.predict(["  "])
    with pytest.raises(InvalidInputError, match="sequence of terms"):
        model.predict("高血压")


def test_when_training_pairs_are_bad_then_clear_errors() -> None:
    with pytest.raises(InvalidInputError, match="2 terms but 1 answers"):
        TermNormalizer().fit(["高血压", "冠心病"], ["高血压"])
    with pytest.raises(EmptyInputError, match="holds no standard name"):
        TermNormalizer(n_folds=2).fit(["高血压", "冠心病"], ["高血压", "##"])
    with pytest.raises(InvalidInputError, match="scorer must be one of"):
        TermNormalizer(scorer="forest").fit(TERMS, ANSWERS)  # type: ignore[arg-type]


def test_when_not_fitted_then_not_fitted_error() -> None:
    with pytest.raises(NotFittedError):
        TermNormalizer().predict(["高血压"])


def test_when_scoring_the_readme_example_then_micro_f1_is_hand_computed() -> None:
    # CHIP-CDN example_gold.json / example_pred.json: 6 of 7 predicted names are right, 6 of 9
    # gold names are found, and only the third set is exact.
    gold = [
        "膝骨关节病##膝关节游离体",
        "糖尿病性低血糖症##骨质疏松##高血压##冠状动脉粥样硬化性心脏病##不稳定性心绞痛",
        "乳腺恶性肿瘤##癌",
    ]
    pred = ["骨关节病", "糖尿病性低血糖症##骨质疏松##高血压##不稳定性心绞痛", "乳腺恶性肿瘤##癌"]
    scores = cdn_scores(gold, pred)
    assert (scores.n_correct, scores.n_predicted, scores.n_gold) == (6, 7, 9)
    assert scores.precision == pytest.approx(6 / 7)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.f1 == pytest.approx(0.75)
    assert scores.exact_set_accuracy == pytest.approx(1 / 3)


def test_when_names_repeat_or_predictions_are_empty_then_sets_are_scored() -> None:
    assert split_names(" 高血压 ##高血压## ") == ["高血压"]
    scores = cdn_scores([["高血压"], "癌"], [["高血压", "高血压"], []])
    assert (scores.n_correct, scores.n_predicted, scores.n_gold) == (1, 1, 2)
    assert scores.f1 == pytest.approx(2 / 3)
    with pytest.raises(InvalidInputError, match="2 answers but predicted has 1"):
        cdn_scores(["a", "b"], ["a"])
