"""`medsage explain`: which words made the model choose its label."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from medsage.cli._common import emit_json, handles_errors, stdout
from medsage.models import TextClassifier, explain, explanation_html


@handles_errors
def explain_command(
    text: str = typer.Argument(..., help="The text to explain."),
    model: Path = typer.Option(..., "--model", help="Model bundle folder."),
    label: str | None = typer.Option(None, "--label", help="Explain this label instead."),
    html_out: Path | None = typer.Option(None, "--html", help="Also write highlighted HTML."),
    top: int = typer.Option(8, "--top", help="Words to list (plain output)."),
    as_json: bool = typer.Option(False, "--json", help="Print the attributions as JSON."),
) -> None:
    """Word attributions for the predicted (or given) label of TEXT."""
    classifier = TextClassifier.load(model)
    explanation = explain(classifier, text, label=label)
    if html_out is not None:
        html_out.parent.mkdir(parents=True, exist_ok=True)
        html_out.write_text(explanation_html([explanation]), encoding="utf-8")
    if as_json:
        payload = explanation.to_dict()
        payload["html"] = None if html_out is None else str(html_out)
        emit_json(payload)
        return
    stdout.print(f"{explanation.label} ({explanation.probability:.2f}), {explanation.method}")
    for word in explanation.top(top):
        stdout.print(Text(f"  {word.score:+.4f}  {word.word}"))
    if html_out is not None:
        stdout.print(f"HTML: {html_out}")
