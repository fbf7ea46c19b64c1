"""`medsage consult` on the curated demo knowledge base: JSON answers and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medsage.cli.main import app
from medsage.consult import KnowledgeBase

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MEDSAGE_HOME", str(tmp_path))
    return tmp_path


def test_when_asked_with_json_then_cited_answer(home: Path, demo_kb: KnowledgeBase) -> None:
    result = runner.invoke(
        app, ["consult", "--kb", str(demo_kb.folder), "--json", "How can I prevent gout attacks?"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mode"] == "extractive"
    assert data["citations"][0]["id"].startswith("en-gout")
    assert data["triage"]["level"] == "routine"


def test_when_emergency_then_exit_0_and_emergency_text(home: Path, demo_kb: KnowledgeBase) -> None:
    result = runner.invoke(app, ["consult", "--kb", str(demo_kb.folder), "我想自杀，药都准备好了"])
    assert result.exit_code == 0, result.output
    assert "EMERGENCY" in result.stdout
    assert "请立即拨打120急救电话" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["consult", "   "], "the question is empty"),
        (["consult"], "give a QUESTION, or --chat"),
        (["consult", "kb", "add", "/no/such/corpus"], "/no/such/corpus does not exist"),
    ],
)
def test_when_input_bad_then_one_line_error(
    home: Path, demo_kb: KnowledgeBase, args: list[str], message: str
) -> None:
    if args[1:2] == ["kb"]:
        args = [*args, "--kb", str(demo_kb.folder)]
    else:
        args = [args[0], "--kb", str(demo_kb.folder), *args[1:]]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
