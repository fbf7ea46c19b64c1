"""Chinese diagnosis-term normalisation (CHIP-CDN): retrieve standard names, re-rank, pick a set.

A raw diagnosis such as "左膝退变伴游离体" maps to one or more standard names ("膝骨关节病",
"膝关节游离体"). `TermNormalizer` learns this from (raw term, standard names) pairs:

1. Retrieval, on character 1-2 gram tf-idf vectors: standard names close to the term or to one
   of its pieces (split at punctuation and at joining words such as 伴/并), plus the answers of
   the training terms closest to it (a memory of raw -> standard mappings seen in training).
2. Re-ranking: a scorer (gradient-boosted trees or logistic regression) over features of each
   (term, candidate) pair: similarities, neighbour votes, n-gram -> name association,
   character cover, longest common substring, frequency prior.
   It is trained on out-of-fold candidates, so the memory never contains the term itself.
3. Set choice: every candidate whose probability reaches `threshold` (the best one always),
   at most `max_names`. With `threshold="auto"` it is the value that maximises micro F1 on the
   out-of-fold training predictions.

Everything learned is arrays and strings; `to_dict` / `from_dict` round-trip through JSON.
scikit-learn loads only inside `fit` and when a fitted normaliser is first used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Self

import numpy as np
import numpy.typing as npt

from medsage.diagnosis._cdn_metric import NameSets, cdn_scores, split_names
from medsage.diagnosis._term_candidates import FEATURE_NAMES, CandidateIndex, clean_term
from medsage.diagnosis._term_scorers import (
    SCORER_KINDS,
    BoostedTreesScorer,
    LogisticScorer,
    ScorerKind,
    TermScorer,
    scorer_from_dict,
)
from medsage.errors import EmptyInputError, InvalidInputError, NotFittedError

if TYPE_CHECKING:
    pass

FloatArray = npt.NDArray[np.float64]

#: Thresholds tried by `threshold="auto"`.
_THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(2, 19))

FORMAT_VERSION = 1


@dataclass(frozen=True)
class TermCandidate:
    """One standard name proposed for a raw term, with the re-ranker's probability."""

    name: str
    probability: float


def _prepare_pairs(terms: Sequence[str], normalized: NameSets) -> tuple[list[str], list[list[str]]]:
    if isinstance(terms, str) or isinstance(normalized, str):
        raise InvalidInputError("terms and normalized must be sequences (one item per term)")
    if len(terms) != len(normalized):
        raise InvalidInputError(
            f"got {len(terms)} terms but {len(normalized)} answers; give one answer per term"
        )
    if not terms:
        raise EmptyInputError("no training pairs; give at least one (term, standard names) pair")
    cleaned = [clean_term(t, where=f"term {i}") for i, t in enumerate(terms)]
    answers = [split_names(a) for a in normalized]
    for i, a in enumerate(answers):
        if not a:
            raise EmptyInputError(f"answer {i} (for term {terms[i]!r}) holds no standard name")
    return cleaned, answers


class TermNormalizer:
    """Map free-text Chinese diagnosis terms to sets of standard names (CHIP-CDN style).

    Args:
        n_candidates: names retrieved by tf-idf similarity per term (neighbour answers are added).
        n_neighbors: training terms whose answers are proposed and voted.
        ngram_max: longest character n-gram of the tf-idf vectors.
        threshold: probability a candidate needs to be chosen, or "auto" (tuned in `fit` on
            out-of-fold training predictions).
        max_names: most names predicted for one term.
        n_folds: folds for the out-of-fold training of the re-ranker.
        scorer: "boosted" (gradient-boosted trees) or "logistic".
        learning_rate: step size of the boosted trees.
        max_iter: number of boosted trees.
        c: inverse L2 regularisation strength of the logistic scorer.
        seed: seed of the fold split and of the scorer.
    """

    def __init__(
        self,
        *,
        n_candidates: int = 30,
        n_neighbors: int = 10,
        ngram_max: int = 2,
        threshold: float | Literal["auto"] = "auto",
        max_names: int = 8,
        n_folds: int = 5,
        scorer: ScorerKind = "boosted",
        learning_rate: float = 0.1,
        max_iter: int = 200,
        c: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.n_candidates = n_candidates
        self.n_neighbors = n_neighbors
        self.ngram_max = ngram_max
        self.threshold = threshold
        self.max_names = max_names
        self.n_folds = n_folds
        self.scorer = scorer
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.c = c
        self.seed = seed

    def _check_settings(self) -> None:
        ints = ("n_candidates", "n_neighbors", "ngram_max", "max_names", "n_folds", "max_iter")
        for name in ints:
            value = getattr(self, name)
            low = 0 if name == "n_neighbors" else (2 if name == "n_folds" else 1)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise InvalidInputError(f"{name} must be an int >= {low}, got {value!r}")
        if self.threshold != "auto" and not (
            isinstance(self.threshold, float | int) and 0.0 <= self.threshold <= 1.0
        ):
            raise InvalidInputError(
                f"threshold must be 'auto' or a number in [0, 1], got {self.threshold!r}"
            )
        if self.scorer not in SCORER_KINDS:
            raise InvalidInputError(
                f"scorer must be one of {', '.join(SCORER_KINDS)}, got {self.scorer!r}"
            )
        for name in ("c", "learning_rate"):
            value = getattr(self, name)
            if not isinstance(value, float | int) or not value > 0:
                raise InvalidInputError(f"{name} must be a number > 0, got {value!r}")

    def fit(
        self,
        terms: Sequence[str],
        normalized: NameSets,
        vocabulary: Sequence[str] | None = None,
    ) -> Self:
        """Learn from raw terms and their standard names (`##`-joined strings or sequences).

        Args:
            terms: raw diagnosis terms.
            normalized: the standard names of each term.
            vocabulary: every standard name that may be predicted; by default the names in
                `normalized`. Names of `normalized` are always added.
        """
        self._check_settings()
        cleaned, answers = _prepare_pairs(terms, normalized)
        vocab = list(dict.fromkeys([*(vocabulary or []), *(n for a in answers for n in a)]))
        if len(cleaned) < self.n_folds:
            raise InvalidInputError(
                f"{len(cleaned)} training pairs is fewer than n_folds={self.n_folds}; "
                "give more pairs or lower n_folds"
            )
        x, y, groups, oof_gold = self._out_of_fold(cleaned, answers, list(vocabulary or []))
        self.scorer_ = self._fit_scorer(x, y)
        if self.threshold == "auto":
            self.threshold_ = self._tune_threshold(
                self._cross_fit_probs(x, y, groups), groups, oof_gold
            )
        else:
            self.threshold_ = float(self.threshold)
        self.terms_ = list(terms)
        self.answers_ = answers
        self.vocabulary_ = vocab
        self.index_ = CandidateIndex(cleaned, answers, vocab, self.ngram_max)
        return self

    def _out_of_fold(
        self, cleaned: list[str], answers: list[list[str]], given: list[str]
    ) -> tuple[FloatArray, FloatArray, list[tuple[list[str], list[str]]], list[list[str]]]:
        rng = np.random.default_rng(self.seed)
        folds = rng.permutation(len(cleaned)) % self.n_folds
        xs: list[FloatArray] = []
        ys: list[FloatArray] = []
        groups: list[tuple[list[str], list[str]]] = []
        gold: list[list[str]] = []
        for fold in range(self.n_folds):
            inside = np.flatnonzero(folds != fold).tolist()
            held = np.flatnonzero(folds == fold).tolist()
            # The vocabulary of a fold is the given list plus what its training part has seen,
            # so names seen only in the held-out part are as unreachable as on new data.
            fold_vocab = list(dict.fromkeys([*given, *(n for i in inside for n in answers[i])]))
            index = CandidateIndex(
                [cleaned[i] for i in inside],
                [answers[i] for i in inside],
                fold_vocab,
                self.ngram_max,
            )
            feats = index.features([cleaned[i] for i in held], self.n_candidates, self.n_neighbors)
            for i, (cand, rows) in zip(held, feats, strict=True):
                names = [index.names[c] for c in cand.tolist()]
                gold_set = set(answers[i])
                xs.append(rows)
                ys.append(np.array([float(n in gold_set) for n in names]))
                groups.append((names, answers[i]))
                gold.append(answers[i])
        return np.vstack(xs), np.concatenate(ys), groups, gold

    def _fit_scorer(self, x: FloatArray, y: FloatArray) -> TermScorer:
        if self.scorer == "boosted":
            return BoostedTreesScorer.fit(
                x, y, learning_rate=self.learning_rate, max_iter=self.max_iter, seed=self.seed
            )
        return LogisticScorer.fit(x, y, c=self.c, seed=self.seed)

    def _cross_fit_probs(
        self, x: FloatArray, y: FloatArray, groups: list[tuple[list[str], list[str]]]
    ) -> FloatArray:
        """Probabilities of each candidate row from a scorer fitted on the other half of the terms.

        In-sample probabilities of boosted trees are over-confident, so a threshold tuned on
        them would be too low for new terms.
        """
        term_of_row = np.repeat(np.arange(len(groups)), [len(names) for names, _ in groups])
        half = np.random.default_rng(self.seed + 1).permutation(len(groups)) % 2
        row_half = half[term_of_row]
        probs = np.zeros(len(y), dtype=np.float64)
        for h in (0, 1):
            rows = row_half == h
            probs[rows] = self._fit_scorer(x[~rows], y[~rows]).predict(x[rows])
        return probs

    def _choose(self, names: list[str], probs: FloatArray, threshold: float) -> list[str]:
        order = np.argsort(-probs, kind="stable")
        chosen = [names[j] for j in order[: self.max_names] if probs[j] >= threshold]
        return chosen or [names[int(order[0])]]

    def _tune_threshold(
        self,
        probs: FloatArray,
        groups: list[tuple[list[str], list[str]]],
        gold: list[list[str]],
    ) -> float:
        best_t, best_f1 = 0.5, -1.0
        for t in _THRESHOLD_GRID:
            start = 0
            preds: list[list[str]] = []
            for names, _ in groups:
                preds.append(self._choose(names, probs[start : start + len(names)], t))
                start += len(names)
            f1 = cdn_scores(gold, preds).f1
            if f1 > best_f1:
                best_t, best_f1 = t, f1
        self.oof_f1_ = best_f1
        return best_t

    def _require_fitted(self) -> None:
        if not hasattr(self, "scorer_"):
            raise NotFittedError("this TermNormalizer is not fitted yet; call fit() or from_dict()")

    def rank(self, terms: Sequence[str], top_k: int = 10) -> list[list[TermCandidate]]:
        """The `top_k` best candidates of each term, most probable first."""
        self._require_fitted()
        if isinstance(terms, str):
            raise InvalidInputError("rank expects a sequence of terms; wrap one term in a list")
        cleaned = [clean_term(t, where=f"term {i}") for i, t in enumerate(terms)]
        if not cleaned:
            return []
        feats = self.index_.features(cleaned, self.n_candidates, self.n_neighbors)
        all_probs = self.scorer_.predict(np.vstack([rows for _, rows in feats]))
        out: list[list[TermCandidate]] = []
        start = 0
        for cand, rows in feats:
            probs = all_probs[start : start + len(rows)]
            start += len(rows)
            order = np.argsort(-probs, kind="stable")[:top_k]
            out.append([TermCandidate(self.index_.names[cand[j]], float(probs[j])) for j in order])
        return out

    def predict(self, terms: Sequence[str]) -> list[list[str]]:
        """The chosen standard names of each term (at least one each)."""
        ranked = self.rank(terms, top_k=max(self.max_names, 1))
        out: list[list[str]] = []
        for cands in ranked:
            names = [c.name for c in cands]
            probs = np.array([c.probability for c in cands], dtype=np.float64)
            out.append(self._choose(names, probs, self.threshold_))
        return out

    def to_dict(self) -> dict[str, Any]:
        """Settings, training pairs and re-ranker weights as JSON-ready data."""
        self._require_fitted()
        return {
            "kind": "medsage.diagnosis.TermNormalizer",
            "format_version": FORMAT_VERSION,
            "settings": {
                "n_candidates": self.n_candidates,
                "n_neighbors": self.n_neighbors,
                "ngram_max": self.ngram_max,
                "threshold": self.threshold,
                "max_names": self.max_names,
                "n_folds": self.n_folds,
                "scorer": self.scorer,
                "learning_rate": self.learning_rate,
                "max_iter": self.max_iter,
                "c": self.c,
                "seed": self.seed,
            },
            "terms": self.terms_,
            "answers": self.answers_,
            "vocabulary": self.vocabulary_,
            "feature_names": list(FEATURE_NAMES),
            "scorer": self.scorer_.to_dict(),
            "threshold_": self.threshold_,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TermNormalizer:
        """Rebuild a fitted normaliser from `to_dict` output (no refitting)."""
        if data.get("kind") != "medsage.diagnosis.TermNormalizer":
            raise InvalidInputError(
                f"not a TermNormalizer dict (kind={data.get('kind')!r}); use TermNormalizer.to_dict"
            )
        if data.get("format_version") != FORMAT_VERSION:
            raise InvalidInputError(
                f"TermNormalizer format_version {data.get('format_version')!r} is not "
                f"{FORMAT_VERSION}; refit with this MedSage version"
            )
        if list(data["feature_names"]) != list(FEATURE_NAMES):
            raise InvalidInputError("the saved feature names differ from this MedSage version's")
        model = cls(**data["settings"])
        model.terms_ = list(data["terms"])
        model.answers_ = [list(a) for a in data["answers"]]
        model.vocabulary_ = list(data["vocabulary"])
        model.scorer_ = scorer_from_dict(data["scorer"])
        model.threshold_ = float(data["threshold_"])
        cleaned = [clean_term(t, where=f"term {i}") for i, t in enumerate(model.terms_)]
        model.index_ = CandidateIndex(cleaned, model.answers_, model.vocabulary_, model.ngram_max)
        return model
