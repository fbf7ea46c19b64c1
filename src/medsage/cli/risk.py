"""`medsage risk NAME --KEY VALUE ...`: compute a validated risk score; `risk list`: the scores.

Inputs are free `--key value` pairs (dashes become underscores: `--weight-kg 70`), checked by
the library against the score's specification, so the command can never accept an input the
library does not know. `--patient ID` takes the inputs from the patient's record through the
records store (`RecordStore`, every read audited).
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence

import typer
from rich.table import Table

from medsage.cli._common import DefaultCommandGroup, emit_json, handles_errors, stdout
from medsage.errors import InvalidInputError
from medsage.health.risk import (
    RiskResult,
    compute,
    compute_from_observations,
    get_spec,
    list_scores,
)

app = typer.Typer(
    cls=DefaultCommandGroup,
    help="Validated risk scores (BMI, BP category, eGFR, ASCVD PCE, FINDRISC, CHA2DS2-VASc, "
    "qSOFA): `medsage risk NAME --KEY VALUE ...`, `medsage risk list`.",
    no_args_is_help=True,
)


def parse_inputs(args: Sequence[str]) -> dict[str, str]:
    """`['--weight-kg', '70', '--sex=female']` -> `{'weight_kg': '70', 'sex': 'female'}`."""
    inputs: dict[str, str] = {}
    i = 0
    while i < len(args):
        token = args[i]
        if not token.startswith("--") or len(token) == 2:
            raise InvalidInputError(
                f"unexpected argument {token!r}; give inputs as --name value (e.g. --age 55)"
            )
        key, has_value, value = token[2:].partition("=")
        if not has_value:
            if i + 1 >= len(args) or args[i + 1].startswith("--"):
                raise InvalidInputError(f"--{key} needs a value, e.g. --{key} 120 or --{key} yes")
            value = args[i + 1]
            i += 1
        name = key.replace("-", "_")
        if name in inputs:
            raise InvalidInputError(f"--{key} is given twice; give each input once")
        inputs[name] = value
        i += 1
    return inputs


@app.command("list")
@handles_errors
def list_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The scores, their inputs (type, unit, allowed range) and references."""
    specs = list_scores()
    if as_json:
        emit_json([spec.to_dict() for spec in specs])
        return
    for spec in specs:
        table = Table("input", "type", "allowed", "also as", title=f"{spec.name}: {spec.title}")
        for inp in spec.inputs:
            default = f" (default {inp.default})" if inp.default is not None else ""
            optional = " (optional)" if not inp.required else ""
            also = ", ".join(f"{a.name} [{a.unit}]" for a in inp.alternatives)
            table.add_row(inp.name, inp.kind, inp.allowed() + default + optional, also)
        stdout.print(table)
        stdout.print(f"  {spec.reference}", style="dim", highlight=False)


@app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@handles_errors
def run(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The score, e.g. bmi (see `medsage risk list`)."),
    patient: str | None = typer.Option(
        None, "--patient", help="Take the inputs from this patient's record."
    ),
    actor: str = typer.Option(
        getpass.getuser(), "--actor", help="Who reads the record (written to the audit log)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Compute score NAME from --KEY VALUE inputs (or a patient's record with --patient)."""
    get_spec(name)  # an unknown score name fails before its inputs are read
    given = parse_inputs(ctx.args)
    if patient is None:
        result = compute(name, **given)
    else:
        from medsage.health._patient_view import demographics, observation_tuples
        from medsage.health._store import RecordStore

        store = RecordStore()
        try:
            record = store.get_patient(actor, patient)
            observations = observation_tuples(store.observations(actor, patient))
        finally:
            store.close()
        result = compute_from_observations(name, observations, demographics(record), given)
    if as_json:
        emit_json(result.to_dict())
    else:
        _print(name, result)


def _print(name: str, result: RiskResult) -> None:
    spec = get_spec(name)
    zh = result.details.get("category_zh")
    label = f"{result.category} ({zh})" if zh else result.category
    stdout.print(f"[bold]{spec.title}[/]: {result.value} {result.unit}, {label}", highlight=False)
    points = result.details.get("points")
    if isinstance(points, dict):
        stdout.print("  points: " + ", ".join(f"{k} {v}" for k, v in points.items()))
    provenance = result.details.get("provenance", {})
    for key, value in result.details.get("inputs", {}).items():
        if value is None:
            continue
        source = f"  <- {provenance[key]}" if key in provenance else ""
        stdout.print(f"  {key} = {value}{source}", highlight=False)
    for key in ("note", "race_note"):
        if key in result.details:
            stdout.print(f"  note: {result.details[key]}", style="yellow", highlight=False)
    stdout.print(f"  {result.reference}", style="dim", highlight=False)
