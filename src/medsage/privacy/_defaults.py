"""The default recognizer set and analyzer."""

from __future__ import annotations

import functools

from medsage.privacy._analyzer import DEFAULT_THRESHOLD, Analyzer
from medsage.privacy._spans import Recognizer


def default_recognizers() -> list[Recognizer]:
    """Every built-in recognizer: language-neutral, English and Chinese."""
    from medsage.privacy import _recognizers_common, _recognizers_en, _recognizers_zh

    return [
        *_recognizers_common.RECOGNIZERS,
        *_recognizers_en.RECOGNIZERS,
        *_recognizers_zh.RECOGNIZERS,
    ]


@functools.cache
def default_analyzer(threshold: float = DEFAULT_THRESHOLD) -> Analyzer:
    """An `Analyzer` over `default_recognizers()` (built once per threshold)."""
    return Analyzer(default_recognizers(), threshold=threshold)
