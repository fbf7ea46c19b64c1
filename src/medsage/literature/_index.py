"""`LiteratureIndex`: a persistent BM25 + dense index with hybrid search, filters and snippets.

Folder layout (written to a temporary sibling and renamed into place; nothing is pickled)::

    index/
      manifest.json          kind, format_version, medsage_version, created_at, analyzer,
                             bm25 {k1, b, epsilon}, dense {encoder, dimension, dtype} or null,
                             counts {documents, vocabulary, postings}, files
      documents.jsonl        one `Document.to_dict()` per line; line i is slot i
      vocabulary.json        BM25 terms; position = term id
      postings/*.npy         doc-major and term-major term frequencies (see `_bm25`)
      vectors.npy            float16 unit vectors, one row per document (dense indexes only)

`add` and `delete` change the index in memory without re-reading or re-encoding the other
documents (see `_bm25` for how BM25 stays exact over the live documents); `save` writes it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from medsage import __version__
from medsage._atomic import atomic_folder
from medsage.errors import (
    DataFormatError,
    EmptyInputError,
    InvalidInputError,
    MissingFileError,
    UnknownNameError,
)
from medsage.literature._bm25 import BM25Settings, SparseIndex
from medsage.literature._documents import Document
from medsage.literature._filters import MetadataColumns, SearchFilters
from medsage.literature._snippets import make_snippet
from medsage.literature._tokens import ANALYZER_VERSION, analyze

logger = logging.getLogger(__name__)

KIND = "medsage-literature-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MODES = ("hybrid", "bm25", "dense")
# Reciprocal-rank fusion constant and depth (Cormack, Clarke & Buettcher, SIGIR 2009: k=60).
RRF_K = 60
FUSION_DEPTH = 100
COMPACT_SHARE = 0.25  # drop dead slots once a quarter of the slots are dead
_HAS_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_POSTINGS = ("doc_indptr", "doc_terms", "doc_tfs", "term_indptr", "term_docs", "term_tfs")

Progress = Callable[[str, int, int], None]  # (stage "terms" | "vectors", done, total)


@dataclass(frozen=True)
class Hit:
    """One search result. `snippet` marks matched terms with `**`; `highlights` are (start, end)
    offsets of the matches in `snippet_text` (the snippet without marks), for HTML faces."""

    id: str
    title: str
    score: float
    snippet: str
    source: str
    year: int | None
    journal: str
    language: str
    url: str
    rank: int
    snippet_text: str
    highlights: tuple[tuple[int, int], ...]
    document: Document = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the full document left out)."""
        out = {k: v for k, v in asdict(self).items() if k != "document"}
        out["highlights"] = [list(span) for span in self.highlights]
        return out


class LiteratureIndex:
    """Search over `Document`s: BM25, dense vectors, or both fused. Make one with `build` or
    `open`; `add`/`delete` change it in memory and `save` writes it. Not safe for concurrent
    writers; concurrent searches on an unchanged index are fine."""

    def __init__(self, folder: str | Path, *, bm25: BM25Settings, encoder: str | None) -> None:
        self.folder = Path(folder)
        self.encoder = encoder  # None: BM25 only
        self._sparse = SparseIndex(bm25)
        self._docs: list[Document | None] = []
        self._slot_of: dict[str, int] = {}
        self._columns = MetadataColumns()
        self._vectors: NDArray[np.float32] | None = None

    # -- making and loading ----------------------------------------------------------------

    @classmethod
    def build(
        cls,
        documents: Iterable[Document],
        folder: str | Path,
        *,
        dense: bool = True,
        encoder: str = "auto",
        bm25: BM25Settings | None = None,
        progress: Progress | None = None,
    ) -> LiteratureIndex:
        """Index `documents` (a later duplicate id wins) and write the index folder.

        Args:
            dense: also encode dense vectors (needed for mode "dense" and "hybrid").
            encoder: "auto" (multilingual e5 when any document is not English, else MiniLM),
                "minilm", "e5" or a sentence-encoder checkpoint folder.
            bm25: BM25 parameters (default rank_bm25 BM25Okapi's).
            progress: called as progress(stage, done, total) while terms and vectors are made.
        """
        from medsage.literature._dense import choose_encoder

        docs = _checked(documents)
        _refuse_foreign_folder(Path(folder))
        chosen = choose_encoder([_language(d) for d in docs], encoder) if dense else None
        index = cls(folder, bm25=bm25 or BM25Settings(), encoder=chosen)
        index.add(docs, progress=progress)
        index.save()
        return index

    @classmethod
    def open(cls, folder: str | Path) -> LiteratureIndex:
        """Load an index folder written by `build` or `save`."""
        path = Path(folder)
        if not path.is_dir():
            raise MissingFileError(
                f"literature index folder {path} does not exist; make one with "
                "LiteratureIndex.build(documents, folder)"
            )
        manifest = _read_manifest(path)
        settings = manifest["bm25"]
        dense = manifest.get("dense")
        index = cls(
            path,
            bm25=BM25Settings(
                float(settings["k1"]), float(settings["b"]), float(settings["epsilon"])
            ),
            encoder=None if dense is None else str(dense["encoder"]),
        )
        try:
            docs = [
                Document.from_dict(json.loads(line))
                for line in (path / "documents.jsonl").read_text("utf-8").splitlines()
                if line.strip()
            ]
            terms = json.loads((path / "vocabulary.json").read_text("utf-8"))
            arrays = {
                name: np.load(path / "postings" / f"{name}.npy", allow_pickle=False)
                for name in _POSTINGS
            }
            index._sparse = SparseIndex.from_arrays(
                [str(t) for t in terms], arrays, index._sparse.settings
            )
            if dense is not None:
                vectors = np.load(path / "vectors.npy", allow_pickle=False)
                index._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DataFormatError(
                f"literature index {path} is damaged ({type(exc).__name__}: {exc}); "
                "rebuild it with LiteratureIndex.build"
            ) from None
        counts = manifest["counts"]
        vector_rows = len(docs) if index._vectors is None else index._vectors.shape[0]
        if not (len(docs) == index._sparse.n_slots == counts["documents"] == vector_rows):
            raise DataFormatError(
                f"literature index {path} is damaged: the manifest counts {counts['documents']} "
                f"documents, documents.jsonl holds {len(docs)}, the postings "
                f"{index._sparse.n_slots}, the vectors {vector_rows}; rebuild it"
            )
        index._docs = list(docs)
        index._slot_of = {d.id: i for i, d in enumerate(docs)}
        index._columns.append(docs)
        return index

    # -- changes ---------------------------------------------------------------------------

    def add(self, documents: Iterable[Document], *, progress: Progress | None = None) -> None:
        """Add documents; one whose id is already indexed replaces the old one."""
        docs = _checked(documents)
        if not docs:
            return
        texts = [_searchable(d) for d in docs]
        terms: list[list[str]] = []
        for i, text in enumerate(texts):
            terms.append(analyze(text))
            if progress is not None and (i + 1 == len(texts) or (i + 1) % 1000 == 0):
                progress("terms", i + 1, len(texts))
        vectors: NDArray[np.float32] | None = None
        if self.encoder is not None:
            from medsage.literature._dense import encode_passages

            if self.encoder == "minilm" and any(_language(d) != "en" for d in docs):
                logger.warning("adding non-English documents to an index with the English encoder")
            vectors = encode_passages(
                self.encoder,
                [f"{d.title}. {d.text}" if d.title else d.text for d in docs],
                None
                if progress is None
                else (lambda done, total: progress("vectors", done, total)),
            )
            # Stored as float16: round now, so a reopened index ranks exactly as this one.
            vectors = vectors.astype(np.float16).astype(np.float32)
        # Replace only once the new terms and vectors exist, so a failed encode changes nothing.
        self.delete([d.id for d in docs if d.id in self._slot_of])
        if vectors is not None:
            old = self._vectors
            self._vectors = (
                vectors if old is None or old.shape[0] == 0 else np.concatenate([old, vectors])
            )
        start = len(self._docs)
        self._sparse.add(terms)
        self._docs.extend(docs)
        self._slot_of.update({d.id: start + i for i, d in enumerate(docs)})
        self._columns.append(docs)
        self._maybe_compact()

    def delete(self, ids: Iterable[str]) -> int:
        """Remove documents by id; unknown ids are ignored. Returns how many were removed."""
        if isinstance(ids, str):
            raise InvalidInputError("delete expects a list of ids, got one str; wrap it: [id]")
        slots = [self._slot_of.pop(i) for i in dict.fromkeys(ids) if i in self._slot_of]
        for slot in slots:
            self._docs[slot] = None
        self._sparse.delete(slots)
        self._maybe_compact()
        return len(slots)

    def save(self) -> Path:
        """Write the index to its folder (atomically: a temporary folder renamed into place)."""
        self._compact()
        sparse = self._sparse
        _refuse_foreign_folder(self.folder)
        with atomic_folder(self.folder) as tmp:
            with (tmp / "documents.jsonl").open("w", encoding="utf-8") as out:
                for doc in self._docs:
                    assert doc is not None  # compacted
                    out.write(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n")
            (tmp / "vocabulary.json").write_text(
                json.dumps(sparse.terms, ensure_ascii=False), encoding="utf-8"
            )
            (tmp / "postings").mkdir()
            for name, array in sparse.arrays().items():
                np.save(tmp / "postings" / f"{name}.npy", array, allow_pickle=False)
            dense: dict[str, Any] | None = None
            if self.encoder is not None:
                vectors = self._vectors
                if vectors is None:
                    vectors = np.zeros((0, 0), dtype=np.float32)
                np.save(tmp / "vectors.npy", vectors.astype(np.float16), allow_pickle=False)
                dense = {"encoder": self.encoder, "dimension": int(vectors.shape[1])}
                dense["dtype"] = "float16"
            manifest = {
                "kind": KIND,
                "format_version": FORMAT_VERSION,
                "medsage_version": __version__,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "analyzer": ANALYZER_VERSION,
                "bm25": asdict(sparse.settings),
                "dense": dense,
                "counts": {
                    "documents": len(self._docs),
                    "vocabulary": len(sparse.terms),
                    "postings": int(sparse.doc_terms.shape[0]),
                },
                "files": sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*.*")),
            }
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        return self.folder

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._slot_of

    def get(self, doc_id: str) -> Document:
        """The indexed document with this id (KeyError if there is none)."""
        doc = self._docs[self._slot_of[doc_id]]
        assert doc is not None
        return doc

    def documents(self) -> Iterator[Document]:
        """The indexed documents, in slot order."""
        return (d for d in self._docs if d is not None)

    def search(
        self,
        query: str,
        k: int = 10,
        mode: str = "hybrid",
        filters: SearchFilters | Mapping[str, Any] | None = None,
    ) -> list[Hit]:
        """The `k` best documents for `query`.

        Args:
            mode: "bm25" (scores are BM25), "dense" (cosine of unit vectors) or "hybrid"
                (reciprocal-rank fusion, k=60, of the top 100 of each; on an index built with
                dense=False, hybrid is BM25).
            filters: `SearchFilters` or a dict of its fields (see `SearchFilters.from_value`).
        """
        if not isinstance(query, str):
            raise InvalidInputError(f"query must be a str, got {type(query).__name__}")
        if not query.strip():
            raise EmptyInputError("query is empty; pass words to search for")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InvalidInputError(f"k must be a positive int, got {k!r}")
        if mode not in MODES:
            raise UnknownNameError(f"unknown search mode {mode!r}; expected one of {MODES}")
        if mode == "dense" and self.encoder is None:
            raise InvalidInputError(
                "this index was built with dense=False; use mode='bm25' or rebuild with dense=True"
            )
        wanted = SearchFilters.from_value(filters)
        allowed = None if wanted is None or wanted.is_empty() else self._columns.mask(wanted)
        terms = analyze(query)
        if mode == "bm25" or (mode == "hybrid" and self.encoder is None):
            ranked = self._bm25(terms, allowed, k)
        elif mode == "dense":
            ranked = self._dense(query, allowed, k)
        else:
            ranked = _fuse(
                [
                    self._bm25(terms, allowed, FUSION_DEPTH),
                    self._dense(query, allowed, FUSION_DEPTH),
                ],
                k,
                self._docs,
            )
        return [self._hit(slot, score, rank, terms) for rank, (slot, score) in enumerate(ranked, 1)]

    def ranked_ids(self, query: str, k: int = 100, mode: str = "bm25") -> list[tuple[str, float]]:
        """(id, score) of the `k` best documents, without snippets (for re-rankers)."""
        if mode == "bm25":
            ranked = self._bm25(analyze(query), None, k)
        elif mode == "dense":
            ranked = self._dense(query, None, k)
        else:
            raise UnknownNameError(f"ranked_ids mode must be 'bm25' or 'dense', got {mode!r}")
        return [(_doc_id(self._docs, slot), score) for slot, score in ranked]

    def _bm25(
        self, terms: Sequence[str], allowed: NDArray[np.bool_] | None, n: int
    ) -> list[tuple[int, float]]:
        slots, scores = self._sparse.scores(terms, allowed)
        return _best(slots, scores, n, self._docs)

    def _dense(
        self, query: str, allowed: NDArray[np.bool_] | None, n: int
    ) -> list[tuple[int, float]]:
        from medsage.literature._dense import encode_query, top_slots

        if self._vectors is None or self.encoder is None or not self._slot_of:
            return []
        live = self._sparse.live if allowed is None else self._sparse.live & allowed
        slots, scores = top_slots(self._vectors, encode_query(self.encoder, query), live, n * 2)
        return _best(slots, scores.astype(np.float64), n, self._docs)

    def _hit(self, slot: int, score: float, rank: int, terms: Sequence[str]) -> Hit:
        doc = self._docs[slot]
        assert doc is not None
        snippet = make_snippet(doc.text or doc.title, terms)
        return Hit(
            id=doc.id,
            title=doc.title,
            score=float(score),
            snippet=snippet.marked(),
            source=doc.source,
            year=doc.year,
            journal=doc.journal,
            language=doc.language,
            url=doc.url,
            rank=rank,
            snippet_text=snippet.text,
            highlights=snippet.highlights,
            document=doc,
        )

    # -- housekeeping ----------------------------------------------------------------------

    def _maybe_compact(self) -> None:
        dead = len(self._docs) - len(self._slot_of)
        if dead and dead > COMPACT_SHARE * len(self._docs):
            self._compact()

    def _compact(self) -> None:
        """Drop dead slots and unused terms; merge the BM25 delta into the main postings."""
        if len(self._slot_of) == len(self._docs):
            if self._sparse.main_slots < self._sparse.n_slots:
                self._sparse.merge()
            return
        keep = np.flatnonzero(self._sparse.live).astype(np.int64)
        self._sparse = self._sparse.take(keep)
        if self._vectors is not None:
            self._vectors = np.ascontiguousarray(self._vectors[keep])
        docs = [self._docs[int(i)] for i in keep]
        self._docs = list(docs)
        self._slot_of = {d.id: i for i, d in enumerate(docs) if d is not None}
        self._columns = MetadataColumns()
        self._columns.append([d for d in docs if d is not None])


def _best(
    slots: NDArray[np.int64], scores: NDArray[np.float64], n: int, docs: Sequence[Document | None]
) -> list[tuple[int, float]]:
    """The `n` best (slot, score), ties broken by document id so the order is reproducible."""
    if slots.size > n:
        threshold = np.partition(scores, slots.size - n)[slots.size - n]
        keep = scores >= threshold
        slots, scores = slots[keep], scores[keep]
    pairs = [(int(s), float(v)) for s, v in zip(slots, scores, strict=True)]
    pairs.sort(key=lambda p: (-p[1], _doc_id(docs, p[0])))
    return pairs[:n]


def _fuse(
    rankings: Sequence[Sequence[tuple[int, float]]], k: int, docs: Sequence[Document | None]
) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion: score(d) = sum over rankings of 1 / (RRF_K + rank of d)."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (slot, _score) in enumerate(ranking, 1):
            fused[slot] = fused.get(slot, 0.0) + 1.0 / (RRF_K + rank)
    pairs = sorted(fused.items(), key=lambda p: (-p[1], _doc_id(docs, p[0])))
    return pairs[:k]


def _doc_id(docs: Sequence[Document | None], slot: int) -> str:
    doc = docs[slot]
    return "" if doc is None else doc.id


def _language(doc: Document) -> str:
    """The declared language, or "zh" for a document declared English that holds Chinese."""
    if doc.language == "en" and _HAS_CJK.search(doc.title + doc.text[:500]):
        return "zh"
    return doc.language


def _searchable(doc: Document) -> str:
    """The text BM25 indexes: title and body."""
    return f"{doc.title}\n{doc.text}" if doc.title else doc.text


def _checked(documents: Iterable[Document]) -> list[Document]:
    """Documents as a list, later duplicates of an id winning; raises on anything else."""
    if isinstance(documents, (str, Document)):
        raise InvalidInputError("expected an iterable of Document, got a single one; wrap it")
    by_id: dict[str, Document] = {}
    for i, doc in enumerate(documents):
        if not isinstance(doc, Document):
            raise InvalidInputError(
                f"item {i} is a {type(doc).__name__}, expected medsage.literature Document "
                "(use Document.from_dict for dicts)"
            )
        if not doc.id:
            raise InvalidInputError(f"item {i} has an empty id; every document needs a unique id")
        by_id.pop(doc.id, None)
        by_id[doc.id] = doc
    return list(by_id.values())


def _refuse_foreign_folder(folder: Path) -> None:
    """Never replace a folder that holds something other than a literature index."""
    if folder.is_file() or (
        folder.is_dir() and not (folder / MANIFEST).is_file() and any(folder.iterdir())
    ):
        raise InvalidInputError(
            f"{folder} exists and is not a literature index; choose an empty or new folder"
        )


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise DataFormatError(f"{folder} is not a literature index: {MANIFEST} is missing")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFormatError(f"{path} is not valid JSON ({exc}); rebuild the index") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        raise DataFormatError(f"{path} does not describe a literature index (kind {KIND!r})")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise DataFormatError(
            f"{folder} has index format {version!r}; this MedSage reads up to "
            f"{FORMAT_VERSION}: upgrade MedSage or rebuild the index"
        )
    missing = [key for key in ("bm25", "counts", "analyzer") if key not in manifest]
    if missing:
        raise DataFormatError(f"{path} lacks {', '.join(missing)}; rebuild the index")
    if manifest["analyzer"] != ANALYZER_VERSION:
        raise DataFormatError(
            f"{folder} was indexed with terms {manifest['analyzer']!r}, this MedSage makes "
            f"{ANALYZER_VERSION!r}; rebuild the index"
        )
    return manifest
