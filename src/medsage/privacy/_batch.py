"""De-identify many notes: JSONL or plain-text files, in parallel worker processes.

JSONL input: one JSON object per line with a "text" field (and optionally "patient_id");
every other field is kept, "text" is replaced and "phi" lists the spans found (types and
offsets, never the original PHI). A plain-text file is one note. The output is written to a
temporary file next to `out` and renamed only when every note is done, so a failure never
leaves a half-written output or touches the input.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medsage.datasets import read_text_file
from medsage.errors import DataFormatError, EmptyInputError, InvalidInputError, MissingFileError
from medsage.privacy._deidentifier import Deidentifier

PARALLEL_FROM = 200  # fewer notes than this run in-process (a pool costs ~1 s to start)
_CHUNK = 64


@dataclass
class BatchSummary:
    """Counts of one batch run (no PHI)."""

    notes: int = 0
    characters: int = 0
    spans: int = 0
    spans_by_type: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    workers: int = 1

    def to_dict(self) -> dict[str, Any]:
        rate = self.characters / 1000 / self.seconds if self.seconds else 0.0
        return {
            "notes": self.notes, "characters": self.characters, "spans": self.spans,
            "spans_by_type": self.spans_by_type, "seconds": round(self.seconds, 3),
            "kb_per_second": round(rate, 1), "workers": self.workers,
        }  # fmt: skip


@dataclass(frozen=True)
class DeidConfig:
    """Everything a worker process needs to build the same `Deidentifier`."""

    lang: str = "auto"
    operators: str | dict[str, str] = "tag"
    secret: bytes | None = None
    key: bytes | None = None
    threshold: float = 0.5
    model: str | None = None  # a learned recognizer folder

    def build(self) -> Deidentifier:
        return Deidentifier(
            self.lang, self.operators, secret=self.secret, key=self.key,
            threshold=self.threshold, model=self.model,
        )  # fmt: skip


_WORKER: Deidentifier | None = None


def _init_worker(config: DeidConfig) -> None:
    global _WORKER
    _WORKER = config.build()


def _run_chunk(chunk: Sequence[tuple[str, str | None]]) -> list[dict[str, Any]]:
    assert _WORKER is not None
    return [_WORKER.anonymize(text, patient_id=pid).to_dict() for text, pid in chunk]


def deidentify_notes(
    notes: Sequence[tuple[str, str | None]],
    config: DeidConfig,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield `DeidResult.to_dict()` for each (text, patient_id), in input order."""
    if config.secret is None and config.operators != "tag":
        # Each worker would draw its own random secret: surrogates would disagree across workers.
        config = dataclasses.replace(config, secret=os.urandom(32))
    n_workers = _worker_count(len(notes), workers)
    chunks = [notes[i : i + _CHUNK] for i in range(0, len(notes), _CHUNK)]
    done = 0
    if n_workers == 1:
        _init_worker(config)
        results: Iterator[list[dict[str, Any]]] = map(_run_chunk, chunks)
        for batch in results:
            done += len(batch)
            if progress:
                progress(done)
            yield from batch
        return
    with ProcessPoolExecutor(n_workers, initializer=_init_worker, initargs=(config,)) as pool:
        for batch in pool.map(_run_chunk, chunks):
            done += len(batch)
            if progress:
                progress(done)
            yield from batch


def _worker_count(n_notes: int, workers: int | None) -> int:
    if workers is not None:
        if workers < 1:
            raise InvalidInputError(f"workers must be >= 1, got {workers}")
        return workers
    return 1 if n_notes < PARALLEL_FROM else max(1, os.cpu_count() or 1)


def read_notes(path: str | Path) -> tuple[list[dict[str, Any]], bool]:
    """The records of `path` and whether it is JSONL (else one plain-text note)."""
    source = Path(path)
    if not source.is_file():
        raise MissingFileError(f"{source} not found")
    text = read_text_file(source)
    if source.suffix.lower() not in (".jsonl", ".ndjson"):
        if not text.strip():
            raise EmptyInputError(f"{source} is empty: nothing to de-identify")
        return [{"text": text}], False
    records: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFormatError(f"{source}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise DataFormatError(f'{source}:{number}: expected an object with a "text" string')
        if "patient_id" in row and not isinstance(row["patient_id"], str | int):
            raise DataFormatError(f"{source}:{number}: patient_id must be a string or number")
        records.append(row)
    if not records:
        raise EmptyInputError(f"{source} holds no records")
    return records, True


def deidentify_file(
    source: str | Path,
    out: str | Path,
    config: DeidConfig,
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BatchSummary:
    """De-identify `source` (JSONL or plain text) into `out`; returns counts."""
    source, out = Path(source), Path(out)
    if out.resolve() == source.resolve():
        raise InvalidInputError("--out must differ from --input: the input is never overwritten")
    records, is_jsonl = read_notes(source)
    notes = [
        (r["text"], str(r["patient_id"]) if r.get("patient_id") is not None else None)
        for r in records
    ]
    summary = BatchSummary(workers=_worker_count(len(notes), workers))
    counts: Counter[str] = Counter()
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            results = deidentify_notes(
                notes, config, workers=workers,
                progress=(lambda done: progress(done, len(notes))) if progress else None,
            )  # fmt: skip
            for record, result in zip(records, results, strict=True):
                counts.update(s["type"] for s in result["spans"])
                summary.notes += 1
                summary.characters += len(record["text"])
                if not is_jsonl:
                    handle.write(result["text"])
                    continue
                phi = [
                    {k: s[k] for k in ("start", "end", "type", "score", "recognizer")}
                    for s in result["spans"]
                ]
                row = {**record, "text": result["text"], "phi": phi}
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    summary.seconds = time.perf_counter() - started
    summary.spans = sum(counts.values())
    summary.spans_by_type = dict(sorted(counts.items()))
    return summary
