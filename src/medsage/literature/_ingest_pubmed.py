"""PubMed/MEDLINE citations: the `PubmedArticleSet` XML and the MEDLINE (.nbib) tag format."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from xml.etree import ElementTree as ET

from medsage.datasets._encoding import PathLike, read_text_file, require_file
from medsage.errors import DataFormatError, EmptyInputError
from medsage.literature._documents import Document, Section
from medsage.literature._ingest_common import (
    collapse_spaces,
    element_text,
    iter_xml_children,
    keep_last,
    language_code,
)

logger = logging.getLogger("medsage.literature")

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
#: Label of sections taken from <OtherAbstract> (e.g. a Chinese abstract of a Chinese article).
OTHER_ABSTRACT_LABEL = "OTHER_ABSTRACT"
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


def _year(text: str | None) -> int | None:
    """The first plausible 4-digit year in `text` ("1998 Dec-1999 Jan" -> 1998)."""
    match = _YEAR.search(text or "")
    return int(match.group(1)) if match else None


def _pubmed_year(article: ET.Element) -> int | None:
    """PubDate/Year, else the first year of PubDate/MedlineDate, else ArticleDate/Year."""
    pub_date = article.find("Journal/JournalIssue/PubDate")
    if pub_date is not None:
        year = _year(pub_date.findtext("Year"))
        if year is None:
            year = _year(pub_date.findtext("MedlineDate"))
        if year is not None:
            return year
    return _year(article.findtext("ArticleDate/Year"))


def _abstract_sections(abstract: ET.Element | None, *, label: str | None = None) -> list[Section]:
    """Sections of an <Abstract>/<OtherAbstract>: NlmCategory, else Label, else "" per part."""
    if abstract is None:
        return []
    sections: list[Section] = []
    for part in abstract.findall("AbstractText"):
        text = element_text(part)
        if not text:
            continue
        if label is None:
            category = part.get("NlmCategory", "").strip().upper()
            own = category if category and category != "UNASSIGNED" else part.get("Label", "")
            sections.append(Section(own.strip().upper(), text))
        else:
            sections.append(Section(label, text))
    return sections


def _pubmed_document(elem: ET.Element, *, index: int, source: str) -> Document:
    citation = elem.find("MedlineCitation")
    if citation is None:
        raise DataFormatError(f"{source} article {index} has no <MedlineCitation>")
    pmid = collapse_spaces(citation.findtext("PMID"))
    if not pmid:
        raise DataFormatError(
            f"{source} article {index} has no PMID (<MedlineCitation><PMID>); every PubMed "
            "article needs one, since it becomes the document id"
        )
    article = citation.find("Article")
    if article is None:
        raise DataFormatError(f"{source} article {index} (PMID {pmid}) has no <Article>")
    sections = _abstract_sections(article.find("Abstract"))
    extra: dict[str, str] = {}
    for other in citation.findall("OtherAbstract"):
        other_sections = _abstract_sections(other, label=OTHER_ABSTRACT_LABEL)
        if other_sections:
            sections.extend(other_sections)
            extra["other_abstract_language"] = language_code(other.get("Language", ""))
            break
    vernacular = element_text(article.find("VernacularTitle"))
    if vernacular:
        extra["vernacular_title"] = vernacular
    languages = [language_code(e.text or "") for e in article.findall("Language") if e.text]
    heading_names = [
        element_text(d) for d in citation.findall("MeshHeadingList/MeshHeading/DescriptorName")
    ]
    pub_types = [element_text(p) for p in article.findall("PublicationTypeList/PublicationType")]
    return Document(
        id=pmid,
        title=element_text(article.find("ArticleTitle")),
        text="\n".join(s.text for s in sections),
        source="pubmed",
        language=languages[0] if languages else "en",
        year=_pubmed_year(article),
        journal=element_text(article.find("Journal/Title")),
        url=PUBMED_URL.format(pmid=pmid),
        mesh=tuple(m for m in heading_names if m),
        publication_types=tuple(p for p in pub_types if p),
        sections=tuple(sections),
        extra=extra,
    )


def load_pubmed_xml(path: PathLike) -> list[Document]:
    """Articles of a PubMed `PubmedArticleSet` XML file (`.xml` or `.xml.gz`), one per PMID.

    Reads the file as a stream (one article in memory at a time) and refuses DOCTYPE entity
    declarations. `<PubmedBookArticle>` and `<DeleteCitation>` entries are skipped (counted in
    the log). A repeated PMID keeps the later article. Raises DataFormatError for malformed XML,
    another root element or an article without PMID, and EmptyInputError for a set without
    articles.
    """
    p = require_file(path)
    source = repr(str(p))
    documents: list[Document] = []
    skipped = 0
    for root_tag, elem in iter_xml_children(Path(p), source=source):
        if root_tag != "PubmedArticleSet":
            raise DataFormatError(
                f"{source} has root element <{root_tag}>; expected <PubmedArticleSet> "
                "(PubMed XML as exported by PubMed or E-utilities efetch)"
            )
        if elem is None:
            break
        if elem.tag != "PubmedArticle":
            skipped += 1
            continue
        documents.append(_pubmed_document(elem, index=len(documents) + skipped + 1, source=source))
    if skipped:
        logger.info("%s: skipped %d non-article entries (books, deletions)", p.name, skipped)
    if not documents:
        raise EmptyInputError(f"{source} holds no <PubmedArticle>; nothing to ingest")
    return keep_last(documents, what=p.name)


# --- MEDLINE text (.nbib / .txt as saved from PubMed "Format: PubMed") -----------------------

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]{0,3})\s*- ?(.*)$")
#: A structured abstract in MEDLINE text keeps its labels inline: "BACKGROUND: ... METHODS: ...".
_INLINE_LABEL = re.compile(r"(?:^|(?<=[.?!)\]] ))([A-Z][A-Z ,&/-]{2,40}): ")


def _medline_records(text: str, *, source: str) -> list[list[tuple[str, str]]]:
    records: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if current:
                records.append(current)
                current = []
            continue
        if line.startswith("      ") and current:
            tag, value = current[-1]
            current[-1] = (tag, f"{value} {line.strip()}")
            continue
        match = _TAG_LINE.match(line)
        if match is None:
            raise DataFormatError(
                f"{source} line {lineno} is neither a 'TAG - value' line nor a continuation "
                "indented by 6 spaces; is this a MEDLINE (.nbib) file?"
            )
        tag = match.group(1)
        if tag == "PMID" and current:  # records not separated by a blank line
            records.append(current)
            current = []
        current.append((tag, match.group(2).strip()))
    if current:
        records.append(current)
    return records


def _medline_sections(abstract: str) -> list[Section]:
    if not abstract:
        return []
    marks = list(_INLINE_LABEL.finditer(abstract))
    if not marks or marks[0].start() != 0:
        return [Section("", abstract)]
    sections: list[Section] = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(abstract)
        body = abstract[mark.end() : end].strip()
        if body:
            sections.append(Section(mark.group(1).strip(), body))
    return sections


def _mesh_descriptor(value: str) -> str:
    """`Hypertension/*drug therapy` -> `Hypertension`; `*Humans` -> `Humans`."""
    return value.split("/", 1)[0].lstrip("*").strip()


def _medline_document(fields: list[tuple[str, str]], *, index: int, source: str) -> Document:
    first: dict[str, str] = {}
    for tag, value in fields:
        first.setdefault(tag, value)
    pmid = first.get("PMID", "").strip()
    if not pmid:
        raise DataFormatError(f"{source} record {index} has no 'PMID- ' line")
    sections = _medline_sections(collapse_spaces(first.get("AB")))
    languages = [language_code(v) for t, v in fields if t == "LA" and v]
    return Document(
        id=pmid,
        title=collapse_spaces(first.get("TI")),
        text="\n".join(s.text for s in sections),
        source="pubmed",
        language=languages[0] if languages else "en",
        year=_year(first.get("DP")),
        journal=collapse_spaces(first.get("JT") or first.get("TA")),
        url=PUBMED_URL.format(pmid=pmid),
        mesh=tuple(_mesh_descriptor(v) for t, v in fields if t == "MH" and v),
        publication_types=tuple(v for t, v in fields if t == "PT" and v),
        sections=tuple(sections),
    )


def load_medline_text(path: PathLike, *, encoding: str | None = None) -> list[Document]:
    """Citations in the MEDLINE tag format (`PMID- `, `TI  - `, `AB  - `, `MH  - ` ...).

    Continuation lines are indented by 6 spaces; records are separated by blank lines. MeSH
    headings lose their qualifiers and the major-topic star, so they match the XML descriptor
    names. A structured abstract ("BACKGROUND: ... METHODS: ...") is split into sections.
    """
    p = require_file(path)
    source = repr(str(p))
    text = read_text_file(p, encoding=encoding)
    if not text.strip():
        raise DataFormatError(f"{source} is empty; expected MEDLINE records ('PMID- ...' lines)")
    records = _medline_records(text, source=source)
    documents = [
        _medline_document(fields, index=i, source=source)
        for i, fields in enumerate(records, start=1)
    ]
    return keep_last(documents, what=p.name)
