"""Authentication (OAuth2 password flow, API keys) and user administration (admin)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from medsage.health._users import ApiKeyRecord
from medsage.service._auth import Caller, issue_token
from medsage.service._deps import CallerDep, StateDep, require_roles
from medsage.service._middleware import client_key
from medsage.service._problems import ProblemError
from medsage.service._schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    Assignment,
    Token,
    UserCreate,
    UserPublic,
)

router = APIRouter(prefix="/auth", tags=["auth"])
users_router = APIRouter(prefix="/users", tags=["users"])
Admin = Annotated[Caller, Depends(require_roles("admin"))]


@router.post("/token", summary="OAuth2 password flow: a short-lived bearer token")
async def token(
    request: Request, state: StateDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> Token:
    wait = state.login_limiter.check(client_key(request))
    if wait is not None:
        raise ProblemError(
            429, "too many login attempts from this address; wait a minute",
            headers={"Retry-After": str(max(1, round(wait)))},
        )  # fmt: skip
    user = await asyncio.to_thread(state.users.authenticate, form.username, form.password)
    if user is None:
        raise ProblemError(
            401, "wrong username or password, or the user is disabled",
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    minutes = state.settings.token_minutes
    return Token(
        access_token=issue_token(user, state.settings.secret_key, minutes),
        expires_in=minutes * 60,
    )


@router.get("/me", summary="Who you are")
async def me(caller: CallerDep) -> UserPublic:
    return UserPublic(**caller.user.to_dict())


@router.post("/keys", status_code=201, summary="Create an API key for yourself (shown once)")
async def create_key(body: ApiKeyCreate, state: StateDep, caller: CallerDep) -> ApiKeyCreated:
    secret, record = await asyncio.to_thread(
        state.users.create_api_key, caller.user.username, body.name
    )
    return ApiKeyCreated(secret=secret, **_key_fields(record))


@router.get("/keys", summary="Your API keys (never the secrets)")
async def list_keys(state: StateDep, caller: CallerDep) -> list[ApiKeyPublic]:
    keys = await asyncio.to_thread(state.users.list_api_keys, caller.user.username)
    return [ApiKeyPublic(**_key_fields(k)) for k in keys]


@router.delete("/keys/{key_id}", status_code=204, summary="Revoke one of your API keys")
async def revoke_key(key_id: int, state: StateDep, caller: CallerDep) -> None:
    keys = await asyncio.to_thread(state.users.list_api_keys, caller.user.username)
    if key_id not in {k.id for k in keys}:
        raise ProblemError(404, f"no API key {key_id} of yours")
    await asyncio.to_thread(state.users.revoke_api_key, key_id)


def _key_fields(record: ApiKeyRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in ("id", "name", "prefix", "created", "revoked")}


@users_router.get("", summary="All users (admin)")
async def list_users(state: StateDep, _caller: Admin) -> list[UserPublic]:
    users = await asyncio.to_thread(state.users.list_users)
    return [UserPublic(**u.to_dict()) for u in users]


@users_router.post("", status_code=201, summary="Create a user (admin)")
async def create_user(body: UserCreate, state: StateDep, _caller: Admin) -> UserPublic:
    user = await asyncio.to_thread(
        state.users.add_user, body.username, body.password, body.role,
        patient_id=body.patient_id, display_name=body.display_name,
    )  # fmt: skip
    return UserPublic(**user.to_dict())


@users_router.post("/{username}/disable", summary="Disable a user (admin)")
async def disable_user(username: str, state: StateDep, caller: Admin) -> UserPublic:
    if username == caller.user.username:
        raise ProblemError(409, "you cannot disable yourself")
    user = await asyncio.to_thread(state.users.set_disabled, username, True)
    return UserPublic(**user.to_dict())


@users_router.post("/{username}/enable", summary="Enable a user (admin)")
async def enable_user(username: str, state: StateDep, _caller: Admin) -> UserPublic:
    user = await asyncio.to_thread(state.users.set_disabled, username, False)
    return UserPublic(**user.to_dict())


@users_router.get("/{username}/patients", summary="Patients assigned to a clinician (admin)")
async def assigned(username: str, state: StateDep, _caller: Admin) -> list[str]:
    state.users.get_user(username)
    return sorted(await asyncio.to_thread(state.users.assigned_patients, username))


@users_router.post("/{username}/patients", status_code=204, summary="Assign a patient (admin)")
async def assign(username: str, body: Assignment, state: StateDep, _caller: Admin) -> None:
    await asyncio.to_thread(state.users.assign, username, body.patient_id)


@users_router.delete(
    "/{username}/patients/{patient_id}", status_code=204, summary="Unassign a patient (admin)"
)
async def unassign(username: str, patient_id: str, state: StateDep, _caller: Admin) -> None:
    await asyncio.to_thread(state.users.unassign, username, patient_id)
