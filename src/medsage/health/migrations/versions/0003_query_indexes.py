"""Indexes for the patient queries at scale: a patient's audit events in id (time) order.

Every other patient query already has its index from 0001: patients by primary key, each
clinical table by `patient_id`, observations by (patient_id, code, effective). The audit log is
read per patient oldest first (`RecordStore.audit_events(patient_id=...)`, `ORDER BY id`);
(patient_id, id) serves the filter and the order in one index (SQLite then needs no sort; a
LIMIT can stop early on a patient with a long log). Measured at 100,000 patients in
benchmarks/results/records_scale.json.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_events_patient_id_id", "audit_events", ["patient_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_audit_events_patient_id_id", table_name="audit_events")
