"""Ranking metrics, TREC run/qrels files and the LiveQA average score, on hand-computed cases."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from medsage.errors import DataFormatError
from medsage.evaluation import (
    average_precision,
    evaluate_ranking,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
)
from medsage.literature._trec import liveqa_average_score, read_qrels, read_run, write_run


def test_when_ranked_then_metrics_match_hand_computation() -> None:
    ranked = ["d3", "d1", "d7", "d2"]
    relevant = {"d1", "d2", "d9"}
    assert average_precision(ranked, relevant) == pytest.approx((1 / 2 + 2 / 4) / 3)
    assert reciprocal_rank(ranked, relevant) == 0.5
    assert recall_at_k(ranked, relevant, 2) == pytest.approx(1 / 3)
    gains = {"d1": 3.0, "d2": 1.0, "d9": 2.0}
    dcg = 3 / math.log2(3) + 1 / math.log2(5)
    idcg = 3 + 2 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, gains, 10) == pytest.approx(dcg / idcg)


def test_when_run_scored_then_means_over_queries_with_relevant_documents() -> None:
    qrels = {"q1": {"a": 4, "b": 1}, "q2": {"c": 3}, "q3": {"x": 1}}  # q3: nothing relevant
    run = {"q1": ["b", "a"], "q2": ["c"]}
    scores = evaluate_ranking(run, qrels, min_relevant=3, gain_offset=1)
    assert scores.n_queries == 2
    assert scores.mrr == pytest.approx((1 / 2 + 1) / 2)
    assert scores.map == pytest.approx((1 / 2 + 1) / 2)
    assert scores.recall_at_100 == 1.0
    assert scores.ndcg_at_10 == pytest.approx(((3 / math.log2(3)) / 3 + 1) / 2)


def test_when_run_written_then_read_back_in_order(tmp_path: Path) -> None:
    run = {"q1": [("a", 2.5), ("b", 1.0)], "q2": [("c", 0.3)]}
    path = write_run(run, tmp_path / "run.txt", tag="t")
    assert path.read_text(encoding="utf-8").splitlines()[0] == "q1 Q0 a 1 2.500000 t"
    assert read_run(path) == run


def test_when_qrels_read_then_repeats_keep_lower_and_liveqa_scores(tmp_path: Path) -> None:
    path = tmp_path / "qrels.txt"
    path.write_text("1 0 A.txt 1\n1 0 B.txt 3\n1 0 B.txt 2\n2 0 C.txt 4\n", encoding="utf-8")
    qrels = read_qrels(path)
    assert qrels == {"1": {"A.txt": 1, "B.txt": 2}, "2": {"C.txt": 4}}
    run = {"1": ["B.txt", "A.txt"], "2": ["Z.txt"], "3": ["C.txt"]}
    assert liveqa_average_score(run, qrels, questions=["1", "2", "3"]) == {
        "questions": 3,
        "average_score": pytest.approx(1 / 3),
        "top_answer_judged": pytest.approx(1 / 3),
    }


def test_when_qrels_line_malformed_then_line_named(tmp_path: Path) -> None:
    path = tmp_path / "qrels.txt"
    path.write_text("q1 0 d1 2\nq1 d2\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"qrels.txt:2: expected 'qid 0 docid judgement'"):
        read_qrels(path)
