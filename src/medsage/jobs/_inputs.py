"""Input files of a job (JSONL, CSV, Parquet): a cheap first pass that cuts them into partitions,
and the reader a worker uses to load only its own partition.

Partition i holds input records [i * batch_size, (i + 1) * batch_size) in file order, whatever
the executor. For JSONL and CSV the first pass records byte offsets (a CSV record may span
lines inside quotes; the pass tracks quote parity), for Parquet row ranges; so no process ever
holds more than one partition of the input.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from medsage.errors import DataFormatError, EmptyInputError, InvalidInputError, MissingFileError

INPUT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
FINGERPRINT_BYTES = 1 << 20  # the input fingerprint hashes the first MiB (plus size and mtime)


@dataclass(frozen=True)
class Partition:
    """Where partition `index` lies in the input: bytes [start, end) (JSONL/CSV) and records
    [first_row, first_row + count) counted from 1."""

    index: int
    first_row: int
    count: int
    start: int = 0
    end: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Partition:
        return cls(**{k: int(raw[k]) for k in ("index", "first_row", "count", "start", "end")})


@dataclass(frozen=True)
class Record:
    """One input record: its 1-based `row` and its fields, or `error` when it could not be read
    (a line that is not JSON, a CSV row with too many cells)."""

    row: int
    fields: dict[str, Any]
    error: str | None = None


def input_format(path: Path) -> str:
    """'jsonl', 'csv' or 'parquet' from the suffix; a clear error for anything else."""
    fmt = INPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInputError(
            f"input {path.name} has suffix {path.suffix!r}; expected one of "
            f"{', '.join(INPUT_FORMATS)} (rename the file or convert it)"
        )
    return fmt


def check_input(path: str | Path) -> Path:
    """The input path, checked to exist and be a file."""
    source = Path(path)
    if not source.is_file():
        raise MissingFileError(
            f"job input {source} not found (expected a JSONL, CSV or Parquet file)"
        )
    input_format(source)
    return source


def fingerprint(path: Path) -> dict[str, Any]:
    """Path, size, mtime and SHA-256 of the first MiB: enough to notice a changed input."""
    stat = path.stat()
    with path.open("rb") as handle:
        head = handle.read(FINGERPRINT_BYTES)
    return {
        "path": str(path.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256_first_mib": hashlib.sha256(head).hexdigest(),
    }


def plan_partitions(path: Path, batch_size: int) -> list[Partition]:
    """Cut the input into partitions of `batch_size` records (one streaming pass; the list
    holds one small descriptor per partition, never the records)."""
    if batch_size < 1:
        raise InvalidInputError(f"batch_size must be >= 1, got {batch_size}")
    fmt = input_format(path)
    if fmt == "parquet":
        return _plan_parquet(path, batch_size)
    starts = _record_starts_csv(path) if fmt == "csv" else _record_starts_jsonl(path)
    out: list[Partition] = []
    first_row, count, start = 1, 0, 0
    for offset in starts:
        if count == batch_size:
            out.append(Partition(len(out), first_row, count, start, offset))
            first_row, count = first_row + count, 0
        if count == 0:
            start = offset
        count += 1
    if count:
        out.append(Partition(len(out), first_row, count, start, path.stat().st_size))
    return out


def _record_starts_jsonl(path: Path) -> Iterator[int]:
    """Byte offsets of the non-blank lines."""
    offset = 0
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                yield offset
            offset += len(line)


def _record_starts_csv(path: Path) -> Iterator[int]:
    """Byte offsets of CSV data records; a record ends at a line end with balanced quotes."""
    offset = 0
    header_done, open_quotes, record_start = False, False, 0
    with path.open("rb") as handle:
        for line in handle:
            if not open_quotes:
                record_start = offset
            if line.count(b'"') % 2:
                open_quotes = not open_quotes
            offset += len(line)
            if open_quotes or not line.strip(b"\r\n"):
                continue
            if header_done:
                yield record_start
            header_done = True
    if open_quotes:
        raise DataFormatError(f"{path}: a quoted CSV field is never closed (unbalanced '\"')")


def _plan_parquet(path: Path, batch_size: int) -> list[Partition]:
    import pyarrow.parquet as pq

    try:
        total = pq.ParquetFile(path).metadata.num_rows
    except Exception as exc:  # pyarrow raises its own ArrowInvalid family
        raise DataFormatError(f"{path} is not a readable Parquet file ({exc})") from None
    return [
        Partition(index, first + 1, min(batch_size, total - first))
        for index, first in enumerate(range(0, total, batch_size))
    ]


def csv_header(path: Path) -> list[str]:
    """The column names of a CSV input (UTF-8, optional BOM)."""
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise EmptyInputError(f"{path} has no header row; expected column names first")
    return header


def read_partition(path: Path, part: Partition, header: list[str] | None = None) -> list[Record]:
    """The records of one partition, each with its row number."""
    fmt = input_format(path)
    if fmt == "parquet":
        return _read_parquet(path, part)
    with path.open("rb") as handle:
        handle.seek(part.start)
        raw = handle.read(part.end - part.start)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFormatError(
            f"{path}: partition {part.index} (rows {part.first_row}..) is not UTF-8 ({exc.reason})"
        ) from None
    if fmt == "jsonl":
        # "\n" only: str.splitlines would also cut at U+2028 and other separators that JSON
        # strings may hold unescaped (json.dumps with ensure_ascii=False keeps them).
        lines = [line for line in text.split("\n") if line.strip()]
        records = [_jsonl_record(part.first_row + i, line) for i, line in enumerate(lines)]
    else:
        columns = header if header is not None else csv_header(path)
        rows = list(csv.reader(io.StringIO(text, newline="")))
        rows = [r for r in rows if r]
        records = [_csv_record(part.first_row + i, columns, r) for i, r in enumerate(rows)]
    if len(records) != part.count:
        raise DataFormatError(
            f"{path}: partition {part.index} should hold {part.count} records but holds "
            f"{len(records)}; the file changed while the job ran (rerun without --resume)"
        )
    return records


def _jsonl_record(row: int, line: str) -> Record:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return Record(row, {}, f"line is not valid JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(value, dict):
        return Record(row, {}, f"expected a JSON object, got {type(value).__name__}")
    return Record(row, value)


def _csv_record(row: int, header: list[str], cells: list[str]) -> Record:
    if len(cells) != len(header):
        return Record(
            row, {}, f"CSV row has {len(cells)} cells but the header has {len(header)} columns"
        )
    return Record(row, dict(zip(header, cells, strict=True)))


def _read_parquet(path: Path, part: Partition) -> list[Record]:
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(path)
    first, seen, skip = part.first_row - 1, 0, 0
    wanted: list[int] = []
    for group in range(handle.metadata.num_row_groups):
        rows = handle.metadata.row_group(group).num_rows
        if seen + rows > first and seen < first + part.count:
            if not wanted:
                skip = first - seen
            wanted.append(group)
        seen += rows
    table = handle.read_row_groups(wanted).slice(skip, part.count)
    return [Record(part.first_row + i, row) for i, row in enumerate(table.to_pylist())]
