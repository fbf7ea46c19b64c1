"""The consultation reads a real record (Synthea bundles in a SQLite store), audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsage.consult import Consultant
from medsage.consult._records import patient_context
from medsage.health import RecordStore


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> RecordStore:
    folder = tmp_path_factory.mktemp("records")
    records = RecordStore(f"sqlite:///{folder / 'records.sqlite3'}")
    records.import_fhir(
        "test", sorted((shared_data / "synthea_mcode_sample" / "fhir").glob("*.json"))
    )
    return records


def _patient(store: RecordStore, prefix: str) -> str:
    return next(p.id for p in store.list_patients("test") if p.id.startswith(prefix))


@pytest.mark.shared_data
def test_when_record_has_low_egfr_then_nsaid_question_gets_kidney_caution_with_its_source(
    store: RecordStore, consultant: Consultant
) -> None:
    pid = _patient(store, "e326e276")
    context = patient_context(pid, actor="dr-test", store=store)
    assert [(r.id, r.display) for r in context.risks][-1] == (
        "egfr_ckd_epi_2021", "egfr_ckd_epi_2021: 18.5 mL/min/1.73 m² (G4)"
    )  # fmt: skip
    answer = consultant.ask("Can I take ibuprofen for a headache?", patient=context)
    assert [n["kind"] for n in answer.personal_notes] == ["caution"]
    note = answer.personal_notes[0]
    assert note["text"].startswith("Your record shows kidney disease or reduced kidney function")
    assert note["record_items"][-1]["id"] == "egfr_ckd_epi_2021"
    assert note["source"].startswith("KDIGO 2012")


@pytest.mark.shared_data
def test_when_context_is_read_then_every_read_is_audited(store: RecordStore) -> None:
    pid = _patient(store, "54359f98")
    before = len(store.audit_events("auditor", patient_id=pid))
    context = patient_context(pid, actor="dr-test", store=store)
    events = store.audit_events("auditor", patient_id=pid)[before:]
    assert {e.actor for e in events if e.actor == "dr-test"} == {"dr-test"}
    assert [e.resource_type for e in events if e.actor == "dr-test"] == [
        "Patient", "Condition", "Medication", "AllergyIntolerance", "Observation"
    ]  # fmt: skip
    assert [m.display for m in context.medications][:2] == [
        "Carbamazepine[Tegretol]", "Aspirin 81 MG Oral Tablet"
    ]  # fmt: skip
