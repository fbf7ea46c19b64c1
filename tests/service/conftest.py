"""Real `medsage serve --demo` servers on loopback, started once per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from service_live import LiveServer, clone_home, running_server


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("service-home")) as server:
        yield server


@pytest.fixture(scope="session")
def ui_server(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A second demo server of its own (fresh database), so the web-UI tests see the demo data
    exactly as seeded, whatever the API tests changed on `live_server`."""
    with running_server(
        clone_home(live_server.home, tmp_path_factory.mktemp("ui") / "home")
    ) as server:
        yield server
