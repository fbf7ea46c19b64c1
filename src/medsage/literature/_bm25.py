"""Okapi BM25 over term frequencies, exact over the live documents after every add and delete.

Scoring is rank_bm25's `BM25Okapi` (Trotman et al. 2014, "Improvements to BM25 and language
models examined", ADCS): for a query term t and document d,

    idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * |d| / avgdl))
    idf(t) = log((N - n_t + 0.5) / (n_t + 0.5)), and where that is negative (a term in more
    than half the documents) epsilon * mean idf over the vocabulary instead.

This is bm25s's `method="atire"` term-frequency part with rank_bm25's idf floor; with
`epsilon=0` it equals bm25s `BM25(method="atire", idf_method="robertson")`.

Why not bm25s's eager index: it stores idf * tf-part per posting, so every add or delete (new N,
new avgdl, new document frequencies) would invalidate every stored score. We store term
frequencies instead and apply idf and length normalisation at query time (a few vector
operations per query term), so N, avgdl and n_t are always those of the live documents.

Layout (slots are document positions; a deleted document leaves a dead slot until compaction):

- doc-major CSR (`doc_indptr`, `doc_terms`, `doc_tfs`): the source of truth, one row per slot;
- term-major "main" postings (`term_indptr`, `term_docs`, `term_tfs`) over slots
  [0, main_slots), and a "delta" built lazily over the slots added since;
- `df` (document frequency over live slots), `lengths`, `live`.

The delta is merged into the main postings (one vectorised pass, no re-tokenisation) when it
grows past `MERGE_SHARE` of the main segment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

MERGE_SHARE = 0.1  # merge the delta postings into the main ones past 10% of the main slots
MERGE_MIN_SLOTS = 2_000

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class BM25Settings:
    """BM25 parameters; the defaults are rank_bm25 BM25Okapi's (k1=1.5, b=0.75, epsilon=0.25)."""

    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25


class SparseIndex:
    """BM25 postings with incremental add and delete; see the module docstring."""

    def __init__(self, settings: BM25Settings | None = None) -> None:
        self.settings = settings or BM25Settings()
        self.terms: list[str] = []
        self.vocab: dict[str, int] = {}
        self.df = np.zeros(0, dtype=np.int64)
        self.doc_indptr = np.zeros(1, dtype=np.int64)
        self.doc_terms = np.zeros(0, dtype=np.int32)
        self.doc_tfs = np.zeros(0, dtype=np.int32)
        self.lengths = np.zeros(0, dtype=np.int64)
        self.live = np.zeros(0, dtype=bool)
        self.n_live = 0
        self.total_length = 0
        self.main_slots = 0
        self.term_indptr = np.zeros(1, dtype=np.int64)
        self.term_docs = np.zeros(0, dtype=np.int32)
        self.term_tfs = np.zeros(0, dtype=np.int32)
        self._delta: tuple[IntArray, NDArray[np.int32], NDArray[np.int32]] | None = None
        self._idf: FloatArray | None = None
        self._norm: FloatArray | None = None

    @property
    def n_slots(self) -> int:
        return int(self.lengths.shape[0])

    # -- changes ---------------------------------------------------------------------------

    def add(self, documents_terms: Sequence[Sequence[str]]) -> None:
        """Append one slot per document (its terms, repeats counted)."""
        indptr = [0]
        term_ids: list[int] = []
        tfs: list[int] = []
        lengths: list[int] = []
        for terms in documents_terms:
            counts = Counter(terms)
            for term, tf in counts.items():
                tid = self.vocab.get(term)
                if tid is None:
                    tid = len(self.terms)
                    self.vocab[term] = tid
                    self.terms.append(term)
                term_ids.append(tid)
                tfs.append(tf)
            indptr.append(len(term_ids))
            lengths.append(len(terms))
        new_terms = np.asarray(term_ids, dtype=np.int32)
        if len(self.terms) > self.df.shape[0]:
            self.df = np.concatenate(
                [self.df, np.zeros(len(self.terms) - self.df.shape[0], np.int64)]
            )
        np.add.at(self.df, new_terms, 1)
        offset = self.doc_indptr[-1]
        self.doc_indptr = np.concatenate(
            [self.doc_indptr, offset + np.asarray(indptr[1:], dtype=np.int64)]
        )
        self.doc_terms = np.concatenate([self.doc_terms, new_terms])
        self.doc_tfs = np.concatenate([self.doc_tfs, np.asarray(tfs, dtype=np.int32)])
        self.lengths = np.concatenate([self.lengths, np.asarray(lengths, dtype=np.int64)])
        self.live = np.concatenate([self.live, np.ones(len(lengths), dtype=bool)])
        self.n_live += len(lengths)
        self.total_length += sum(lengths)
        self._changed()
        if self.n_slots - self.main_slots > max(MERGE_MIN_SLOTS, MERGE_SHARE * self.main_slots):
            self.merge()

    def delete(self, slots: Iterable[int]) -> None:
        """Mark slots dead: they leave N, avgdl and every document frequency at once."""
        for slot in slots:
            if not self.live[slot]:
                continue
            start, end = self.doc_indptr[slot], self.doc_indptr[slot + 1]
            self.df[self.doc_terms[start:end]] -= 1
            self.live[slot] = False
            self.n_live -= 1
            self.total_length -= int(self.lengths[slot])
        self._changed()

    def merge(self) -> None:
        """Rebuild the term-major postings over all slots from the doc-major rows."""
        self.term_indptr, self.term_docs, self.term_tfs = _term_major(
            self.doc_indptr, self.doc_terms, self.doc_tfs, len(self.terms), 0
        )
        self.main_slots = self.n_slots
        self._delta = None

    def take(self, slots: IntArray) -> SparseIndex:
        """A compacted copy with only `slots` (in that order) and only the terms they use."""
        out = SparseIndex(self.settings)
        starts, ends = self.doc_indptr[slots], self.doc_indptr[slots + 1]
        counts = ends - starts
        rows = _ranges(starts, ends)
        doc_terms = self.doc_terms[rows]
        used = np.zeros(len(self.terms), dtype=bool)
        used[doc_terms] = True
        remap = np.cumsum(used) - 1
        out.terms = [t for t, u in zip(self.terms, used, strict=True) if u]
        out.vocab = {t: i for i, t in enumerate(out.terms)}
        out.doc_indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        out.doc_terms = remap[doc_terms].astype(np.int32)
        out.doc_tfs = self.doc_tfs[rows]
        out.lengths = self.lengths[slots]
        out.live = np.ones(len(slots), dtype=bool)
        out.n_live = len(slots)
        out.total_length = int(out.lengths.sum())
        out.df = np.bincount(out.doc_terms, minlength=len(out.terms)).astype(np.int64)
        out.merge()
        return out

    def _changed(self) -> None:
        self._delta = None
        self._idf = None
        self._norm = None

    # -- scoring ---------------------------------------------------------------------------

    def term_ids(self, terms: Iterable[str]) -> Counter[int]:
        """Vocabulary ids of the query terms that the index knows, with their repeats."""
        return Counter(self.vocab[t] for t in terms if t in self.vocab)

    def scores(
        self, terms: Sequence[str], allowed: NDArray[np.bool_] | None = None
    ) -> tuple[IntArray, FloatArray]:
        """(slots, scores) of the live documents (within `allowed`) that share a query term."""
        query = self.term_ids(terms)
        if not query or self.n_live == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        idf = self.idf()
        norm = self._length_norm()
        factor = self.settings.k1 + 1.0
        slot_parts: list[NDArray[Any]] = []
        weight_parts: list[FloatArray] = []
        for tid, repeats in query.items():
            for indptr, docs, tfs in self._segments():
                if tid + 1 >= indptr.shape[0]:
                    continue
                start, end = indptr[tid], indptr[tid + 1]
                if start == end:
                    continue
                d = docs[start:end]
                tf = tfs[start:end].astype(np.float64)
                slot_parts.append(d)
                # rank_bm25 adds a repeated query term once per repeat.
                weight_parts.append((idf[tid] * repeats) * (tf * factor / (tf + norm[d])))
        if not slot_parts:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        slots = np.concatenate(slot_parts)
        weights = np.concatenate(weight_parts)
        keep = self.live[slots] if allowed is None else self.live[slots] & allowed[slots]
        slots, weights = slots[keep], weights[keep]
        total = np.bincount(slots, weights=weights, minlength=self.n_slots)
        matched = np.flatnonzero(np.bincount(slots, minlength=self.n_slots))
        return matched.astype(np.int64), total[matched].astype(np.float64)

    def idf(self) -> FloatArray:
        """Idf per vocabulary id over the live documents (rank_bm25 BM25Okapi, epsilon floor)."""
        if self._idf is None:
            df = self.df.astype(np.float64)
            n = float(self.n_live)
            present = self.df > 0
            idf = np.zeros(df.shape[0], dtype=np.float64)
            idf[present] = np.log(n - df[present] + 0.5) - np.log(df[present] + 0.5)
            if present.any():
                floor = self.settings.epsilon * float(idf[present].sum()) / int(present.sum())
                idf[present & (idf < 0)] = floor
            self._idf = idf
        return self._idf

    def _length_norm(self) -> FloatArray:
        if self._norm is None:
            k1, b = self.settings.k1, self.settings.b
            avgdl = self.total_length / self.n_live if self.n_live else 1.0
            avgdl = avgdl or 1.0  # every live document is empty: no term can match anyway
            self._norm = k1 * (1.0 - b + b * self.lengths.astype(np.float64) / avgdl)
        return self._norm

    def _segments(self) -> list[tuple[IntArray, NDArray[np.int32], NDArray[np.int32]]]:
        segments = [(self.term_indptr, self.term_docs, self.term_tfs)]
        if self.n_slots > self.main_slots:
            if self._delta is None:
                start = self.doc_indptr[self.main_slots]
                self._delta = _term_major(
                    self.doc_indptr[self.main_slots :] - start,
                    self.doc_terms[start:],
                    self.doc_tfs[start:],
                    len(self.terms),
                    self.main_slots,
                )
            segments.append(self._delta)
        return segments

    # -- persistence -----------------------------------------------------------------------

    def arrays(self) -> dict[str, NDArray[Any]]:
        """The arrays to save (call on a compacted index: every slot live, postings merged)."""
        return {
            "doc_indptr": self.doc_indptr,
            "doc_terms": self.doc_terms,
            "doc_tfs": self.doc_tfs,
            "term_indptr": self.term_indptr,
            "term_docs": self.term_docs,
            "term_tfs": self.term_tfs,
        }

    @classmethod
    def from_arrays(
        cls, terms: list[str], arrays: dict[str, NDArray[Any]], settings: BM25Settings
    ) -> SparseIndex:
        """Rebuild from `arrays()` output and the vocabulary; checks shapes, raises ValueError."""
        out = cls(settings)
        out.terms = terms
        out.vocab = {t: i for i, t in enumerate(terms)}
        if len(out.vocab) != len(terms):
            raise ValueError("the vocabulary repeats a term")
        out.doc_indptr = arrays["doc_indptr"].astype(np.int64)
        out.doc_terms = arrays["doc_terms"].astype(np.int32)
        out.doc_tfs = arrays["doc_tfs"].astype(np.int32)
        out.term_indptr = arrays["term_indptr"].astype(np.int64)
        out.term_docs = arrays["term_docs"].astype(np.int32)
        out.term_tfs = arrays["term_tfs"].astype(np.int32)
        n_slots = out.doc_indptr.shape[0] - 1
        nnz = out.doc_terms.shape[0]
        checks = [
            n_slots >= 0 and int(out.doc_indptr[0]) == 0 and int(out.doc_indptr[-1]) == nnz,
            bool(np.all(np.diff(out.doc_indptr) >= 0)),
            out.doc_tfs.shape[0] == nnz and out.term_docs.shape[0] == nnz,
            out.term_tfs.shape[0] == nnz,
            out.term_indptr.shape[0] == len(terms) + 1 and int(out.term_indptr[-1]) == nnz,
            nnz == 0 or (int(out.doc_terms.max()) < len(terms) and int(out.doc_terms.min()) >= 0),
            nnz == 0 or (int(out.term_docs.max()) < n_slots and int(out.term_docs.min()) >= 0),
        ]
        if not all(checks):
            raise ValueError("the posting arrays do not agree with each other or the vocabulary")
        rows = np.repeat(np.arange(n_slots), np.diff(out.doc_indptr))
        out.lengths = np.bincount(rows, weights=out.doc_tfs, minlength=n_slots).astype(np.int64)
        out.live = np.ones(n_slots, dtype=bool)
        out.n_live = n_slots
        out.total_length = int(out.lengths.sum())
        out.df = np.bincount(out.doc_terms, minlength=len(terms)).astype(np.int64)
        out.main_slots = n_slots
        return out


def _term_major(
    doc_indptr: IntArray,
    doc_terms: NDArray[np.int32],
    doc_tfs: NDArray[np.int32],
    n_terms: int,
    slot_offset: int,
) -> tuple[IntArray, NDArray[np.int32], NDArray[np.int32]]:
    """Transpose doc-major rows into per-term postings (slots ascending within a term)."""
    n_docs = doc_indptr.shape[0] - 1
    order = np.argsort(doc_terms, kind="stable")
    rows = np.repeat(np.arange(n_docs, dtype=np.int32), np.diff(doc_indptr))
    docs = (rows[order] + slot_offset).astype(np.int32)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(doc_terms, minlength=n_terms), out=indptr[1:])
    return indptr, docs, doc_tfs[order]


def _ranges(starts: IntArray, ends: IntArray) -> IntArray:
    """Concatenated aranges [start, end) for each pair, vectorised."""
    counts = ends - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    out: IntArray = np.arange(total, dtype=np.int64) + offsets
    return out
