"""`medsage jobs`: batch jobs in-process, in a local pool or on Ray (`run`, `kinds`,
`generate-notes`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from medsage.cli._common import emit_json, handles_errors, progress_bar, stdout
from medsage.errors import InvalidInputError
from medsage.jobs import EXECUTORS, JOB_KINDS, OUTPUT_FORMATS, generate_notes, run_job

SECRET_ENV = "MEDSAGE_DEID_SECRET"  # the same variable `medsage deid` reads

app = typer.Typer(
    help="Batch jobs over large JSONL/CSV/Parquet inputs: partitioned, resumable, local or Ray.",
    no_args_is_help=True,
)


def _parse_options(pairs: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"--option takes KEY=VALUE, got {pair!r}")
        options[key.strip()] = value
    return options


@app.command("run")
@handles_errors
def run(
    kind: str = typer.Argument(..., help="Job kind (see `medsage jobs kinds`)."),
    input_file: Path = typer.Option(..., "--input", help="JSONL, CSV or Parquet input."),
    output: Path = typer.Option(..., "--output", help="Output folder (new, or --resume)."),
    executor: str = typer.Option("local", "--executor", help=" or ".join(EXECUTORS)),
    address: str | None = typer.Option(None, "--address", help="Ray cluster address."),
    workers: int | None = typer.Option(None, "--workers", help="Processes or Ray actors."),
    batch_size: int = typer.Option(1000, "--batch-size", help="Records per partition."),
    resume: bool = typer.Option(False, "--resume", help="Skip committed partitions."),
    option: list[str] = typer.Option([], "--option", help="Kind option KEY=VALUE (repeat)."),
    id_field: str = typer.Option("id", "--id-field", help="Input field with the record id."),
    output_format: str = typer.Option(
        "jsonl", "--format", help=f"Part files: {', '.join(OUTPUT_FORMATS)}."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Run KIND over --input into part files in --output (one output or error per record)."""
    options: dict[str, Any] = _parse_options(option)
    if kind == "deid" and "secret" not in options and os.environ.get(SECRET_ENV):
        options["secret"] = os.environ[SECRET_ENV]
    with progress_bar(f"{kind} job", enabled=not as_json) as update:
        result = run_job(
            kind, input_file, output, executor=executor, address=address,
            batch_size=batch_size, num_workers=workers, resume=resume, options=options,
            id_field=id_field, output_format=output_format, progress=update,
        )  # fmt: skip
    if as_json:
        emit_json(result.to_dict())
        return
    stdout.print(
        f"{result.kind}: {result.records} records -> {result.outputs} outputs, "
        f"{result.errors} errors; partitions {result.partitions_done} done, "
        f"{result.partitions_skipped} skipped of {result.partitions_total}; "
        f"{result.records_per_second:.1f} records/s ({result.executor}, {result.workers} workers)"
        f" -> {result.output}",
        highlight=False,
    )


@app.command("kinds")
@handles_errors
def kinds(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the job kinds, their input fields and options."""
    import medsage.jobs._builtin  # noqa: F401  (registers the built-in kinds)

    if as_json:
        emit_json([kind.to_dict() for kind in JOB_KINDS])
        return
    table = Table("kind", "fields", "options", "what it does")
    for kind in JOB_KINDS:
        opts = ", ".join(f"{n}={s.default}" if s.default else n for n, s in kind.options.items())
        table.add_row(kind.name, ", ".join(kind.fields), opts, kind.summary)
    stdout.print(table)


@app.command("generate-notes")
@handles_errors
def generate_notes_command(
    count: int = typer.Option(..., "--count", help="How many notes."),
    out: Path = typer.Option(..., "--out", help="JSONL file to write."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same notes."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Shared data folder (default: $MEDSAGE_DATA_DIR)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Write COUNT synthetic notes {id, text, lang} recombined from real public notes."""
    with progress_bar("notes", enabled=not as_json) as update:
        path = generate_notes(out, count, seed=seed, data_dir=data_dir, progress=update)
    if as_json:
        emit_json({"out": str(path), "count": count, "seed": seed})
    else:
        stdout.print(f"wrote {count} notes to {path}", highlight=False)
