"""`RecordStore`: patients' health records with an audit event for every read and write.

Every method takes `actor` (who is acting) first. A write and its audit event are one
transaction: both are stored or neither. A read writes its audit event in the transaction that
reads. A failed read or import still leaves an audit event with outcome "failure" (written
after the failed transaction was rolled back). Audit details hold counts and ids only, never
names or values.

Imports run one transaction per bundle file (or per Synthea CSV folder): a crash or a bad
resource leaves the database as it was before that bundle.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from medsage.errors import InvalidInputError, MedSageError, UnknownNameError
from medsage.health import _orm as orm
from medsage.health._db import make_engine, session_factory, upgrade
from medsage.health._records import (
    AUDIT_ACTIONS,
    AllergyRecord,
    AuditEventRecord,
    CarePlanActivity,
    CarePlanRecord,
    ConditionRecord,
    EncounterRecord,
    ImportResult,
    MedicationRecord,
    ObservationRecord,
    PatientBundle,
    PatientRecord,
)

# Test hook (tests/unit/health/test_import_interrupted.py): when set, an import announces each
# bundle on stderr and sleeps this many seconds inside the bundle's open transaction.
PAUSE_ENV = "MEDSAGE_TEST_IMPORT_PAUSE_S"

Progress = Callable[[int, int], None]
R = TypeVar("R")

_RECORD_TABLES: dict[str, tuple[type[orm.Base], type[Any]]] = {
    "observations": (orm.Observation, ObservationRecord),
    "conditions": (orm.Condition, ConditionRecord),
    "medications": (orm.Medication, MedicationRecord),
    "allergies": (orm.Allergy, AllergyRecord),
    "encounters": (orm.Encounter, EncounterRecord),
    "care_plans": (orm.CarePlan, CarePlanRecord),
}
_RESOURCE_TYPE = {
    "observations": "Observation",
    "conditions": "Condition",
    "medications": "Medication",
    "allergies": "AllergyIntolerance",
    "encounters": "Encounter",
    "care_plans": "CarePlan",
}
_TIME_FIELDS = frozenset(
    {
        "effective",
        "issued",
        "onset",
        "abatement",
        "recorded",
        "authored",
        "start",
        "end",
        "deceased",
        "time",
    }
)


def _to_db_time(value: datetime | None) -> datetime | None:
    """Aware (or naive, taken as UTC) -> naive UTC, the stored form."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _from_db_time(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None else None


def _row_values(record: Any) -> dict[str, Any]:
    """A record's fields as column values (times to naive UTC, `id` -> `fhir_id`)."""
    # a shallow copy: dataclasses.asdict deep-copies every value, which was most of the
    # time of an import
    values = {f.name: getattr(record, f.name) for f in fields(record)}
    for name in _TIME_FIELDS & values.keys():
        values[name] = _to_db_time(values[name])
    if "patient_id" in values:
        values["fhir_id"] = values.pop("id")
    if "activities" in values:
        values["activities"] = [a.to_dict() for a in values["activities"]]
    return values


def _record(record_type: type[R], row: Any) -> R:
    """Copy an ORM row into a frozen record."""
    names = record_type.__dataclass_fields__  # type: ignore[attr-defined]
    values: dict[str, Any] = {}
    for name in names:
        column = "fhir_id" if name == "id" and hasattr(row, "fhir_id") else name
        value = getattr(row, column)
        if name in _TIME_FIELDS:
            value = _from_db_time(value)
        elif name == "activities":
            value = tuple(CarePlanActivity(**a) for a in value or [])
        values[name] = value
    return record_type(**values)


def _check_actor(actor: str) -> str:
    if not isinstance(actor, str) or not actor.strip() or len(actor) > 200:
        raise InvalidInputError(
            f"actor must be a non-empty name of at most 200 characters, got {actor!r}; "
            "pass who is acting (a user or service name)"
        )
    return actor.strip()


class RecordStore:
    """Patients' health records in SQLite (default) or PostgreSQL, with an audit trail.

    Args:
        url: SQLAlchemy URL; default `$MEDSAGE_DATABASE_URL`, else
            `$MEDSAGE_HOME/records.sqlite3`. The schema is migrated to the newest version
            when the store opens.
    """

    def __init__(self, url: str | None = None) -> None:
        self.engine = make_engine(url)
        upgrade(self.engine)
        self._sessions = session_factory(self.engine)

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return str(self.engine.dialect.name)

    # ------------------------------------------------------------------ audit plumbing

    @staticmethod
    def _audit(
        session: Session,
        actor: str,
        action: str,
        resource_type: str,
        patient_id: str | None = None,
        outcome: str = "success",
        detail: dict[str, Any] | None = None,
    ) -> None:
        assert action in AUDIT_ACTIONS
        session.add(
            orm.AuditEvent(
                time=datetime.now(UTC).replace(tzinfo=None),
                actor=actor,
                action=action,
                patient_id=patient_id,
                resource_type=resource_type,
                outcome=outcome,
                detail=json.dumps(detail, sort_keys=True) if detail else None,
            )
        )

    def _audit_failure(
        self, actor: str, action: str, resource_type: str, patient_id: str | None, error: Exception
    ) -> None:
        with self._sessions.begin() as session:
            self._audit(
                session,
                actor,
                action,
                resource_type,
                patient_id,
                "failure",
                {"error": type(error).__name__},
            )

    @contextmanager
    def _audited(
        self, actor: str, action: str, resource_type: str, patient_id: str | None = None
    ) -> Iterator[Session]:
        """A transaction that must also hold its audit event; a failure is audited apart."""
        try:
            with self._sessions.begin() as session:
                yield session
        except (MedSageError, IntegrityError) as exc:
            self._audit_failure(actor, action, resource_type, patient_id, exc)
            raise

    def record_denied(
        self, actor: str, action: str, resource_type: str, patient_id: str | None
    ) -> None:
        """Audit an access that a face refused (outcome failure, error AccessDenied)."""
        actor = _check_actor(actor)
        with self._sessions.begin() as session:
            self._audit(
                session, actor, action, resource_type, patient_id, "failure",
                {"error": "AccessDenied"},
            )  # fmt: skip

    @staticmethod
    def _require_patient(session: Session, patient_id: str) -> orm.Patient:
        row = session.get(orm.Patient, patient_id)
        if row is None:
            raise UnknownNameError(
                f"no patient {patient_id!r} in the records store; list the ids with "
                "`medsage patients list`"
            )
        return row

    # ------------------------------------------------------------------ patients

    def add_patient(self, actor: str, patient: PatientRecord) -> PatientRecord:
        """Store a new patient (error if the id exists)."""
        actor = _check_actor(actor)
        with self._audited(actor, "create", "Patient", patient.id) as session:
            if session.get(orm.Patient, patient.id) is not None:
                raise InvalidInputError(f"patient {patient.id!r} already exists; pick a new id")
            session.add(orm.Patient(**_row_values(patient)))
            self._audit(session, actor, "create", "Patient", patient.id)
        return patient

    def get_patient(self, actor: str, patient_id: str) -> PatientRecord:
        """One patient (UnknownNameError when absent)."""
        actor = _check_actor(actor)
        with self._audited(actor, "read", "Patient", patient_id) as session:
            row = self._require_patient(session, patient_id)
            self._audit(session, actor, "read", "Patient", patient_id)
            return _record(PatientRecord, row)

    def list_patients(self, actor: str) -> list[PatientRecord]:
        """All patients, by id (one audit event for the listing)."""
        actor = _check_actor(actor)
        with self._audited(actor, "read", "Patient") as session:
            rows = session.scalars(select(orm.Patient).order_by(orm.Patient.id)).all()
            self._audit(session, actor, "read", "Patient", None, detail={"count": len(rows)})
            return [_record(PatientRecord, row) for row in rows]

    def delete_patient(self, actor: str, patient_id: str) -> None:
        """Delete a patient and all their records (the audit trail stays)."""
        actor = _check_actor(actor)
        with self._audited(actor, "delete", "Patient", patient_id) as session:
            self._require_patient(session, patient_id)
            session.execute(delete(orm.Patient).where(orm.Patient.id == patient_id))
            self._audit(session, actor, "delete", "Patient", patient_id)

    # ------------------------------------------------------------------ clinical rows

    def add_observation(self, actor: str, observation: ObservationRecord) -> ObservationRecord:
        """Store one observation (LOINC code and UCUM unit are checked)."""
        from medsage.health._codes import loinc_problem, ucum_problem

        actor = _check_actor(actor)
        problem = loinc_problem(observation.code) or (
            ucum_problem(observation.unit) if observation.unit is not None else None
        )
        if problem:
            raise InvalidInputError(f"observation {observation.id!r}: {problem}")
        pid = observation.patient_id
        with self._audited(actor, "create", "Observation", pid) as session:
            self._require_patient(session, pid)
            session.add(orm.Observation(**_row_values(observation)))
            self._audit(session, actor, "create", "Observation", pid, detail={"id": observation.id})
        return observation

    def add_condition(self, actor: str, condition: ConditionRecord) -> ConditionRecord:
        """Store one condition (its ICD-10 code is checked)."""
        from medsage.health._codes import icd10_problem

        actor = _check_actor(actor)
        if condition.icd10 is not None:
            problem = icd10_problem(condition.icd10)
            if problem:
                raise InvalidInputError(f"condition {condition.id!r}: {problem}")
        pid = condition.patient_id
        with self._audited(actor, "create", "Condition", pid) as session:
            self._require_patient(session, pid)
            session.add(orm.Condition(**_row_values(condition)))
            self._audit(session, actor, "create", "Condition", pid, detail={"id": condition.id})
        return condition

    def _read_rows(
        self, actor: str, kind: str, patient_id: str, where: Sequence[Any] = ()
    ) -> list[Any]:
        model, record_type = _RECORD_TABLES[kind]
        resource_type = _RESOURCE_TYPE[kind]
        actor = _check_actor(actor)
        with self._audited(actor, "read", resource_type, patient_id) as session:
            self._require_patient(session, patient_id)
            rows = session.scalars(
                select(model)
                .where(model.patient_id == patient_id, *where)  # type: ignore[attr-defined]
                .order_by(*_order(model))
            ).all()
            self._audit(
                session, actor, "read", resource_type, patient_id, detail={"count": len(rows)}
            )
            return [_record(record_type, row) for row in rows]

    def observations(
        self, actor: str, patient_id: str, code: str | None = None
    ) -> list[ObservationRecord]:
        """A patient's observations in time order, optionally of one LOINC `code`."""
        where = [orm.Observation.code == code] if code is not None else []
        return self._read_rows(actor, "observations", patient_id, where)

    def conditions(self, actor: str, patient_id: str) -> list[ConditionRecord]:
        """A patient's conditions in onset order."""
        return self._read_rows(actor, "conditions", patient_id)

    def medications(self, actor: str, patient_id: str) -> list[MedicationRecord]:
        """A patient's medication requests and statements."""
        return self._read_rows(actor, "medications", patient_id)

    def allergies(self, actor: str, patient_id: str) -> list[AllergyRecord]:
        """A patient's allergies and intolerances."""
        return self._read_rows(actor, "allergies", patient_id)

    def encounters(self, actor: str, patient_id: str) -> list[EncounterRecord]:
        """A patient's encounters in time order."""
        return self._read_rows(actor, "encounters", patient_id)

    def care_plans(self, actor: str, patient_id: str) -> list[CarePlanRecord]:
        """A patient's care plans."""
        return self._read_rows(actor, "care_plans", patient_id)

    def patient_bundle(self, actor: str, patient_id: str, action: str = "read") -> PatientBundle:
        """Everything stored for one patient, read in one transaction (one audit event)."""
        actor = _check_actor(actor)
        if action not in ("read", "export"):
            raise InvalidInputError(f"action must be read or export, got {action!r}")
        with self._audited(actor, action, "Patient", patient_id) as session:
            bundle = self._load_bundle(session, patient_id)
            self._audit(session, actor, action, "Patient", patient_id, detail=bundle.counts())
            return bundle

    def _load_bundle(self, session: Session, patient_id: str) -> PatientBundle:
        patient = _record(PatientRecord, self._require_patient(session, patient_id))
        parts: dict[str, tuple[Any, ...]] = {}
        for kind, (model, record_type) in _RECORD_TABLES.items():
            rows = session.scalars(
                select(model)
                .where(model.patient_id == patient_id)  # type: ignore[attr-defined]
                .order_by(*_order(model))
            ).all()
            parts[kind] = tuple(_record(record_type, row) for row in rows)
        return PatientBundle(patient=patient, **parts)

    # ------------------------------------------------------------------ import / export

    def _write_bundles(
        self, session: Session, actor: str, bundles: Iterable[PatientBundle], replace: bool
    ) -> dict[str, int]:
        counts: dict[str, int] = {}
        for bundle in bundles:
            pid = bundle.patient.id
            action = "import"
            if session.get(orm.Patient, pid) is not None:
                if not replace:
                    raise InvalidInputError(
                        f"patient {pid!r} is already in the records store; delete it first "
                        "or import with replace=True (--replace)"
                    )
                session.execute(delete(orm.Patient).where(orm.Patient.id == pid))
                action = "update"
            session.execute(insert(orm.Patient), [_row_values(bundle.patient)])
            for kind, (model, _record_type) in _RECORD_TABLES.items():
                rows = [_row_values(r) for r in getattr(bundle, kind)]
                if rows:
                    session.execute(insert(model), rows)
            bundle_counts = bundle.counts()
            self._audit(session, actor, action, "Bundle", pid, detail=bundle_counts)
            for key, value in bundle_counts.items():
                counts[key] = counts.get(key, 0) + value
        session.flush()
        return counts

    def _import_one(
        self, actor: str, bundles: Sequence[PatientBundle], replace: bool, label: str, index: int
    ) -> dict[str, int]:
        try:
            with self._sessions.begin() as session:
                counts = self._write_bundles(session, actor, bundles, replace)
                pause = os.environ.get(PAUSE_ENV)
                if pause:
                    sys.stderr.write(f"import paused in bundle {index}\n")
                    sys.stderr.flush()
                    time.sleep(float(pause))
        except IntegrityError as exc:
            error = InvalidInputError(
                f"{label}: a resource id in this bundle is already stored for another patient "
                f"({str(exc.orig).strip().splitlines()[0][:200]}); nothing from this bundle "
                "was stored"
            )
            self._audit_failure(actor, "import", "Bundle", None, error)
            raise error from None
        except MedSageError as exc:
            self._audit_failure(actor, "import", "Bundle", None, exc)
            raise
        return counts

    def import_fhir(
        self,
        actor: str,
        sources: Sequence[Path | dict[str, Any]],
        replace: bool = False,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Import FHIR R4 bundles (files or parsed JSON), one transaction per bundle.

        A bad bundle raises FhirBundleError (resource, id and field) and stores nothing; the
        bundles before it stay imported. `replace` overwrites patients that already exist.
        """
        from medsage.health._fhir_import import load_bundle_file, parse_bundle

        actor = _check_actor(actor)
        patient_ids: list[str] = []
        counts: dict[str, int] = {}
        skipped: dict[str, int] = {}
        for i, source in enumerate(sources):
            if isinstance(source, dict):
                label, data = f"bundle {i + 1}", source
            else:
                label = str(source)
                try:
                    data = load_bundle_file(Path(source))
                except MedSageError as exc:
                    self._audit_failure(actor, "import", "Bundle", None, exc)
                    raise
            try:
                parsed = parse_bundle(data, label)
            except MedSageError as exc:
                self._audit_failure(actor, "import", "Bundle", None, exc)
                raise
            for key, value in self._import_one(actor, parsed.patients, replace, label, i).items():
                counts[key] = counts.get(key, 0) + value
            for key, value in parsed.skipped.items():
                skipped[key] = skipped.get(key, 0) + value
            patient_ids += [b.patient.id for b in parsed.patients]
            if progress is not None:
                progress(i + 1, len(sources))
        return ImportResult(patient_ids=tuple(patient_ids), counts=counts, skipped=skipped)

    def import_synthea_csv(
        self, actor: str, folder: Path, replace: bool = False, progress: Progress | None = None
    ) -> ImportResult:
        """Import a Synthea CSV folder in one transaction (all patients or none)."""
        from medsage.health._synthea_csv import read_synthea_folder

        actor = _check_actor(actor)
        try:
            parsed = read_synthea_folder(Path(folder))
        except MedSageError as exc:
            self._audit_failure(actor, "import", "Bundle", None, exc)
            raise
        counts = self._import_one(actor, parsed.patients, replace, str(folder), 0)
        if progress is not None:
            progress(1, 1)
        return ImportResult(
            patient_ids=tuple(b.patient.id for b in parsed.patients),
            counts=counts,
            skipped=dict(parsed.skipped),
        )

    def export_fhir(self, actor: str, patient_id: str) -> dict[str, Any]:
        """One patient as a FHIR R4 collection bundle that re-imports identically."""
        from medsage.health._fhir_export import bundle_for_patient

        return bundle_for_patient(self.patient_bundle(actor, patient_id, action="export"))

    # ------------------------------------------------------------------ audit log

    def audit_events(
        self,
        actor: str,
        patient_id: str | None = None,
        action: str | None = None,
        limit: int | None = None,
    ) -> list[AuditEventRecord]:
        """Audit events, oldest first, filtered by patient and action. Reading the audit log
        is itself audited (this call's own event is written after the events are read)."""
        actor = _check_actor(actor)
        if action is not None and action not in AUDIT_ACTIONS:
            raise InvalidInputError(
                f"unknown audit action {action!r}; expected one of {', '.join(AUDIT_ACTIONS)}"
            )
        if limit is not None and limit < 1:
            raise InvalidInputError(f"limit must be at least 1, got {limit}")
        with self._audited(actor, "read", "AuditEvent", patient_id) as session:
            query = select(orm.AuditEvent).order_by(orm.AuditEvent.id)
            if patient_id is not None:
                query = query.where(orm.AuditEvent.patient_id == patient_id)
            if action is not None:
                query = query.where(orm.AuditEvent.action == action)
            if limit is not None:
                query = query.limit(limit)
            rows = session.scalars(query).all()
            events = [_record(AuditEventRecord, row) for row in rows]
            self._audit(
                session, actor, "read", "AuditEvent", patient_id, detail={"count": len(events)}
            )
            return events

    def count(self, kind: str) -> int:
        """Rows in one table (`patients`, `observations`, ..., `audit_events`); not audited:
        a count reveals no one's data (used by tests and benchmarks)."""
        models: dict[str, type[orm.Base]] = {
            "patients": orm.Patient,
            "audit_events": orm.AuditEvent,
            **{k: m for k, (m, _r) in _RECORD_TABLES.items()},
        }
        if kind not in models:
            raise InvalidInputError(f"unknown table {kind!r}; expected one of {sorted(models)}")
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(models[kind])) or 0)


def _order(model: type[orm.Base]) -> list[Any]:
    time_column = {
        orm.Observation: "effective",
        orm.Condition: "onset",
        orm.Medication: "authored",
        orm.Allergy: "onset",
        orm.Encounter: "start",
        orm.CarePlan: "start",
    }[model]
    # NULLS FIRST on both backends (PostgreSQL's default is last), so the order is the same.
    columns = [getattr(model, time_column).asc().nulls_first(), model.fhir_id]  # type: ignore[attr-defined]
    if model is orm.Observation:
        columns.append(orm.Observation.component)
    return columns
