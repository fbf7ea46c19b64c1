"""Who is calling: OAuth2 bearer tokens (JWT), API keys, or a browser session cookie with CSRF.

- `POST /api/v1/auth/token` (OAuth2 password flow) issues a short-lived HS256 JWT.
- `X-API-Key: msk_...` for system-to-system calls (keys stored hashed by `UserStore`).
- The web UI logs in to an HTTP-only, SameSite=Lax session cookie (itself a signed JWT that
  carries a CSRF token); a state-changing request that rides on the cookie must repeat that
  token in the `X-CSRF-Token` header or a `csrf_token` form field (double submit).
Every request re-reads the user, so disabling a user takes effect at once.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

from medsage.health._users import UserRecord, UserStore
from medsage.service._problems import ProblemError

ALGORITHM = "HS256"
SESSION_COOKIE = "medsage_session"
CSRF_HEADER = "X-CSRF-Token"
API_KEY_HEADER = "X-API-Key"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ISSUER = "medsage"


@dataclass(frozen=True)
class Caller:
    """The authenticated user of one request and how they proved it."""

    user: UserRecord
    method: str  # "token", "api_key" or "session"
    csrf: str | None = None

    @property
    def actor(self) -> str:
        """The name written to the audit log."""
        return f"user:{self.user.username}"


def issue_token(user: UserRecord, secret: str, minutes: int, *, kind: str = "access") -> str:
    """A signed JWT for `user`, valid `minutes`."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": _ISSUER,
        "sub": str(user.id),
        "role": user.role,
        "typ": kind,
        "iat": now,
        "exp": now + minutes * 60,
        "jti": secrets.token_urlsafe(8),
    }
    if kind == "session":
        claims["csrf"] = secrets.token_urlsafe(24)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, secret: str, kind: str) -> dict[str, Any] | None:
    """The claims of a valid, unexpired token of `kind`, else None."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[ALGORITHM], issuer=_ISSUER,
            options={"require": ["exp", "iat", "sub", "typ"]},
        )  # fmt: skip
    except jwt.PyJWTError:
        return None
    return claims if claims.get("typ") == kind else None


def _user_for(users: UserStore, claims: dict[str, Any]) -> UserRecord | None:
    try:
        user = users.get_user_by_id(int(claims["sub"]))
    except (ValueError, LookupError):
        return None
    return None if user.disabled else user


def _unauthenticated(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def authenticate(
    *,
    method: str,
    authorization: str | None,
    api_key: str | None,
    session: str | None,
    csrf_header: str | None,
    csrf_form: str | None,
    users: UserStore,
    secret: str,
) -> Caller:
    """The caller behind a request's credentials; a 401/403 problem when there is none."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthenticated("the Authorization header must be 'Bearer <token>'")
        claims = read_token(token.strip(), secret, "access")
        user = _user_for(users, claims) if claims else None
        if user is None:
            raise _unauthenticated("the access token is invalid or expired; request a new one")
        return Caller(user, "token")
    if api_key:
        user = users.verify_api_key(api_key.strip())
        if user is None:
            raise _unauthenticated("the API key is invalid, revoked or its user is disabled")
        return Caller(user, "api_key")
    if session:
        claims = read_token(session, secret, "session")
        user = _user_for(users, claims) if claims else None
        if user is None or claims is None:
            raise _unauthenticated("the session has expired; log in again")
        csrf = str(claims.get("csrf", ""))
        if method not in SAFE_METHODS:
            sent = csrf_header or csrf_form or ""
            if not csrf or not hmac.compare_digest(sent.encode(), csrf.encode()):
                raise ProblemError(
                    403, "missing or wrong CSRF token for a request made with a session cookie",
                    kind="csrf",
                )  # fmt: skip
        return Caller(user, "session", csrf=csrf)
    raise _unauthenticated(
        "authentication required: a Bearer token (POST /api/v1/auth/token), an X-API-Key "
        "header, or a browser session"
    )
