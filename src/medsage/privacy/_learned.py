"""A learned PHI recognizer: a token classifier over word, context and rule-vote features.

The hand-written English rules are tuned on the notes their authors read; a classifier trained
on annotated notes learns which of their votes to trust and what they miss. It runs beside the
rules, in the same `Analyzer`, which unions both::

    learned = LearnedRecognizer().fit(dev_notes, type_map=DEFAULT_TYPE_MAP)
    analyzer = Analyzer([*default_recognizers(), learned])

Model: multinomial logistic regression (scikit-learn, L2) over the token features of
`_learned_features` with IO labels, one class per PHI type plus "O". A token is PHI when
P(not O) reaches `threshold`; runs of PHI tokens of one type form a span. With `veto_below`
set, the recognizer also protects (vetoes) a rule span whose tokens all have P(not O) under
`veto_below`, but only for rule recognizers it has seen vote often enough in training. With
`propagate` set, a rare word the model is sure of once is PHI wherever it recurs in the note.

Saved as a MedSage model bundle (`medsage.json` + `vocabulary.json` + `weights.npz`, read with
`allow_pickle=False`); nothing is pickled.
"""

from __future__ import annotations

import bisect
import json
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medsage.datasets import GoldNote
from medsage.errors import EmptyInputError, InvalidInputError, ModelBundleError, NotFittedError
from medsage.privacy._analyzer import DEFAULT_THRESHOLD
from medsage.privacy._en_tokens import is_clinical, is_common
from medsage.privacy._learned_features import (
    FeatureIndex,
    NoteTokens,
    RuleOutput,
    note_tokens,
    run_rules,
    token_features,
)
from medsage.privacy._spans import AGE, DATE, FACILITY, NAME, PHONE, PhiSpan, Protected, Recognizer

BUNDLE_KIND = "deid-learned-recognizer"
OUTSIDE = "O"
# PhysioNet gold types -> the one MedSage type the classifier learns for them. Location holds
# hospitals, towns and streets; in nursing notes most are hospitals, hence FACILITY.
DEFAULT_TYPE_MAP: dict[str, str] = {
    "HCPName": NAME,
    "PTName": NAME,
    "PTNameInitial": NAME,
    "RelativeProxyName": NAME,
    "Date": DATE,
    "DateYear": DATE,
    "Location": FACILITY,
    "Phone": PHONE,
    "Age": AGE,
}
# A rule recognizer may be vetoed only when its spans covered this many training tokens: the
# model cannot judge a rule it has (almost) never seen (e-mail, SSN in nursing notes).
VETO_MIN_TOKENS = 20
# A veto outranks every English rule span (their scores reach 0.95).
VETO_SCORE = 0.95


def english_rules() -> list[Recognizer]:
    """The rule recognizers whose votes are features: every default one that reads English."""
    from medsage.privacy._defaults import default_recognizers

    return [r for r in default_recognizers() if "en" in r.languages]


@dataclass
class EncodedNotes:
    """Notes as feature columns of one `FeatureIndex`, with their tokens, rule outputs, labels."""

    index: FeatureIndex
    texts: list[str]
    tokens: list[NoteTokens]
    rules: list[RuleOutput]
    indptr: list[np.ndarray]
    indices: list[np.ndarray]
    labels: list[list[str]]


def encode_notes(
    notes: Sequence[GoldNote],
    type_map: Mapping[str, str] = DEFAULT_TYPE_MAP,
    recognizers: Sequence[Recognizer] | None = None,
) -> EncodedNotes:
    """Tokens, features and IO labels of annotated notes (gold types outside `type_map`: O)."""
    rules = english_rules() if recognizers is None else list(recognizers)
    encoded = EncodedNotes(FeatureIndex(), [], [], [], [], [], [])
    for note in notes:
        tokens = note_tokens(note.text)
        output = run_rules(rules, note.text)
        indptr, indices = encoded.index.encode(token_features(note.text, tokens, output))
        labels = [OUTSIDE] * len(tokens.starts)
        for start, end, gold in note.spans:
            if gold not in type_map:
                continue
            i = bisect.bisect_right(tokens.ends, start)
            while i < len(labels) and tokens.starts[i] < end:
                labels[i] = type_map[gold]
                i += 1
        encoded.texts.append(note.text)
        encoded.tokens.append(tokens)
        encoded.rules.append(output)
        encoded.indptr.append(indptr)
        encoded.indices.append(indices)
        encoded.labels.append(labels)
    return encoded


class LearnedRecognizer:
    """Finds PHI with a token classifier trained on annotated notes (English).

    Args:
        c: inverse L2 regularisation strength of the logistic regression.
        threshold: a token is PHI when P(not O) is at least this.
        veto_below: when set, rule spans whose tokens all score under it are vetoed.
        propagate: when set, a rare word scoring at least this once is PHI all over the note.
        min_count: features seen fewer times in training are dropped.
        max_iter: L-BFGS iterations.
        seed: passed to scikit-learn (L-BFGS itself is deterministic).
    """

    name = "en_learned"
    languages = frozenset({"en"})

    def __init__(
        self,
        *,
        c: float = 1.0,
        threshold: float = 0.3,
        veto_below: float | None = None,
        propagate: float | None = None,
        min_count: int = 2,
        max_iter: int = 300,
        seed: int = 0,
    ) -> None:
        self.c = c
        self.threshold = threshold
        self.veto_below = veto_below
        self.propagate = propagate
        self.min_count = min_count
        self.max_iter = max_iter
        self.seed = seed
        self._last: tuple[str, NoteTokens, np.ndarray, RuleOutput] | None = None

    # --- training -------------------------------------------------------------------------

    def fit(
        self, notes: Sequence[GoldNote], type_map: Mapping[str, str] = DEFAULT_TYPE_MAP
    ) -> LearnedRecognizer:
        """Train on annotated notes; `type_map` maps gold types to MedSage PHI types."""
        if not notes:
            raise EmptyInputError("fit needs at least one annotated note, got none")
        encoded = encode_notes(notes, type_map)
        return self.fit_encoded(encoded, range(len(notes)))

    def fit_encoded(self, encoded: EncodedNotes, rows: Sequence[int]) -> LearnedRecognizer:
        """Train on the notes `rows` of an `encode_notes` result (for cross-validation)."""
        from scipy.sparse import csr_matrix
        from sklearn.linear_model import LogisticRegression

        self._check_settings()
        rows = list(rows)
        labels = [label for r in rows for label in encoded.labels[r]]
        found = sorted(set(labels) - {OUTSIDE})
        if not found:
            raise EmptyInputError("the training notes hold no PHI of a type in type_map")
        classes = [OUTSIDE, *found]
        counts = np.bincount(
            np.concatenate([encoded.indices[r] for r in rows]), minlength=len(encoded.index)
        )
        keep = np.flatnonzero(counts >= self.min_count)
        remap = np.full(len(encoded.index), -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        indptr, indices = _stack(
            [encoded.indptr[r] for r in rows], [encoded.indices[r] for r in rows]
        )
        indptr, cols = _select_columns(indptr, remap[indices])
        x = csr_matrix(
            (np.ones(len(cols), dtype=np.float64), cols, indptr), shape=(len(labels), len(keep))
        )
        y = np.asarray([classes.index(label) for label in labels])
        model = LogisticRegression(C=self.c, max_iter=self.max_iter, random_state=self.seed)
        model.fit(x, y)
        names = encoded.index.names()
        self.classes_ = classes
        self.vocabulary_ = [names[k] for k in keep]
        self.coef_ = np.ascontiguousarray(model.coef_.T, dtype=np.float32)
        self.intercept_ = np.asarray(model.intercept_, dtype=np.float32)
        self.vetoable_ = _vetoable(
            [encoded.rules[r] for r in rows], [encoded.tokens[r] for r in rows]
        )
        self._columns = {name: k for k, name in enumerate(self.vocabulary_)}
        self._rules = english_rules()
        self._last = None
        return self

    def _check_settings(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise InvalidInputError(f"threshold must be in (0, 1), got {self.threshold}")
        if self.veto_below is not None and not 0.0 < self.veto_below <= self.threshold:
            raise InvalidInputError(
                f"veto_below must be in (0, threshold={self.threshold}] or None, "
                f"got {self.veto_below}"
            )
        if self.propagate is not None and not self.threshold <= self.propagate < 1.0:
            raise InvalidInputError(
                f"propagate must be in [threshold={self.threshold}, 1) or None, "
                f"got {self.propagate}"
            )
        if self.c <= 0 or self.min_count < 1 or self.max_iter < 1:
            raise InvalidInputError(
                f"c must be > 0, min_count and max_iter >= 1; got c={self.c}, "
                f"min_count={self.min_count}, max_iter={self.max_iter}"
            )

    # --- prediction ------------------------------------------------------------------------

    def _fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError("LearnedRecognizer is not fitted: call fit() or load() first")

    def _probabilities(self, indptr: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Class probabilities of each token from its feature columns."""
        gathered = np.zeros((len(cols) + 1, self.coef_.shape[1]), dtype=np.float64)
        np.cumsum(self.coef_[cols], axis=0, out=gathered[1:])
        scores = gathered[indptr[1:]] - gathered[indptr[:-1]] + self.intercept_
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        probs: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return probs

    def token_probabilities(
        self, text: str, rules: RuleOutput | None = None
    ) -> tuple[NoteTokens, np.ndarray, RuleOutput]:
        """Tokens of `text`, their class probabilities (columns: `classes_`) and the rule output."""
        self._fitted()
        last = self._last
        if rules is None and last is not None and last[0] == text:
            return last[1], last[2], last[3]
        tokens = note_tokens(text)
        output = run_rules(self._rules, text) if rules is None else rules
        index = FeatureIndex.__new__(FeatureIndex)
        index.columns, index.frozen = self._columns, True
        indptr, cols = index.encode(token_features(text, tokens, output))
        probs = self._probabilities(indptr, cols)
        self._last = (text, tokens, probs, output)
        return tokens, probs, output

    def predict_encoded(self, encoded: EncodedNotes, rows: Sequence[int]) -> list[np.ndarray]:
        """Class probabilities of the tokens of encoded notes (same result as on their text)."""
        self._fitted()
        remap = np.full(len(encoded.index), -1, dtype=np.int64)
        for k, name in enumerate(self.vocabulary_):
            column = encoded.index.columns.get(name)
            if column is not None:
                remap[column] = k
        out = []
        for r in rows:
            indptr, cols = _select_columns(encoded.indptr[r], remap[encoded.indices[r]])
            out.append(self._probabilities(indptr, cols))
        return out

    def find(self, text: str) -> list[PhiSpan]:
        tokens, probs, output = self.token_probabilities(text)
        return phi_spans(
            text,
            tokens,
            probs,
            self.classes_,
            self.threshold,
            self.name,
            output.spans,
            self.propagate,
        )

    def protect(self, text: str) -> list[Protected]:
        if self.veto_below is None:
            return []
        tokens, probs, output = self.token_probabilities(text)
        return veto_ranges(tokens, probs, output.spans, self.veto_below, self.vetoable_)

    # --- bundle ----------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        return {
            "c": self.c,
            "threshold": self.threshold,
            "veto_below": self.veto_below,
            "propagate": self.propagate,
            "min_count": self.min_count,
            "max_iter": self.max_iter,
            "seed": self.seed,
        }

    def save(self, folder: str | Path, *, meta: Mapping[str, Any] | None = None) -> Path:
        """Write a model bundle folder (replacing a bundle already there)."""
        from medsage.models._bundle import save_bundle

        self._fitted()

        def write(tmp: Path) -> None:
            (tmp / "vocabulary.json").write_text(
                json.dumps(self.vocabulary_, ensure_ascii=False), encoding="utf-8"
            )
            np.savez(tmp / "weights.npz", coef=self.coef_, intercept=self.intercept_)

        info = {
            "class": type(self).__name__,
            "settings": self.settings(),
            "labels": self.classes_,
            "rules": [r.name for r in self._rules],
            "vetoable": self.vetoable_,
            **(meta or {}),
        }
        return save_bundle(folder, kind=BUNDLE_KIND, meta=info, write_files=write)

    @classmethod
    def load(cls, folder: str | Path) -> LearnedRecognizer:
        """Read a bundle written by `save`; raises ModelBundleError if it is missing or corrupt."""
        from medsage.models._bundle import load_json_table, read_manifest

        path = Path(folder)
        if not path.is_dir():
            raise ModelBundleError(
                f"model folder {path} does not exist; train one with benchmarks/deid_learned.py"
            )
        manifest = read_manifest(path, expected_kind=BUNDLE_KIND)
        try:
            settings = dict(manifest["settings"])
            classes = [str(c) for c in manifest["labels"]]
            rule_names = [str(r) for r in manifest["rules"]]
            vetoable = [str(r) for r in manifest["vetoable"]]
            model = cls(**settings)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelBundleError(
                f"{path}/medsage.json lacks or garbles settings, labels, rules, vetoable ({exc})"
            ) from None
        vocabulary = load_json_table(path / "vocabulary.json")
        try:
            with np.load(path / "weights.npz", allow_pickle=False) as weights:
                coef = np.asarray(weights["coef"], dtype=np.float32)
                intercept = np.asarray(weights["intercept"], dtype=np.float32)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise ModelBundleError(f"{path / 'weights.npz'} could not be read ({exc})") from None
        if coef.shape != (len(vocabulary), len(classes)) or intercept.shape != (len(classes),):
            raise ModelBundleError(
                f"{path}: bundle arrays disagree: {len(vocabulary)} features and "
                f"{len(classes)} labels, but coef {coef.shape} and intercept {intercept.shape}"
            )
        rules = {r.name: r for r in english_rules()}
        unknown = [name for name in rule_names if name not in rules]
        if unknown:
            raise ModelBundleError(
                f"{path} was trained with rule recognizers this MedSage lacks: {unknown}"
            )
        model.classes_ = classes
        model.vocabulary_ = vocabulary
        model.coef_ = coef
        model.intercept_ = intercept
        model.vetoable_ = vetoable
        model._columns = {name: k for k, name in enumerate(vocabulary)}
        model._rules = [rules[name] for name in rule_names]
        return model


def phi_spans(
    text: str,
    tokens: NoteTokens,
    probs: np.ndarray,
    classes: Sequence[str],
    threshold: float,
    recognizer: str,
    rule_spans: Sequence[PhiSpan] = (),
    propagate: float | None = None,
) -> list[PhiSpan]:
    """Spans of consecutive PHI tokens of one type (a line break or a type change ends one).

    A span's score is its highest token P(not O), lifted linearly from [threshold, 1] onto
    [DEFAULT_THRESHOLD, 1] so that the `Analyzer` keeps what the model decided to keep. A span
    that overlaps `rule_spans` takes the type of the one it overlaps most: the `Analyzer` then
    merges the two (same type) instead of letting one evict the other (across types it drops
    a loser that is half covered, which could leave part of the PHI unmasked).

    With `propagate`, a word that is no common English or clinical word and scores at least
    `propagate` somewhere in the note is PHI wherever it occurs in the note ("GH" in "referred
    to GH" once the model is sure of "transferred to GH").
    """
    phi = 1.0 - probs[:, 0]
    best = 1 + np.argmax(probs[:, 1:], axis=1)
    if propagate is not None:
        phi, best = _propagate(text, tokens, phi, best, propagate)
    out: list[PhiSpan] = []
    run: list[int] = []

    def close() -> None:
        # trim punctuation at either end: "Dr. Smith." is "Smith"
        alnum = [i for i in run if tokens.kinds[i] != "p"]
        if alnum:
            p = float(phi[alnum].max())
            score = DEFAULT_THRESHOLD + (1 - DEFAULT_THRESHOLD) * (p - threshold) / (1 - threshold)
            score = min(1.0, max(DEFAULT_THRESHOLD, score))
            start, end = tokens.starts[alnum[0]], tokens.ends[alnum[-1]]
            cls = _rule_type(rule_spans, start, end) or classes[int(best[alnum[0]])]
            out.append(PhiSpan(start, end, cls, score, recognizer))
        run.clear()

    for i in np.flatnonzero(phi >= threshold).tolist():
        if run:
            prev = run[-1]
            joined = prev == i - 1 and "\n" not in text[tokens.ends[prev] : tokens.starts[i]]
            if not joined or best[i] != best[prev]:
                close()
        run.append(i)
    if run:
        close()
    return out


def _propagate(
    text: str, tokens: NoteTokens, phi: np.ndarray, best: np.ndarray, bar: float
) -> tuple[np.ndarray, np.ndarray]:
    """Give every occurrence of a rare word the highest P(not O) it has in the note (>= bar)."""
    sure: dict[str, int] = {}
    occurrences: dict[str, list[int]] = {}
    for i in np.flatnonzero(phi >= bar).tolist():
        if tokens.kinds[i] != "a":
            continue
        word = text[tokens.starts[i] : tokens.ends[i]].lower()
        if len(word) < 2 or is_common(word) or is_clinical(word):
            continue
        if word not in sure or phi[i] > phi[sure[word]]:
            sure[word] = i
    if not sure:
        return phi, best
    for i, kind in enumerate(tokens.kinds):
        if kind == "a":
            word = text[tokens.starts[i] : tokens.ends[i]].lower()
            if word in sure:
                occurrences.setdefault(word, []).append(i)
    phi, best = phi.copy(), best.copy()
    for word, source in sure.items():
        for i in occurrences[word]:
            if phi[i] < phi[source]:
                phi[i], best[i] = phi[source], best[source]
    return phi, best


def _rule_type(rule_spans: Sequence[PhiSpan], start: int, end: int) -> str | None:
    best, most = None, 0
    for span in rule_spans:
        overlap = min(end, span.end) - max(start, span.start)
        if overlap > most:
            best, most = span.type, overlap
    return best


def veto_ranges(
    tokens: NoteTokens,
    probs: np.ndarray,
    rule_spans: Sequence[PhiSpan],
    veto_below: float,
    vetoable: Sequence[str],
) -> list[Protected]:
    """Protected ranges over the rule spans the model disbelieves (every token under the bar)."""
    phi = 1.0 - probs[:, 0]
    allowed = frozenset(vetoable)
    out = []
    for span in rule_spans:
        if span.recognizer not in allowed:
            continue
        a = bisect.bisect_right(tokens.ends, span.start)
        b = bisect.bisect_left(tokens.starts, span.end)
        if b > a and float(phi[a:b].max()) < veto_below:
            out.append(Protected(span.start, span.end, VETO_SCORE, "learned: unlikely PHI"))
    return out


def _vetoable(rules: Sequence[RuleOutput], tokens: Sequence[NoteTokens]) -> list[str]:
    covered: Counter[str] = Counter()
    for output, toks in zip(rules, tokens, strict=True):
        for span in output.spans:
            a = bisect.bisect_right(toks.ends, span.start)
            b = bisect.bisect_left(toks.starts, span.end)
            covered[span.recognizer] += max(0, b - a)
    return sorted(name for name, n in covered.items() if n >= VETO_MIN_TOKENS)


def _stack(
    indptrs: Sequence[np.ndarray], indices: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """One CSR structure from several notes' (indptr, indices)."""
    offsets = np.cumsum([0] + [len(i) for i in indices])
    parts = [np.zeros(1, dtype=np.int64)]
    parts += [p[1:] + off for p, off in zip(indptrs, offsets, strict=False)]
    return np.concatenate(parts), np.concatenate(list(indices))


def _select_columns(indptr: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop the entries whose column is -1 and fix `indptr` to match."""
    valid = cols >= 0
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    per_row = np.bincount(rows[valid], minlength=len(indptr) - 1)
    new_indptr = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(per_row)])
    return new_indptr, cols[valid]
