"""`medsage drug`: properties, filters, similarity, clustering, picking and screening.

Every command reads SMILES given on the command line or a .smi/.csv/.sdf file (`--input`);
bad rows are reported with their row number and reason and never stop a run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from medsage.cli import drug_models
from medsage.cli._common import emit_json, handles_errors, progress_bar, stdout
from medsage.errors import EmptyInputError, InvalidInputError, MissingFileError

if TYPE_CHECKING:
    from medsage.drug._molecules import MoleculeRecord

app = typer.Typer(
    help="Drug screening: props, filter, similar, cluster, pick, screen.", no_args_is_help=True
)
app.add_typer(drug_models.app, name="models")

INPUT_HELP = "A .smi, .csv (SMILES column) or .sdf file instead of SMILES arguments."
SMILES_COLUMN_HELP = "The CSV column holding SMILES (default: smiles or mol, any case)."
TAUTOMER_HELP = "Canonicalise tautomers while standardising (about 4 ms per molecule)."


def _records(
    smiles: list[str] | None, input_file: Path | None, smiles_column: str | None
) -> Iterable[MoleculeRecord]:
    from medsage.drug._molecules import read_molecules
    from medsage.drug._profile import records_from_smiles

    if smiles and input_file is not None:
        raise InvalidInputError("give SMILES arguments or --input FILE, not both")
    if input_file is not None:
        return read_molecules(input_file, smiles_column=smiles_column)  # streamed
    if not smiles:
        raise EmptyInputError(
            "no molecules: give SMILES arguments (medsage drug props 'CCO') or --input FILE"
        )
    return records_from_smiles(smiles)


def _split_names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def _alerts_text(alerts: list[dict[str, Any]] | None) -> str:
    if not alerts:
        return "none"
    return "; ".join(f"{a['catalog']}:{a['description']}" for a in alerts)


@app.command("props")
@handles_errors
def props_command(
    smiles: list[str] | None = typer.Argument(None, help="SMILES strings."),
    input_file: Path | None = typer.Option(None, "--input", help=INPUT_HELP),
    smiles_column: str | None = typer.Option(None, "--smiles-column", help=SMILES_COLUMN_HELP),
    tautomers: bool = typer.Option(True, "--tautomers/--no-tautomers", help=TAUTOMER_HELP),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per input line."),
) -> None:
    """Properties, QED, SA score, Lipinski violations and alerts for every input, in order.

    JSON fields: row, id, input, smiles, inchikey, valid, error, mw, clogp, tpsa, hbd, hba,
    rotb, rings, aromatic_rings, fsp3, formal_charge, qed, sa, lipinski_violations, alerts.
    """
    from medsage.drug._profile import profile_inputs

    records = _records(smiles, input_file, smiles_column)
    for profile in profile_inputs(records, canonical_tautomer=tautomers):
        row = profile.props_dict()
        if as_json:
            emit_json(row)
        elif not row["valid"]:
            stdout.print(
                f"{row['row']}. {row['input']!r}: invalid ({row['error']})", highlight=False
            )
        else:
            stdout.print(
                f"{row['row']}. {row['smiles']}  MW {row['mw']:.1f}  cLogP {row['clogp']:.2f}  "
                f"TPSA {row['tpsa']:.1f}  HBD {row['hbd']}  HBA {row['hba']}  "
                f"RotB {row['rotb']}  QED {row['qed']:.3f}  SA {row['sa']:.2f}  "
                f"Lipinski violations {row['lipinski_violations']}  "
                f"alerts: {_alerts_text(row['alerts'])}",
                highlight=False,
            )


@app.command("filter")
@handles_errors
def filter_command(
    smiles: list[str] | None = typer.Argument(None, help="SMILES strings."),
    input_file: Path | None = typer.Option(None, "--input", help=INPUT_HELP),
    smiles_column: str | None = typer.Option(None, "--smiles-column", help=SMILES_COLUMN_HELP),
    filters: str = typer.Option(
        "lipinski,veber,pains,brenk", "--filters",
        help="Comma-separated: lipinski, veber, ghose, egan, leadlike, pains, pains_a, "
        "pains_b, pains_c, brenk, nih.",
    ),
    tautomers: bool = typer.Option(True, "--tautomers/--no-tautomers", help=TAUTOMER_HELP),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per input line."),
) -> None:  # fmt: skip
    """Drug-likeness rules and structural alerts for every input: passed or why not."""
    from medsage.drug._filters import split_filters
    from medsage.drug._profile import profile_record

    rules, alerts = split_filters(_split_names(filters))
    for record in _records(smiles, input_file, smiles_column):
        profile = profile_record(record, rules=rules, alerts=alerts, canonical_tautomer=tautomers)
        row: dict[str, Any] = {
            "row": profile.row, "id": profile.id, "input": profile.input,
            "smiles": profile.smiles, "valid": profile.valid, "error": profile.error,
            "passed": profile.passed_rules and not profile.alerts,
            "rules": [
                {"rule": r.rule, "passed": r.passed, "violations": list(r.violations)}
                for r in profile.rules
            ],
            "alerts": [a.to_dict() for a in profile.alerts],
        }  # fmt: skip
        if as_json:
            emit_json(row)
        elif not profile.valid:
            stdout.print(
                f"{row['row']}. {row['input']!r}: invalid ({row['error']})", highlight=False
            )
        else:
            failed = [
                f"{r.rule} ({', '.join(r.violations)})" for r in profile.rules if not r.passed
            ]
            verdict = "pass" if row["passed"] else "fail"
            stdout.print(
                f"{row['row']}. {row['smiles']}: {verdict}; rules failed: "
                f"{'; '.join(failed) or 'none'}; alerts: {_alerts_text(row['alerts'])}",
                highlight=False,
            )


@app.command("similar")
@handles_errors
def similar_command(
    reference: Path = typer.Option(..., "--reference", help="Reference .smi/.csv/.sdf file."),
    query: list[str] = typer.Option(..., "--query", help="Query SMILES (repeat for more)."),
    k: int = typer.Option(10, "--k", help="Hits per query."),
    fingerprint: str = typer.Option("morgan", "--fingerprint", help="morgan (ECFP4) or maccs."),
    smiles_column: str | None = typer.Option(None, "--smiles-column", help=SMILES_COLUMN_HELP),
    tautomers: bool = typer.Option(True, "--tautomers/--no-tautomers", help=TAUTOMER_HELP),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per hit."),
) -> None:
    """The k reference molecules most similar (Tanimoto) to each query."""
    from medsage.drug._similarity import FINGERPRINT_KINDS, load_molecule_set, similarity_search

    if fingerprint not in FINGERPRINT_KINDS:
        raise InvalidInputError(f"--fingerprint must be morgan or maccs, got {fingerprint!r}")
    refs = load_molecule_set(
        reference, smiles_column=smiles_column, kind=fingerprint,
        canonical_tautomer=tautomers,
    )  # fmt: skip
    for text, (std, hits) in zip(
        query, similarity_search(query, refs, k=k, canonical_tautomer=tautomers), strict=True
    ):
        if not std.valid:
            if as_json:
                emit_json({"query": text, "valid": False, "error": std.error})
            else:
                stdout.print(f"query {text!r}: invalid ({std.error})", highlight=False)
            continue
        for hit in hits:
            record = refs.records[hit.index]
            row = {
                "query": text, "query_smiles": std.smiles, "rank": hit.rank,
                "similarity": round(hit.similarity, 6), "row": record.row, "id": record.id,
                "name": record.name, "smiles": refs.smiles[hit.index],
            }  # fmt: skip
            if as_json:
                emit_json(row)
            else:
                label = record.name or record.id
                stdout.print(
                    f"{text}  {hit.rank}. {hit.similarity:.3f}  {label}  {row['smiles']}",
                    highlight=False,
                )


@app.command("cluster")
@handles_errors
def cluster_command(
    input_file: Path = typer.Option(..., "--input", help=INPUT_HELP),
    threshold: float = typer.Option(
        0.35, "--threshold", help="Butina Tanimoto distance cut-off (0.35: similarity >= 0.65)."
    ),
    smiles_column: str | None = typer.Option(None, "--smiles-column", help=SMILES_COLUMN_HELP),
    tautomers: bool = typer.Option(True, "--tautomers/--no-tautomers", help=TAUTOMER_HELP),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per input row."),
) -> None:
    """Butina clusters on ECFP4 with each molecule's Bemis-Murcko scaffold."""
    from medsage.drug._molecules import standardize
    from medsage.drug._similarity import butina_clusters, load_molecule_set, murcko_scaffold

    mols = load_molecule_set(input_file, smiles_column=smiles_column, canonical_tautomer=tautomers)
    clusters = butina_clusters(mols.fps, threshold=threshold)
    rows: list[dict[str, Any]] = []
    for number, members in enumerate(clusters, start=1):
        for position, index in enumerate(members):
            record = mols.records[index]
            smiles = mols.smiles[index]
            rows.append({
                "row": record.row, "id": record.id, "input": record.input, "smiles": smiles,
                "valid": True, "error": None, "cluster": number, "centroid": position == 0,
                "cluster_size": len(members),
                "scaffold": murcko_scaffold(standardize(smiles, canonical_tautomer=False).mol),
            })  # fmt: skip
    for record, reason in mols.invalid:
        rows.append({
            "row": record.row, "id": record.id, "input": record.input, "smiles": None,
            "valid": False, "error": reason, "cluster": None, "centroid": False,
            "cluster_size": None, "scaffold": None,
        })  # fmt: skip
    rows.sort(key=lambda r: r["row"])
    if as_json:
        for row in rows:
            emit_json(row)
        return
    stdout.print(
        f"{len(mols.smiles)} molecules in {len(clusters)} clusters "
        f"(threshold {threshold}); {len(mols.invalid)} invalid rows"
    )
    for number, members in enumerate(clusters[:20], start=1):
        centroid = mols.smiles[members[0]]
        stdout.print(f"cluster {number}: {len(members)}, centroid {centroid}", highlight=False)


@app.command("pick")
@handles_errors
def pick_command(
    input_file: Path = typer.Option(..., "--input", help=INPUT_HELP),
    n: int = typer.Option(..., "--n", help="How many diverse molecules to pick."),
    seed: int = typer.Option(0, "--seed"),
    smiles_column: str | None = typer.Option(None, "--smiles-column", help=SMILES_COLUMN_HELP),
    tautomers: bool = typer.Option(True, "--tautomers/--no-tautomers", help=TAUTOMER_HELP),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per pick."),
) -> None:
    """Pick n diverse molecules (MaxMin on ECFP4 Tanimoto distance), in pick order."""
    from medsage.drug._similarity import load_molecule_set, maxmin_pick

    mols = load_molecule_set(input_file, smiles_column=smiles_column, canonical_tautomer=tautomers)
    for order, index in enumerate(maxmin_pick(mols.fps, n, seed=seed), start=1):
        record = mols.records[index]
        row = {"pick": order, "row": record.row, "id": record.id, "smiles": mols.smiles[index]}
        if as_json:
            emit_json(row)
        else:
            stdout.print(f"{order}. {record.id}  {row['smiles']}", highlight=False)


def _model_path(name: str) -> Path:
    """A model bundle folder given as a path or as a name under $MEDSAGE_HOME/models/drug/."""
    from medsage.settings import get_settings

    given = Path(name).expanduser()
    if given.is_dir():
        return given
    home = get_settings().home / "models" / "drug"
    if (home / name).is_dir():
        return home / name
    known = sorted(p.name for p in home.iterdir() if p.is_dir()) if home.is_dir() else []
    raise MissingFileError(
        f"no model bundle {name!r}: not a folder and not in {home} "
        f"(available: {', '.join(known) or 'none'}); train one or give the bundle folder"
    )


def _objectives(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values or []:
        key, sep, direction = value.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"--objective must look like MODEL[.TASK]=max|min: {value!r}")
        out[key.strip()] = direction.strip()
    return out


@app.command("screen")
@handles_errors
def screen_command(
    input_file: Path = typer.Option(..., "--input", help="The library: .smi, .csv or .sdf."),
    out: Path = typer.Option(..., "--out", help="Ranked hits CSV (rejected rows beside it)."),
    models: str = typer.Option(
        "", "--models", help="Comma-separated model bundle folders or names under "
        "$MEDSAGE_HOME/models/drug/.",
    ),
    filters: str = typer.Option(
        "lipinski,veber,pains,brenk", "--filters",
        help="Rules that must pass (lipinski, veber, ghose, egan, leadlike) and alert catalogs "
        "that lower the score (pains, pains_a/b/c, brenk, nih).",
    ),
    similar_to: list[str] | None = typer.Option(
        None, "--similar-to", help="Reference SMILES for the similarity term (repeat)."
    ),
    top: int | None = typer.Option(None, "--top", help="Keep the N best hits."),
    report: Path | None = typer.Option(None, "--report", help="Also write an HTML report."),
    objective: list[str] | None = typer.Option(
        None, "--objective", help="MODEL[.TASK]=max|min: which way is better (repeat)."
    ),
    smiles_column: str | None = typer.Option(None, "--smiles-column", help=SMILES_COLUMN_HELP),
    tautomers: bool = typer.Option(False, "--tautomers/--no-tautomers", help=TAUTOMER_HELP),
    workers: int | None = typer.Option(None, "--workers", help="Processes (default 2)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:  # fmt: skip
    """Standardise, filter, predict and rank a library; write hits CSV (and HTML report).

    score = QED + D (model desirability) + S (similarity) - 0.25 x min(alerts, 4);
    see the report for the definition of each term.
    """
    from medsage.drug._screen import screen

    predictors: list[Any] = []
    for name in _split_names(models):
        from medsage.drug._models import load_property_model  # the models helper's module

        predictors.append(load_property_model(_model_path(name)))
    with progress_bar("screening", enabled=not as_json) as bar:
        result = screen(
            input_file, models=predictors, filters=_split_names(filters),
            similar_to=similar_to or [], top=top, out_csv=out, report_html=report,
            smiles_column=smiles_column, canonical_tautomer=tautomers,
            objectives=_objectives(objective), workers=workers, progress=bar,
        )  # fmt: skip
    if as_json:
        emit_json(result.summary())
        return
    stdout.print(
        f"{result.n_read} read, {result.n_invalid} invalid, {result.n_filtered} filtered, "
        f"{result.n_ranked} ranked in {result.seconds:.1f} s "
        f"({result.molecules_per_second:.0f} molecules/s)"
    )
    stdout.print(f"hits: {result.out_csv} ({len(result.hits)} rows)")
    stdout.print(f"rejected: {result.rejected_csv}")
    if result.report_html:
        stdout.print(f"report: {result.report_html}")
    for hit in result.hits[:10]:
        label = hit.profile.name or hit.profile.id
        stdout.print(f"{hit.rank}. {hit.score:.3f}  {label}  {hit.profile.smiles}", highlight=False)
