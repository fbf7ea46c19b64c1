"""Removing duplicate texts, and reporting duplicates whose labels disagree."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from medsage.datasets._types import TextDataset
from medsage.errors import InvalidInputError

MODES: tuple[str, ...] = ("exact", "normalized")


@dataclass(frozen=True)
class DedupeResult:
    """The deduplicated data set and what was removed.

    `conflicts` lists, per duplicate group whose labels disagree, the first text and the sorted
    distinct labels; the first occurrence (and its label) is the one kept.
    """

    dataset: TextDataset
    n_before: int
    n_removed: int
    n_conflicts: int
    conflicts: list[tuple[str, list[str]]] = field(default_factory=list)


def _exact_key(text: str) -> str:
    return text.strip()


def normalized_key(text: str) -> str:
    """Comparison key: `medsage.text.normalize`, NFKC, casefold, no whitespace or punctuation."""
    from medsage.text import normalize

    folded = unicodedata.normalize("NFKC", normalize(text)).casefold()
    return "".join(
        ch for ch in folded if not ch.isspace() and unicodedata.category(ch)[0] not in "PZ"
    )


def deduplicate(ds: TextDataset, *, mode: str = "exact") -> DedupeResult:
    """Keep the first row of each group of duplicate texts (`exact` or `normalized` comparison).

    `exact` compares texts after stripping surrounding whitespace; `normalized` also folds width
    and case and ignores whitespace and punctuation. Duplicates whose labels disagree are counted
    as conflicts (the first occurrence is kept), never dropped silently.
    """
    keyfunc: Callable[[str], str]
    if mode == "exact":
        keyfunc = _exact_key
    elif mode == "normalized":
        keyfunc = normalized_key
    else:
        raise InvalidInputError(f"unknown dedupe mode {mode!r}; choose one of: {', '.join(MODES)}")
    first_of: dict[str, int] = {}
    labels_of: dict[str, set[str]] = {}
    kept: list[int] = []
    for i, (text, label) in enumerate(zip(ds.texts, ds.labels, strict=True)):
        key = keyfunc(text)
        if key in first_of:
            labels_of[key].add(label)
            continue
        first_of[key] = i
        labels_of[key] = {label}
        kept.append(i)
    conflicts = [
        (ds.texts[first_of[key]], sorted(labels))
        for key, labels in labels_of.items()
        if len(labels) > 1
    ]
    return DedupeResult(
        dataset=ds.subset(kept),
        n_before=len(ds),
        n_removed=len(ds) - len(kept),
        n_conflicts=len(conflicts),
        conflicts=conflicts,
    )
