"""Text-label files: CSV, TSV, JSON Lines and JSON lists of objects."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from medsage.datasets._encoding import PathLike, read_text_file, require_file
from medsage.datasets._types import TextDataset
from medsage.errors import DataFormatError, EmptyInputError

SUFFIXES: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}


@dataclass(frozen=True)
class Record:
    """One row of a source file and where it was (for error messages)."""

    where: str
    values: Mapping[str, object]


def read_delimited(text: str, *, delimiter: str, source: str) -> tuple[list[str], list[Record]]:
    """Header and rows of CSV/TSV text; blank lines are skipped, ragged rows are errors."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    records: list[Record] = []
    prev_line = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise DataFormatError(f"{source} line {reader.line_num}: {exc}") from None
        start, prev_line = prev_line + 1, reader.line_num
        if not row:
            continue
        if header is None:
            header = [name.strip() for name in row]
            continue
        where = f"row {len(records) + 1} (line {start})"
        if len(row) != len(header):
            raise DataFormatError(
                f"{source} {where} has {len(row)} fields but the header has {len(header)}; "
                f"quote fields that contain {delimiter!r} or line breaks"
            )
        records.append(Record(where, dict(zip(header, row, strict=True))))
    if header is None:
        raise EmptyInputError(f"{source} is empty; expected a header row and data rows")
    return header, records


def _read_jsonl(text: str, *, source: str) -> list[Record]:
    records: list[Record] = []
    # Split on "\n" only: str.splitlines() would also break at U+2028 etc. inside JSON strings.
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFormatError(
                f"{source} line {lineno} is not valid JSON: {exc.msg} (column {exc.colno})"
            ) from None
        if not isinstance(obj, dict):
            raise DataFormatError(
                f"{source} line {lineno} holds a JSON {type(obj).__name__}; expected an object"
            )
        records.append(Record(f"line {lineno}", obj))
    return records


def _read_json(text: str, *, source: str) -> list[Record]:
    if not text.strip():
        return []
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFormatError(
            f"{source} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(obj, list):
        raise DataFormatError(
            f"{source} holds a JSON {type(obj).__name__}; expected a list of objects "
            "(use .jsonl for one object per line)"
        )
    records: list[Record] = []
    for i, item in enumerate(obj, start=1):
        if not isinstance(item, dict):
            raise DataFormatError(
                f"{source} item {i} is a JSON {type(item).__name__}; expected an object"
            )
        records.append(Record(f"item {i}", item))
    return records


def cell(record: Record, column: str, *, source: str) -> str:
    """The value of `column` as a stripped string (numbers via str(), null as "")."""
    value = record.values.get(column)
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | int | float):
        return str(value)
    raise DataFormatError(
        f"{source} {record.where}: column {column!r} holds a {type(value).__name__}; "
        "expected a string or a number"
    )


def check_columns(
    records: Sequence[Record], columns: Sequence[str], *, source: str, header: Sequence[str] = ()
) -> None:
    """Raise DataFormatError naming the first requested column a row lacks, and those it has."""
    if header:
        for column in columns:
            if header.count(column) > 1:
                raise DataFormatError(f"{source} has column {column!r} more than once")
    for record in records:
        for column in columns:
            if column not in record.values:
                present = ", ".join(repr(str(k)) for k in record.values) or "none"
                raise DataFormatError(
                    f"{source} has no column {column!r} ({record.where}); columns there: {present}"
                )


def build_dataset(
    records: Sequence[Record],
    *,
    text_col: str,
    label_col: str,
    group_col: str | None,
    id_col: str | None,
    source: str,
    name: str,
) -> TextDataset:
    """A TextDataset from rows, refusing rows whose text or label is empty."""
    if not records:
        raise EmptyInputError(f"{source} holds no data rows")
    wanted = [c for c in (text_col, label_col, group_col, id_col) if c is not None]
    check_columns(records, wanted, source=source)
    texts: list[str] = []
    labels: list[str] = []
    groups: list[str] | None = None if group_col is None else []
    ids: list[str] | None = None if id_col is None else []
    for record in records:
        text = cell(record, text_col, source=source)
        label = cell(record, label_col, source=source)
        for value, column, kind in ((text, text_col, "text"), (label, label_col, "label")):
            if not value:
                raise DataFormatError(
                    f"{source} {record.where}: empty {kind} (column {column!r}); "
                    "fill it in or remove the row"
                )
        texts.append(text)
        labels.append(label)
        if groups is not None and group_col is not None:
            groups.append(cell(record, group_col, source=source))
        if ids is not None and id_col is not None:
            ids.append(cell(record, id_col, source=source))
    return TextDataset(texts=texts, labels=labels, groups=groups, name=name, ids=ids)


def load_text_label(
    path: PathLike,
    *,
    text_col: str = "text",
    label_col: str = "label",
    group_col: str | None = None,
    id_col: str | None = None,
    encoding: str | None = None,
) -> TextDataset:
    """Load a text-label data set from `.csv`, `.tsv`, `.jsonl` or `.json` (a list of objects).

    Texts and labels keep their content (surrounding whitespace stripped); numeric labels become
    strings. A missing column, a malformed line or a row with an empty text or label raises
    DataFormatError saying where; an empty file raises EmptyInputError.
    """
    p = require_file(path)
    kind = SUFFIXES.get(p.suffix.lower())
    if kind is None:
        known = ", ".join(SUFFIXES)
        raise DataFormatError(f"unsupported file type {p.suffix!r} for {str(p)!r}; use {known}")
    source = repr(str(p))
    text = read_text_file(p, encoding=encoding)
    if kind in ("csv", "tsv"):
        header, records = read_delimited(
            text, delimiter="," if kind == "csv" else "\t", source=source
        )
        wanted = [c for c in (text_col, label_col, group_col, id_col) if c is not None]
        head = Record("header", dict.fromkeys(header, ""))
        check_columns([head], wanted, source=source, header=header)
    elif kind == "jsonl":
        records = _read_jsonl(text, source=source)
    else:
        records = _read_json(text, source=source)
    return build_dataset(
        records,
        text_col=text_col,
        label_col=label_col,
        group_col=group_col,
        id_col=id_col,
        source=source,
        name=p.stem,
    )
