"""`medsage consult`: ask a health question; `consult kb add`: index trusted sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from medsage.cli._common import DefaultCommandGroup, emit_json, handles_errors, progress_bar, stdout
from medsage.errors import InvalidInputError

app = typer.Typer(
    cls=DefaultCommandGroup,
    help="Consultation: triage first, then answers from trusted sources with citations.",
)
kb_app = typer.Typer(help="The knowledge base the assistant answers from.")
app.add_typer(kb_app, name="kb")

KB_OPTION = typer.Option(None, "--kb", help="Knowledge-base folder (default under MEDSAGE_HOME).")


def _consultant(kb: Path | None, llm_url: str | None, llm_model: str | None) -> Any:
    from medsage.consult import Consultant

    backend = None
    if llm_url is not None:
        from medsage.consult._llm import OpenAICompatibleBackend

        if not llm_model:
            raise InvalidInputError("--llm needs --llm-model NAME (the model name on that server)")
        backend = OpenAICompatibleBackend(llm_url, llm_model)
    return Consultant(kb, llm=backend)


def _patient(patient_id: str | None) -> Any:
    if patient_id is None:
        return None
    from medsage.consult._records import patient_context

    return patient_context(patient_id, actor="cli")


def _show(answer: Any) -> None:
    data = answer.to_dict()
    level = data["triage"]["level"]
    if level in ("emergency", "urgent"):
        stdout.print(f"[bold red]{level.upper()}[/]: {data['triage']['advice']}", highlight=False)
    if data["mode"] != "emergency":
        stdout.print(data["answer"], highlight=False)
    for note in data["personal_notes"]:
        stdout.print(f"[yellow]for you:[/] {note['text']}", highlight=False)
    for c in data["citations"]:
        trust = "" if c["trust"] == "trusted" else f" ({c['trust']})"
        stdout.print(f"  [{c['number']}] {c['title']}{trust} {c['url']}", highlight=False)
    for q in data["follow_up_questions"]:
        stdout.print(f"  ? {q}", highlight=False)
    for n in data["notices"]:
        stdout.print(f"[dim]{n}[/]", highlight=False)
    stdout.print(f"[dim]{data['disclaimer']}[/]", highlight=False)


@app.command("run")
@handles_errors
def run(
    question: str | None = typer.Argument(None, help="The question, in Chinese or English."),
    patient: str | None = typer.Option(None, "--patient", help="Personalise with this record."),
    conversation: str | None = typer.Option(
        None, "--conversation", help="Continue this conversation id."
    ),
    chat: bool = typer.Option(False, "--chat", help="Interactive: one question per line."),
    kb: Path | None = KB_OPTION,
    llm_url: str | None = typer.Option(
        None, "--llm", help="An OpenAI-compatible server URL (vLLM, Ollama, llama.cpp)."
    ),
    llm_model: str | None = typer.Option(None, "--llm-model", help="Model name on that server."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
) -> None:
    """Answer QUESTION: triage first, then a cited answer (never a diagnosis)."""
    if chat == (question is not None):
        raise InvalidInputError("give a QUESTION, or --chat for an interactive conversation")
    consultant = _consultant(kb, llm_url, llm_model)
    context = _patient(patient)
    if not chat:
        answer = consultant.ask(question or "", patient=context, conversation_id=conversation)
        emit_json(answer.to_dict()) if as_json else _show(answer)
        return
    conversation_id = conversation or consultant.conversations.new_id()
    stdout.print(f"[dim]conversation {conversation_id}; an empty line ends it[/]")
    while True:
        try:
            line = input("> ")
        except EOFError:
            break
        if not line.strip():
            break
        answer = consultant.ask(line, patient=context, conversation_id=conversation_id)
        emit_json(answer.to_dict()) if as_json else _show(answer)


@kb_app.command("add")
@handles_errors
def kb_add(
    path: Path = typer.Argument(..., help="A corpus file or folder (MedQuAD, JSONL, CSV...)."),
    format: str = typer.Option("auto", "--format", help="auto, medquad, jsonl, csv, dialogue..."),
    trust: str = typer.Option(
        "trusted", "--trust", help="trusted, or community (shown to users as lower trust)."
    ),
    kb: Path | None = KB_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Index the documents of PATH into the knowledge base."""
    from medsage.consult import KnowledgeBase

    base = KnowledgeBase.open(kb)
    with progress_bar("indexing", enabled=not as_json) as update:
        added = base.add_path(
            path, format=format, trust=trust, progress=lambda _s, d, t: update(d, t)
        )
    result = {"added": added, "documents": len(base), "folder": str(base.folder)}
    emit_json(result) if as_json else stdout.print(f"added {added}; {len(base)} documents")


@kb_app.command("info")
@handles_errors
def kb_info(
    kb: Path | None = KB_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Languages and document counts of the knowledge base."""
    from medsage.consult import KnowledgeBase

    base = KnowledgeBase.open(kb)
    result = {"folder": str(base.folder), "languages": base.languages(), "documents": len(base)}
    emit_json(result) if as_json else stdout.print(result)
