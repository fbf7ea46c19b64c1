"""`medsage predict`: labels and probabilities for texts."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from medsage.cli._common import emit_json, handles_errors, stderr, stdout
from medsage.datasets import load_texts
from medsage.errors import InvalidInputError
from medsage.models import TextClassifier, predict_texts


@handles_errors
def predict(
    texts: list[str] | None = typer.Argument(None, help="Texts to classify."),
    model: Path = typer.Option(..., "--model", help="Model bundle folder."),
    input_file: Path | None = typer.Option(
        None, "--input", help="JSONL (text field), CSV (text column) or one text per line."
    ),
    text_col: str = typer.Option("text", "--text-col"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per input line."),
) -> None:
    """Predict the label of each TEXT (or of each text in --input)."""
    if texts and input_file is not None:
        raise InvalidInputError("give texts as arguments or --input FILE, not both")
    if not texts and input_file is None:
        raise InvalidInputError("nothing to predict: give texts as arguments or --input FILE")
    inputs = list(texts) if texts else load_texts(input_file or Path(), text_col=text_col)
    classifier = TextClassifier.load(model)
    predictions = predict_texts(classifier, inputs)
    if as_json:
        for prediction in predictions:
            emit_json(prediction.to_dict())
        return
    for number, prediction in enumerate(predictions, start=1):
        for reason in prediction.warnings:
            stderr.print(f"[yellow]warning:[/] text {number}: {reason}", highlight=False)
    table = Table("text", "label", "probability", show_lines=False)
    for prediction in predictions:
        shown = prediction.text if len(prediction.text) <= 80 else prediction.text[:77] + "..."
        table.add_row(shown, prediction.label, f"{prediction.probabilities[prediction.label]:.3f}")
    stdout.print(table)
