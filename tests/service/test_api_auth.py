"""No route under /api/v1 answers without valid credentials (real server on loopback)."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest
from service_live import LiveServer
from test_api_errors import logged_in

from medsage.health._users import UserStore
from medsage.service._auth import issue_token
from medsage.service._settings import DEVELOPMENT_SECRET

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
PATH_VALUES = {"key_id": "1", "username": "dr.li", "patient_id": "demo-001", "name": "bmi",
               "conversation_id": "c1", "screen_id": "a" * 24}  # fmt: skip


def _operations(server: LiveServer) -> list[tuple[str, str]]:
    spec = httpx.get(f"{server.url}/api/openapi.json", timeout=30).json()
    return [
        (method.upper(), re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path))
        for path, ops in spec["paths"].items() if path.startswith("/api/v1/")
        for method in ops if path != "/api/v1/auth/token"
    ]  # fmt: skip


def _assert_401(response: httpx.Response, detail: str | None = None) -> None:
    assert response.status_code == 401, (response.request.url, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert (body["status"], body["title"], body["instance"]) == (
        401, "Not authenticated", response.request.url.path
    )  # fmt: skip
    if detail is not None:
        assert body["detail"] == detail


def test_when_no_credentials_are_sent_then_every_api_operation_is_401(
    live_server: LiveServer,
) -> None:
    operations = _operations(live_server)
    assert len(operations) == 41  # every /api/v1 operation of the OpenAPI document but login
    with live_server.client() as client:
        for method, path in operations:
            response = client.request(method, path, json={} if method == "POST" else None)
            _assert_401(response)
            assert "demo-001" not in response.text.replace(path, "")


def test_when_the_bearer_token_is_expired_or_forged_then_it_is_401(
    live_server: LiveServer,
) -> None:
    users = UserStore(f"sqlite:///{live_server.home / 'records.sqlite3'}")
    try:
        expired = issue_token(users.get_user("dr.li"), DEVELOPMENT_SECRET, minutes=-1)
        forged = issue_token(users.get_user("dr.li"), "f" * 48, minutes=15)
    finally:
        users.close()
    with live_server.client() as client:
        for token in (expired, forged, "not.a.jwt"):
            response = client.get("/api/v1/patients", headers={"Authorization": f"Bearer {token}"})
            _assert_401(response, "the access token is invalid or expired; request a new one")
        response = client.get("/api/v1/patients", headers={"Authorization": "Basic YTpi"})
        _assert_401(response, "the Authorization header must be 'Bearer <token>'")


def test_when_a_wrong_password_is_given_then_login_is_401(live_server: LiveServer) -> None:
    response = httpx.post(
        f"{live_server.url}/api/v1/auth/token",
        data={"username": "dr.li", "password": "wrong-password"}, timeout=30,
    )  # fmt: skip
    _assert_401(response, "wrong username or password, or the user is disabled")


def test_when_a_user_is_disabled_then_their_token_is_401_at_once(live_server: LiveServer) -> None:
    username = f"nurse.{secrets.token_hex(3)}"
    password = "a-long-nurse-password"
    with logged_in(live_server, "admin") as admin:
        created = admin.post("/api/v1/users", json={
            "username": username, "password": password, "role": "clinician",
        })  # fmt: skip
        assert created.status_code == 201
        assert (created.json()["role"], created.json()["disabled"]) == ("clinician", False)
        form = {"username": username, "password": password}
        login = httpx.post(f"{live_server.url}/api/v1/auth/token", data=form, timeout=30)
        token = login.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        with live_server.client() as client:
            assert client.get("/api/v1/auth/me", headers=headers).json()["username"] == username
            assert admin.post(f"/api/v1/users/{username}/disable").json()["disabled"] is True
            _assert_401(client.get("/api/v1/auth/me", headers=headers))
            again = client.post("/api/v1/auth/token",
                                data={"username": username, "password": password})  # fmt: skip
            _assert_401(again, "wrong username or password, or the user is disabled")


def test_when_an_api_key_is_revoked_then_it_is_401(live_server: LiveServer) -> None:
    with logged_in(live_server, "dr.smith") as owner:
        created = owner.post("/api/v1/auth/keys", json={"name": "lab system"})
        assert created.status_code == 201
        key = created.json()
        assert key["secret"].startswith(f"msk_{key['prefix']}_")
        assert "secret" not in owner.get("/api/v1/auth/keys").json()[-1]
        with live_server.client() as system:
            headers = {"X-API-Key": key["secret"]}
            me = system.get("/api/v1/auth/me", headers=headers)
            assert (me.status_code, me.json()["username"]) == (200, "dr.smith")
            assert system.get("/api/v1/patients/demo-003", headers=headers).status_code == 200
            assert owner.delete(f"/api/v1/auth/keys/{key['id']}").status_code == 204
            _assert_401(
                system.get("/api/v1/auth/me", headers=headers),
                "the API key is invalid, revoked or its user is disabled",
            )
        assert owner.get("/api/v1/auth/keys").json()[-1]["revoked"] is True


@pytest.mark.parametrize("username", ["dr.li", "researcher", "patient"])
def test_when_someone_revokes_another_users_key_then_it_is_404(
    live_server: LiveServer, username: str
) -> None:
    with logged_in(live_server, "admin") as admin:
        key_id = admin.post("/api/v1/auth/keys", json={"name": "admin key"}).json()["id"]
    with logged_in(live_server, username) as other:
        response = other.delete(f"/api/v1/auth/keys/{key_id}")
    assert (response.status_code, response.json()["detail"]) == (
        404, f"no API key {key_id} of yours"
    )  # fmt: skip
