"""The `medsage` command: one Typer app, one module per command group."""

from __future__ import annotations

import logging

import typer

from medsage import __version__
from medsage.cli import (
    consult,
    data,
    deid,
    demo,
    diagnose,
    drug,
    evaluate,
    explain,
    export,
    jobs,
    lit,
    patients,
    predict,
    pretrain,
    risk,
    serve,
    train,
    users,
)

app = typer.Typer(
    name="medsage",
    help="Language models for medical text in Chinese and English, offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(data.app, name="data")
app.add_typer(export.app, name="export")
app.add_typer(deid.app, name="deid")
app.add_typer(diagnose.app, name="diagnose")
app.add_typer(lit.app, name="lit")
app.add_typer(patients.app, name="patients")
app.add_typer(risk.app, name="risk")
app.add_typer(consult.app, name="consult")
app.add_typer(drug.app, name="drug")
app.add_typer(users.app, name="users")
app.add_typer(jobs.app, name="jobs")
app.command("train")(train.train)
app.command("evaluate")(evaluate.evaluate)
app.command("predict")(predict.predict)
app.command("explain")(explain.explain_command)
app.command("pretrain")(pretrain.pretrain_command)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"medsage {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """MedSage: prepare clinical text, train and evaluate classifiers, predict."""
    # The CLI is the one place that configures logging (never with PHI: we log counts only).
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def main() -> None:
    """Console-script entry point."""
    app()
