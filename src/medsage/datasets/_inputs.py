"""Texts to predict on, from JSONL, CSV/TSV or plain text lines."""

from __future__ import annotations

from medsage.datasets._encoding import PathLike, read_text_file, require_file
from medsage.datasets._tabular import (
    _read_jsonl,
    cell,
    check_columns,
    read_delimited,
)
from medsage.errors import DataFormatError, EmptyInputError


def load_texts(path: PathLike, *, text_col: str = "text", encoding: str | None = None) -> list[str]:
    """Texts from `path`: `.jsonl` (field `text_col`), `.csv`/`.tsv` (column `text_col`), or
    any other file as one text per non-empty line.

    An empty text in a JSONL/CSV row is an error (with its row), never silently skipped.
    """
    p = require_file(path)
    source = repr(str(p))
    content = read_text_file(p, encoding=encoding)
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        records = _read_jsonl(content, source=source)
    elif suffix in (".csv", ".tsv"):
        header, records = read_delimited(
            content, delimiter="," if suffix == ".csv" else "\t", source=source
        )
        if text_col not in header:
            raise DataFormatError(
                f"{source} has no column {text_col!r}; columns there: "
                f"{', '.join(repr(h) for h in header)}"
            )
    else:
        texts = [line.strip() for line in content.splitlines() if line.strip()]
        if not texts:
            raise EmptyInputError(f"{source} holds no text lines")
        return texts
    if not records:
        raise EmptyInputError(f"{source} holds no rows")
    check_columns(records, [text_col], source=source)
    texts = []
    for record in records:
        text = cell(record, text_col, source=source)
        if not text:
            raise DataFormatError(f"{source} {record.where}: empty text (column {text_col!r})")
        texts.append(text)
    return texts
