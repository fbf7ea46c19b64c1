"""Partitioning of JSONL, CSV and Parquet inputs: the same records, rows and slices everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsage.errors import DataFormatError, InvalidInputError
from medsage.jobs import plan_partitions
from medsage.jobs._inputs import csv_header, read_partition

from .conftest import write_jsonl


def _ids(path: Path, batch_size: int) -> list[list[tuple[int, str]]]:
    header = csv_header(path) if path.suffix == ".csv" else None
    return [
        [(r.row, str(r.fields.get("id"))) for r in read_partition(path, part, header)]
        for part in plan_partitions(path, batch_size)
    ]


def test_when_jsonl_has_blank_lines_then_partitions_hold_batch_size_records(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"id": "a"}\n\n{"id": "b"}\n{"id": "c"}\n  \n{"id": "d"}\n{"id": "e"}', "utf-8"
    )
    parts = plan_partitions(path, 2)
    assert [(p.index, p.first_row, p.count) for p in parts] == [(0, 1, 2), (1, 3, 2), (2, 5, 1)]
    assert parts[-1].end == path.stat().st_size
    assert _ids(path, 2) == [[(1, "a"), (2, "b")], [(3, "c"), (4, "d")], [(5, "e")]]


def test_when_csv_has_quoted_newlines_then_records_are_not_split(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        'id,text\r\na,"line one\r\nline two"\r\nb,"say ""hi""\nagain"\r\nc,plain\r\n', "utf-8"
    )
    assert _ids(path, 2) == [[(1, "a"), (2, "b")], [(3, "c")]]
    first = read_partition(path, plan_partitions(path, 2)[0], csv_header(path))
    assert first[0].fields["text"] == "line one\r\nline two"
    assert first[1].fields["text"] == 'say "hi"\nagain'


def test_when_parquet_spans_row_groups_then_slices_are_exact(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "in.parquet"
    table = pa.table({"id": [f"r{i}" for i in range(10)], "text": ["x"] * 10})
    pq.write_table(table, path, row_group_size=3)
    assert _ids(path, 4) == [
        [(1, "r0"), (2, "r1"), (3, "r2"), (4, "r3")],
        [(5, "r4"), (6, "r5"), (7, "r6"), (8, "r7")],
        [(9, "r8"), (10, "r9")],
    ]


def test_when_the_same_records_come_as_jsonl_csv_parquet_then_partitions_agree(
    tmp_path: Path,
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"id": f"r{i}", "text": f"note {i}"} for i in range(7)]
    jsonl = write_jsonl(tmp_path / "in.jsonl", rows)
    csv_path = tmp_path / "in.csv"
    csv_path.write_text("id,text\n" + "".join(f"{r['id']},{r['text']}\n" for r in rows), "utf-8")
    parquet = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    assert _ids(jsonl, 3) == _ids(csv_path, 3) == _ids(parquet, 3)


def test_when_suffix_unknown_then_error_names_the_accepted_ones(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_text("x", "utf-8")
    with pytest.raises(InvalidInputError, match=r"'\.txt'; expected one of \.jsonl"):
        plan_partitions(path, 10)


def test_when_csv_quote_never_closes_then_data_format_error(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text('id,text\na,"open\n', "utf-8")
    with pytest.raises(DataFormatError, match="never closed"):
        plan_partitions(path, 10)


def test_when_a_json_string_holds_a_line_separator_then_the_record_stays_whole(
    tmp_path: Path,
) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "one\u2028two\x1cthree"}])
    (record,) = read_partition(path, plan_partitions(path, 5)[0])
    assert record.fields["text"] == "one\u2028two\x1cthree"
