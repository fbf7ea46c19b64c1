"""Jobs on a real local Ray: identical bytes to the local executor; a killed worker or a killed
driver loses and duplicates nothing (the kill-and-resume test of issue 11)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from medsage.jobs import SUCCESS, run_job

try:
    import ray
except ImportError:  # pragma: no cover - ray is a declared extra
    if os.environ.get("MEDSAGE_REQUIRE_RAY") == "1":
        raise
    pytest.skip("ray is not installed (pip install 'ray[data]==2.60.0')", allow_module_level=True)

pytestmark = pytest.mark.slow
NAMES = ("Mary Hughes", "John Rossi", "Ann Lee", "Peter Brown")


def _notes(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"n{i:06d}",
            "text": f"Pt {NAMES[i % 4]} seen on {1 + i % 12}/{1 + i % 28}/2024 with cough for "
            f"{i % 9 + 1} days; temperature 38.{i % 10} C; call 617-555-{i % 10000:04d}.",
        }
        for i in range(n)
    ]


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*-*.*")) if ".tmp-" not in p.name}


def _ids(folder: Path) -> list[str]:
    return [
        json.loads(line)["id"]
        for part in sorted(folder.glob("part-*.jsonl"))
        for line in part.read_text("utf-8").splitlines()
    ]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[str]:
    """One local Ray for the module (2 CPUs); yields its address for subprocess drivers."""
    ray.init(
        num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING
    )
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def test_when_deid_classify_screen_run_on_ray_then_bytes_equal_local(
    local_ray: str, tmp_path: Path
) -> None:
    from importlib import resources

    from medsage.models import TextClassifier

    cases = [
        json.loads(line)
        for line in resources.files("medsage.resources.demo").joinpath("cases.jsonl")
        .read_text("utf-8").splitlines()
    ]  # fmt: skip
    model = tmp_path / "model"
    TextClassifier("tfidf", calibrate=False).fit(
        [c["text"] for c in cases], [c["label"] for c in cases]
    ).save(model)
    notes = _write(tmp_path / "notes.jsonl", [*_notes(300), {"id": "blank", "text": ""}])
    cases_in = _write(
        tmp_path / "cases.jsonl", [{"id": f"c{i}", "text": c["text"]} for i, c in enumerate(cases)]
    )
    smiles = _write(
        tmp_path / "mols.jsonl",
        [
            {"id": f"m{i}", "smiles": s}
            for i, s in enumerate(["CCO", "c1ccccc1O", "C1((", "CC(=O)O"] * 5)
        ],
    )
    jobs = [
        ("deid", notes, {}),
        ("classify", cases_in, {"model": str(model)}),
        ("screen", smiles, {}),
    ]
    for kind, source, options in jobs:
        local = run_job(kind, source, tmp_path / f"{kind}-local", num_workers=2, batch_size=64,
                        options=options)  # fmt: skip
        on_ray = run_job(kind, source, tmp_path / f"{kind}-ray", executor="ray", num_workers=2,
                         batch_size=64, options=options)  # fmt: skip
        assert (on_ray.outputs, on_ray.errors) == (local.outputs, local.errors)
        assert _files(tmp_path / f"{kind}-ray") == _files(tmp_path / f"{kind}-local"), kind
    assert (local.outputs, local.errors) == (15, 5)  # screen: 5 copies of "C1((" fail


def _start_driver(source: Path, out: Path, address: str) -> subprocess.Popen[bytes]:
    code = (
        "import sys, ray, logging; from medsage.jobs import run_job; "
        "ray.init(address=sys.argv[3], logging_level=logging.WARNING, log_to_driver=False); "
        "run_job('deid', sys.argv[1], sys.argv[2], executor='ray', num_workers=2, batch_size=100)"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(source), str(out), address],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _wait_for_parts(out: Path, n: int, proc: subprocess.Popen[bytes], limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while len(list(out.glob("part-*.jsonl"))) < n:
        assert proc.poll() is None, (
            f"driver ended early: {proc.stderr.read() if proc.stderr else ''}"
        )
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.05)


def _worker_pids() -> list[int]:
    """PartitionWorker actor processes of this module's Ray (our descendants; their process
    title is ray::MapWorker(MapBatches(PartitionWorker)); the state API needs the dashboard)."""
    import psutil

    pids = []
    for child in psutil.Process(os.getpid()).children(recursive=True):
        try:
            if "PartitionWorker" in " ".join(child.cmdline()):
                pids.append(child.pid)
        except psutil.Error:
            continue
    return pids


def test_when_one_ray_worker_is_killed_then_every_id_appears_once(
    local_ray: str, tmp_path: Path
) -> None:
    rows = _notes(12_000)
    source = _write(tmp_path / "notes.jsonl", rows)
    out = tmp_path / "out"
    driver = _start_driver(source, out, local_ray)
    _wait_for_parts(out, 3, driver)
    pids = _worker_pids()
    assert pids, "no PartitionWorker actor found"
    os.kill(pids[0], signal.SIGKILL)
    committed_at_kill = len(list(out.glob("part-*.jsonl")))
    assert driver.wait(timeout=300) == 0, driver.stderr.read() if driver.stderr else ""
    assert committed_at_kill < 120  # the kill happened mid-run
    assert (out / SUCCESS).is_file()
    assert _ids(out) == [r["id"] for r in rows]


def test_when_the_driver_is_killed_then_resume_completes_with_no_gaps_or_duplicates(
    local_ray: str, tmp_path: Path
) -> None:
    rows = _notes(12_000)
    source = _write(tmp_path / "notes.jsonl", rows)
    clean = tmp_path / "clean"
    run_job("deid", source, clean, num_workers=2, batch_size=100)
    out = tmp_path / "out"
    driver = _start_driver(source, out, local_ray)
    _wait_for_parts(out, 5, driver)
    driver.send_signal(signal.SIGKILL)
    driver.wait(timeout=30)
    done_before = len(list(out.glob("part-*.jsonl")))
    assert 5 <= done_before < 120 and not (out / SUCCESS).exists()
    deadline = time.monotonic() + 60
    while _worker_pids() and time.monotonic() < deadline:  # Ray reaps the dead job's actors
        time.sleep(0.2)
    result = run_job(
        "deid", source, out, executor="ray", num_workers=2, batch_size=100, resume=True
    )
    assert result.partitions_skipped >= done_before
    assert result.partitions_skipped + result.partitions_done == 120
    ids = _ids(out)
    assert len(ids) == len(set(ids)) == 12_000
    assert ids == [r["id"] for r in rows]
    assert _files(out) == _files(clean)
    assert not list(out.glob(".*"))
