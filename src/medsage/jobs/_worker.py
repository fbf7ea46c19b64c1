"""What a worker does with one partition: read its slice, run the kind, commit the files.

The same function runs in-process, in a local pool process and in a Ray actor, so the bytes of
a partition's files never depend on the executor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medsage.errors import MedSageError
from medsage.jobs._inputs import Partition, Record, csv_header, input_format, read_partition
from medsage.jobs._kinds import JOB_KINDS, JobKind, Outcome
from medsage.jobs._outputs import write_partition


@dataclass(frozen=True)
class JobSpec:
    """Everything a worker needs, as plain picklable values."""

    kind: str
    options: dict[str, Any]
    input: str
    output: str
    output_format: str = "jsonl"
    id_field: str = "id"
    header: list[str] | None = field(default=None)

    def job_kind(self) -> JobKind:
        import medsage.jobs._builtin  # noqa: F401  (registers the built-in kinds)

        return JOB_KINDS.get(self.kind)


@dataclass(frozen=True)
class PartitionSummary:
    """Counts of one committed partition (no record content)."""

    index: int
    records: int
    outputs: int
    errors: int


class PartitionRunner:
    """Loads the kind once (`load(options)`) and then processes partitions."""

    def __init__(self, spec: JobSpec) -> None:
        self.spec = spec
        self.kind = spec.job_kind()
        self.state = self.kind.load(spec.options)

    def run(self, part: Partition) -> PartitionSummary:
        """Process and commit partition `part`."""
        spec = self.spec
        source = Path(spec.input)
        header = spec.header
        if header is None and input_format(source) == "csv":
            header = csv_header(source)
        records = read_partition(source, part, header)
        outputs, errors = self.process(records)
        write_partition(Path(spec.output), part.index, outputs, errors, spec.output_format)
        return PartitionSummary(part.index, len(records), len(outputs), len(errors))

    def process(
        self, records: Sequence[Record]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Outputs and errors: exactly one of the two for every record, in input order."""
        id_field = self.spec.id_field
        slots: list[tuple[Record, Any, Outcome | None]] = []
        for record in records:
            ident = record.fields.get(id_field)
            if record.error is not None:
                slots.append((record, _id_or_none(ident), record.error))
            elif _id_or_none(ident) is None:
                problem = "is missing" if ident in (None, "") else f"is a {type(ident).__name__}"
                slots.append((record, None, f'id field "{id_field}" {problem}'))
            else:
                slots.append((record, ident, None))
        pending = [i for i, (_, _, outcome) in enumerate(slots) if outcome is None]
        results = self._outcomes([slots[i][0].fields for i in pending])
        done: dict[int, Outcome] = dict(zip(pending, results, strict=True))
        outputs: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for i, (record, ident, outcome) in enumerate(slots):
            final = done.get(i, outcome)
            if isinstance(final, dict):
                outputs.append({"id": ident, **final})
            else:
                errors.append({"id": ident, "row": record.row, "error": str(final)})
        return outputs, errors

    def _outcomes(self, records: Sequence[Mapping[str, Any]]) -> list[Outcome]:
        """The kind on the whole list; if one bad record spoils the batch, record by record."""
        if not records:
            return []
        try:
            return self.kind.process(self.state, records)
        except (MedSageError, ValueError):
            pass
        out: list[Outcome] = []
        for record in records:
            try:
                out.extend(self.kind.process(self.state, [record]))
            except (MedSageError, ValueError) as exc:
                out.append(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return out


def _id_or_none(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


# -- the local pool: one runner per process, built by the pool's initializer -----------------

_RUNNER: PartitionRunner | None = None
_LOAD_ERROR: BaseException | None = None


def init_pool_worker(spec: JobSpec) -> None:
    """Pool initializer: load the kind once; keep a load error to raise on the first task
    (an initializer that raises only breaks the pool with an unhelpful message)."""
    global _RUNNER, _LOAD_ERROR
    try:
        _RUNNER = PartitionRunner(spec)
    except Exception as exc:  # re-raised, unchanged, by run_in_pool_worker
        _LOAD_ERROR = exc


def run_in_pool_worker(part: Partition) -> PartitionSummary:
    """Pool task: process one partition with this process's runner."""
    if _LOAD_ERROR is not None:
        raise _LOAD_ERROR
    assert _RUNNER is not None
    return _RUNNER.run(part)
