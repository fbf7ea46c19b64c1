"""Initial schema: patients, clinical tables and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("time", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=True),
        sa.Column("resource_type", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "action IN ('read', 'create', 'update', 'delete', 'import', 'export')",
            name=op.f("ck_audit_events_action"),
        ),
        sa.CheckConstraint(
            "outcome IN ('success', 'failure')", name=op.f("ck_audit_events_outcome")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(
        op.f("ix_audit_events_patient_id"), "audit_events", ["patient_id"], unique=False
    )
    op.create_index(op.f("ix_audit_events_time"), "audit_events", ["time"], unique=False)

    op.create_table(
        "patients",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("family_name", sa.String(length=200), nullable=True),
        sa.Column("given_name", sa.String(length=200), nullable=True),
        sa.Column("gender", sa.String(length=16), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("deceased", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
    )
    op.create_table(
        "allergies",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fhir_id", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("system", sa.String(length=200), nullable=True),
        sa.Column("display", sa.Text(), nullable=True),
        sa.Column("clinical_status", sa.String(length=32), nullable=True),
        sa.Column("verification_status", sa.String(length=32), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("criticality", sa.String(length=32), nullable=True),
        sa.Column("onset", sa.DateTime(), nullable=True),
        sa.Column("end", sa.DateTime(), nullable=True),
        sa.Column("recorded", sa.DateTime(), nullable=True),
        sa.Column("encounter_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_allergies_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_allergies")),
        sa.UniqueConstraint("fhir_id", name=op.f("uq_allergies_fhir_id")),
    )
    op.create_index(op.f("ix_allergies_patient_id"), "allergies", ["patient_id"], unique=False)

    op.create_table(
        "care_plans",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fhir_id", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("intent", sa.String(length=32), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("system", sa.String(length=200), nullable=True),
        sa.Column("display", sa.Text(), nullable=True),
        sa.Column("start", sa.DateTime(), nullable=True),
        sa.Column("end", sa.DateTime(), nullable=True),
        sa.Column("encounter_id", sa.String(length=64), nullable=True),
        sa.Column("activities", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_care_plans_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_care_plans")),
        sa.UniqueConstraint("fhir_id", name=op.f("uq_care_plans_fhir_id")),
    )
    op.create_index(op.f("ix_care_plans_patient_id"), "care_plans", ["patient_id"], unique=False)

    op.create_table(
        "conditions",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fhir_id", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("icd10", sa.String(length=16), nullable=True),
        sa.Column("display", sa.Text(), nullable=True),
        sa.Column("source_system", sa.String(length=200), nullable=True),
        sa.Column("source_code", sa.String(length=64), nullable=True),
        sa.Column("clinical_status", sa.String(length=32), nullable=True),
        sa.Column("verification_status", sa.String(length=32), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("onset", sa.DateTime(), nullable=True),
        sa.Column("abatement", sa.DateTime(), nullable=True),
        sa.Column("recorded", sa.DateTime(), nullable=True),
        sa.Column("encounter_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_conditions_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_conditions")),
        sa.UniqueConstraint("fhir_id", name=op.f("uq_conditions_fhir_id")),
    )
    op.create_index(op.f("ix_conditions_icd10"), "conditions", ["icd10"], unique=False)
    op.create_index(op.f("ix_conditions_patient_id"), "conditions", ["patient_id"], unique=False)

    op.create_table(
        "encounters",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fhir_id", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("class_code", sa.String(length=32), nullable=True),
        sa.Column("type_code", sa.String(length=64), nullable=True),
        sa.Column("type_system", sa.String(length=200), nullable=True),
        sa.Column("type_display", sa.Text(), nullable=True),
        sa.Column("start", sa.DateTime(), nullable=True),
        sa.Column("end", sa.DateTime(), nullable=True),
        sa.Column("reason_code", sa.String(length=64), nullable=True),
        sa.Column("reason_display", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_encounters_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_encounters")),
        sa.UniqueConstraint("fhir_id", name=op.f("uq_encounters_fhir_id")),
    )
    op.create_index(op.f("ix_encounters_patient_id"), "encounters", ["patient_id"], unique=False)

    op.create_table(
        "medications",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fhir_id", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("system", sa.String(length=200), nullable=True),
        sa.Column("display", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("intent", sa.String(length=32), nullable=True),
        sa.Column("authored", sa.DateTime(), nullable=True),
        sa.Column("start", sa.DateTime(), nullable=True),
        sa.Column("end", sa.DateTime(), nullable=True),
        sa.Column("encounter_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "kind IN ('MedicationRequest', 'MedicationStatement')", name=op.f("ck_medications_kind")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_medications_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_medications")),
        sa.UniqueConstraint("fhir_id", name=op.f("uq_medications_fhir_id")),
    )
    op.create_index(op.f("ix_medications_patient_id"), "medications", ["patient_id"], unique=False)

    op.create_table(
        "observations",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fhir_id", sa.String(length=64), nullable=False),
        sa.Column("component", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("display", sa.Text(), nullable=True),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("value_text", sa.Text(), nullable=True),
        sa.Column("value_code", sa.String(length=64), nullable=True),
        sa.Column("value_system", sa.String(length=200), nullable=True),
        sa.Column("effective", sa.DateTime(), nullable=True),
        sa.Column("issued", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("encounter_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_observations_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_observations")),
        sa.UniqueConstraint("fhir_id", "component", name="uq_observations_fhir_id_component"),
    )
    op.create_index(
        "ix_observations_patient_code_time",
        "observations",
        ["patient_id", "code", "effective"],
        unique=False,
    )
    op.create_index(
        op.f("ix_observations_patient_id"), "observations", ["patient_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_observations_patient_id"), table_name="observations")
    op.drop_index("ix_observations_patient_code_time", table_name="observations")

    op.drop_table("observations")
    op.drop_index(op.f("ix_medications_patient_id"), table_name="medications")

    op.drop_table("medications")
    op.drop_index(op.f("ix_encounters_patient_id"), table_name="encounters")

    op.drop_table("encounters")
    op.drop_index(op.f("ix_conditions_patient_id"), table_name="conditions")
    op.drop_index(op.f("ix_conditions_icd10"), table_name="conditions")

    op.drop_table("conditions")
    op.drop_index(op.f("ix_care_plans_patient_id"), table_name="care_plans")

    op.drop_table("care_plans")
    op.drop_index(op.f("ix_allergies_patient_id"), table_name="allergies")

    op.drop_table("allergies")
    op.drop_table("patients")
    op.drop_index(op.f("ix_audit_events_time"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_patient_id"), table_name="audit_events")

    op.drop_table("audit_events")
