"""FastAPI dependencies: the service state, the caller, role checks, rate limiting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from medsage.service._auth import (
    API_KEY_HEADER,
    CSRF_HEADER,
    SESSION_COOKIE,
    Caller,
    authenticate,
)
from medsage.service._problems import ProblemError
from medsage.service._state import ServiceState

# Declared for the OpenAPI document (so /docs offers both schemes); checked in `current_caller`.
_oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_api_key = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)


def get_state(request: Request) -> ServiceState:
    state: ServiceState | None = getattr(request.app.state, "medsage", None)
    if state is None or not state.ready:
        raise ProblemError(503, "the service is starting; try again in a moment")
    return state


async def current_caller(
    request: Request,
    state: Annotated[ServiceState, Depends(get_state)],
    _token: Annotated[str | None, Depends(_oauth2)] = None,
    _key: Annotated[str | None, Depends(_api_key)] = None,
    csrf_header: Annotated[str | None, Header(alias=CSRF_HEADER, include_in_schema=False)] = None,
) -> Caller:
    csrf_form = None
    content_type = request.headers.get("content-type", "")
    if (
        request.method not in ("GET", "HEAD", "OPTIONS")
        and not csrf_header
        and (content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")))
    ):
        form = await request.form()
        value = form.get("csrf_token")
        csrf_form = value if isinstance(value, str) else None
    caller = authenticate(
        method=request.method,
        authorization=request.headers.get("authorization"),
        api_key=request.headers.get(API_KEY_HEADER),
        session=request.cookies.get(SESSION_COOKIE),
        csrf_header=csrf_header,
        csrf_form=csrf_form,
        users=state.users,
        secret=state.settings.secret_key,
    )
    wait = state.limiter.check(f"user:{caller.user.id}")
    if wait is not None:
        raise ProblemError(
            429, f"rate limit of {state.limiter.per_minute} requests per minute reached; retry "
            f"in {wait:.0f} s", headers={"Retry-After": str(max(1, round(wait)))},
        )  # fmt: skip
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]
StateDep = Annotated[ServiceState, Depends(get_state)]


def require_roles(*roles: str) -> Callable[[Caller], Caller]:
    """A dependency that lets only `roles` through (403 for the others)."""

    def check(caller: CallerDep) -> Caller:
        if caller.user.role not in roles:
            raise ProblemError(
                403, f"this action needs the role {' or '.join(roles)}; you are "
                f"{caller.user.role}",
            )  # fmt: skip
        return caller

    return check
