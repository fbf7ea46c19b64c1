"""The output folder of a job: part files committed atomically, the manifest, `_SUCCESS`.

Layout::

    out/
      _job.json            kind, options (secrets as SHA-256), batch_size, id_field, format,
                           input fingerprint, partitions total
      part-00000.jsonl     one output per successful record of partition 0, in input order
      errors-00000.jsonl   {"id", "row", "error"} per failed record (only when there are any)
      _SUCCESS             written when every partition is committed

A partition is written to temporary names and renamed: its errors file first, its part file
last, so an existing part file means the partition is complete (its commit). A redone
partition (a retry after a worker died) replaces the same names with the same bytes, so it can
never duplicate records.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from medsage.errors import InvalidInputError

MANIFEST = "_job.json"
SUCCESS = "_SUCCESS"
OUTPUT_FORMATS = ("jsonl", "parquet", "csv")
MANIFEST_VERSION = 1
_TMP = ".tmp-"
_PART = re.compile(r"^part-(\d{5,})\.(jsonl|parquet|csv)$")


def part_name(index: int, output_format: str) -> str:
    return f"part-{index:05d}.{output_format}"


def errors_name(index: int) -> str:
    return f"errors-{index:05d}.jsonl"


def committed_partitions(folder: Path, output_format: str) -> set[int]:
    """Indexes of the partitions whose part file exists (their commit)."""
    found = set()
    for path in folder.iterdir():
        match = _PART.match(path.name)
        if match and match.group(2) == output_format:
            found.add(int(match.group(1)))
    return found


def clean_temporary(folder: Path) -> int:
    """Remove temporary files a killed run left behind; returns how many."""
    removed = 0
    for path in folder.iterdir():
        if path.name.startswith(".") and _TMP in path.name and path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def drop_uncommitted_errors(folder: Path, committed: set[int]) -> None:
    """An errors file without its part file belongs to an unfinished partition: remove it."""
    for path in folder.glob("errors-*.jsonl"):
        stem = path.name[len("errors-") : -len(".jsonl")]
        if stem.isdigit() and int(stem) not in committed:
            path.unlink(missing_ok=True)


def write_partition(
    folder: Path,
    index: int,
    outputs: Sequence[Mapping[str, Any]],
    errors: Sequence[Mapping[str, Any]],
    output_format: str,
) -> None:
    """Commit one partition: errors file (if any) first, then the part file, each renamed from a
    temporary name in the same folder."""
    if errors:
        _atomic_write(folder / errors_name(index), _jsonl_bytes(errors))
    else:
        (folder / errors_name(index)).unlink(missing_ok=True)
    _atomic_write(folder / part_name(index, output_format), encode_rows(outputs, output_format))


def encode_rows(rows: Sequence[Mapping[str, Any]], output_format: str) -> bytes:
    """The bytes of a part file; deterministic for the same rows."""
    if output_format == "jsonl":
        return _jsonl_bytes(rows)
    if output_format == "csv":
        return _csv_bytes(rows)
    if output_format == "parquet":
        return _parquet_bytes(rows)
    raise InvalidInputError(
        f"output format {output_format!r} is not one of {', '.join(OUTPUT_FORMATS)}"
    )


def _jsonl_bytes(rows: Sequence[Mapping[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return list(dict.fromkeys(key for row in rows for key in row))


def _csv_bytes(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """Scalars as they are, lists and objects as JSON text in their cell."""
    columns = _columns(rows)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue().encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _parquet_bytes(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """Nested values (lists of floats stay lists; objects become JSON text, whose keys vary)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = _columns(rows)
    data = {
        c: [
            json.dumps(v, ensure_ascii=False) if isinstance(v := row.get(c), dict) else v
            for row in rows
        ]
        for c in columns
    }
    table = pa.table(data) if rows else pa.table({"id": pa.array([], pa.string())})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _atomic_write(target: Path, data: bytes) -> None:
    tmp = target.with_name(f".{target.name}{_TMP}{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomic(target: Path, value: Mapping[str, Any]) -> None:
    """A small JSON file (the manifest), written to a temporary name and renamed."""
    _atomic_write(target, (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode())


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The job manifest of `folder`, or None when there is none."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInputError(
            f"{path} is not a readable job manifest ({exc}); remove the output folder or "
            "choose another --output"
        ) from None
    if not isinstance(value, dict):
        raise InvalidInputError(f"{path} is not a job manifest (expected a JSON object)")
    return value


def manifest_mismatches(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What differs between the manifest on disk and this run's (the fields that decide the
    output bytes); the input path may differ if the file moved but its content did not."""
    problems = []
    for key in ("kind", "options", "batch_size", "id_field", "output_format", "partitions"):
        if old.get(key) != new.get(key):
            problems.append(f"{key} was {old.get(key)!r}, now {new.get(key)!r}")
    old_input, new_input = old.get("input") or {}, new.get("input") or {}
    for key in ("size", "mtime_ns", "sha256_first_mib"):
        if old_input.get(key) != new_input.get(key):
            problems.append(f"input {key} was {old_input.get(key)!r}, now {new_input.get(key)!r}")
    return problems
