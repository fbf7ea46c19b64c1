"""`medsage jobs` commands and the synthetic-note generator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medsage.cli.jobs import app
from medsage.errors import MissingFileError
from medsage.jobs import JOB_KINDS, generate_notes

from .conftest import make_notes, read_jsonl, write_jsonl

runner = CliRunner()


def test_when_run_with_json_then_counts_are_printed(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "notes.jsonl", make_notes(7))
    result = runner.invoke(
        app, ["run", "deid", "--input", str(source), "--output", str(tmp_path / "o"),
              "--workers", "1", "--batch-size", "5", "--option", "lang=en", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {k: payload[k] for k in ("records", "outputs", "errors", "partitions_total")} == {
        "records": 7, "outputs": 7, "errors": 0, "partitions_total": 2,
    }  # fmt: skip


def test_when_output_exists_then_one_line_error_and_exit_2(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "notes.jsonl", make_notes(2))
    args = [
        "run",
        "deid",
        "--input",
        str(source),
        "--output",
        str(tmp_path / "o"),
        "--workers",
        "1",
    ]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "is not empty; pass --resume" in result.output
    assert "Traceback" not in result.output
    bad = runner.invoke(app, [*args[:6], "--option", "novalue"])
    assert bad.exit_code == 2
    assert "--option takes KEY=VALUE, got 'novalue'" in bad.output


def test_when_kinds_listed_then_every_registered_kind_appears() -> None:
    result = runner.invoke(app, ["kinds", "--json"])
    assert result.exit_code == 0, result.output
    names = [k["name"] for k in json.loads(result.stdout)]
    assert names == ["deid", "classify", "diagnose", "embed", "screen", "index"]
    assert names == JOB_KINDS.names()


def test_when_no_data_dir_then_generate_notes_says_how_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEDSAGE_DATA_DIR", raising=False)
    with pytest.raises(MissingFileError, match="pass --data-dir or set MEDSAGE_DATA_DIR"):
        generate_notes(tmp_path / "n.jsonl", 5)


@pytest.mark.shared_data
def test_when_notes_generated_twice_with_one_seed_then_files_are_identical(
    shared_data: Path, tmp_path: Path
) -> None:
    a = generate_notes(tmp_path / "a.jsonl", 300, seed=7, data_dir=shared_data)
    b = generate_notes(tmp_path / "b.jsonl", 300, seed=7, data_dir=shared_data)
    c = generate_notes(tmp_path / "c.jsonl", 300, seed=8, data_dir=shared_data)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    notes = read_jsonl(a)
    assert [n["id"] for n in notes[:2]] == ["note-0000000", "note-0000001"]
    assert len({n["id"] for n in notes}) == 300
    zh = sum(n["lang"] == "zh" for n in notes)
    assert 60 <= zh <= 120  # ZH_SHARE 0.3 of 300, binomial spread
    assert all(n["text"].strip() for n in notes)
