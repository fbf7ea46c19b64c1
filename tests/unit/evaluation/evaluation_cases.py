"""Small evaluation cases shared by the evaluation tests (imported by conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class HandCase:
    """Four rows, three classes; predictions a, b, a, c against truths a, a, a, b."""

    y_true: list[str]
    proba: npt.NDArray[np.float64]
    classes: list[str]


def make_hand_case() -> HandCase:
    """The hand-computed case (see test_evaluation_metrics.py for the arithmetic)."""
    proba = np.array(
        [
            [0.90, 0.05, 0.05],  # true a, predicted a (conf 0.90) - hit
            [0.20, 0.70, 0.10],  # true a, predicted b (conf 0.70) - miss
            [0.40, 0.35, 0.25],  # true a, predicted a (conf 0.40) - hit
            [0.30, 0.25, 0.45],  # true b, predicted c (conf 0.45) - miss
        ]
    )
    return HandCase(y_true=["a", "a", "a", "b"], proba=proba, classes=["a", "b", "c"])
