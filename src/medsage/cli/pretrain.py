"""`medsage pretrain`: masked-LM or causal-LM pretraining on a domain corpus."""

from __future__ import annotations

from pathlib import Path

import typer

from medsage.cli._common import emit_json, handles_errors, progress_steps, stdout
from medsage.models import load_corpus, pretrain


@handles_errors
def pretrain_command(
    corpus: Path = typer.Option(..., "--corpus", help="Text file (one per line), JSONL or folder."),
    objective: str = typer.Option("mlm", "--objective", help="mlm (BERT-style) or clm (GPT)."),
    out: Path = typer.Option(..., "--out", help="Folder for the new checkpoint."),
    base: str | None = typer.Option(
        None, "--base", help="Continue from this checkpoint ('minilm', 'e5' or a folder)."
    ),
    config: str = typer.Option("tiny", "--config", help="Size from scratch: tiny or small."),
    steps: int = typer.Option(200, "--steps"),
    batch_size: int = typer.Option(16, "--batch-size"),
    max_length: int = typer.Option(128, "--max-length"),
    learning_rate: float = typer.Option(5e-4, "--learning-rate"),
    seed: int = typer.Option(0, "--seed"),
    freeze_encoder: bool = typer.Option(
        False, "--freeze-encoder", help="Train only the LM head (e.g. a new head on --base)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Pretrain on --corpus and write a checkpoint `train --backend transformer --base` takes."""
    texts = load_corpus(corpus)
    with progress_steps() as progress:
        result = pretrain(
            texts,
            out,
            objective=objective,
            base=base,
            config=config,
            steps=steps,
            batch_size=batch_size,
            max_length=max_length,
            learning_rate=learning_rate,
            seed=seed,
            freeze_encoder=freeze_encoder,
            progress=progress,
        )
    if as_json:
        emit_json(result.to_dict())
        return
    stdout.print(
        f"{objective} on {result.n_train} texts, {steps} steps: held-out perplexity "
        f"{result.perplexity_before:.1f} -> {result.perplexity_after:.1f} "
        f"({result.n_heldout} texts)"
    )
    stdout.print(f"checkpoint: {result.out}")
