"""`medsage demo`: the main job on embedded defaults."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from medsage.cli._common import emit_json, handles_errors, progress_steps, stdout
from medsage.demo import run_demo


@handles_errors
def demo(
    out: Path | None = typer.Option(
        None, "--out", help="Output folder (default: $MEDSAGE_HOME/demo, ~/.medsage/demo)."
    ),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Train and evaluate a classifier on the embedded demo cases, then predict new ones."""
    with progress_steps() as progress:
        result = run_demo(out, seed=seed, progress=progress)
    if as_json:
        emit_json(result.to_dict())
        return
    test = result.test
    stdout.print(
        f"trained on {result.n_train} demo cases (Chinese and English), tested on {result.n_test}"
    )
    stdout.print(
        f"test accuracy {test.accuracy:.3f}, macro-F1 {test.macro_f1:.3f}, ECE {test.ece:.3f}"
    )
    for group, metrics in sorted((test.subgroups or {}).items()):
        stdout.print(f"  {group}: accuracy {metrics.accuracy:.3f} (n={metrics.n})")
    table = Table("new case", "predicted", "probability")
    for p in result.predictions:
        table.add_row(p.text, p.label, f"{p.probabilities[p.label]:.2f}")
    stdout.print(table)
    stdout.print("These are demo models trained on invented cases: not for clinical use.")
    stdout.print(f"model bundle: {result.model_dir}")
    stdout.print(f"HTML report:  {result.report}")
