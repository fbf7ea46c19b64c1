"""load_text_label on small CSV/TSV/JSONL/JSON files, including every error path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsage.datasets import load_text_label
from medsage.errors import DataFormatError, EmptyInputError, MissingFileError


def _write(path: Path, content: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(content.encode(encoding))
    return path


def test_when_csv_has_text_and_label_then_rows_load_in_order(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "d.csv",
        'text,label,site,id\n  头痛三天  ,神经科,A,r1\n"cough, fever",resp,B,r2\n',
    )
    ds = load_text_label(path, group_col="site", id_col="id")
    assert ds.texts == ["头痛三天", "cough, fever"]
    assert ds.labels == ["神经科", "resp"]
    assert ds.groups == ["A", "B"]
    assert ds.ids == ["r1", "r2"]
    assert ds.name == "d"


def test_when_csv_text_has_newline_inside_quotes_then_it_is_kept(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", 'text,label\n"line one\nline two",a\n')
    assert load_text_label(path).texts == ["line one\nline two"]


def test_when_tsv_has_custom_columns_then_they_are_used(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.tsv", "q\tintent\n心肌缺血如何治疗\t治疗方案\n")
    ds = load_text_label(path, text_col="q", label_col="intent")
    assert ds.texts == ["心肌缺血如何治疗"]
    assert ds.labels == ["治疗方案"]
    assert ds.groups is None
    assert ds.ids is None


def test_when_jsonl_labels_are_ints_then_they_become_strings(tmp_path: Path) -> None:
    lines = [json.dumps({"text": "a", "label": 1}), "", json.dumps({"text": "b", "label": 0})]
    path = _write(tmp_path / "d.jsonl", "\n".join(lines) + "\n")
    ds = load_text_label(path)
    assert ds.labels == ["1", "0"]
    assert ds.texts == ["a", "b"]


def test_when_jsonl_text_holds_line_separator_then_it_stays_one_row(tmp_path: Path) -> None:
    record = {"text": "a\u2028b", "label": "x"}
    path = _write(tmp_path / "d.jsonl", json.dumps(record, ensure_ascii=False) + "\n")
    assert load_text_label(path).texts == ["a\u2028b"]


def test_when_json_list_of_objects_then_rows_load(tmp_path: Path) -> None:
    data = [
        {"text": "腹泻", "label": "消化科", "id": 7},
        {"text": "咳嗽", "label": "呼吸科", "id": 8},
    ]
    path = _write(tmp_path / "d.json", json.dumps(data, ensure_ascii=False))
    ds = load_text_label(path, id_col="id")
    assert ds.texts == ["腹泻", "咳嗽"]
    assert ds.ids == ["7", "8"]


def test_when_csv_is_gb18030_then_it_is_detected(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label\n胸闷气短,心血管科\n", encoding="gb18030")
    assert load_text_label(path).labels == ["心血管科"]


def test_when_column_is_missing_then_error_names_it_and_lists_columns(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "sentence,label\nhello,a\n")
    with pytest.raises(DataFormatError, match=r"no column 'text'") as info:
        load_text_label(path)
    assert "'sentence', 'label'" in str(info.value)


def test_when_jsonl_row_lacks_label_then_error_names_line_and_columns(tmp_path: Path) -> None:
    lines = [json.dumps({"text": "a", "label": "x"}), json.dumps({"text": "b", "tag": "y"})]
    path = _write(tmp_path / "d.jsonl", "\n".join(lines))
    with pytest.raises(DataFormatError, match=r"no column 'label' \(line 2\).*'text', 'tag'"):
        load_text_label(path)


@pytest.mark.parametrize("name", ["e.csv", "e.tsv", "e.jsonl", "e.json"])
def test_when_file_is_empty_then_empty_input_error(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path / name, "")
    with pytest.raises(EmptyInputError):
        load_text_label(path)


@pytest.mark.parametrize(("name", "content"), [("h.csv", "text,label\n"), ("h.json", "[]")])
def test_when_file_has_no_rows_then_empty_input_error(
    tmp_path: Path, name: str, content: str
) -> None:
    with pytest.raises(EmptyInputError, match=r"no data rows"):
        load_text_label(_write(tmp_path / name, content))


def test_when_jsonl_line_is_malformed_then_error_gives_line_number(tmp_path: Path) -> None:
    content = json.dumps({"text": "a", "label": "x"}) + '\n{"text": "b", "label": \n'
    with pytest.raises(DataFormatError, match=r"line 2 is not valid JSON"):
        load_text_label(_write(tmp_path / "d.jsonl", content))


def test_when_jsonl_line_is_not_an_object_then_data_format_error(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"line 1 holds a JSON list"):
        load_text_label(_write(tmp_path / "d.jsonl", '["a", "b"]\n'))


def test_when_json_is_malformed_or_not_a_list_then_data_format_error(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"not valid JSON.*line 2"):
        load_text_label(_write(tmp_path / "d.json", '[\n{"text": }]'))
    with pytest.raises(DataFormatError, match=r"expected a list of objects"):
        load_text_label(_write(tmp_path / "o.json", '{"text": "a", "label": "b"}'))


def test_when_csv_row_has_empty_text_then_error_gives_row_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label\nfine,a\n   ,b\n")
    with pytest.raises(DataFormatError, match=r"row 2 \(line 3\): empty text \(column 'text'\)"):
        load_text_label(path)


def test_when_jsonl_row_has_null_label_then_error_gives_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.jsonl", '{"text": "a", "label": null}\n')
    with pytest.raises(DataFormatError, match=r"line 1: empty label"):
        load_text_label(path)


def test_when_csv_row_is_ragged_then_data_format_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label\na,b,c\n")
    with pytest.raises(DataFormatError, match=r"row 1 \(line 2\) has 3 fields but the header"):
        load_text_label(path)


def test_when_cell_is_a_nested_value_then_data_format_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.jsonl", '{"text": ["a"], "label": "b"}\n')
    with pytest.raises(DataFormatError, match=r"column 'text' holds a list"):
        load_text_label(path)


def test_when_suffix_is_unsupported_then_data_format_error(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"unsupported file type '\.xlsx'"):
        load_text_label(_write(tmp_path / "d.xlsx", "x"))


def test_when_file_is_missing_then_missing_file_error(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError):
        load_text_label(tmp_path / "absent.csv")
