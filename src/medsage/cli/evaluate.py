"""`medsage evaluate`: metrics of a saved model on a labelled file."""

from __future__ import annotations

from pathlib import Path

import typer

from medsage.cli._common import emit_json, handles_errors, progress_steps, stdout
from medsage.datasets import load_text_label
from medsage.models import (
    TextClassifier,
    calibration_effect,
    evaluate_classifier,
    write_classifier_report,
)


@handles_errors
def evaluate(
    model: Path = typer.Option(..., "--model", help="Model bundle folder."),
    data: Path = typer.Option(..., "--data", help="Labelled data (CSV/TSV/JSONL/JSON)."),
    report: Path | None = typer.Option(None, "--report", help="Write an HTML report here."),
    text_col: str = typer.Option("text", "--text-col"),
    label_col: str = typer.Option("label", "--label-col"),
    group_col: str | None = typer.Option(
        None, "--group-col", help="Column with a patient group: adds metrics per subgroup."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
) -> None:
    """Evaluate --model on --data: accuracy, F1, top-k, AUROC, calibration, subgroups."""
    classifier = TextClassifier.load(model)
    dataset = load_text_label(data, text_col=text_col, label_col=label_col, group_col=group_col)
    with progress_steps() as progress:
        progress(f"predicting {len(dataset)} examples")
        result = evaluate_classifier(classifier, dataset)
        calibration = calibration_effect(classifier, dataset)
        report_path = None
        if report is not None:
            progress("writing the report")
            report_path = write_classifier_report(
                classifier,
                dataset,
                result,
                report,
                title=f"Evaluation of {model.name}",
                model_dir=model,
            )
    if as_json:
        payload = result.to_dict()
        payload["report"] = None if report_path is None else str(report_path)
        payload["calibration"] = calibration
        emit_json(payload)
        return
    stdout.print(
        f"n={result.n}  accuracy {result.accuracy:.4f}  macro-F1 {result.macro_f1:.4f}  "
        f"weighted-F1 {result.weighted_f1:.4f}  ECE {result.ece:.4f}  Brier {result.brier:.4f}"
    )
    if calibration["method"] != "none":
        stdout.print(
            f"temperature {calibration['temperature']:.3f}: ECE {calibration['ece_before']:.4f} "
            f"before, {calibration['ece_after']:.4f} after"
        )
    if result.unseen_labels:
        stdout.print(f"labels the model never saw: {', '.join(result.unseen_labels)}")
    if report_path is not None:
        stdout.print(f"report: {report_path}")
