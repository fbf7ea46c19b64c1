"""`Deidentifier`: analysis plus anonymisation with one operator per PHI type."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medsage.errors import InvalidInputError
from medsage.privacy._analyzer import DEFAULT_THRESHOLD, LANGS, Analyzer
from medsage.privacy._operators import (
    OPERATOR_FUNCTIONS,
    OPERATORS,
    OperatorContext,
    check_key,
)
from medsage.privacy._spans import PHI_TYPES, PhiSpan, Recognizer

MAX_TEXT_CHARS = 5_000_000  # one note; larger inputs should be split into notes


@dataclass(frozen=True)
class DeidResult:
    """The de-identified `text` and the PHI `spans` found (offsets into the original text).

    `replacements[i]` is what `spans[i]` became. Neither field holds the original PHI.
    """

    text: str
    spans: tuple[PhiSpan, ...]
    replacements: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "spans": [
                {**span.to_dict(), "replacement": new}
                for span, new in zip(self.spans, self.replacements, strict=True)
            ],
        }


class Deidentifier:
    """Finds PHI in clinical text (zh and en) and rewrites it.

    Args:
        lang: "auto" (per text), "en" or "zh": which recognizers run.
        operators: one operator for every type ("tag", "mask", "redact", "surrogate", "hash",
            "encrypt"), or a mapping PHI type -> operator with an optional "default" entry.
        secret: keys the `surrogate` and `hash` operators (same secret, same replacements,
            across runs and machines). None draws a random one: consistent within this object
            only.
        key: 16/24/32-byte AES key for the `encrypt` operator (`generate_key()`).
        threshold: minimum recognizer score to keep a span.
        recognizers: replaces the built-in recognizer set.
        model: a learned recognizer folder (`medsage.privacy._learned`, trained on annotated
            notes) that runs beside the recognizers; its spans are added to theirs.

    >>> deid = Deidentifier(operators="tag")
    >>> deid.anonymize("Pt Mary Hughes seen by Dr. Rossi on 3/12/2024, call 617-555-0142.").text
    'Pt [NAME] seen by Dr. [NAME] on [DATE], call [PHONE].'
    """

    def __init__(
        self,
        lang: str = "auto",
        operators: str | Mapping[str, str] = "tag",
        *,
        secret: bytes | str | None = None,
        key: bytes | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        recognizers: Sequence[Recognizer] | None = None,
        model: str | Path | None = None,
    ) -> None:
        if lang not in LANGS:
            raise InvalidInputError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
        self.lang = lang
        self.operators = _operator_table(operators)
        if "encrypt" in self.operators.values():
            if key is None:
                raise InvalidInputError(
                    "the encrypt operator needs a key: Deidentifier(key=generate_key()) or "
                    "medsage deid --key-file FILE"
                )
            check_key(key)
        self.key = key
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        if secret is not None and len(secret) < 16:
            raise InvalidInputError("a secret must be at least 16 bytes long")
        self.secret = secret if secret is not None else os.urandom(32)
        self.threshold = threshold
        if recognizers is None:
            from medsage.privacy._defaults import default_recognizers

            recognizers = default_recognizers()
        if model is not None:
            from medsage.privacy._learned import LearnedRecognizer

            recognizers = [*recognizers, LearnedRecognizer.load(model)]
        self.analyzer = Analyzer(recognizers, threshold=threshold)

    def analyze(self, text: str) -> list[PhiSpan]:
        """The PHI spans of `text`, sorted and non-overlapping."""
        return self.analyzer.analyze(_check_text(text), self.lang)

    def anonymize(self, text: str, *, patient_id: str | None = None) -> DeidResult:
        """`text` with every PHI span rewritten by its type's operator.

        `patient_id` ties surrogates and date shifts to a patient across documents; without
        it, they are consistent across every document handled with the same secret.
        """
        spans = self.analyze(text)
        ctx = OperatorContext(self.secret, self.key, patient_id or "")
        pieces: list[str] = []
        replacements: list[str] = []
        cursor = 0
        for span in spans:
            original = text[span.start : span.end]
            new = OPERATOR_FUNCTIONS[self.operators[span.type]](span, original, ctx)
            pieces.append(text[cursor : span.start])
            pieces.append(new)
            replacements.append(new)
            cursor = span.end
        pieces.append(text[cursor:])
        return DeidResult("".join(pieces), tuple(spans), tuple(replacements))


def _operator_table(operators: str | Mapping[str, str]) -> dict[str, str]:
    table = {"default": operators} if isinstance(operators, str) else dict(operators)
    unknown_types = set(table) - set(PHI_TYPES) - {"default"}
    if unknown_types:
        raise InvalidInputError(
            f"unknown PHI type(s) {sorted(unknown_types)} in operators; "
            f"known: {', '.join(PHI_TYPES)}, default"
        )
    for name in table.values():
        if name not in OPERATORS:
            raise InvalidInputError(
                f"unknown operator {name!r}; choose from {', '.join(OPERATORS)}"
            )
    default = table.get("default", "tag")
    return {phi: table.get(phi, default) for phi in PHI_TYPES}


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise InvalidInputError(f"expected a str, got {type(text).__name__}")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInputError(
            f"a text of {len(text):,} characters is over the {MAX_TEXT_CHARS:,} limit for one "
            "note; split it into notes (one per line of a JSONL file) and use --input"
        )
    return text
