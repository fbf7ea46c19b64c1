"""`medsage data ...`: data set preparation."""

from __future__ import annotations

from pathlib import Path

import typer

from medsage.cli._common import emit_json, handles_errors, stdout
from medsage.datasets import deduplicate, load_text_label, stratified_split, write_dataset

app = typer.Typer(help="Prepare data sets: de-duplicate and split.", no_args_is_help=True)


@app.command("split")
@handles_errors
def split(
    file: Path = typer.Argument(..., help="CSV, TSV, JSONL or JSON file with text and label."),
    out: Path = typer.Option(..., "--out", help="Folder for train.jsonl and test.jsonl."),
    test_size: float = typer.Option(0.2, "--test-size", help="Share of each label for test."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the split."),
    dedupe: bool = typer.Option(
        False, "--dedupe", help="Drop normalised duplicate texts before splitting."
    ),
    text_col: str = typer.Option("text", "--text-col"),
    label_col: str = typer.Option("label", "--label-col"),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Split FILE into stratified train and test sets (same seed, same split)."""
    dataset = load_text_label(file, text_col=text_col, label_col=label_col)
    summary: dict[str, object] = {"input": str(file), "n_input": len(dataset)}
    if dedupe:
        result = deduplicate(dataset, mode="normalized")
        dataset = result.dataset
        summary.update(duplicates_removed=result.n_removed, conflicting_labels=result.n_conflicts)
    train, test = stratified_split(dataset, test_size=test_size, seed=seed)
    train_path = write_dataset(train, out / "train.jsonl")
    test_path = write_dataset(test, out / "test.jsonl")
    summary.update(
        train={"path": str(train_path), "n": len(train)},
        test={"path": str(test_path), "n": len(test)},
        labels=len(dataset.label_counts),
        seed=seed,
        test_size=test_size,
    )
    if as_json:
        emit_json(summary)
        return
    if dedupe:
        stdout.print(
            f"removed {summary['duplicates_removed']} duplicates "
            f"({summary['conflicting_labels']} with conflicting labels)"
        )
    stdout.print(f"train: {len(train)} rows -> {train_path}")
    stdout.print(f"test:  {len(test)} rows -> {test_path}")
