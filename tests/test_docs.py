"""The examples in docs/ and in docstrings run and print what they claim."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

import medsage.datasets._augment
import medsage.privacy._dates
import medsage.privacy._deidentifier
import medsage.text._normalize
import medsage.text._segment

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_when_doc_examples_run_then_outputs_match(page: str) -> None:
    result = doctest.testfile(str(DOCS / page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize(
    "module",
    [
        medsage.datasets._augment,
        medsage.text._normalize,
        medsage.text._segment,
        medsage.privacy._dates,
        medsage.privacy._deidentifier,
    ],
)
def test_when_docstring_examples_run_then_outputs_match(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.failed == 0
    assert result.attempted > 0
