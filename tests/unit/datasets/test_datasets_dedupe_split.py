"""Deduplication (exact and normalized, with label conflicts) and stratified splits."""

from __future__ import annotations

import pytest

from medsage.datasets import TextDataset, deduplicate, stratified_split
from medsage.errors import EmptyInputError, InvalidInputError


def _small() -> TextDataset:
    return TextDataset(
        texts=[
            "头痛，发热3天",  # 0 original
            "头痛,发热３天",  # 1 ASCII comma and full-width digit: same after normalisation
            "Chest pain ",  # 2
            "chest  pain!",  # 3 case, spacing, punctuation differ; label disagrees
            "头痛，发热3天",  # 4 exact duplicate of 0
            "咳嗽",  # 5
        ],
        labels=["神经科", "神经科", "cardio", "resp", "神经科", "呼吸科"],
        groups=["a", "b", "c", "d", "e", "f"],
        name="small",
        ids=["r0", "r1", "r2", "r3", "r4", "r5"],
    )


def test_when_mode_is_exact_then_only_identical_texts_are_removed() -> None:
    result = deduplicate(_small())
    assert result.n_before == 6
    assert result.n_removed == 1
    assert result.n_conflicts == 0
    assert result.conflicts == []
    assert result.dataset.ids == ["r0", "r1", "r2", "r3", "r5"]
    assert result.dataset.groups == ["a", "b", "c", "d", "f"]
    assert result.dataset.name == "small"


def test_when_mode_is_normalized_then_width_case_and_punctuation_are_ignored() -> None:
    result = deduplicate(_small(), mode="normalized")
    assert result.n_removed == 3
    assert result.dataset.ids == ["r0", "r2", "r5"]
    assert result.dataset.labels == ["神经科", "cardio", "呼吸科"]
    assert result.n_conflicts == 1
    assert result.conflicts == [("Chest pain ", ["cardio", "resp"])]


def test_when_exact_duplicates_disagree_then_first_is_kept_and_conflict_reported() -> None:
    ds = TextDataset(texts=["a", "b", " a", "a"], labels=["x", "y", "z", "x"])
    result = deduplicate(ds)
    assert result.dataset.texts == ["a", "b"]
    assert result.dataset.labels == ["x", "y"]
    assert result.n_removed == 2
    assert result.n_conflicts == 1
    assert result.conflicts == [("a", ["x", "z"])]


def test_when_mode_is_unknown_then_invalid_input_error() -> None:
    with pytest.raises(InvalidInputError, match=r"unknown dedupe mode 'fuzzy'"):
        deduplicate(_small(), mode="fuzzy")


def _labelled(counts: dict[str, int]) -> TextDataset:
    labels = [label for label, n in counts.items() for _ in range(n)]
    return TextDataset(texts=[f"t{i}" for i in range(len(labels))], labels=labels, name="toy")


def test_when_split_then_each_label_is_stratified_and_order_kept() -> None:
    ds = _labelled({"a": 10, "b": 5, "c": 2, "solo": 1})
    train, test = stratified_split(ds, test_size=0.2, seed=0)
    assert test.label_counts == {"a": 2, "b": 1, "c": 1}
    assert train.label_counts == {"a": 8, "b": 4, "c": 1, "solo": 1}
    assert sorted(train.texts + test.texts, key=lambda t: int(t[1:])) == ds.texts
    assert train.texts == sorted(train.texts, key=lambda t: int(t[1:]))
    assert test.texts == sorted(test.texts, key=lambda t: int(t[1:]))
    assert (train.name, test.name) == ("toy:train", "toy:test")


def test_when_same_seed_then_same_split_and_other_seed_differs() -> None:
    ds = _labelled({"a": 40, "b": 30})
    first = stratified_split(ds, seed=3)
    second = stratified_split(ds, seed=3)
    other = stratified_split(ds, seed=4)
    assert first[1].texts == second[1].texts
    assert first[0].texts == second[0].texts
    assert other[1].texts != first[1].texts


@pytest.mark.parametrize("bad", [0, 1, 0.0, 1.0, -0.1, 1.5, float("nan"), True])
def test_when_test_size_is_outside_0_1_then_invalid_input_error(bad: float) -> None:
    with pytest.raises(InvalidInputError, match=r"test_size"):
        stratified_split(_labelled({"a": 4}), test_size=bad)


def test_when_every_label_is_a_singleton_then_error_not_empty_test() -> None:
    with pytest.raises(InvalidInputError, match=r"2 or more rows"):
        stratified_split(_labelled({"a": 1, "b": 1}))


def test_when_dataset_is_empty_then_empty_input_error() -> None:
    with pytest.raises(EmptyInputError):
        stratified_split(TextDataset(texts=[], labels=[]))
