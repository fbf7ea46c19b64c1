"""Writing a data set to disk (atomically) and fingerprinting its content."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from pathlib import Path

from medsage.datasets._encoding import PathLike
from medsage.datasets._types import TextDataset
from medsage.errors import InvalidInputError

WRITE_SUFFIXES: tuple[str, ...] = (".jsonl", ".csv", ".tsv")


def _columns(ds: TextDataset) -> list[tuple[str, list[str]]]:
    columns = [("text", ds.texts), ("label", ds.labels)]
    if ds.groups is not None:
        columns.append(("group", ds.groups))
    if ds.ids is not None:
        columns.append(("id", ds.ids))
    return columns


def _render(ds: TextDataset, suffix: str) -> str:
    columns = _columns(ds)
    names = [name for name, _ in columns]
    rows = zip(*(values for _, values in columns), strict=True)
    if suffix == ".jsonl":
        return "".join(
            json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) + "\n"
            for row in rows
        )
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter="," if suffix == ".csv" else "\t", lineterminator="\n")
    writer.writerow(names)
    writer.writerows(rows)
    return buffer.getvalue()


def write_dataset(ds: TextDataset, path: PathLike) -> Path:
    """Write `ds` as `.jsonl` (`{"text","label"[,"group"][,"id"]}` per line) or `.csv`/`.tsv`.

    UTF-8 without BOM; parent folders are created; the file appears atomically (temporary file
    in the same folder, then `os.replace`). Returns the path written.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise InvalidInputError(
            f"cannot write a data set as {p.suffix or 'a file without suffix'!r} ({str(p)!r}); "
            f"use one of: {', '.join(WRITE_SUFFIXES)}"
        )
    content = _render(ds, suffix)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, p)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return p


def fingerprint(ds: TextDataset) -> str:
    """SHA-256 hex digest of the texts and labels, in order (stable across runs and machines)."""
    digest = hashlib.sha256(b"medsage-dataset-v1\n")
    for text, label in zip(ds.texts, ds.labels, strict=True):
        digest.update(json.dumps([text, label], ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
