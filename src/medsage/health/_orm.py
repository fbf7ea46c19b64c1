"""SQLAlchemy 2 models of the health records store.

Times are stored as naive UTC (`TIMESTAMP WITHOUT TIME ZONE`), the one form SQLite and
PostgreSQL both keep unchanged; `_store` converts to and from aware UTC. Clinical rows keep the
FHIR resource id (`fhir_id`) so an exported bundle re-imports identically; they hang off
`patients.id` with ON DELETE CASCADE. Audit rows deliberately have no foreign key: the audit
trail of a deleted patient must survive the deletion.

Any change here needs a new migration in `migrations/versions/` (a test compares the migrated
schema with this metadata).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names, so Alembic migrations can name what they create and drop.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

FHIR_ID = 64  # FHIR R4 ids are at most 64 characters


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _patient_fk() -> Mapped[str]:
    return mapped_column(String(FHIR_ID), ForeignKey("patients.id", ondelete="CASCADE"), index=True)


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[str] = mapped_column(String(FHIR_ID), primary_key=True)
    family_name: Mapped[str | None] = mapped_column(String(200))
    given_name: Mapped[str | None] = mapped_column(String(200))
    gender: Mapped[str | None] = mapped_column(String(16))
    birth_date: Mapped[date | None] = mapped_column(Date)
    deceased: Mapped[datetime | None] = mapped_column(DateTime)


class Observation(Base):
    __tablename__ = "observations"
    __table_args__ = (
        UniqueConstraint("fhir_id", "component", name="uq_observations_fhir_id_component"),
        Index("ix_observations_patient_code_time", "patient_id", "code", "effective"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fhir_id: Mapped[str] = mapped_column(String(FHIR_ID))
    component: Mapped[int] = mapped_column(Integer, default=0)
    patient_id: Mapped[str] = _patient_fk()
    code: Mapped[str] = mapped_column(String(16))  # LOINC
    display: Mapped[str | None] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(Double)
    unit: Mapped[str | None] = mapped_column(String(64))  # UCUM
    value_text: Mapped[str | None] = mapped_column(Text)
    value_code: Mapped[str | None] = mapped_column(String(64))
    value_system: Mapped[str | None] = mapped_column(String(200))
    effective: Mapped[datetime | None] = mapped_column(DateTime)
    issued: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(64))
    encounter_id: Mapped[str | None] = mapped_column(String(FHIR_ID))


class Condition(Base):
    __tablename__ = "conditions"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fhir_id: Mapped[str] = mapped_column(String(FHIR_ID), unique=True)
    patient_id: Mapped[str] = _patient_fk()
    icd10: Mapped[str | None] = mapped_column(String(16), index=True)
    display: Mapped[str | None] = mapped_column(Text)
    source_system: Mapped[str | None] = mapped_column(String(200))
    source_code: Mapped[str | None] = mapped_column(String(64))
    clinical_status: Mapped[str | None] = mapped_column(String(32))
    verification_status: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(64))
    onset: Mapped[datetime | None] = mapped_column(DateTime)
    abatement: Mapped[datetime | None] = mapped_column(DateTime)
    recorded: Mapped[datetime | None] = mapped_column(DateTime)
    encounter_id: Mapped[str | None] = mapped_column(String(FHIR_ID))


class Medication(Base):
    __tablename__ = "medications"
    __table_args__ = (
        CheckConstraint("kind IN ('MedicationRequest', 'MedicationStatement')", name="kind"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fhir_id: Mapped[str] = mapped_column(String(FHIR_ID), unique=True)
    patient_id: Mapped[str] = _patient_fk()
    kind: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(64))  # RxNorm
    system: Mapped[str | None] = mapped_column(String(200))
    display: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(32))
    intent: Mapped[str | None] = mapped_column(String(32))
    authored: Mapped[datetime | None] = mapped_column(DateTime)
    start: Mapped[datetime | None] = mapped_column(DateTime)
    end: Mapped[datetime | None] = mapped_column(DateTime)
    encounter_id: Mapped[str | None] = mapped_column(String(FHIR_ID))


class Allergy(Base):
    __tablename__ = "allergies"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fhir_id: Mapped[str] = mapped_column(String(FHIR_ID), unique=True)
    patient_id: Mapped[str] = _patient_fk()
    code: Mapped[str] = mapped_column(String(64))
    system: Mapped[str | None] = mapped_column(String(200))
    display: Mapped[str | None] = mapped_column(Text)
    clinical_status: Mapped[str | None] = mapped_column(String(32))
    verification_status: Mapped[str | None] = mapped_column(String(32))
    type: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(32))
    criticality: Mapped[str | None] = mapped_column(String(32))
    onset: Mapped[datetime | None] = mapped_column(DateTime)
    end: Mapped[datetime | None] = mapped_column(DateTime)
    recorded: Mapped[datetime | None] = mapped_column(DateTime)
    encounter_id: Mapped[str | None] = mapped_column(String(FHIR_ID))


class Encounter(Base):
    __tablename__ = "encounters"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fhir_id: Mapped[str] = mapped_column(String(FHIR_ID), unique=True)
    patient_id: Mapped[str] = _patient_fk()
    status: Mapped[str | None] = mapped_column(String(32))
    class_code: Mapped[str | None] = mapped_column(String(32))
    type_code: Mapped[str | None] = mapped_column(String(64))
    type_system: Mapped[str | None] = mapped_column(String(200))
    type_display: Mapped[str | None] = mapped_column(Text)
    start: Mapped[datetime | None] = mapped_column(DateTime)
    end: Mapped[datetime | None] = mapped_column(DateTime)
    reason_code: Mapped[str | None] = mapped_column(String(64))
    reason_display: Mapped[str | None] = mapped_column(Text)


class CarePlan(Base):
    __tablename__ = "care_plans"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fhir_id: Mapped[str] = mapped_column(String(FHIR_ID), unique=True)
    patient_id: Mapped[str] = _patient_fk()
    status: Mapped[str | None] = mapped_column(String(32))
    intent: Mapped[str | None] = mapped_column(String(32))
    code: Mapped[str | None] = mapped_column(String(64))
    system: Mapped[str | None] = mapped_column(String(200))
    display: Mapped[str | None] = mapped_column(Text)
    start: Mapped[datetime | None] = mapped_column(DateTime)
    end: Mapped[datetime | None] = mapped_column(DateTime)
    encounter_id: Mapped[str | None] = mapped_column(String(FHIR_ID))
    # [{"code", "display", "system", "status"}, ...] in plan order
    activities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        CheckConstraint(
            "action IN ('read', 'create', 'update', 'delete', 'import', 'export')", name="action"
        ),
        CheckConstraint("outcome IN ('success', 'failure')", name="outcome"),
        # a patient's events oldest first (`audit_events(patient_id=...)` orders by id): filter
        # and order in one index, so SQLite needs no sort and a LIMIT can stop early on a long
        # log (migration 0003)
        Index("ix_audit_events_patient_id_id", "patient_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    patient_id: Mapped[str | None] = mapped_column(String(FHIR_ID), index=True)
    resource_type: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)


class User(Base):
    """A person who signs in (web service) or is named in API keys; see `_users`.

    `patient_id` has no foreign key: a patient's account may be made before their record is
    imported, and deleting a record must not delete the account.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'clinician', 'researcher', 'patient')", name="role"),
        CheckConstraint(
            "(role = 'patient' AND patient_id IS NOT NULL) "
            "OR (role <> 'patient' AND patient_id IS NULL)",
            name="patient_id_role",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id PHC string
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    patient_id: Mapped[str | None] = mapped_column(String(FHIR_ID))
    display_name: Mapped[str | None] = mapped_column(String(200))
    created: Mapped[datetime] = mapped_column(DateTime)


class ApiKey(Base):
    """An API key: only its public `prefix` and the SHA-256 of the whole secret are stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(8), unique=True, index=True)
    key_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex
    created: Mapped[datetime] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Assignment(Base):
    """A clinician's assignment to a patient (no foreign key to `patients`, as for users)."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("user_id", "patient_id", name="uq_assignments_user_id_patient_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"))
    patient_id: Mapped[str] = mapped_column(String(FHIR_ID), index=True)


CLINICAL_MODELS: tuple[type[Base], ...] = (
    Observation,
    Condition,
    Medication,
    Allergy,
    Encounter,
    CarePlan,
)
