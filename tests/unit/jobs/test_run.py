"""run_job in-process: one output or one error per record, atomic commits, resume, formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsage.errors import InvalidInputError, UnknownNameError
from medsage.jobs import MANIFEST, SUCCESS, run_job

from .conftest import folder_bytes, make_notes, read_jsonl, write_jsonl


def _bad_mix(tmp_path: Path) -> Path:
    """Ten good notes with five bad records mixed in."""
    notes = make_notes(10)
    lines = [json.dumps(n) for n in notes[:3]]
    lines.append('{"id": "bad-json", "text": ')  # not JSON
    lines += [json.dumps(n) for n in notes[3:6]]
    lines.append(json.dumps({"text": "Pt seen today."}))  # no id
    lines.append(json.dumps({"id": "empty", "text": "   "}))
    lines.append(json.dumps({"id": "number", "text": 42}))
    lines.append(json.dumps(["not", "an", "object"]))
    lines += [json.dumps(n) for n in notes[6:]]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_when_bad_records_are_mixed_in_then_each_yields_one_output_or_one_error(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    result = run_job("deid", _bad_mix(tmp_path), out, num_workers=1, batch_size=4)
    assert (result.records, result.outputs, result.errors) == (15, 10, 5)
    assert (result.partitions_total, result.partitions_done) == (4, 4)
    outputs = [r for p in sorted(out.glob("part-*.jsonl")) for r in read_jsonl(p)]
    errors = [r for p in sorted(out.glob("errors-*.jsonl")) for r in read_jsonl(p)]
    assert [o["id"] for o in outputs] == [f"n{i:05d}" for i in range(10)]
    assert outputs[0]["text"] == (
        "Pt [NAME] seen by Dr. [NAME] on [DATE] for cough and fever of 2 days; call [PHONE]."
    )
    assert [(e["id"], e["row"]) for e in errors] == [
        (None, 4), (None, 8), ("empty", 9), ("number", 10), (None, 11),
    ]  # fmt: skip
    assert errors[0]["error"].startswith("line is not valid JSON")
    assert errors[1]["error"] == 'id field "id" is missing'
    assert errors[2]["error"] == 'field "text" is empty'
    assert errors[3]["error"] == 'field "text" must be a string, got int'
    assert errors[4]["error"] == "expected a JSON object, got list"
    assert (out / SUCCESS).is_file()


def test_when_a_part_file_is_missing_then_resume_redoes_only_that_partition(
    tmp_path: Path,
) -> None:
    source = write_jsonl(tmp_path / "notes.jsonl", make_notes(50))
    out = tmp_path / "out"
    run_job("deid", source, out, num_workers=0, batch_size=10)
    clean = folder_bytes(out)
    (out / "part-00003.jsonl").unlink()
    (out / SUCCESS).unlink()
    stray = out / ".part-00001.jsonl.tmp-999-deadbeef"
    stray.write_text('{"id": "half', "utf-8")
    result = run_job("deid", source, out, num_workers=0, batch_size=10, resume=True)
    assert (result.partitions_done, result.partitions_skipped, result.records) == (1, 4, 10)
    assert not stray.exists()
    assert folder_bytes(out) == clean
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith("part-")) == [
        SUCCESS, MANIFEST,
    ]  # fmt: skip


def test_when_an_errors_file_lacks_its_part_file_then_resume_rewrites_both(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    source = _bad_mix(tmp_path)
    run_job("deid", source, out, num_workers=1, batch_size=4)
    clean = folder_bytes(out)
    (out / "part-00001.jsonl").unlink()  # a run killed between the two renames
    run_job("deid", source, out, num_workers=1, batch_size=4, resume=True)
    assert folder_bytes(out) == clean


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"batch_size": 7}, "batch_size was 10, now 7"),
        ({"options": {"operator": "mask"}}, "options was"),
        ({"kind": "embed"}, "kind was 'deid', now 'embed'"),
    ],
)
def test_when_manifest_does_not_match_then_resume_refuses(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    source = write_jsonl(tmp_path / "notes.jsonl", make_notes(20))
    out = tmp_path / "out"
    run_job("deid", source, out, num_workers=1, batch_size=10)
    args: dict[str, object] = {"batch_size": 10, "options": None, "kind": "deid"} | change
    kind = str(args.pop("kind"))
    with pytest.raises(InvalidInputError, match=message):
        run_job(kind, source, out, num_workers=1, resume=True, **args)  # type: ignore[arg-type]


def test_when_input_changed_then_resume_refuses(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "notes.jsonl", make_notes(20))
    out = tmp_path / "out"
    run_job("deid", source, out, num_workers=1, batch_size=10)
    write_jsonl(source, make_notes(21))
    with pytest.raises(InvalidInputError, match=r"cannot resume .* input size was"):
        run_job("deid", source, out, num_workers=1, batch_size=10, resume=True)


def test_when_output_folder_not_empty_then_refused_without_resume(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "notes.jsonl", make_notes(3))
    out = tmp_path / "out"
    run_job("deid", source, out, num_workers=1)
    before = folder_bytes(out)
    with pytest.raises(InvalidInputError, match="is not empty; pass --resume"):
        run_job("deid", source, out, num_workers=1)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine", "utf-8")
    with pytest.raises(InvalidInputError, match=r"holds no _job\.json"):
        run_job("deid", source, foreign, num_workers=1, resume=True)
    assert folder_bytes(out) == before
    assert (foreign / "keep.txt").read_text("utf-8") == "mine"


def test_when_keyed_operator_has_no_secret_then_refused(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "notes.jsonl", make_notes(3))
    with pytest.raises(InvalidInputError, match="needs a fixed secret"):
        run_job("deid", source, tmp_path / "o", num_workers=1, options={"operator": "hash"})


def test_when_secret_given_then_manifest_holds_only_its_hash(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "notes.jsonl", make_notes(3))
    out = tmp_path / "o"
    options = {"operator": "surrogate", "secret": "s3cret-value-of-32-characters-xx"}
    run_job("deid", source, out, num_workers=1, options=options)
    manifest = (out / MANIFEST).read_text("utf-8")
    assert "s3cret-value-of-32-characters-xx" not in manifest
    assert json.loads(manifest)["options"]["secret"].startswith("sha256:")
    again = tmp_path / "o2"
    run_job("deid", source, again, num_workers=1, options=options)
    assert folder_bytes(out) == folder_bytes(again)


def test_when_unknown_kind_or_option_then_error_lists_the_known_ones(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "notes.jsonl", make_notes(1))
    with pytest.raises(UnknownNameError, match="unknown job kind 'ocr'; expected one of deid"):
        run_job("ocr", source, tmp_path / "o")
    with pytest.raises(UnknownNameError, match="has no option 'model'; its options: lang"):
        run_job("deid", source, tmp_path / "o", options={"model": "x"})


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_when_output_format_chosen_then_parts_hold_ids_in_order(tmp_path: Path, fmt: str) -> None:
    import csv

    import pyarrow.parquet as pq

    source = write_jsonl(tmp_path / "notes.jsonl", make_notes(5))
    out = tmp_path / "o"
    run_job("deid", source, out, num_workers=1, batch_size=3, output_format=fmt)
    first = out / f"part-00000.{fmt}"
    if fmt == "csv":
        with first.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert [r["id"] for r in rows] == ["n00000", "n00001", "n00002"]
        assert json.loads(rows[0]["phi"])[0]["type"] == "NAME"
    else:
        ids = pq.read_table(out / "part-00001.parquet").column("id").to_pylist()
        assert ids == ["n00003", "n00004"]


def test_when_input_is_csv_then_outputs_match_the_jsonl_run(tmp_path: Path) -> None:
    notes = make_notes(6)
    jsonl = write_jsonl(tmp_path / "notes.jsonl", notes)
    csv_path = tmp_path / "notes.csv"
    csv_path.write_text("id,text\n" + "".join(f'{n["id"]},"{n["text"]}"\n' for n in notes), "utf-8")
    run_job("deid", jsonl, tmp_path / "a", num_workers=1, batch_size=4)
    run_job("deid", csv_path, tmp_path / "b", num_workers=1, batch_size=4)
    assert folder_bytes(tmp_path / "a") == folder_bytes(tmp_path / "b")


def test_when_progress_given_then_it_counts_to_the_total(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "notes.jsonl", make_notes(25))
    seen: list[tuple[int, int]] = []
    run_job("deid", source, tmp_path / "o", num_workers=1, batch_size=10,
            progress=lambda done, total: seen.append((done, total)))  # fmt: skip
    assert seen == [(10, 25), (20, 25), (25, 25)]
