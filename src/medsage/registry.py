"""Small named registries (one per family), after chemprop's `ClassRegistry`.

The CLI builds its choices from a registry, so it can never offer a name the library lacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from medsage.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """A mapping from alias to an object (usually a class), filled with `@register(alias)`."""

    def __init__(self, family: str) -> None:
        self.family = family
        self._items: dict[str, T] = {}

    def register(self, alias: str) -> Callable[[T], T]:
        def decorator(item: T) -> T:
            if alias in self._items:
                raise ValueError(f"{self.family} {alias!r} is registered twice")
            self._items[alias] = item
            return item

        return decorator

    def get(self, alias: str) -> T:
        try:
            return self._items[alias]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise UnknownNameError(
                f"unknown {self.family} {alias!r}; choose one of: {known}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, alias: object) -> bool:
        return alias in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))
