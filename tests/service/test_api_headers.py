"""Security headers, closed CORS, health and readiness probes, Prometheus metrics."""

from __future__ import annotations

import re

from service_live import LiveServer
from test_api_errors import logged_in

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def test_when_the_api_answers_then_it_sends_the_security_headers(live_server: LiveServer) -> None:
    with logged_in(live_server, "dr.li") as client:
        for response in (client.get("/api/v1/patients"), client.get("/api/v1/patients/demo-003"),
                         client.get("/healthz")):  # fmt: skip
            headers = response.headers
            assert headers["content-security-policy"] == CSP
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["x-frame-options"] == "DENY"
            assert headers["referrer-policy"] == "no-referrer"
            assert headers["cache-control"] == "no-store"
            assert re.fullmatch(r"[0-9a-f]{16}", headers["x-request-id"])
            assert "strict-transport-security" not in headers  # development: plain HTTP


def test_when_a_static_path_is_requested_then_it_is_cacheable_but_still_protected(
    live_server: LiveServer,
) -> None:
    with live_server.client() as client:
        response = client.get("/static/app.css")
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "no-store" not in response.headers.get("cache-control", "")


def test_when_a_browser_sends_an_origin_then_cors_stays_closed(live_server: LiveServer) -> None:
    with logged_in(live_server, "dr.li") as client:
        simple = client.get("/api/v1/patients", headers={"Origin": "https://evil.example"})
        preflight = client.options("/api/v1/patients", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})  # fmt: skip
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code == 405


def test_when_probes_are_called_then_they_answer_without_credentials(
    live_server: LiveServer,
) -> None:
    with live_server.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
    assert (ready.status_code, ready.json()["status"], ready.json()["model"]) == (
        200,
        "ready",
        True,
    )


def test_when_metrics_are_scraped_then_they_count_route_templates_without_patient_ids(
    live_server: LiveServer,
) -> None:
    with logged_in(live_server, "dr.li") as client:
        for _ in range(3):
            assert client.get("/api/v1/patients/demo-002/risk").status_code == 200
        response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=")
    text = response.text
    line = re.search(
        r'^medsage_http_requests_total\{method="GET",route="/api/v1/patients/\{patient_id\}/risk",'
        r'status="200"\} (\d+)\.0$', text, re.MULTILINE,
    )  # fmt: skip
    assert line is not None and int(line.group(1)) >= 3
    assert "# TYPE medsage_http_request_seconds histogram" in text
    assert "demo-00" not in text and "R-" not in text
