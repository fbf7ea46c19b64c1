"""Bulk import into the records store: PostgreSQL COPY (SQLite: executemany), a batch at a time.

`bulk_import(store, actor, items)` reads FHIR bundles (parsed JSON or files) or already built
`PatientBundle`s, groups them into batches of `batch_patients` patients and stores each batch in
one transaction with one audit event (action `import`, counts and patient ids in the detail).
On PostgreSQL the rows go in with `COPY ... FROM STDIN` (psycopg 3 `cursor.copy`), on SQLite
with one `executemany` per table.

The rows are the ones `RecordStore.import_fhir` stores: bundles go through the same
`parse_bundle` (structure, LOINC, SNOMED CT, ICD-10, UCUM, RxNorm checks) and the same
record -> row conversion, so a patient exported after a bulk import is byte-identical to one
exported after a normal import. `PatientBundle`s that did not come from `parse_bundle` get the
same code and unit checks on their records.

Failure semantics: a bad bundle or record, a patient id that is already stored (or twice in the
batch) or a resource id that is stored for another patient stops the import; nothing of that
batch is stored, the batches before it stay stored (the error says how many patients), and a
failure audit event is written. There is no replace mode: delete patients first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from medsage.errors import DataFormatError, InvalidInputError, MedSageError
from medsage.health import _codes
from medsage.health import _orm as orm
from medsage.health._codes import ICD10, ICD10_CM, RXNORM, SNOMED
from medsage.health._records import ImportResult, PatientBundle
from medsage.health._store import (
    _RECORD_TABLES,
    _TIME_FIELDS,
    RecordStore,
    _check_actor,
    _to_db_time,
)

BulkItem = PatientBundle | Mapping[str, Any] | Path
Progress = Callable[[int, int], None]

DEFAULT_BATCH_PATIENTS = 1000
_MAX_BATCH_PATIENTS = 100_000
_ID_CHECK_CHUNK = 500  # ids per `IN (...)` query (far below SQLite's bound-parameter limit)
_ERROR_NAMES = 10  # ids named in an error message
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # FHIR R4 `id` datatype
_KINDS = tuple(_RECORD_TABLES)

# The checks of `_codes`, memoised: a bulk import repeats the same few hundred codes millions of
# times, and the checks are pure functions of the code (about 40% of the time uncached).
loinc_problem = lru_cache(maxsize=65_536)(_codes.loinc_problem)
ucum_problem = lru_cache(maxsize=65_536)(_codes.ucum_problem)
snomed_problem = lru_cache(maxsize=65_536)(_codes.snomed_problem)
icd10_problem = lru_cache(maxsize=65_536)(_codes.icd10_problem)
rxnorm_problem = lru_cache(maxsize=65_536)(_codes.rxnorm_problem)


class RecordCheckError(DataFormatError):
    """A record given directly (not as a FHIR bundle) failed a code, unit or id check."""

    def __init__(self, source: str, kind: str, record_id: str, field: str, problem: str) -> None:
        self.source = source
        self.kind = kind
        self.record_id = record_id
        self.field = field
        self.problem = problem
        super().__init__(
            f"{source}: {kind} {record_id!r} field {field}: {problem}; nothing of this batch was "
            "stored (fix the record and import the rest again)"
        )


# ------------------------------------------------------------------------ record checks


def check_patient_bundle(bundle: PatientBundle, source: str = "records") -> None:
    """Apply import_fhir's id, code and unit checks to records built without a FHIR bundle.

    Raises RecordCheckError naming the record, the field and the problem.
    """
    pid = bundle.patient.id
    if not isinstance(pid, str) or not _FHIR_ID.fullmatch(pid):
        raise RecordCheckError(
            source, "patient", str(pid), "id", "expected 1-64 letters, digits, '-' or '.'"
        )
    for kind in _KINDS:
        for record in getattr(bundle, kind):
            problem = _record_problem(kind, record, pid)
            if problem is not None:
                raise RecordCheckError(source, kind, str(record.id), *problem)


def _record_problem(kind: str, r: Any, pid: str) -> tuple[str, str] | None:
    if not isinstance(r.id, str) or not _FHIR_ID.fullmatch(r.id):
        return "id", "expected 1-64 letters, digits, '-' or '.'"
    if r.patient_id != pid:
        return "patient_id", f"{r.patient_id!r} is not the bundle's patient {pid!r}"
    problem: str | None = None
    if kind == "observations":
        if (problem := loinc_problem(r.code)) is not None:
            return "code", problem
        if r.unit is not None and (problem := ucum_problem(r.unit)) is not None:
            return "unit", problem
        if r.value_system == SNOMED and r.value_code:
            problem = snomed_problem(r.value_code)
            return ("value_code", problem) if problem else None
    elif kind == "conditions":
        if r.icd10 is None and not r.source_code:
            return "icd10", "no ICD-10 and no source code (expected ICD-10 or SNOMED CT)"
        system = ICD10_CM if r.source_system == ICD10_CM else ICD10
        if r.icd10 is not None and (problem := icd10_problem(r.icd10, system)) is not None:
            return "icd10", problem
        if r.source_system == SNOMED:
            problem = snomed_problem(str(r.source_code))
            return ("source_code", problem) if problem else None
    elif kind == "medications":
        if r.kind not in ("MedicationRequest", "MedicationStatement"):
            return "kind", f"{r.kind!r}: expected MedicationRequest or MedicationStatement"
        if not r.code:
            return "code", "no medication code"
        if r.system == RXNORM:
            problem = rxnorm_problem(r.code)
            return ("code", problem) if problem else None
    elif kind == "allergies":
        if not r.code:
            return "code", "no allergy code"
        if r.system == SNOMED:
            problem = snomed_problem(r.code)
            return ("code", problem) if problem else None
    elif kind == "encounters":
        if r.type_system == SNOMED:
            problem = snomed_problem(str(r.type_code))
            return ("type_code", problem) if problem else None
    elif kind == "care_plans":
        for i, activity in enumerate(r.activities):
            problem = (
                snomed_problem(activity.code)
                if activity.system == SNOMED and activity.code
                else None
            )
            if activity.code and problem is not None:
                return f"activities[{i}].code", problem
    return None


# ------------------------------------------------------------------------------ batching


@dataclass
class _Batch:
    number: int
    first_item: int  # 1-based numbers of the first and last input items in this batch
    last_item: int
    patients: list[PatientBundle]


def _parsed_items(
    items: Iterable[BulkItem],
) -> Iterator[tuple[int, list[PatientBundle], dict[str, int]]]:
    """(1-based item number, its patients, resource types not kept), parsing and checking."""
    from medsage.health._fhir_import import load_bundle_file, parse_bundle

    for i, item in enumerate(items, start=1):
        if isinstance(item, PatientBundle):
            check_patient_bundle(item, f"record {i}")
            yield i, [item], {}
            continue
        if isinstance(item, Path):
            parsed = parse_bundle(load_bundle_file(item), str(item))
        elif isinstance(item, Mapping):
            parsed = parse_bundle(dict(item), f"bundle {i}")
        else:
            raise InvalidInputError(
                f"item {i} is a {type(item).__name__}; expected a FHIR bundle (dict or Path) "
                "or a PatientBundle"
            )
        yield i, list(parsed.patients), parsed.skipped


def bulk_import(
    store: RecordStore,
    actor: str,
    items: Iterable[BulkItem],
    *,
    batch_patients: int = DEFAULT_BATCH_PATIENTS,
    progress: Progress | None = None,
) -> ImportResult:
    """Store many patients fast: one transaction and one audit event per batch.

    Args:
        store: the records store (PostgreSQL: COPY; SQLite: executemany).
        actor: who is importing (audit log).
        items: FHIR R4 bundles (dicts or file paths; a bundle may hold several patients) or
            `PatientBundle`s, read lazily (a generator keeps memory flat).
        batch_patients: patients per transaction (1 to 100,000).
        progress: called after each stored batch with (items read, items in all); when
            `items` has no length the second number equals the first.

    Returns:
        The stored patient ids and row counts (`skipped` counts FHIR resource types not kept).

    Raises:
        FhirBundleError / RecordCheckError for a bad bundle or record, InvalidInputError for
        patient ids already stored (named) or resource ids stored for another patient; the
        failing batch is not stored, the batches before it are.
    """
    actor = _check_actor(actor)
    if not isinstance(batch_patients, int) or not 1 <= batch_patients <= _MAX_BATCH_PATIENTS:
        raise InvalidInputError(
            f"batch_patients must be an integer from 1 to {_MAX_BATCH_PATIENTS}, "
            f"got {batch_patients!r}"
        )
    total = len(items) if isinstance(items, Sized) else None
    patient_ids: list[str] = []
    counts: dict[str, int] = {}
    skipped: Counter[str] = Counter()
    batch = _Batch(number=1, first_item=1, last_item=0, patients=[])
    items_read = 0

    def flush() -> None:
        if batch.patients:
            _store_batch(store, actor, batch, len(patient_ids))
            for bundle in batch.patients:
                patient_ids.append(bundle.patient.id)
                for key, value in bundle.counts().items():
                    counts[key] = counts.get(key, 0) + value
            if progress is not None:
                progress(items_read, total if total is not None else items_read)
        batch.number += 1
        batch.first_item = items_read + 1
        batch.patients = []

    parsed = _parsed_items(items)
    while True:
        try:
            item = next(parsed, None)
        except MedSageError as exc:
            store._audit_failure(actor, "import", "Bundle", None, exc)
            raise _with_stored_note(exc, len(patient_ids)) from None
        if item is None:
            break
        items_read, bundles, item_skipped = item
        skipped.update(item_skipped)
        batch.patients += bundles
        batch.last_item = items_read
        if len(batch.patients) >= batch_patients:
            flush()
    flush()
    return ImportResult(patient_ids=tuple(patient_ids), counts=counts, skipped=dict(skipped))


def _with_stored_note(exc: MedSageError, stored: int) -> MedSageError:
    """The same error, its message followed by how many patients earlier batches stored."""
    if stored:
        note = f" ({stored} patients of earlier batches stay stored)"
        exc.args = (str(exc) + note, *exc.args[1:])
    return exc


# ------------------------------------------------------------------------------- writing


def _store_batch(store: RecordStore, actor: str, batch: _Batch, stored_before: int) -> None:
    ids = [b.patient.id for b in batch.patients]
    label = f"batch {batch.number} (items {batch.first_item}-{batch.last_item})"
    try:
        with store._sessions.begin() as session:
            _refuse_existing(session, ids, label)
            if store.dialect == "postgresql":
                _copy_rows(session, batch.patients)
            else:
                _executemany_rows(session, batch.patients)
            detail: dict[str, Any] = {"count": len(ids), "batch": batch.number}
            for kind in _KINDS:
                detail[kind] = sum(b.counts()[kind] for b in batch.patients)
            detail["patient_ids"] = ids
            store._audit(session, actor, "import", "Bundle", None, detail=detail)
    except MedSageError as exc:
        store._audit_failure(actor, "import", "Bundle", None, exc)
        raise _with_stored_note(exc, stored_before) from None
    except Exception as exc:
        if not _is_integrity_error(exc):
            raise
        first_line = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        error = InvalidInputError(
            f"{label}: a row conflicts with one already stored or is out of range "
            f"({first_line}); nothing of this batch was stored"
        )
        store._audit_failure(actor, "import", "Bundle", None, error)
        raise _with_stored_note(error, stored_before) from None


def _is_integrity_error(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg ships with medsage
        return False
    return isinstance(exc, psycopg.IntegrityError | psycopg.DataError)


def _refuse_existing(session: Session, ids: list[str], label: str) -> None:
    repeated = sorted(pid for pid, n in Counter(ids).items() if n > 1)
    existing: list[str] = []
    for start in range(0, len(ids), _ID_CHECK_CHUNK):
        chunk = ids[start : start + _ID_CHECK_CHUNK]
        existing += session.scalars(select(orm.Patient.id).where(orm.Patient.id.in_(chunk))).all()
    if existing:
        names = ", ".join(repr(p) for p in sorted(existing)[:_ERROR_NAMES])
        more = f" and {len(existing) - _ERROR_NAMES} more" if len(existing) > _ERROR_NAMES else ""
        raise InvalidInputError(
            f"{label}: {len(existing)} patients are already in the records store: {names}{more}; "
            "nothing of this batch was stored (bulk import never overwrites: delete them first "
            "or leave them out of the input)"
        )
    if repeated:
        names = ", ".join(repr(p) for p in repeated[:_ERROR_NAMES])
        raise InvalidInputError(
            f"{label}: patient ids given more than once: {names}; nothing of this batch was "
            "stored (each patient must appear once in the input)"
        )


def _columns(model: type[orm.Base]) -> list[str]:
    return [c.name for c in model.__table__.columns if c.name != "pk"]


def _tables() -> list[tuple[type[orm.Base], str]]:
    pairs = [(model, kind) for kind, (model, _r) in _RECORD_TABLES.items()]
    return [(orm.Patient, "patients"), *pairs]


def _records_of(bundle: PatientBundle, kind: str) -> tuple[Any, ...]:
    return (bundle.patient,) if kind == "patients" else tuple(getattr(bundle, kind))


@dataclass(frozen=True)
class _RowPlan:
    """How a record becomes a row in `columns` order: the conversions of
    `_store._row_values` (times to naive UTC, `fhir_id` <- `id`, activities to dicts) without
    its per-row dict (a third of the time of a bulk import)."""

    columns: list[str]
    getter: Callable[[Any], tuple[Any, ...]]
    times: list[int]
    activities: list[int]


def _row_plan(columns: list[str]) -> _RowPlan:
    attrs = ["id" if column == "fhir_id" else column for column in columns]
    getter = attrgetter(*attrs)
    return _RowPlan(
        columns=columns,
        getter=(lambda r: (getter(r),)) if len(attrs) == 1 else getter,
        times=[i for i, c in enumerate(columns) if c in _TIME_FIELDS],
        activities=[i for i, c in enumerate(columns) if c == "activities"],
    )


def _row(record: Any, plan: _RowPlan) -> list[Any]:
    row = list(plan.getter(record))
    for i in plan.times:
        row[i] = _to_db_time(row[i])
    for i in plan.activities:
        row[i] = [a.to_dict() for a in row[i]]
    return row


def _executemany_rows(session: Session, bundles: list[PatientBundle]) -> None:
    connection = session.connection()
    for model, kind in _tables():
        columns = _columns(model)
        plan = _row_plan(columns)
        rows = [
            dict(zip(columns, _row(r, plan), strict=True))
            for b in bundles
            for r in _records_of(b, kind)
        ]
        if rows:
            connection.execute(model.__table__.insert(), rows)  # type: ignore[attr-defined]


def _copy_rows(session: Session, bundles: list[PatientBundle]) -> None:
    from psycopg import sql
    from psycopg.types.json import Json

    raw: Any = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        for model, kind in _tables():
            columns = _columns(model)
            plan = _row_plan(columns)
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(model.__tablename__),
                sql.SQL(", ").join(sql.Identifier(c) for c in columns),
            )
            with cursor.copy(statement) as copy:
                for bundle in bundles:
                    for record in _records_of(bundle, kind):
                        row = _row(record, plan)
                        for i in plan.activities:
                            row[i] = Json(row[i])
                        copy.write_row(row)
