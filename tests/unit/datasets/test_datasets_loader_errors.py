"""Error paths of the CBLUE, dialogue, DXY and Symptom2Disease loaders on small fixture files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsage.datasets import (
    load_cblue_classification,
    load_dxy,
    load_med_dialogue,
    load_symptom2disease,
)
from medsage.errors import DataFormatError, EmptyInputError, InvalidInputError, MissingFileError


def test_when_cblue_file_has_no_labels_then_error_explains_test_split(tmp_path: Path) -> None:
    path = tmp_path / "X_test.json"
    path.write_text(json.dumps([{"id": "s1", "query": "头痛"}], ensure_ascii=False), "utf-8")
    with pytest.raises(DataFormatError, match=r"CBLUE test split has no labels.*dev"):
        load_cblue_classification(path)


def test_when_cblue_text_field_is_unknown_then_error_lists_fields(tmp_path: Path) -> None:
    path = tmp_path / "X.json"
    path.write_text(json.dumps([{"id": "s1", "sentence": "a", "label": "b"}]), "utf-8")
    with pytest.raises(DataFormatError, match=r"neither a 'query'.*'id', 'sentence', 'label'"):
        load_cblue_classification(path)


def test_when_cblue_row_has_empty_query_then_error_names_item(tmp_path: Path) -> None:
    rows = [{"id": "s1", "query": "a", "label": "x"}, {"id": "s2", "query": " ", "label": "x"}]
    path = tmp_path / "X.json"
    path.write_text(json.dumps(rows), "utf-8")
    with pytest.raises(DataFormatError, match=r"item 2: empty text"):
        load_cblue_classification(path)


def test_when_cblue_file_is_empty_or_not_json_then_errors(tmp_path: Path) -> None:
    empty = tmp_path / "e.json"
    empty.write_text("", "utf-8")
    with pytest.raises(EmptyInputError):
        load_cblue_classification(empty)
    bad = tmp_path / "b.json"
    bad.write_text("[{", "utf-8")
    with pytest.raises(DataFormatError, match=r"not valid JSON"):
        load_cblue_classification(bad)


def test_when_dialogue_lacks_department_then_error_lists_columns(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes("科室,title,ask\n内科,头痛,怎么办\n".encode("gb18030"))
    with pytest.raises(DataFormatError, match=r"no column 'department'.*'科室', 'title', 'ask'"):
        load_med_dialogue(path)


def test_when_dialogue_title_is_empty_then_ask_alone_is_the_text(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    content = "department,title,ask,answer\n神经科,,经常头痛,多休息\n"
    path.write_bytes(content.encode("gb18030"))
    ds = load_med_dialogue(path)
    assert ds.texts == ["经常头痛"]
    assert ds.labels == ["神经科"]


def test_when_dialogue_row_has_no_text_then_error_gives_row(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes("department,title,ask,answer\n神经科,,,多休息\n".encode("gb18030"))
    with pytest.raises(DataFormatError, match=r"row 1 \(line 2\): all text fields"):
        load_med_dialogue(path)


def test_when_dialogue_text_fields_is_empty_then_invalid_input_error(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("department,title\n内科,头痛\n", "utf-8")
    with pytest.raises(InvalidInputError, match=r"text_fields"):
        load_med_dialogue(path, text_fields=())


def test_when_dialogue_bytes_are_undecodable_then_data_format_error(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b"department,title,ask\n\xff\xfe\xfa,a,b\n")
    with pytest.raises(DataFormatError, match=r"UTF-8 or GB18030; pass --encoding"):
        load_med_dialogue(path)


def _dxy_file(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "dxy.txt"
    path.write_text(content, "utf-8")
    return path


def test_when_dxy_blocks_span_lines_then_each_split_loads(tmp_path: Path) -> None:
    train = [{"self_repo": " 发烧\n", "disease_tag": "肺炎", "consult_id": 1}]
    test = [{"self_repo": "拉肚子", "disease_tag": "小儿腹泻", "consult_id": "2"}]
    path = _dxy_file(tmp_path, f"train@{train!r}\ntest@{test!r}\n")
    ds = load_dxy(path)
    assert (ds.texts, ds.labels, ds.ids) == (["发烧"], ["肺炎"], ["1"])
    assert load_dxy(path, split="test").labels == ["小儿腹泻"]


def test_when_dxy_block_is_code_not_literal_then_it_is_never_evaluated(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = _dxy_file(tmp_path, f"train@[__import__('pathlib').Path({str(marker)!r}).touch()]\n")
    with pytest.raises(DataFormatError, match=r"not a Python literal"):
        load_dxy(path)
    assert not marker.exists()


def test_when_dxy_file_has_no_split_markers_then_data_format_error(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"no 'split@"):
        load_dxy(_dxy_file(tmp_path, "[{'self_repo': 'a'}]\n"))


def test_when_dxy_record_lacks_disease_then_error_names_column(tmp_path: Path) -> None:
    path = _dxy_file(tmp_path, "train@[{'self_repo': 'a', 'consult_id': '1'}]\n")
    with pytest.raises(DataFormatError, match=r"no column 'disease_tag'"):
        load_dxy(path)


def test_when_dxy_split_is_unknown_then_error_lists_splits(tmp_path: Path) -> None:
    path = _dxy_file(tmp_path, "train@[]\n")
    with pytest.raises(InvalidInputError, match=r"no split 'valid'.*splits present: 'train'"):
        load_dxy(path, "valid")
    with pytest.raises(EmptyInputError):
        load_dxy(path, "train")


def test_when_symptom2disease_file_is_missing_then_missing_file_error(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError):
        load_symptom2disease(tmp_path / "Symptom2Disease.csv")


def test_when_symptom2disease_lacks_index_then_error_names_it(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("label,text\nAcne,spots\n", "utf-8")
    with pytest.raises(DataFormatError, match=r"no column 'index'"):
        load_symptom2disease(path)
