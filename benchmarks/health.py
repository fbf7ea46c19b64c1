"""Health records: import throughput into SQLite and PostgreSQL (and, later, risk scores).

Usage::

    .venv/bin/python benchmarks/health.py [--copies 20] [--postgres-url URL]

- Import: the 12 Synthea FHIR bundles of ../shared/data/synthea_mcode_sample, replicated
  `--copies` times with fresh ids (every UUID is replaced by a UUID-5 of the copy number and the
  old UUID, so references stay consistent), imported with `RecordStore.import_fhir` (one
  transaction per bundle, full validation of structure, codes and units). Reported: patients/s
  and observation rows/s, for SQLite (a file in a temporary folder) and PostgreSQL
  (`--postgres-url`, else `$MEDSAGE_TEST_POSTGRES_URL`, else skipped; the run uses a fresh
  schema it drops afterwards). Beside it, the same bundles only parsed and validated (no
  database), which shows how much of the time is validation.
- Risk scores: `risk_throughput()` is a stub for the risk-score owner to fill.

Writes benchmarks/results/health_import.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import default_data_dir, environment, write_result
from medsage.health._fhir_import import parse_bundle
from medsage.health._store import RecordStore

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def replicated_bundles(folder: Path, copies: int) -> list[dict[str, Any]]:
    """The bundles in `folder`, `copies` times, each copy with its own consistent UUIDs."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.json"))]
    out: list[dict[str, Any]] = []
    for copy in range(copies):
        namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"medsage-benchmark-copy-{copy}")
        for text in texts:
            renamed = _UUID.sub(lambda m, ns=namespace: str(uuid.uuid5(ns, m.group(0))), text)
            out.append(json.loads(renamed))
    return out


def time_import(url: str, bundles: list[dict[str, Any]]) -> dict[str, Any]:
    """Import all bundles into a fresh store at `url`; rates per second of wall time."""
    store = RecordStore(url)
    try:
        start = time.perf_counter()
        result = store.import_fhir("benchmark", bundles)
        seconds = time.perf_counter() - start
    finally:
        store.close()
    patients = result.counts["patients"]
    observations = result.counts["observations"]
    return {
        "seconds": round(seconds, 2),
        "patients": patients,
        "observation_rows": observations,
        "patients_per_s": round(patients / seconds, 1),
        "observations_per_s": round(observations / seconds, 1),
    }


def time_parse_only(bundles: list[dict[str, Any]]) -> dict[str, Any]:
    """Validate and read the bundles without a database (the share of time that is parsing)."""
    start = time.perf_counter()
    patients = observations = 0
    for i, bundle in enumerate(bundles):
        parsed = parse_bundle(bundle, f"bundle {i + 1}")
        patients += len(parsed.patients)
        observations += sum(len(b.observations) for b in parsed.patients)
    seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 2),
        "patients_per_s": round(patients / seconds, 1),
        "observations_per_s": round(observations / seconds, 1),
    }


def postgres_import(base_url: str, bundles: list[dict[str, Any]]) -> dict[str, Any]:
    """Import into a fresh schema on the server at `base_url` (dropped afterwards)."""
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base_url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        separator = "&" if "?" in base_url else "?"
        return time_import(f"{base_url}{separator}options=-csearch_path%3D{schema}", bundles)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def risk_throughput() -> dict[str, Any]:
    """STUB - to be filled by the risk-score owner: scores per second for 100,000 patients.

    Expected to return a dict of measured numbers that `main` stores under "risk".
    """
    return {"status": "not implemented yet"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20, help="replicas of the 12 bundles")
    parser.add_argument("--postgres-url", default=os.environ.get("MEDSAGE_TEST_POSTGRES_URL"))
    args = parser.parse_args()

    folder = default_data_dir() / "synthea_mcode_sample" / "fhir"
    bundles = replicated_bundles(folder, args.copies)
    print(f"{len(bundles)} bundles ({args.copies} copies of 12)", flush=True)

    results: dict[str, Any] = {"bundles": len(bundles), "copies": args.copies}
    results["parse_only"] = time_parse_only(bundles)
    print("parse only:", results["parse_only"], flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = time_import(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", bundles)
    print("sqlite:", results["sqlite"], flush=True)
    if args.postgres_url:
        results["postgresql"] = postgres_import(args.postgres_url, bundles)
        print("postgresql:", results["postgresql"], flush=True)
    else:
        results["postgresql"] = {"status": "skipped: no --postgres-url"}
    results["risk"] = risk_throughput()

    command = " ".join(["benchmarks/health.py", *sys.argv[1:]])
    if args.postgres_url:  # never store a password in the results
        command = command.replace(args.postgres_url, "<postgres-url>")
    path = write_result(
        "health_import", {"command": command, "environment": environment(), **results}
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
