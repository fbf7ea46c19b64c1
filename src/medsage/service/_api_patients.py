"""Patients: records, FHIR import/export, observations, risk scores, alerts, trends and plans.

Every route checks the caller's access to the patient first (`_access`): an admin sees all,
a clinician only patients assigned to them, a patient only their own record, a researcher
only de-identified data under pseudonymous ids. Reads and writes go through `RecordStore`,
which audits each one; refusals are audited too.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query
from pydantic import ValidationError

from medsage.health._access import (
    Access,
    can_create_patients,
    deidentified_observation,
    deidentified_patient,
    deidentified_result,
    pseudonym,
)
from medsage.service._access import check_full, check_read, check_write, resolve_patient_id
from medsage.service._auth import Caller
from medsage.service._deps import StateDep, current_caller
from medsage.service._problems import ProblemError
from medsage.service._schemas import JSON, ObservationCreate, PatientCreate
from medsage.service._state import ServiceState

router = APIRouter(prefix="/patients", tags=["patients"])
AnyUser = Annotated[Caller, Depends(current_caller)]
Standard = Annotated[Literal["international", "china"], Query()]
MAX_BUNDLE_ENTRIES = 50_000


def _readable(state: ServiceState, caller: Caller, given: str) -> tuple[str, Access]:
    patient_id = resolve_patient_id(state, caller, given)
    return patient_id, check_read(state, caller, patient_id)


def _for_caller(state: ServiceState, access: Access, real_id: str, data: Any) -> Any:
    if access is Access.FULL:
        return data
    return deidentified_result(data, real_id, pseudonym(real_id, state.pseudonym_key))


@router.get("", summary="The patients you may see")
async def list_patients(state: StateDep, caller: AnyUser) -> list[JSON]:
    from medsage.health._patient_view import patient_dict

    def run() -> list[JSON]:
        user = caller.user
        if user.role == "patient":
            if user.patient_id is None:
                return []
            try:
                return [patient_dict(state.records.get_patient(caller.actor, user.patient_id))]
            except LookupError:
                return []
        patients = state.records.list_patients(caller.actor)
        if user.role == "researcher":
            return [deidentified_patient(p, state.pseudonym_key) for p in patients]
        if user.role == "clinician":
            assigned = state.users.assigned_patients(user.username)
            patients = [p for p in patients if p.id in assigned]
        return [patient_dict(p) for p in patients]

    return await asyncio.to_thread(run)


@router.post("", status_code=201, summary="Create a patient (admin, clinician)")
async def create_patient(body: PatientCreate, state: StateDep, caller: AnyUser) -> JSON:
    from medsage.health import PatientRecord
    from medsage.health._patient_view import patient_dict

    if not can_create_patients(caller.user):
        state.records.record_denied(caller.actor, "create", "Patient", body.id)
        raise ProblemError(403, "only admins and clinicians may create patients")
    record = PatientRecord(**body.model_dump())

    def run() -> JSON:
        stored = state.records.add_patient(caller.actor, record)
        if caller.user.role == "clinician":
            state.users.assign(caller.user.username, stored.id)
        return patient_dict(stored)

    return await asyncio.to_thread(run)


@router.post("/import", summary="Import a FHIR R4 bundle (admin, clinician)")
async def import_bundle(
    state: StateDep, caller: AnyUser, bundle: Annotated[dict[str, Any], Body()]
) -> JSON:
    if not can_create_patients(caller.user):
        state.records.record_denied(caller.actor, "import", "Bundle", None)
        raise ProblemError(403, "only admins and clinicians may import records")
    if bundle.get("resourceType") != "Bundle":
        raise ProblemError(422, "the body must be a FHIR R4 Bundle (resourceType 'Bundle')")
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        raise ProblemError(422, "the bundle has no entries")
    if len(entries) > MAX_BUNDLE_ENTRIES:
        raise ProblemError(413, f"the bundle has {len(entries)} entries; the limit is "
                           f"{MAX_BUNDLE_ENTRIES}")  # fmt: skip

    def run() -> JSON:
        result = state.records.import_fhir(caller.actor, [bundle], replace=False)
        if caller.user.role == "clinician":
            for patient_id in result.patient_ids:
                state.users.assign(caller.user.username, patient_id)
        data: JSON = result.to_dict()
        return data

    return await asyncio.to_thread(run)


@router.get("/{patient_id}", summary="A patient's record summary")
async def get_patient(patient_id: str, state: StateDep, caller: AnyUser) -> JSON:
    from medsage.health._patient_view import patient_summary

    def run() -> JSON:
        real_id, access = _readable(state, caller, patient_id)
        bundle = state.records.patient_bundle(caller.actor, real_id)
        if access is Access.FULL:
            return patient_summary(bundle)
        key = state.pseudonym_key
        birth = bundle.patient.birth_date
        return {
            "patient": deidentified_patient(bundle.patient, key),
            "counts": bundle.counts(),
            "conditions": [{"icd10": c.icd10, "display": c.display} for c in bundle.conditions],
            "observations": [deidentified_observation(o, key, birth) for o in bundle.observations],
        }

    return await asyncio.to_thread(run)


@router.delete("/{patient_id}", status_code=204, summary="Delete a patient (admin)")
async def delete_patient(patient_id: str, state: StateDep, caller: AnyUser) -> None:
    if caller.user.role != "admin":
        real_id = await asyncio.to_thread(resolve_patient_id, state, caller, patient_id)
        state.records.record_denied(caller.actor, "delete", "Patient", real_id)
        raise ProblemError(403, "only admins may delete patients")
    await asyncio.to_thread(state.records.delete_patient, caller.actor, patient_id)


@router.get("/{patient_id}/fhir", summary="Export the record as a FHIR R4 bundle")
async def export_fhir(patient_id: str, state: StateDep, caller: AnyUser) -> JSON:
    def run() -> JSON:
        real_id = resolve_patient_id(state, caller, patient_id)  # audit the record id
        check_full(state, caller, real_id, "export")
        try:
            bundle: JSON = state.records.export_fhir(caller.actor, real_id)
        except ValidationError as exc:  # a stored value FHIR R4 does not allow (e.g. an id)
            raise ProblemError(
                422, f"patient {patient_id!r} cannot be exported as FHIR R4: "
                f"{exc.error_count()} value(s) break FHIR rules ({exc.errors()[0]['loc']})",
                kind="fhir-export",
            ) from None  # fmt: skip
        return bundle

    return await asyncio.to_thread(run)


@router.get("/{patient_id}/observations", summary="Observations, optionally of one LOINC code")
async def observations(
    patient_id: str,
    state: StateDep,
    caller: AnyUser,
    code: Annotated[str | None, Query(max_length=16)] = None,
) -> list[JSON]:
    from medsage.health._patient_view import observation_dict

    def run() -> list[JSON]:
        real_id, access = _readable(state, caller, patient_id)
        rows = state.records.observations(caller.actor, real_id, code=code)
        if access is Access.FULL:
            return [observation_dict(o) for o in rows]
        birth = state.records.get_patient(caller.actor, real_id).birth_date
        return [deidentified_observation(o, state.pseudonym_key, birth) for o in rows]

    return await asyncio.to_thread(run)


@router.post("/{patient_id}/observations", status_code=201, summary="Add an observation")
async def add_observation(
    patient_id: str, body: ObservationCreate, state: StateDep, caller: AnyUser
) -> JSON:
    import secrets
    from datetime import UTC

    from medsage.health import ObservationRecord
    from medsage.health._patient_view import observation_dict

    if body.value is None and body.value_text is None:
        raise ProblemError(422, "an observation needs a value or a value_text")
    if body.value is not None and not body.unit:
        raise ProblemError(
            422, "a numeric value needs its UCUM unit (e.g. mm[Hg], kg, mg/dL)",
            errors=[{"field": "unit", "message": "required with value"}],
        )  # fmt: skip
    effective = body.effective if body.effective.tzinfo else body.effective.replace(tzinfo=UTC)
    record = ObservationRecord(
        id=f"obs-{secrets.token_hex(8)}", patient_id=patient_id, code=body.code,
        display=body.display, value=body.value, unit=body.unit, value_text=body.value_text,
        effective=effective, status="final",
    )  # fmt: skip

    def run() -> JSON:
        check_write(state, caller, resolve_patient_id(state, caller, patient_id), "create")
        return observation_dict(state.records.add_observation(caller.actor, record))

    return await asyncio.to_thread(run)


@router.get("/{patient_id}/risk", summary="Risk scores the record holds every input for")
async def risk(patient_id: str, state: StateDep, caller: AnyUser) -> JSON:
    from medsage.health import record_risks

    def run() -> JSON:
        real_id, access = _readable(state, caller, patient_id)
        patient = state.records.get_patient(caller.actor, real_id)
        scores = record_risks(patient, state.records.observations(caller.actor, real_id))
        data = {name: result.to_dict() for name, result in scores.items()}
        out: JSON = _for_caller(state, access, real_id, data)
        return out

    return await asyncio.to_thread(run)


@router.get("/{patient_id}/alerts", summary="Threshold and rapid-change alerts")
async def alerts(
    patient_id: str, state: StateDep, caller: AnyUser, standard: Standard = "international"
) -> list[JSON]:
    from medsage.health import patient_alerts

    def run() -> list[JSON]:
        real_id, access = _readable(state, caller, patient_id)
        rows = [
            a.to_dict()
            for a in patient_alerts(state.records, caller.actor, real_id, standard=standard)
        ]
        out: list[JSON] = _for_caller(state, access, real_id, rows)
        return out

    return await asyncio.to_thread(run)


@router.get("/{patient_id}/trends", summary="Linear trend of each measurement")
async def trends(
    patient_id: str,
    state: StateDep,
    caller: AnyUser,
    code: Annotated[str | None, Query(max_length=16)] = None,
) -> list[JSON]:
    from medsage.health._alerts import alert_thresholds
    from medsage.health._patient_view import measurement_series, patient_trends

    def run() -> list[JSON]:
        real_id, access = _readable(state, caller, patient_id)
        observations = state.records.observations(caller.actor, real_id)
        series = measurement_series(observations)
        out = []
        for fitted in patient_trends(observations, code):
            row: JSON = fitted.to_dict()
            points = series.get(fitted.code, [])
            row["points"] = [
                {"time": p.time.isoformat() if access is Access.FULL else p.time.year,
                 "value": p.value}
                for p in points
            ]  # fmt: skip
            row["thresholds"] = [
                {"value": t.value, "unit": t.unit, "label": t.label, "severity": t.severity}
                for t in alert_thresholds(fitted.code)
            ]
            out.append(row)
        deidentified: list[JSON] = _for_caller(state, access, real_id, out)
        return deidentified

    return await asyncio.to_thread(run)


@router.get("/{patient_id}/plan", summary="A personal care plan from the record")
async def plan(
    patient_id: str,
    state: StateDep,
    caller: AnyUser,
    lang: Annotated[Literal["en", "zh"], Query()] = "en",
    standard: Standard = "international",
) -> JSON:
    from medsage.health import patient_plan

    def run() -> JSON:
        real_id = resolve_patient_id(state, caller, patient_id)
        check_full(state, caller, real_id)
        data: JSON = patient_plan(
            state.records, caller.actor, real_id, lang=lang, standard=standard
        ).to_dict()
        return data

    return await asyncio.to_thread(run)


risk_router = APIRouter(prefix="/risk", tags=["patients"])


@risk_router.get("", summary="The validated risk scores, their inputs and sources")
async def list_risk_scores(_caller: AnyUser) -> list[JSON]:
    from medsage.health.risk import list_scores

    return [spec.to_dict() for spec in list_scores()]


@risk_router.post("/{name}", summary="Compute one risk score from given inputs")
async def compute_risk(
    name: str, _caller: AnyUser, inputs: Annotated[dict[str, float | int | str | bool], Body()]
) -> JSON:
    from medsage.health.risk import compute

    data: JSON = compute(name, **inputs).to_dict()
    return data
