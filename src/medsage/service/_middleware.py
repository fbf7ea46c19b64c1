"""ASGI middleware: request ids, body-size limit, security headers, metrics and access log.

The access log names the method, the route template (never the concrete path or query, which
may hold identifiers), the status and the duration: no PHI.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections import deque
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medsage.service._problems import PROBLEM_JSON, problem_body

access_log = logging.getLogger("medsage.service.access")

# Content-Security-Policy: everything from this origin only; inline styles are allowed for
# the server-rendered charts (SVG style attributes), scripts only from /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class Metrics:
    """Prometheus metrics of one app (its own registry, so several apps can live in a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "medsage_http_requests", "HTTP requests by route and status",
            ["method", "route", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "medsage_http_request_seconds", "HTTP request duration by route",
            ["method", "route"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )  # fmt: skip


class RateLimiter:
    """At most `per_minute` requests per key in any sliding 60-second window (thread-safe)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str, now: float | None = None) -> float | None:
        """Record a hit for `key`; None when allowed, else the seconds until the next slot."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= 60.0:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(0.0, 60.0 - (now - hits[0]))
            hits.append(now)
            if len(self._hits) > 100_000:  # forget idle keys so memory stays bounded
                for stale in [k for k, v in self._hits.items() if not v][:50_000]:
                    del self._hits[stale]
            return None


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        # FastAPI keeps an included router's routes without the include prefix (/api/v1):
        # put back the static leading segments, so API and UI routes stay apart.
        concrete = str(scope.get("path", "")).split("/")
        depth = path.count("/")
        if path.startswith("/") and len(concrete) - 1 > depth:
            return "/".join(concrete[: len(concrete) - depth]) + path
        return path
    return "static" if str(scope.get("path", "")).startswith("/static/") else "unmatched"


class ServiceMiddleware:
    """One pass over every HTTP request: id, size limit, headers, metrics, access log."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, metrics: Metrics, production: bool
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 500}
        path = str(scope.get("path", ""))

        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._too_large(scope, send, request_id)
            self._record(scope, 413, started)
            return
        media = _unsupported_media_type(scope, path)
        if media is not None:
            detail = (
                f"the API reads JSON, form or multipart bodies, got Content-Type {media!r}; send "
                "application/json"
            )
            await self._send_problem(scope, send, request_id, 415, detail)
            self._record(scope, 415, started)
            return

        received = 0
        limit = self.max_body_bytes
        # Set when a body without (or with a false) Content-Length runs past the limit. The
        # app may catch the error while parsing (FastAPI answers 400 "error parsing the
        # body"), so its response is replaced by the 413 here rather than trusted to re-raise.
        overflow = {"seen": False, "answered": False}

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflow["seen"] = True
                    raise _BodyTooLarge()
            return message

        async def send_with_headers(message: Message) -> None:
            if overflow["seen"]:
                if message["type"] == "http.response.start" and not overflow["answered"]:
                    overflow["answered"] = True
                    status_holder["status"] = 413
                    await self._too_large(scope, send, request_id)
                return
            if message["type"] == "http.response.start":
                status_holder["status"] = int(message["status"])
                headers = list(message.get("headers", []))
                headers.extend(self._security_headers(path, request_id))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            if not overflow["answered"]:
                await self._too_large(scope, send, request_id)
            status_holder["status"] = 413
        self._record(scope, status_holder["status"], started)

    def _security_headers(self, path: str, request_id: str) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"x-request-id", request_id.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"content-security-policy", CSP.encode()),
        ]
        if not path.startswith("/static/"):
            headers.append((b"cache-control", b"no-store"))
        if self.production:
            headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        return headers

    async def _too_large(self, scope: Scope, send: Send, request_id: str) -> None:
        detail = (
            f"the request body is larger than the limit of {self.max_body_bytes} bytes "
            "(MEDSAGE_MAX_BODY_BYTES)"
        )
        await self._send_problem(scope, send, request_id, 413, detail)

    async def _send_problem(
        self, scope: Scope, send: Send, request_id: str, status: int, detail: str
    ) -> None:
        body = problem_body(status, detail, instance=str(scope.get("path", "")))
        body["request_id"] = request_id
        payload = json.dumps(body).encode()
        headers = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(payload)).encode()),
            (b"connection", b"close"),
            *self._security_headers(str(scope.get("path", "")), request_id),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def _record(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route = _route_template(scope)
        method = str(scope.get("method", ""))
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.latency.labels(method, route).observe(elapsed)
        access_log.info("%s %s %d %.1f ms", method, route, status, elapsed * 1000)


class _BodyTooLarge(Exception):
    pass


# Bodies the API parses; anything else sent to /api/ is refused with 415 (FastAPI alone would
# answer 422 "not a valid dictionary", which hides the real mistake).
_API_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _unsupported_media_type(scope: Scope, path: str) -> str | None:
    """The Content-Type of an API request body the API cannot read, else None."""
    if not path.startswith("/api/") or scope.get("method") not in _BODY_METHODS:
        return None
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            media = value.decode("latin-1").split(";", 1)[0].strip().lower()
            if not media:
                return None
            if media == "application/json" or media.endswith("+json"):
                return None
            return None if media in _API_MEDIA_TYPES else media
    return None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def client_key(scope_or_request: Any) -> str:
    """The rate-limit key of an anonymous client: its address."""
    client = getattr(scope_or_request, "client", None)
    return f"ip:{client.host}" if client else "ip:unknown"
