"""What every command shares: error handling, JSON output, progress display."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from medsage.errors import MedSageError

P = ParamSpec("P")
R = TypeVar("R")

EXIT_BAD_INPUT = 2
stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


class DefaultCommandGroup(typer.core.TyperGroup):
    """A command group whose `run` command is the default: `medsage deid TEXT` runs
    `medsage deid run TEXT`; named subcommands (`medsage deid eval ...`) work as usual."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["run", *args]
        return super().parse_args(ctx, args)


def handles_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a MedSageError into a one-line message on stderr and exit code 2 (no traceback)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except MedSageError as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            stderr.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None

    return wrapper


def emit_json(obj: Any) -> None:
    """Write one JSON document (or JSONL line) to stdout, UTF-8, no ASCII escaping."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


@contextmanager
def progress_steps(enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr that shows the current step; yields a function to set the step."""
    if not enabled:
        yield lambda _message: None
        return
    with stderr.status("starting") as status:

        def update(message: str) -> None:
            status.update(message)

        yield update


@contextmanager
def progress_bar(description: str, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """A progress bar with counts and ETA on stderr; yields update(done, total)."""
    if not enabled:
        yield lambda _done, _total: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=stderr, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
