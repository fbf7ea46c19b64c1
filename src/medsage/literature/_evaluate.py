"""Retrieval evaluation: a run of searches scored against judgements, and the LiveQA-Med setup.

LiveQA-Med 2017 over MedQuAD (Ben Abacha and Demner-Fushman 2019): the 104 test questions are
searched in an index of MedQuAD answers; the 2,479 judgements (1 Incorrect .. 4 Excellent) of
MedQuAD answers are the qrels; relevant = 3 or 4; nDCG gains are judgement - 1. Judged ids are
first re-mapped onto the indexed answers by their text (`align_liveqa_qrels`), since some
MedQuAD files were renumbered after judging and three subsets (A.D.A.M., MedlinePlus drugs and
herbs) have no answers in the public XML.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medsage.evaluation import evaluate_ranking
from medsage.literature._documents import Document
from medsage.literature._index import LiteratureIndex
from medsage.literature._trec import liveqa_average_score

LIVEQA_RELEVANT = 3  # "Correct but incomplete" or better
LIVEQA_GAIN_OFFSET = 1  # judgements 1..4 -> gains 0..3
RUN_DEPTH = 100


@dataclass
class RetrievalEvaluation:
    mode: str
    scores: dict[str, Any]
    run: dict[str, list[tuple[str, float]]]

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, **self.scores}


def run_queries(
    index: LiteratureIndex,
    queries: Sequence[tuple[str, str]],
    *,
    mode: str = "hybrid",
    depth: int = RUN_DEPTH,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, list[tuple[str, float]]]:
    """qid -> [(doc id, score)] for every (qid, query text)."""
    run: dict[str, list[tuple[str, float]]] = {}
    for i, (qid, text) in enumerate(queries, 1):
        run[qid] = [(h.id, h.score) for h in index.search(text, k=depth, mode=mode)]
        if progress is not None:
            progress(i, len(queries))
    return run


def score_run(
    run: Mapping[str, Sequence[tuple[str, float]]],
    qrels: Mapping[str, Mapping[str, int]],
    *,
    questions: Sequence[str] | None = None,
    min_relevant: int = 1,
    gain_offset: int = 0,
    liveqa: bool = False,
) -> dict[str, Any]:
    """nDCG@10, MAP, MRR, Recall@100 (and the LiveQA average score when `liveqa`)."""
    ranked = {qid: [doc for doc, _ in hits] for qid, hits in run.items()}
    out: dict[str, Any] = evaluate_ranking(
        ranked, qrels, min_relevant=min_relevant, gain_offset=gain_offset
    ).to_dict()
    if liveqa:
        out["liveqa"] = liveqa_average_score(ranked, qrels, questions)
    return out


def evaluate_liveqa(
    index: LiteratureIndex,
    questions_file: str | Path,
    qrels_folder: str | Path,
    *,
    mode: str = "hybrid",
    question_text: str = "original",
    answers: Iterable[Document] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RetrievalEvaluation:
    """Search the LiveQA-Med test questions in `index` (MedQuAD answers) and score them.

    `answers`: the MedQuAD answer documents to align the judgements with (default: the
    index's own documents; give them when the index holds other text under the same ids).
    """
    from medsage.literature._ingest_medquad import (
        align_liveqa_qrels,
        load_liveqa_qrels,
        load_liveqa_questions,
        load_medquad_judged_answers,
    )

    questions = load_liveqa_questions(questions_file, text=question_text)  # type: ignore[arg-type]
    alignment = align_liveqa_qrels(
        load_liveqa_qrels(qrels_folder),
        index.documents() if answers is None else answers,
        load_medquad_judged_answers(qrels_folder),
    )
    run = run_queries(index, questions, mode=mode, progress=progress)
    scores = score_run(
        run, alignment.qrels, questions=[q for q, _ in questions],
        min_relevant=LIVEQA_RELEVANT, gain_offset=LIVEQA_GAIN_OFFSET, liveqa=True,
    )  # fmt: skip
    scores["alignment"] = {
        "judged_ids": alignment.judged_ids, "same_id": alignment.same_id,
        "remapped": alignment.remapped, "changed_text": alignment.changed_text,
        "not_in_corpus": alignment.not_in_corpus,
    }  # fmt: skip
    scores["question_text"] = question_text
    return RetrievalEvaluation(mode, scores, run)
