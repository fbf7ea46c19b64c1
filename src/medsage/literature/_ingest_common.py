"""Helpers shared by the ingest loaders: guarded XML reading, id de-duplication, languages."""

from __future__ import annotations

import gzip
import io
import logging
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

from medsage.errors import DataFormatError
from medsage.literature._documents import Document

logger = logging.getLogger("medsage.literature")

#: The XML prolog (declaration, comments, DOCTYPE) must end within this many bytes. Real
#: PubMed/MedQuAD prologs are a few hundred bytes; a larger one hides an internal DTD subset.
MAX_PROLOG_BYTES = 64 * 1024
_CHUNK = 1 << 20
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_SPACES = re.compile(r"\s+")

#: ISO 639-2 codes used by MEDLINE <Language>/LA -> the codes a Document carries.
ISO639_2_TO_1: dict[str, str] = {
    "eng": "en",
    "chi": "zh",
    "zho": "zh",
    "jpn": "ja",
    "ger": "de",
    "fre": "fr",
    "spa": "es",
    "rus": "ru",
    "ita": "it",
    "por": "pt",
    "kor": "ko",
}


def collapse_spaces(text: str | None) -> str:
    """Runs of whitespace (line breaks, tabs, indentation) become one space; ends stripped."""
    return _SPACES.sub(" ", text or "").strip()


def element_text(elem: ET.Element | None) -> str:
    """All text inside `elem`, inline markup (<i>, <sup>, <b>) flattened, spaces collapsed."""
    return "" if elem is None else collapse_spaces("".join(elem.itertext()))


def language_code(raw: str) -> str:
    """`eng` -> `en`, `chi` -> `zh`; a code not in the table is returned lower-cased."""
    code = raw.strip().lower()
    return ISO639_2_TO_1.get(code, code)


def _open_binary(path: Path) -> io.BufferedIOBase:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def _check_prolog(head: bytes, *, source: str) -> None:
    """Refuse entity declarations: expat expands internal entities (billion-laughs bombs)."""
    match = _ROOT_START.search(head)
    prolog = head if match is None else head[: match.start()]
    if b"<!ENTITY" in prolog:
        raise DataFormatError(
            f"{source} declares XML entities in its DOCTYPE; MedSage refuses them for safety "
            "(PubMed and MedQuAD files never need them): remove the <!ENTITY ...> lines"
        )
    if match is None and len(head) >= MAX_PROLOG_BYTES:
        raise DataFormatError(
            f"{source} has no root element in its first {MAX_PROLOG_BYTES} bytes; "
            "is it really an XML file?"
        )


def _parse_error(exc: ET.ParseError, source: str) -> DataFormatError:
    return DataFormatError(f"{source} is not well-formed XML: {exc}; fix or re-download the file")


def iter_xml_children(path: Path, *, source: str) -> Iterator[tuple[str, ET.Element | None]]:
    """Stream the children of the root element: yields (root tag, complete child).

    A root without children yields (root tag, None) once, so the caller still learns the tag.
    Memory stays bounded by one child (one article), so a 200 MB PubMed baseline file is fine:
    each child is detached from the tree once the caller has moved on. `.gz` files are read
    through gzip.
    """
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    depth = 0
    root: ET.Element | None = None
    seen_any = False
    try:
        with _open_binary(path) as stream:
            head = stream.read(MAX_PROLOG_BYTES)
            if not head.strip():
                raise DataFormatError(f"{source} is empty; expected an XML file")
            _check_prolog(head, source=source)
            chunk = head
            while chunk:
                parser.feed(chunk)
                for item in parser.read_events():
                    # Only "start"/"end" events were asked for: (event, Element) pairs.
                    if len(item) != 2 or not isinstance(item[1], ET.Element):
                        continue
                    event, elem = item[0], item[1]
                    if event == "start":
                        depth += 1
                        if root is None:
                            root = elem
                        continue
                    depth -= 1
                    if depth == 1 and root is not None:
                        seen_any = True
                        yield root.tag, elem
                        root.remove(elem)
                chunk = stream.read(_CHUNK)
            parser.close()
            for _ in parser.read_events():
                pass
    except ET.ParseError as exc:
        raise _parse_error(exc, source) from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataFormatError(f"{source} is not a valid gzip file ({exc})") from None
    if root is None:
        raise DataFormatError(f"{source} holds no XML element")
    if not seen_any:
        yield root.tag, None


def parse_xml_file(path: Path, *, source: str) -> ET.Element:
    """The root element of a small XML file, with the same guards as `iter_xml_children`."""
    data = path.read_bytes()
    if not data.strip():
        raise DataFormatError(f"{source} is empty; expected an XML file")
    _check_prolog(data[:MAX_PROLOG_BYTES], source=source)
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise _parse_error(exc, source) from None


def keep_last(documents: Iterable[Document], *, what: str) -> list[Document]:
    """One document per id, the later one winning, in first-seen order; logs the count only."""
    by_id: dict[str, Document] = {}
    replaced = 0
    for doc in documents:
        if doc.id in by_id:
            replaced += 1
        by_id[doc.id] = doc
    if replaced:
        # Counts only: ids and titles may carry patient details in user corpora.
        logger.warning(
            "%s: %d document(s) repeated an earlier id; the later one kept", what, replaced
        )
    return list(by_id.values())


def count_duplicate_ids(documents: Iterable[Document]) -> int:
    """How many documents repeat an id seen earlier in `documents`."""
    seen: set[str] = set()
    repeats = 0
    for doc in documents:
        if doc.id in seen:
            repeats += 1
        seen.add(doc.id)
    return repeats
