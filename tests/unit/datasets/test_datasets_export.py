"""write_dataset round trips (JSONL, CSV) with Chinese text, and fingerprint stability."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsage.datasets import TextDataset, fingerprint, load_text_label, write_dataset
from medsage.errors import InvalidInputError


def _ds() -> TextDataset:
    return TextDataset(
        texts=["头痛，伴恶心呕吐", 'cough, "dry"\nat night', "腹泻３天"],
        labels=["神经科", "resp", "消化科"],
        groups=["女", "男", "女"],
        name="zh",
        ids=["1", "2", "3"],
    )


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".tsv"])
def test_when_written_and_loaded_then_rows_round_trip(tmp_path: Path, suffix: str) -> None:
    path = write_dataset(_ds(), tmp_path / "nested" / "deeper" / f"out{suffix}")
    assert path.is_file()
    back = load_text_label(path, group_col="group", id_col="id")
    original = _ds()
    assert back.texts == original.texts
    assert back.labels == original.labels
    assert back.groups == original.groups
    assert back.ids == original.ids
    assert fingerprint(back) == fingerprint(original)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_when_jsonl_is_written_then_chinese_is_not_escaped(tmp_path: Path) -> None:
    path = write_dataset(_ds(), tmp_path / "out.jsonl")
    lines = path.read_text("utf-8").splitlines()
    assert len(lines) == 3
    expected = {"text": "头痛，伴恶心呕吐", "label": "神经科", "group": "女", "id": "1"}
    assert json.loads(lines[0]) == expected
    assert "神经科" in lines[0]


def test_when_dataset_has_no_groups_or_ids_then_csv_has_two_columns(tmp_path: Path) -> None:
    ds = TextDataset(texts=["胸痛"], labels=["心血管科"])
    path = write_dataset(ds, tmp_path / "out.csv")
    assert path.read_bytes() == "text,label\n胸痛,心血管科\n".encode()


def test_when_file_exists_then_it_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text("old\n", "utf-8")
    write_dataset(TextDataset(texts=["a"], labels=["b"]), path)
    assert path.read_text("utf-8") == '{"text": "a", "label": "b"}\n'


def test_when_suffix_is_unsupported_then_invalid_input_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"cannot write a data set as '\.parquet'"):
        write_dataset(_ds(), tmp_path / "out.parquet")
    assert not list(tmp_path.iterdir())


def test_when_fingerprinting_then_content_and_order_matter_but_not_metadata() -> None:
    ds = _ds()
    same = TextDataset(texts=list(ds.texts), labels=list(ds.labels), name="other")
    assert fingerprint(ds) == fingerprint(same)
    assert len(fingerprint(ds)) == 64
    reordered = ds.subset([1, 0, 2])
    assert fingerprint(reordered) != fingerprint(ds)
    relabelled = TextDataset(texts=list(ds.texts), labels=["x", "resp", "消化科"])
    assert fingerprint(relabelled) != fingerprint(ds)
    # Boundaries are unambiguous: ("ab", "c") is not ("a", "bc").
    assert fingerprint(TextDataset(["ab"], ["c"])) != fingerprint(TextDataset(["a"], ["bc"]))


def test_when_fingerprinting_known_content_then_digest_is_stable() -> None:
    ds = TextDataset(texts=["头痛"], labels=["神经科"])
    assert fingerprint(ds) == fingerprint(TextDataset(texts=["头痛"], labels=["神经科"]))
    assert fingerprint(ds) == "5f316d403d2849a6ca6f2768cca8f872407efc855f9336a3670ff96fd37e168c"
