"""The Ray executor: Ray Data over partition descriptors, one `PartitionWorker` actor per worker.

Each actor loads the job kind once (in `__init__`), then for each descriptor reads its slice of
the input, processes it and commits its files, returning only counts. Ray Data restarts a dead
actor and retries its task (its actor-pool defaults: `max_restarts=-1`, `max_task_retries=-1`);
a redone partition rewrites the same file names with the same bytes, so a retry never
duplicates a record.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np

from medsage.errors import MedSageError, MissingFileError
from medsage.jobs._inputs import Partition
from medsage.jobs._worker import JobSpec, PartitionRunner, PartitionSummary

ACTOR_NAME = "PartitionWorker"  # shows in the process title of each actor (ray::PartitionWorker)


class PartitionWorker:
    """A Ray Data callable class: one per actor, the kind loaded once."""

    def __init__(self, spec: JobSpec) -> None:
        self.error: BaseException | None = None
        try:
            self.runner: PartitionRunner | None = PartitionRunner(spec)
        except Exception as exc:  # raised from __call__, where Ray reports it as a task error
            self.runner, self.error = None, exc

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.error is not None:
            raise self.error
        assert self.runner is not None
        out: dict[str, list[int]] = {"index": [], "records": [], "outputs": [], "errors": []}
        for i in range(len(batch["index"])):
            part = Partition.from_dict({k: int(v[i]) for k, v in batch.items()})
            summary = self.runner.run(part)
            for key in out:
                out[key].append(int(getattr(summary, key)))
        return {k: np.asarray(v, dtype=np.int64) for k, v in out.items()}


def run_on_ray(
    spec: JobSpec, todo: list[Partition], workers: int, address: str | None
) -> Iterator[PartitionSummary]:
    """Run the partitions `todo` on Ray; yields each partition's counts as it commits."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise MissingFileError(
            "the ray executor needs Ray: pip install 'ray[data]==2.60.0' (or use --executor local)"
        ) from None
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(
            address=address,
            num_cpus=workers if address is None else None,
            include_dashboard=False,
            logging_level=logging.WARNING,
            log_to_driver=False,
        )
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        items = [p.to_dict() for p in todo]
        dataset = ray.data.from_items(items, override_num_blocks=len(items))
        results = dataset.map_batches(
            PartitionWorker,
            fn_constructor_kwargs={"spec": spec},
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=1,
            batch_format="numpy",
        )
        try:
            for row in results.iter_rows():
                yield PartitionSummary(
                    int(row["index"]), int(row["records"]), int(row["outputs"]),
                    int(row["errors"]),
                )  # fmt: skip
        except Exception as exc:
            raise _unwrap(exc) from None
    finally:
        if started_here:
            ray.shutdown()


def _unwrap(exc: BaseException) -> BaseException:
    """The MedSageError a worker raised, out of Ray's wrappers; else `exc` itself."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            break
        if isinstance(seen, MedSageError):
            return seen
        cause: Any = getattr(seen, "cause", None) or seen.__cause__
        seen = cause
    return exc
