"""A real `medsage serve --demo` on loopback, started once per test session."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from service_live import LiveServer, clone_home, free_port, start_server, wait_ready


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("service-home")
    port = free_port()
    process = start_server(home, port)
    server = LiveServer(f"http://127.0.0.1:{port}", home, home / "server.log")
    try:
        wait_ready(server.url, process, server.log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def ui_server(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A second demo server of its own (fresh database), so the web-UI tests see the demo data
    exactly as seeded, whatever the API tests changed on `live_server`."""
    home = clone_home(live_server.home, tmp_path_factory.mktemp("ui") / "home")
    port = free_port()
    process = start_server(home, port)
    server = LiveServer(f"http://127.0.0.1:{port}", home, home / "server.log")
    try:
        wait_ready(server.url, process, server.log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
