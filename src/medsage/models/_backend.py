"""What a text-classification backend provides, and the registry of backends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

from medsage.errors import InvalidInputError
from medsage.registry import Registry

Progress = Callable[[str], None]


def no_progress(_: str) -> None:
    """A progress callback that shows nothing."""


class BackendSettings(Protocol):
    """Hyper-parameters of a backend; saved in the bundle to rebuild it."""

    def to_dict(self) -> dict[str, Any]: ...


class ClassifierBackend(Protocol):
    """A backend turns texts into class scores; `TextClassifier` does the rest."""

    name: ClassVar[str]
    # True when refits are cheap enough to calibrate on out-of-fold training scores.
    cv_calibration: ClassVar[bool]

    def fit(
        self,
        texts: list[str],
        y: np.ndarray,
        n_classes: int,
        seed: int,
        *,
        dev: tuple[list[str], np.ndarray] | None = None,
        progress: Progress | None = None,
    ) -> None: ...

    def decision_function(self, texts: list[str]) -> np.ndarray: ...

    def known_word_share(self, texts: list[str]) -> list[float | None]: ...

    def write(self, folder: Path) -> None: ...

    @property
    def n_classes(self) -> int: ...


# Name -> backend class. A class provides `settings_from_dict(values)` (classmethod), is built
# from those settings, and `read(settings, folder)` (classmethod) rebuilds a fitted instance.
BACKENDS: Registry[Any] = Registry("classifier backend")


def check_setting_names(family: str, values: dict[str, Any], known: set[str]) -> None:
    """Refuse settings a backend does not have, naming those it does."""
    unknown = sorted(set(values) - known)
    if unknown:
        raise InvalidInputError(
            f"unknown {family} setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
