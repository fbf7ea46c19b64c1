"""Medical literature and knowledge retrieval: ingest, hybrid search, summaries, trends.

`load_documents` reads PubMed XML, MEDLINE text, BEIR corpora, MedQuAD, JSONL/CSV and the
Chinese dialogue answers into `Document`s; `LiteratureIndex` searches them with BM25, dense
vectors or both fused; `summarize` and `trends` analyse a set of documents.
"""

from __future__ import annotations

from medsage.literature._analysis import (
    RoleClassifier,
    Summary,
    Trends,
    mesh_frequencies,
    publications_per_year,
    summarize,
    term_frequencies,
    train_role_classifier,
    trends,
)
from medsage.literature._documents import Document, Section
from medsage.literature._index import Hit, LiteratureIndex
from medsage.literature._ingest import load_documents

__all__ = [
    "Document",
    "Hit",
    "LiteratureIndex",
    "RoleClassifier",
    "Section",
    "Summary",
    "Trends",
    "load_documents",
    "mesh_frequencies",
    "publications_per_year",
    "summarize",
    "term_frequencies",
    "train_role_classifier",
    "trends",
]
