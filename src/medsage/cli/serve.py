"""`medsage serve`: the web service and web UI (uvicorn)."""

from __future__ import annotations

import logging
from typing import Any

import typer

from medsage.cli._common import emit_json, handles_errors, stdout


@handles_errors
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    demo: bool = typer.Option(
        False, "--demo", help="Seed demo users, patients, model and literature (development)."
    ),
    workers: int = typer.Option(1, "--workers", help="Uvicorn worker processes."),
    as_json: bool = typer.Option(False, "--json", help="Print the start-up summary as JSON."),
) -> None:
    """Serve the API (/api/v1, docs at /api/docs) and the web UI (/) until stopped."""
    import uvicorn

    from medsage.errors import InvalidInputError
    from medsage.service import ServiceSettings, create_app
    from medsage.service._middleware import Metrics

    if not 1 <= port <= 65535:
        raise InvalidInputError(f"--port must be 1-65535, got {port}")
    settings = ServiceSettings.from_env(demo=demo)
    if demo and settings.production:
        raise InvalidInputError("--demo is for development only (its passwords are public)")
    summary: dict[str, Any] = {"url": f"http://{host}:{port}/", "api_docs": f"http://{host}:{port}/api/docs",
               "environment": settings.environment, "demo": demo}  # fmt: skip
    if demo:
        from medsage.service._demo import DEMO_USERS

        summary["demo_users"] = [
            {"username": u, "password": p, "role": r} for u, p, r, _pid, _n in DEMO_USERS
        ]
    if as_json:
        emit_json(summary)
    else:
        stdout.print(f"MedSage on {summary['url']} (API docs {summary['api_docs']})")
        for user in summary.get("demo_users", []):
            stdout.print(f"  demo login: {user['username']} / {user['password']} ({user['role']})")
    logging.getLogger("medsage").setLevel(logging.INFO)
    # uvicorn's own access log prints the full path and query; ours logs route templates only.
    options: dict[str, Any] = {
        "host": host, "port": port, "access_log": False, "log_level": "info",
        "proxy_headers": False,
    }  # fmt: skip
    if workers <= 1:
        uvicorn.run(create_app(settings), **options)
        return
    if demo:  # seed once here, so the workers do not race to create the same rows
        from medsage.service._state import close_state, open_state

        close_state(open_state(settings, Metrics()))
    # several processes need an import string; each builds its app from the environment
    uvicorn.run("medsage.service:create_app", factory=True, workers=workers, **options)
