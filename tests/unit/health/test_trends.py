"""Trends: least-squares slope per month/year, R², unit folding and conversion, bad input."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from medsage.errors import EmptyInputError, InvalidInputError
from medsage.health._trends import Measurement, convert_value, same_unit, trend

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _m(day: float, value: float, unit: str = "mm[Hg]", sid: str | None = None) -> Measurement:
    return Measurement(T0 + timedelta(days=day), value, unit, sid or f"obs-{day:g}")


def test_when_values_rise_on_a_line_then_slopes_change_and_r2_are_exact() -> None:
    fit = trend([_m(0, 100), _m(30, 103), _m(60, 106)], code="8480-6")
    # 0.1 per day: 36.525 per Julian year, 3.04375 per month (a twelfth of it).
    assert fit.slope_per_year == pytest.approx(36.525, rel=1e-12)
    assert fit.slope_per_month == pytest.approx(3.04375, rel=1e-12)
    assert (fit.n, fit.change, fit.r2, fit.unit) == (3, 6.0, 1.0, "mm[Hg]")
    assert (fit.first.source_id, fit.last.source_id) == ("obs-0", "obs-60")


def test_when_values_scatter_then_r2_is_the_coefficient_of_determination() -> None:
    # y = 1, 3, 2 at days 0, 1, 2: slope 0.5/day, SSres 1.5, SStot 2 -> R² 0.25.
    fit = trend([_m(2, 2), _m(0, 1), _m(1, 3)], code="8480-6")
    assert fit.slope_per_year == pytest.approx(182.625, rel=1e-12)
    assert fit.r2 == pytest.approx(0.25, rel=1e-12)
    assert [p.source_id for p in fit.points] == ["obs-0", "obs-1", "obs-2"]
    assert fit.change == 1.0
    assert fit.value_at(T0 + timedelta(days=1)) == pytest.approx(2.0, rel=1e-12)
    assert fit.value_at(T0) == pytest.approx(1.5, rel=1e-12)


def test_when_every_value_is_equal_then_slope_is_zero_and_r2_is_one() -> None:
    fit = trend([_m(0, 5.0, "%"), _m(90, 5.0, "%")], code="4548-4")
    assert (fit.slope_per_year, fit.slope_per_month, fit.r2, fit.change) == (0.0, 0.0, 1.0, 0.0)


def test_when_creatinine_mixes_mg_dl_and_umol_l_then_all_are_converted_by_88_4() -> None:
    points = [_m(0, 1.0, "mg/dL", "a"), _m(365.25, 106.08, "umol/L", "b")]
    fit = trend(points, code="2160-0")
    assert fit.unit == "umol/L"
    assert [p.value for p in fit.points] == pytest.approx([88.4, 106.08], rel=1e-12)
    assert fit.slope_per_year == pytest.approx(17.68, rel=1e-12)
    in_mg = trend(points, code="2160-0", unit="mg/dL")
    assert [p.value for p in in_mg.points] == pytest.approx([1.0, 1.2], rel=1e-12)
    assert [p.unit for p in in_mg.points] == ["mg/dL", "mg/dL"]


def test_when_known_pairs_convert_then_values_match_the_cited_factors() -> None:
    assert convert_value(5.5, "mmol/L", "mg/dL", code="2339-0") == pytest.approx(99.088)
    assert convert_value(126.0, "mg/dL", "mmol/L", code="2345-7") == pytest.approx(6.99378, 1e-5)
    assert convert_value(88.4, "µmol/L", "mg/dL", code="38483-4") == pytest.approx(1.0)
    assert convert_value(5.0, "mmol/L", "mg/dL", code="18262-6") == pytest.approx(193.35)
    # IFCC-NGSP master equation: 53 mmol/mol is HbA1c 7.0%.
    assert convert_value(53.0, "mmol/mol", "%", code="4548-4") == pytest.approx(6.99948, 1e-5)
    assert convert_value(7.0, "%", "mmol/mol", code="4548-4") == pytest.approx(53.0055, 1e-5)
    assert convert_value(3.0, "mg/mmol", "mg/g", code="9318-7") == pytest.approx(26.52)
    assert convert_value(6.1, "mEq/L", "mmol/L", code="2823-3") == 6.1


def test_when_units_are_spelled_differently_then_they_are_the_same_unit() -> None:
    assert same_unit("mm[Hg]", "mmHg")
    assert same_unit("mL/min/{1.73_m2}", "mL/min/1.73 m2")
    assert not same_unit("mg/dL", "mmol/L")
    fit = trend([_m(0, 120, "mmHg"), _m(10, 130, "mm[Hg]")], code="8480-6")
    assert fit.unit == "mm[Hg]"


def test_when_units_do_not_convert_then_error_names_units_and_observations() -> None:
    points = [_m(0, 120, "mm[Hg]", "a"), _m(1, 16, "kPa", "c"), _m(2, 125, "mm[Hg]", "b")]
    with pytest.raises(InvalidInputError) as caught:
        trend(points, code="8480-6")
    assert str(caught.value) == (
        "points for 8480-6 have mixed units with no known conversion to 'mm[Hg]': "
        "'mm[Hg]' (2 points: a, b); 'kPa' (1 point: c); convert them to one unit before "
        "computing a trend"
    )


def test_when_fewer_than_two_points_or_times_then_error_says_what_is_needed() -> None:
    with pytest.raises(EmptyInputError, match="no points for 8480-6"):
        trend([], code="8480-6")
    with pytest.raises(InvalidInputError, match=r"at least 2 measurements; got 1 \(obs-0\)"):
        trend([_m(0, 120)], code="8480-6")
    with pytest.raises(InvalidInputError, match="at least 2 distinct times"):
        trend([_m(0, 120, sid="a"), _m(0, 130, sid="b")], code="8480-6")


def test_when_a_value_is_not_finite_then_error_names_the_observation() -> None:
    with pytest.raises(InvalidInputError, match="observation 'bad' \\(8480-6\\) has value nan"):
        trend([_m(0, 120), _m(1, math.nan, sid="bad")], code="8480-6")


def test_when_naive_and_aware_times_mix_then_error() -> None:
    naive = Measurement(datetime(2024, 2, 1), 120.0, "mm[Hg]", "n")
    with pytest.raises(InvalidInputError, match="mix timezone-aware and naive"):
        trend([_m(0, 120), naive], code="8480-6")


def test_when_trend_is_serialised_then_dict_holds_iso_times() -> None:
    data = trend([_m(0, 100), _m(30, 103)], code="8480-6").to_dict()
    assert data["first"] == {
        "time": "2024-01-01T00:00:00+00:00",
        "value": 100,
        "unit": "mm[Hg]",
        "source_id": "obs-0",
    }
    assert (data["code"], data["n"], data["change"]) == ("8480-6", 2, 3)
