"""MedQuAD question-answer XML and the TREC 2017 LiveQA-Med test questions and judgements.

MedQuAD answer ids follow the LiveQA judgement files: `<source>_<file stem>_Sec<pid>.txt`
(`GHR_0000001_Sec1.txt` is QA pair 1 of `3_GHR_QA/0000001.xml`). The published XML renumbered
some QA pairs after the judgements were made, so `align_liveqa_qrels` re-maps judged ids to
the loaded documents by comparing answer texts.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from xml.etree import ElementTree as ET

from medsage.datasets._encoding import PathLike, read_text_file, require_file
from medsage.errors import DataFormatError, EmptyInputError, InvalidInputError, MissingFileError
from medsage.literature._documents import Document
from medsage.literature._ingest_common import (
    collapse_spaces,
    element_text,
    keep_last,
    parse_xml_file,
)

logger = logging.getLogger("medsage.literature")

#: LiveQA/TREC judgement scale (Ben Abacha et al., TREC 2017 LiveQA medical overview).
JUDGEMENTS: dict[int, str] = {1: "Incorrect", 2: "Related", 3: "Incomplete", 4: "Excellent"}
#: Name of the file of judged MedQuAD answers in the MedQuAD repository's qrels folder.
JUDGED_ANSWERS_CSV = "All-2479-Answers-retrieved-from-MedQuAD.csv"
_ANSWER_ID = re.compile(r"^(?P<source>[A-Za-z]+)_(?P<doc>.+)_Sec(?P<pid>\d+)\.txt$")
_LIVEQA_QID = re.compile(r"^(?:TQ)?(\d+)$")


def medquad_answer_id(source: str, doc_stem: str, pid: str) -> str:
    """The id the LiveQA judgements give a MedQuAD answer: `GHR_0000001_Sec1.txt`."""
    return f"{source}_{doc_stem}_Sec{pid}.txt"


def _answer_text(raw: str | None) -> str:
    """Answer text with indentation removed and blank lines dropped; line breaks kept."""
    lines = (collapse_spaces(line) for line in (raw or "").splitlines())
    return "\n".join(line for line in lines if line)


def _child(elem: ET.Element, *names: str) -> ET.Element | None:
    for name in names:
        found = elem.find(name)
        if found is not None:
            return found
    return None


def _medquad_file(path: Path, *, skipped: Counter[str]) -> list[Document]:
    """QA pairs with an answer from one MedQuAD XML file (three root schemas occur)."""
    source_name = repr(str(path))
    root = parse_xml_file(path, source=source_name)
    if root.tag not in ("Document", "doc", "DiseaseFile"):
        raise DataFormatError(
            f"{source_name} has root element <{root.tag}>; expected a MedQuAD <Document>"
        )
    source = root.get("source") or root.get("corpus") or ""
    if not source:
        raise DataFormatError(f"{source_name} has no source attribute on <{root.tag}>")
    document_id = root.get("id") or root.get("docid") or root.get("fid") or path.stem
    focus = element_text(_child(root, "Focus", "doctitle-focus"))
    url = (root.get("url") or "").strip()
    documents: list[Document] = []
    for pair in (e for e in root.iter() if e.tag in ("QAPair", "pair")):
        question_elem = _child(pair, "Question", "question")
        answer = _answer_text(
            "".join(a.itertext()) if (a := _child(pair, "Answer", "answer")) is not None else ""
        )
        if not answer:
            skipped[source] += 1
            continue
        question = element_text(question_elem)
        pid = pair.get("pid", "").strip()
        if not pid:
            raise DataFormatError(f"{source_name} has a QA pair without pid")
        documents.append(
            Document(
                # The file stem, not the id attribute: ten CancerGov files repeat their
                # parent's id ("0000013_2_1.xml" says id="0000013_2").
                id=medquad_answer_id(source, path.stem, pid),
                title=question,
                text=answer,
                source=f"medquad:{source}",
                language="en",
                url=url,
                extra={
                    "question": question,
                    "qtype": (question_elem.get("qtype", "") if question_elem is not None else ""),
                    "qid": (question_elem.get("qid", "") if question_elem is not None else ""),
                    "focus": focus,
                    "document_id": document_id,
                },
            )
        )
    return documents


def load_medquad(path: PathLike) -> list[Document]:
    """One Document per MedQuAD QA pair that has an answer, from a folder (searched
    recursively, files in sorted order) or a single XML file.

    id = the LiveQA answer id (`GHR_0000001_Sec1.txt`), title = the question, text = the answer,
    source = `medquad:<source>`, extra = question, qtype, qid, focus, document_id. Pairs whose
    answer was removed for licence reasons are skipped; their count per source is logged.
    """
    p = Path(path)
    if not p.exists():
        raise MissingFileError(f"MedQuAD path {str(p)!r} does not exist; check the path")
    files = sorted(p.rglob("*.xml")) if p.is_dir() else [p]
    if not files:
        raise EmptyInputError(f"no .xml files under {str(p)!r}; is this the MedQuAD folder?")
    skipped: Counter[str] = Counter()
    documents: list[Document] = []
    for file in files:
        documents.extend(_medquad_file(file, skipped=skipped))
    if skipped:
        logger.info(
            "MedQuAD: skipped %d QA pairs without an answer (%s)",
            sum(skipped.values()),
            ", ".join(f"{k}: {v}" for k, v in sorted(skipped.items())),
        )
    if not documents:
        raise EmptyInputError(f"{str(p)!r} holds no MedQuAD QA pair with an answer")
    return keep_last(documents, what="MedQuAD")


# --- LiveQA-Med 2017 test questions ------------------------------------------------------------

QuestionText = Literal["original", "summary", "paraphrase"]


def _liveqa_qid(raw: str, *, where: str) -> str:
    """`TQ7` or `7` -> `TQ7`, the id of the official test-question file."""
    match = _LIVEQA_QID.match(raw.strip())
    if match is None:
        raise DataFormatError(f"{where}: question id {raw!r} is neither 'TQ<n>' nor a number")
    return f"TQ{int(match.group(1))}"


def load_liveqa_questions(
    path: PathLike, *, text: QuestionText = "original"
) -> list[tuple[str, str]]:
    """(qid, question) for each `<NLM-QUESTION>` of a TREC-2017 LiveQA-Med test file.

    qid is `TQ<n>` (as in the file; `load_liveqa_qrels` uses the same). `text`: "original" =
    SUBJECT and MESSAGE joined by a line break (the consumer's own words); "summary" = the
    NLM-Summary (file with summaries), falling back to the original when absent;
    "paraphrase" = the NIST-PARAPHRASE.
    """
    if text not in ("original", "summary", "paraphrase"):
        raise InvalidInputError(f"text={text!r} is not one of 'original', 'summary', 'paraphrase'")
    p = require_file(path)
    source = repr(str(p))
    root = parse_xml_file(p, source=source)
    questions: list[tuple[str, str]] = []
    for elem in root.iter("NLM-QUESTION"):
        qid = _liveqa_qid(elem.get("qid", ""), where=source)
        original_elem = elem.find("Original-Question")
        parts = [
            element_text(original_elem.find(tag)) if original_elem is not None else ""
            for tag in ("SUBJECT", "MESSAGE")
        ]
        original = "\n".join(part for part in parts if part)
        chosen = original
        if text == "summary":
            chosen = element_text(elem.find("NLM-Summary")) or original
        elif text == "paraphrase":
            chosen = element_text(elem.find("NIST-PARAPHRASE")) or original
        if not chosen:
            raise DataFormatError(f"{source} question {qid} has no text")
        questions.append((qid, chosen))
    if not questions:
        raise EmptyInputError(f"{source} holds no <NLM-QUESTION>; is it a LiveQA-Med test file?")
    return questions


# --- LiveQA-Med judgements of MedQuAD answers ----------------------------------------------


def _qrels_file(path: PathLike) -> Path:
    p = Path(path)
    if p.is_dir():
        found = sorted(p.rglob("*qrels*Judged-Answers*.txt")) or sorted(p.rglob("*qrels*.txt"))
        if not found:
            raise MissingFileError(f"no qrels .txt file under {str(p)!r}")
        return found[0]
    return require_file(p)


def load_liveqa_judgements(path: PathLike) -> list[tuple[str, str, int]]:
    """Every line of the MedQuAD LiveQA qrels file as (qid `TQ<n>`, answer id, judgement 1-4).

    The file (`All-qrels_LiveQAMed2017-TestQuestions_2479_Judged-Answers.txt`, or the folder
    holding it) has lines `1 3-Incomplete GHR_0000019_Sec1.txt`. Some (question, answer)
    pairs are listed twice, sometimes with different judgements; all lines are returned.
    """
    p = _qrels_file(path)
    source = repr(str(p))
    rows: list[tuple[str, str, int]] = []
    for lineno, line in enumerate(read_text_file(p).splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        where = f"{source} line {lineno}"
        if len(fields) != 3:
            raise DataFormatError(
                f"{where} has {len(fields)} fields; expected 'qid judgement answer_id' "
                "(the NIST file with answer texts, TREC-2017-LiveQA-Medical-qrels-NIST-692.txt, "
                "judges participants' answers, not MedQuAD ids)"
            )
        qid, judged, answer_id = fields
        level = judged.split("-", 1)[0]
        if not level.isdigit() or int(level) not in JUDGEMENTS:
            raise DataFormatError(
                f"{where}: judgement {judged!r} is not one of 1-Incorrect, 2-Related, "
                "3-Incomplete, 4-Excellent"
            )
        rows.append((_liveqa_qid(qid, where=where), answer_id, int(level)))
    if not rows:
        raise EmptyInputError(f"{source} holds no judgements")
    return rows


def load_liveqa_qrels(path: PathLike) -> dict[str, dict[str, int]]:
    """qid (`TQ<n>`) -> {MedQuAD answer id: judgement 1-4}.

    When a (question, answer) pair is judged twice with different grades (168 pairs), the
    lower judgement is kept (the conservative reading); the number of conflicts is logged.
    """
    qrels: dict[str, dict[str, int]] = {}
    conflicts = 0
    for qid, answer_id, level in load_liveqa_judgements(path):
        judged = qrels.setdefault(qid, {})
        if answer_id in judged and judged[answer_id] != level:
            conflicts += 1
        judged[answer_id] = min(level, judged.get(answer_id, level))
    if conflicts:
        logger.info("LiveQA qrels: %d repeated judgements disagreed; the lower kept", conflicts)
    return qrels


def load_medquad_judged_answers(path: PathLike) -> list[Document]:
    """The judged answers as shipped with the qrels (`All-2479-Answers-retrieved-from-MedQuAD.csv`).

    It also holds the answers of the subsets whose XML lacks them (A.D.A.M., MedlinePlus drugs
    and herbs). Each cell reads "Question: ...\\nURL: ...\\nAnswer: ...)"; the trailing ")" is an
    artefact of the export and is dropped. One Document per answer id.
    """
    p = Path(path)
    if p.is_dir():
        p = p / JUDGED_ANSWERS_CSV
        if not p.exists():
            found = sorted(Path(path).rglob(JUDGED_ANSWERS_CSV))
            p = found[0] if found else p
    p = require_file(p)
    source = repr(str(p))
    reader = csv.DictReader(io.StringIO(read_text_file(p), newline=""))
    if reader.fieldnames is None or not {"AnswerID", "Answer"} <= set(reader.fieldnames):
        raise DataFormatError(f"{source} needs the columns AnswerID and Answer")
    documents: list[Document] = []
    for row in reader:
        answer_id = (row.get("AnswerID") or "").strip()
        cell = row.get("Answer") or ""
        match = _ANSWER_ID.match(answer_id)
        if match is None:
            raise DataFormatError(
                f"{source}: answer id {answer_id!r} is not like GHR_0000001_Sec1.txt"
            )
        head, _, body = cell.partition("\nAnswer:")
        question_line, _, rest = head.partition("\n")
        url = rest.removeprefix("URL:").strip()
        question = question_line.removeprefix("Question:").strip()
        text = _answer_text(body).removesuffix(")").rstrip()
        documents.append(
            Document(
                id=answer_id,
                title=question,
                text=text,
                source=f"medquad:{match['source']}",
                url=url,
                extra={"question": question, "document_id": match["doc"]},
            )
        )
    # The same answer is often judged for several questions: one Document per id, quietly.
    return list({d.id: d for d in documents}.values())


@dataclass(frozen=True)
class QrelsAlignment:
    """Judgements re-mapped onto a loaded corpus, and how many judged answers it holds.

    `qrels` keeps only answers present in the corpus. `same_id`: judged id found with the same
    answer text; `remapped`: text found under another pid of the same MedQuAD document;
    `changed_text`: id found but its answer differs and no pair matches (dropped);
    `not_in_corpus`: the document or source is absent (e.g. A.D.A.M., whose answers were removed).
    """

    qrels: dict[str, dict[str, int]]
    judged_ids: int
    same_id: int
    remapped: int
    changed_text: int
    not_in_corpus: int
    id_map: dict[str, str] = field(default_factory=dict)

    @property
    def match_rate(self) -> float:
        """Share of judged answer ids found in the corpus with the judged text."""
        return (self.same_id + self.remapped) / self.judged_ids if self.judged_ids else 0.0


def _comparable(text: str) -> str:
    return collapse_spaces(text).removesuffix(")").rstrip().lower()


def _question_key(text: str) -> str:
    return _comparable(text.split(" (Also called:", 1)[0])


def align_liveqa_qrels(
    qrels: dict[str, dict[str, int]],
    documents: Iterable[Document],
    judged_answers: Sequence[Document],
) -> QrelsAlignment:
    """Re-map judged MedQuAD answer ids onto `documents` by comparing answer texts.

    A judged id is kept when the loaded document with that id has the judged text; otherwise
    the QA pair of the same MedQuAD document (same source and file) with that text is used.
    `judged_answers` comes from `load_medquad_judged_answers`.
    """
    judged_text = {d.id: d for d in judged_answers}
    by_file: dict[tuple[str, str], list[Document]] = {}
    by_id: dict[str, Document] = {}
    for doc in documents:
        by_id[doc.id] = doc
        match = _ANSWER_ID.match(doc.id)
        if match is not None:
            by_file.setdefault((match["source"], match["doc"]), []).append(doc)
    id_map: dict[str, str] = {}
    counts: Counter[str] = Counter()
    all_ids = sorted({a for judged in qrels.values() for a in judged})
    for answer_id in all_ids:
        match = _ANSWER_ID.match(answer_id)
        reference = judged_text.get(answer_id)
        candidates = by_file.get((match["source"], match["doc"]), []) if match else []
        if not candidates and answer_id not in by_id:
            counts["not_in_corpus"] += 1
            continue
        if reference is None:  # nothing to compare with: trust the id
            if answer_id in by_id:
                id_map[answer_id] = answer_id
                counts["same_id"] += 1
            else:
                counts["changed_text"] += 1
            continue
        wanted = _comparable(reference.text)
        own = by_id.get(answer_id)
        if own is not None and _comparable(own.text) == wanted:
            id_map[answer_id] = answer_id
            counts["same_id"] += 1
            continue
        same_text = [d for d in candidates if _comparable(d.text) == wanted]
        if len(same_text) > 1:
            question = _question_key(reference.title)
            same_text = [d for d in same_text if _question_key(d.title) == question] or same_text
        if same_text:
            id_map[answer_id] = same_text[0].id
            counts["remapped"] += 1
        else:
            counts["changed_text"] += 1
    aligned: dict[str, dict[str, int]] = {}
    for qid, judged in qrels.items():
        for answer_id, level in judged.items():
            target = id_map.get(answer_id)
            if target is not None:
                row = aligned.setdefault(qid, {})
                row[target] = max(level, row.get(target, 0))
    return QrelsAlignment(
        qrels=aligned,
        judged_ids=len(all_ids),
        same_id=counts["same_id"],
        remapped=counts["remapped"],
        changed_text=counts["changed_text"],
        not_in_corpus=counts["not_in_corpus"],
        id_map=id_map,
    )
