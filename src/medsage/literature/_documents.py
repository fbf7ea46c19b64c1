"""The document model shared by ingest, index, search and analysis."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Section:
    """A labelled part of a document: a structured-abstract section ("METHODS") or a QA answer."""

    label: str  # e.g. BACKGROUND, METHODS, RESULTS, CONCLUSIONS, ANSWER; "" when unlabelled
    text: str


@dataclass(frozen=True)
class Document:
    """One searchable document (an article, an answered question, a guideline page).

    `id` is unique in an index; adding a document with an existing id replaces it. `text` is
    the searchable body (for PubMed: the abstract sections joined; for MedQuAD: the answer).
    """

    id: str
    title: str
    text: str
    source: str = ""  # e.g. "pubmed", "medquad:CancerGov", "beir:nfcorpus", a file name
    language: str = "en"  # "en" or "zh"
    year: int | None = None
    journal: str = ""
    url: str = ""
    mesh: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)  # e.g. MedQuAD question, focus, qtype

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["mesh"] = list(self.mesh)
        out["publication_types"] = list(self.publication_types)
        out["sections"] = [asdict(s) for s in self.sections]
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Document:
        return cls(
            id=str(raw["id"]),
            title=str(raw.get("title", "")),
            text=str(raw.get("text", "")),
            source=str(raw.get("source", "")),
            language=str(raw.get("language", "en")),
            year=None if raw.get("year") is None else int(raw["year"]),
            journal=str(raw.get("journal", "")),
            url=str(raw.get("url", "")),
            mesh=tuple(raw.get("mesh", ())),
            publication_types=tuple(raw.get("publication_types", ())),
            sections=tuple(
                Section(str(s["label"]), str(s["text"])) for s in raw.get("sections", ())
            ),
            extra={str(k): str(v) for k, v in raw.get("extra", {}).items()},
        )
