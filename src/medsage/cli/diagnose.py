"""`medsage diagnose`: analyse a case; `diagnose build-knowledge`: concept profiles."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from medsage.cli._common import DefaultCommandGroup, emit_json, handles_errors, stdout
from medsage.datasets import load_text_label, read_text_file
from medsage.diagnosis import analyze_case, build_knowledge, case_report_html
from medsage.errors import InvalidInputError

app = typer.Typer(
    cls=DefaultCommandGroup,
    help="Case analysis: findings, triage, differential with evidence, ICD-10 codes.",
)


@app.command("run")
@handles_errors
def run(
    text: str | None = typer.Argument(None, help="The case, in Chinese or English."),
    input_file: Path | None = typer.Option(None, "--input", help="A text file with the case."),
    model: Path | None = typer.Option(None, "--model", help="A classifier bundle folder."),
    knowledge: Path | None = typer.Option(
        None, "--knowledge", help="Concept profiles (medsage diagnose build-knowledge)."
    ),
    k: int = typer.Option(5, "--k", help="Candidates in the differential."),
    lang: str = typer.Option("auto", "--lang", help="auto, zh or en."),
    html: Path | None = typer.Option(None, "--html", help="Also write an HTML report here."),
    keep_phi: bool = typer.Option(
        False, "--keep-phi", help="Do not de-identify the text before the analysis."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Analyse TEXT (or --input FILE): a second opinion, never a final diagnosis."""
    if (text is None) == (input_file is None):
        raise InvalidInputError("give the case as TEXT or --input FILE (one of them)")
    case = text if text is not None else read_text_file(input_file or Path())
    report = analyze_case(
        case, model=model, knowledge=knowledge, lang=lang, k=k, deidentify=not keep_phi
    )
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(case_report_html(report), encoding="utf-8")
    if as_json:
        emit_json(report.to_dict())
        return
    data = report.to_dict()
    stdout.print(f"[bold]triage:[/] {data['triage']['level']}")
    for rule in data["triage"]["rules"]:
        stdout.print(f"  ! {rule.get('title', rule.get('rule_id'))}: {rule.get('advice', '')}")
    findings = Table("finding", "concept", "assertion")
    for f in data["findings"]:
        findings.add_row(f["text"], f["concept"], f["assertion"])
    stdout.print(findings)
    if data["differential"]:
        table = Table("diagnosis", "probability", "ICD-10", "supporting findings")
        for c in data["differential"]:
            support = ", ".join(e["text"] for e in c["evidence"] if e["kind"] == "finding")
            table.add_row(
                c["label"], f"{c['probability']:.3f}",
                c["icd10"]["code"] if c["icd10"] else "", support,
            )  # fmt: skip
        stdout.print(table)
    for question in data["follow_up_questions"]:
        stdout.print(f"? {question}")
    for warning in data["warnings"]:
        stdout.print(f"[yellow]note:[/] {warning}")
    stdout.print(data["disclaimer"], style="italic")


@app.command("build-knowledge")
@handles_errors
def build_knowledge_command(
    train: Path = typer.Option(..., "--train", help="Labelled cases or descriptions."),
    out: Path = typer.Option(..., "--out", help="The JSON file to write."),
    text_col: str = typer.Option("text", "--text-col"),
    label_col: str = typer.Option("label", "--label-col"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Learn which findings go with which diagnosis from labelled texts (JSONL or CSV)."""
    data = load_text_label(train, text_col=text_col, label_col=label_col)
    profiles = build_knowledge(data.texts, data.labels, source=str(train.name))
    profiles.save(out)
    summary = {"out": str(out), "labels": len(profiles.labels), "texts": len(data.texts)}
    if as_json:
        emit_json(summary)
    else:
        stdout.print(f"wrote {out}: {summary['labels']} labels from {summary['texts']} texts")
