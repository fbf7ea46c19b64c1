"""Reading files as UTF-8 (BOM handled) or GB18030, and the errors when neither works."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsage.datasets import decode_bytes, detect_encoding, read_text_file
from medsage.errors import DataFormatError, InvalidInputError, MissingFileError

TEXT = "发热三天，咳嗽"


def test_when_file_is_utf8_then_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(TEXT.encode("utf-8"))
    assert read_text_file(path) == TEXT
    assert detect_encoding(path) == "utf-8-sig"


def test_when_file_has_utf8_bom_then_bom_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    assert read_text_file(path) == TEXT
    assert read_text_file(path, encoding="utf-8") == TEXT


def test_when_file_is_gb18030_then_fallback_decodes_it(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(TEXT.encode("gb18030"))
    assert read_text_file(path) == TEXT
    assert detect_encoding(path) == "gb18030"


def test_when_bytes_are_neither_utf8_nor_gb18030_then_data_format_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"text,label\n" + b"\xff\xfe\xfa,x\n")
    with pytest.raises(DataFormatError, match=r"as UTF-8 or GB18030; pass --encoding") as info:
        read_text_file(path)
    assert "bad.csv" in str(info.value)


def test_when_encoding_is_explicit_then_it_is_used_as_given(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(TEXT.encode("gb18030"))
    assert read_text_file(path, encoding="gb18030") == TEXT
    with pytest.raises(DataFormatError, match=r"could not decode .* as utf-8"):
        read_text_file(path, encoding="utf-8")
    # latin-1 decodes anything: the explicit choice wins over detection.
    assert read_text_file(path, encoding="latin-1") == TEXT.encode("gb18030").decode("latin-1")


def test_when_encoding_name_is_unknown_then_invalid_input_error(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"unknown encoding 'no-such-codec'"):
        read_text_file(path, encoding="no-such-codec")


def test_when_file_is_missing_then_missing_file_error(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match=r"does not exist"):
        read_text_file(tmp_path / "nope.txt")
    with pytest.raises(FileNotFoundError):
        read_text_file(tmp_path / "nope.txt")


def test_when_path_is_a_folder_then_invalid_input_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"not a file"):
        read_text_file(tmp_path)


def test_when_decoding_bytes_directly_then_same_rules_apply() -> None:
    assert decode_bytes(TEXT.encode("gb18030")) == TEXT
    with pytest.raises(DataFormatError, match=r"<bytes>"):
        decode_bytes(b"\xff\xfe\xfa")
