"""Server-rendered inline SVG charts and text segmentation for the web UI templates.

Every string that reaches the markup passes through `markupsafe.escape`; the charts need no
JavaScript and carry a `<title>`, a `<desc>` and an `aria-label` for screen readers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

Translate = Callable[..., str]
SEVERITY_COLOURS = {"urgent": "#b3261e", "warning": "#b35c00", "info": "#1d5fa8"}
_CITATION = re.compile(r"\[(\d{1,3})\]")


@dataclass(frozen=True)
class Segment:
    """A piece of a text: plain (`kind` None) or highlighted with a CSS class and a tooltip."""

    text: str
    kind: str | None = None
    title: str | None = None
    number: int | None = None


def highlight_spans(text: str, spans: Iterable[tuple[int, int, str, str]]) -> list[Segment]:
    """Split `text` at (start, end, kind, title) spans; overlapping later spans are dropped."""
    segments: list[Segment] = []
    cursor = 0
    for start, end, kind, title in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < cursor or end <= start or end > len(text):
            continue
        if start > cursor:
            segments.append(Segment(text[cursor:start]))
        segments.append(Segment(text[start:end], kind, title))
        cursor = end
    if cursor < len(text):
        segments.append(Segment(text[cursor:]))
    return segments


def snippet_segments(snippet: str) -> list[Segment]:
    """A search snippet whose matches are wrapped in `**` as plain and `mark` segments."""
    parts = snippet.split("**")
    if len(parts) % 2 == 0:  # an unpaired marker: show the text as it is
        return [Segment(snippet.replace("**", ""))]
    return [Segment(part, "mark" if i % 2 else None) for i, part in enumerate(parts) if part]


def citation_segments(text: str, known: Iterable[int]) -> list[Segment]:
    """An answer with its `[n]` markers as `cite` segments (only numbers in `known`)."""
    numbers = set(known)
    segments: list[Segment] = []
    cursor = 0
    for match in _CITATION.finditer(text):
        number = int(match.group(1))
        if number not in numbers:
            continue
        if match.start() > cursor:
            segments.append(Segment(text[cursor : match.start()]))
        segments.append(Segment(match.group(0), "cite", number=number))
        cursor = match.end()
    if cursor < len(text):
        segments.append(Segment(text[cursor:]))
    return segments


def safe_molecule_svg(svg: object) -> Markup:
    """RDKit's drawing as markup when it is an SVG document, else as escaped text."""
    if isinstance(svg, str) and svg.lstrip().startswith("<svg") and "<script" not in svg.lower():
        return Markup(svg)
    return escape(svg if isinstance(svg, str) else "")


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2f}".rstrip("0").rstrip(".")


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round tick values from at or below `low` to at or above `high`."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    n = round((last - first) / step)
    return [round(first + i * step, 10) for i in range(n + 1)]


def tick_label(value: float, ticks: Sequence[float]) -> str:
    """`value` with as many decimals as the tick step needs (0.25 -> 2, 2.5 -> 1, 20 -> 0)."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = 0
    while decimals < 6 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6:
        decimals += 1
    return f"{value:.{decimals}f}"


def _svg_open(width: int, height: int, label: str, uid: str) -> list[str]:
    return [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}" '
        f'aria-labelledby="{uid}-title">',
        f'<title id="{uid}-title">{escape(label)}</title>',
    ]


def _time_value(raw: object) -> float | None:
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw).timestamp()
        except ValueError:
            return None
    return None


def _time_label(raw: object) -> str:
    if isinstance(raw, str):
        return raw[:10]
    return str(raw)


def trend_chart(trend: Mapping[str, Any], title: str, t: Translate, uid: str) -> Markup:
    """A measurement over time: points, the fitted direction, threshold lines, axis labels."""
    width, height = 560, 230
    left, right, top, bottom = 58, 118, 16, 44
    unit = str(trend.get("unit") or "")
    points = [
        (x, float(p["value"]), p.get("time"))
        for p in trend.get("points", [])
        if (x := _time_value(p.get("time"))) is not None and isinstance(p.get("value"), int | float)
    ]
    label = t("chart.trend_label", title=title, unit=unit, n=len(points))
    parts = _svg_open(width, height, label, uid)
    if not points:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">'
            f"{escape(t('chart.no_points'))}</text></svg>"
        )
        return Markup("".join(parts))
    values = [v for _, v, _ in points]
    low, high = min(values), max(values)
    reach = max(high - low, 0.1 * max(abs(high), abs(low)), 1e-6)
    thresholds = [
        th
        for th in trend.get("thresholds", [])
        if isinstance(th.get("value"), int | float)
        and low - reach <= float(th["value"]) <= high + reach
    ]
    span_values = values + [float(th["value"]) for th in thresholds]
    flat = max(span_values) - min(span_values) < 1e-9
    pad = (0.1 if flat else 0.05) * reach
    ticks = nice_ticks(min(span_values) - pad, max(span_values) + pad)
    y_low, y_high = ticks[0], ticks[-1]
    xs = [x for x, _, _ in points]
    x_low, x_high = min(xs), max(xs)
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        if x_high == x_low:
            return left + plot_w / 2
        return left + (x - x_low) / (x_high - x_low) * plot_w

    def py(y: float) -> float:
        return top + (1 - (y - y_low) / (y_high - y_low)) * plot_h

    parts.append(f"<desc>{escape(t('chart.trend_desc', n=len(points)))}</desc>")
    parts.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" class="plot-area"/>'
    )
    for tick in ticks:
        y = py(tick)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(tick_label(tick, ticks))}</text>"
        )
    for th in thresholds:
        y = py(float(th["value"]))
        colour = SEVERITY_COLOURS.get(str(th.get("severity")), "#555")
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{colour}" stroke-dasharray="6 4" stroke-width="1.5" class="threshold"/>'
            f'<text x="{left + plot_w + 4}" y="{y + 4:.1f}" fill="{colour}" class="tick">'
            f"{escape(str(th.get('label', '')))}</text>"
        )
    coords = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v, _ in points)
    parts.append(f'<polyline points="{coords}" class="series"/>')
    for x, v, raw in points:
        parts.append(
            f'<circle cx="{px(x):.1f}" cy="{py(v):.1f}" r="4" class="point">'
            f"<title>{escape(_time_label(raw))}: {escape(_fmt(v))} {escape(unit)}</title></circle>"
        )
    first, last = points[0][2], points[-1][2]
    base = top + plot_h + 16
    parts.append(
        f'<text x="{left}" y="{base}" text-anchor="start" class="tick">'
        f"{escape(_time_label(first))}</text>"
    )
    if len(points) > 1 and _time_label(first) != _time_label(last):
        parts.append(
            f'<text x="{left + plot_w}" y="{base}" text-anchor="end" class="tick">'
            f"{escape(_time_label(last))}</text>"
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle" class="axis">'
        f"{escape(t('chart.date'))}</text>"
        f'<text x="14" y="{top + plot_h / 2}" text-anchor="middle" class="axis" '
        f'transform="rotate(-90 14 {top + plot_h / 2})">{escape(unit)}</text></svg>'
    )
    return Markup("".join(parts))


def reliability_chart(bins: Sequence[Mapping[str, Any]], t: Translate, uid: str) -> Markup:
    """A reliability diagram: accuracy per confidence bin against the diagonal."""
    size, margin = 300, 46
    plot = size - 2 * margin + 10
    label = t("chart.reliability_label", n=sum(int(b.get("count") or 0) for b in bins))
    parts = _svg_open(size + 10, size + 10, label, uid)
    parts.append(f"<desc>{escape(t('chart.reliability_desc'))}</desc>")

    def px(x: float) -> float:
        return margin + x * plot

    def py(y: float) -> float:
        return margin - 30 + (1 - y) * plot

    parts.append(
        f'<rect x="{px(0)}" y="{py(1):.1f}" width="{plot}" height="{plot}" class="plot-area"/>'
    )
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<text x="{px(0) - 6}" y="{py(tick) + 4:.1f}" text-anchor="end" class="tick">'
            f"{tick:g}</text>"
            f'<text x="{px(tick):.1f}" y="{py(0) + 16:.1f}" text-anchor="middle" class="tick">'
            f"{tick:g}</text>"
        )
    for b in bins:
        lower, upper = float(b.get("lower", 0)), float(b.get("upper", 0))
        accuracy, confidence = b.get("accuracy"), b.get("mean_confidence")
        if not b.get("count") or accuracy is None:
            continue
        tip = t(
            "chart.bin_title", lower=f"{lower:g}", upper=f"{upper:g}", count=b.get("count"),
            accuracy=_fmt(float(accuracy)),
        )  # fmt: skip
        parts.append(
            f'<rect x="{px(lower) + 1:.1f}" y="{py(float(accuracy)):.1f}" '
            f'width="{(upper - lower) * plot - 2:.1f}" '
            f'height="{float(accuracy) * plot:.1f}" class="bin">'
            f"<title>{escape(tip)}</title></rect>"
        )
        if confidence is not None:
            parts.append(
                f'<circle cx="{px(float(confidence)):.1f}" cy="{py(float(accuracy)):.1f}" '
                f'r="3.5" class="point"/>'
            )
    parts.append(
        f'<line x1="{px(0)}" y1="{py(0):.1f}" x2="{px(1):.1f}" y2="{py(1):.1f}" class="diagonal"/>'
        f'<text x="{px(0.5):.1f}" y="{py(0) + 34:.1f}" text-anchor="middle" class="axis">'
        f"{escape(t('chart.confidence'))}</text>"
        f'<text x="12" y="{py(0.5):.1f}" text-anchor="middle" class="axis" '
        f'transform="rotate(-90 12 {py(0.5):.1f})">{escape(t("chart.accuracy"))}</text></svg>'
    )
    return Markup("".join(parts))


def year_bar_chart(per_year: Sequence[Mapping[str, Any]], t: Translate, uid: str) -> Markup:
    """Publications per year as bars (the trends view of the literature page)."""
    width, height, left, bottom, top = 560, 220, 44, 40, 14
    rows = [
        (int(r["year"]), int(r["count"]))
        for r in per_year
        if isinstance(r.get("year"), int) and isinstance(r.get("count"), int)
    ]
    label = t("chart.years_label", n=sum(c for _, c in rows))
    parts = _svg_open(width, height, label, uid)
    if not rows:
        parts.append("</svg>")
        return Markup("".join(parts))
    ticks = nice_ticks(0, max(c for _, c in rows))
    top_value = ticks[-1]
    plot_w, plot_h = width - left - 10, height - top - bottom
    slot = plot_w / len(rows)
    for tick in ticks:
        y = top + (1 - tick / top_value) * plot_h
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(tick_label(tick, ticks))}</text>"
        )
    every = max(1, math.ceil(len(rows) / 12))
    for i, (year, count) in enumerate(rows):
        h = count / top_value * plot_h
        x = left + i * slot
        parts.append(
            f'<rect x="{x + slot * 0.1:.1f}" y="{top + plot_h - h:.1f}" width="{slot * 0.8:.1f}" '
            f'height="{h:.1f}" class="bin"><title>{year}: {count}</title></rect>'
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                f'class="tick">{year}</text>'
            )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle" class="axis">'
        f"{escape(t('chart.year'))}</text></svg>"
    )
    return Markup("".join(parts))
