"""CBLUE classification tasks: KUAKE-QIC (search-query intent) and CHIP-CTC (trial criteria)."""

from __future__ import annotations

import json

from medsage.datasets._encoding import PathLike, read_text_file, require_file
from medsage.datasets._tabular import Record, build_dataset
from medsage.datasets._types import TextDataset
from medsage.errors import DataFormatError, EmptyInputError

#: Text fields of the CBLUE classification tasks, in the order they are looked for.
TEXT_FIELDS: tuple[str, ...] = ("query", "text")


def load_cblue_classification(path: PathLike) -> TextDataset:
    """Load a CBLUE classification split (a JSON list of `{id, query|text, label}`).

    The text field is `query` (KUAKE-QIC) or `text` (CHIP-CTC), detected from the file; texts
    are stripped (CHIP-CTC texts start with a space). The official test splits carry no labels,
    so loading one raises DataFormatError: evaluate on the dev split instead.
    """
    p = require_file(path)
    source = repr(str(p))
    raw = read_text_file(p, encoding="utf-8")
    if not raw.strip():
        raise EmptyInputError(f"{source} is empty; expected a CBLUE JSON list")
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DataFormatError(
            f"{source} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(obj, list) or not all(isinstance(item, dict) for item in obj):
        raise DataFormatError(f"{source} is not a CBLUE classification file (a list of objects)")
    if not obj:
        raise EmptyInputError(f"{source} holds an empty list")
    first = obj[0]
    text_field = next((f for f in TEXT_FIELDS if f in first), None)
    if text_field is None:
        present = ", ".join(repr(str(k)) for k in first) or "none"
        raise DataFormatError(
            f"{source} has neither a 'query' (KUAKE-QIC) nor a 'text' (CHIP-CTC) field; "
            f"fields there: {present}"
        )
    if not any("label" in item for item in obj):
        raise DataFormatError(
            f"{source} has no 'label' field: the CBLUE test split has no labels "
            "(they are hidden for the leaderboard); use the dev split for evaluation"
        )
    records = [Record(f"item {i}", item) for i, item in enumerate(obj, start=1)]
    return build_dataset(
        records,
        text_col=text_field,
        label_col="label",
        group_col=None,
        id_col="id" if "id" in first else None,
        source=source,
        name=p.stem,
    )
