"""`medsage demo` as a user runs it: a real process, a fresh MEDSAGE_HOME, real files written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from medsage.models import TextClassifier


def _run_demo(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "medsage", "demo", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "MEDSAGE_HOME": str(home)},
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def test_when_demo_runs_in_fresh_home_then_model_report_and_predictions(tmp_path: Path) -> None:
    proc = _run_demo(tmp_path / "home", "--json")
    payload = json.loads(proc.stdout)
    demo_dir = tmp_path / "home" / "demo"
    assert payload["model"] == str(demo_dir / "model")
    assert payload["report"] == str(demo_dir / "report.html")
    assert (payload["n_train"], payload["n_test"]) == (222, 78)
    assert sorted(payload["test"]["subgroups"]) == ["en", "zh"]
    assert payload["test"]["accuracy"] >= 0.8
    assert [p["label"] for p in payload["predictions"]] == [
        "acute_coronary_syndrome",
        "pneumonia",
        "urinary_tract_infection",
        "migraine",
    ]
    html = (demo_dir / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2
    model = TextClassifier.load(demo_dir / "model")
    proba = model.predict_proba([p["text"] for p in payload["predictions"]])
    expected = [[p["probabilities"][c] for c in model.classes_] for p in payload["predictions"]]
    np.testing.assert_allclose(proba, expected, atol=1e-6)


def test_when_demo_prints_plainly_then_says_where_report_is(tmp_path: Path) -> None:
    proc = _run_demo(tmp_path, "--out", str(tmp_path / "d"))
    assert f"HTML report:  {tmp_path / 'd' / 'report.html'}" in proc.stdout
    assert "not for clinical use" in proc.stdout
