"""Errors are RFC 9457 problem documents, never tracebacks; body-size and rate limits."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from service_live import LiveServer, clone_home, running_server

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def _assert_problem(response: httpx.Response, status: int, title: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert (body["status"], body["title"], body["instance"]) == (
        status, title, response.request.url.path
    )  # fmt: skip
    assert str(body["type"]).startswith("https://medsage.dev/problems/")
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


_TOKENS: dict[tuple[str, str], str] = {}


def logged_in(server: LiveServer, username: str) -> httpx.Client:
    """A client with a bearer token of `username`, logging in once per server and user: the
    login limit (20 per minute per address) would refuse a test session logging in per test."""
    key = (server.url, username)
    if key not in _TOKENS:
        _TOKENS[key] = server.token(username)
    headers = {"Authorization": f"Bearer {_TOKENS[key]}"}
    return httpx.Client(base_url=server.url, headers=headers, timeout=120)


@pytest.fixture(scope="module")
def limited_server(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    home = clone_home(live_server.home, tmp_path_factory.mktemp("limited") / "home")
    limits = {"MEDSAGE_MAX_BODY_BYTES": "2000", "MEDSAGE_RATE_LIMIT": "30"}
    with running_server(home, limits) as server:
        yield server


def test_when_errors_happen_then_each_is_a_problem_document(live_server: LiveServer) -> None:
    with logged_in(live_server, "dr.li") as client, live_server.client() as anonymous:
        _assert_problem(anonymous.get("/api/v1/patients"), 401, "Not authenticated")
        _assert_problem(client.get("/api/v1/patients/demo-003"), 403, "Forbidden")
        body = _assert_problem(client.get("/api/v1/models/nope"), 404, "Not found")
        assert body["detail"] == "no model 'nope'; GET /api/v1/models lists them"
        _assert_problem(client.get("/api/v1/no-such-route"), 404, "Not found")
        _assert_problem(client.put("/api/v1/patients/demo-001"), 405, "Method not allowed")
        body = _assert_problem(
            client.post("/api/v1/diagnose", content=b"text=pain",
                        headers={"Content-Type": "text/plain"}),
            415, "Unsupported media type",
        )  # fmt: skip
        assert body["detail"] == ("the API reads JSON, form or multipart bodies, got "
                                  "Content-Type 'text/plain'; send application/json")  # fmt: skip
        upload = client.post("/api/v1/drug/screen/upload", files={"file": ("x.exe", b"CCO")})
        body = _assert_problem(upload, 415, "Unsupported media type")
        assert body["detail"] == "the upload must be a .smi, .csv or .sdf file, got 'x.exe'"


@pytest.mark.parametrize(
    ("path", "payload", "errors"),
    [
        ("/api/v1/diagnose", {"text": "", "k": 0}, [
            {"field": "text", "message": "String should have at least 1 character"},
            {"field": "k", "message": "Input should be greater than or equal to 1"}]),
        ("/api/v1/diagnose", {"text": "头痛", "verbose": True}, [
            {"field": "verbose", "message": "Extra inputs are not permitted"}]),
        ("/api/v1/classify", {"texts": []}, [
            {"field": "texts", "message": "List should have at least 1 item after validation, "
                                          "not 0"}]),
        ("/api/v1/literature/search", {"query": "x", "mode": "magic"}, [
            {"field": "mode", "message": "Input should be 'bm25', 'dense' or 'hybrid'"}]),
        ("/api/v1/literature/search", {"query": "x", "year_min": 2020, "year_max": 2000}, [
            {"field": "year_min", "message": "must not be after year_max"}]),
        ("/api/v1/patients/demo-001/observations", {"code": "8480-6", "value": 120,
                                                    "effective": "2024-01-01T00:00:00Z"}, [
            {"field": "unit", "message": "required with value"}]),
    ],
)  # fmt: skip
def test_when_a_body_is_invalid_then_the_problem_names_each_field(
    live_server: LiveServer, path: str, payload: dict[str, object], errors: list[dict[str, str]]
) -> None:
    with logged_in(live_server, "dr.li") as client:
        body = _assert_problem(client.post(path, json=payload), 422, "Invalid input")
    assert body["errors"] == errors


def test_when_a_body_is_larger_than_the_limit_then_it_is_413(limited_server: LiveServer) -> None:
    with logged_in(limited_server, "admin") as client:
        big = {"text": "头痛" * 1500}
        body = _assert_problem(client.post("/api/v1/diagnose", json=big), 413,
                               "Request body too large")  # fmt: skip
        assert body["detail"] == ("the request body is larger than the limit of 2000 bytes "
                                  "(MEDSAGE_MAX_BODY_BYTES)")  # fmt: skip

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts what arrives
            yield b'{"text": "'
            for _ in range(10):
                yield b"a" * 500
            yield b'"}'

        streamed = client.post("/api/v1/diagnose", content=chunks(),
                               headers={"Content-Type": "application/json"})  # fmt: skip
        _assert_problem(streamed, 413, "Request body too large")
        ok = client.post("/api/v1/diagnose", json={"text": "头痛三天"})
        assert ok.status_code == 200


def test_when_a_user_sends_31_requests_in_a_minute_then_the_31st_is_429(
    limited_server: LiveServer,
) -> None:
    with (
        logged_in(limited_server, "researcher") as client,
        logged_in(limited_server, "dr.li") as other,
    ):
        statuses = [client.get("/api/v1/auth/me").status_code for _ in range(30)]
        assert statuses == [200] * 30
        refused = client.get("/api/v1/auth/me")
        body = _assert_problem(refused, 429, "Too many requests")
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert str(body["detail"]).startswith("rate limit of 30 requests per minute reached")
        assert other.get("/api/v1/auth/me").status_code == 200  # the limit is per user
