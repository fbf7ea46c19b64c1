"""Load test of the web service: N concurrent clinicians on /api/v1/diagnose (tfidf model).

Usage::

    .venv/bin/python benchmarks/service_load.py [--users 50] [--seconds 60] [--home DIR]

What runs: a real `medsage serve --demo` (one uvicorn process, the demo tfidf model) on
loopback; N clinician accounts are created through the admin API (each its own bearer token,
so the default per-user rate limit of 600/min applies unchanged; the per-address login
limit is raised for the set-up, since all of them log in from loopback); locust (headless, on the
same 2 cores) runs N users, each posting a demo case (Chinese or English) and waiting
0.5-1.5 s. Reported from locust's own statistics: requests, failures, requests/s and the
latency percentiles; the server's CPU seconds; the load average before and after.
Writes benchmarks/results/service_load.json (one entry per --workers value).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS_DIR, environment, write_result

HERE = Path(__file__).resolve().parent
PASSWORD = "load-test-password-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(home: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    # all N clinicians log in from one address: lift the per-address login limit (20/min)
    env = {
        **os.environ, "MEDSAGE_HOME": str(home), "MEDSAGE_ENV": "development",
        "MEDSAGE_LOGIN_RATE": "1000",
    }  # fmt: skip
    env.pop("MEDSAGE_DATABASE_URL", None)
    log = (home / "server.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "medsage", "serve", "--demo", "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("server not ready after 300 s")


def _tokens(url: str, users: int) -> list[str]:
    admin = httpx.post(
        f"{url}/api/v1/auth/token", data={"username": "admin", "password": "demo-admin-password"}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {admin}"}
    existing = {u["username"] for u in httpx.get(f"{url}/api/v1/users", headers=headers).json()}
    tokens = []
    for i in range(users):
        name = f"load-{i:03d}"
        if name not in existing:
            httpx.post(
                f"{url}/api/v1/users", headers=headers, timeout=30,
                json={"username": name, "password": PASSWORD, "role": "clinician"},
            ).raise_for_status()  # fmt: skip
        response = httpx.post(
            f"{url}/api/v1/auth/token", data={"username": name, "password": PASSWORD}, timeout=30
        )
        response.raise_for_status()
        tokens.append(response.json()["access_token"])
    return tokens


def _cases() -> list[str]:
    from medsage.demo import load_demo_cases

    return list(load_demo_cases().texts)


def _server_cpu(pid: int) -> float:
    """CPU seconds of the server process and its worker processes."""
    import psutil

    total = 0.0
    for proc in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        times = proc.cpu_times()
        total += times.user + times.system
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--spawn-rate", type=int, default=10)
    parser.add_argument("--home", type=Path, default=None, help="Reuse a service home.")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes.")
    args = parser.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="medsage-load-"))
    home.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = _start(home, port, args.workers)
    work = Path(tempfile.mkdtemp(prefix="medsage-locust-"))
    try:
        _wait(url, server)
        token_file = work / "tokens.json"
        token_file.write_text(
            json.dumps({"tokens": _tokens(url, args.users), "cases": _cases()}), encoding="utf-8"
        )
        httpx.post(  # one warm-up request, so the first user does not pay for lazy imports
            f"{url}/api/v1/diagnose", json={"text": "fever and cough"},
            headers={"Authorization": f"Bearer {json.loads(token_file.read_text())['tokens'][0]}"},
            timeout=60,
        ).raise_for_status()  # fmt: skip
        load_before = os.getloadavg()[0]
        cpu_before = _server_cpu(server.pid)
        command = [
            str(Path(sys.executable).parent / "locust"), "-f", str(HERE / "locust_diagnose.py"),
            "--headless", "-u", str(args.users), "-r", str(args.spawn_rate),
            "-t", f"{args.seconds}s", "--host", url, "--csv", str(work / "stats"),
            "--only-summary", "--stop-timeout", "10",
        ]  # fmt: skip
        env = {**os.environ, "MEDSAGE_LOAD_TOKENS": str(token_file)}
        subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL)
        cpu_used = _server_cpu(server.pid) - cpu_before
        load_after = os.getloadavg()[0]
        with (work / "stats_stats.csv").open(encoding="utf-8") as handle:
            rows = {row["Name"]: row for row in csv.DictReader(handle)}
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    row = rows["/api/v1/diagnose"]
    result: dict[str, Any] = {
        "command": (
            f"benchmarks/service_load.py --users {args.users} --seconds {args.seconds} "
            f"--workers {args.workers}"
        ),
        "endpoint": "POST /api/v1/diagnose (demo tfidf model, k=5)",
        "users": args.users,
        "server_workers": args.workers,
        "seconds": args.seconds,
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "requests_per_second": round(float(row["Requests/s"]), 1),
        "latency_ms": {
            "median": float(row["50%"]),
            "p90": float(row["90%"]),
            "p95": float(row["95%"]),
            "p99": float(row["99%"]),
            "max": round(float(row["Max Response Time"]), 1),
        },
        "server_cpu_seconds": round(cpu_used, 1),
        "server_cpu_ms_per_request": round(1000 * cpu_used / max(1, int(row["Request Count"])), 2),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(load_after, 2),
        "target": "p95 < 300 ms and 0 errors with 50 users on 2 cores",
        "environment": environment(),
    }
    # one entry per number of server workers, merged with earlier runs
    path = RESULTS_DIR / "service_load.json"
    runs = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if "runs" not in runs:
        runs = {"runs": {}}
    runs["runs"][f"{args.workers}_workers"] = result
    write_result("service_load", runs)
    print(json.dumps({k: v for k, v in result.items() if k != "environment"}, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
