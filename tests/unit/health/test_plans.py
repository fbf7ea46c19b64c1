"""Care plans: which rules fire, the reasons behind each item, KDIGO follow-up, text, errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from medsage.errors import InvalidInputError
from medsage.health._plans import CarePlan, PlanInputs, make_plan
from medsage.health._trends import Measurement

T = datetime(2025, 3, 1, tzinfo=UTC)


def _m(value: float, unit: str, sid: str) -> Measurement:
    return Measurement(T, value, unit, sid)


def _ids(plan: CarePlan) -> dict[str, list[str]]:
    return {
        "goal": [i.rule_id for i in plan.goals],
        "action": [i.rule_id for i in plan.actions],
        "follow_up": [i.rule_id for i in plan.follow_up],
    }


def _reasons(plan: CarePlan, rule_id: str) -> list[tuple[str, str]]:
    (item,) = [i for i in plan.items if i.rule_id == rule_id]
    return [(r.kind, r.item_id) for r in item.reasons]


def _complex_inputs(**changes: Any) -> PlanInputs:
    base: dict[str, Any] = {
        "age": 58,
        "sex": "male",
        "conditions": ["I10", "E11.9", "N18.3"],
        "medications": ["Ibuprofen 200 MG Oral Tablet", "Metformin 500 MG"],
        "latest": {
            "8480-6": _m(142, "mm[Hg]", "obs-sbp"),
            "8462-4": _m(78, "mm[Hg]", "obs-dbp"),
            "4548-4": _m(7.8, "%", "obs-a1c"),
            "33914-3": _m(41, "mL/min", "obs-egfr"),
            "39156-5": _m(27.3, "kg/m2", "obs-bmi"),
        },
        "risks": {"ascvd_pce_2013": {"value": 14.2, "unit": "%", "category": "intermediate"}},
        "smoker": True,
        "smoking_source_id": "obs-smk",
    }
    return PlanInputs(**(base | changes))


def test_when_record_has_hypertension_diabetes_ckd_and_smoking_then_rules_fire() -> None:
    plan = make_plan(_complex_inputs(), "en")
    assert _ids(plan) == {
        "goal": ["bp_goal_130_80", "hba1c_goal_7", "ldl_lower_30", "weight_loss"],
        "action": [
            "smoking_cessation",
            "bp_lifestyle",
            "physical_activity",
            "ckd_avoid_nsaids",
            "ckd_nsaid_review",
        ],
        "follow_up": [
            "ckd_monitoring",
            "hba1c_quarterly",
            "diabetes_annual_checks",
            "bp_monthly_until_controlled",
        ],
    }
    assert _reasons(plan, "bp_goal_130_80") == [
        ("condition", "I10"),
        ("risk", "ascvd_pce_2013"),
    ]
    assert _reasons(plan, "ckd_nsaid_review") == [
        ("condition", "N18.3"),
        ("measurement", "obs-egfr"),
        ("medication", "Ibuprofen 200 MG Oral Tablet"),
    ]
    assert _reasons(plan, "smoking_cessation") == [("smoking", "obs-smk")]
    assert all(item.reasons and item.reference for item in plan.items)


def test_when_ckd_is_g3b_without_albuminuria_then_follow_up_is_twice_a_year() -> None:
    plan = make_plan(_complex_inputs(), "en")
    (item,) = [i for i in plan.follow_up if i.rule_id == "ckd_monitoring"]
    assert item.text_en == (
        "Check eGFR and urine albumin-to-creatinine ratio twice a year (every 6 months) "
        "(KDIGO G3b; albuminuria not on record, monitoring set for A1: measure urine ACR)."
    )
    assert item.text_zh == (
        "复查eGFR和尿白蛋白/肌酐比值，每年2次（每6个月）（KDIGO G3b；无尿白蛋白记录，按A1安排："
        "请检测尿白蛋白/肌酐比值）。"
    )


@pytest.mark.parametrize(
    ("egfr", "acr", "acr_unit", "expected"),
    [
        (50, 45, "mg/g", "twice a year (every 6 months) (KDIGO G3a A2)"),
        (50, 40, "mg/mmol", "3 times a year (every 4 months) (KDIGO G3a A3)"),  # 353.6 mg/g
        (75, 30, "mg/g", "once a year (KDIGO G2 A2)"),
        (20, 10, "mg/g", "3 times a year (every 4 months) (KDIGO G4 A1)"),
        (12, 500, "mg/g", "4 or more times a year (at least every 3 months) (KDIGO G5 A3)"),
    ],
)
def test_when_g_and_a_categories_are_known_then_kdigo_grid_sets_the_interval(
    egfr: float, acr: float, acr_unit: str, expected: str
) -> None:
    inputs = PlanInputs(
        age=64,
        sex="female",
        latest={"98979-8": _m(egfr, "mL/min/{1.73_m2}", "e"), "14959-1": _m(acr, acr_unit, "a")},
    )
    (item,) = make_plan(inputs).follow_up
    assert item.text_en == f"Check eGFR and urine albumin-to-creatinine ratio {expected}."
    assert sorted(r.item_id for r in item.reasons) == ["a", "e"]


def test_when_egfr_risk_is_given_then_it_stages_ckd_before_the_measurement() -> None:
    inputs = PlanInputs(
        age=70,
        sex="male",
        conditions=["N18.4"],
        latest={"33914-3": _m(55, "mL/min", "old-egfr")},
        risks={"egfr_ckd_epi_2021": {"value": 28.0, "unit": "mL/min/1.73m2", "category": "G4"}},
    )
    (item,) = [i for i in make_plan(inputs).follow_up if i.rule_id == "ckd_monitoring"]
    assert "(KDIGO G4;" in item.text_en
    assert [r.text_en for r in item.reasons] == [
        "chronic kidney disease: N18.4",
        "eGFR (MDRD, per 1.73 m2) 55 mL/min/1.73 m2 (2025-03-01)",
        "eGFR (CKD-EPI 2021) 28 mL/min/1.73m2 (G4)",
    ]


def test_when_ckd_has_no_egfr_on_record_then_follow_up_asks_to_stage_it() -> None:
    plan = make_plan(PlanInputs(age=50, sex="female", conditions=["N18.9"]))
    assert [i.text_en for i in plan.follow_up] == [
        "Measure eGFR and urine albumin-to-creatinine ratio now to stage chronic kidney disease "
        "(KDIGO G and A categories)."
    ]


def test_when_bmi_is_24_5_then_weight_goal_only_by_chinese_cut_offs() -> None:
    inputs = PlanInputs(age=40, sex="female", latest={"39156-5": _m(24.5, "kg/m2", "bmi")})
    assert _ids(make_plan(inputs, standard="china"))["goal"] == ["weight_loss_china"]
    assert make_plan(inputs).items == ()


def test_when_findrisc_is_13_then_screening_unless_diabetes_is_known() -> None:
    risks = {"findrisc": {"value": 13, "unit": "points", "category": "moderate"}}
    plan = make_plan(PlanInputs(age=52, sex="male", risks=risks))
    assert _ids(plan) == {
        "goal": [],
        "action": ["physical_activity"],
        "follow_up": ["diabetes_screening"],
    }
    assert plan.follow_up[0].reasons[0].text_en == "FINDRISC score 13 points (moderate)"
    diabetic = make_plan(PlanInputs(age=52, sex="male", conditions=["E11"], risks=risks))
    assert "diabetes_screening" not in _ids(diabetic)["follow_up"]
    assert _ids(diabetic)["follow_up"] == ["hba1c_now", "diabetes_annual_checks"]


def test_when_ascvd_risk_is_high_then_ldl_goal_is_50_percent() -> None:
    risks = {"ascvd_pce_2013": {"value": 23.0, "unit": "%", "category": "high"}}
    plan = make_plan(PlanInputs(age=66, sex="male", risks=risks))
    assert _ids(plan)["goal"] == ["bp_goal_130_80", "ldl_lower_50"]


def test_when_hypertension_is_controlled_then_follow_up_every_3_to_6_months() -> None:
    latest = {"8480-6": _m(124, "mmHg", "s"), "8462-4": _m(76, "mmHg", "d")}
    plan = make_plan(PlanInputs(age=60, sex="female", conditions=["I11.9"], latest=latest))
    assert _ids(plan)["follow_up"] == ["bp_every_3_to_6_months"]
    assert _reasons(plan, "bp_every_3_to_6_months") == [
        ("condition", "I11.9"),
        ("measurement", "s"),
        ("measurement", "d"),
    ]


def test_when_hba1c_is_in_prediabetes_range_then_lifestyle_programme() -> None:
    plan = make_plan(PlanInputs(age=45, sex="male", latest={"4548-4": _m(6.1, "%", "a1c")}))
    assert _ids(plan)["action"] == ["prediabetes_lifestyle"]
    assert plan.actions[0].reasons[0].text_zh == "糖化血红蛋白 6.1%（2025-03-01）"


def test_when_plan_is_written_as_text_then_output_is_exact() -> None:
    inputs = PlanInputs(
        age=45, sex="female", conditions=["Z72.0"], smoker=True, smoking_source_id="obs-7"
    )
    plan = make_plan(inputs, "zh")
    assert plan.to_text() == (
        "健康管理计划\n"
        "行动\n"
        "  1. 戒烟：行为支持与药物（伐尼克兰、安非他酮或尼古丁替代）相结合。\n"
        "     依据：目前吸烟；吸烟：Z72.0\n"
        f"     来源：{plan.actions[0].reference}\n"
        f"{plan.disclaimer_zh}"
    )
    assert plan.to_text("en").splitlines()[:4] == [
        "Care plan",
        "Actions",
        "  1. Stop smoking: combine behavioural support with medication (varenicline, "
        "bupropion or nicotine replacement).",
        "     Because: current smoker; tobacco use: Z72.0",
    ]


def test_when_no_rule_applies_then_text_says_so_with_disclaimer() -> None:
    plan = make_plan(PlanInputs(age=30, sex="male"))
    assert plan.to_text() == (
        "Care plan\nNo rule applied to this record.\n"
        "This plan assists a clinician. It is generated from rules and the record as given; it "
        "is not a diagnosis or a prescription. Check it against the full clinical picture "
        "before acting on it."
    )


def test_when_plan_is_serialised_then_json_round_trips_with_schema() -> None:
    data = make_plan(_complex_inputs(), "zh").to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert (data["schema"], data["lang"], data["standard"]) == (
        "medsage.health.plan/1",
        "zh",
        "international",
    )
    assert data["goals"][0]["reasons"][0] == {
        "kind": "condition",
        "id": "I10",
        "text_en": "hypertensive disease: I10",
        "text_zh": "高血压病：I10",
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"conditions": ["hypertension"]}, "condition 'hypertension' is not an ICD-10 code"),
        ({"age": 150}, "age 150; expected a number of years from 0 to 130"),
        ({"sex": "M"}, "sex 'M'; expected one of"),
        ({"risks": {"ascvd_pce_2013": {"value": "high"}}}, "risk 'ascvd_pce_2013' has value"),
        ({"latest": {"8480-6": _m(16, "kPa", "bp")}}, "observation 'bp': cannot convert"),
    ],
)
def test_when_inputs_are_bad_then_error_names_the_input(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        make_plan(_complex_inputs(**changes))


def test_when_language_or_standard_is_unknown_then_error() -> None:
    with pytest.raises(InvalidInputError, match="lang 'fr'"):
        make_plan(PlanInputs(age=30, sex="male"), "fr")
    with pytest.raises(InvalidInputError, match="standard 'us'"):
        make_plan(PlanInputs(age=30, sex="male"), standard="us")
