"""Chinese internal-medicine consultations (toyhom Chinese-medical-dialogue-data, GB18030 CSV)."""

from __future__ import annotations

from collections.abc import Sequence

from medsage.datasets._encoding import PathLike, read_text_file, require_file
from medsage.datasets._tabular import Record, build_dataset, cell, check_columns, read_delimited
from medsage.datasets._types import TextDataset
from medsage.errors import DataFormatError, EmptyInputError, InvalidInputError

LABEL_COLUMN = "department"
_JOINED = "\x00text"


def load_med_dialogue(
    path: PathLike,
    *,
    text_fields: Sequence[str] = ("title", "ask"),
    encoding: str | None = None,
) -> TextDataset:
    """Load the dialogue CSV (`department,title,ask,answer`): text = fields joined by newlines.

    Empty parts are skipped when joining; the label is the sub-department. The encoding
    (GB18030 for the published file) is detected unless `encoding` is given.
    """
    if isinstance(text_fields, str) or not text_fields:
        raise InvalidInputError(
            "text_fields must be a non-empty sequence of column names, e.g. ('title', 'ask')"
        )
    p = require_file(path)
    source = repr(str(p))
    header, records = read_delimited(
        read_text_file(p, encoding=encoding), delimiter=",", source=source
    )
    head = Record("header", dict.fromkeys(header, ""))
    check_columns([head], [LABEL_COLUMN, *text_fields], source=source, header=header)
    if not records:
        raise EmptyInputError(f"{source} holds no data rows")
    joined: list[Record] = []
    for record in records:
        parts = [cell(record, field, source=source) for field in text_fields]
        text = "\n".join(part for part in parts if part)
        if not text:
            fields = ", ".join(repr(f) for f in text_fields)
            raise DataFormatError(
                f"{source} {record.where}: all text fields ({fields}) are empty; "
                "fill them in or remove the row"
            )
        joined.append(Record(record.where, {**record.values, _JOINED: text}))
    return build_dataset(
        joined,
        text_col=_JOINED,
        label_col=LABEL_COLUMN,
        group_col=None,
        id_col=None,
        source=source,
        name=p.stem,
    )
