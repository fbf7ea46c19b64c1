"""Write a patient's records as a FHIR R4 bundle that re-imports to the same records.

The bundle is a `collection`: the Patient first, then encounters, conditions, observations,
medications, allergies and care plans, each sorted by time and id, so the same records always
give the same bytes. Times are written in UTC (`...Z`). References are relative
(`Patient/<id>`), so they resolve without fullUrls. The result is validated with
`fhir.resources` before it is returned.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from medsage.health._codes import ICD10, ICD10_SYSTEMS, LOINC, UCUM
from medsage.health._records import (
    AllergyRecord,
    CarePlanRecord,
    ConditionRecord,
    EncounterRecord,
    MedicationRecord,
    ObservationRecord,
    PatientBundle,
    PatientRecord,
)

_TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"


def _instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def _drop_none(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v is not None and v != [] and v != {}}


def _cc(system: str | None, code: str | None, display: str | None) -> dict[str, Any] | None:
    if code is None and display is None:
        return None
    coding = _drop_none({"system": system, "code": code, "display": display})
    return _drop_none({"coding": [coding] if code is not None else None, "text": display})


def _status_cc(system_name: str, code: str | None) -> dict[str, Any] | None:
    if code is None:
        return None
    return {"coding": [{"system": _TERMINOLOGY + system_name, "code": code}]}


def _period(start: datetime | None, end: datetime | None) -> dict[str, Any] | None:
    return _drop_none({"start": _instant(start), "end": _instant(end)}) or None


def _ref(kind: str, rid: str | None) -> dict[str, Any] | None:
    return {"reference": f"{kind}/{rid}"} if rid else None


def _patient(p: PatientRecord) -> dict[str, Any]:
    name = _drop_none(
        {
            "use": "official",
            "family": p.family_name,
            "given": p.given_name.split(" ") if p.given_name else None,
        }
    )
    return _drop_none(
        {
            "resourceType": "Patient",
            "id": p.id,
            "name": [name] if len(name) > 1 else None,
            "gender": p.gender,
            "birthDate": p.birth_date.isoformat() if p.birth_date else None,
            "deceasedDateTime": _instant(p.deceased),
        }
    )


def _value(o: ObservationRecord) -> dict[str, Any]:
    if o.value is not None:
        quantity = _drop_none(
            {"value": o.value, "unit": o.unit, "system": UCUM if o.unit else None, "code": o.unit}
        )
        return {"valueQuantity": quantity}
    if o.value_code is not None:
        return {"valueCodeableConcept": _cc(o.value_system, o.value_code, o.value_text)}
    if o.value_text is not None:
        return {"valueString": o.value_text}
    return {}


def _observation(rows: list[ObservationRecord]) -> dict[str, Any]:
    head = next(r for r in rows if r.component == 0)
    components = [
        _drop_none({"code": _cc(LOINC, c.code, c.display), **_value(c)})
        for c in sorted(rows, key=lambda r: r.component)
        if c.component > 0
    ]
    category = [_status_cc("observation-category", head.category)] if head.category else None
    return _drop_none(
        {
            "resourceType": "Observation",
            "id": head.id,
            "status": head.status or "unknown",
            "category": category,
            "code": _cc(LOINC, head.code, head.display),
            "subject": _ref("Patient", head.patient_id),
            "encounter": _ref("Encounter", head.encounter_id),
            "effectiveDateTime": _instant(head.effective),
            "issued": _instant(head.issued),
            **_value(head),
            "component": components,
        }
    )


def _condition(c: ConditionRecord) -> dict[str, Any]:
    codings = [_drop_none({"system": c.source_system, "code": c.source_code, "display": c.display})]
    if c.icd10 and not (c.source_system in ICD10_SYSTEMS and c.source_code == c.icd10):
        codings.append({"system": ICD10, "code": c.icd10})
    category = [_status_cc("condition-category", c.category)] if c.category else None
    return _drop_none(
        {
            "resourceType": "Condition",
            "id": c.id,
            "clinicalStatus": _status_cc("condition-clinical", c.clinical_status),
            "verificationStatus": _status_cc("condition-ver-status", c.verification_status),
            "category": category,
            "code": _drop_none({"coding": codings, "text": c.display}),
            "subject": _ref("Patient", c.patient_id),
            "encounter": _ref("Encounter", c.encounter_id),
            "onsetDateTime": _instant(c.onset),
            "abatementDateTime": _instant(c.abatement),
            "recordedDate": _instant(c.recorded),
        }
    )


def _medication(m: MedicationRecord) -> dict[str, Any]:
    base = {
        "resourceType": m.kind,
        "id": m.id,
        "medicationCodeableConcept": _cc(m.system, m.code, m.display),
        "subject": _ref("Patient", m.patient_id),
    }
    period = _period(m.start, m.end)
    if m.kind == "MedicationStatement":
        return _drop_none(
            {
                **base,
                "status": m.status or "unknown",
                "context": _ref("Encounter", m.encounter_id),
                "effectivePeriod": period,
                "dateAsserted": _instant(m.authored),
            }
        )
    return _drop_none(
        {
            **base,
            "status": m.status or "unknown",
            "intent": m.intent or "order",
            "encounter": _ref("Encounter", m.encounter_id),
            "authoredOn": _instant(m.authored),
            "dispenseRequest": {"validityPeriod": period} if period else None,
        }
    )


def _allergy(a: AllergyRecord) -> dict[str, Any]:
    return _drop_none(
        {
            "resourceType": "AllergyIntolerance",
            "id": a.id,
            "clinicalStatus": _status_cc("allergyintolerance-clinical", a.clinical_status),
            "verificationStatus": _status_cc(
                "allergyintolerance-verification", a.verification_status
            ),
            "type": a.type,
            "category": [a.category] if a.category else None,
            "criticality": a.criticality,
            "code": _cc(a.system, a.code, a.display),
            "patient": _ref("Patient", a.patient_id),
            "encounter": _ref("Encounter", a.encounter_id),
            "onsetDateTime": _instant(a.onset),
            "recordedDate": _instant(a.recorded),
            "lastOccurrence": _instant(a.end),
        }
    )


def _encounter(e: EncounterRecord) -> dict[str, Any]:
    class_coding = (
        {"system": _TERMINOLOGY + "v3-ActCode", "code": e.class_code}
        if e.class_code
        else {"system": _TERMINOLOGY + "v3-NullFlavor", "code": "UNK"}
    )
    type_cc = _cc(e.type_system, e.type_code, e.type_display)
    reason_cc = _cc(e.type_system if e.reason_code else None, e.reason_code, e.reason_display)
    return _drop_none(
        {
            "resourceType": "Encounter",
            "id": e.id,
            "status": e.status or "unknown",
            "class": class_coding,
            "type": [type_cc] if type_cc else None,
            "subject": _ref("Patient", e.patient_id),
            "period": _period(e.start, e.end),
            "reasonCode": [reason_cc] if reason_cc else None,
        }
    )


def _care_plan(c: CarePlanRecord) -> dict[str, Any]:
    category = _cc(c.system, c.code, c.display)
    activities = [
        {
            "detail": _drop_none(
                {"code": _cc(a.system, a.code, a.display), "status": a.status or "unknown"}
            )
        }
        for a in c.activities
    ]
    return _drop_none(
        {
            "resourceType": "CarePlan",
            "id": c.id,
            "status": c.status or "unknown",
            "intent": c.intent or "plan",
            "category": [category] if category else None,
            "subject": _ref("Patient", c.patient_id),
            "encounter": _ref("Encounter", c.encounter_id),
            "period": _period(c.start, c.end),
            "activity": activities,
        }
    )


def _full_url(rid: str) -> str | None:
    """`urn:uuid:<id>` when the id is a UUID (FHIR wants absolute fullUrls); else none."""
    try:
        return f"urn:uuid:{uuid.UUID(rid)}" if len(rid) == 36 else None
    except ValueError:
        return None


def _when(t: datetime | None) -> str:
    return _instant(t) or ""


def bundle_for_patient(records: PatientBundle) -> dict[str, Any]:
    """The FHIR R4 `collection` bundle of one patient's records (validated)."""
    from fhir.resources.R4B.bundle import Bundle

    observations: dict[str, list[ObservationRecord]] = {}
    for o in records.observations:
        observations.setdefault(o.id, []).append(o)
    resources: list[dict[str, Any]] = [_patient(records.patient)]
    resources += [
        _encounter(e) for e in sorted(records.encounters, key=lambda e: (_when(e.start), e.id))
    ]
    resources += [
        _condition(c) for c in sorted(records.conditions, key=lambda c: (_when(c.onset), c.id))
    ]
    resources += [
        _observation(rows)
        for rows in sorted(
            observations.values(), key=lambda rows: (_when(rows[0].effective), rows[0].id)
        )
    ]
    resources += [
        _medication(m)
        for m in sorted(records.medications, key=lambda m: (_when(m.authored or m.start), m.id))
    ]
    resources += [
        _allergy(a) for a in sorted(records.allergies, key=lambda a: (_when(a.onset), a.id))
    ]
    resources += [
        _care_plan(c) for c in sorted(records.care_plans, key=lambda c: (_when(c.start), c.id))
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [_drop_none({"fullUrl": _full_url(r["id"]), "resource": r}) for r in resources],
    }
    Bundle.model_validate(bundle)
    return bundle


def bundle_json(bundle: dict[str, Any]) -> str:
    """The canonical text of a bundle: sorted keys, 2-space indent, UTF-8 characters."""
    return json.dumps(bundle, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
