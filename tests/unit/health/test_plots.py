"""Measurement plots: PNG size, title, trend line, threshold lines, reproducible bytes."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from medsage.errors import EmptyInputError, InvalidInputError
from medsage.health._alerts import Threshold, alert_thresholds
from medsage.health._plots import _figure, plot_measurement
from medsage.health._trends import Measurement

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SBP = [
    Measurement(T0 + timedelta(days=30 * i), 130.0 + 3 * i, "mm[Hg]", f"bp-{i}") for i in range(5)
]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_when_sbp_is_plotted_then_png_is_800_by_450_and_reproducible(tmp_path: Path) -> None:
    first = plot_measurement(
        "8480-6", SBP, thresholds=alert_thresholds("8480-6"), path=tmp_path / "a" / "sbp.png"
    )
    second = plot_measurement(
        "8480-6", SBP, thresholds=alert_thresholds("8480-6"), path=tmp_path / "sbp2.png"
    )
    assert first == tmp_path / "a" / "sbp.png"
    assert _png_size(first) == (800, 450)
    assert first.read_bytes() == second.read_bytes()


def test_when_figure_is_built_then_title_fit_line_and_thresholds_are_drawn() -> None:
    fig = _figure("8480-6", SBP, alert_thresholds("8480-6"))
    (ax,) = fig.axes
    assert ax.get_title() == "Systolic blood pressure (LOINC 8480-6)"
    assert ax.get_ylabel() == "mmHg"
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == [
        "measured",
        "trend +3.04 per month (R² = 1.00)",
        ">= 130 (info)",
        ">= 140 (warning)",
        ">= 180 (urgent)",
    ]
    fit_line = ax.get_lines()[1]
    assert list(fit_line.get_ydata()) == pytest.approx([130.0, 142.0], rel=1e-12)
    assert [ax.get_lines()[i].get_ydata()[0] for i in (2, 3, 4)] == [130.0, 140.0, 180.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels


def test_when_thresholds_are_in_another_unit_then_they_are_converted() -> None:
    glucose = [
        Measurement(T0, 5.5, "mmol/L", "g-0"),
        Measurement(T0 + timedelta(days=90), 6.0, "mmol/L", "g-1"),
    ]
    line = Threshold(126.0, "mg/dL", ">= 126 (info)", "info")
    (ax,) = _figure("2339-0", glucose, [line]).axes
    assert ax.get_lines()[2].get_ydata()[0] == pytest.approx(126.0 / 18.016, rel=1e-12)
    assert ax.get_title() == "Glucose in blood (LOINC 2339-0)"


def test_when_one_point_or_unknown_code_then_points_only_and_code_title() -> None:
    (ax,) = _figure("1234-5", SBP[:1], []).axes
    assert ax.get_title() == "LOINC 1234-5"
    assert [line.get_label() for line in ax.get_lines()] == ["measured"]


def test_when_input_is_bad_then_errors_name_it(tmp_path: Path) -> None:
    with pytest.raises(EmptyInputError, match="no measurements of 8480-6"):
        plot_measurement("8480-6", [], path=tmp_path / "x.png")
    with pytest.raises(InvalidInputError, match=r"must end in \.png"):
        plot_measurement("8480-6", SBP, path=tmp_path / "x.jpg")
    assert list(tmp_path.iterdir()) == []
