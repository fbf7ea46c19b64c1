"""The real server starts with --demo and answers on loopback."""

from __future__ import annotations

from service_live import LiveServer


def test_when_demo_server_starts_then_it_is_ready_with_every_part_loaded(
    live_server: LiveServer,
) -> None:
    with live_server.client() as client:
        ready = client.get("/readyz").json()
    assert ready == {
        "status": "ready", "database": "sqlite", "model": True, "literature": True,
        "drug_models": 0,
    }  # fmt: skip
