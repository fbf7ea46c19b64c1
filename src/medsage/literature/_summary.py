"""Extractive summaries of a set of documents, with a citation on every sentence.

The sentences of all documents form a graph whose edges are TF-IDF cosine similarities;
a sentence's centrality is its stationary probability in a random walk on that graph
(continuous LexRank, Erkan and Radev, JAIR 2004). Given a query, the walk's random jumps land
on sentences in proportion to their similarity to the query (biased LexRank, Otterbacher,
Erkan and Radev, HLT/EMNLP 2005), so central sentences about the query win. Sentences are then
picked by Maximal Marginal Relevance (Carbonell and Goldstein, SIGIR 1998), which skips
sentences that repeat one already picked, and are shown in reading order: documents in the
order given (a ranked hit list stays ranked), sentences in their order in the document.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from medsage.errors import EmptyInputError, InvalidInputError
from medsage.literature._documents import Document
from medsage.literature._terms import check_language, content_tokens, stop_words
from medsage.text import detect_language, sentence_spans

SCHEMA = "medsage.literature.summary/1"

# Probability that the random walk jumps instead of following an edge: 0.15 as in PageRank
# (Brin and Page 1998) and LexRank (Erkan and Radev 2004, who report d in [0.1, 0.2]).
JUMP_PROBABILITY = 0.15
# With a query the walk jumps more often, onto query-relevant sentences (Otterbacher et al.
# 2005 call this the question bias); 0.7 is our choice: relevance leads, centrality among the
# relevant sentences decides.
QUERY_JUMP_PROBABILITY = 0.7
# Share of the jump mass spread evenly, so that no sentence's score is exactly zero.
UNIFORM_JUMP_SHARE = 0.05
# MMR trade-off: weight of redundancy against score (lambda = 1 - DIVERSITY).
DIVERSITY = 0.3
# Sentences this similar (TF-IDF cosine) to a picked one are near-copies and never picked.
DUPLICATE_COSINE = 0.8
# A sentence needs this many content words to be a candidate (drops headings like "Methods:").
MIN_CONTENT_TOKENS = 2
# Above this many candidates only the ones closest to the centroid (and query) enter the graph,
# which keeps the similarity matrix below ~70 MB.
MAX_GRAPH_SENTENCES = 3000
# A line that does not end like a sentence is a heading ("Type 1 Diabetes", "Methods"):
# short and similar to everything, headings would win on centrality, so they are left out
# unless no line of the input ends like a sentence.
_FINAL_MARKS = (".", "!", "?", "。", "！", "？", "；", ";", "…", '"', "”", ")", "）")
_POWER_TOLERANCE = 1e-10
_POWER_MAX_ITERATIONS = 1000


@dataclass(frozen=True)
class Reference:
    """A document cited by a summary; `number` is its [n] marker."""

    number: int
    doc_id: str
    title: str
    year: int | None = None
    journal: str = ""
    url: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "doc_id": self.doc_id,
            "title": self.title,
            "year": self.year,
            "journal": self.journal,
            "url": self.url,
            "source": self.source,
        }

    def render(self) -> str:
        """One reference-list line: "[1] Title. Journal, 2020. id <url>"."""
        where = ", ".join(str(x) for x in (self.journal, self.year) if x)
        title = (self.title or self.doc_id).strip()
        parts = [f"[{self.number}] {title}" + ("" if title.endswith(_FINAL_MARKS) else ".")]
        if where:
            parts.append(f"{where}.")
        parts.append(self.doc_id)
        if self.url:
            parts.append(f"<{self.url}>")
        return " ".join(parts)


@dataclass(frozen=True)
class SummarySentence:
    """A sentence of the summary and where it comes from.

    `start`/`end` are character offsets into the cited document's `text`.
    """

    text: str
    citation: int
    doc_id: str
    title: str
    start: int
    end: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "citation": self.citation,
            "doc_id": self.doc_id,
            "title": self.title,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 6),
        }


@dataclass(frozen=True)
class Summary:
    """An extractive summary: sentences in reading order, each citing a reference."""

    sentences: tuple[SummarySentence, ...]
    references: tuple[Reference, ...]
    query: str | None
    language: str
    n_documents: int
    n_candidates: int
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (schema `medsage.literature.summary/1`)."""
        return {
            "schema": SCHEMA,
            "query": self.query,
            "language": self.language,
            "method": "lexrank+mmr" if self.query is None else "biased-lexrank+mmr",
            "n_documents": self.n_documents,
            "n_candidates": self.n_candidates,
            "sentences": [s.to_dict() for s in self.sentences],
            "references": [r.to_dict() for r in self.references],
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        """The summary, one sentence a line with its [n] marker, then the reference list."""
        heading = "参考文献" if self.language == "zh" else "References"
        lines = [f"{s.text} [{s.citation}]" for s in self.sentences]
        lines += ["", f"{heading}:", *(r.render() for r in self.references)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


@dataclass(frozen=True)
class _Candidate:
    doc_index: int
    start: int
    end: int
    text: str
    tokens: tuple[str, ...]


def summarize(
    documents: Sequence[Document],
    query: str | None = None,
    *,
    max_sentences: int = 5,
    lang: str = "auto",
    diversity: float = DIVERSITY,
) -> Summary:
    """Pick the `max_sentences` most central (and, with a query, most relevant) sentences.

    Args:
        documents: the documents to summarise, e.g. search hits best first; their order is
            the order of the summary's references.
        query: when given, sentences similar to it are preferred (biased LexRank).
        max_sentences: upper bound on the summary length.
        lang: "en", "zh", or "auto" (stop words of both; the language of the reference-list
            heading follows the chosen sentences).
        diversity: MMR weight of redundancy, 0 to 1; 0 turns redundancy removal off.

    Raises:
        EmptyInputError: no documents, or no document has a sentence with content words.
    """
    check_language(lang)
    if isinstance(documents, Document):
        raise InvalidInputError("summarize expects a list of documents; wrap the one in a list")
    docs = list(documents)
    if not docs:
        raise EmptyInputError("no documents to summarise; pass at least one document")
    if max_sentences < 1:
        raise InvalidInputError(f"max_sentences must be >= 1, got {max_sentences}")
    if not 0.0 <= diversity <= 1.0:
        raise InvalidInputError(f"diversity must lie in [0, 1], got {diversity}")
    query = query.strip() if query and query.strip() else None
    stop = stop_words(lang)
    candidates = _candidates(docs, stop)
    if not candidates:
        raise EmptyInputError(
            f"none of the {len(docs)} documents has a sentence with at least "
            f"{MIN_CONTENT_TOKENS} content words; nothing to summarise"
        )
    notes: list[str] = []
    matrix, vocabulary, idf = _tfidf([c.tokens for c in candidates])
    relevance = None
    if query is not None:
        query_vector = _vectorize(content_tokens(query, stop), vocabulary, idf)
        relevance = matrix @ query_vector
        if not relevance.any():
            notes.append(
                f"no sentence shares a content word with the query {query!r}; "
                "sentences were ranked by centrality alone"
            )
            relevance = None
    keep = _graph_subset(matrix, relevance)
    if len(keep) < len(candidates):
        notes.append(
            f"{len(candidates)} candidate sentences; the {len(keep)} closest to the "
            "centroid (and query) entered the graph"
        )
        candidates = [candidates[i] for i in keep]
        matrix = matrix[keep]
        relevance = None if relevance is None else relevance[keep]
    similarity = matrix @ matrix.T
    scores = _lexrank(similarity, relevance)
    chosen = _mmr(scores / scores.max(), similarity, max_sentences, diversity)
    chosen.sort(key=lambda i: (candidates[i].doc_index, candidates[i].start))
    return _build_summary(docs, candidates, chosen, scores, query, lang, notes)


def _candidates(docs: list[Document], stop: frozenset[str]) -> list[_Candidate]:
    out: list[_Candidate] = []
    for doc_index, doc in enumerate(docs):
        if not isinstance(doc, Document):
            raise InvalidInputError(
                f"documents[{doc_index}] is a {type(doc).__name__}, expected a Document"
            )
        for start, end in sentence_spans(doc.text):
            text = doc.text[start:end]
            tokens = content_tokens(text, stop)
            if len(tokens) >= MIN_CONTENT_TOKENS:
                out.append(_Candidate(doc_index, start, end, text, tuple(tokens)))
    sentences = [c for c in out if c.text.endswith(_FINAL_MARKS)]
    return sentences or out


def _tfidf(
    token_lists: list[tuple[str, ...]],
) -> tuple[npt.NDArray[np.float64], dict[str, int], npt.NDArray[np.float64]]:
    """L2-normalised TF-IDF rows (sublinear tf, smoothed idf as in scikit-learn)."""
    vocabulary: dict[str, int] = {}
    for tokens in token_lists:
        for token in tokens:
            vocabulary.setdefault(token, len(vocabulary))
    counts = np.zeros((len(token_lists), len(vocabulary)), dtype=np.float64)
    for row, tokens in enumerate(token_lists):
        for token, n in Counter(tokens).items():
            counts[row, vocabulary[token]] = n
    df = (counts > 0).sum(axis=0)
    idf = np.log((1.0 + len(token_lists)) / (1.0 + df)) + 1.0
    weights = np.where(counts > 0, 1.0 + np.log(np.maximum(counts, 1.0)), 0.0) * idf
    return _l2_rows(weights), vocabulary, idf


def _vectorize(
    tokens: list[str], vocabulary: dict[str, int], idf: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    vector = np.zeros(len(vocabulary), dtype=np.float64)
    for token, n in Counter(tokens).items():
        column = vocabulary.get(token)
        if column is not None:
            vector[column] = (1.0 + np.log(n)) * idf[column]
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _l2_rows(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    out: npt.NDArray[np.float64] = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    return out


def _graph_subset(
    matrix: npt.NDArray[np.float64], relevance: npt.NDArray[np.float64] | None
) -> list[int]:
    """Indices (in order) of the candidates that enter the similarity graph."""
    n = matrix.shape[0]
    if n <= MAX_GRAPH_SENTENCES:
        return list(range(n))
    centroid = matrix.mean(axis=0)
    closeness = matrix @ centroid
    if relevance is not None:
        closeness = closeness / max(float(closeness.max()), 1e-12) + relevance
    best = np.argsort(-closeness, kind="stable")[:MAX_GRAPH_SENTENCES]
    return sorted(int(i) for i in best)


def _lexrank(
    similarity: npt.NDArray[np.float64], relevance: npt.NDArray[np.float64] | None
) -> npt.NDArray[np.float64]:
    """Stationary distribution of the (query-biased) random walk on the similarity graph."""
    n = similarity.shape[0]
    edges = similarity.copy()
    np.fill_diagonal(edges, 0.0)
    row_sums = edges.sum(axis=1, keepdims=True)
    # A sentence similar to no other one walks anywhere (a dangling node, as in PageRank).
    transition = np.where(row_sums > 0, edges / np.where(row_sums > 0, row_sums, 1.0), 1.0 / n)
    uniform = np.full(n, 1.0 / n)
    if relevance is None or not relevance.any():
        jump, bias = uniform, JUMP_PROBABILITY
    else:
        share = relevance / relevance.sum()
        jump = (1.0 - UNIFORM_JUMP_SHARE) * share + UNIFORM_JUMP_SHARE * uniform
        bias = QUERY_JUMP_PROBABILITY
    scores = uniform
    for _ in range(_POWER_MAX_ITERATIONS):
        updated = bias * jump + (1.0 - bias) * (transition.T @ scores)
        if float(np.abs(updated - scores).sum()) < _POWER_TOLERANCE:
            scores = updated
            break
        scores = updated
    result: npt.NDArray[np.float64] = scores
    return result


def _mmr(
    scores: npt.NDArray[np.float64],
    similarity: npt.NDArray[np.float64],
    k: int,
    diversity: float,
) -> list[int]:
    """Greedy Maximal Marginal Relevance; ties go to the earlier sentence."""
    n = len(scores)
    chosen: list[int] = []
    redundancy = np.zeros(n)
    available = np.ones(n, dtype=bool)
    while len(chosen) < k and available.any():
        # Rounding keeps float noise from deciding ties, so results are stable run to run.
        value = np.round((1.0 - diversity) * scores - diversity * redundancy, 12)
        value[~available] = -np.inf
        best = int(np.argmax(value))
        chosen.append(best)
        available[best] = False
        redundancy = np.maximum(redundancy, similarity[best])
        if diversity > 0:
            available &= similarity[best] < DUPLICATE_COSINE
    return chosen


def _build_summary(
    docs: list[Document],
    candidates: list[_Candidate],
    chosen: list[int],
    scores: npt.NDArray[np.float64],
    query: str | None,
    lang: str,
    notes: list[str],
) -> Summary:
    numbers: dict[int, int] = {}
    sentences: list[SummarySentence] = []
    for i in chosen:
        candidate = candidates[i]
        doc = docs[candidate.doc_index]
        number = numbers.setdefault(candidate.doc_index, len(numbers) + 1)
        sentences.append(
            SummarySentence(
                text=candidate.text,
                citation=number,
                doc_id=doc.id,
                title=doc.title,
                start=candidate.start,
                end=candidate.end,
                score=float(scores[i]),
            )
        )
    references = tuple(
        Reference(
            number=number,
            doc_id=docs[index].id,
            title=docs[index].title,
            year=docs[index].year,
            journal=docs[index].journal,
            url=docs[index].url,
            source=docs[index].source,
        )
        for index, number in numbers.items()
    )
    if lang == "auto":
        chinese = sum(detect_language(s.text) == "zh" for s in sentences)
        lang = "zh" if chinese * 2 > len(sentences) else "en"
    return Summary(
        sentences=tuple(sentences),
        references=references,
        query=query,
        language=lang,
        n_documents=len(docs),
        n_candidates=len(candidates),
        notes=tuple(notes),
    )
