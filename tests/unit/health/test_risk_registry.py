"""The registry: list_scores, input validation, JSON, and compute_many == compute."""

from __future__ import annotations

import json
import math
import random
import time
from typing import Any

import pytest

from medsage.errors import InvalidInputError, UnknownNameError
from medsage.health.risk import compute, compute_many, list_scores, missing_inputs

NAMES = ["ascvd_pce_2013", "bmi", "bp_category", "cha2ds2_vasc", "egfr_ckd_epi_2021",
         "findrisc", "qsofa"]  # fmt: skip


def test_when_listed_then_seven_scores_with_inputs_ranges_and_references() -> None:
    specs = {spec.name: spec for spec in list_scores()}
    assert sorted(specs) == NAMES
    egfr = specs["egfr_ckd_epi_2021"].to_dict()
    creatinine = egfr["inputs"][0]
    assert (creatinine["name"], creatinine["unit"], creatinine["minimum"],
            creatinine["maximum"]) == ("creatinine_mg_dl", "mg/dL", 0.1, 30.0)  # fmt: skip
    assert creatinine["alternatives"][0]["name"] == "creatinine_umol_l"
    assert creatinine["alternatives"][0]["allowed"] == "8.84 to 2652 µmol/L"
    assert "N Engl J Med 2021;385:1737-49" in egfr["reference"]
    for spec in specs.values():
        assert spec.reference and spec.inputs and spec.categories
        json.dumps(spec.to_dict())


def test_when_unknown_score_then_error_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="unknown risk score 'framingham'; choose one of: "
                       "ascvd_pce_2013, bmi"):  # fmt: skip
        compute("framingham", age=50)


def test_when_unknown_input_then_error_lists_accepted_names() -> None:
    with pytest.raises(InvalidInputError, match="bmi: unknown input\\(s\\) weight; accepted: "
                       "weight_kg, height_cm, standard"):  # fmt: skip
        compute("bmi", weight=70, height_cm=175)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), True, "70kg", [70]])
def test_when_number_is_not_a_finite_number_then_error(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="weight_kg = "):
        compute("bmi", weight_kg=bad, height_cm=175)


def test_when_strings_given_then_parsed_like_the_command_line() -> None:
    result = compute("cha2ds2_vasc", age="76", sex="Female", congestive_heart_failure="no",
                     hypertension="YES", diabetes="0", stroke_tia_thromboembolism="false",
                     vascular_disease="n")  # fmt: skip
    assert result.value == 4


def test_when_yes_no_value_unclear_then_error_names_accepted_words() -> None:
    with pytest.raises(InvalidInputError, match="hypertension = 'maybe' is not a yes/no value"):
        compute("cha2ds2_vasc", age=70, sex="male", congestive_heart_failure=False,
                hypertension="maybe", diabetes=False, stroke_tia_thromboembolism=False,
                vascular_disease=False)  # fmt: skip


def test_when_inputs_partial_then_missing_inputs_names_the_rest() -> None:
    assert missing_inputs("egfr_ckd_epi_2021", {"creatinine_umol_l": 80}) == ["age", "sex"]
    assert missing_inputs("bmi", {"weight_kg": 70}) == ["height_cm"]


def test_when_result_serialised_then_json_round_trips_with_chinese_label() -> None:
    result = compute("bmi", weight_kg=80, height_cm=175, standard="china")
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert data["score"] == "bmi"
    assert (data["value"], data["category"], data["details"]["category_zh"]) == (
        26.1, "overweight", "超重",
    )  # fmt: skip


def _row(name: str, rng: random.Random) -> dict[str, Any]:
    yes = lambda p=0.3: rng.random() < p  # noqa: E731
    sex = rng.choice(["female", "male"])
    if name == "bmi":
        return {"weight_kg": rng.uniform(35, 160), "height_cm": rng.uniform(140, 200),
                "standard": rng.choice(["who", "china"])}  # fmt: skip
    if name == "bp_category":
        dbp = rng.uniform(50, 125)
        return {"systolic": dbp + rng.uniform(15, 90), "diastolic": dbp,
                "standard": rng.choice(["acc_aha_2017", "china_2018"])}  # fmt: skip
    if name == "egfr_ckd_epi_2021":
        scr = rng.uniform(0.3, 8)
        unit = {"creatinine_umol_l": scr * 88.4} if yes(0.5) else {"creatinine_mg_dl": scr}
        return {**unit, "age": rng.randint(18, 95), "sex": sex}
    if name == "ascvd_pce_2013":
        tc = rng.uniform(130, 320)
        cholesterol = {"total_cholesterol_mmol_l": tc / 38.67} if yes() else {
            "total_cholesterol_mg_dl": tc}  # fmt: skip
        return {**cholesterol, "age": rng.uniform(40, 79), "sex": sex,
                "race": rng.choice(["white", "african_american", "other"]),
                "hdl_mg_dl": rng.uniform(20, 100), "systolic_bp": rng.uniform(90, 200),
                "bp_treated": yes(), "smoker": "yes" if yes() else "no",
                "diabetes": yes(0.1)}  # fmt: skip
    if name == "findrisc":
        return {"age": rng.randint(18, 90), "sex": sex, "bmi": rng.uniform(17, 45),
                "waist_cm": rng.uniform(60, 130), "physically_active_30min_daily": yes(),
                "vegetables_daily": yes(0.6), "bp_medication": yes(), "high_glucose_history":
                yes(0.1), "family_history": rng.choice(["none", "second_degree",
                                                          "first_degree"])}  # fmt: skip
    if name == "cha2ds2_vasc":
        return {"age": rng.randint(30, 95), "sex": sex, "congestive_heart_failure": yes(),
                "hypertension": yes(0.5), "diabetes": yes(), "stroke_tia_thromboembolism":
                yes(0.1), "vascular_disease": yes(0.2)}  # fmt: skip
    mentation = {"gcs": rng.randint(3, 15)} if yes(0.5) else {"altered_mentation": yes()}
    return {**mentation, "respiratory_rate": rng.randint(8, 40),
            "systolic_bp": rng.randint(60, 180)}  # fmt: skip


def _same(a: Any, b: Any) -> bool:
    """Equal, floats to 1e-12 relative (numpy and math may differ in the last bit)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(type(a) is type(b) and a == b)


@pytest.mark.parametrize("name", NAMES)
def test_when_many_rows_then_vectorised_equals_scalar(name: str) -> None:
    rng = random.Random(7)
    rows = [_row(name, rng) for _ in range(1500)]
    many = compute_many(name, rows)
    scalar = [compute(name, **row) for row in rows]
    assert len(many) == len(scalar) == 1500
    for got, expected in zip(many, scalar, strict=True):
        assert (got.value, got.category) == (expected.value, expected.category)
        assert _same(got.to_dict(), expected.to_dict()), (got, expected)
    assert len({r.category for r in scalar}) >= 2


def test_when_a_row_is_bad_then_compute_many_names_the_row_and_input() -> None:
    rows = [{"weight_kg": 70, "height_cm": 175}] * 3 + [{"weight_kg": 70, "height_cm": 1.75}]
    with pytest.raises(InvalidInputError, match=r"row 3: bmi: height_cm = 1\.75 is outside"):
        compute_many("bmi", rows)
    with pytest.raises(InvalidInputError, match="row 1: bmi: missing input height_cm"):
        compute_many("bmi", [{"weight_kg": 70, "height_cm": 175}, {"weight_kg": 70}])
    with pytest.raises(InvalidInputError, match="row 0: bp_category: systolic = 80 is not above"):
        compute_many("bp_category", [{"systolic": 80, "diastolic": 90}])


def test_when_many_rows_mix_types_then_same_as_scalar() -> None:
    rows: list[dict[str, Any]] = [
        {"respiratory_rate": "24", "systolic_bp": 99, "gcs": 15},
        {"respiratory_rate": 20, "systolic_bp": "120", "altered_mentation": "yes"},
        {"respiratory_rate": 22.0, "systolic_bp": 100, "altered_mentation": 1, "gcs": None},
    ]
    assert [r.value for r in compute_many("qsofa", rows)] == [2, 1, 3]
    assert compute_many("qsofa", []) == []


@pytest.mark.slow
def test_when_100000_patients_then_compute_many_takes_seconds_not_minutes() -> None:
    rng = random.Random(3)
    rows = [_row("ascvd_pce_2013", rng) for _ in range(100_000)]
    start = time.process_time()
    results = compute_many("ascvd_pce_2013", rows)
    cpu_seconds = time.process_time() - start
    assert len(results) == 100_000
    assert cpu_seconds < 10.0, f"{cpu_seconds:.1f} s CPU for 100,000 patients"
