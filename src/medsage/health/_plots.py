"""A PNG per measurement: the values over time, the fitted trend line and threshold lines.

matplotlib is imported inside the functions (through `medsage.evaluation._plots`, Agg canvas,
object-oriented API), so importing `medsage.health` stays light and no global backend changes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from medsage.errors import EmptyInputError, InvalidInputError
from medsage.health._alerts import Threshold, display_name
from medsage.health._trends import Measurement, convert_value, trend

__all__ = ["plot_measurement"]

_SEVERITY_COLOURS: Final = {"urgent": "#c0392b", "warning": "#e67e22", "info": "#7f8c8d"}
_UNIT_DISPLAY: Final = {"mm[Hg]": "mmHg", "mL/min/{1.73_m2}": "mL/min/1.73 m2"}


def measurement_title(code: str) -> str:
    """The plot title: the English LOINC display name and the code."""
    name = display_name(code, "en")
    return name if name.startswith("LOINC ") else f"{name} (LOINC {code})"


def _figure(code: str, points: Sequence[Measurement], thresholds: Sequence[Threshold]) -> Any:
    """The matplotlib Figure (kept apart from the PNG so tests can read its parts)."""
    from medsage.evaluation._plots import _new_figure

    ordered = sorted(points, key=lambda p: (p.time, p.source_id))
    fit = trend(ordered, code=code) if len({p.time for p in ordered}) >= 2 else None
    shown = list(fit.points) if fit is not None else ordered
    unit = fit.unit if fit is not None else ordered[-1].unit
    bad = [p.source_id for p in ordered if not math.isfinite(p.value)]
    if bad:
        raise InvalidInputError(f"observations {bad} of {code} have no finite value")
    if fit is None and len({p.unit for p in ordered}) > 1:
        shown = [
            Measurement(p.time, convert_value(p.value, p.unit, unit, code=code), unit, p.source_id)
            for p in ordered
        ]
    fig = _new_figure(8.0, 4.5)
    ax = fig.add_subplot()
    times = [p.time for p in shown]
    ax.plot(times, [p.value for p in shown], "o", color="#1f5f99", label="measured", zorder=3)
    if fit is not None:
        ends = [times[0], times[-1]]
        sign = "+" if fit.slope_per_month >= 0 else "−"
        ax.plot(
            ends,
            [fit.value_at(t) for t in ends],
            "-",
            color="#1f5f99",
            alpha=0.6,
            label=f"trend {sign}{abs(fit.slope_per_month):.2f} per month (R² = {fit.r2:.2f})",
        )
    for threshold in thresholds:
        value = convert_value(threshold.value, threshold.unit, unit, code=code)
        ax.axhline(
            value,
            linestyle="--",
            linewidth=1.0,
            color=_SEVERITY_COLOURS.get(threshold.severity, "#7f8c8d"),
            label=threshold.label,
        )
    ax.set_title(measurement_title(code))
    ax.set_xlabel("Date")
    ax.set_ylabel(_UNIT_DISPLAY.get(unit, unit))
    ax.legend(loc="best", fontsize=8)
    fig.autofmt_xdate()
    return fig


def plot_measurement(
    code: str,
    points: Sequence[Measurement],
    *,
    thresholds: Sequence[Threshold] = (),
    path: str | Path,
) -> Path:
    """Write a PNG of one measurement over time with its trend line and `thresholds`.

    With a single time point there is no line, only the point(s). Thresholds given in another
    unit of the same analyte are converted (e.g. glucose mmol/L lines on a mg/dL plot).

    Args:
        code: LOINC code; the title is its English display name.
        points: the measurements, any order.
        thresholds: lines to draw, e.g. `alert_thresholds(code)`.
        path: the PNG file to write (written atomically; folders are created).

    Returns:
        The path written.

    Raises:
        EmptyInputError: no points.
        InvalidInputError: units that do not convert, or a path that is not a .png file.
    """
    if not points:
        raise EmptyInputError(f"no measurements of {code} to plot; give at least one")
    target = Path(path)
    if target.suffix.lower() != ".png":
        raise InvalidInputError(f"plot path {str(target)!r} must end in .png")
    from medsage.evaluation._io import atomic_write_bytes
    from medsage.evaluation._plots import _png_bytes

    return atomic_write_bytes(target, _png_bytes(_figure(code, points, thresholds)))
