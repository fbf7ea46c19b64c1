"""`medsage serve --demo`: seed the embedded defaults so a fresh install shows every page.

Everything here was written by the MedSage authors: three invented patients (their records
are built below as FHIR R4 bundles), demo users with demo passwords, the demo classifier
(`medsage demo`) and a literature index of the curated consultation knowledge. Seeding is
idempotent; it runs only in development (demo passwords are public).
"""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from medsage.errors import InvalidInputError, UnknownNameError

if TYPE_CHECKING:
    from medsage.service._state import ServiceState

log = logging.getLogger("medsage.service")

# (username, password, role, patient id, display name); printed by `medsage serve --demo`.
DEMO_USERS = (
    ("admin", "demo-admin-password", "admin", None, "Demo administrator"),
    ("dr.li", "demo-clinician-password", "clinician", None, "李医生 (demo clinician)"),
    ("dr.smith", "demo-clinician-password", "clinician", None, "Dr Smith (demo clinician)"),
    ("researcher", "demo-researcher-password", "researcher", None, "Demo researcher"),
    ("patient", "demo-patient-password", "patient", "demo-001", "John Demo (demo patient)"),
)
ASSIGNMENTS = (("dr.li", "demo-001"), ("dr.li", "demo-002"), ("dr.smith", "demo-003"))

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"

# Invented patients: id, given, family, gender, birth date, conditions (SNOMED CT),
# medications (RxNorm), monthly visits of (systolic, diastolic, weight kg, glucose mg/dL,
# creatinine mg/dL), height cm, total and HDL cholesterol (mg/dL), smoker.
PATIENTS: tuple[dict[str, Any], ...] = (
    {
        "id": "demo-001", "given": "John", "family": "Demo", "gender": "male",
        "birth": "1961-04-12", "height": 176.0, "chol": (232.0, 41.0),
        "conditions": (("38341003", "Hypertensive disorder, systemic arterial (disorder)"),
                       ("44054006", "Diabetes mellitus type 2 (disorder)")),
        "medications": (("314076", "lisinopril 10 MG Oral Tablet"),
                        ("860975", "24 HR metformin hydrochloride 500 MG Extended Release "
                                   "Oral Tablet")),
        "visits": ((148, 94, 96.0, 152.0, 1.05), (152, 96, 96.8, 160.0, 1.08),
                   (156, 98, 97.5, 171.0, 1.10), (161, 101, 98.1, 178.0, 1.12),
                   (166, 104, 98.9, 186.0, 1.15), (172, 108, 99.6, 193.0, 1.18)),
    },
    {
        "id": "demo-002", "given": "小明", "family": "王", "gender": "male",
        "birth": "1955-09-30", "height": 168.0, "chol": (198.0, 46.0),
        "conditions": (("431855005", "Chronic kidney disease stage 1 (disorder)"),),
        "medications": (("314076", "lisinopril 10 MG Oral Tablet"),),
        "visits": ((138, 86, 70.2, 104.0, 1.32), (140, 88, 70.0, 106.0, 1.41),
                   (139, 87, 69.6, 103.0, 1.52), (142, 88, 69.1, 108.0, 1.66)),
    },
    {
        "id": "demo-003", "given": "Mary", "family": "Sample", "gender": "female",
        "birth": "1988-02-03", "height": 163.0, "chol": (176.0, 62.0),
        "conditions": (), "medications": (),
        "visits": ((116, 74, 58.5, 88.0, 0.78), (118, 76, 58.9, 90.0, 0.80),
                   (114, 72, 58.2, 86.0, 0.79)),
    },
)  # fmt: skip


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _observation(
    oid: str, pid: str, code: str, display: str, when: str, **value: Any
) -> dict[str, Any]:
    resource = {
        "resourceType": "Observation", "id": oid, "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs" if code in ("85354-9", "29463-7", "8302-2", "39156-5")
            else "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
        "subject": {"reference": f"urn:uuid:{pid}"},
        "effectiveDateTime": when,
    }  # fmt: skip
    resource.update(value)
    return resource


def demo_bundle(spec: dict[str, Any], today: date) -> dict[str, Any]:
    """The FHIR R4 transaction bundle of one invented patient (visits a month apart, the last
    one `today`)."""
    pid = spec["id"]
    resources: list[dict[str, Any]] = [{
        "resourceType": "Patient", "id": pid,
        "name": [{"family": spec["family"], "given": [spec["given"]]}],
        "gender": spec["gender"], "birthDate": spec["birth"],
    }]  # fmt: skip
    for i, (code, display) in enumerate(spec["conditions"]):
        resources.append({
            "resourceType": "Condition", "id": f"{pid}-cond-{i}",
            "clinicalStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "active"}]},
            "code": {"coding": [{"system": SNOMED, "code": code, "display": display}],
                     "text": display},
            "subject": {"reference": f"urn:uuid:{pid}"},
            "onsetDateTime": f"{today.year - 3}-01-15T09:00:00+00:00",
        })  # fmt: skip
    for i, (code, display) in enumerate(spec["medications"]):
        resources.append({
            "resourceType": "MedicationRequest", "id": f"{pid}-med-{i}", "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code,
                                                      "display": display}], "text": display},
            "subject": {"reference": f"urn:uuid:{pid}"},
            "authoredOn": f"{today.year - 2}-06-01T09:00:00+00:00",
        })  # fmt: skip
    visits = spec["visits"]
    for n, (sys_bp, dia_bp, weight, glucose, creatinine) in enumerate(visits):
        day = today - timedelta(days=30 * (len(visits) - 1 - n))
        when = f"{day.isoformat()}T09:00:00+00:00"
        base = f"{pid}-v{n}"
        bmi = round(weight / (spec["height"] / 100) ** 2, 1)
        resources += [
            _observation(
                f"{base}-bp", pid, "85354-9", "Blood pressure panel", when,
                component=[
                    {"code": {"coding": [{"system": LOINC, "code": "8480-6",
                                          "display": "Systolic blood pressure"}]},
                     "valueQuantity": _quantity(sys_bp, "mm[Hg]")},
                    {"code": {"coding": [{"system": LOINC, "code": "8462-4",
                                          "display": "Diastolic blood pressure"}]},
                     "valueQuantity": _quantity(dia_bp, "mm[Hg]")},
                ],
            ),
            _observation(f"{base}-wt", pid, "29463-7", "Body weight", when,
                         valueQuantity=_quantity(weight, "kg")),
            _observation(f"{base}-ht", pid, "8302-2", "Body height", when,
                         valueQuantity=_quantity(spec["height"], "cm")),
            _observation(f"{base}-bmi", pid, "39156-5", "Body mass index", when,
                         valueQuantity=_quantity(bmi, "kg/m2")),
            _observation(f"{base}-glu", pid, "2345-7", "Glucose [Mass/volume] in Serum or Plasma",
                         when, valueQuantity=_quantity(glucose, "mg/dL")),
            _observation(f"{base}-cr", pid, "2160-0", "Creatinine [Mass/volume] in Serum or Plasma",
                         when, valueQuantity=_quantity(creatinine, "mg/dL")),
        ]  # fmt: skip
    last = f"{today.isoformat()}T09:00:00+00:00"
    resources += [
        _observation(f"{pid}-chol", pid, "2093-3", "Cholesterol [Mass/volume] in Serum or Plasma",
                     last, valueQuantity=_quantity(spec["chol"][0], "mg/dL")),
        _observation(f"{pid}-hdl", pid, "2085-9", "HDL Cholesterol", last,
                     valueQuantity=_quantity(spec["chol"][1], "mg/dL")),
    ]  # fmt: skip
    return {
        "resourceType": "Bundle", "type": "transaction",
        "entry": [
            {"fullUrl": f"urn:uuid:{r['id']}", "resource": r,
             "request": {"method": "POST", "url": r["resourceType"]}}
            for r in resources
        ],
    }  # fmt: skip


def seed_demo(state: ServiceState, today: date | None = None) -> dict[str, Any]:
    """Create what is missing of the demo users, patients, model and literature index."""
    settings = state.settings
    if settings.production:
        raise InvalidInputError("--demo is for development only: its passwords are public")
    done: dict[str, Any] = {"users": 0, "patients": 0, "model": False, "literature": False}
    actor = "system:demo"
    for username, password, role, patient_id, name in DEMO_USERS:
        try:
            state.users.get_user(username)
        except UnknownNameError:
            state.users.add_user(username, password, role, patient_id=patient_id, display_name=name)
            done["users"] += 1
    existing = {p.id for p in state.records.list_patients(actor)}
    day = today or date.today()
    for spec in PATIENTS:
        if spec["id"] not in existing:
            state.records.import_fhir(actor, [demo_bundle(spec, day)])
            done["patients"] += 1
    for clinician, patient_id in ASSIGNMENTS:
        state.users.assign(clinician, patient_id)
    demo_dir = settings.home / "demo"
    if (
        not (demo_dir / "model" / "medsage.json").is_file()
        or not (demo_dir / "model" / "evaluation.json").is_file()
    ):
        from medsage.demo import run_demo

        result = run_demo(demo_dir)
        (demo_dir / "model" / "evaluation.json").write_text(
            json.dumps(result.test.to_dict(), ensure_ascii=False), encoding="utf-8"
        )
        done["model"] = True
    if not (demo_dir / "literature" / "manifest.json").is_file():
        from medsage.consult import curated_documents
        from medsage.literature import LiteratureIndex

        LiteratureIndex.build(curated_documents(), demo_dir / "literature", encoder="e5")
        done["literature"] = True
    log.info(
        "demo seeded: %d users, %d patients, model %s, literature %s",
        done["users"], done["patients"], done["model"], done["literature"],
    )  # fmt: skip
    return done
