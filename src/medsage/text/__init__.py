"""Clinical text preparation for Chinese and English: normalise, split, segment, measure."""

from __future__ import annotations

from medsage.text._assertion import Assertion, assert_span
from medsage.text._findings import Finding, find_findings
from medsage.text._language import detect_language
from medsage.text._measurements import Measurement, find_measurements
from medsage.text._normalize import normalize
from medsage.text._segment import segment_words, token_spans, tokenize
from medsage.text._sentences import sentence_spans, split_sentences

__all__ = [
    "Assertion",
    "Finding",
    "Measurement",
    "assert_span",
    "detect_language",
    "find_findings",
    "find_measurements",
    "normalize",
    "segment_words",
    "sentence_spans",
    "split_sentences",
    "token_spans",
    "tokenize",
]
