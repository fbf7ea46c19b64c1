"""Every CLI command, its --json output and its error paths."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medsage.cli.main import app

DATA = Path(__file__).resolve().parents[2] / "data" / "tiny_cases.jsonl"
runner = CliRunner()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "model"
    result = runner.invoke(app, ["train", "--train", str(DATA), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    return out


def test_when_train_json_then_summary_and_bundle(tmp_path: Path) -> None:
    out = tmp_path / "m"
    result = runner.invoke(
        app, ["train", "--train", str(DATA), "--dev", str(DATA), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["bundle"] == str(out)
    assert payload["labels"] == ["cardiac", "metabolic", "respiratory"]
    assert payload["n_train"] == 18
    assert payload["dev"]["accuracy"] == 1.0
    assert (out / "medsage.json").is_file()


def test_when_train_augmented_then_clinical_wording_copies_counted(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["train", "--train", str(DATA), "--out", str(tmp_path / "m"), "--json",
         "--augment-clinical-wording", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n_train"] == 32  # 14 of the 18 cases got a rewritten copy
    bad = runner.invoke(
        app,
        ["train", "--train", str(DATA), "--out", str(tmp_path / "b"),
         "--augment-clinical-wording", "0"],
    )  # fmt: skip
    assert bad.exit_code == 2
    assert "Invalid value for '--augment-clinical-wording'" in bad.output


def test_when_train_plain_then_human_summary(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--train", str(DATA), "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert "trained tfidf on 18 examples, 3 labels" in result.stdout
    assert f"model bundle: {tmp_path / 'm'}" in result.stdout


def test_when_predict_json_then_one_object_per_text(model_dir: Path) -> None:
    result = runner.invoke(
        app,
        [
            "predict",
            "--model",
            str(model_dir),
            "--json",
            "胸痛大汗，血压160/100mmHg",
            "fever and cough",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["text"] for row in lines] == ["胸痛大汗，血压160/100mmHg", "fever and cough"]
    assert [row["label"] for row in lines] == ["cardiac", "respiratory"]
    for row in lines:
        assert sorted(row["probabilities"]) == ["cardiac", "metabolic", "respiratory"]
        assert abs(sum(row["probabilities"].values()) - 1.0) < 1e-5
        assert row["probabilities"][row["label"]] == max(row["probabilities"].values())


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("in.jsonl", '{"text": "胸痛大汗"}\n{"text": "HbA1c 9%, thirsty"}\n'),
        ("in.csv", 'id,text\n1,胸痛大汗\n2,"HbA1c 9%, thirsty"\n'),
        ("in.txt", "胸痛大汗\n\nHbA1c 9%, thirsty\n"),
    ],
)
def test_when_predict_input_file_then_each_row_predicted(
    model_dir: Path, tmp_path: Path, name: str, content: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(
        app, ["predict", "--model", str(model_dir), "--input", str(path), "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["text"], r["label"]) for r in rows] == [
        ("胸痛大汗", "cardiac"),
        ("HbA1c 9%, thirsty", "metabolic"),
    ]


def test_when_predict_plain_then_table(model_dir: Path) -> None:
    result = runner.invoke(app, ["predict", "--model", str(model_dir), "polyuria and thirst"])
    assert result.exit_code == 0, result.output
    assert "metabolic" in result.stdout


def test_when_evaluate_with_report_then_metrics_and_html(model_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--model",
            str(model_dir),
            "--data",
            str(DATA),
            "--report",
            str(report),
            "--group-col",
            "lang",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["n"] == 18
    assert payload["accuracy"] == 1.0
    assert sorted(payload["subgroups"]) == ["en", "zh"]
    assert payload["subgroups"]["zh"]["n"] == 9
    assert payload["report"] == str(report)
    calibration = payload["calibration"]
    assert calibration["method"] == "temperature"
    assert calibration["temperature"] > 0
    assert set(calibration) == {
        "method", "temperature", "ece_before", "ece_after", "brier_before", "brier_after"
    }  # fmt: skip
    html = report.read_text(encoding="utf-8")
    assert "data:image/png;base64," in html
    assert "胸痛伴大汗一小时" in html


def test_when_data_split_then_stratified_files(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "data",
            "split",
            str(DATA),
            "--out",
            str(tmp_path),
            "--test-size",
            "0.34",
            "--dedupe",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["train"]["n"] == 12
    assert payload["test"]["n"] == 6
    assert payload["duplicates_removed"] == 0
    test_rows = [json.loads(x) for x in (tmp_path / "test.jsonl").read_text().splitlines()]
    assert (
        sorted(r["label"] for r in test_rows)
        == ["cardiac"] * 2 + ["metabolic"] * 2 + ["respiratory"] * 2
    )
    again = runner.invoke(
        app,
        [
            "data",
            "split",
            str(DATA),
            "--out",
            str(tmp_path / "b"),
            "--test-size",
            "0.34",
            "--dedupe",
        ],
    )
    assert again.exit_code == 0
    assert (tmp_path / "b" / "test.jsonl").read_text() == (tmp_path / "test.jsonl").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--train", "missing.jsonl", "--out", "{tmp}/m"], "does not exist"),
        (
            ["train", "--train", "{data}", "--out", "{tmp}/m", "--text-col", "body"],
            "has no column 'body'",
        ),
        (["train", "--train", "{data}", "--out", "{tmp}/m", "--backend", "bert"], "bert"),
        (["predict", "--model", "{tmp}/none", "chest pain"], "does not exist"),
        (["predict", "--model", "{model}"], "nothing to predict"),
        (["predict", "--model", "{model}", "   "], "text 0 is empty"),
        (["evaluate", "--model", "{tmp}", "--data", "{data}"], "medsage.json is missing"),
        (["evaluate", "--model", "{model}", "--data", "{tmp}/empty.jsonl"], "no data rows"),
        (["data", "split", "{tmp}/empty.jsonl", "--out", "{tmp}/s"], "no data rows"),
        (["data", "split", "{data}", "--out", "{tmp}/s", "--test-size", "1.5"], "test_size"),
    ],
)
def test_when_bad_input_then_exit_2_one_line_no_traceback(
    model_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "empty.jsonl").write_text("\n")
    argv = [a.format(tmp=tmp_path, data=DATA, model=model_dir) for a in args]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_when_run_as_module_then_error_is_one_line_on_stderr(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "medsage", "predict", "--model", str(tmp_path / "x"), "pain"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert (
        proc.stderr.strip()
        == f"error: model folder {tmp_path / 'x'} does not exist; train one with `medsage train`"
    )


def test_when_version_then_printed() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "medsage 0.1.0"


def test_when_predict_gets_unknown_words_then_json_carries_warning(model_dir: Path) -> None:
    result = runner.invoke(app, ["predict", "--model", str(model_dir), "--json", "zzz qqq"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    assert row["warnings"] == ["none of the text's words occur in the training data"]


def test_when_model_written_by_newer_version_then_exit_2(model_dir: Path, tmp_path: Path) -> None:
    import shutil

    newer = tmp_path / "newer"
    shutil.copytree(model_dir, newer)
    manifest = json.loads((newer / "medsage.json").read_text())
    manifest.update(format_version=99, medsage_version="9.9.9")
    (newer / "medsage.json").write_text(json.dumps(manifest))
    result = runner.invoke(app, ["predict", "--model", str(newer), "chest pain"])
    assert result.exit_code == 2
    assert "written by a newer MedSage (9.9.9, bundle format 99)" in result.output
    assert "Traceback" not in result.output
