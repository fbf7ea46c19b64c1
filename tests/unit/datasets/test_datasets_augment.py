"""Clinical-wording augmentation of training texts."""

from __future__ import annotations

import numpy as np
import pytest

from medsage.datasets import TextDataset, augment_clinical_wording
from medsage.datasets._augment import _general_wordings, rewrite_findings
from medsage.errors import InvalidInputError
from medsage.text._findings import load_findings_lexicon


def test_when_augmented_then_originals_first_and_findings_in_clinical_wording() -> None:
    ds = TextDataset(["I feel feverish with a headache, no rash"], ["flu"])
    out = augment_clinical_wording(ds, seed=0)
    assert out.texts == [
        "I feel feverish with a headache, no rash",
        "I feel high temperature with a cephalalgia, no exanthem",
    ]
    assert out.labels == ["flu", "flu"]


def test_when_several_copies_then_labels_groups_ids_follow_and_no_duplicates() -> None:
    ds = TextDataset(
        ["Itchy skin and a runny nose", "nothing to see", "咳嗽，发烧两天，没有肚子疼"],
        ["allergy", "x", "flu"],
        groups=["m", "m", "f"],
        ids=["b", "d", "c"],
    )
    out = augment_clinical_wording(ds, 3, seed=1, lang="auto")
    assert out.texts[:3] == ds.texts
    extra = list(zip(out.texts[3:], out.labels[3:], out.groups[3:], out.ids[3:], strict=True))  # type: ignore[index]
    assert extra == [
        ("Itching skin and a nasal discharge", "allergy", "m", "b~aug1"),
        ("Itchiness skin and a nasal discharge", "allergy", "m", "b~aug2"),
        ("Pruritus skin and a rhinorrhea", "allergy", "m", "b~aug3"),
        # (the third Chinese rewrite repeated one of these and was dropped)
        ("呛咳，体温升高两天，没有腹痛", "flu", "f", "c~aug1"),
        ("干咳，体温升高两天，没有腹痛", "flu", "f", "c~aug2"),
    ]
    assert len(set(out.texts)) == len(out.texts)


def test_when_finding_negated_then_cue_kept() -> None:
    text = "No fever, denies chest pain."
    rewritten = rewrite_findings(text, np.random.default_rng(0))
    assert rewritten == "No high temperature, denies chest pressure."


def test_when_wording_narrower_than_preferred_then_not_offered() -> None:
    clinical = load_findings_lexicon().clinical
    assert "dry cough" in clinical["cough"]["en"]
    assert _general_wordings(clinical, "cough", "en") == ["cough"]
    assert "right lower quadrant pain" in clinical["abdominal_pain"]["en"]
    assert _general_wordings(clinical, "abdominal_pain", "en") == [
        "abdominal pain",
        "abdominal cramps",
    ]
    assert _general_wordings(clinical, "abdominal_pain", "zh") == ["腹痛", "腹部疼痛"]
    assert _general_wordings(clinical, "no_such_concept", "en") == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"copies": 0}, "copies must be between 1 and 10, got 0"),
        ({"copies": 11}, "copies must be between 1 and 10, got 11"),
        ({"lang": "fr"}, "lang must be one of en, zh, auto; got 'fr'"),
    ],
)
def test_when_arguments_bad_then_clear_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        augment_clinical_wording(TextDataset(["fever"], ["flu"]), **kwargs)  # type: ignore[arg-type]
