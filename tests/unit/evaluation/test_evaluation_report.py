"""The HTML report: self-contained, escaped, and carrying the metric values."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
from evaluation_cases import HandCase

from medsage.evaluation import SCOPE_NOTE, EvaluationResult, evaluate, write_html_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _report(result: EvaluationResult, tmp_path: Path, **kwargs: object) -> str:
    path = write_html_report(result, tmp_path / "report.html", title="Test report", **kwargs)  # type: ignore[arg-type]
    assert path == tmp_path / "report.html"
    return path.read_text(encoding="utf-8")


def test_when_report_written_then_it_contains_headline_metric_values(
    hand_result: EvaluationResult, tmp_path: Path
) -> None:
    html = _report(hand_result, tmp_path)
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>Test report</title>" in html
    for value in ("0.5000", "0.2667", "0.6000", "0.1875", "1.0043"):
        assert value in html
    assert f"{hand_result.brier:.4f}" in html  # 0.63875 -> 0.6387 or 0.6388 by float rounding
    assert "0.8000" in html  # per-class F1 of a
    assert "0.7500" in html  # top-2 accuracy


def test_when_report_written_then_plots_are_embedded_as_png_data_uris(
    hand_result: EvaluationResult, tmp_path: Path
) -> None:
    html = _report(hand_result, tmp_path)
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 2
    for encoded in images:
        data = base64.b64decode(encoded)
        assert data[:8] == PNG_SIGNATURE and len(data) > 1000


def test_when_report_written_then_no_external_resources_or_scripts(
    hand_result: EvaluationResult, tmp_path: Path
) -> None:
    html = _report(
        hand_result,
        tmp_path,
        model_info={"name": "tfidf-lr"},
        examples=[{"text": "fever", "true": "a", "predicted": "a", "confidence": 0.9}],
    )
    assert "http://" not in html
    assert "https://" not in html
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()


def test_when_report_written_then_it_states_metrics_describe_this_data_set_only(
    hand_result: EvaluationResult, tmp_path: Path
) -> None:
    html = _report(hand_result, tmp_path)
    assert "describe this data set only" in SCOPE_NOTE
    assert SCOPE_NOTE in html


def test_when_labels_and_texts_hold_html_then_they_are_escaped(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    result = evaluate(
        [evil, "b", "<img src=x>"], np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]]), [evil, "b"]
    )
    html = _report(
        result,
        tmp_path,
        model_info={"<b>key</b>": "<i>value</i>", "nested": {"k": [1, 2]}},
        examples=[{"text": evil, "true": evil, "predicted": "b", "confidence": 0.8}],
    )
    assert evil not in html
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x&gt;" in html
    assert "&lt;b&gt;key&lt;/b&gt;" in html and "&lt;i&gt;value&lt;/i&gt;" in html


def test_when_model_info_and_examples_given_then_tables_show_them(
    hand_result: EvaluationResult, tmp_path: Path
) -> None:
    html = _report(
        hand_result,
        tmp_path,
        model_info={"backend": "tfidf-lr", "trained_on": "cMedQA 发热"},
        examples=[
            {"text": "患者发热三天", "true": "a", "predicted": "b", "confidence": 0.7},
            {"text": "no confidence given", "true": "b", "predicted": "b"},
        ],
    )
    assert "tfidf-lr" in html and "cMedQA 发热" in html
    assert "患者发热三天" in html and "0.7000" in html
    assert "no confidence given" in html
    assert 'id="model"' in html and 'id="examples"' in html


def test_when_no_groups_model_info_or_examples_then_those_sections_are_absent(
    hand_result: EvaluationResult, tmp_path: Path
) -> None:
    html = _report(hand_result, tmp_path)
    for section in ('id="subgroups"', 'id="model"', 'id="examples"'):
        assert section not in html


def test_when_groups_given_then_subgroup_table_and_gap_are_shown(
    hand_case: HandCase, tmp_path: Path
) -> None:
    result = evaluate(
        hand_case.y_true,
        hand_case.proba,
        hand_case.classes,
        groups=["男", "女", "男", "女"],
        min_group_size=2,
    )
    html = _report(result, tmp_path)
    assert 'id="subgroups"' in html
    assert "男" in html and "女" in html
    assert "Accuracy gap" in html and "<strong>1.0000</strong>" in html


def test_when_labels_are_unseen_then_report_warns(tmp_path: Path) -> None:
    result = evaluate(["a", "zz"], np.array([[0.9, 0.1], [0.4, 0.6]]), ["a", "b"])
    html = _report(result, tmp_path)
    assert "not among the model's classes" in html
    assert "zz" in html


def test_when_report_overwrites_then_written_atomically_without_leftovers(
    hand_result: EvaluationResult, tmp_path: Path
) -> None:
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    _report(hand_result, tmp_path)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
