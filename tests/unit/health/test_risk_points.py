"""Points scores: FINDRISC (form points), CHA2DS2-VASc (Lip 2010) and qSOFA (Sepsis-3)."""

from __future__ import annotations

from typing import Any

import pytest

from medsage.errors import InvalidInputError
from medsage.health.risk import compute

LOW_RISK: dict[str, Any] = {
    "age": 40, "sex": "female", "bmi": 22, "waist_cm": 75,
    "physically_active_30min_daily": True, "vegetables_daily": True, "bp_medication": False,
    "high_glucose_history": False, "family_history": "none",
}  # fmt: skip


def test_when_form_filled_for_a_58_year_old_man_then_14_points_moderate() -> None:
    result = compute(
        "findrisc", age=58, sex="male", bmi=27, waist_cm=98,
        physically_active_30min_daily=False, vegetables_daily=True, bp_medication=False,
        high_glucose_history=False, family_history="first_degree",
    )  # fmt: skip
    assert result.details["points"] == {
        "age": 3, "bmi": 1, "waist_cm": 3, "physically_active_30min_daily": 2,
        "vegetables_daily": 0, "bp_medication": 0, "high_glucose_history": 0,
        "family_history": 5,
    }  # fmt: skip
    assert (result.value, result.category) == (14, "moderate")
    assert result.details["estimated_10y_risk"] == "1 in 6"


def test_when_every_answer_scores_then_maximum_26_very_high() -> None:
    result = compute(
        "findrisc", age=70, sex="male", bmi=35, waist_cm=110,
        physically_active_30min_daily="no", vegetables_daily="no", bp_medication="yes",
        high_glucose_history="yes", family_history="first_degree",
    )  # fmt: skip
    assert (result.value, result.category, result.details["category_zh"]) == (
        26, "very_high", "很高",
    )  # fmt: skip


def test_when_no_answer_scores_then_0_low() -> None:
    result = compute("findrisc", **LOW_RISK)
    assert (result.value, result.category, result.details["estimated_10y_risk"]) == (
        0, "low", "1 in 100",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "item", "points"),
    [({"age": 44}, "age", 0), ({"age": 45}, "age", 2), ({"age": 54}, "age", 2),
     ({"age": 55}, "age", 3), ({"age": 64}, "age", 3), ({"age": 65}, "age", 4),
     ({"bmi": 24.9}, "bmi", 0), ({"bmi": 25}, "bmi", 1), ({"bmi": 30}, "bmi", 1),
     ({"bmi": 30.1}, "bmi", 3),
     ({"sex": "male", "waist_cm": 93.9}, "waist_cm", 0),
     ({"sex": "male", "waist_cm": 94}, "waist_cm", 3),
     ({"sex": "male", "waist_cm": 102}, "waist_cm", 3),
     ({"sex": "male", "waist_cm": 102.1}, "waist_cm", 4),
     ({"waist_cm": 79.9}, "waist_cm", 0), ({"waist_cm": 80}, "waist_cm", 3),
     ({"waist_cm": 88}, "waist_cm", 3), ({"waist_cm": 88.1}, "waist_cm", 4),
     ({"family_history": "second_degree"}, "family_history", 3),
     ({"family_history": "first_degree"}, "family_history", 5)],
)  # fmt: skip
def test_when_item_on_a_form_boundary_then_form_points(
    change: dict[str, Any], item: str, points: int
) -> None:
    result = compute("findrisc", **{**LOW_RISK, **change})
    assert result.details["points"][item] == points
    assert result.value == points


@pytest.mark.parametrize(
    ("total_change", "total", "category"),
    [({"age": 65, "bp_medication": True}, 6, "low"),
     ({"age": 65, "bp_medication": True, "vegetables_daily": False}, 7, "slightly_elevated"),
     ({"age": 65, "high_glucose_history": True, "bp_medication": True}, 11,
      "slightly_elevated"),
     ({"age": 65, "high_glucose_history": True, "bp_medication": True,
       "vegetables_daily": False}, 12, "moderate"),
     ({"age": 65, "high_glucose_history": True, "family_history": "second_degree",
       "bp_medication": True}, 14, "moderate"),
     ({"age": 65, "high_glucose_history": True, "family_history": "second_degree",
       "bp_medication": True, "vegetables_daily": False}, 15, "high"),
     ({"age": 65, "high_glucose_history": True, "family_history": "first_degree",
       "bp_medication": True, "waist_cm": 85, "vegetables_daily": False}, 20, "high"),
     ({"age": 65, "high_glucose_history": True, "family_history": "first_degree",
       "bp_medication": True, "waist_cm": 85, "vegetables_daily": False, "bmi": 26}, 21,
      "very_high")],
)  # fmt: skip
def test_when_total_on_a_category_boundary_then_form_category(
    total_change: dict[str, Any], total: int, category: str
) -> None:
    result = compute("findrisc", **{**LOW_RISK, **total_change})
    assert (result.value, result.category) == (total, category)


def test_when_family_history_word_unknown_then_error_lists_choices() -> None:
    with pytest.raises(InvalidInputError, match="family_history = 'mother' is not allowed; "
                       "expected one of: none, second_degree, first_degree"):  # fmt: skip
        compute("findrisc", **{**LOW_RISK, "family_history": "mother"})


CHA_NONE: dict[str, Any] = {
    "congestive_heart_failure": False, "hypertension": False, "diabetes": False,
    "stroke_tia_thromboembolism": False, "vascular_disease": False,
}  # fmt: skip


@pytest.mark.parametrize(
    ("age", "sex", "present", "score", "category"),
    [(60, "male", (), 0, "low"), (60, "female", (), 1, "low"),
     (64, "male", ("hypertension",), 1, "intermediate"),
     (65, "male", (), 1, "intermediate"), (65, "female", (), 2, "intermediate"),
     (74, "female", ("diabetes",), 3, "high"), (75, "male", (), 2, "high"),
     (76, "female", ("hypertension",), 4, "high"),
     (50, "male", ("stroke_tia_thromboembolism",), 2, "high"),
     (80, "female", tuple(CHA_NONE), 9, "high")],
)  # fmt: skip
def test_when_cha2ds2_vasc_items_then_lip_2010_points_and_esc_2020_category(
    age: int, sex: str, present: tuple[str, ...], score: int, category: str
) -> None:
    inputs = {**CHA_NONE, **dict.fromkeys(present, True)}
    result = compute("cha2ds2_vasc", age=age, sex=sex, **inputs)
    assert (result.value, result.category) == (score, category)
    assert sum(result.details["points"].values()) == score


@pytest.mark.parametrize(
    ("rr", "sbp", "gcs", "score"),
    [(21, 101, 15, 0), (22, 101, 15, 1), (21, 100, 15, 1), (21, 101, 14, 1),
     (22, 100, 15, 2), (30, 80, 9, 3)],
)  # fmt: skip
def test_when_qsofa_criteria_then_one_point_each(rr: int, sbp: int, gcs: int, score: int) -> None:
    result = compute("qsofa", respiratory_rate=rr, systolic_bp=sbp, gcs=gcs)
    assert result.value == score
    assert result.category == ("positive" if score >= 2 else "negative")


def test_when_qsofa_mentation_given_instead_of_gcs_then_same_points() -> None:
    result = compute("qsofa", respiratory_rate=24, systolic_bp=120, altered_mentation="yes")
    assert (result.value, result.details["points"]["altered_mentation"]) == (2, 1)


def test_when_qsofa_has_neither_mentation_nor_gcs_then_error_names_both() -> None:
    with pytest.raises(InvalidInputError, match=r"altered_mentation .* or gcs"):
        compute("qsofa", respiratory_rate=24, systolic_bp=120)


def test_when_qsofa_mentation_and_gcs_disagree_then_error() -> None:
    with pytest.raises(InvalidInputError, match="altered_mentation = True and gcs = 15 disagree"):
        compute("qsofa", respiratory_rate=24, systolic_bp=120, altered_mentation=True, gcs=15)


def test_when_gcs_not_whole_then_error() -> None:
    with pytest.raises(InvalidInputError, match=r"gcs = 14.5 must be a whole number"):
        compute("qsofa", respiratory_rate=24, systolic_bp=120, gcs=14.5)
