"""Records at scale: bulk import of 100,000 synthetic patients, query latency and plans.

Usage::

    nice -n 10 .venv/bin/python benchmarks/records_scale.py [--patients 100000] [--sample 2000]
        [--postgres-url URL] [--audit-per-patient 10]

- Data: `medsage.health._synthetic` patients (deterministic, ~48 rows each, real LOINC /
  SNOMED CT / ICD-10 / RxNorm codes and UCUM units), streamed, never all in memory.
- Bulk: `bulk_import` (COPY on PostgreSQL, executemany on SQLite, 1,000 patients a batch) of
  `--patients` record bundles, timed end to end (generation included; the generation time alone
  is reported beside it).
- Normal path: `RecordStore.import_fhir` of `--sample` FHIR bundles (full FHIR validation, one
  transaction per bundle), next to `bulk_import` of the same FHIR bundles and a parse-only run;
  the time for `--patients` patients by these paths is extrapolated (labelled so).
- Latency at scale: medians and 95th percentiles over 200 random patients of
  `patient_bundle`, `observations(code="2345-7")` and `audit_events(patient_id)` (each call
  also writes its own audit event, as in production). Before it, the audit log gets
  `--audit-per-patient` synthetic read events per patient (benchmark-only COPY/executemany,
  labelled) so the audit query runs against a realistic log, not an empty one.
- Plans: EXPLAIN ANALYZE (PostgreSQL) and EXPLAIN QUERY PLAN (SQLite) of the statements the
  store issues for one patient, summarised as the node types and indexes used; for the audit
  query also the plan without migration 0003's index (dropped in a rolled-back transaction).
- PostgreSQL: `--postgres-url`, else `$MEDSAGE_TEST_POSTGRES_URL`; each run uses fresh schemas
  it drops afterwards. SQLite: files in a temporary folder.

Writes benchmarks/results/records_scale.json.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import create_engine, select, text
from sqlalchemy.dialects import postgresql, sqlite

from _common import environment, write_result
from medsage.health import _orm as orm
from medsage.health._bulk import bulk_import
from medsage.health._fhir_import import parse_bundle
from medsage.health._records import PatientBundle
from medsage.health._store import _RECORD_TABLES, RecordStore, _order
from medsage.health._synthetic import (
    synthetic_fhir_bundles,
    synthetic_patient_id,
    synthetic_patients,
)

LATENCY_PATIENTS = 200
LATENCY_CODE = "2345-7"  # glucose: one value a visit
ACTOR = "benchmark"


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class _TimedStream:
    """Wraps a generator and adds up the time spent producing its items."""

    def __init__(self, items: Iterator[PatientBundle]) -> None:
        self.items = items
        self.seconds = 0.0
        self.rows = 0

    def __iter__(self) -> Iterator[PatientBundle]:
        while True:
            start = time.perf_counter()
            item = next(self.items, None)
            self.seconds += time.perf_counter() - start
            if item is None:
                return
            self.rows += sum(item.counts().values())
            yield item


def _fresh_pg_url(base: str, schemas: list[str]) -> str:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    schemas.append(schema)
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


def _rates(patients: int, rows: int, seconds: float) -> dict[str, Any]:
    return {
        "patients": patients,
        "rows": rows,
        "seconds": round(seconds, 2),
        "patients_per_s": round(patients / seconds, 1),
        "rows_per_s": round(rows / seconds, 1),
    }


def time_bulk(url: str, n: int) -> dict[str, Any]:
    """Bulk-import patients 0..n-1 (records) into a fresh store."""
    store = RecordStore(url)
    stream = _TimedStream(synthetic_patients(n))
    try:
        start = time.perf_counter()
        result = bulk_import(store, ACTOR, stream)
        seconds = time.perf_counter() - start
    finally:
        store.close()
    out = _rates(len(result.patient_ids), stream.rows, seconds)
    out["generation_seconds"] = round(stream.seconds, 2)
    out["store_seconds"] = round(seconds - stream.seconds, 2)
    out["store_rows_per_s"] = round(stream.rows / (seconds - stream.seconds), 1)
    out["counts"] = result.counts
    return out


def time_sample(url_factory: Callable[[], str], fhir: list[dict[str, Any]], rows: int) -> Any:
    """import_fhir vs bulk_import of the same FHIR bundles, each into a fresh store."""
    out: dict[str, Any] = {}
    for name, run in (
        ("import_fhir", lambda s: s.import_fhir(ACTOR, fhir)),
        ("bulk_import_fhir", lambda s: bulk_import(s, ACTOR, fhir)),
    ):
        store = RecordStore(url_factory())
        try:
            start = time.perf_counter()
            run(store)
            out[name] = _rates(len(fhir), rows, time.perf_counter() - start)
        finally:
            store.close()
    return out


def seed_audit(store: RecordStore, n: int, per_patient: int) -> dict[str, Any]:
    """`per_patient` read events per patient over the last year (benchmark-only history)."""
    rng = random.Random(0)
    now = datetime(2026, 1, 1)
    columns = ("time", "actor", "action", "patient_id", "resource_type", "outcome", "detail")
    events = [
        (now - timedelta(minutes=rng.randint(0, 525_600)), "dr.bench", "read",
         synthetic_patient_id(rng.randrange(n)), "Patient", "success", None)
        for _ in range(n * per_patient)
    ]  # fmt: skip
    events.sort(key=lambda e: e[0])  # ids in time order, as a live log has them
    start = time.perf_counter()
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            raw: Any = conn.connection.driver_connection
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY audit_events ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for event in events:
                    copy.write_row(event)
        else:
            conn.execute(
                orm.AuditEvent.__table__.insert(),
                [dict(zip(columns, e, strict=True)) for e in events],
            )
    return {"events": len(events), "seconds": round(time.perf_counter() - start, 2)}


def latency(store: RecordStore, n: int) -> dict[str, Any]:
    rng = random.Random(1)
    ids = [synthetic_patient_id(rng.randrange(n)) for _ in range(LATENCY_PATIENTS)]
    calls: dict[str, Callable[[str], Any]] = {
        "patient_bundle": lambda pid: store.patient_bundle(ACTOR, pid),
        f"observations(code={LATENCY_CODE})": lambda pid: store.observations(
            ACTOR, pid, code=LATENCY_CODE
        ),
        "audit_events(patient_id)": lambda pid: store.audit_events(ACTOR, patient_id=pid),
    }
    out: dict[str, Any] = {}
    for name, call in calls.items():
        call(ids[0])  # warm the connection pool and statement caches
        times, sizes = [], []
        for pid in ids:
            start = time.perf_counter()
            result = call(pid)
            times.append((time.perf_counter() - start) * 1000)
            sizes.append(
                sum(result.counts().values()) if hasattr(result, "counts") else len(result)
            )
        times.sort()
        out[name] = {
            "median_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(0.95 * len(times)) - 1], 2),
            "mean_rows_returned": round(statistics.mean(sizes), 1),
        }
    return out


def _statements(pid: str) -> dict[str, Any]:
    """The SELECTs the store issues for one patient (see `RecordStore`)."""
    out: dict[str, Any] = {"patients by id": select(orm.Patient).where(orm.Patient.id == pid)}
    for kind, (model, _record) in _RECORD_TABLES.items():
        out[f"{kind} by patient"] = (
            select(model).where(model.patient_id == pid).order_by(*_order(model))  # type: ignore[attr-defined]
        )
    out["observations by patient and code"] = (
        select(orm.Observation)
        .where(orm.Observation.patient_id == pid, orm.Observation.code == LATENCY_CODE)
        .order_by(*_order(orm.Observation))
    )
    audit = select(orm.AuditEvent).where(orm.AuditEvent.patient_id == pid)
    out["audit by patient"] = audit.order_by(orm.AuditEvent.id)
    out["audit by patient, limit 20"] = audit.order_by(orm.AuditEvent.id).limit(20)
    out["audit by patient and action"] = audit.where(orm.AuditEvent.action == "read").order_by(
        orm.AuditEvent.id
    )
    return out


def _plan_nodes(plan: dict[str, Any]) -> list[str]:
    name = plan["Node Type"]
    if plan.get("Index Name"):
        name += f" using {plan['Index Name']}"
    return [name] + [n for child in plan.get("Plans", []) for n in _plan_nodes(child)]


def explain_postgresql(store: RecordStore, pid: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with store.engine.connect() as conn:
        statements = _statements(pid)
        for name, stmt in statements.items():
            sql = str(
                stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
            )
            plan = conn.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")).scalar_one()[0]
            out[name] = {
                "nodes": _plan_nodes(plan["Plan"]),
                "execution_ms": round(plan["Execution Time"], 3),
            }
        # the audit queries without 0003's index, in a transaction that is rolled back
        conn.rollback()
        trans = conn.begin()
        conn.execute(text("DROP INDEX ix_audit_events_patient_id_id"))
        for name in ("audit by patient", "audit by patient, limit 20"):
            sql = str(
                statements[name].compile(
                    dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
                )
            )
            plan = conn.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")).scalar_one()[0]
            out[f"{name} (without ix_audit_events_patient_id_id)"] = {
                "nodes": _plan_nodes(plan["Plan"]),
                "execution_ms": round(plan["Execution Time"], 3),
            }
        trans.rollback()
    return out


def explain_sqlite(store: RecordStore, pid: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with store.engine.connect() as conn:
        for name, stmt in _statements(pid).items():
            sql = str(
                stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
            )
            out[name] = [row[3] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
    return out


def pg_size(store: RecordStore) -> dict[str, Any]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY 2 DESC"
            )
        ).all()
    return {
        "total_mb": round(sum(r[1] for r in rows) / 2**20, 1),
        "tables_mb": {r[0]: {"total": round(r[1] / 2**20, 1), "heap": round(r[2] / 2**20, 1)}
                      for r in rows if r[1] > 2**20},
    }  # fmt: skip


def sqlite_size(store: RecordStore, path: Path) -> dict[str, Any]:
    import sqlite3

    store.engine.dispose()  # no pooled connection holds the WAL open
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"total_mb": round(path.stat().st_size / 2**20, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--audit-per-patient", type=int, default=10)
    parser.add_argument("--postgres-url", default=os.environ.get("MEDSAGE_TEST_POSTGRES_URL"))
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.postgres_url:
        parser.error("give --postgres-url or set MEDSAGE_TEST_POSTGRES_URL")
    n = args.patients
    result: dict[str, Any] = {
        "command": "nice -n 10 .venv/bin/python benchmarks/records_scale.py "
        f"--patients {n} --sample {args.sample} --audit-per-patient {args.audit_per_patient}",
        "environment": environment(),
        "load_average_start": _load(),
        "patients": n,
        "batch_patients": 1000,
    }
    schemas: list[str] = []
    base = args.postgres_url
    tmp = Path(tempfile.mkdtemp(prefix="medsage-records-scale-"))
    try:
        engine = create_engine(base)
        with engine.connect() as conn:
            result["postgresql"] = {
                "server": conn.execute(text("SHOW server_version")).scalar_one(),
                "fsync": conn.execute(text("SHOW fsync")).scalar_one(),
                "shared_buffers": conn.execute(text("SHOW shared_buffers")).scalar_one(),
            }
        engine.dispose()

        # -- sample: normal import path vs bulk, both from FHIR bundles
        fhir = list(synthetic_fhir_bundles(args.sample, seed=1))
        sample_rows = sum(sum(b.counts().values()) for b in synthetic_patients(args.sample, seed=1))
        start = time.perf_counter()
        for i, bundle in enumerate(fhir):
            parse_bundle(bundle, f"bundle {i}")
        parse = _rates(args.sample, sample_rows, time.perf_counter() - start)
        sample: dict[str, Any] = {"parse_only": parse}
        sample["postgresql"] = time_sample(lambda: _fresh_pg_url(base, schemas), fhir, sample_rows)
        if not args.skip_sqlite:
            counter = iter(range(100))
            sample["sqlite"] = time_sample(
                lambda: f"sqlite:///{tmp / f'sample_{next(counter)}.sqlite3'}", fhir, sample_rows
            )
        del fhir
        result["sample_fhir"] = {"patients": args.sample, **sample}
        print("sample done", sample, flush=True)

        # -- bulk at scale, then audit history, latency, plans, size
        for backend in ("postgresql", "sqlite"):
            if backend == "sqlite" and args.skip_sqlite:
                continue
            path = tmp / "scale.sqlite3"
            url = _fresh_pg_url(base, schemas) if backend == "postgresql" else f"sqlite:///{path}"
            scale: dict[str, Any] = {"bulk_import": time_bulk(url, n)}
            print(backend, "bulk", scale["bulk_import"], flush=True)
            with RecordStore(url) as store:
                scale["audit_history"] = seed_audit(store, n, args.audit_per_patient)
                with store.engine.begin() as conn:
                    conn.exec_driver_sql("ANALYZE")
                scale["latency"] = latency(store, n)
                pid = synthetic_patient_id(n // 2)
                if backend == "postgresql":
                    scale["explain_analyze"] = explain_postgresql(store, pid)
                    scale["size"] = pg_size(store)
                else:
                    scale["explain_query_plan"] = explain_sqlite(store, pid)
                    scale["size"] = sqlite_size(store, path)
            result[f"{backend}_scale"] = scale
            print(backend, "latency", scale["latency"], flush=True)

        # -- extrapolation of the sample rates to `n` patients (labelled as such)
        extrapolated: dict[str, Any] = {}
        for backend in ("postgresql", "sqlite"):
            if backend not in sample:
                continue
            for path_name, rates in sample[backend].items():
                extrapolated[f"{backend} {path_name}"] = round(n / rates["patients_per_s"], 0)
        result["extrapolated_seconds_for_all_patients_from_sample"] = extrapolated
        result["peak_rss_mb"] = _peak_rss_mb()
        result["load_average_end"] = _load()
        result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        path = write_result("records_scale", result)
        print("wrote", path)
    finally:
        engine = create_engine(base)
        with engine.begin() as conn:
            for schema in schemas:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()
        for file in tmp.glob("*"):
            file.unlink()
        tmp.rmdir()


if __name__ == "__main__":
    main()
