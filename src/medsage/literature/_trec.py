"""TREC run and qrels files, and the LiveQA-Med "average score".

Run file lines: ``qid Q0 docid rank score tag``. Qrels lines: ``qid 0 docid judgement`` (the
second column is ignored). The MedQuAD LiveQA judgements have their own reader
(`_ingest_medquad.load_liveqa_qrels`).

LiveQA 2017 average score (Ben Abacha et al., TREC 2017 LiveQA medical overview): for each
question, the judgement of the top-ranked answer mapped 1..4 -> 0..3 (an unjudged answer
scores 0), averaged over all questions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from medsage.datasets import read_text_file
from medsage.errors import DataFormatError, MissingFileError

RankedRun = Mapping[str, Sequence[tuple[str, float]]]  # qid -> [(docid, score)], best first


def write_run(run: RankedRun, path: str | Path, tag: str = "medsage") -> Path:
    """Write a TREC run file (ranks from 1, in the given order)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"{qid} Q0 {doc} {rank} {score:.6f} {tag}"
        for qid, hits in run.items()
        for rank, (doc, score) in enumerate(hits, 1)
    ]
    out.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return out


def read_run(path: str | Path) -> dict[str, list[tuple[str, float]]]:
    """A TREC run file, each query's documents sorted by score (ties by rank)."""
    rows: dict[str, list[tuple[int, str, float]]] = {}
    for number, line in enumerate(_lines(path), 1):
        fields = line.split()
        if len(fields) != 6:
            raise DataFormatError(f"{path}:{number}: expected 'qid Q0 docid rank score tag'")
        try:
            rows.setdefault(fields[0], []).append((int(fields[3]), fields[2], float(fields[4])))
        except ValueError:
            raise DataFormatError(f"{path}:{number}: rank and score must be numbers") from None
    return {
        qid: [(doc, score) for _, doc, score in sorted(hits, key=lambda h: (-h[2], h[0]))]
        for qid, hits in rows.items()
    }


def read_qrels(path: str | Path) -> dict[str, dict[str, int]]:
    """Judgements: qid -> docid -> grade (a repeated pair keeps its lower grade)."""
    out: dict[str, dict[str, int]] = {}
    for number, line in enumerate(_lines(path), 1):
        fields = line.split()
        try:
            if len(fields) != 4:
                raise ValueError
            qid, doc, grade = fields[0], fields[2], int(fields[3])
        except ValueError:
            raise DataFormatError(f"{path}:{number}: expected 'qid 0 docid judgement'") from None
        judged = out.setdefault(qid, {})
        judged[doc] = min(grade, judged.get(doc, grade))
    return out


def liveqa_average_score(
    run: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Mapping[str, int]],
    questions: Sequence[str] | None = None,
) -> dict[str, float]:
    """Mean over the questions (default: the qrels' questions; give all test question ids so
    that questions without any judged answer count as 0) of the top answer's judgement - 1
    (unjudged: 0), and the share of questions whose top answer was judged."""
    scores = []
    judged = 0
    for qid in questions if questions is not None else list(qrels):
        grades = qrels.get(qid, {})
        ranked = run.get(qid, ())
        top = ranked[0] if ranked else None
        if top is not None and top in grades:
            judged += 1
            scores.append(max(0, grades[top] - 1))
        else:
            scores.append(0)
    n = len(scores)
    return {
        "questions": n,
        "average_score": sum(scores) / n if n else 0.0,
        "top_answer_judged": judged / n if n else 0.0,
    }


def _lines(path: str | Path) -> list[str]:
    source = Path(path)
    if not source.is_file():
        raise MissingFileError(f"{source} not found")
    return [line for line in read_text_file(source).splitlines() if line.strip()]
