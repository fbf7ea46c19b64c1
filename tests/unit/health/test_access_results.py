"""What a researcher sees of derived results (risk, alerts, trends): no ids, no dates."""

from __future__ import annotations

from medsage.health._access import deidentified_result


def test_when_an_alert_names_a_date_and_an_observation_then_both_are_removed() -> None:
    alert = {
        "code": "8480-6", "severity": "warning",
        "message_en": "Systolic blood pressure 172 mmHg on 2026-11-28 is at or above 140 mmHg.",
        "message_zh": "2026-11-28收缩压172 mmHg", "observation_ids": ["demo-001-v5-bp"],
    }  # fmt: skip
    assert deidentified_result(alert, "demo-001", "R-abc") == {
        "code": "8480-6", "severity": "warning",
        "message_en": "Systolic blood pressure 172 mmHg in 2026 is at or above 140 mmHg.",
        "message_zh": "2026收缩压172 mmHg",
    }  # fmt: skip


def test_when_a_trend_has_timestamps_and_sources_then_years_remain() -> None:
    trend = {"first": {"time": "2026-07-01T09:00:00+00:00", "value": 1.05,
                       "source_id": "demo-001-v0-cr"}, "n": 6}  # fmt: skip
    expected = {"first": {"time": 2026, "value": 1.05}, "n": 6}
    assert deidentified_result(trend, "demo-001", "R-abc") == expected


def test_when_a_risk_input_is_an_age_of_90_or_more_then_it_is_withheld() -> None:
    provenance = {"age": "patient.birth_date (age on 2026-11-28)"}
    risk = {"details": {"inputs": {"age": 93.0, "sex": "female"}, "note": "patient demo-009",
                        "provenance": provenance}}  # fmt: skip
    assert deidentified_result(risk, "demo-009", "R-xyz") == {
        "details": {"inputs": {"age": None, "sex": "female"}, "note": "patient R-xyz"}
    }
