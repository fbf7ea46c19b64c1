"""Publication trends of a document set: papers per year, top terms and MeSH headings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medsage.errors import EmptyInputError, InvalidInputError
from medsage.literature._documents import Document
from medsage.literature._terms import content_tokens, stop_words

SCHEMA = "medsage.literature.trends/1"
TOP = 30
# Bars in the plot's ranking panel (the JSON keeps all `top` entries).
PLOT_TOP = 15


def _check_documents(documents: Sequence[Document], what: str) -> list[Document]:
    if isinstance(documents, Document):
        raise InvalidInputError(f"{what} expects a list of documents; wrap the one in a list")
    docs = list(documents)
    for i, doc in enumerate(docs):
        if not isinstance(doc, Document):
            raise InvalidInputError(
                f"documents[{i}] is a {type(doc).__name__}, expected a Document"
            )
    return docs


def _check_top(top: int) -> None:
    if top < 1:
        raise InvalidInputError(f"top must be >= 1, got {top}")


def _ranked(counts: Counter[str], top: int) -> list[tuple[str, int]]:
    """Most frequent first; ties in alphabetical order, so output is stable."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]


def term_frequencies(
    documents: Sequence[Document], top: int = TOP, *, lang: str = "auto"
) -> list[tuple[str, int]]:
    """The `top` content words of titles and texts with their number of occurrences.

    Words are `medsage.text.tokenize` tokens (jieba for Chinese), lower-cased, without stop
    words of `lang` ("auto": English and Chinese), abstract boilerplate ("methods", "目的"),
    numbers and single letters.
    """
    _check_top(top)
    stop = stop_words(lang)
    counts: Counter[str] = Counter()
    for doc in _check_documents(documents, "term_frequencies"):
        for part in (doc.title, doc.text):
            counts.update(content_tokens(part, stop))
    return _ranked(counts, top)


def mesh_heading(term: str) -> str:
    """The descriptor of a MeSH term as records write it: "Asthma/drug therapy*" -> "Asthma"."""
    return term.split("/", 1)[0].strip().strip("*").strip()


def mesh_frequencies(documents: Sequence[Document], top: int = TOP) -> list[tuple[str, int]]:
    """The `top` MeSH descriptors with the number of documents indexed with each.

    Qualifiers and major-topic stars are dropped ("Asthma/drug therapy*" counts as "Asthma");
    a document counts once per descriptor.
    """
    _check_top(top)
    counts: Counter[str] = Counter()
    for doc in _check_documents(documents, "mesh_frequencies"):
        counts.update({heading for heading in map(mesh_heading, doc.mesh) if heading})
    return _ranked(counts, top)


def publications_per_year(documents: Sequence[Document]) -> dict[int, int]:
    """Documents per publication year, oldest first; years between with none count 0.

    Documents without a year are left out (`Trends.n_without_year` counts them).
    """
    counts = Counter(
        doc.year for doc in _check_documents(documents, "publications_per_year") if doc.year
    )
    if not counts:
        return {}
    return {year: counts.get(year, 0) for year in range(min(counts), max(counts) + 1)}


@dataclass(frozen=True)
class Trends:
    """Publication trends of a document set (see `trends`)."""

    query: str | None
    n_documents: int
    n_without_year: int
    per_year: dict[int, int]
    top_terms: list[tuple[str, int]]
    top_mesh: list[tuple[str, int]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (schema `medsage.literature.trends/1`)."""
        return {
            "schema": SCHEMA,
            "query": self.query,
            "n_documents": self.n_documents,
            "n_without_year": self.n_without_year,
            "publications_per_year": [
                {"year": year, "count": count} for year, count in self.per_year.items()
            ],
            "top_terms": [{"term": term, "count": count} for term, count in self.top_terms],
            "top_mesh": [{"heading": term, "count": count} for term, count in self.top_mesh],
        }

    def plot(self, path: str | Path) -> Path:
        """Write a PNG: publications per year, and the top MeSH headings (or terms if the
        documents carry no MeSH)."""
        from matplotlib.ticker import MaxNLocator

        from medsage.evaluation._io import atomic_write_bytes
        from medsage.evaluation._plots import _new_figure, _plot_style, _png_bytes, _short

        ranking, ranking_title = (
            (self.top_mesh, "Top MeSH headings (documents)")
            if self.top_mesh
            else (self.top_terms, "Top terms (occurrences)")
        )
        ranking = ranking[:PLOT_TOP]
        labels = [_short(name) for name, _ in ranking]
        with _plot_style([*labels, self.query or ""]):
            fig = _new_figure(12.0, 5.0)
            years_ax, rank_ax = fig.subplots(1, 2, width_ratios=[3, 2])
            if self.per_year:
                years = list(self.per_year)
                years_ax.bar(years, list(self.per_year.values()), color="#4878a8")
                step = max(1, len(years) // 12)
                years_ax.set_xticks(years[::step], labels=[str(y) for y in years[::step]])
            else:
                years_ax.text(0.5, 0.5, "no publication years", ha="center", va="center")
            years_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            rank_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            years_ax.set_xlabel("Publication year")
            years_ax.set_ylabel("Documents")
            undated = f", {self.n_without_year} without a year" if self.n_without_year else ""
            years_ax.set_title(f"Publications per year (n = {self.n_documents}{undated})")
            if ranking:
                rank_ax.barh(range(len(ranking)), [count for _, count in ranking], color="#6a9f58")
                rank_ax.set_yticks(range(len(ranking)), labels=labels)
                rank_ax.invert_yaxis()
            else:
                rank_ax.text(0.5, 0.5, "no terms", ha="center", va="center")
            rank_ax.set_title(ranking_title)
            if self.query:
                fig.suptitle(f"Query: {self.query}")
            data = _png_bytes(fig)
        return atomic_write_bytes(path, data)


def trends(documents: Sequence[Document], query: str | None = None, *, top: int = TOP) -> Trends:
    """Publications per year, top terms and top MeSH headings of `documents`.

    Args:
        documents: e.g. the hits of a search; all of them are counted.
        query: the query that selected `documents`, recorded in the result and the plot.
        top: how many terms and headings to keep.

    Raises:
        EmptyInputError: no documents.
    """
    docs = _check_documents(documents, "trends")
    if not docs:
        raise EmptyInputError("no documents to count; pass at least one document")
    return Trends(
        query=query.strip() if query and query.strip() else None,
        n_documents=len(docs),
        n_without_year=sum(1 for doc in docs if not doc.year),
        per_year=publications_per_year(docs),
        top_terms=term_frequencies(docs, top),
        top_mesh=mesh_frequencies(docs, top),
    )
