"""`medsage export onnx`: an ONNX (optionally int8) copy of a transformer bundle."""

from __future__ import annotations

from pathlib import Path

import typer

from medsage.cli._common import emit_json, handles_errors, progress_steps, stdout
from medsage.models import export_onnx

app = typer.Typer(help="Export models for fast inference.", no_args_is_help=True)


@app.command("onnx")
@handles_errors
def onnx(
    model: Path = typer.Option(..., "--model", help="Transformer model bundle folder."),
    quantize: bool = typer.Option(False, "--quantize", help="Also write an int8 model."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Export --model to ONNX inside its folder; `predict` then uses it automatically."""
    with progress_steps() as progress:
        progress("exporting to ONNX")
        report = export_onnx(model, quantize=quantize)
    if as_json:
        emit_json(report)
        return
    stdout.print(f"wrote {', '.join(report['files'])} in {model}")
    stdout.print(f"largest logit difference from PyTorch: fp32 {report['max_logit_diff_fp32']:.2e}")
    if quantize:
        stdout.print(
            f"                                     int8 {report['max_logit_diff_int8']:.2e}"
        )
