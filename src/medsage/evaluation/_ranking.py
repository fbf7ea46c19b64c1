"""Ranking metrics over a run (query -> ranked document ids) and judgements (qrels).

Definitions follow trec_eval: nDCG@k with linear gains and log2 discounts over the ideal
ordering of all judged documents; average precision divides by every relevant document of the
query (found or not); reciprocal rank of the first relevant document; recall@k. Queries with no
relevant document are skipped by the binary measures (as trec_eval skips queries absent from
the qrels) and counted in `n_queries` only when they have judgements.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

Run = Mapping[str, Sequence[str]]  # query id -> document ids, best first
Qrels = Mapping[str, Mapping[str, int]]  # query id -> document id -> graded judgement


def ndcg_at_k(ranked: Sequence[str], gains: Mapping[str, float], k: int = 10) -> float:
    """Normalised discounted cumulative gain of the first `k` documents.

    >>> round(ndcg_at_k(["a", "b", "c"], {"a": 0, "b": 3, "c": 1}, k=3), 4)
    0.659
    """
    dcg = sum(gains.get(d, 0.0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((g for g in gains.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def average_precision(ranked: Sequence[str], relevant: set[str]) -> float:
    """Mean of the precision at each relevant document's rank, over all relevant documents."""
    if not relevant:
        return 0.0
    hits = 0
    total = 0.0
    for i, d in enumerate(ranked):
        if d in relevant:
            hits += 1
            total += hits / (i + 1)
    return total / len(relevant)


def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float:
    """1 / rank of the first relevant document (0 when none is ranked)."""
    return next((1 / (i + 1) for i, d in enumerate(ranked) if d in relevant), 0.0)


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int = 100) -> float:
    """Share of the relevant documents found in the first `k`."""
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


@dataclass(frozen=True)
class RankingScores:
    """Mean scores over the queries that have at least one relevant document."""

    n_queries: int
    ndcg_at_10: float
    map: float
    mrr: float
    recall_at_100: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def evaluate_ranking(
    run: Run, qrels: Qrels, *, min_relevant: int = 1, gain_offset: int = 0
) -> RankingScores:
    """Score `run` against `qrels`.

    `min_relevant`: the smallest judgement counted as relevant for MAP, MRR and recall.
    `gain_offset`: subtracted from judgements to make nDCG gains (LiveQA's 1..4 -> 0..3).
    """
    rows = []
    for qid, judged in qrels.items():
        relevant = {d for d, g in judged.items() if g >= min_relevant}
        if not relevant:
            continue
        ranked = list(run.get(qid, ()))
        gains = {d: float(max(0, g - gain_offset)) for d, g in judged.items()}
        rows.append(
            (ndcg_at_k(ranked, gains, 10), average_precision(ranked, relevant),
             reciprocal_rank(ranked, relevant), recall_at_k(ranked, relevant, 100))
        )  # fmt: skip
    n = len(rows)
    if n == 0:
        return RankingScores(0, 0.0, 0.0, 0.0, 0.0)
    means = [sum(col) / n for col in zip(*rows, strict=True)]
    return RankingScores(n, *means)
