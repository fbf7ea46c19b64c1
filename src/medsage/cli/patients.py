"""`medsage patients`: import, list, show, export and audit health records.

The database is `--database`, else `$MEDSAGE_DATABASE_URL`, else `$MEDSAGE_HOME/records.sqlite3`.
Every command acts as `--actor` (default: the OS user name), which the audit log records.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from medsage.cli._common import emit_json, handles_errors, progress_bar, stdout
from medsage.errors import InvalidInputError, MissingFileError

app = typer.Typer(
    help="Health records: import FHIR / Synthea, list, show, export, audit.", no_args_is_help=True
)

FORMATS = ("auto", "fhir", "synthea")


def _default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return f"uid:{os.getuid()}"


ACTOR = typer.Option(None, "--actor", help="Who is acting (audit log); default: OS user.")
DATABASE = typer.Option(
    None, "--database", help="SQLAlchemy URL; default $MEDSAGE_DATABASE_URL or the home SQLite."
)
JSON = typer.Option(False, "--json", help="Write JSON to stdout.")


@contextmanager
def _store(database: str | None) -> Iterator[Any]:
    from medsage.health._store import RecordStore

    store = RecordStore(database)
    try:
        yield store
    finally:
        store.close()


def _sources(paths: list[Path], fmt: str) -> tuple[list[Path], list[Path]]:
    """Split PATH arguments into FHIR bundle files and Synthea CSV folders."""
    if fmt not in FORMATS:
        raise InvalidInputError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    bundles: list[Path] = []
    folders: list[Path] = []
    for path in paths:
        if not path.exists():
            raise MissingFileError(f"{path} does not exist")
        is_synthea = path.is_dir() and (path / "patients.csv").is_file()
        if fmt == "synthea" or (fmt == "auto" and is_synthea):
            folders.append(path)
        elif path.is_dir():
            found = sorted(path.glob("*.json"))
            if not found:
                raise InvalidInputError(
                    f"{path} holds no .json bundles and no patients.csv; "
                    "pass bundle files, a folder of them, or a Synthea CSV folder"
                )
            bundles += found
        else:
            bundles.append(path)
    return bundles, folders


@app.command("import")
@handles_errors
def import_command(
    paths: list[Path] = typer.Argument(
        ..., help="FHIR bundle files/folders or Synthea CSV folders."
    ),
    fmt: str = typer.Option("auto", "--format", help="auto, fhir or synthea."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite patients already stored."),
    bulk: bool = typer.Option(
        False,
        "--bulk",
        help="Fast import of many patients (PostgreSQL COPY): all-or-nothing per batch, "
        "one audit event per batch, stored patients are refused (no --replace).",
    ),
    batch_size: int = typer.Option(
        1000, "--batch-size", help="With --bulk: patients per transaction (1-100000)."
    ),
    actor: str | None = ACTOR,
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """Import records; each bundle file (or CSV folder) is all-or-nothing (--bulk: each batch)."""
    bundles, folders = _sources(paths, fmt)
    if bulk and replace:
        raise InvalidInputError(
            "--bulk never overwrites stored patients; drop --replace, or import without --bulk"
        )
    who = actor or _default_actor()
    totals: dict[str, Any] = {"patient_ids": [], "counts": {}, "skipped": {}}

    def add(result: Any) -> None:
        totals["patient_ids"] += list(result.patient_ids)
        for key in ("counts", "skipped"):
            for name, value in getattr(result, key).items():
                totals[key][name] = totals[key].get(name, 0) + value

    with _store(database) as store, progress_bar("importing", enabled=not as_json) as bar:
        if bulk:
            add(_bulk_import(store, who, bundles, folders, batch_size, bar))
            bundles, folders = [], []
        if bundles:
            add(store.import_fhir(who, bundles, replace=replace, progress=bar))
        for folder in folders:
            add(store.import_synthea_csv(who, folder, replace=replace))
    if as_json:
        emit_json(totals)
        return
    counts = totals["counts"]
    stdout.print(
        f"imported {len(totals['patient_ids'])} patients: "
        + ", ".join(f"{counts.get(k, 0)} {k}" for k in counts if k != "patients")
    )


def _bulk_import(
    store: Any, who: str, bundles: list[Path], folders: list[Path], batch_size: int, bar: Any
) -> Any:
    from medsage.health._bulk import BulkItem, bulk_import
    from medsage.health._synthea_csv import read_synthea_folder

    items: list[BulkItem] = list(bundles)
    skipped: dict[str, int] = {}
    for folder in folders:
        parsed = read_synthea_folder(folder)
        items += parsed.patients
        for name, count in parsed.skipped.items():
            skipped[name] = skipped.get(name, 0) + count
    result = bulk_import(store, who, items, batch_patients=batch_size, progress=bar)
    for name, count in result.skipped.items():
        skipped[name] = skipped.get(name, 0) + count
    return dataclasses.replace(result, skipped=skipped)


@app.command("list")
@handles_errors
def list_command(
    actor: str | None = ACTOR, database: str | None = DATABASE, as_json: bool = JSON
) -> None:
    """List patients (id, name, sex, date of birth)."""
    from medsage.health._patient_view import patient_dict

    with _store(database) as store:
        patients = store.list_patients(actor or _default_actor())
    if as_json:
        emit_json([patient_dict(p) for p in patients])
        return
    table = Table("id", "name", "gender", "birth date")
    for p in patients:
        name = " ".join(x for x in (p.given_name, p.family_name) if x)
        table.add_row(p.id, name, p.gender or "", p.birth_date.isoformat() if p.birth_date else "")
    stdout.print(table)
    stdout.print(f"{len(patients)} patients")


@app.command("show")
@handles_errors
def show_command(
    patient_id: str = typer.Argument(..., help="The patient id."),
    actor: str | None = ACTOR,
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """Show a patient: demographics, counts, conditions and the latest observations."""
    from medsage.health._patient_view import patient_summary

    with _store(database) as store:
        bundle = store.patient_bundle(actor or _default_actor(), patient_id)
    summary = patient_summary(bundle)
    conditions = summary["conditions"]
    if as_json:
        emit_json(summary)
        return
    p = summary["patient"]
    stdout.print(f"[bold]{p['given_name'] or ''} {p['family_name'] or ''}[/]  {p['id']}")
    stdout.print(f"gender {p['gender']}, born {p['birth_date']}")
    stdout.print(", ".join(f"{v} {k}" for k, v in bundle.counts().items() if k != "patients"))
    table = Table("ICD-10", "SNOMED CT", "condition", "onset", "status")
    for c in conditions:
        table.add_row(
            c["icd10"] or "",
            c["code"] or "",
            c["display"] or "",
            (c["onset"] or "")[:10],
            c["status"] or "",
        )
    stdout.print(table)
    table = Table("LOINC", "observation", "value", "date")
    for o in summary["latest_observations"]:
        value = f"{o['value']:g} {o['unit'] or ''}" if o["value"] is not None else o["value_text"]
        table.add_row(o["code"], o["display"] or "", value, (o["effective"] or "")[:10])
    stdout.print(table)


@app.command("export")
@handles_errors
def export_command(
    patient_id: str = typer.Argument(..., help="The patient id."),
    out: Path = typer.Option(..., "--out", help="The FHIR bundle JSON file to write."),
    actor: str | None = ACTOR,
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """Export a patient as a FHIR R4 bundle (re-imports to the same records)."""
    from medsage.health._fhir_export import bundle_json

    with _store(database) as store:
        bundle = store.export_fhir(actor or _default_actor(), patient_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(bundle_json(bundle), encoding="utf-8")
    partial.replace(out)  # never a half-written bundle under the final name
    summary = {"patient_id": patient_id, "out": str(out), "resources": len(bundle["entry"])}
    if as_json:
        emit_json(summary)
    else:
        stdout.print(f"{out}: {summary['resources']} resources")


@app.command("audit")
@handles_errors
def audit_command(
    patient: str | None = typer.Option(None, "--patient", help="Only this patient's events."),
    action: str | None = typer.Option(None, "--action", help="read, create, update, delete, ..."),
    limit: int | None = typer.Option(None, "--limit", help="At most this many events."),
    actor: str | None = ACTOR,
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """Show the audit log (oldest first). Reading it is audited too."""
    with _store(database) as store:
        events = store.audit_events(
            actor or _default_actor(), patient_id=patient, action=action, limit=limit
        )
    rows = [
        {
            "id": e.id,
            "time": e.time.isoformat(),
            "actor": e.actor,
            "action": e.action,
            "patient_id": e.patient_id,
            "resource_type": e.resource_type,
            "outcome": e.outcome,
            "detail": e.detail,
        }
        for e in events
    ]
    if as_json:
        emit_json(rows)
        return
    table = Table("time", "actor", "action", "patient", "resource", "outcome")
    for r in rows:
        table.add_row(
            r["time"][:19],
            r["actor"],
            r["action"],
            r["patient_id"] or "",
            r["resource_type"],
            r["outcome"],
        )
    stdout.print(table)


@app.command("alerts")
@handles_errors
def alerts_command(
    patient_id: str = typer.Argument(..., help="The patient id."),
    since: str | None = typer.Option(
        None, "--since", help="Only measurements from this date on (YYYY-MM-DD)."
    ),
    standard: str = typer.Option("international", "--standard", help="international or china."),
    actor: str | None = ACTOR,
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """Threshold and rapid-change alerts, each with the observations behind it."""
    from datetime import UTC, datetime

    from medsage.health._patient_view import patient_alerts

    start = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since).replace(tzinfo=UTC)
        except ValueError:
            raise InvalidInputError(f"--since {since!r} is not a date like 2024-01-31") from None
    with _store(database) as store:
        alerts = patient_alerts(
            store, actor or _default_actor(), patient_id, since=start, standard=standard
        )
    if as_json:
        emit_json([a.to_dict() for a in alerts])
        return
    for a in alerts:
        stdout.print(f"[bold]{a.severity}[/] {a.message_en} ({', '.join(a.observation_ids)})")
    if not alerts:
        stdout.print("no alerts")


@app.command("plan")
@handles_errors
def plan_command(
    patient_id: str = typer.Argument(..., help="The patient id."),
    lang: str = typer.Option("en", "--lang", help="en or zh."),
    standard: str = typer.Option("international", "--standard", help="international or china."),
    actor: str | None = ACTOR,
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """A personal plan (goals, actions, follow-up), each item with its reason and guideline."""
    from medsage.health._patient_view import patient_plan

    with _store(database) as store:
        plan = patient_plan(
            store, actor or _default_actor(), patient_id, lang=lang, standard=standard
        )
    if as_json:
        emit_json(plan.to_dict())
    else:
        stdout.print(plan.to_text(lang), highlight=False)


@app.command("trends")
@handles_errors
def trends_command(
    patient_id: str = typer.Argument(..., help="The patient id."),
    code: str | None = typer.Option(None, "--code", help="Only this LOINC code."),
    plot_dir: Path | None = typer.Option(None, "--plot", help="Write one PNG per code here."),
    actor: str | None = ACTOR,
    database: str | None = DATABASE,
    as_json: bool = JSON,
) -> None:
    """Linear trend (change per month) of each measurement with two or more dates."""
    from medsage.health._alerts import alert_thresholds
    from medsage.health._patient_view import measurement_series, patient_trends
    from medsage.health._plots import plot_measurement

    with _store(database) as store:
        observations = store.observations(actor or _default_actor(), patient_id)
    series = measurement_series(observations)
    rows = []
    for fitted in patient_trends(observations, code):
        loinc = fitted.code
        row = fitted.to_dict()
        if plot_dir is not None:
            path = plot_dir / f"{patient_id}_{loinc}.png"
            plot_measurement(loinc, series[loinc], thresholds=alert_thresholds(loinc), path=path)
            row["plot"] = str(path)
        rows.append(row)
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        stdout.print(f"{r['code']}: {r['slope_per_month']:+.3g} {r['unit']}/month over {r['n']}")
