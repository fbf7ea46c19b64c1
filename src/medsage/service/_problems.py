"""RFC 9457 problem details for every error; no stack trace ever reaches a client.

A `MedSageError` keeps its message (it was written for users: what was received, what was
expected). Anything else becomes a plain 500 whose body holds only a request id; the
traceback goes to the server log, which never holds request bodies.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from medsage.errors import (
    DataFormatError,
    EmptyInputError,
    InvalidInputError,
    MedSageError,
    MissingFileError,
    ModelBundleError,
    UnknownNameError,
)

log = logging.getLogger("medsage.service")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://medsage.dev/problems/"

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class ProblemError(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.headers = headers or {}
        self.errors = errors


def problem_body(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    kind: str | None = None,
    errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The JSON document of a problem (RFC 9457 section 3)."""
    title = TITLES.get(status, "Error")
    slug = kind or title.lower().replace(" ", "-")
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return body


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, str]] | None = None,
) -> JSONResponse:
    body = problem_body(status, detail, instance=request.url.path, kind=kind, errors=errors)
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_of(exc: MedSageError) -> int:
    """The HTTP status a library error maps to."""
    if isinstance(exc, UnknownNameError | MissingFileError):
        return 404
    if isinstance(exc, ModelBundleError):
        return 503
    if isinstance(exc, EmptyInputError | DataFormatError | InvalidInputError):
        return 422
    return 400


def _field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    out = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
        out.append({"field": ".".join(location) or "body", "message": str(error.get("msg", ""))})
    return out


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            request, exc.status, exc.detail, kind=exc.kind, headers=exc.headers, errors=exc.errors
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem_response(request, 422, detail or "the request is not valid", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        headers = dict(exc.headers) if exc.headers else None
        return problem_response(request, exc.status_code, detail, headers=headers)

    @app.exception_handler(MedSageError)
    async def _medsage(request: Request, exc: MedSageError) -> JSONResponse:
        return problem_response(request, status_of(exc), str(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", "-")
        # the frames only: an exception's message may quote the request (and so PHI)
        log.error(
            "unhandled %s on %s %s (request %s)\n%s",
            type(exc).__name__, request.method, request.url.path, request_id,
            "".join(traceback.format_tb(exc.__traceback__)),
        )  # fmt: skip
        return problem_response(
            request, 500, f"the server failed to handle this request (request id {request_id})"
        )
