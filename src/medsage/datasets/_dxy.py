"""DXY paediatric diagnosis dialogues (Xu et al. 2019): self-reports with one of 5 diseases."""

from __future__ import annotations

import ast
import re

from medsage.datasets._encoding import PathLike, read_text_file, require_file
from medsage.datasets._tabular import Record, build_dataset
from medsage.datasets._types import TextDataset
from medsage.errors import DataFormatError, EmptyInputError, InvalidInputError

# A split starts at the beginning of a line with its name and "@", e.g. "train@[{...}, ...]".
_SPLIT_MARKER = re.compile(r"^[ \t]*([A-Za-z_][A-Za-z0-9_]*)@", re.MULTILINE)


def _split_blocks(raw: str, *, source: str) -> dict[str, list[tuple[int, str]]]:
    """Split name -> (line number, literal text) for each `name@...` block, in file order."""
    markers = list(_SPLIT_MARKER.finditer(raw))
    if not markers:
        raise DataFormatError(
            f"{source} has no 'split@[...]' blocks (such as 'train@[{{...}}]'); "
            "is it dxy_dialog_data_dialog_v2.txt?"
        )
    blocks: dict[str, list[tuple[int, str]]] = {}
    for i, match in enumerate(markers):
        end = markers[i + 1].start() if i + 1 < len(markers) else len(raw)
        line = raw.count("\n", 0, match.start()) + 1
        blocks.setdefault(match.group(1), []).append((line, raw[match.end() : end]))
    return blocks


def _parse_block(body: str, *, split: str, line: int, source: str) -> list[dict[object, object]]:
    try:
        value = ast.literal_eval(body.strip())  # literals only; never eval()
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise DataFormatError(
            f"{source} split {split!r} (line {line}) is not a Python literal list: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise DataFormatError(f"{source} split {split!r} (line {line}) is not a list of dicts")
    return value


def load_dxy(path: PathLike, split: str = "train") -> TextDataset:
    """Load one split of `dxy_dialog_data_dialog_v2.txt`: text = `self_repo`, label = disease.

    The file holds `train@[...]` and `test@[...]` blocks of Python literals, parsed with
    `ast.literal_eval` only. Ids are `consult_id`. An unknown split raises InvalidInputError
    listing the splits present.
    """
    p = require_file(path)
    source = repr(str(p))
    raw = read_text_file(p)
    if not raw.strip():
        raise EmptyInputError(f"{source} is empty")
    blocks = _split_blocks(raw, source=source)
    if split not in blocks:
        present = ", ".join(repr(name) for name in blocks)
        raise InvalidInputError(f"no split {split!r} in {source}; splits present: {present}")
    records: list[Record] = []
    for line, body in blocks[split]:
        items = _parse_block(body, split=split, line=line, source=source)
        for item in items:
            where = f"split {split!r} item {len(records) + 1}"
            records.append(Record(where, {str(k): v for k, v in item.items()}))
    if not records:
        raise EmptyInputError(f"{source} split {split!r} holds no consultations")
    return build_dataset(
        records,
        text_col="self_repo",
        label_col="disease_tag",
        group_col=None,
        id_col="consult_id",
        source=source,
        name=f"dxy-{split}",
    )
