"""PNG plots: valid files, CJK labels without warning noise, large label sets."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from medsage.evaluation import (
    EvaluationResult,
    evaluate,
    plot_confusion_matrix,
    plot_reliability_diagram,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 1000


def _cjk_result() -> EvaluationResult:
    classes = ["发热", "咳嗽", "头痛 headache", "<script>x</script>"]
    rng = np.random.default_rng(3)
    proba = rng.dirichlet(np.ones(len(classes)), size=40)
    y_true = [classes[i] for i in rng.integers(0, len(classes), size=40)]
    y_true[0] = "未知"
    return evaluate(y_true, proba, classes)


def test_when_confusion_matrix_plotted_then_valid_png_is_written(
    hand_result: EvaluationResult, tmp_path: Path
) -> None:
    out = plot_confusion_matrix(hand_result, tmp_path / "cm.png")
    assert out == tmp_path / "cm.png"
    _assert_png(out)


def test_when_reliability_diagram_plotted_then_valid_png_is_written(
    hand_result: EvaluationResult, tmp_path: Path
) -> None:
    out = plot_reliability_diagram(hand_result, str(tmp_path / "sub" / "rel.png"))
    assert out == tmp_path / "sub" / "rel.png"
    _assert_png(out)


def test_when_labels_are_chinese_then_plot_writes_without_glyph_warnings(
    tmp_path: Path,
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = plot_confusion_matrix(_cjk_result(), tmp_path / "cjk.png")
    _assert_png(out)
    assert not [w for w in caught if "Glyph" in str(w.message)]


def test_when_more_than_thirty_classes_then_plot_still_written(tmp_path: Path) -> None:
    classes = [f"class_{i:02d}" for i in range(40)]
    rng = np.random.default_rng(5)
    proba = rng.dirichlet(np.ones(40), size=120)
    y_true = [classes[i] for i in rng.integers(0, 40, size=120)]
    out = plot_confusion_matrix(evaluate(y_true, proba, classes), tmp_path / "big.png")
    _assert_png(out)


def test_when_plot_overwrites_file_then_no_temp_files_remain(
    hand_result: EvaluationResult, tmp_path: Path
) -> None:
    target = tmp_path / "cm.png"
    target.write_bytes(b"old")
    plot_confusion_matrix(hand_result, target)
    _assert_png(target)
    assert [p.name for p in tmp_path.iterdir()] == ["cm.png"]


def test_when_plotting_then_global_matplotlib_backend_is_unchanged(
    hand_result: EvaluationResult, tmp_path: Path
) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    before = matplotlib.rcParams["backend"]
    font_before = list(matplotlib.rcParams["font.sans-serif"])
    plot_confusion_matrix(_cjk_result(), tmp_path / "a.png")
    plot_reliability_diagram(hand_result, tmp_path / "b.png")
    assert matplotlib.rcParams["backend"] == before
    assert list(matplotlib.rcParams["font.sans-serif"]) == font_before
