"""Sentence roles in abstracts (BACKGROUND / METHODS / RESULTS / CONCLUSIONS).

Structured abstracts label their sections; those labels, mapped onto four roles the way NLM
maps them onto its categories, are free training data for a classifier that then labels the
sentences of unstructured abstracts. Where a sentence stands says much about its role
(backgrounds open an abstract, conclusions close it), so each sentence is prefixed with a token
for its relative position ("__pos0__" .. "__pos4__") before it goes to the tfidf
`TextClassifier`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from medsage.errors import EmptyInputError, InvalidInputError, ModelBundleError, NotFittedError
from medsage.literature._documents import Document, Section
from medsage.models import TextClassifier, read_manifest, save_bundle
from medsage.text import split_sentences

ROLES = ("BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS")
ROLE_BUNDLE_KIND = "sentence-role-classifier"
# Relative position in five equal bands; a small training set still fills every band.
POSITION_BUCKETS = 5
_CLASSIFIER_FOLDER = "classifier"

# Words of structured-abstract labels and the role they stand for. NLM maps the labels authors
# use onto BACKGROUND, OBJECTIVE, METHODS, RESULTS and CONCLUSIONS (the NlmCategory attribute
# of MEDLINE XML); OBJECTIVE is folded into BACKGROUND here, as four roles are wanted. Words not
# listed ("MAIN", "OUTCOME", "STUDY", "AND") are neutral, so "MAIN OUTCOME MEASURES" is METHODS.
_ROLE_WORDS: dict[str, str] = {
    **dict.fromkeys(
        "BACKGROUND BACKGROUNDS INTRODUCTION CONTEXT RATIONALE IMPORTANCE OBJECTIVE OBJECTIVES "
        "PURPOSE PURPOSES AIM AIMS GOAL GOALS HYPOTHESIS".split(),
        "BACKGROUND",
    ),
    **dict.fromkeys(
        "METHOD METHODS METHODOLOGY MATERIAL MATERIALS DESIGN SETTING SETTINGS PARTICIPANTS "
        "PATIENTS SUBJECTS POPULATION INTERVENTION INTERVENTIONS MEASUREMENTS MEASURES "
        "PROCEDURES".split(),
        "METHODS",
    ),
    **dict.fromkeys("RESULT RESULTS FINDINGS".split(), "RESULTS"),
    **dict.fromkeys(
        "CONCLUSION CONCLUSIONS INTERPRETATION DISCUSSION IMPLICATIONS RELEVANCE".split(),
        "CONCLUSIONS",
    ),
}
# Chinese structured abstracts: 目的 / 方法 / 结果 / 结论, sometimes 背景 or 资料与方法.
_ROLE_WORDS_ZH: dict[str, str] = {
    "背景": "BACKGROUND",
    "目的": "BACKGROUND",
    "引言": "BACKGROUND",
    "方法": "METHODS",
    "对象": "METHODS",
    "资料": "METHODS",
    "材料": "METHODS",
    "结果": "RESULTS",
    "结论": "CONCLUSIONS",
    "讨论": "CONCLUSIONS",
}
_LABEL_WORD = re.compile(r"[A-Z]+")
# The label PubMed ingest gives the parts of an <OtherAbstract> (the abstract in another
# language): their sentences are not part of the main abstract's sentence positions.
OTHER_ABSTRACT_LABEL = "OTHER_ABSTRACT"


def section_role(label: str) -> str | None:
    """The role of a structured-abstract section label, or None if unknown or ambiguous.

    Example: "PATIENTS AND METHODS" -> "METHODS", "Objective" -> "BACKGROUND",
    "结论" -> "CONCLUSIONS", "RESULTS AND CONCLUSIONS" -> None.
    """
    upper = label.upper()
    roles = {_ROLE_WORDS[w] for w in _LABEL_WORD.findall(upper) if w in _ROLE_WORDS}
    roles |= {role for word, role in _ROLE_WORDS_ZH.items() if word in label}
    return roles.pop() if len(roles) == 1 else None


def relative_position(index: int, total: int) -> float:
    """Position of sentence `index` among `total` sentences: 0.0 first, 1.0 last."""
    return index / (total - 1) if total > 1 else 0.0


def position_token(position: float, buckets: int = POSITION_BUCKETS) -> str:
    """The feature token for a relative position in [0, 1], e.g. "__pos2__"."""
    if not 0.0 <= position <= 1.0:
        raise InvalidInputError(f"a relative position lies in [0, 1], got {position}")
    return f"__pos{min(int(position * buckets), buckets - 1)}__"


@dataclass
class RoleExamples:
    """Training sentences taken from structured abstracts."""

    sentences: list[str] = field(default_factory=list)
    positions: list[float] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    n_abstracts: int = 0
    skipped_labels: Counter[str] = field(default_factory=Counter)


def role_examples(documents: Sequence[Document]) -> RoleExamples:
    """Sentences, relative positions and roles of every structured abstract in `documents`.

    A document counts as structured when at least two of its sections map to a role.
    Positions count all sentences of the abstract, including those of sections whose label
    maps to no role (those sentences are not used as examples).
    """
    examples = RoleExamples()
    for doc in documents:
        sections = _main_abstract(doc.sections)
        roles = [section_role(section.label) for section in sections]
        if sum(role is not None for role in roles) < 2:
            continue
        parts = [
            (role, sentence)
            for section, role in zip(sections, roles, strict=True)
            for sentence in split_sentences(section.text)
        ]
        examples.n_abstracts += 1
        for section, role in zip(sections, roles, strict=True):
            if role is None:
                examples.skipped_labels[section.label] += 1
        for index, (role, sentence) in enumerate(parts):
            if role is not None:
                examples.sentences.append(sentence)
                examples.positions.append(relative_position(index, len(parts)))
                examples.roles.append(role)
    return examples


def _main_abstract(sections: Sequence[Section]) -> Sequence[Section]:
    """The sections before the first one of an abstract in another language."""
    for i, section in enumerate(sections):
        if section.label == OTHER_ABSTRACT_LABEL:
            return sections[:i]
    return sections


class LabelledSentence(NamedTuple):
    """A sentence of an abstract with its predicted role and that role's probability."""

    sentence: str
    role: str
    probability: float


class RoleClassifier:
    """Predict the role of abstract sentences from their words and relative position.

    A thin wrapper on `TextClassifier("tfidf")`; `params` go to it (e.g. ``C=10``).
    """

    def __init__(
        self,
        *,
        position_buckets: int = POSITION_BUCKETS,
        seed: int = 0,
        calibrate: bool = True,
        **params: Any,
    ) -> None:
        self.position_buckets = position_buckets
        self.seed = seed
        self.calibrate = calibrate
        self.params = params

    def fit(
        self, sentences: Sequence[str], positions: Sequence[float], roles: Sequence[str]
    ) -> RoleClassifier:
        """Train on sentences with their relative positions (0..1) and roles; returns self."""
        if self.position_buckets < 1:
            raise InvalidInputError(f"position_buckets must be >= 1, got {self.position_buckets}")
        if not len(sentences) == len(positions) == len(roles):
            raise InvalidInputError(
                f"got {len(sentences)} sentences, {len(positions)} positions and "
                f"{len(roles)} roles; need one position and one role per sentence"
            )
        if not sentences:
            raise EmptyInputError("no training sentences; pass structured abstracts")
        texts = self._texts(list(zip(sentences, positions, strict=True)))
        self.classifier_ = TextClassifier(
            "tfidf", seed=self.seed, calibrate=self.calibrate, **self.params
        ).fit(texts, [str(role) for role in roles])
        self.role_counts_ = dict(sorted(Counter(str(role) for role in roles).items()))
        return self

    @property
    def classes_(self) -> list[str]:
        self._check_fitted()
        return self.classifier_.classes_

    def predict_proba(self, sentences_with_positions: Sequence[tuple[str, float]]) -> np.ndarray:
        """Role probabilities, shape (n, n_roles), columns in `classes_` order."""
        self._check_fitted()
        return self.classifier_.predict_proba(self._texts(sentences_with_positions))

    def predict(self, sentences_with_positions: Sequence[tuple[str, float]]) -> list[str]:
        """The most probable role of each (sentence, relative position) pair."""
        proba = self.predict_proba(sentences_with_positions)
        return [self.classes_[i] for i in proba.argmax(axis=1)]

    def label_abstract(self, text: str) -> list[LabelledSentence]:
        """Split an abstract into sentences and give each its role and probability."""
        if not isinstance(text, str):
            raise InvalidInputError(f"label_abstract expects a str, got {type(text).__name__}")
        sentences = split_sentences(text)
        if not sentences:
            raise EmptyInputError("the abstract is empty; pass its text")
        pairs = [(s, relative_position(i, len(sentences))) for i, s in enumerate(sentences)]
        proba = self.predict_proba(pairs)
        best = proba.argmax(axis=1)
        return [
            LabelledSentence(sentence, self.classes_[int(j)], float(proba[i, j]))
            for i, (sentence, j) in enumerate(zip(sentences, best, strict=True))
        ]

    def save(self, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
        """Write a bundle folder: `medsage.json` plus the text classifier in `classifier/`."""
        self._check_fitted()
        meta = {
            "roles": self.classes_,
            "position_buckets": self.position_buckets,
            "position_token": "__pos{bucket}__ prefixed to the sentence",
            "seed": self.seed,
            "role_counts": self.role_counts_,
            "metrics": metrics or {},
        }
        classifier = self.classifier_

        def write_files(folder: Path) -> None:
            classifier.save(folder / _CLASSIFIER_FOLDER)

        return save_bundle(path, kind=ROLE_BUNDLE_KIND, meta=meta, write_files=write_files)

    @classmethod
    def load(cls, path: str | Path) -> RoleClassifier:
        """Load a bundle written by `save` (no pickle)."""
        folder = Path(path)
        meta = read_manifest(folder, expected_kind=ROLE_BUNDLE_KIND)
        try:
            buckets = int(meta["position_buckets"])
            counts = {str(k): int(v) for k, v in dict(meta.get("role_counts", {})).items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelBundleError(
                f"{folder} is not a valid role-classifier bundle ({exc})"
            ) from None
        classifier = TextClassifier.load(folder / _CLASSIFIER_FOLDER)
        model = cls(position_buckets=buckets, seed=classifier.seed)
        model.classifier_ = classifier
        model.role_counts_ = counts
        return model

    def _texts(self, pairs: Sequence[tuple[str, float]]) -> list[str]:
        if isinstance(pairs, tuple) and len(pairs) == 2 and isinstance(pairs[0], str):
            raise InvalidInputError("expected a list of (sentence, position) pairs; wrap it")
        return [
            f"{position_token(float(position), self.position_buckets)} {sentence}"
            for sentence, position in pairs
        ]

    def _check_fitted(self) -> None:
        if not hasattr(self, "classifier_"):
            raise NotFittedError("this RoleClassifier is not fitted yet; call fit() or load()")


def train_role_classifier(
    documents: Sequence[Document],
    *,
    position_buckets: int = POSITION_BUCKETS,
    seed: int = 0,
    **params: Any,
) -> RoleClassifier:
    """Train a `RoleClassifier` on the structured abstracts among `documents`.

    Raises:
        EmptyInputError: no document has a structured abstract (two or more sections whose
            labels map to a role).
        InvalidInputError: the abstracts hold fewer than two distinct roles.
    """
    examples = role_examples(documents)
    if not examples.sentences:
        raise EmptyInputError(
            f"none of the {len(documents)} documents has a structured abstract (two or more "
            f"sections labelled like {', '.join(ROLES)}); pass PubMed records with "
            "structured abstracts"
        )
    distinct = sorted(set(examples.roles))
    if len(distinct) < 2:
        raise InvalidInputError(
            f"the structured abstracts hold only the role(s) {distinct}; need at least two"
        )
    return RoleClassifier(position_buckets=position_buckets, seed=seed, **params).fit(
        examples.sentences, examples.positions, examples.roles
    )
