"""`medsage lit`: index, search, summarize, trends and eval end to end on small corpora."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medsage.cli.main import app

DATA = Path(__file__).resolve().parents[2] / "data" / "literature"
runner = CliRunner()


@pytest.fixture(scope="module")
def zh_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lit") / "zh"
    result = runner.invoke(
        app, ["lit", "index", "--corpus", str(DATA / "zh_docs.jsonl"), "--index", str(folder),
              "--no-dense", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["documents"] == 12
    return folder


def test_when_chinese_query_then_relevant_document_first(zh_index: Path) -> None:
    result = runner.invoke(
        app, ["lit", "search", "--index", str(zh_index), "--mode", "bm25", "--json", "高血压 饮食"]
    )
    assert result.exit_code == 0, result.output
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert hits[0]["id"] == "zh-001"
    assert "**" in hits[0]["snippet"]


def test_when_summarized_then_sentences_cite_documents(zh_index: Path) -> None:
    result = runner.invoke(
        app, ["lit", "summarize", "--index", str(zh_index), "--mode", "bm25", "--k", "3",
              "--sentences", "2", "--json", "高血压 饮食"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["sentences"][0]["doc_id"] == "zh-001"


def test_when_trends_then_years_counted_and_png_written(zh_index: Path, tmp_path: Path) -> None:
    png = tmp_path / "trends.png"
    result = runner.invoke(
        app, ["lit", "trends", "--index", str(zh_index), "--png", str(png), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert sum(row["count"] for row in data["publications_per_year"]) == 12
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_when_evaluated_then_scores_and_run_file(zh_index: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.tsv"
    queries.write_text("q1\t高血压 饮食\nq2\t糖尿病 脚 护理\n", encoding="utf-8")
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("q1 0 zh-001 1\nq2 0 zh-002 1\n", encoding="utf-8")
    run = tmp_path / "run.txt"
    result = runner.invoke(
        app, ["lit", "eval", "--index", str(zh_index), "--queries", str(queries), "--qrels",
              str(qrels), "--mode", "bm25", "--run-out", str(run), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert (scores["n_queries"], scores["mrr"], scores["ndcg_at_10"]) == (2, 1.0, 1.0)
    assert run.read_text(encoding="utf-8").splitlines()[0].startswith("q1 Q0 zh-001 1 ")


def test_when_query_empty_or_index_missing_then_one_line_errors(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["lit", "search", "--index", str(tmp_path / "none"), "x"])
    assert missing.exit_code == 2 and "error:" in missing.stderr
    bad = runner.invoke(
        app, ["lit", "index", "--corpus", str(DATA / "zh_docs.jsonl"), "--index",
              str(tmp_path / "i"), "--format", "word"],
    )  # fmt: skip
    assert bad.exit_code == 2 and "--format must be auto or one of" in bad.stderr
