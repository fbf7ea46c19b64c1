"""RFC 9457 problem documents and the mapping of library errors to statuses (no server)."""

from __future__ import annotations

import pytest

from medsage.errors import (
    DataFormatError,
    EmptyInputError,
    InvalidInputError,
    MedSageError,
    MissingFileError,
    ModelBundleError,
    UnknownNameError,
)
from medsage.service._middleware import _route_template, _unsupported_media_type
from medsage.service._problems import PROBLEM_BASE, problem_body, status_of


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (UnknownNameError("no patient 'x'"), 404),
        (MissingFileError("no file"), 404),
        (ModelBundleError("broken bundle"), 503),
        (EmptyInputError("empty"), 422),
        (DataFormatError("bad csv"), 422),
        (InvalidInputError("bad value"), 422),
        (MedSageError("other"), 400),
    ],
)
def test_when_a_library_error_is_raised_then_it_maps_to_its_status(
    error: MedSageError, status: int
) -> None:
    assert status_of(error) == status


def test_when_a_problem_is_built_then_it_has_the_rfc_9457_members() -> None:
    body = problem_body(404, "no patient 'demo-404'", instance="/api/v1/patients/demo-404")
    assert body == {
        "type": PROBLEM_BASE + "not-found", "title": "Not found", "status": 404,
        "detail": "no patient 'demo-404'", "instance": "/api/v1/patients/demo-404",
    }  # fmt: skip


def test_when_a_problem_has_a_kind_and_field_errors_then_both_are_kept() -> None:
    errors = [{"field": "k", "message": "Input should be greater than or equal to 1"}]
    body = problem_body(422, "k: too small", kind="validation", errors=errors)
    assert body == {
        "type": "https://medsage.dev/problems/validation", "title": "Invalid input",
        "status": 422, "detail": "k: too small", "errors": errors,
    }  # fmt: skip


def test_when_the_status_is_unknown_then_the_title_is_generic() -> None:
    assert problem_body(418, "teapot")["title"] == "Error"
    assert problem_body(418, "teapot")["type"] == PROBLEM_BASE + "error"


@pytest.mark.parametrize(
    ("method", "path", "content_type", "refused"),
    [
        ("POST", "/api/v1/diagnose", b"text/plain", "text/plain"),
        ("POST", "/api/v1/diagnose", b"application/xml; charset=utf-8", "application/xml"),
        ("POST", "/api/v1/diagnose", b"application/json", None),
        ("POST", "/api/v1/patients/import", b"application/fhir+json", None),
        ("POST", "/api/v1/auth/token", b"application/x-www-form-urlencoded", None),
        ("POST", "/api/v1/drug/screen/upload", b"multipart/form-data; boundary=x", None),
        ("GET", "/api/v1/patients", b"text/plain", None),
        ("POST", "/login", b"text/plain", None),  # the web UI answers for itself
    ],
)
def test_when_an_api_body_has_a_content_type_then_only_unreadable_ones_are_refused(
    method: str, path: str, content_type: bytes, refused: str | None
) -> None:
    scope = {"method": method, "headers": [(b"content-type", content_type)]}
    assert _unsupported_media_type(scope, path) == refused


class _Route:
    def __init__(self, path: str) -> None:
        self.path = path


@pytest.mark.parametrize(
    ("template", "path", "label"),
    [
        ("/patients/{patient_id}/risk", "/api/v1/patients/demo-002/risk",
         "/api/v1/patients/{patient_id}/risk"),
        ("/healthz", "/healthz", "/healthz"),
        ("/patients/{patient_id}", "/patients/demo-001", "/patients/{patient_id}"),
    ],
)  # fmt: skip
def test_when_a_request_is_counted_then_its_label_is_the_full_route_template(
    template: str, path: str, label: str
) -> None:
    assert _route_template({"route": _Route(template), "path": path}) == label
    assert _route_template({"path": "/static/app.css"}) == "static"
