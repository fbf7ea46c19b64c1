"""Candidates and re-ranking features for `TermNormalizer` (CHIP-CDN term normalisation)."""

from __future__ import annotations

import math
import re
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from medsage.errors import EmptyInputError, InvalidInputError
from medsage.text import normalize

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

FloatArray = npt.NDArray[np.float64]

#: Separators between the diagnoses of one raw term: punctuation, spaces and joining words
#: (伴 "with", 并/合并 "complicated by", 及 "and"), as written in Chinese discharge diagnoses.
_PIECE_SEPARATORS = re.compile(r"[,;:.、。/\\|+\s]+|合并|伴有|伴|并|及")

#: Names of the re-ranking features, in column order (saved with the model).
FEATURE_NAMES: tuple[str, ...] = (
    "name_sim",
    "name_sim_piece",
    "name_sim_gap",
    "knn_vote",
    "knn_max",
    "piece_knn_vote",
    "piece_knn_max",
    "assoc_max",
    "assoc_mean",
    "inv_rank_assoc",
    "name_cover",
    "term_cover",
    "common_substring",
    "name_in_term",
    "name_is_piece",
    "log_frequency",
    "inv_rank_name",
    "inv_rank_vote",
    "log_name_length",
    "log_term_length",
    "n_pieces",
)

#: Longest character n-gram of the n-gram -> name association, and the names it proposes.
_ASSOC_NGRAM_MAX = 3
_ASSOC_CANDIDATES = 10


def clean_term(term: object, *, where: str) -> str:
    if not isinstance(term, str):
        raise InvalidInputError(f"{where}: expected a str, got {type(term).__name__}")
    cleaned = normalize(term).lower()
    if not cleaned:
        raise EmptyInputError(
            f"{where}: the term {term!r} is empty after normalisation; give a diagnosis text "
            "such as '2型糖尿病'"
        )
    return cleaned


def _pieces(term: str) -> list[str]:
    """The parts of a cleaned term between separators (only when there are two or more)."""
    parts = [p for p in _PIECE_SEPARATORS.split(term) if p]
    unique = list(dict.fromkeys(parts))
    return unique if len(unique) > 1 else []


def _common_substring(a: str, b: str) -> int:
    match = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return int(match.size)


class CandidateIndex:
    """Retrieval structures over a standard-name vocabulary and a memory of training terms."""

    def __init__(
        self, terms: list[str], answers: list[list[str]], vocabulary: list[str], ngram_max: int
    ) -> None:
        from scipy.sparse import csr_matrix as sparse_rows
        from scipy.sparse import diags
        from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

        self.names = vocabulary
        self.name_ids = {n: i for i, n in enumerate(vocabulary)}
        self.labels = [np.array([self.name_ids[n] for n in a], dtype=np.intp) for a in answers]
        counts = np.zeros(len(vocabulary), dtype=np.float64)
        for lab in self.labels:
            counts[lab] += 1.0
        self.log_frequency = np.log1p(counts)
        self.vectorizer = TfidfVectorizer(
            analyzer="char", ngram_range=(1, ngram_max), sublinear_tf=True, lowercase=False
        )
        cleaned_names = [normalize(n).lower() for n in vocabulary]
        self.vectorizer.fit(cleaned_names + terms)
        self.cleaned_names = cleaned_names
        self.name_matrix: csr_matrix = self.vectorizer.transform(cleaned_names)
        self.term_matrix: csr_matrix = self.vectorizer.transform(terms) if terms else None
        # Association of each character n-gram with each name: P(name | n-gram in the term),
        # estimated on the training terms with one pseudo-count, so that a name such as "癌"
        # is proposed by the n-grams that signal it even when no whole term is similar.
        self.ngram_counter = CountVectorizer(
            analyzer="char", ngram_range=(1, _ASSOC_NGRAM_MAX), binary=True, lowercase=False
        )
        g = self.ngram_counter.fit_transform(terms).tocsc().astype(np.float64)
        rows = np.concatenate([np.full(len(lab), i) for i, lab in enumerate(self.labels)])
        cols = np.concatenate(self.labels)
        lab_matrix = sparse_rows(
            (np.ones(len(rows)), (rows, cols)), shape=(len(terms), len(vocabulary))
        )
        co = (g.T @ lab_matrix).tocsr()
        df = np.asarray(g.sum(axis=0)).ravel()
        self.assoc: csr_matrix = (diags(1.0 / (df + 1.0)) @ co).tocsr()

    def features(
        self, terms: list[str], n_candidates: int, n_neighbors: int
    ) -> list[tuple[npt.NDArray[np.intp], FloatArray]]:
        """Per term: the candidate name ids and their feature rows."""
        pieces = [_pieces(t) for t in terms]
        flat = [p for ps in pieces for p in ps]
        q_full = self.vectorizer.transform(terms)
        q_grams = self.ngram_counter.transform(terms).tocsr()
        name_full = (q_full @ self.name_matrix.T).toarray()
        name_piece_all = (
            (self.vectorizer.transform(flat) @ self.name_matrix.T).toarray() if flat else None
        )
        term_full = (
            (q_full @ self.term_matrix.T).toarray() if self.term_matrix is not None else None
        )
        term_piece_all = (
            (self.vectorizer.transform(flat) @ self.term_matrix.T).toarray()
            if flat and self.term_matrix is not None
            else None
        )
        out: list[tuple[npt.NDArray[np.intp], FloatArray]] = []
        start = 0
        for i, term in enumerate(terms):
            n_p = len(pieces[i])
            sims = name_full[i]
            if n_p and name_piece_all is not None:
                piece_sims = name_piece_all[start : start + n_p].max(axis=0)
            else:
                piece_sims = sims
            vote, vmax = self._votes(term_full[i] if term_full is not None else None, n_neighbors)
            p_vote: dict[int, float] = {}
            p_max: dict[int, float] = {}
            if n_p and term_piece_all is not None:
                for row in term_piece_all[start : start + n_p]:
                    v, m = self._votes(row, n_neighbors)
                    for k, val in v.items():
                        p_vote[k] = max(p_vote.get(k, 0.0), val)
                    for k, val in m.items():
                        p_max[k] = max(p_max.get(k, 0.0), val)
            else:
                p_vote, p_max = vote, vmax
            start += n_p
            best = np.maximum(sims, piece_sims)
            k = min(n_candidates, len(self.names))
            top = np.argpartition(-best, k - 1)[:k] if k < len(self.names) else np.arange(k)
            grams = q_grams.indices[q_grams.indptr[i] : q_grams.indptr[i + 1]]
            if len(grams):
                sub = self.assoc[grams]
                a_max = sub.max(axis=0).toarray().ravel()
                a_mean = np.asarray(sub.sum(axis=0)).ravel() / len(grams)
            else:
                a_max = a_mean = np.zeros(len(self.names))
            ka = min(_ASSOC_CANDIDATES, len(self.names))
            top_a = np.argpartition(-a_max, ka - 1)[:ka] if ka < len(self.names) else np.arange(ka)
            top_a = top_a[a_max[top_a] > 0]
            cand = sorted(set(top.tolist()) | set(top_a.tolist()) | set(vote) | set(p_vote))
            cand_arr = np.array(cand, dtype=np.intp)
            rank_name = np.empty(len(cand), dtype=np.float64)
            rank_name[np.argsort(-best[cand_arr], kind="stable")] = np.arange(len(cand))
            rank_assoc = np.empty(len(cand), dtype=np.float64)
            rank_assoc[np.argsort(-a_max[cand_arr], kind="stable")] = np.arange(len(cand))
            vote_arr = np.array([vote.get(c, 0.0) for c in cand])
            rank_vote = np.empty(len(cand), dtype=np.float64)
            rank_vote[np.argsort(-vote_arr, kind="stable")] = np.arange(len(cand))
            piece_set = set(pieces[i]) | {term}
            rows = np.zeros((len(cand), len(FEATURE_NAMES)), dtype=np.float64)
            term_chars = set(term)
            best_sim = float(sims[cand_arr].max())
            for j, c in enumerate(cand):
                name = self.cleaned_names[c]
                name_chars = set(name)
                shared = len(name_chars & term_chars)
                rows[j] = (
                    sims[c],
                    piece_sims[c],
                    best_sim - sims[c],
                    vote.get(c, 0.0),
                    vmax.get(c, 0.0),
                    p_vote.get(c, 0.0),
                    p_max.get(c, 0.0),
                    a_max[c],
                    a_mean[c],
                    1.0 / (1.0 + rank_assoc[j]),
                    shared / len(name_chars),
                    shared / len(term_chars),
                    _common_substring(name, term) / len(name),
                    float(name in term),
                    float(name in piece_set),
                    self.log_frequency[c],
                    1.0 / (1.0 + rank_name[j]),
                    1.0 / (1.0 + rank_vote[j]),
                    math.log(len(name)),
                    math.log(len(term)),
                    float(n_p),
                )
            out.append((cand_arr, rows))
        return out

    def _votes(
        self, row: FloatArray | None, n_neighbors: int
    ) -> tuple[dict[int, float], dict[int, float]]:
        """Names of the nearest training terms: similarity-weighted vote share and best sim."""
        if row is None or n_neighbors == 0:
            return {}, {}
        k = min(n_neighbors, row.shape[0])
        nearest = np.argpartition(-row, k - 1)[:k] if k < row.shape[0] else np.arange(k)
        total = float(row[nearest].sum())
        vote: dict[int, float] = {}
        vmax: dict[int, float] = {}
        for j in nearest.tolist():
            s = float(row[j])
            if s <= 0.0:
                continue
            for c in self.labels[j].tolist():
                vote[c] = vote.get(c, 0.0) + s / total
                vmax[c] = max(vmax.get(c, 0.0), s)
        return vote, vmax
