"""Who sees what: every patient route for every role on own/assigned and other patients,
researchers' de-identified view, admin-only routes, and the audit trail of each access."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from service_live import LiveServer
from test_api_errors import logged_in

from medsage.health import RecordStore
from medsage.health._access import pseudonym
from medsage.service._settings import DEVELOPMENT_SECRET

PSEUDONYM_KEY = ("pseudonym:" + DEVELOPMENT_SECRET).encode()  # what the demo server uses
R001 = pseudonym("demo-001", PSEUDONYM_KEY)
NAMES = ("John", "Demo", "小明", "王", "Mary", "Sample")
BIRTH_DATES = ("1961-04-12", "1955-09-30", "1988-02-03")

# (role, target as the caller names it, the record id behind it)
TARGETS = (
    ("admin", "demo-001", "demo-001"), ("admin", "demo-003", "demo-003"),
    ("dr.li", "demo-001", "demo-001"), ("dr.li", "demo-003", "demo-003"),
    ("dr.smith", "demo-003", "demo-003"), ("dr.smith", "demo-001", "demo-001"),
    ("researcher", R001, "demo-001"), ("researcher", "demo-002", "demo-002"),
    ("patient", "demo-001", "demo-001"), ("patient", "demo-002", "demo-002"),
)  # fmt: skip
#            admin       dr.li       dr.smith    researcher      patient
#            own  other  own  other  own  other  pseudonym  id   own  other
READ = (200, 200, 200, 403, 200, 403, 200, 404, 200, 403)
IDENTIFIED = (200, 200, 200, 403, 200, 403, 403, 404, 200, 403)
WRITE = (201, 201, 201, 403, 201, 403, 403, 404, 403, 403)
MATRIX = {
    ("GET", ""): READ, ("GET", "/fhir"): IDENTIFIED, ("GET", "/observations"): READ,
    ("POST", "/observations"): WRITE, ("GET", "/risk"): READ, ("GET", "/alerts"): READ,
    ("GET", "/trends"): READ, ("GET", "/plan"): IDENTIFIED, ("DELETE", ""): (
        403, 403, 403, 403, 403, 403, 403, 404, 403, 403),  # admin deletes: separate test
}  # fmt: skip
CASES = [
    pytest.param(method, suffix, role, given, real, status,
                 id=f"{method} {suffix or '/'} {role} {given}")
    for (method, suffix), statuses in MATRIX.items()
    for (role, given, real), status in zip(TARGETS, statuses, strict=True)
    if not (method == "DELETE" and role == "admin")
]  # fmt: skip
# A harmless observation far in the past (heart rate), so no score, alert or trend changes.
OBSERVATION = {"code": "8867-4", "value": 72, "unit": "/min", "display": "Heart rate",
               "effective": "2001-01-01T08:00:00Z"}  # fmt: skip


@pytest.fixture(scope="module")
def audit(live_server: LiveServer) -> Iterator[RecordStore]:
    store = RecordStore(f"sqlite:///{live_server.home / 'records.sqlite3'}")
    yield store
    store.close()


@pytest.fixture(scope="module")
def clients(live_server: LiveServer) -> Iterator[dict[str, httpx.Client]]:
    opened = {u: logged_in(live_server, u) for u in ("admin", "dr.li", "dr.smith", "researcher",
                                                  "patient")}  # fmt: skip
    yield opened
    for client in opened.values():
        client.close()


def _last_id(audit: RecordStore) -> int:
    events = audit.audit_events("test:auditor")
    return events[-1].id if events else 0


def _events_since(audit: RecordStore, since: int, actor: str, patient_id: str) -> list[Any]:
    return [e for e in audit.audit_events("test:auditor", patient_id=patient_id)
            if e.id > since and e.actor == actor]  # fmt: skip


def _assert_problem(response: httpx.Response, status: int) -> None:
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["instance"]) == (status, response.request.url.path)
    assert {"type", "title", "detail"} <= set(body)


@pytest.mark.parametrize(("method", "suffix", "role", "given", "real", "status"), CASES)
def test_when_a_role_calls_a_patient_route_then_the_status_and_audit_follow_the_policy(
    clients: dict[str, httpx.Client], audit: RecordStore, method: str, suffix: str, role: str,
    given: str, real: str, status: int,
) -> None:  # fmt: skip
    before = _last_id(audit)
    body = OBSERVATION if method == "POST" else None
    response = clients[role].request(method, f"/api/v1/patients/{given}{suffix}", json=body)
    assert response.status_code == status, response.text
    events = _events_since(audit, before, f"user:{role}", real)
    if status in (200, 201):
        assert events and {e.outcome for e in events} == {"success"}
    elif status == 403:
        _assert_problem(response, 403)
        assert [(e.outcome, json.loads(e.detail or "{}").get("error")) for e in events] == [
            ("failure", "AccessDenied")
        ]
    else:  # a researcher naming a real record id learns nothing, and reads nothing of it
        _assert_problem(response, 404)
        assert response.json()["detail"] == (
            f"no patient {given!r} (researchers use the pseudonymous ids)"
        )
        assert events == []


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 201), ("dr.li", 201), ("dr.smith", 201), ("researcher", 403), ("patient", 403)],
)
def test_when_a_role_creates_or_imports_a_patient_then_only_staff_may(
    clients: dict[str, httpx.Client], audit: RecordStore, role: str, status: int
) -> None:
    new_id = f"perm-{role.replace('.', '')}-{secrets.token_hex(3)}"
    before = _last_id(audit)
    created = clients[role].post("/api/v1/patients", json={"id": new_id, "gender": "female"})
    assert created.status_code == status, created.text
    outcomes = [e.outcome for e in _events_since(audit, before, f"user:{role}", new_id)]
    assert outcomes == (["success"] if status == 201 else ["failure"])
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
        "resourceType": "Patient", "id": f"{new_id}-i", "gender": "male"}}]}  # fmt: skip
    imported = clients[role].post("/api/v1/patients/import", json=bundle)
    assert imported.status_code == (200 if status == 201 else 403), imported.text
    if status == 201:
        assert imported.json()["patient_ids"] == [f"{new_id}-i"]
        mine = {p["id"] for p in clients[role].get("/api/v1/patients").json()}
        assert {new_id, f"{new_id}-i"} <= mine  # a clinician is assigned what they create


def test_when_the_admin_deletes_a_patient_then_it_is_gone_and_audited(
    clients: dict[str, httpx.Client], audit: RecordStore
) -> None:
    admin = clients["admin"]
    assert admin.post("/api/v1/patients", json={"id": "perm-delete-me"}).status_code == 201
    before = _last_id(audit)
    assert admin.delete("/api/v1/patients/perm-delete-me").status_code == 204
    assert [e.action for e in _events_since(audit, before, "user:admin", "perm-delete-me")] == [
        "delete"
    ]
    _assert_problem(admin.get("/api/v1/patients/perm-delete-me"), 404)
    _assert_problem(admin.delete("/api/v1/patients/perm-delete-me"), 404)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", ["demo-001", "demo-002", "demo-003"]),
        ("dr.li", ["demo-001", "demo-002"]),
        ("dr.smith", ["demo-003"]),
        ("patient", ["demo-001"]),
        ("researcher", sorted(pseudonym(p, PSEUDONYM_KEY)
                              for p in ("demo-001", "demo-002", "demo-003"))),
    ],
)  # fmt: skip
def test_when_a_role_lists_patients_then_it_sees_exactly_its_demo_patients(
    clients: dict[str, httpx.Client], role: str, expected: list[str]
) -> None:
    listed = clients[role].get("/api/v1/patients").json()
    ids = sorted(p["id"] for p in listed if p["id"].startswith(("demo-", "R-")))
    if role == "researcher":
        demo = {pseudonym(p, PSEUDONYM_KEY) for p in ("demo-001", "demo-002", "demo-003")}
        ids = sorted(i for i in ids if i in demo)
    assert ids == expected


def test_when_a_researcher_reads_everything_then_no_name_birth_date_or_record_id_appears(
    clients: dict[str, httpx.Client],
) -> None:
    researcher = clients["researcher"]
    texts = [researcher.get("/api/v1/patients").text]
    for patient in researcher.get("/api/v1/patients").json():
        assert patient["id"].startswith("R-") and len(patient["id"]) == 18
        assert set(patient) == {"id", "gender", "birth_year", "deceased", "age_90_or_over"}
    for suffix in ("", "/observations", "/risk", "/alerts", "/trends"):
        response = researcher.get(f"/api/v1/patients/{R001}{suffix}")
        assert response.status_code == 200
        texts.append(response.text)
    text = "\n".join(texts)
    leaked = [w for w in (*NAMES, *BIRTH_DATES, "demo-00", "family_name", "given_name",
                          "birth_date", "2026-", "2025-") if w in text]  # fmt: skip
    assert leaked == []
    risk = researcher.get(f"/api/v1/patients/{R001}/risk").json()
    assert (risk["bmi"]["value"], risk["bmi"]["category"]) == (32.2, "obese_class_1")


def test_when_a_patient_uses_the_api_then_only_demo_001_is_visible(
    clients: dict[str, httpx.Client],
) -> None:
    patient = clients["patient"]
    assert [p["id"] for p in patient.get("/api/v1/patients").json()] == ["demo-001"]
    for other in ("demo-002", "demo-003", "perm-admin-x"):
        assert patient.get(f"/api/v1/patients/{other}").status_code == 403
    own = patient.get("/api/v1/patients/demo-001").json()
    assert (own["patient"]["given_name"], own["patient"]["family_name"]) == ("John", "Demo")


ADMIN_ROUTES = (
    ("GET", "/api/v1/users", None), ("POST", "/api/v1/users", {
        "username": "perm.nobody", "password": "a-long-password-1", "role": "patient"}),
    ("POST", "/api/v1/users/dr.smith/disable", None),
    ("POST", "/api/v1/users/dr.smith/enable", None),
    ("GET", "/api/v1/users/dr.li/patients", None),
    ("POST", "/api/v1/users/dr.smith/patients", {"patient_id": "demo-002"}),
    ("DELETE", "/api/v1/users/dr.li/patients/demo-001", None),
)  # fmt: skip


@pytest.mark.parametrize("role", ["dr.li", "dr.smith", "researcher", "patient"])
@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
def test_when_a_non_admin_calls_a_users_route_then_it_is_403(
    clients: dict[str, httpx.Client], role: str, method: str, path: str, body: Any
) -> None:
    response = clients[role].request(method, path, json=body)
    assert response.status_code == 403
    assert response.json()["detail"].startswith("this action needs the role admin; you are ")


def test_when_the_admin_manages_assignments_then_the_clinician_sees_the_change(
    clients: dict[str, httpx.Client],
) -> None:
    admin, smith = clients["admin"], clients["dr.smith"]
    assigned = admin.get("/api/v1/users/dr.smith/patients").json()
    assert [p for p in assigned if p.startswith("demo-")] == ["demo-003"]
    assert smith.get("/api/v1/patients/demo-002").status_code == 403
    assign = admin.post("/api/v1/users/dr.smith/patients", json={"patient_id": "demo-002"})
    assert assign.status_code == 204
    assert smith.get("/api/v1/patients/demo-002").status_code == 200
    unassign = admin.delete("/api/v1/users/dr.smith/patients/demo-002")
    assert unassign.status_code == 204
    assert smith.get("/api/v1/patients/demo-002").status_code == 403
    usernames = {u["username"] for u in admin.get("/api/v1/users").json()}
    assert {"admin", "dr.li", "dr.smith", "researcher", "patient"} <= usernames
    assert "password" not in admin.get("/api/v1/users").text


STAFF_ONLY = (
    ("POST", "/api/v1/classify", {"texts": ["头痛"]}),
    ("POST", "/api/v1/explain", {"text": "头痛", "steps": 2}),
    ("POST", "/api/v1/diagnose", {"text": "头痛三天"}),
    ("POST", "/api/v1/deid", {"text": "患者张伟"}),
    ("POST", "/api/v1/drug/props", {"smiles": ["CCO"]}),
    ("POST", "/api/v1/drug/screen", {"smiles": ["CCO"]}),
    ("GET", "/api/v1/models", None),
    ("GET", "/api/v1/models/active", None),
)


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ONLY)
@pytest.mark.parametrize(("role", "status"), [("patient", 403), ("researcher", 200)])
def test_when_a_patient_calls_a_staff_route_then_it_is_403(
    clients: dict[str, httpx.Client], method: str, path: str, body: Any, role: str, status: int
) -> None:
    response = clients[role].request(method, path, json=body)
    assert response.status_code == status, response.text


@pytest.mark.parametrize("role", ["admin", "dr.li", "dr.smith", "researcher", "patient"])
def test_when_any_role_consults_then_it_is_answered_and_the_conversation_is_private(
    clients: dict[str, httpx.Client], role: str
) -> None:
    asked = clients[role].post("/api/v1/consult/ask", json={"question": "How do I lower my blood "
                                                                        "pressure?"})  # fmt: skip
    assert asked.status_code == 200, asked.text
    conversation = asked.json()["conversation_id"]
    mine = clients[role].get(f"/api/v1/consult/conversations/{conversation}")
    assert (mine.status_code, len(mine.json()["turns"])) == (200, 1)
    other = clients["dr.li" if role != "dr.li" else "patient"]
    for response in (
        other.get(f"/api/v1/consult/conversations/{conversation}"),
        other.post("/api/v1/consult/ask", json={"question": "and?",
                                                "conversation_id": conversation}),
    ):  # fmt: skip
        assert (response.status_code, response.json()["detail"]) == (
            404, f"no conversation {conversation!r} of yours"
        )  # fmt: skip
    listed = [c["id"] for c in other.get("/api/v1/consult/conversations").json()]
    assert conversation not in listed


@pytest.mark.parametrize(("role", "patient_id", "status"), [
    ("patient", "demo-002", 403), ("dr.smith", "demo-001", 403), ("researcher", R001, 403),
    ("dr.li", "demo-001", 200), ("patient", "demo-001", 200),
])  # fmt: skip
def test_when_a_consultation_names_a_patient_then_the_record_policy_applies(
    clients: dict[str, httpx.Client], role: str, patient_id: str, status: int
) -> None:
    response = clients[role].post(
        "/api/v1/consult/ask", json={"question": "Is my blood pressure too high?",
                                     "patient_id": patient_id},
    )  # fmt: skip
    assert response.status_code == status, response.text
