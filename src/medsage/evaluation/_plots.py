"""PNG plots of an `EvaluationResult`: confusion matrix and reliability diagram.

matplotlib is imported inside the functions and used through its object-oriented API with the
Agg canvas, so no global backend is changed and nothing needs a display.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from medsage.evaluation._io import atomic_write_bytes
from medsage.evaluation._result import EvaluationResult

#: Fonts tried, in order, for labels with CJK characters; the first one installed is used.
CJK_FONT_CANDIDATES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Arial Unicode MS",
)
#: Above this many labels the confusion matrix cells carry no numbers.
MAX_ANNOTATED_LABELS = 30
_MAX_TICK_CHARS = 30
_DPI = 100


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """Name of the first installed font of `CJK_FONT_CANDIDATES`, or None."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONT_CANDIDATES if name in installed), None)


def _has_wide_chars(texts: Iterable[str]) -> bool:
    """True when any text has characters beyond Latin/Greek/Cyrillic (e.g. CJK)."""
    return any(ord(ch) > 0x2FF for text in texts for ch in str(text))


@contextmanager
def _plot_style(texts: Iterable[str]) -> Iterator[None]:
    """Font settings for `texts` (CJK font first when needed) and no missing-glyph warnings."""
    import matplotlib

    rc: dict[Any, Any] = {}
    font = find_cjk_font() if _has_wide_chars(texts) else None
    if font is not None:
        rc["font.family"] = "sans-serif"
        rc["font.sans-serif"] = [font, *matplotlib.rcParams["font.sans-serif"]]
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from")
        warnings.filterwarnings("ignore", message=r"Matplotlib currently does not support")
        yield


def _new_figure(width: float, height: float, **kwargs: Any) -> Any:
    """A matplotlib Figure attached to an Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained", **kwargs)
    FigureCanvasAgg(fig)
    return fig


def _png_bytes(fig: Any) -> bytes:
    """The figure as PNG bytes (no software metadata, so output is reproducible)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def _short(label: str) -> str:
    """A label cut to a readable tick length."""
    text = str(label)
    return text if len(text) <= _MAX_TICK_CHARS else text[: _MAX_TICK_CHARS - 1] + "…"


def row_normalised(matrix: list[list[int]]) -> npt.NDArray[np.float64]:
    """Each row divided by its sum (rows without samples stay 0)."""
    counts = np.asarray(matrix, dtype=np.float64)
    sums = counts.sum(axis=1, keepdims=True)
    out: npt.NDArray[np.float64] = np.zeros_like(counts)
    np.divide(counts, sums, out=out, where=sums > 0)
    return out


def confusion_matrix_png(result: EvaluationResult) -> bytes:
    """The row-normalised confusion matrix of `result` as PNG bytes."""
    labels = [str(label) for label in result.labels]
    norm = row_normalised(result.confusion_matrix)
    n = len(labels)
    side = float(min(max(3.0 + 0.4 * n, 5.0), 28.0))
    tick_size = float(max(3.0, min(10.0, side / max(n, 1) * 72.0 * 0.6)))
    with _plot_style(labels):
        fig = _new_figure(side + 1.5, side)
        ax = fig.add_subplot()
        image = ax.imshow(norm, cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest")
        fig.colorbar(image, ax=ax, shrink=0.8, label="Share of the true label's rows")
        ticks = np.arange(n)
        short = [_short(label) for label in labels]
        ax.set_xticks(ticks, labels=short, fontsize=tick_size, rotation=90)
        ax.set_yticks(ticks, labels=short, fontsize=tick_size)
        ax.set_xlabel("Predicted label")
        ax.set_ylabel("True label")
        ax.set_title(f"Confusion matrix, normalised by row (n = {result.n})")
        if n <= MAX_ANNOTATED_LABELS:
            cell_size = float(max(5.0, min(10.0, 200.0 / max(n, 1))))
            for i in range(n):
                for j in range(n):
                    value = float(norm[i, j])
                    ax.text(
                        j,
                        i,
                        f"{value:.2f}",
                        ha="center",
                        va="center",
                        fontsize=cell_size,
                        color="white" if value > 0.5 else "black",
                    )
        return _png_bytes(fig)


def reliability_diagram_png(result: EvaluationResult) -> bytes:
    """The reliability diagram (accuracy per confidence bin, and bin counts) as PNG bytes."""
    bins = result.reliability
    lower = np.array([b.lower for b in bins])
    upper = np.array([b.upper for b in bins])
    centers = (lower + upper) / 2.0
    widths = upper - lower
    filled = np.array([b.count > 0 for b in bins], dtype=bool)
    accuracy = np.array([b.accuracy if b.accuracy is not None else 0.0 for b in bins])
    confidence = np.array(
        [b.mean_confidence if b.mean_confidence is not None else 0.0 for b in bins]
    )
    counts = np.array([b.count for b in bins])
    with _plot_style([]):
        fig = _new_figure(6.0, 6.5)
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
        top.plot([0, 1], [0, 1], linestyle="--", color="grey", label="Perfect calibration")
        top.bar(
            centers[filled],
            accuracy[filled],
            width=widths[filled],
            edgecolor="black",
            color="#4c72b0",
            label="Accuracy in bin",
        )
        top.hlines(
            confidence[filled],
            lower[filled],
            upper[filled],
            colors="#c44e52",
            linewidth=2.5,
            label="Mean confidence in bin",
        )
        top.set_xlim(0.0, 1.0)
        top.set_ylim(0.0, 1.0)
        top.set_ylabel("Accuracy")
        top.set_title(f"Reliability diagram (ECE = {result.ece:.4f}, {result.n_bins} bins)")
        top.legend(loc="upper left", fontsize=8)
        bottom.bar(centers, counts, width=widths, edgecolor="black", color="#8c8c8c")
        bottom.set_xlabel("Top-class confidence")
        bottom.set_ylabel("Rows")
        return _png_bytes(fig)


def plot_confusion_matrix(result: EvaluationResult, path: str | Path) -> Path:
    """Write the row-normalised confusion matrix of `result` as a PNG file.

    Labels appear on both axes (true on rows, predicted on columns); cell values are drawn
    only up to 30 labels. CJK labels use an installed CJK font when one is found.

    Args:
        result: The evaluation to plot.
        path: Destination PNG file (written atomically; parent folders are created).

    Returns:
        The path written.
    """
    return atomic_write_bytes(path, confusion_matrix_png(result))


def plot_reliability_diagram(result: EvaluationResult, path: str | Path) -> Path:
    """Write the reliability diagram of `result` (accuracy vs confidence per bin) as a PNG file.

    Args:
        result: The evaluation to plot.
        path: Destination PNG file (written atomically; parent folders are created).

    Returns:
        The path written.
    """
    return atomic_write_bytes(path, reliability_diagram_png(result))
