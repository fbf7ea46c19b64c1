"""Corpus ingest: read literature and knowledge files into `Document`s.

Formats: PubMed XML and MEDLINE text (`_ingest_pubmed`), MedQuAD XML and the LiveQA-Med
questions and judgements (`_ingest_medquad`), BEIR `corpus.jsonl`, generic JSONL/CSV with
id/title/text, and the Chinese dialogue CSV (doctor answers as documents). Within one load a
repeated id keeps the later document; only the count is logged.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from medsage.datasets._encoding import PathLike, read_text_file, require_file
from medsage.errors import DataFormatError, EmptyInputError, InvalidInputError, MissingFileError
from medsage.literature._documents import Document
from medsage.literature._ingest_common import collapse_spaces, count_duplicate_ids, keep_last
from medsage.literature._ingest_medquad import (
    JUDGED_ANSWERS_CSV,
    JUDGEMENTS,
    QrelsAlignment,
    align_liveqa_qrels,
    load_liveqa_judgements,
    load_liveqa_qrels,
    load_liveqa_questions,
    load_medquad,
    load_medquad_judged_answers,
    medquad_answer_id,
)
from medsage.literature._ingest_pubmed import load_medline_text, load_pubmed_xml

__all__ = [
    "FORMATS",
    "JUDGED_ANSWERS_CSV",
    "JUDGEMENTS",
    "QrelsAlignment",
    "align_liveqa_qrels",
    "count_duplicate_ids",
    "detect_format",
    "load_beir_corpus",
    "load_dialogue_answers",
    "load_document_table",
    "load_documents",
    "load_liveqa_judgements",
    "load_liveqa_qrels",
    "load_liveqa_questions",
    "load_medline_text",
    "load_medquad",
    "load_medquad_judged_answers",
    "load_pubmed_xml",
    "medquad_answer_id",
]

Format = Literal["auto", "pubmed", "medline", "beir", "medquad", "jsonl", "csv", "dialogue"]
FORMATS: tuple[str, ...] = ("pubmed", "medline", "beir", "medquad", "jsonl", "csv", "dialogue")

#: Columns a generic table maps onto Document fields; any other column goes to `extra`.
_KNOWN_COLUMNS = frozenset(
    {
        "id",
        "_id",
        "title",
        "text",
        "source",
        "language",
        "year",
        "journal",
        "url",
        "mesh",
        "publication_types",
    }
)
#: Separator of list cells (mesh, publication_types) in CSV files.
LIST_SEPARATOR = ";"
_DIALOGUE_COLUMNS = ("department", "title", "ask", "answer")
_DETECT_CHARS = 2000


def _language(text: str) -> str:
    """ "zh" or "en" from the text. Mixed Chinese-English counts as Chinese, since it needs the
    Chinese segmenter; text without letters counts as English."""
    from medsage.text import detect_language  # only when a file does not say

    found = detect_language(text[:_DETECT_CHARS])
    return "zh" if found in ("zh", "mixed") else "en"


def _string(value: object, *, where: str, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | int | float):
        return str(value)
    raise DataFormatError(f"{where}: {column!r} holds a {type(value).__name__}; expected text")


def _string_list(value: object, *, where: str, column: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        parts: list[object] = list(value.split(LIST_SEPARATOR))
    elif isinstance(value, list):
        parts = list(value)
    else:
        raise DataFormatError(f"{where}: {column!r} must be a list or a ';'-separated string")
    return tuple(s for s in (_string(p, where=where, column=column) for p in parts) if s)


def _extra_value(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _record_document(
    values: Mapping[str, object], *, where: str, default_source: str, language: str | None
) -> Document:
    raw_id = values.get("id", values.get("_id"))
    doc_id = _string(raw_id, where=where, column="id")
    if not doc_id:
        raise DataFormatError(f"{where} has no id; every document needs a non-empty 'id'")
    title = collapse_spaces(_string(values.get("title"), where=where, column="title"))
    text = _string(values.get("text"), where=where, column="text")
    if not text and not title:
        raise DataFormatError(f"{where} (id {doc_id!r}) has neither title nor text")
    year_raw = _string(values.get("year"), where=where, column="year")
    try:
        year = int(float(year_raw)) if year_raw else None
    except ValueError:
        raise DataFormatError(f"{where}: year {year_raw!r} is not a number") from None
    lang = _string(values.get("language"), where=where, column="language") or language
    return Document(
        id=doc_id,
        title=title,
        text=text,
        source=_string(values.get("source"), where=where, column="source") or default_source,
        language=lang or _language(f"{title}\n{text}"),
        year=year,
        journal=_string(values.get("journal"), where=where, column="journal"),
        url=_string(values.get("url"), where=where, column="url"),
        mesh=_string_list(values.get("mesh"), where=where, column="mesh"),
        publication_types=_string_list(
            values.get("publication_types"), where=where, column="publication_types"
        ),
        extra={
            str(k): _extra_value(v)
            for k, v in values.items()
            if k not in _KNOWN_COLUMNS and v is not None and v != ""
        },
    )


def _jsonl_objects(text: str, *, source: str) -> list[tuple[str, dict[str, Any]]]:
    """(where, object) for each JSON object line, with the dataset loaders' error messages."""
    from medsage.datasets._tabular import _read_jsonl

    return [(f"{source} {r.where}", dict(r.values)) for r in _read_jsonl(text, source=source)]


def _csv_rows(text: str, *, source: str, delimiter: str) -> list[tuple[str, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[str, dict[str, str]]] = []
    try:
        for row in reader:
            if None in row:
                raise DataFormatError(
                    f"{source} line {reader.line_num} has more fields than the header; "
                    f"quote fields that contain {delimiter!r}"
                )
            rows.append((f"{source} line {reader.line_num}", {k: v or "" for k, v in row.items()}))
    except csv.Error as exc:
        raise DataFormatError(f"{source} line {reader.line_num}: {exc}") from None
    if reader.fieldnames is None:
        raise EmptyInputError(f"{source} is empty; expected a header row and data rows")
    return rows


def load_document_table(
    path: PathLike,
    *,
    language: str | None = None,
    source: str | None = None,
    encoding: str | None = None,
) -> list[Document]:
    """Documents from JSONL (`.jsonl`/`.ndjson`) or CSV/TSV with columns id, title, text.

    Optional columns: year, journal, source, language, url, mesh and publication_types (a JSON
    list, or ';'-separated in CSV); other columns go to `extra`. The language is the row's
    `language`, else `language`, else detected from title and text. UTF-8 or GB18030.
    """
    p = require_file(path)
    where = repr(str(p))
    text = read_text_file(p, encoding=encoding)
    suffix = p.suffix.lower()
    rows: list[tuple[str, Mapping[str, object]]]
    if suffix in (".csv", ".tsv"):
        rows = list(_csv_rows(text, source=where, delimiter="\t" if suffix == ".tsv" else ","))
    else:
        rows = list(_jsonl_objects(text, source=where))
    if not rows:
        raise EmptyInputError(f"{where} holds no documents")
    documents = [
        _record_document(values, where=w, default_source=source or p.name, language=language)
        for w, values in rows
    ]
    return keep_last(documents, what=p.name)


def load_beir_corpus(path: PathLike, *, language: str | None = "en") -> list[Document]:
    """A BEIR `corpus.jsonl` (or the data-set folder holding it): `_id`, `title`, `text`,
    `metadata`.

    source = `beir:<folder name>`; string metadata (url, pubmed_id ...) goes to `extra`, and
    `metadata.url` also to `url`. BEIR corpora are English, so detection is off unless
    `language=None`.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "corpus.jsonl"
    p = require_file(p)
    where = repr(str(p))
    name = p.parent.name if p.name == "corpus.jsonl" else p.stem
    rows = _jsonl_objects(read_text_file(p), source=where)
    if not rows:
        raise EmptyInputError(f"{where} holds no documents")
    documents: list[Document] = []
    for w, obj in rows:
        if "_id" not in obj:
            raise DataFormatError(f"{w} has no '_id'; is this a BEIR corpus.jsonl?")
        metadata = obj.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise DataFormatError(f"{w}: 'metadata' must be an object")
        flat: dict[str, object] = {
            "_id": obj["_id"],
            "title": obj.get("title", ""),
            "text": obj.get("text", ""),
            "url": metadata.get("url", ""),
            **{f"{k}": v for k, v in metadata.items() if k != "url" and k not in _KNOWN_COLUMNS},
        }
        documents.append(
            _record_document(flat, where=w, default_source=f"beir:{name}", language=language)
        )
    return keep_last(documents, what=p.name)


def load_dialogue_answers(
    path: PathLike, *, encoding: str | None = None, min_chars: int = 1
) -> list[Document]:
    """Doctor answers of the Chinese dialogue CSV (`department,title,ask,answer`) as documents.

    id = `<file stem>:<row number>`, title = the title (else the start of the question), text =
    the answer, extra = question and department, language "zh". Rows whose answer is shorter
    than `min_chars` are skipped. The encoding (GB18030 for the published files) is detected.
    """
    p = require_file(path)
    where = repr(str(p))
    rows = _csv_rows(read_text_file(p, encoding=encoding), source=where, delimiter=",")
    if rows:
        missing = [c for c in _DIALOGUE_COLUMNS if c not in rows[0][1]]
        if missing:
            raise DataFormatError(
                f"{where} lacks column(s) {', '.join(missing)}; expected "
                f"{','.join(_DIALOGUE_COLUMNS)} as in the toyhom dialogue data"
            )
    documents: list[Document] = []
    for number, (_w, row) in enumerate(rows, start=1):
        answer = row["answer"].strip()
        if len(answer) < min_chars:
            continue
        ask = row["ask"].strip()
        documents.append(
            Document(
                id=f"{p.stem}:{number}",
                title=collapse_spaces(row["title"]) or collapse_spaces(ask)[:60],
                text=answer,
                source=f"dialogue:{p.stem}",
                language="zh",
                extra={"question": ask, "department": row["department"].strip()},
            )
        )
    if not documents:
        raise EmptyInputError(f"{where} holds no answered question")
    return documents


def _sniff_head(p: Path, size: int = 4096) -> bytes:
    if p.suffix.lower() == ".gz":
        import gzip

        try:
            with gzip.open(p, "rb") as stream:
                return stream.read(size)
        except (OSError, EOFError) as exc:
            raise DataFormatError(f"{str(p)!r} is not a valid gzip file ({exc})") from None
    with p.open("rb") as stream:
        return stream.read(size)


def detect_format(path: PathLike) -> str:
    """The format `load_documents` would use for `path` (one of FORMATS)."""
    p = Path(path)
    if not p.exists():
        raise MissingFileError(f"{str(p)!r} does not exist; check the path")
    if p.is_dir():
        if (p / "corpus.jsonl").is_file():
            return "beir"
        if next(p.rglob("*.xml"), None) is not None:
            return "medquad"
        raise DataFormatError(
            f"folder {str(p)!r} holds neither corpus.jsonl (BEIR) nor .xml files (MedQuAD)"
        )
    suffixes = [s.lower() for s in p.suffixes]
    suffix = suffixes[-2] if suffixes[-1:] == [".gz"] and len(suffixes) > 1 else p.suffix.lower()
    head = _sniff_head(p)
    text_head = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    if suffix == ".xml":
        if b"<PubmedArticleSet" in head:
            return "pubmed"
        if any(tag in head for tag in (b"<Document ", b"<doc ", b"<DiseaseFile ")):
            return "medquad"
        raise DataFormatError(
            f"{str(p)!r} is neither PubMed XML (<PubmedArticleSet>) nor MedQuAD XML; "
            "pass format= explicitly"
        )
    if suffix in (".nbib", ".medline", ".txt"):
        if text_head.startswith("PMID-"):
            return "medline"
        raise DataFormatError(
            f"{str(p)!r} does not start with 'PMID-'; only MEDLINE text is read from {suffix} files"
        )
    if suffix in (".jsonl", ".ndjson"):
        first = text_head.split("\n", 1)[0]
        return "beir" if p.name == "corpus.jsonl" or first.startswith('{"_id"') else "jsonl"
    if suffix in (".csv", ".tsv"):
        try:
            header = head.decode("utf-8-sig").split("\n", 1)[0]
        except UnicodeDecodeError:
            header = head.decode("gb18030", errors="ignore").split("\n", 1)[0]
        columns = {c.strip() for c in header.split(",")}
        return "dialogue" if {"ask", "answer"} <= columns else "csv"
    raise DataFormatError(
        f"cannot tell the format of {str(p)!r} from its name; pass format= one of "
        f"{', '.join(FORMATS)}"
    )


def load_documents(
    path: PathLike, format: Format = "auto", *, encoding: str | None = None
) -> list[Document]:
    """Documents from any supported corpus file or folder; `format="auto"` sniffs it.

    auto: a folder with corpus.jsonl -> beir, a folder of XML -> medquad; `.xml[.gz]` by root
    element (pubmed or medquad); `.nbib`/`.txt` starting with PMID- -> medline; `corpus.jsonl`
    or JSONL with `_id` -> beir, other JSONL -> jsonl; CSV with ask/answer columns ->
    dialogue, other CSV/TSV -> csv. A repeated id keeps the later document.
    """
    kind = detect_format(path) if format == "auto" else format
    if kind == "pubmed":
        return load_pubmed_xml(path)
    if kind == "medline":
        return load_medline_text(path, encoding=encoding)
    if kind == "beir":
        return load_beir_corpus(path)
    if kind == "medquad":
        return load_medquad(path)
    if kind in ("jsonl", "csv"):
        return load_document_table(path, encoding=encoding)
    if kind == "dialogue":
        return load_dialogue_answers(path, encoding=encoding)
    raise InvalidInputError(f"format={format!r} is not 'auto' or one of {', '.join(FORMATS)}")
