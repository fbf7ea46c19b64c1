"""Knowledge-grounded scoring: how often each finding goes with each diagnosis.

A `ConceptProfiles` holds, for every diagnosis label, the smoothed probability that a case or a
description of it mentions each finding concept (from `medsage.text.find_findings`). It is
learnt from labelled texts: training cases, or disease descriptions the user points at (the
symptoms sections of MedQuAD, the DXY disease-symptom table, the user's own JSONL). Concepts are
shared across languages, so Chinese cases can be scored against English descriptions.

Scoring a case is a Bernoulli naive Bayes restricted to what the case says: each finding
present adds log P(concept | label); each finding the case denies adds log(1 - P). Findings
the case does not mention are left out (a short case is not evidence of absence).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medsage.errors import DataFormatError, EmptyInputError, MissingFileError
from medsage.text import Finding, find_findings

FORMAT = "medsage-concept-profiles/1"
_ALPHA = 0.5  # additive smoothing of the Bernoulli rates (Jeffreys prior)


def case_concepts(findings: Iterable[Finding]) -> tuple[set[str], set[str]]:
    """(present, denied) concepts of a case; historical, family and uncertain count as neither."""
    present = {f.concept for f in findings if f.assertion == "present"}
    denied = {f.concept for f in findings if f.assertion == "negated"} - present
    return present, denied


@dataclass
class ConceptProfiles:
    """P(concept | label) for every label, with the counts it was learnt from."""

    labels: list[str]
    counts: dict[str, dict[str, int]]  # label -> concept -> texts mentioning it
    totals: dict[str, int]  # label -> texts
    sources: list[str] = field(default_factory=list)

    @classmethod
    def fit(
        cls, texts: Sequence[str], labels: Sequence[str], *, source: str = "texts"
    ) -> ConceptProfiles:
        """Learn the profiles from labelled texts (cases or descriptions)."""
        if len(texts) != len(labels):
            raise DataFormatError(f"{len(texts)} texts but {len(labels)} labels")
        if not texts:
            raise EmptyInputError("concept profiles need at least one labelled text")
        counts: dict[str, Counter[str]] = {}
        totals: Counter[str] = Counter()
        for text, label in zip(texts, labels, strict=True):
            present, _ = case_concepts(find_findings(text))
            counts.setdefault(label, Counter()).update(present)
            totals[label] += 1
        return cls(
            sorted(totals),
            {k: dict(v) for k, v in sorted(counts.items())},
            dict(sorted(totals.items())),
            [source],
        )

    def merge(self, other: ConceptProfiles) -> ConceptProfiles:
        """Pool the counts of two profile sets (labels are the union)."""
        counts = {k: Counter(v) for k, v in self.counts.items()}
        for label, row in other.counts.items():
            counts.setdefault(label, Counter()).update(row)
        totals = Counter(self.totals) + Counter(other.totals)
        return ConceptProfiles(
            sorted(totals), {k: dict(v) for k, v in sorted(counts.items())},
            dict(sorted(totals.items())), [*self.sources, *other.sources],
        )  # fmt: skip

    def rate(self, label: str, concept: str) -> float:
        """Smoothed P(concept mentioned | label)."""
        seen = self.counts.get(label, {}).get(concept, 0)
        return (seen + _ALPHA) / (self.totals.get(label, 0) + 2 * _ALPHA)

    def log_scores(self, present: set[str], denied: set[str]) -> dict[str, float]:
        """Log-likelihood of the case's findings under each label (uniform prior)."""
        return {
            label: sum(math.log(self.rate(label, c)) for c in present)
            + sum(math.log(1 - self.rate(label, c)) for c in denied)
            for label in self.labels
        }

    def probabilities(self, present: set[str], denied: set[str]) -> dict[str, float]:
        """Posterior over labels given the findings (uniform prior); uniform when none."""
        logs = self.log_scores(present, denied)
        top = max(logs.values())
        weights = {k: math.exp(v - top) for k, v in logs.items()}
        total = sum(weights.values())
        return {k: w / total for k, w in weights.items()}

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "labels": self.labels, "counts": self.counts,
                "totals": self.totals, "sources": self.sources}  # fmt: skip

    def save(self, path: str | Path) -> Path:
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), "utf-8")
        return out

    @classmethod
    def load(cls, path: str | Path) -> ConceptProfiles:
        source = Path(path)
        if not source.is_file():
            raise MissingFileError(f"knowledge file {source} not found")
        try:
            raw = json.loads(source.read_text(encoding="utf-8"))
            if raw.get("format") != FORMAT:
                raise KeyError("format")
            return cls(
                list(raw["labels"]),
                {str(k): {str(c): int(n) for c, n in v.items()} for k, v in raw["counts"].items()},
                {str(k): int(v) for k, v in raw["totals"].items()},
                list(raw.get("sources", [])),
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataFormatError(
                f"{source} is not a MedSage knowledge file ({FORMAT}): {exc}"
            ) from None


def build_knowledge(
    texts: Sequence[str], labels: Sequence[str], *, source: str = "texts"
) -> ConceptProfiles:
    """Concept profiles from labelled cases or disease descriptions (see `ConceptProfiles`)."""
    return ConceptProfiles.fit(texts, labels, source=source)
