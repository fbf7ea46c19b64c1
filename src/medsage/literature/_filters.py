"""Metadata filters (year range, journal, source prefix, publication type, language) as masks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from medsage.errors import InvalidInputError
from medsage.literature._documents import Document

MISSING_YEAR = -1


@dataclass(frozen=True)
class SearchFilters:
    """Which documents a search may return; empty fields do not filter.

    Journals, publication types and languages match case-insensitively and exactly; sources
    match by prefix ("medquad" keeps "medquad:CancerGov"). A year bound drops documents
    without a year.
    """

    year_min: int | None = None
    year_max: int | None = None
    journals: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    @classmethod
    def from_value(cls, value: SearchFilters | Mapping[str, Any] | None) -> SearchFilters | None:
        """Accept filters as this class, a mapping of its fields, or None.

        A mapping may also say `year` (one year or a (min, max) pair) and use singular names
        (`journal`, `source`, `publication_type`, `language`) with one string or a list.
        """
        if value is None or isinstance(value, SearchFilters):
            return value
        if not isinstance(value, Mapping):
            raise InvalidInputError(
                f"filters must be SearchFilters, a dict or None, got {type(value).__name__}"
            )
        known = {f.name for f in fields(cls)}
        raw: dict[str, Any] = {}
        for key, item in value.items():
            if item is None:
                continue
            if key == "year":
                low, high = (item, item) if isinstance(item, int) else tuple(item)
                raw["year_min"], raw["year_max"] = low, high
            elif key in known:
                raw[key] = item
            elif f"{key}s" in known:
                raw[f"{key}s"] = item
            else:
                raise InvalidInputError(
                    f"unknown filter {key!r}; expected one of year, {', '.join(sorted(known))}"
                )
        for key in ("journals", "sources", "publication_types", "languages"):
            if key in raw:
                items = raw[key]
                raw[key] = (items,) if isinstance(items, str) else tuple(str(i) for i in items)
        for key in ("year_min", "year_max"):
            if key in raw and raw[key] is not None:
                try:
                    raw[key] = int(raw[key])
                except (TypeError, ValueError):
                    raise InvalidInputError(
                        f"filter {key} must be a year, got {raw[key]!r}"
                    ) from None
        return cls(**raw)

    def is_empty(self) -> bool:
        return self == SearchFilters()


class MetadataColumns:
    """Per-slot metadata as integer codes, so a filter is a few vectorised comparisons."""

    def __init__(self) -> None:
        self._years: list[int] = []
        self._codes: dict[str, list[int]] = {"journal": [], "source": [], "language": []}
        self._tables: dict[str, dict[str, int]] = {
            "journal": {},
            "source": {},
            "language": {},
            "publication_type": {},
        }
        self._type_slots: list[int] = []
        self._type_codes: list[int] = []
        self._arrays: dict[str, NDArray[np.int64]] | None = None

    def append(self, documents: Sequence[Document]) -> None:
        """Add one slot per document, after the existing slots."""
        for doc in documents:
            slot = len(self._years)
            self._years.append(MISSING_YEAR if doc.year is None else int(doc.year))
            self._codes["journal"].append(self._code("journal", doc.journal))
            self._codes["source"].append(self._code("source", doc.source))
            self._codes["language"].append(self._code("language", doc.language))
            for kind in dict.fromkeys(doc.publication_types):
                self._type_slots.append(slot)
                self._type_codes.append(self._code("publication_type", kind))
        self._arrays = None

    def _code(self, column: str, value: str) -> int:
        table = self._tables[column]
        return table.setdefault(value.strip().casefold(), len(table))

    def _columns(self) -> dict[str, NDArray[np.int64]]:
        if self._arrays is None:
            self._arrays = {
                "year": np.asarray(self._years, dtype=np.int64),
                "type_slots": np.asarray(self._type_slots, dtype=np.int64),
                "type_codes": np.asarray(self._type_codes, dtype=np.int64),
            } | {name: np.asarray(codes, dtype=np.int64) for name, codes in self._codes.items()}
        return self._arrays

    def mask(self, filters: SearchFilters) -> NDArray[np.bool_]:
        """True for each slot that passes `filters`."""
        cols = self._columns()
        year = cols["year"]
        keep = np.ones(year.shape[0], dtype=bool)
        if filters.year_min is not None:
            keep &= year >= filters.year_min
        if filters.year_max is not None:
            keep &= (year <= filters.year_max) & (year != MISSING_YEAR)
        wanted = {
            "journal": self._exact("journal", filters.journals),
            "language": self._exact("language", filters.languages),
            "source": self._prefix("source", filters.sources),
        }
        for column, codes in wanted.items():
            if codes is not None:
                keep &= np.isin(cols[column], codes)
        types = self._exact("publication_type", filters.publication_types)
        if types is not None:
            has_type = np.zeros(keep.shape[0], dtype=bool)
            has_type[cols["type_slots"][np.isin(cols["type_codes"], types)]] = True
            keep &= has_type
        return keep

    def _exact(self, column: str, values: tuple[str, ...]) -> list[int] | None:
        if not values:
            return None
        table = self._tables[column]
        return [table[v] for v in (x.strip().casefold() for x in values) if v in table]

    def _prefix(self, column: str, prefixes: tuple[str, ...]) -> list[int] | None:
        if not prefixes:
            return None
        folded = tuple(p.strip().casefold() for p in prefixes)
        return [code for value, code in self._tables[column].items() if value.startswith(folded)]
