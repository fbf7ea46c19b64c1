"""CHIP-CDN scoring: micro precision, recall and F1 over the predicted sets of standard names.

CBLUE scores CHIP-CDN (clinical diagnosis normalisation) with micro F1: every (term, standard
name) pair counts once, a predicted name is right when the gold set of that term holds it, and
precision, recall and F1 are pooled over all terms (Zhang et al., "CBLUE", ACL 2022, section 3;
the `##`-joined `normalized_result` format of the task's README and example files).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from medsage.errors import InvalidInputError

#: Separator of several standard names in one CHIP-CDN `normalized_result` field.
NAME_SEPARATOR = "##"

NameSets = Sequence[str | Sequence[str]]


@dataclass(frozen=True)
class CdnScores:
    """Micro precision, recall and F1 over (term, standard name) pairs, plus exact-set accuracy."""

    precision: float
    recall: float
    f1: float
    exact_set_accuracy: float
    n_terms: int
    n_gold: int
    n_predicted: int
    n_correct: int

    def to_dict(self) -> dict[str, float | int]:
        """The scores as a plain dict (JSON-ready)."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "exact_set_accuracy": self.exact_set_accuracy,
            "n_terms": self.n_terms,
            "n_gold": self.n_gold,
            "n_predicted": self.n_predicted,
            "n_correct": self.n_correct,
        }


def split_names(value: str | Sequence[str]) -> list[str]:
    """The standard names of one answer: a `##`-joined string or a sequence of names.

    Names are stripped, empty pieces dropped and duplicates removed (first one kept), since the
    task scores a set.
    """
    pieces = value.split(NAME_SEPARATOR) if isinstance(value, str) else list(value)
    out: list[str] = []
    for piece in pieces:
        if not isinstance(piece, str):
            raise InvalidInputError(
                f"a standard name must be a str, got {type(piece).__name__}: {piece!r}"
            )
        name = piece.strip()
        if name and name not in out:
            out.append(name)
    return out


def cdn_scores(gold: NameSets, predicted: NameSets) -> CdnScores:
    """Score predicted standard-name sets against gold ones, as CBLUE scores CHIP-CDN.

    Args:
        gold: one answer per term, a `##`-joined string or a sequence of names.
        predicted: the predictions, in the same order and form (an empty answer is allowed).

    Returns:
        Micro precision, recall and F1 (0.0 where the denominator is 0) and the share of terms
        whose predicted set equals the gold set.
    """
    if isinstance(gold, str) or isinstance(predicted, str):
        raise InvalidInputError(
            "gold and predicted must be sequences of answers (one per term), not one str"
        )
    if len(gold) != len(predicted):
        raise InvalidInputError(
            f"gold has {len(gold)} answers but predicted has {len(predicted)}; "
            "give one predicted answer per gold answer, in the same order"
        )
    if not gold:
        raise InvalidInputError("no answers to score; give at least one gold answer")
    n_gold = n_pred = n_correct = n_exact = 0
    for g, p in zip(gold, predicted, strict=True):
        g_set, p_set = set(split_names(g)), set(split_names(p))
        n_gold += len(g_set)
        n_pred += len(p_set)
        n_correct += len(g_set & p_set)
        n_exact += int(g_set == p_set)
    precision = n_correct / n_pred if n_pred else 0.0
    recall = n_correct / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return CdnScores(
        precision=precision,
        recall=recall,
        f1=f1,
        exact_set_accuracy=n_exact / len(gold),
        n_terms=len(gold),
        n_gold=n_gold,
        n_predicted=n_pred,
        n_correct=n_correct,
    )
