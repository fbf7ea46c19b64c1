"""`run_job`: plan the partitions, check or write the manifest, run them on an executor."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from medsage import __version__
from medsage.errors import InvalidInputError, UnknownNameError
from medsage.jobs._inputs import (
    Partition,
    check_input,
    csv_header,
    fingerprint,
    input_format,
    plan_partitions,
    read_partition,
)
from medsage.jobs._outputs import (
    MANIFEST,
    MANIFEST_VERSION,
    OUTPUT_FORMATS,
    SUCCESS,
    clean_temporary,
    committed_partitions,
    drop_uncommitted_errors,
    manifest_mismatches,
    read_manifest,
    write_json_atomic,
)
from medsage.jobs._worker import (
    JobSpec,
    PartitionRunner,
    PartitionSummary,
    init_pool_worker,
    run_in_pool_worker,
)

logger = logging.getLogger(__name__)

EXECUTORS = ("local", "ray")
IN_FLIGHT_PER_WORKER = 2  # partitions queued per worker: enough to keep it busy, memory flat

ProgressFn = Callable[[int, int], None]


@dataclass
class JobResult:
    """Counts of one run (records, outputs and errors of the partitions done in this run)."""

    kind: str
    executor: str
    workers: int
    partitions_total: int
    partitions_done: int
    partitions_skipped: int
    records: int
    outputs: int
    errors: int
    seconds: float
    output: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["seconds"] = round(self.seconds, 3)
        out["records_per_second"] = round(self.records_per_second, 1)
        return out


def run_job(
    kind: str,
    input: str | Path,
    output: str | Path,
    *,
    executor: str = "local",
    address: str | None = None,
    batch_size: int = 1000,
    num_workers: int | None = None,
    resume: bool = False,
    options: Mapping[str, Any] | None = None,
    id_field: str = "id",
    output_format: str = "jsonl",
    progress: ProgressFn | None = None,
) -> JobResult:
    """Run job `kind` over `input` (JSONL, CSV or Parquet) into the folder `output`.

    Args:
        executor: "local" (a process pool; `num_workers` 0 or 1 runs in this process) or
            "ray" (Ray Data actors; `address` of a cluster, or None for a local Ray).
        batch_size: records per partition; the partitions are the same on every executor.
        num_workers: worker processes or actors (default: the CPU count).
        resume: skip the partitions a killed run committed; refused when the manifest of
            `output` does not match this input, kind, options and batch size.
        options: the kind's options (see `JOB_KINDS`); strings are converted to their type.
        id_field: the input field that identifies a record; outputs carry it as "id".
        output_format: "jsonl", "parquet" or "csv" part files.
        progress: called as progress(records_done, records_total).
    """
    started = time.perf_counter()
    if executor not in EXECUTORS:
        raise UnknownNameError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if output_format not in OUTPUT_FORMATS:
        raise InvalidInputError(
            f"output format must be one of {', '.join(OUTPUT_FORMATS)}, got {output_format!r}"
        )
    if num_workers is not None and num_workers < 0:
        raise InvalidInputError(f"num_workers must be >= 0, got {num_workers}")
    source = check_input(input)
    folder = Path(output)
    if folder.resolve() == source.resolve() or source.resolve().parent == folder.resolve():
        raise InvalidInputError(
            f"--output {folder} must be a new folder, not the input file or its folder"
        )
    spec0 = JobSpec(kind, {}, str(source), str(folder), output_format, id_field)
    job_kind = spec0.job_kind()
    resolved = job_kind.resolve_options(options)
    if job_kind.finalize is not None and "folder" in resolved and not resolved["folder"]:
        resolved["folder"] = str(folder / "index")
    partitions = plan_partitions(source, batch_size)
    header = csv_header(source) if input_format(source) == "csv" else None
    spec = JobSpec(kind, resolved, str(source), str(folder), output_format, id_field, header)
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "medsage_version": __version__,
        "kind": kind,
        "options": job_kind.manifest_options(resolved),
        "batch_size": batch_size,
        "id_field": id_field,
        "output_format": output_format,
        "input": fingerprint(source),
        "partitions": len(partitions),
    }
    done_before = _prepare_folder(folder, manifest, resume, output_format)
    todo = [p for p in partitions if p.index not in done_before]
    workers = _worker_count(num_workers, len(todo))
    total = sum(p.count for p in todo)
    logger.info(
        "job %s: %d partitions, %d to do, %d workers (%s)",
        kind, len(partitions), len(todo), workers, executor,
    )  # fmt: skip
    summaries: Iterator[PartitionSummary]
    if not todo:
        summaries = iter(())
    elif executor == "ray":
        from medsage.jobs._ray import run_on_ray

        summaries = run_on_ray(spec, todo, workers, address)
    elif workers <= 1:
        summaries = _in_process(spec, todo)
    else:
        summaries = _in_pool(spec, todo, workers)
    result = JobResult(
        kind, executor, workers, len(partitions), 0, len(partitions) - len(todo),
        0, 0, 0, 0.0, str(folder),
    )  # fmt: skip
    for summary in summaries:
        result.partitions_done += 1
        result.records += summary.records
        result.outputs += summary.outputs
        result.errors += summary.errors
        if progress is not None:
            progress(result.records, total)
    missing = set(range(len(partitions))) - committed_partitions(folder, output_format)
    if missing:  # an executor that returned without committing everything: never report success
        raise InvalidInputError(
            f"{len(missing)} partitions of {folder} were not committed (first: {min(missing)}); "
            "rerun with --resume"
        )
    clean_temporary(folder)  # every partition is committed: a leftover is a dead worker's
    if job_kind.finalize is not None and not (folder / SUCCESS).exists():
        result.extra = job_kind.finalize(resolved, _documents(spec, partitions))
    (folder / SUCCESS).write_text("", encoding="utf-8")
    result.seconds = time.perf_counter() - started
    return result


def _prepare_folder(
    folder: Path, manifest: dict[str, Any], resume: bool, output_format: str
) -> set[int]:
    """Create or check the output folder; returns the partitions already committed."""
    existing = read_manifest(folder) if folder.is_dir() else None
    if folder.is_file():
        raise InvalidInputError(f"--output {folder} is a file; give a folder")
    if folder.is_dir() and any(folder.iterdir()):
        if not resume:
            raise InvalidInputError(
                f"output folder {folder} is not empty; pass --resume to continue the job it "
                "holds, or choose a new folder (outputs are never overwritten or mixed)"
            )
        if existing is None:
            raise InvalidInputError(
                f"output folder {folder} is not empty and holds no {MANIFEST}: it is not a job "
                "folder that can be resumed; choose a new folder"
            )
    if existing is not None:
        problems = manifest_mismatches(existing, manifest)
        if problems:
            raise InvalidInputError(
                f"cannot resume into {folder}: {'; '.join(problems)}. Rerun with the same "
                "input, kind, options and batch size, or choose a new output folder"
            )
        clean_temporary(folder)
        done = committed_partitions(folder, output_format)
        drop_uncommitted_errors(folder, done)
        return done
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / MANIFEST, manifest)
    return set()


def _worker_count(requested: int | None, partitions: int) -> int:
    """Workers to start: never more than partitions to do (idle actors only cost memory)."""
    wanted = requested if requested is not None else (os.cpu_count() or 1)
    return max(1, min(wanted, partitions))


def _in_process(spec: JobSpec, todo: list[Partition]) -> Iterator[PartitionSummary]:
    runner = PartitionRunner(spec)
    for part in todo:
        yield runner.run(part)


def _in_pool(spec: JobSpec, todo: list[Partition], workers: int) -> Iterator[PartitionSummary]:
    """A spawn-context pool (torch and fork do not mix); at most IN_FLIGHT_PER_WORKER
    partitions per worker are queued, so the driver never holds more."""
    context = get_context("spawn")
    limit = IN_FLIGHT_PER_WORKER * workers
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=init_pool_worker, initargs=(spec,)
    ) as pool:
        queue = iter(todo)
        running: set[Future[PartitionSummary]] = set()
        for part in queue:
            running.add(pool.submit(run_in_pool_worker, part))
            if len(running) >= limit:
                break
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                try:
                    summary = future.result()
                except BrokenProcessPool as exc:
                    raise RuntimeError(
                        "a job worker process died (killed, out of memory, or a script that "
                        "calls run_job without an `if __name__ == '__main__':` guard, which "
                        "spawned workers re-run); committed partitions are kept: rerun with "
                        "resume=True"
                    ) from exc
                yield summary
                following = next(queue, None)
                if following is not None:
                    running.add(pool.submit(run_in_pool_worker, following))


def _documents(spec: JobSpec, partitions: list[Partition]) -> Iterator[Any]:
    """The input records that became outputs, as literature Documents (for `index`)."""
    from medsage.literature import Document

    checks = PartitionRunner(spec)  # the same checks as the workers (cheap for `index`)
    source = Path(spec.input)
    for part in partitions:
        records = read_partition(source, part, spec.header)
        outputs, _ = checks.process(records)
        ok = {str(o["id"]) for o in outputs}
        for record in records:
            ident = record.fields.get(spec.id_field)
            if record.error is None and str(ident) in ok:
                fields = {k: v for k, v in record.fields.items() if v is not None}
                yield Document.from_dict({**fields, "id": str(ident)})
