"""Checks in front of every patient route: the policy lives in `medsage.health._access`;
this module maps its answer to 403/404 and audits refusals through the record store."""

from __future__ import annotations

from medsage.health._access import Access, can_write_patient, patient_access, pseudonym
from medsage.service._auth import Caller
from medsage.service._problems import ProblemError
from medsage.service._state import ServiceState


def resolve_patient_id(state: ServiceState, caller: Caller, given: str) -> str:
    """The real record id behind `given` (a researcher names patients by pseudonym)."""
    if caller.user.role != "researcher":
        return given
    for patient in state.records.list_patients(caller.actor):
        if pseudonym(patient.id, state.pseudonym_key) == given:
            return patient.id
    raise ProblemError(404, f"no patient {given!r} (researchers use the pseudonymous ids)")


def check_read(
    state: ServiceState, caller: Caller, patient_id: str, action: str = "read"
) -> Access:
    """The caller's access to the patient; 403 (audited) when none."""
    access = patient_access(caller.user, patient_id, state.users)
    if access is Access.NONE:
        state.records.record_denied(caller.actor, action, "Patient", patient_id)
        raise ProblemError(403, "you may not access this patient's record", kind="forbidden")
    return access


def check_full(state: ServiceState, caller: Caller, patient_id: str, action: str = "read") -> None:
    """Only identified access will do (FHIR export, personal consultation)."""
    if check_read(state, caller, patient_id, action) is not Access.FULL:
        state.records.record_denied(caller.actor, action, "Patient", patient_id)
        raise ProblemError(
            403, "this needs identified data; researchers see de-identified data only",
            kind="forbidden",
        )  # fmt: skip


def check_write(state: ServiceState, caller: Caller, patient_id: str, action: str) -> None:
    if not can_write_patient(caller.user, patient_id, state.users):
        state.records.record_denied(caller.actor, action, "Patient", patient_id)
        raise ProblemError(403, "you may not change this patient's record", kind="forbidden")
