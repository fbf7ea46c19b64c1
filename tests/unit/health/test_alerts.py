"""Alerts: threshold rules on the latest value, rapid change over time, units, rule data."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from medsage.errors import DataFormatError, InvalidInputError
from medsage.health._alerts import (
    alert_thresholds,
    evaluate_alerts,
    load_alert_rules,
    parse_alert_rules,
)
from medsage.health._trends import Measurement

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _series(values: list[float], unit: str, step_days: float, prefix: str) -> list[Measurement]:
    return [
        Measurement(T0 + timedelta(days=step_days * i), v, unit, f"{prefix}-{i}")
        for i, v in enumerate(values)
    ]


def _one(value: float, unit: str, sid: str = "obs-1") -> list[Measurement]:
    return [Measurement(T0, value, unit, sid)]


def test_when_packaged_rules_are_read_then_they_round_trip_to_the_file() -> None:
    text = resources.files("medsage.resources").joinpath("health/alert_rules.json").read_text()
    assert [r.to_dict() for r in load_alert_rules()] == json.loads(text)["rules"]
    assert len(load_alert_rules()) == 33


def test_when_sbp_is_185_then_only_the_urgent_rule_of_its_group_fires() -> None:
    older = Measurement(T0 - timedelta(days=400), 120.0, "mm[Hg]", "old")
    alerts = evaluate_alerts({"8480-6": [*_one(185, "mm[Hg]", "bp-9"), older]})
    assert len(alerts) == 1
    alert = alerts[0]
    assert (alert.rule_id, alert.kind, alert.severity) == ("sbp_grade_3", "threshold", "urgent")
    assert alert.observation_ids == ("bp-9",)
    assert alert.message_en == (
        "Systolic blood pressure 185 mmHg on 2024-01-01 is at or above 180 mmHg (grade 3 "
        "hypertension range): repeat the measurement and seek prompt clinical assessment."
    )
    assert alert.message_zh == (
        "2024-01-01收缩压185 mmHg，达到或超过180 mmHg（3级高血压范围）：请复测并尽快就医评估。"
    )
    assert alert.reference.startswith("2018 ESC/ESH Guidelines")


def test_when_sbp_is_135_then_info_internationally_and_nothing_by_china_cut_offs() -> None:
    series = {"8480-6": _one(135, "mmHg")}
    assert [a.rule_id for a in evaluate_alerts(series)] == ["sbp_stage_1"]
    assert evaluate_alerts(series, standard="china") == []


def test_when_egfr_falls_8_per_year_then_rapid_decline_alert_lists_every_point() -> None:
    egfr = _series([70, 66, 62, 58, 54], "mL/min", 182.625, "eg")
    alerts = evaluate_alerts({"33914-3": egfr})
    assert [(a.rule_id, a.severity) for a in alerts] == [
        ("egfr_rapid_decline", "warning"),
        ("egfr_below_60", "info"),
    ]
    rapid = alerts[0]
    assert rapid.kind == "rapid_change"
    assert rapid.observation_ids == ("eg-0", "eg-1", "eg-2", "eg-3", "eg-4")
    assert rapid.message_en == (
        "eGFR (MDRD, per 1.73 m2) has fallen by 8 mL/min/1.73 m2 per year over 5 measurements "
        "in 24 months (more than 5 per year: rapid progression): review the causes and kidney "
        "care."
    )
    assert alerts[1].observation_ids == ("eg-4",)


def test_when_egfr_falls_4_per_year_then_no_rapid_decline() -> None:
    egfr = _series([90, 88, 86], "mL/min/{1.73_m2}", 182.625, "eg")
    assert evaluate_alerts({"98979-8": egfr}) == []


def test_when_egfr_falls_fast_over_too_few_points_or_too_short_then_no_rapid_decline() -> None:
    two = _series([90, 70], "mL/min/{1.73_m2}", 365.25, "eg")
    short = _series([90, 85, 80], "mL/min/{1.73_m2}", 100, "eg")
    assert evaluate_alerts({"62238-1": two}) == []
    assert evaluate_alerts({"62238-1": short}) == []


def test_when_sbp_rises_3_per_month_for_7_months_then_rising_alert_and_stage_2() -> None:
    sbp = _series([130 + 3 * i for i in range(8)], "mm[Hg]", 30, "bp")
    alerts = evaluate_alerts({"8480-6": sbp})
    assert [a.rule_id for a in alerts] == ["sbp_hypertension", "sbp_rising"]
    rising = alerts[1]
    assert rising.observation_ids == tuple(f"bp-{i}" for i in range(8))
    assert rising.message_en == (
        "Systolic blood pressure has risen by 3.04 mmHg per month over 8 readings in 6.9 "
        "months (more than 2 per month): review blood pressure control."
    )


def test_when_sbp_rises_over_less_than_180_days_then_no_rising_alert() -> None:
    sbp = _series([110, 115, 120, 125], "mm[Hg]", 50, "bp")
    assert evaluate_alerts({"8480-6": sbp}) == []


def test_when_old_readings_fall_outside_the_window_then_they_are_not_fitted() -> None:
    # With the two old readings of 60 the fitted rise would be about 3.6 mmHg/month.
    old = _series([60, 60], "mm[Hg]", 30, "old")
    recent = [
        Measurement(T0 + timedelta(days=400 + 30 * i), 120.0, "mm[Hg]", f"new-{i}")
        for i in range(8)
    ]
    assert evaluate_alerts({"8480-6": old + recent}, standard="china") == []
    near = [
        Measurement(T0 + timedelta(days=300 + 30 * i), 120.0, "mm[Hg]", f"n-{i}") for i in range(3)
    ]
    fired = evaluate_alerts({"8480-6": old + near}, standard="china")
    assert [(a.rule_id, len(a.observation_ids)) for a in fired] == [("sbp_rising", 5)]


def test_when_units_differ_from_the_rule_then_values_are_converted() -> None:
    alerts = evaluate_alerts(
        {
            "2823-3": _one(6.2, "mEq/L", "k-1"),
            "2339-0": _one(2.8, "mmol/L", "glu-1"),
        }
    )
    assert [(a.rule_id, a.severity) for a in alerts] == [
        ("glucose_level_2_hypoglycemia", "urgent"),
        ("potassium_moderate_hyperkalaemia", "urgent"),
    ]
    assert alerts[0].message_en.startswith("Glucose in blood 50.44 mg/dL on 2024-01-01 is below 54")


def test_when_several_codes_alert_then_urgent_come_first() -> None:
    alerts = evaluate_alerts(
        {
            "59408-5": _one(91, "%", "spo2"),
            "4548-4": _one(6.8, "%", "a1c"),
            "8867-4": _one(45, "/min", "hr"),
            "39156-5": _one(31.2, "kg/m2", "bmi"),
        }
    )
    assert [(a.severity, a.rule_id, a.observation_ids) for a in alerts] == [
        ("urgent", "spo2_news2_3", ("spo2",)),
        ("warning", "hba1c_diabetes_range", ("a1c",)),
        ("info", "bmi_obesity", ("bmi",)),
        ("info", "heart_rate_news2_low_1", ("hr",)),
    ]


def test_when_codes_have_no_rules_or_no_points_then_no_alerts() -> None:
    assert evaluate_alerts({"29463-7": _one(80, "kg"), "8480-6": []}) == []


def test_when_a_unit_does_not_convert_then_error_names_the_observation() -> None:
    with pytest.raises(InvalidInputError, match="observation 'bp-x': cannot convert LOINC 8480-6"):
        evaluate_alerts({"8480-6": _one(16, "kPa", "bp-x")})


def test_when_standard_is_unknown_then_error() -> None:
    with pytest.raises(InvalidInputError, match="standard 'us'"):
        evaluate_alerts({}, standard="us")  # type: ignore[arg-type]


def test_when_a_rule_is_malformed_then_data_format_error_names_it() -> None:
    rule = load_alert_rules()[0].to_dict() | {"op": "=>"}
    with pytest.raises(DataFormatError, match="alert rule 'sbp_grade_3': op '=>'"):
        parse_alert_rules({"rules": [rule]})
    rule = load_alert_rules()[0].to_dict() | {"message_en": "{colour}"}
    with pytest.raises(DataFormatError, match="unknown placeholders \\['colour'\\]"):
        parse_alert_rules({"rules": [rule]})


def test_when_thresholds_are_asked_for_a_code_then_values_follow_the_standard() -> None:
    assert [t.value for t in alert_thresholds("8480-6")] == [130.0, 140.0, 180.0]
    assert [t.value for t in alert_thresholds("8480-6", standard="china")] == [140.0, 180.0]
    assert [t.label for t in alert_thresholds("59408-5")] == ["< 92 (urgent)", "< 94 (warning)"]


def test_when_alert_is_serialised_then_dict_is_json_ready() -> None:
    (alert,) = evaluate_alerts({"18262-6": _one(195, "mg/dL", "ldl")})
    data = alert.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert (data["rule_id"], data["observation_ids"]) == (
        "ldl_severe_hypercholesterolaemia",
        ["ldl"],
    )


@pytest.mark.shared_data
def test_when_the_12_synthea_bundles_are_evaluated_then_alert_counts_are_known(
    shared_data: Path,
) -> None:
    counts: Counter[str] = Counter()
    for bundle in sorted((shared_data / "synthea_mcode_sample" / "fhir").glob("*.json")):
        series: dict[str, list[Measurement]] = defaultdict(list)
        for entry in json.loads(bundle.read_text(encoding="utf-8"))["entry"]:
            res = entry["resource"]
            if res["resourceType"] != "Observation":
                continue
            when = datetime.fromisoformat(res["effectiveDateTime"])
            for part in [res, *res.get("component", [])]:
                qty = part.get("valueQuantity")
                if qty is not None:
                    code = part["code"]["coding"][0]["code"]
                    series[code].append(
                        Measurement(when, float(qty["value"]), qty["code"], res["id"])
                    )
        counts.update(a.rule_id for a in evaluate_alerts(series))
    # Synthea's COVID-19 encounters carry arterial SpO2 of 75-88%.
    assert counts == {
        "spo2_news2_3": 8,
        "dbp_stage_1": 7,
        "hba1c_prediabetes_range": 3,
        "sbp_stage_1": 3,
        "heart_rate_news2_high_2": 1,
        "bmi_obesity": 1,
    }
