"""`medsage deid`: de-identify text or files; `deid eval`, `deid keygen`, `deid decrypt`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from medsage.cli._common import (
    DefaultCommandGroup,
    emit_json,
    handles_errors,
    progress_bar,
    stdout,
)
from medsage.errors import InvalidInputError, MissingFileError
from medsage.privacy import (
    OPERATORS,
    PHYSIONET_TYPES,
    Deidentifier,
    decrypt_text,
    evaluate_deid,
    generate_key,
    physionet_split,
)
from medsage.privacy._batch import DeidConfig, deidentify_file

SECRET_ENV = "MEDSAGE_DEID_SECRET"


app = typer.Typer(
    cls=DefaultCommandGroup,
    help="De-identify clinical text (zh and en): find PHI and rewrite it.",
)


def _read_key(path: Path | None) -> bytes | None:
    if path is None:
        return None
    if not path.is_file():
        raise MissingFileError(f"key file {path} not found (make one with: medsage deid keygen)")
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError(f"{path}: a key file holds the key as hex digits") from None


def _read_secret(path: Path | None) -> bytes | None:
    if path is not None:
        if not path.is_file():
            raise MissingFileError(f"secret file {path} not found")
        return path.read_bytes().strip()
    value = os.environ.get(SECRET_ENV)
    return value.encode("utf-8") if value else None


@app.command("run")
@handles_errors
def run(
    text: str | None = typer.Argument(None, help="The text to de-identify."),
    lang: str = typer.Option("auto", "--lang", help="auto, zh or en."),
    operator: str = typer.Option("tag", "--operator", help=f"One of: {', '.join(OPERATORS)}."),
    input_file: Path | None = typer.Option(
        None, "--input", help="A JSONL file (a text field per line) or a plain-text note."
    ),
    out: Path | None = typer.Option(None, "--out", help="Output file (with --input)."),
    key_file: Path | None = typer.Option(
        None, "--key-file", help="AES key as hex (medsage deid keygen); for --operator encrypt."
    ),
    secret_file: Path | None = typer.Option(
        None,
        "--secret-file",
        help=f"Secret for consistent surrogates and hashes (or ${SECRET_ENV}).",
    ),
    patient_id: str | None = typer.Option(None, "--patient-id", help="Ties date shifts."),
    workers: int | None = typer.Option(None, "--workers", help="Processes for --input."),
    model: Path | None = typer.Option(
        None, "--model", help="A learned recognizer folder, added to the rules."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the text and the spans as JSON."),
) -> None:
    """De-identify TEXT, or every note of --input into --out."""
    if (text is None) == (input_file is None):
        raise InvalidInputError("give a TEXT argument or --input FILE --out FILE (one of them)")
    config = DeidConfig(
        lang, operator, _read_secret(secret_file), _read_key(key_file),
        model=None if model is None else str(model),
    )  # fmt: skip
    deid = config.build()  # validates the settings before any work
    if input_file is not None:
        if out is None:
            raise InvalidInputError("--input needs --out FILE (the input is never overwritten)")
        with progress_bar("de-identifying", enabled=not as_json) as progress:
            summary = deidentify_file(input_file, out, config, workers=workers, progress=progress)
        if as_json:
            emit_json({"out": str(out), **summary.to_dict()})
            return
        stdout.print(
            f"wrote {summary.notes} notes to {out}: {summary.spans} PHI spans "
            f"({', '.join(f'{k} {v}' for k, v in summary.spans_by_type.items()) or 'none'})"
        )
        return
    assert text is not None
    if not text.strip():
        raise InvalidInputError("the text is empty: nothing to de-identify")
    result = deid.anonymize(text, patient_id=patient_id)
    if as_json:
        emit_json(result.to_dict())
        return
    stdout.print(result.text, highlight=False, markup=False)


@app.command("eval")
@handles_errors
def eval_command(
    gold: str = typer.Option(..., "--gold", help="physionet or jsonl (a MedSage gold set)."),
    path: Path = typer.Argument(..., help="The gold folder (physionet) or JSONL file."),
    part: str = typer.Option("all", "--part", help="physionet only: all, dev or test."),
    lang: str = typer.Option("auto", "--lang", help="auto, zh or en."),
    model: Path | None = typer.Option(
        None, "--model", help="A learned recognizer folder, added to the rules."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print every score and miss as JSON."),
) -> None:
    """Score the de-identifier on a gold standard: span and token recall / precision / F1."""
    from medsage.datasets import load_deid_jsonl, load_physionet_deid

    if gold == "physionet":
        notes = physionet_split(load_physionet_deid(path), part)
        type_map: dict[str, Any] | None = dict(PHYSIONET_TYPES)
    elif gold == "jsonl":
        notes, type_map = load_deid_jsonl(path), None
    else:
        raise InvalidInputError(f"--gold must be physionet or jsonl, got {gold!r}")
    analyzer = Deidentifier(lang, model=model).analyzer
    with progress_bar("scoring", enabled=not as_json) as progress:
        result = evaluate_deid(
            notes, lambda t: analyzer.analyze(t, lang), type_map=type_map,
            progress=lambda done: progress(done, len(notes)),
        )  # fmt: skip
    if as_json:
        emit_json(result.to_dict())
        return
    stdout.print(
        f"{result.notes} notes, {result.gold_spans} gold spans, {result.predicted_spans} found"
    )
    stdout.print(
        f"span  recall {result.span_recall:.3f}  precision {result.span_precision:.3f}  "
        f"F1 {result.span_f1:.3f}\ntoken recall {result.token_recall:.3f}  precision "
        f"{result.token_precision:.3f}  F1 {result.token_f1:.3f}"
    )
    table = Table("gold type", "spans", "recall", "typed recall")
    for name, row in result.recall_by_type.items():
        table.add_row(
            name, str(int(row["n"])), f"{row['recall']:.3f}", f"{row['typed_recall']:.3f}"
        )
    stdout.print(table)
    stdout.print(f"missed spans ({len(result.missed)}):")
    for miss in result.missed:
        stdout.print(f"  {miss.note} {miss.type}: {miss.text!r}", highlight=False, markup=False)


@app.command("keygen")
@handles_errors
def keygen(
    out: Path = typer.Option(..., "--out", help="Where to write the key (hex)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Write a new random AES-256 key for --operator encrypt (keep it safe: it undoes it)."""
    if out.exists():
        raise InvalidInputError(f"{out} exists; a key is never overwritten")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(generate_key().hex() + "\n")
    if as_json:
        emit_json({"key_file": str(out)})
    else:
        stdout.print(f"wrote a 256-bit key to {out} (mode 600)")


@app.command("decrypt")
@handles_errors
def decrypt(
    text: str = typer.Argument(..., help="Text de-identified with --operator encrypt."),
    key_file: Path = typer.Option(..., "--key-file", help="The key used to encrypt."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Restore the PHI of an encrypted text."""
    key = _read_key(key_file)
    assert key is not None
    restored = decrypt_text(text, key)
    if as_json:
        emit_json({"text": restored})
    else:
        stdout.print(restored, highlight=False, markup=False)
