"""ICD-10 coding of diagnosis labels: the map is valid WHO ICD-10 and covers our data sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsage.datasets import load_dxy, load_symptom2disease
from medsage.diagnosis._icd10 import Icd10Code, icd10_for, icd10_map, is_valid_code
from medsage.errors import InvalidInputError


def test_when_the_map_is_read_then_every_code_exists_in_who_icd10_2019() -> None:
    invalid = {e.label: e.code for e in icd10_map().values() if not is_valid_code(e.code)}
    assert invalid == {}
    assert len(icd10_map()) == 29


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Psoriasis", Icd10Code("L40.9", "Psoriasis, unspecified")),
        ("Dengue", Icd10Code("A97.9", "Dengue, unspecified")),
        ("chicken  POX", Icd10Code("B01.9", "Varicella without complication")),
        ("Hypertension", Icd10Code("I10", "Essential (primary) hypertension")),
        ("小儿手足口病", Icd10Code("B08.4", "Enteroviral vesicular stomatitis with exanthem")),
        ("过敏性鼻炎", Icd10Code("J30.4", "Allergic rhinitis, unspecified")),
        ("Unheard-of syndrome", None),
    ],
)
def test_when_a_label_is_coded_then_code_and_who_title_are_exact(
    label: str, expected: Icd10Code | None
) -> None:
    assert icd10_for(label) == expected


@pytest.mark.parametrize(
    ("code", "valid"),
    [("I10", True), ("l409", True), ("A97", True), ("A90", False), ("J00-J06", False), ("", False)],
)
def test_when_a_code_is_checked_then_only_categories_and_subcategories_pass(
    code: str, valid: bool
) -> None:
    assert is_valid_code(code) is valid


def test_when_the_label_is_blank_then_invalid_input_error() -> None:
    with pytest.raises(InvalidInputError, match="empty"):
        icd10_for("  ")


@pytest.mark.shared_data
def test_when_symptom2disease_labels_are_coded_then_all_24_have_a_code(shared_data: Path) -> None:
    ds = load_symptom2disease(shared_data / "symptom2disease" / "Symptom2Disease.csv")
    labels = set(ds.labels)
    assert len(labels) == 24
    assert sorted(label for label in labels if icd10_for(label) is None) == []


@pytest.mark.shared_data
def test_when_dxy_labels_are_coded_then_all_5_have_a_code(shared_data: Path) -> None:
    path = shared_data / "zh_dxy_diagnosis" / "dxy_dialog_data_dialog_v2.txt"
    labels = set(load_dxy(path, split="train").labels) | set(load_dxy(path, split="test").labels)
    listed = (shared_data / "zh_dxy_diagnosis" / "diseases_dxy.txt").read_text("utf-8").split()
    assert labels == set(listed)
    assert len(labels) == 5
    assert sorted(label for label in labels if icd10_for(label) is None) == []
