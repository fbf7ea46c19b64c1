"""`medsage train`: fit a text classifier and save its bundle."""

from __future__ import annotations

from pathlib import Path

import typer

from medsage.cli._common import emit_json, handles_errors, progress_steps, stdout
from medsage.datasets import augment_clinical_wording, load_text_label
from medsage.models import BACKENDS, train_text_classifier


def _check_backend(value: str) -> str:
    if value not in BACKENDS:
        raise typer.BadParameter(f"{value!r}; choose one of: {', '.join(BACKENDS.names())}")
    return value


@handles_errors
def train(
    train_file: Path = typer.Option(..., "--train", help="Training data (CSV/TSV/JSONL/JSON)."),
    dev_file: Path | None = typer.Option(None, "--dev", help="Optional dev data to evaluate."),
    backend: str = typer.Option(
        "tfidf",
        "--backend",
        callback=_check_backend,
        help=f"Classifier backend: {', '.join(BACKENDS.names())}.",
    ),
    out: Path = typer.Option(..., "--out", help="Folder to write the model bundle to."),
    text_col: str = typer.Option("text", "--text-col"),
    label_col: str = typer.Option("label", "--label-col"),
    seed: int = typer.Option(0, "--seed"),
    base: str | None = typer.Option(
        None, "--base", help="transformer: base checkpoint, 'minilm', 'e5' or a folder."
    ),
    epochs: int | None = typer.Option(None, "--epochs", help="transformer: training epochs."),
    max_length: int | None = typer.Option(
        None, "--max-length", help="transformer: tokens kept per text."
    ),
    batch_size: int | None = typer.Option(None, "--batch-size", help="transformer: batch size."),
    learning_rate: float | None = typer.Option(None, "--learning-rate", help="transformer."),
    probe_epochs: int | None = typer.Option(
        None,
        "--probe-epochs",
        help="transformer: epochs training the head alone on the frozen encoder first (LP-FT).",
    ),
    probe_learning_rate: float | None = typer.Option(
        None, "--probe-learning-rate", help="transformer: learning rate of the probe (1e-3)."
    ),
    patience: int | None = typer.Option(
        None, "--patience", help="transformer: epochs without dev improvement before stopping."
    ),
    wise_alpha: float | None = typer.Option(
        None,
        "--wise-alpha",
        help="transformer, with --probe-epochs: keep (1 - a) x probed + a x fine-tuned weights "
        "(WiSE-FT; 1 = fine-tuned only).",
    ),
    average_from_epoch: int | None = typer.Option(
        None,
        "--average-from-epoch",
        help="transformer: average the weights of every epoch from this one on (SWA); with "
        "--dev data kept only if it scores at least as well as the best epoch.",
    ),
    augment: int | None = typer.Option(
        None,
        "--augment-clinical-wording",
        min=1,
        max=10,
        help="Add N copies of each training text with its findings rewritten in other clinical "
        "wordings (fever -> febrile, pyrexia); copies that repeat a text are dropped.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Train a classifier on --train and save it to --out."""
    options = {
        "base": base,
        "epochs": epochs,
        "max_length": max_length,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "probe_epochs": probe_epochs,
        "probe_learning_rate": probe_learning_rate,
        "patience": patience,
        "wise_alpha": wise_alpha,
        "average_from_epoch": average_from_epoch,
    }
    params = {name: value for name, value in options.items() if value is not None}
    train_data = load_text_label(train_file, text_col=text_col, label_col=label_col)
    if augment is not None:
        train_data = augment_clinical_wording(train_data, augment, seed=seed, lang="auto")
    dev_data = (
        load_text_label(dev_file, text_col=text_col, label_col=label_col) if dev_file else None
    )
    with progress_steps() as progress:
        run = train_text_classifier(
            train_data,
            out,
            dev=dev_data,
            backend=backend,
            seed=seed,
            params=params,
            progress=progress,
        )
    if as_json:
        emit_json(run.to_dict())
        return
    stdout.print(
        f"trained {backend} on {run.n_train} examples, {len(run.model.classes_)} labels "
        f"in {run.fit_seconds:.1f}s"
    )
    if run.dev is not None:
        stdout.print(
            f"dev: accuracy {run.dev.accuracy:.4f}, macro-F1 {run.dev.macro_f1:.4f}, "
            f"ECE {run.dev.ece:.4f} (n={run.dev.n})"
        )
    stdout.print(f"model bundle: {run.bundle}")
