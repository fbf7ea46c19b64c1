"""The consultation assistant on TREC 2017 LiveQA-Med, MedQuAD as the knowledge base.

Usage::

    .venv/bin/python benchmarks/consult_liveqa.py [--kb-dir .devmodel/consult-kb]

The knowledge base is every MedQuAD answer (16,423), indexed by answer and by known question.
Each of the 104 test questions is asked as the consumer wrote it ("original") and as NLM
summarised it ("summary"); the score is the LiveQA average score of the FIRST CITED answer
(judgement 1..4 -> 0..3, unjudged 0), with the share of first citations that were judged.
Ablations: each ranking alone, the four fused without the focus bonus. The test questions
were never used to choose the method's settings (RRF k = 60 and the focus bonus are fixed in
`medsage.consult._knowledge`); the ablation rows are reported, not selected from.
Also checks that every answer sentence is a sentence of the passage it cites.
Writes benchmarks/results/consult_liveqa.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, default_data_dir, environment, write_result
from medsage.consult import Consultant, KnowledgeBase
from medsage.consult import _knowledge as knowledge
from medsage.literature._ingest_medquad import (
    align_liveqa_qrels,
    load_liveqa_qrels,
    load_liveqa_questions,
    load_medquad,
    load_medquad_judged_answers,
)
from medsage.literature._trec import liveqa_average_score


def build_kb(folder: Path, medquad: Path) -> KnowledgeBase:
    kb = KnowledgeBase(folder)
    if "en" not in kb.languages():
        answers = REPO_ROOT / ".devmodel" / "medquad-index"
        questions = REPO_ROOT / ".devmodel" / "medquad-index-q"
        if answers.is_dir() and questions.is_dir():  # made by benchmarks/liveqa.py: same docs
            kb.adopt_indexes("en", answers, questions)
        else:
            kb.add(load_medquad(medquad), trust="trusted")
    return kb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--kb-dir", type=Path, default=REPO_ROOT / ".devmodel" / "consult-kb")
    args = parser.parse_args()
    medquad = args.data_dir / "medquad"
    qrels_dir = medquad / "liveqa_med_qrels" / "QA-TestSet-LiveQA-Med-Qrels-2479-Answers"
    questions_file = (
        args.data_dir / "liveqa_med_trec2017"
        / "TREC-2017-LiveQA-Medical-Test-Questions-w-summaries.xml"
    )  # fmt: skip
    kb = build_kb(args.kb_dir, medquad)
    docs = load_medquad(medquad)
    qrels = align_liveqa_qrels(
        load_liveqa_qrels(qrels_dir), docs, load_medquad_judged_answers(qrels_dir)
    ).qrels
    consultant = Consultant(kb, conversations=args.kb_dir / "conversations.sqlite3")
    results: dict[str, Any] = {"command": "python benchmarks/consult_liveqa.py", "runs": {}}
    variants = {"fused+focus": knowledge.FOCUS_BONUS, "fused": 0.0}
    for text in ("original", "summary"):
        questions = load_liveqa_questions(questions_file, text=text)
        qids = [q for q, _ in questions]
        for name, bonus in variants.items():
            knowledge.FOCUS_BONUS = bonus
            first: dict[str, list[str]] = {}
            untraced = 0
            modes: dict[str, int] = {}
            started = time.perf_counter()
            for qid, question in questions:
                answer = consultant.ask(question)
                modes[answer.mode] = modes.get(answer.mode, 0) + 1
                first[qid] = [answer.citations[0]["id"]] if answer.citations else []
                by_number = {c["number"]: c["id"] for c in answer.citations}
                for sentence in answer.sentences:
                    cited = kb.get(by_number[sentence["citation"]])
                    untraced += sentence["text"] not in cited.text
            seconds = time.perf_counter() - started
            score = liveqa_average_score(first, qrels, qids)
            results["runs"][f"{name}/{text}"] = {
                **score, "modes": modes, "sentences_not_in_cited_passage": untraced,
                "seconds_per_question": round(seconds / len(questions), 3),
            }  # fmt: skip
            print(f"{name}/{text}: {score} modes={modes} untraced={untraced}", flush=True)
    knowledge.FOCUS_BONUS = variants["fused+focus"]
    results["environment"] = environment()
    print("wrote", write_result("consult_liveqa", results))


if __name__ == "__main__":
    main()
