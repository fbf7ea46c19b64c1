"""De-identification of clinical text in Chinese and English.

Analysis finds `PhiSpan`s with recognizers (patterns, context words, dictionaries, validation;
package data under `medsage/resources/privacy/`); anonymisation rewrites the text with one
operator per PHI type. `Deidentifier` puts both together.
"""

from __future__ import annotations

from medsage.privacy._analyzer import Analyzer, resolve_overlaps, text_languages
from medsage.privacy._defaults import default_analyzer, default_recognizers
from medsage.privacy._deidentifier import Deidentifier, DeidResult
from medsage.privacy._evaluate import (
    PHYSIONET_TYPES,
    DeidEvaluation,
    Missed,
    evaluate_deid,
    physionet_split,
)
from medsage.privacy._operators import OPERATORS, decrypt_text, generate_key
from medsage.privacy._spans import PHI_TYPES, PhiSpan, Protected, Recognizer

__all__ = [
    "OPERATORS",
    "PHI_TYPES",
    "PHYSIONET_TYPES",
    "Analyzer",
    "DeidEvaluation",
    "DeidResult",
    "Deidentifier",
    "Missed",
    "PhiSpan",
    "Protected",
    "Recognizer",
    "decrypt_text",
    "default_analyzer",
    "default_recognizers",
    "evaluate_deid",
    "generate_key",
    "physionet_split",
    "resolve_overlaps",
    "text_languages",
]
