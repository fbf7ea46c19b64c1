"""The `tfidf` backend: word and character n-gram TF-IDF features and a linear model.

Works for Chinese and English alike: text is normalised (`medsage.text.normalize`, numbers and
units kept) and lower-cased; character n-grams need no segmentation, and word n-grams come from
`medsage.text.tokenize` (jieba with the medical dictionary for Chinese). Inference is done with
plain arrays (vocabulary, idf, coefficients), so a saved bundle needs no pickle and gives the
same probabilities as the fitted object.
"""

from __future__ import annotations

import functools
import json
import logging
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from medsage.errors import InvalidInputError, ModelBundleError
from medsage.models._backend import check_setting_names
from medsage.models._bundle import load_array, load_json_table
from medsage.text import normalize, tokenize

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TfidfSettings:
    """Hyper-parameters of the tfidf backend (saved in the bundle to rebuild it)."""

    char_ngram_min: int = 1
    char_ngram_max: int = 3
    word_ngram_max: int = 2  # 0 turns word features off
    min_df: int = 1
    max_features_char: int = 200_000
    max_features_word: int = 100_000
    sublinear_tf: bool = True
    # Defaults chosen by 3-fold cross-validation on training data only (benchmarks/README.md);
    # `select_settings` repeats that choice for a new data set.
    model: str = "svm"  # "svm" (linear SVM) or "logreg" (multinomial logistic regression)
    C: float = 1.0
    class_weight: str | None = None  # or "balanced": weights inverse to label frequency
    max_iter: int = 300

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TfidfSettings:
        check_setting_names("tfidf", values, {f.name for f in fields(cls)})
        settings = cls(**values)
        if not 1 <= settings.char_ngram_min <= settings.char_ngram_max:
            raise InvalidInputError("char n-gram range must satisfy 1 <= min <= max")
        if settings.model not in ("logreg", "svm"):
            raise InvalidInputError(f"model must be 'logreg' or 'svm', got {settings.model!r}")
        if settings.C <= 0:
            raise InvalidInputError(f"C must be > 0, got {settings.C}")
        if settings.class_weight not in (None, "balanced"):
            raise InvalidInputError("class_weight must be 'balanced' or None")
        return settings

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Training fits the same texts several times (calibration folds, model selection); caching the
# normalised text and its tokens makes the refits cheap. Bounded to 20,000 texts (about 180 MB
# of long notes), so a process that classifies millions of notes stays small.
TEXT_CACHE_SIZE = 20_000


@functools.lru_cache(maxsize=TEXT_CACHE_SIZE)
def _prepare(text: str) -> str:
    return normalize(text).lower()


@functools.lru_cache(maxsize=TEXT_CACHE_SIZE)
def _word_tokens(text: str) -> tuple[str, ...]:
    return tuple(tokenize(normalize(text), lowercase=True))


def _word_analyzer(max_n: int) -> Any:
    def analyze(text: str) -> list[str]:
        tokens = _word_tokens(text)
        grams = list(tokens)
        for n in range(2, max_n + 1):
            grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return grams

    return analyze


class TfidfBackend:
    """Fit and apply TF-IDF features plus a linear model (logistic regression or SVM)."""

    name: ClassVar[str] = "tfidf"
    # Refits are cheap: calibrate on out-of-fold training scores, leaving dev data untouched.
    cv_calibration: ClassVar[bool] = True

    def __init__(self, settings: TfidfSettings) -> None:
        self.settings = settings
        self.vocab_char: list[str] = []
        self.vocab_word: list[str] = []
        self.idf: np.ndarray = np.zeros(0)
        self.coef: np.ndarray = np.zeros((0, 0))
        self.intercept: np.ndarray = np.zeros(0)
        self._word_set: frozenset[str] | None = None
        self._fitted_vectorizers: tuple[tuple[int, int], list[Any]] | None = None
        self._last_coverage: tuple[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        self._mean_coef: np.ndarray | None = None

    @classmethod
    def settings_from_dict(cls, values: dict[str, Any]) -> TfidfSettings:
        return TfidfSettings.from_dict(values)

    # -- features -------------------------------------------------------------------------
    def _vectorizers(self, vocab_char: list[str] | None, vocab_word: list[str] | None) -> list[Any]:
        from sklearn.feature_extraction.text import CountVectorizer

        s = self.settings
        vecs = [
            CountVectorizer(
                analyzer="char",
                ngram_range=(s.char_ngram_min, s.char_ngram_max),
                preprocessor=_prepare,
                lowercase=False,
                min_df=s.min_df,
                max_features=s.max_features_char,
                vocabulary=vocab_char,
                dtype=np.float64,
            )
        ]
        if s.word_ngram_max > 0:
            vecs.append(
                CountVectorizer(
                    analyzer=_word_analyzer(s.word_ngram_max),
                    min_df=s.min_df,
                    max_features=s.max_features_word,
                    vocabulary=vocab_word,
                    dtype=np.float64,
                )
            )
        return vecs

    def _weight(self, counts: Any) -> Any:
        from sklearn.preprocessing import normalize as l2_normalize

        x = counts.tocsr().astype(np.float64)
        if self.settings.sublinear_tf:
            x.data = np.log(x.data) + 1.0
        x = x.multiply(self.idf).tocsr()
        return l2_normalize(x, norm="l2", copy=False)

    def transform(self, texts: list[str]) -> Any:
        """TF-IDF matrix (sparse, rows L2-normalised) for `texts`."""
        from scipy.sparse import hstack

        # Vectorizers built once per vocabulary: a fresh CountVectorizer re-validates its whole
        # vocabulary on every transform (4 ms for the demo model, most of a prediction).
        key = (id(self.vocab_char), id(self.vocab_word))
        if self._fitted_vectorizers is None or self._fitted_vectorizers[0] != key:
            vecs = self._vectorizers(self.vocab_char, self.vocab_word or None)
            for vec in vecs:
                vec._validate_vocabulary()
            self._fitted_vectorizers = (key, vecs)
        vecs = self._fitted_vectorizers[1]
        counts = hstack([v.transform(texts) for v in vecs]).tocsr()
        return self._weight(counts)

    def known_word_share(self, texts: list[str]) -> list[float | None]:
        """Share of each text's word tokens seen in training (None: no word tokens at all)."""
        if self._word_set is None:
            self._word_set = frozenset(t for t in self.vocab_word if " " not in t)
        shares: list[float | None] = []
        for text in texts:
            tokens = _word_tokens(text)
            if not tokens or not self._word_set:
                shares.append(None)
            else:
                shares.append(sum(t in self._word_set for t in tokens) / len(tokens))
        return shares

    # -- fit / apply ----------------------------------------------------------------------
    def fit(
        self,
        texts: list[str],
        y: np.ndarray,
        n_classes: int,
        seed: int,
        *,
        dev: tuple[list[str], np.ndarray] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        """Learn vocabulary, idf and a linear model on `texts` with class indices `y`.

        `dev` and `progress` are accepted for the common backend interface; a linear model
        needs neither (no early stopping, and fitting takes seconds).
        """
        from scipy.sparse import hstack
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import LinearSVC

        vecs = self._vectorizers(None, None)
        blocks = []
        for vec in vecs:
            try:
                blocks.append(vec.fit_transform(texts))
            except ValueError as exc:  # "empty vocabulary"
                raise InvalidInputError(
                    f"no features could be built from the texts ({exc})"
                ) from None
        self.vocab_char = _vocabulary_list(vecs[0])
        self.vocab_word = _vocabulary_list(vecs[1]) if len(vecs) > 1 else []
        counts = hstack(blocks).tocsr()
        n_docs = counts.shape[0]
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        # Smoothed idf as in scikit-learn: ln((1 + n) / (1 + df)) + 1.
        self.idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
        x = self._weight(counts)
        model: Any
        if self.settings.model == "svm":
            model = LinearSVC(
                C=self.settings.C,
                class_weight=self.settings.class_weight,
                max_iter=self.settings.max_iter * 10,
                random_state=seed,
            )
        else:
            model = LogisticRegression(
                C=self.settings.C,
                solver="saga",
                max_iter=self.settings.max_iter,
                tol=1e-3,
                class_weight=self.settings.class_weight,
                random_state=seed,
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x, y)
        coef = np.asarray(model.coef_, dtype=np.float64)
        intercept = np.asarray(model.intercept_, dtype=np.float64)
        if n_classes == 2 and coef.shape[0] == 1:
            # A binary linear model scores one class: softmax over (0, z) is its sigmoid.
            coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
            intercept = np.array([0.0, intercept[0]])
        self.coef, self.intercept = coef, intercept
        logger.info("tfidf: %d char + %d word features", len(self.vocab_char), len(self.vocab_word))

    def decision_function(self, texts: list[str]) -> np.ndarray:
        """Class scores (n_texts, n_classes); softmax of these is the probability."""
        x = self.transform(texts)
        scores: np.ndarray = np.asarray(x @ self.coef.T) + self.intercept
        return scores

    def char_attributions(self, text: str, class_index: int) -> np.ndarray:
        """Each feature's contribution to the class score (tf-idf value times the class weight
        minus the mean weight over classes), spread evenly over the characters of
        `normalize(text)` that its occurrences cover."""
        spread, columns, values = self._coverage(text)
        if self._mean_coef is None or self._mean_coef.shape[0] != self.coef.shape[1]:
            self._mean_coef = self.coef.mean(axis=0)
        weights = self.coef[class_index, columns] - self._mean_coef[columns]
        chars: np.ndarray = spread @ (values * weights)
        return chars

    def _coverage(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(spread, columns, values): the text's features (tf-idf columns and values) and a
        (characters x features) matrix whose column f holds 1/width_f on every character of
        `normalize(text)` that feature f's occurrences cover. Kept for the last text, since an
        explanation asks once per label."""
        cached = self._last_coverage
        if cached is not None and cached[0] == text:
            return cached[1]
        from medsage.text import token_spans

        norm = normalize(text)
        prepared = _prepare(text)
        if len(prepared) != len(norm):  # lower() changed the length (rare letters)
            prepared = "".join(c.lower() if len(c.lower()) == 1 else c for c in norm)
        row = self.transform([text]).tocsr()
        n_char = len(self.vocab_char)
        lengths = {len(self.vocab_char[c]) for c in row.indices if c < n_char}
        starts: dict[str, list[int]] = {}
        for n in lengths:  # every occurrence of every n-gram, found in one pass per length
            for i in range(len(prepared) - n + 1):
                starts.setdefault(prepared[i : i + n], []).append(i)
        spans = token_spans(norm)
        tokens = [prepared[a:b] for a, b in spans]
        columns, values, cover = [], [], []
        for column, value in zip(row.indices, row.data, strict=True):
            if column < n_char:
                gram = self.vocab_char[column]
                covered = [(i, i + len(gram)) for i in starts.get(gram, [])]
            else:
                parts = self.vocab_word[column - n_char].split(" ")
                covered = [
                    (spans[i][0], spans[i + len(parts) - 1][1])
                    for i in range(len(tokens) - len(parts) + 1)
                    if tokens[i : i + len(parts)] == parts
                ]
            if covered:
                columns.append(int(column))
                values.append(float(value))
                cover.append(covered)
        spread = np.zeros((len(norm), len(columns)), dtype=np.float64)
        for f, covered in enumerate(cover):
            width = sum(b - a for a, b in covered)
            for a, b in covered:
                spread[a:b, f] += 1.0 / width
        result = (spread, np.asarray(columns, dtype=np.int64), np.asarray(values))
        self._last_coverage = (text, result)
        return result

    # -- persistence ----------------------------------------------------------------------
    def write(self, folder: Path) -> None:
        """Write the learned arrays and vocabularies into `folder`."""
        for name, array in (("idf", self.idf), ("coef", self.coef), ("intercept", self.intercept)):
            np.save(folder / f"{name}.npy", np.ascontiguousarray(array, dtype=np.float64))
        for name, table in (("vocab_char", self.vocab_char), ("vocab_word", self.vocab_word)):
            (folder / f"{name}.json").write_text(
                json.dumps(table, ensure_ascii=False), encoding="utf-8"
            )

    @classmethod
    def read(cls, settings: TfidfSettings, folder: Path) -> TfidfBackend:
        """Rebuild a fitted backend from the files `write` produced."""
        backend = cls(settings)
        backend.idf = load_array(folder / "idf.npy")
        backend.coef = load_array(folder / "coef.npy")
        backend.intercept = load_array(folder / "intercept.npy")
        backend.vocab_char = load_json_table(folder / "vocab_char.json")
        backend.vocab_word = load_json_table(folder / "vocab_word.json")
        n_features = len(backend.vocab_char) + len(backend.vocab_word)
        if backend.idf.shape != (n_features,) or backend.coef.shape[1:] != (n_features,):
            raise ModelBundleError(
                f"{folder}: bundle arrays disagree: {n_features} vocabulary entries, "
                f"idf {backend.idf.shape}, coef {backend.coef.shape}"
            )
        return backend

    @property
    def n_classes(self) -> int:
        return int(self.coef.shape[0])


def _vocabulary_list(vectorizer: Any) -> list[str]:
    """The fitted vocabulary as a list ordered by column index."""
    vocab: dict[str, int] = vectorizer.vocabulary_
    ordered = [""] * len(vocab)
    for term, column in vocab.items():
        ordered[column] = term
    return ordered
