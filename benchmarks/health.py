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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS_DIR, default_data_dir, environment, write_result
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


RISK_PATIENTS = 100_000


def _synthetic_rows(n: int, seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """Inputs for n patients per score, drawn within each score's valid ranges."""
    rng = np.random.default_rng(seed)
    age = rng.integers(40, 80, n)
    sex = np.where(rng.random(n) < 0.5, "female", "male")
    sbp = rng.integers(95, 200, n)
    dbp = np.minimum(rng.integers(55, 120, n), sbp - 10)
    weight = rng.uniform(45, 130, n).round(1)
    height = rng.uniform(150, 195, n).round(1)
    bmi = weight / (height / 100) ** 2
    rows: dict[str, list[dict[str, Any]]] = {
        "bmi": [{"weight_kg": w, "height_cm": h} for w, h in zip(weight, height, strict=True)],
        "bp_category": [
            {"systolic": int(a), "diastolic": int(b)} for a, b in zip(sbp, dbp, strict=True)
        ],
        "egfr_ckd_epi_2021": [
            {"creatinine_mg_dl": c, "age": int(a), "sex": s}
            for c, a, s in zip(rng.uniform(0.5, 4.0, n).round(2), age, sex, strict=True)
        ],
        "ascvd_pce_2013": [
            {
                "age": int(a), "sex": s, "race": r, "total_cholesterol_mg_dl": int(tc),
                "hdl_mg_dl": int(hdl), "systolic_bp": int(bp), "bp_treated": bool(t),
                "smoker": bool(sm), "diabetes": bool(d),
            }
            for a, s, r, tc, hdl, bp, t, sm, d in zip(
                age, sex, rng.choice(["white", "african_american", "other"], n),
                rng.integers(130, 320, n), rng.integers(20, 100, n), np.clip(sbp, 90, 200),
                rng.random(n) < 0.3, rng.random(n) < 0.2, rng.random(n) < 0.15, strict=True,
            )
        ],
        "findrisc": [
            {
                "age": int(a), "sex": s, "bmi": round(float(b), 1), "waist_cm": int(w),
                "physically_active_30min_daily": bool(p), "vegetables_daily": bool(v),
                "bp_medication": bool(m), "high_glucose_history": bool(g), "family_history": f,
            }
            for a, s, b, w, p, v, m, g, f in zip(
                age, sex, np.clip(bmi, 15, 60), rng.integers(60, 140, n), rng.random(n) < 0.5,
                rng.random(n) < 0.5, rng.random(n) < 0.3, rng.random(n) < 0.1,
                rng.choice(["none", "second_degree", "first_degree"], n), strict=True,
            )
        ],
    }  # fmt: skip
    return rows


def risk_throughput(n: int = RISK_PATIENTS) -> dict[str, Any]:
    """Scores per second for n synthetic patients: vectorised `compute_many` per score, and the
    plain `compute` loop on the first 5,000 for comparison."""
    from medsage.health.risk import compute, compute_many

    out: dict[str, Any] = {"patients": n}
    for name, rows in _synthetic_rows(n).items():
        started = time.perf_counter()
        results = compute_many(name, rows)
        seconds = time.perf_counter() - started
        assert len(results) == n
        sample = rows[:5000]
        started = time.perf_counter()
        for row in sample:
            compute(name, **row)
        loop_seconds = time.perf_counter() - started
        out[name] = {
            "seconds": round(seconds, 2),
            "patients_per_second": round(n / seconds),
            "loop_patients_per_second": round(len(sample) / loop_seconds),
        }
        print(name, out[name], flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20, help="replicas of the 12 bundles")
    parser.add_argument("--risk-only", action="store_true", help="only the risk-score part")
    parser.add_argument("--postgres-url", default=os.environ.get("MEDSAGE_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    if args.risk_only:
        previous = json.loads((RESULTS_DIR / "health_import.json").read_text(encoding="utf-8"))
        previous["risk"] = risk_throughput()
        previous["risk_command"] = "benchmarks/health.py --risk-only"
        print("wrote", write_result("health_import", previous))
        return

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
