"""ASCVD Pooled Cohort Equations against the 2013 ACC/AHA guideline's Table A."""

from __future__ import annotations

import math

import pytest

from medsage.errors import InvalidInputError
from medsage.health.risk import compute
from medsage.health.risk.ascvd_pce_2013 import (
    CHOLESTEROL_MG_DL_PER_MMOL_L,
    PCE_TABLE_A,
    coefficient_table,
    individual_sum,
    risk_from_sum,
)

# Table A as printed (Goff et al. 2013), in the order of its rows; None = N/A.
PUBLISHED_TABLE_A = {
    "white_female": (-29.799, 4.884, 13.540, -3.114, -13.578, 3.149, 2.019, None, 1.957, None,
                     7.574, -1.665, 0.661, -29.18, 0.9665),
    "african_american_female": (17.114, None, 0.940, None, -18.920, 4.475, 29.291, -6.432,
                                27.820, -6.087, 0.691, None, 0.874, 86.61, 0.9533),
    "white_male": (12.344, None, 11.853, -2.664, -7.990, 1.769, 1.797, None, 1.764, None,
                   7.837, -1.795, 0.658, 61.18, 0.9144),
    "african_american_male": (2.469, None, 0.302, None, -0.307, None, 1.916, None, 1.809, None,
                              0.549, None, 0.645, 19.54, 0.8954),
}  # fmt: skip

# Table A's worked example: age 55, total cholesterol 213 mg/dL, HDL-C 50 mg/dL, untreated
# SBP 120 mm Hg, non-smoker, no diabetes -> (individual sum, 10-year risk %) per group.
PUBLISHED_EXAMPLE = {
    ("female", "white"): ("white_female", -29.67, 2.1),
    ("female", "african_american"): ("african_american_female", 86.16, 3.0),
    ("male", "white"): ("white_male", 60.69, 5.3),
    ("male", "african_american"): ("african_american_male", 18.97, 6.1),
}
EXAMPLE = {"age": 55, "total_cholesterol_mg_dl": 213, "hdl_mg_dl": 50, "systolic_bp": 120,
           "bp_treated": False, "smoker": False, "diabetes": False}  # fmt: skip


def test_when_coefficients_read_then_they_equal_table_a_as_published() -> None:
    table = coefficient_table()
    assert set(table) == set(PUBLISHED_TABLE_A)
    for group, published in PUBLISHED_TABLE_A.items():
        assert tuple(table[group].values()) == published, group


@pytest.mark.parametrize(("sex", "race"), list(PUBLISHED_EXAMPLE))
def test_when_table_a_example_then_individual_sum_matches_to_the_printed_digits(
    sex: str, race: str
) -> None:
    group, published_sum, _ = PUBLISHED_EXAMPLE[(sex, race)]
    result = compute("ascvd_pce_2013", sex=sex, race=race, **EXAMPLE)
    assert result.details["equation"] == group
    # Table A prints the sum cut to two decimals (60.6995 -> 60.69).
    assert math.trunc(result.details["individual_sum"] * 100) / 100 == published_sum


@pytest.mark.parametrize(("sex", "race"), list(PUBLISHED_EXAMPLE))
def test_when_published_sum_used_then_published_risk_reproduced(sex: str, race: str) -> None:
    group, published_sum, published_risk = PUBLISHED_EXAMPLE[(sex, race)]
    assert round(risk_from_sum(group, published_sum), 1) == published_risk


@pytest.mark.parametrize(
    ("sex", "race", "expected"),
    [
        ("female", "white", 2.1),
        ("female", "african_american", 3.0),
        # Full precision gives 5.38%; the table's 5.3% comes from its sum cut to 60.69
        # (the exact sum is 60.6995), reproduced in the test above.
        ("male", "white", 5.4),
        ("male", "african_american", 6.1),
    ],
)
def test_when_table_a_example_then_full_precision_risk_is_exact(
    sex: str, race: str, expected: float
) -> None:
    result = compute("ascvd_pce_2013", sex=sex, race=race, **EXAMPLE)
    assert result.value == expected
    assert result.unit == "%"
    assert result.category == ("low" if expected < 5 else "borderline")


def test_when_white_man_example_then_unrounded_risk_is_5_38_percent() -> None:
    result = compute("ascvd_pce_2013", sex="male", race="white", **EXAMPLE)
    assert result.details["risk_unrounded"] == pytest.approx(5.3844, abs=1e-4)
    assert result.details["individual_sum"] == pytest.approx(60.6995, abs=1e-4)


def test_when_other_race_then_white_equations_used_with_a_note() -> None:
    other = compute("ascvd_pce_2013", sex="female", race="other", **EXAMPLE)
    white = compute("ascvd_pce_2013", sex="female", race="white", **EXAMPLE)
    assert other.value == white.value == 2.1
    assert other.details["equation"] == "white_female"
    assert "white equations" in other.details["race_note"]


def test_when_treated_smoker_with_diabetes_then_each_term_adds_as_table_a_says() -> None:
    c = PCE_TABLE_A["white_male"]
    base = individual_sum(c, 55, 213, 50, 120, False, False, False)
    both = individual_sum(c, 55, 213, 50, 120, True, True, True)
    la, ls = math.log(55), math.log(120)
    expected = base - c.ln_untreated_sbp * ls + c.ln_treated_sbp * ls
    expected += c.current_smoker + (c.ln_age_x_current_smoker or 0.0) * la + c.diabetes
    assert both == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("risk", "category"),
    [(4.9, "low"), (5.0, "borderline"), (7.4, "borderline"), (7.5, "intermediate"),
     (19.9, "intermediate"), (20.0, "high")],
)  # fmt: skip
def test_when_risk_on_a_boundary_then_category_follows_the_2019_guideline(
    risk: float, category: str
) -> None:
    from medsage.health.risk._base import band
    from medsage.health.risk.ascvd_pce_2013 import RISK_BANDS

    assert band(risk, RISK_BANDS) == category


def test_when_cholesterol_in_mmol_l_then_converted_with_38_67() -> None:
    mmol = compute("ascvd_pce_2013", sex="male", race="white", age=55,
                   total_cholesterol_mmol_l=213 / CHOLESTEROL_MG_DL_PER_MMOL_L,
                   hdl_mmol_l=50 / CHOLESTEROL_MG_DL_PER_MMOL_L, systolic_bp=120,
                   bp_treated=False, smoker=False, diabetes=False)  # fmt: skip
    assert mmol.details["inputs"]["total_cholesterol_mg_dl"] == pytest.approx(213, abs=1e-9)
    assert mmol.value == 5.4


def test_when_both_cholesterol_units_disagree_then_error_names_both() -> None:
    with pytest.raises(InvalidInputError, match=r"total_cholesterol_mg_dl = 213 and "
                       r"total_cholesterol_mmol_l = 4.0 .*disagree"):  # fmt: skip
        compute("ascvd_pce_2013", sex="male", race="white", **EXAMPLE,
                total_cholesterol_mmol_l=4.0)  # fmt: skip


def test_when_both_cholesterol_units_agree_then_mg_dl_value_used() -> None:
    result = compute("ascvd_pce_2013", sex="male", race="white", **EXAMPLE,
                     total_cholesterol_mmol_l=5.51)  # fmt: skip
    assert result.details["inputs"]["total_cholesterol_mg_dl"] == 213.0


@pytest.mark.parametrize(
    ("change", "message"),
    [({"age": 39}, "age = 39 is outside the allowed range 40 to 79 years"),
     ({"age": 80}, "age = 80 is outside the allowed range 40 to 79 years"),
     ({"hdl_mg_dl": 110}, "hdl_mg_dl = 110 is outside the allowed range 20 to 100 mg/dL"),
     ({"systolic_bp": 85}, "systolic_bp = 85 is outside the allowed range 90 to 200 mmHg")],
)  # fmt: skip
def test_when_input_out_of_range_then_error_names_input_and_range(
    change: dict[str, float], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        compute("ascvd_pce_2013", sex="male", race="white", **{**EXAMPLE, **change})


def test_when_mmol_value_out_of_range_then_error_gives_both_units() -> None:
    with pytest.raises(
        InvalidInputError,
        match=r"hdl_mmol_l = 3\.0 \(= 116\.01 mg/dL\) is "
        r"outside the allowed range 0\.5172 to 2\.586 mmol/L \(20 to 100 mg/dL\)",
    ):
        compute("ascvd_pce_2013", sex="male", race="white", age=55,
                total_cholesterol_mg_dl=213, hdl_mmol_l=3.0, systolic_bp=120,
                bp_treated=False, smoker=False, diabetes=False)  # fmt: skip


def test_when_race_missing_then_error_lists_the_choices() -> None:
    with pytest.raises(InvalidInputError, match=r"missing input race .*one of: white, "
                       r"african_american, other"):  # fmt: skip
        compute("ascvd_pce_2013", sex="male", **EXAMPLE)
