"""Start a real `medsage serve --demo` on loopback (used by conftest.py and the load benchmark).

The server runs in its own process with a fresh MEDSAGE_HOME, exactly as a user starts it;
tests talk to it over HTTP (httpx) or drive it in headless Chromium (Playwright).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from medsage.service._demo import DEMO_USERS

STARTUP_SECONDS = 240  # first start converts the e5 weights and builds the demo indexes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    url: str
    home: Path
    log: Path

    def token(self, username: str) -> str:
        password = {u: p for u, p, *_rest in DEMO_USERS}[username]
        response = httpx.post(
            f"{self.url}/api/v1/auth/token",
            data={"username": username, "password": password},
            timeout=30,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def client(self, username: str | None = None) -> httpx.Client:
        """An HTTP client, logged in as `username` (bearer token) when given."""
        headers = {"Authorization": f"Bearer {self.token(username)}"} if username else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


def start_server(
    home: Path, port: int, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    # many tests log in from one address: lift the login limit (its own test sets it back)
    env = {
        **os.environ, "MEDSAGE_HOME": str(home), "MEDSAGE_ENV": "development",
        "MEDSAGE_LOGIN_RATE": "10000",
    }  # fmt: skip
    env.pop("MEDSAGE_DATABASE_URL", None)
    env.update(extra_env or {})
    log = (home / "server.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "medsage", "serve", "--demo", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"server not ready after {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")


def clone_home(source: Path, target: Path) -> Path:
    """A fresh MEDSAGE_HOME that reuses the demo model, index and encoder of `source`
    (a fresh database; the server starts in seconds instead of building them again)."""
    target.mkdir(parents=True)
    shutil.copytree(source / "demo", target / "demo")
    shutil.copytree(source / "consult" / "kb", target / "consult" / "kb")
    (target / "models").symlink_to(source / "models", target_is_directory=True)
    return target


@contextmanager
def running_server(home: Path, extra_env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """`medsage serve --demo` on a free loopback port with `home`, stopped on exit."""
    port = free_port()
    process = start_server(home, port, extra_env)
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
