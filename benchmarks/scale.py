"""Scale-out: batch jobs over 10^5-10^6 records in-process, on a local pool and on Ray.

Usage::

    .venv/bin/python benchmarks/scale.py notes [--sizes 100000,1000000] [--scaling-size 200000]
    .venv/bin/python benchmarks/scale.py molecules [--size 1000000]

`notes`: synthetic notes (`medsage jobs generate-notes`: sentences of the real notes and
cases in ../shared/data recombined, 30% Chinese) are de-identified (`deid`, tag operator) and
classified (`classify`, the demo tfidf model) with `run_job`:
- scaling, on `--scaling-size` notes: in-process (1 worker) vs local process pool (2) vs Ray
  local (2 actors); throughput with and without Ray's start-up (the first committed partition
  marks the start of steady state);
- flat memory, for each of `--sizes` with Ray (2 actors): the peak RSS of the driver and of
  each worker process.
`molecules`: MoleculeNet HIV (41,127 SMILES) replicated to `--size` rows (ids made unique)
screened (`screen` kind: standardise, properties, QED, SA, Lipinski + Veber, PAINS/Brenk/NIH)
on Ray with 2 actors.

Each configuration runs in its own process (the benchmark samples RSS of that process and all
its descendants every 0.2 s with psutil). Machine: 2 cores; the load average before each run is
recorded. Writes benchmarks/results/scale.json (one key per part, merged with earlier runs).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS_DIR, default_data_dir, environment, write_result

CONFIGS = {
    "in-process": {"executor": "local", "num_workers": 1},
    "local-pool-2": {"executor": "local", "num_workers": 2},
    "ray-2": {"executor": "ray", "num_workers": 2},
}


def _child(args: argparse.Namespace) -> None:
    """Run one job in this process and print its measurements as one JSON line."""
    import psutil

    from medsage.jobs import run_job

    peaks: dict[int, tuple[str, int]] = {}
    first_commit: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        me = psutil.Process()
        while not stop.is_set():
            for proc in [me, *me.children(recursive=True)]:
                try:
                    name = " ".join(proc.cmdline())[:80]
                    rss = proc.memory_info().rss
                except psutil.Error:
                    continue
                if rss > peaks.get(proc.pid, ("", 0))[1]:
                    peaks[proc.pid] = (name, rss)
            stop.wait(0.2)

    def progress(done: int, _total: int) -> None:
        if done and not first_commit:
            first_commit.append(time.perf_counter())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    config = CONFIGS[args.config]
    started = time.perf_counter()
    result = run_job(
        args.kind, args.input, args.output, batch_size=args.batch_size,
        options=json.loads(args.options), progress=progress, **config,  # type: ignore[arg-type]
    )  # fmt: skip
    finished = time.perf_counter()
    stop.set()
    sampler.join()
    me = os.getpid()
    workers = [
        round(rss / 2**20, 1) for pid, (name, rss) in peaks.items()
        if pid != me and ("PartitionWorker" in name or "spawn_main" in name
                          or "multiprocessing" in name)
    ]  # fmt: skip
    steady = None
    if first_commit and result.partitions_done > 1:
        per_partition = (finished - first_commit[0]) / (result.partitions_done - 1)
        steady = round(args.batch_size / per_partition, 1)
    print(json.dumps({
        "config": args.config, "kind": args.kind, "records": result.records,
        "outputs": result.outputs, "errors": result.errors,
        "wall_seconds": round(finished - started, 1),
        "records_per_second": round(result.records / (finished - started), 1),
        "steady_records_per_second": steady,
        "driver_peak_rss_mb": round(peaks[me][1] / 2**20, 1),
        "worker_peak_rss_mb": sorted(workers, reverse=True)[:4],
        "all_processes_peak_rss_mb": round(sum(rss for _n, rss in peaks.values()) / 2**20, 1),
    }))  # fmt: skip


def _run(
    config: str, kind: str, source: Path, options: dict[str, Any], batch: int
) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix=f"scale-{kind}-{config}-")) / "out"
    load = os.getloadavg()[0]
    command = [
        sys.executable, __file__, "_child", "--config", config, "--kind", kind,
        "--input", str(source), "--output", str(out), "--batch-size", str(batch),
        "--options", json.dumps(options),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    shutil.rmtree(out.parent, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"{config} {kind} failed:\n{done.stderr[-3000:]}")
    row: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    row["load_average_before"] = round(load, 2)
    print(json.dumps(row), flush=True)
    return row


def _notes(count: int, folder: Path) -> Path:
    from medsage.jobs import generate_notes

    path = folder / f"notes-{count}.jsonl"
    if not path.is_file():
        generate_notes(path, count, seed=0, data_dir=default_data_dir())
    return path


def _model(folder: Path) -> Path:
    from medsage.demo import run_demo

    model = folder / "demo" / "model"
    if not (model / "medsage.json").is_file():
        run_demo(folder / "demo")
    return model


def notes(args: argparse.Namespace) -> dict[str, Any]:
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    jobs = {"deid": {"operator": "tag"}, "classify": {"model": str(_model(work))}}
    jobs = {kind: options for kind, options in jobs.items() if kind in args.kinds}
    scaling_input = _notes(args.scaling_size, work)
    scaling: dict[str, Any] = {}
    for kind, options in jobs.items():
        rows = {c: _run(c, kind, scaling_input, options, args.batch_size) for c in CONFIGS}
        base = rows["in-process"]
        for name, row in rows.items():
            row["speedup_wall"] = round(row["records_per_second"] / base["records_per_second"], 2)
            if row["steady_records_per_second"] and base["steady_records_per_second"]:
                row["speedup_steady"] = round(
                    row["steady_records_per_second"] / base["steady_records_per_second"], 2
                )
            scaling.setdefault(kind, {})[name] = row
    memory: dict[str, Any] = {}
    for size in args.sizes:
        source = _notes(size, work)
        memory[str(size)] = {
            kind: _run("ray-2", kind, source, options, args.batch_size)
            for kind, options in jobs.items()
        }
    return {
        "scaling_notes": args.scaling_size,
        "batch_size": args.batch_size,
        "scaling": scaling,
        "memory_by_size": memory,
        "data": "medsage jobs generate-notes --seed 0 (sentences of ../shared/data notes)",
    }


def molecules(args: argparse.Namespace) -> dict[str, Any]:
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    source = work / f"hiv-{args.size}.csv"
    if not source.is_file():
        with (default_data_dir() / "moleculenet" / "HIV.csv").open(encoding="utf-8") as handle:
            smiles = [row["smiles"] for row in csv.DictReader(handle)]
        with source.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "smiles"])
            for i in range(args.size):
                writer.writerow([f"m{i}", smiles[i % len(smiles)]])
    options = {"filters": ["lipinski", "veber"], "alerts": ["pains", "brenk", "nih"]}
    row = _run("ray-2", "screen", source, options, args.batch_size)
    return {"molecules": args.size, "source": "MoleculeNet HIV.csv replicated", "ray-2": row}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="part", required=True)
    child = sub.add_parser("_child")
    for name in ("--config", "--kind", "--input", "--output", "--options"):
        child.add_argument(name, required=True)
    child.add_argument("--batch-size", type=int, default=1000)
    n = sub.add_parser("notes")
    n.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                   default=[100_000, 1_000_000])  # fmt: skip
    n.add_argument("--scaling-size", type=int, default=200_000)
    n.add_argument(
        "--kinds",
        type=lambda s: s.split(","),
        default=["deid", "classify"],
        help="Rerun only these kinds (their entries replace the earlier ones).",
    )
    m = sub.add_parser("molecules")
    m.add_argument("--size", type=int, default=1_000_000)
    for p in (n, m):
        p.add_argument("--batch-size", type=int, default=1000)
        p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "medsage-scale")
    args = parser.parse_args()
    if args.part == "_child":
        _child(args)
        return
    started = time.time()
    part = notes(args) if args.part == "notes" else molecules(args)
    part["command"] = "benchmarks/scale.py " + " ".join(sys.argv[1:])
    part["minutes"] = round((time.time() - started) / 60, 1)
    path = RESULTS_DIR / "scale.json"
    merged = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if args.part == "notes" and "notes" in merged:  # keep the kinds and sizes not rerun
        earlier = merged["notes"]
        for kind, rows in part["scaling"].items():
            earlier["scaling"][kind] = rows
        for size, kinds in part["memory_by_size"].items():
            earlier["memory_by_size"].setdefault(size, {}).update(kinds)
        earlier.setdefault("reruns", []).append(
            {"command": part["command"], "kinds": args.kinds, "minutes": part["minutes"]}
        )
        part = earlier
    merged[args.part] = part
    merged["environment"] = environment()
    write_result("scale", merged)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
