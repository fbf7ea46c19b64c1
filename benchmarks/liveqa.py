"""LiveQA-Med 2017 over MedQuAD: search quality of bm25, dense and hybrid.

Usage::

    .venv/bin/python benchmarks/liveqa.py [--index-dir .devmodel/medquad-index]

Corpus: every MedQuAD answer in ../shared/data/medquad (16,423 answered QA pairs; the
A.D.A.M., MedlinePlus drugs and herbs subsets have no answers in the public XML). Questions:
the 104 TREC 2017 LiveQA-Med test questions, as the consumers wrote them ("original") and as
NLM summarised them ("summary"). Judgements: the 2,479 judgements of MedQuAD answers, re-mapped
onto the indexed answers by text; relevant = 3 or 4. Reported per mode: nDCG@10, MAP, MRR,
Recall@100 and the LiveQA average score (top answer's judgement 1..4 -> 0..3, unjudged 0, over
all 104 questions), with the best score this corpus allows (an oracle that always ranks the
best judged answer present first).

A question-matching variant indexes each answer by its MedQuAD question and focus only (the
idea of question entailment: a consumer question is answered by the answer of the most similar
known question), same ids and judgements.

A last corpus adds the 1,489 judged answers of the missing subsets, taken from the qrels'
answers CSV. Every added document is a judged one, so this flatters the score; it is reported
only to show what the missing subsets cost.
Writes benchmarks/results/liveqa.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, RESULTS_DIR, default_data_dir, environment, write_result
from medsage.literature import LiteratureIndex
from medsage.literature._evaluate import evaluate_liveqa
from medsage.literature._ingest_medquad import (
    align_liveqa_qrels,
    load_liveqa_qrels,
    load_medquad,
    load_medquad_judged_answers,
)

MODES = ("bm25", "dense", "hybrid")
TEXTS = ("original", "summary")


def oracle(qrels: dict[str, dict[str, int]], questions: int = 104) -> float:
    best = [max([g - 1 for g in qrels.get(f"TQ{i}", {}).values()] or [0]) for i in range(1, 105)]
    return sum(best) / questions


def build(docs: list[Any], folder: Path, base: Path | None = None) -> LiteratureIndex:
    """Open the index in `folder` if it holds `docs`; else extend a copy of `base` (only the
    new documents are encoded) or build it from scratch."""
    if (folder / "manifest.json").is_file():
        index = LiteratureIndex.open(folder)
        if len(index) == len(docs):
            return index
    started = time.perf_counter()
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter() - started
        if done == total or now - last[0] > 60:
            last[0] = now
            print(f"  {stage} {done}/{total} ({now:.0f} s)", flush=True)

    if base is not None and (base / "manifest.json").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(base, folder)
        index = LiteratureIndex.open(folder)
        known = {d.id for d in index.documents()}
        index.add([d for d in docs if d.id not in known], progress=progress)
        index.save()
        return index
    return LiteratureIndex.build(docs, folder, dense=True, encoder="minilm", progress=progress)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--index-dir", type=Path, default=REPO_ROOT / ".devmodel" / "medquad-index")
    parser.add_argument(
        "--only", nargs="*", help="Run these corpora only; other entries of the result file stay."
    )
    args = parser.parse_args()
    medquad = args.data_dir / "medquad"
    qrels_dir = medquad / "liveqa_med_qrels" / "QA-TestSet-LiveQA-Med-Qrels-2479-Answers"
    questions = (
        args.data_dir
        / "liveqa_med_trec2017"
        / "TREC-2017-LiveQA-Medical-Test-Questions-w-summaries.xml"
    )
    docs = load_medquad(medquad)
    judged = load_medquad_judged_answers(qrels_dir)
    present = {d.id for d in docs}
    restored = [
        d
        for d in judged
        if d.id not in present and d.id.split("_")[0] in ("ADAM", "MPlusDrugs", "MPlusHerbsSuppls")
    ]
    results: dict[str, Any] = {"command": "python benchmarks/liveqa.py", "corpora": {}}
    previous = RESULTS_DIR / "liveqa.json"
    if args.only and previous.is_file():
        results = json.loads(previous.read_text(encoding="utf-8"))
    by_question = [
        dataclasses.replace(d, text=" ".join(filter(None, [d.extra.get("focus", ""), d.title])))
        for d in docs
    ]
    plus = args.index_dir.with_name(args.index_dir.name + "-plus")
    questions_dir = args.index_dir.with_name(args.index_dir.name + "-q")
    for name, corpus, folder, base in [
        ("medquad", docs, args.index_dir, None),
        ("medquad_questions", by_question, questions_dir, None),
        ("medquad_plus_judged_missing_subsets", docs + restored, plus, args.index_dir),
    ]:
        if args.only and name not in args.only:
            continue
        started = time.perf_counter()
        index = build(corpus, folder, base)
        built_s = time.perf_counter() - started
        answers = docs if name == "medquad_questions" else corpus  # align on the answer texts
        alignment = align_liveqa_qrels(load_liveqa_qrels(qrels_dir), answers, judged)
        entry: dict[str, Any] = {
            "documents": len(corpus), "index_seconds": round(built_s, 1),
            "oracle_average_score": round(oracle(alignment.qrels), 4), "runs": {},
        }  # fmt: skip
        for text in TEXTS:
            for mode in MODES:
                result = evaluate_liveqa(
                    index, questions, qrels_dir, mode=mode, question_text=text, answers=answers
                )
                scores = {k: v for k, v in result.scores.items() if k != "question_text"}
                entry["runs"][f"{mode}/{text}"] = scores
                print(
                    f"{name} {mode}/{text}: average score "
                    f"{scores['liveqa']['average_score']:.3f} (judged top "
                    f"{scores['liveqa']['top_answer_judged']:.2f}), nDCG@10 "
                    f"{scores['ndcg_at_10']:.3f}, MRR {scores['mrr']:.3f}",
                    flush=True,
                )
        results["corpora"][name] = entry
        results["environment"] = environment()
        print("wrote", write_result("liveqa", results), flush=True)


if __name__ == "__main__":
    main()
