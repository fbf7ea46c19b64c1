"""CKD-EPI 2021 eGFR, BMI (WHO and WS/T 428-2013) and blood-pressure categories."""

from __future__ import annotations

import pytest

from medsage.errors import InvalidInputError
from medsage.health.risk import compute

# Computed by hand from Inker et al. NEJM 2021 eGFRcr equation with 40-digit decimal
# arithmetic (Python `decimal`, independent of the float code under test).
EGFR_BY_HAND = [
    (0.7, 50, "female", 105.2976, "G1"),
    (1.0, 50, "female", 68.6335, "G2"),
    (0.5, 30, "female", 129.3170, "G1"),
    (0.8, 60, "male", 101.3155, "G1"),
    (0.9, 40, "male", 110.7256, "G1"),
    (1.1, 60, "male", 76.8507, "G2"),
    (1.3, 65, "female", 45.6340, "G3a"),
    (1.5, 60, "male", 52.9675, "G3a"),
    (1.5, 70, "female", 37.2569, "G3b"),
    (2.0, 72, "female", 26.0542, "G4"),
    (3.0, 80, "male", 20.3589, "G4"),
    (6.5, 55, "male", 9.4043, "G5"),
]


@pytest.mark.parametrize(("scr", "age", "sex", "expected", "stage"), EGFR_BY_HAND)
def test_when_creatinine_age_sex_then_egfr_equals_hand_computation(
    scr: float, age: int, sex: str, expected: float, stage: str
) -> None:
    result = compute("egfr_ckd_epi_2021", creatinine_mg_dl=scr, age=age, sex=sex)
    assert result.details["egfr_unrounded"] == pytest.approx(expected, abs=0.00005)
    assert abs(result.value - expected) <= 0.05
    assert result.category == stage
    assert result.unit == "mL/min/1.73 m²"


def test_when_creatinine_in_umol_l_then_88_4_factor_used() -> None:
    mg = compute("egfr_ckd_epi_2021", creatinine_mg_dl=1.0, age=50, sex="female")
    umol = compute("egfr_ckd_epi_2021", creatinine_umol_l=88.4, age=50, sex="female")
    assert umol.details["inputs"]["creatinine_mg_dl"] == pytest.approx(1.0, abs=1e-12)
    assert umol.value == mg.value == 68.6


def test_when_both_creatinine_units_disagree_then_error() -> None:
    with pytest.raises(InvalidInputError, match=r"creatinine_mg_dl = 1.0 and creatinine_umol_l "
                       r"= 150 .*disagree by more than 2%"):  # fmt: skip
        compute("egfr_ckd_epi_2021", creatinine_mg_dl=1.0, creatinine_umol_l=150, age=50,
                sex="male")  # fmt: skip


def test_when_umol_value_given_as_mg_dl_then_range_error_says_where_it_goes() -> None:
    with pytest.raises(InvalidInputError, match=r"creatinine_mg_dl = 88 is outside the allowed "
                       r"range 0.1 to 30 mg/dL; .*go in creatinine_umol_l"):  # fmt: skip
        compute("egfr_ckd_epi_2021", creatinine_mg_dl=88, age=50, sex="male")


def test_when_age_under_18_then_error_names_the_adult_range() -> None:
    with pytest.raises(InvalidInputError, match="age = 17 is outside the allowed range 18 to 120"):
        compute("egfr_ckd_epi_2021", creatinine_mg_dl=0.8, age=17, sex="male")


@pytest.mark.parametrize(
    ("weight", "who", "china"),
    [(18.4, "underweight", "underweight"), (18.5, "normal", "normal"),
     (23.9, "normal", "normal"), (24.0, "normal", "overweight"),
     (24.9, "normal", "overweight"), (25.0, "overweight", "overweight"),
     (27.9, "overweight", "overweight"), (28.0, "overweight", "obese"),
     (29.9, "overweight", "obese"), (30.0, "obese_class_1", "obese"),
     (35.0, "obese_class_2", "obese"), (40.0, "obese_class_3", "obese")],
)  # fmt: skip
def test_when_bmi_on_a_cut_off_then_who_and_china_categories(
    weight: float, who: str, china: str
) -> None:
    # height 100 cm makes BMI equal to the weight
    assert compute("bmi", weight_kg=weight, height_cm=100).category == who
    result = compute("bmi", weight_kg=weight, height_cm=100, standard="china")
    assert result.category == china
    assert result.value == weight


def test_when_bmi_computed_then_rounded_to_one_decimal_half_up() -> None:
    assert compute("bmi", weight_kg=70, height_cm=175).value == 22.9  # 22.857
    tie = compute("bmi", weight_kg=24.95, height_cm=100)
    assert (tie.value, tie.category) == (25.0, "overweight")
    assert (
        compute("bmi", weight_kg=24.95, height_cm=100, standard="china").details["category_zh"]
        == "超重"
    )


def test_when_height_given_in_metres_then_error_says_centimetres() -> None:
    with pytest.raises(InvalidInputError, match=r"height_cm = 1\.75 .*50 to 272 cm; give the "
                       r"height in centimetres"):  # fmt: skip
        compute("bmi", weight_kg=70, height_cm=1.75)


@pytest.mark.parametrize(
    ("sbp", "dbp", "category"),
    [(119, 79, "normal"), (120, 79, "elevated"), (129, 79, "elevated"),
     (130, 79, "stage_1"), (125, 80, "stage_1"), (139, 89, "stage_1"),
     (140, 70, "stage_2"), (120, 90, "stage_2"), (180, 120, "stage_2"),
     (181, 100, "crisis"), (170, 121, "crisis")],
)  # fmt: skip
def test_when_bp_then_acc_aha_2017_category(sbp: int, dbp: int, category: str) -> None:
    result = compute("bp_category", systolic=sbp, diastolic=dbp)
    assert result.category == category
    levels = ("normal", "elevated", "stage_1", "stage_2", "crisis")
    assert result.value == levels.index(category)


@pytest.mark.parametrize(
    ("sbp", "dbp", "category", "zh"),
    [(119, 79, "normal", "正常血压"), (120, 79, "high_normal", "正常高值"),
     (139, 89, "high_normal", "正常高值"), (140, 90, "grade_1", "1级高血压（轻度）"),
     (130, 95, "grade_1", "1级高血压（轻度）"), (165, 95, "grade_2", "2级高血压（中度）"),
     (150, 105, "grade_2", "2级高血压（中度）"), (185, 115, "grade_3", "3级高血压（重度）"),
     (180, 100, "grade_3", "3级高血压（重度）"),
     (150, 85, "isolated_systolic", "单纯收缩期高血压（1级）"),
     (185, 70, "isolated_systolic", "单纯收缩期高血压（3级）")],
)  # fmt: skip
def test_when_bp_then_china_2018_grade(sbp: int, dbp: int, category: str, zh: str) -> None:
    result = compute("bp_category", systolic=sbp, diastolic=dbp, standard="china_2018")
    assert (result.category, result.details["category_zh"]) == (category, zh)


def test_when_isolated_systolic_then_grade_given_in_details() -> None:
    result = compute("bp_category", systolic=165, diastolic=80, standard="china_2018")
    assert (result.category, result.details["grade"], result.value) == (
        "isolated_systolic", "grade_2", 3,
    )  # fmt: skip


def test_when_systolic_not_above_diastolic_then_error_suggests_swap() -> None:
    with pytest.raises(InvalidInputError, match="systolic = 80 is not above diastolic = 120"):
        compute("bp_category", systolic=80, diastolic=120)


def test_when_bp_standard_unknown_then_error_lists_choices() -> None:
    with pytest.raises(InvalidInputError, match="one of: acc_aha_2017, china_2018"):
        compute("bp_category", systolic=120, diastolic=80, standard="esc")
