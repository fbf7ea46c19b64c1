"""The in-memory form of a labelled text data set."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TextDataset:
    """Texts with one label each, optional subgroup per row, and where they came from.

    Rows keep the order of the source file. `groups` (for subgroup metrics) is `None` or has one
    entry per text.
    """

    texts: list[str]
    labels: list[str]
    groups: list[str] | None = None
    name: str = ""
    ids: list[str] | None = field(default=None)

    def __post_init__(self) -> None:
        n = len(self.texts)
        for what, column in (("labels", self.labels), ("groups", self.groups), ("ids", self.ids)):
            if column is not None and len(column) != n:
                raise ValueError(f"{what} has {len(column)} entries but texts has {n}")

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def label_counts(self) -> dict[str, int]:
        """Rows per label, most frequent first (ties by label)."""
        counts = Counter(self.labels)
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def subset(self, indices: Sequence[int], name: str | None = None) -> TextDataset:
        """Rows at `indices`, in that order."""
        return TextDataset(
            texts=[self.texts[i] for i in indices],
            labels=[self.labels[i] for i in indices],
            groups=None if self.groups is None else [self.groups[i] for i in indices],
            name=self.name if name is None else name,
            ids=None if self.ids is None else [self.ids[i] for i in indices],
        )
