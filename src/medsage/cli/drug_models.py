"""`medsage drug models`: train and evaluate molecular property models on MoleculeNet tasks."""

from __future__ import annotations

from pathlib import Path

import typer

from medsage.cli._common import emit_json, handles_errors, progress_steps, stdout
from medsage.errors import MissingFileError, UnknownNameError

app = typer.Typer(
    help="Molecular property models (forests, boosting, kernel ridge; with uncertainty).",
    no_args_is_help=True,
)


def _data_dir(data_dir: Path | None) -> Path:
    from medsage.settings import get_settings

    if data_dir is not None:
        return data_dir
    found = get_settings().data_dir
    if found is None:
        raise MissingFileError(
            "no MoleculeNet folder: pass --data-dir (the folder with delaney-processed.csv, ...) "
            "or set MEDSAGE_DATA_DIR"
        )
    return found


def _task(task: str) -> str:
    from medsage.datasets._moleculenet import MOLECULENET

    key = task.lower()
    if key not in MOLECULENET:
        raise UnknownNameError(f"--task {task!r}; expected one of {', '.join(MOLECULENET)}")
    return key


@app.command("train")
@handles_errors
def train_command(
    task: str = typer.Option(
        ...,
        "--task",
        help="esol, freesolv, lipophilicity, bbbp, bace, clintox, tox21, sider or hiv.",
    ),
    out: Path = typer.Option(..., "--out", help="The model bundle folder to write."),
    model: str = typer.Option(
        "rf",
        "--model",
        help="rf (random forest), gb or hgb (boosting), krr (kernel ridge), krr+rf or krr+hgb.",
    ),
    seed: int = typer.Option(0, "--seed", help="Scaffold split and model seed."),
    n_estimators: int = typer.Option(200, "--n-estimators", help="Trees per task."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="MoleculeNet CSV folder."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Train on the scaffold split's train fold, calibrate on val, score on test, save."""
    from medsage.drug._models import ALGORITHMS
    from medsage.drug._tasks import train_task_model

    if model not in ALGORITHMS:
        raise UnknownNameError(f"--model {model!r}; expected one of {', '.join(ALGORITHMS)}")
    with progress_steps(enabled=not as_json) as step:
        step(f"training {model} on {task}")
        result = train_task_model(
            _task(task), _data_dir(data_dir), out, algorithm=model,
            n_estimators=n_estimators, seed=seed, n_jobs=2,
        )  # fmt: skip
    if as_json:
        emit_json(result)
        return
    metrics = ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in result["metrics"].items())  # fmt: skip
    stdout.print(f"{result['path']}: test {metrics}", highlight=False)


@app.command("evaluate")
@handles_errors
def evaluate_command(
    model_path: Path = typer.Option(..., "--model", help="A property-model bundle folder."),
    task: str = typer.Option(..., "--task", help="The MoleculeNet task set it was trained on."),
    seed: int = typer.Option(0, "--seed", help="Scaffold split seed (the test fold)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="MoleculeNet CSV folder."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Score a saved model on the test fold of the task's scaffold split."""
    from medsage.drug._tasks import evaluate_task_model

    result = evaluate_task_model(model_path, _task(task), _data_dir(data_dir), seed=seed)
    if as_json:
        emit_json(result)
        return
    metrics = ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in result["metrics"].items())  # fmt: skip
    stdout.print(f"{result['model']} on {result['task']} (seed {seed}): {metrics}")
