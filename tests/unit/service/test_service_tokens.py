"""Access and session tokens, and how credentials become a caller (no server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from medsage.health._users import UserStore
from medsage.service._auth import ALGORITHM, authenticate, issue_token, read_token
from medsage.service._problems import ProblemError
from medsage.service._settings import DEVELOPMENT_SECRET

SECRET = "s" * 40


@pytest.fixture()
def users(tmp_path: Path) -> Iterator[UserStore]:
    store = UserStore(f"sqlite:///{tmp_path / 'users.sqlite3'}")
    store.add_user("dr.test", "a-long-test-password", "clinician")
    yield store
    store.close()


def _login(users: UserStore, **credentials: str | None) -> object:
    given = {"authorization": None, "api_key": None, "session": None, "csrf_header": None,
             "csrf_form": None, **credentials}  # fmt: skip
    return authenticate(method=str(given.pop("method", "GET")), users=users, secret=SECRET, **given)


def test_when_a_token_is_issued_then_it_reads_back_with_its_claims(users: UserStore) -> None:
    user = users.get_user("dr.test")
    claims = read_token(issue_token(user, SECRET, 15), SECRET, "access")
    assert claims is not None
    assert (claims["sub"], claims["role"], claims["typ"], claims["iss"]) == (
        str(user.id), "clinician", "access", "medsage"
    )  # fmt: skip
    assert claims["exp"] - claims["iat"] == 900


@pytest.mark.parametrize(
    ("minutes", "secret", "kind"),
    [(-1, SECRET, "access"), (15, DEVELOPMENT_SECRET, "access"), (15, SECRET, "session")],
    ids=["expired", "other-secret", "wrong-kind"],
)
def test_when_a_token_is_expired_foreign_or_of_another_kind_then_it_is_rejected(
    users: UserStore, minutes: int, secret: str, kind: str
) -> None:
    token = issue_token(users.get_user("dr.test"), secret, minutes)
    assert read_token(token, SECRET, kind) is None


def test_when_a_token_lacks_the_type_claim_then_it_is_rejected() -> None:
    token = jwt.encode({"iss": "medsage", "sub": "1", "iat": 1, "exp": 4_000_000_000},
                       SECRET, algorithm=ALGORITHM)  # fmt: skip
    assert read_token(token, SECRET, "access") is None


def test_when_a_session_token_is_issued_then_it_carries_a_csrf_token(users: UserStore) -> None:
    claims = read_token(issue_token(users.get_user("dr.test"), SECRET, 5, kind="session"),
                        SECRET, "session")  # fmt: skip
    assert claims is not None and len(claims["csrf"]) == 32


def test_when_a_valid_bearer_token_is_sent_then_the_caller_is_its_user(users: UserStore) -> None:
    token = issue_token(users.get_user("dr.test"), SECRET, 15)
    caller = _login(users, authorization=f"Bearer {token}")
    assert (caller.user.username, caller.method, caller.actor) == (  # type: ignore[attr-defined]
        "dr.test", "token", "user:dr.test"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("credentials", "detail"),
    [
        ({}, "authentication required: a Bearer token (POST /api/v1/auth/token), an X-API-Key "
             "header, or a browser session"),
        ({"authorization": "Basic abc"}, "the Authorization header must be 'Bearer <token>'"),
        ({"authorization": "Bearer not-a-jwt"},
         "the access token is invalid or expired; request a new one"),
        ({"api_key": "msk_wrong"}, "the API key is invalid, revoked or its user is disabled"),
        ({"session": "nope"}, "the session has expired; log in again"),
    ],
)  # fmt: skip
def test_when_credentials_are_missing_or_wrong_then_it_is_401(
    users: UserStore, credentials: dict[str, str], detail: str
) -> None:
    with pytest.raises(ProblemError) as caught:
        _login(users, **credentials)
    assert (caught.value.status, caught.value.detail) == (401, detail)
    assert caught.value.headers == {"WWW-Authenticate": "Bearer"}


def test_when_the_user_is_disabled_then_their_token_stops_working(users: UserStore) -> None:
    token = issue_token(users.get_user("dr.test"), SECRET, 15)
    users.set_disabled("dr.test", True)
    with pytest.raises(ProblemError) as caught:
        _login(users, authorization=f"Bearer {token}")
    assert caught.value.status == 401


def test_when_an_api_key_is_revoked_then_it_stops_working(users: UserStore) -> None:
    secret, record = users.create_api_key("dr.test", "lab system")
    assert _login(users, api_key=secret).method == "api_key"  # type: ignore[attr-defined]
    users.revoke_api_key(record.id)
    with pytest.raises(ProblemError) as caught:
        _login(users, api_key=secret)
    assert caught.value.status == 401


def test_when_a_session_posts_without_its_csrf_token_then_it_is_403(users: UserStore) -> None:
    session = issue_token(users.get_user("dr.test"), SECRET, 5, kind="session")
    csrf = str((read_token(session, SECRET, "session") or {})["csrf"])
    with pytest.raises(ProblemError) as caught:
        _login(users, method="POST", session=session, csrf_header="forged")
    assert (caught.value.status, caught.value.kind) == (403, "csrf")
    caller = _login(users, method="POST", session=session, csrf_header=csrf)
    assert caller.method == "session"  # type: ignore[attr-defined]
