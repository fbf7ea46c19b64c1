"""A real `medsage serve --demo` on loopback, started once per test session."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from service_live import LiveServer, free_port, start_server, wait_ready


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
