"""The bilingual (en/zh) web UI: server-rendered Jinja2 pages over the API route functions.

Pages call the same functions the API routes are (`_api_text.diagnose(...)` and so on), so
the permission checks and the data are the API's; this module adds the browser session
(login with its own CSRF token, an HTTP-only session cookie, logout), the language switch
and the page frame. Pages work without JavaScript; /static/app.js only adds comfort.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final, ParamSpec
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import ChainableUndefined, Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError

from medsage.errors import MedSageError
from medsage.service._auth import CSRF_HEADER, SESSION_COOKIE, Caller, issue_token
from medsage.service._deps import current_caller, get_state
from medsage.service._middleware import client_key
from medsage.service._problems import ProblemError, status_of
from medsage.service._state import ServiceState

log = logging.getLogger("medsage.service.ui")

LANGUAGES: Final = ("en", "zh")
LANG_COOKIE: Final = "medsage_lang"
LOGIN_CSRF_COOKIE: Final = "medsage_login_csrf"
LOGIN_CSRF_MINUTES: Final = 30
STAFF: Final = ("admin", "clinician", "researcher")
MAX_CREDENTIAL = 200  # characters of a username or password accepted by the login form
# Navigation: (key, path, roles). A patient's "my record" item points at their own dashboard.
NAV: Final = (
    ("nav.cases", "/cases", STAFF),
    ("nav.consult", "/consult", (*STAFF, "patient")),
    ("nav.patients", "/patients", STAFF),
    ("nav.my_record", "/patients/{own}", ("patient",)),
    ("nav.literature", "/literature", STAFF),
    ("nav.molecules", "/molecules", STAFF),
    ("nav.models", "/models", STAFF),
)
_PACKAGE = resources.files("medsage.service")
P = ParamSpec("P")


def _folder(name: str) -> Path:
    return Path(str(_PACKAGE.joinpath(name)))


@functools.cache
def locale(lang: str) -> dict[str, str]:
    """The strings of one language (`locales/<lang>.json`)."""
    if lang not in LANGUAGES:
        raise KeyError(lang)
    text = _PACKAGE.joinpath("locales", f"{lang}.json").read_text(encoding="utf-8")
    data: dict[str, str] = json.loads(text)
    return data


def translator(lang: str) -> Callable[..., str]:
    """`t(key, **values)`: the string of `key` in `lang` (English, then the key, as fallback)."""
    strings, fallback = locale(lang), locale("en")

    def t(key: str, **values: object) -> str:
        text = strings.get(key) or fallback.get(key)
        if text is None:
            log.warning("missing UI string %s", key)
            return key
        return text.format(**values) if values else text

    return t


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's language, else the best of Accept-Language we speak, else English."""
    if cookie in LANGUAGES:
        return str(cookie)
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return sorted(ranked)[0][2] if ranked else "en"


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this site ("/x", never "//host" or "/\\host"), else default."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or any(ch in target for ch in "\\\r\n\t")
        or len(target) > 2000
    ):
        return default
    return target


def home_for(caller: Caller) -> str:
    return "/cases" if caller.user.role in STAFF else "/consult"


def nav_items(caller: Caller) -> list[tuple[str, str]]:
    """(label key, path) of the pages the caller's role may use, in menu order."""
    out = []
    for key, path, roles in NAV:
        if caller.user.role not in roles:
            continue
        if "{own}" in path:
            if not caller.user.patient_id:
                continue
            path = path.replace("{own}", quote(caller.user.patient_id, safe=""))
        out.append((key, path))
    return out


@functools.cache
def _environment() -> Environment:
    from medsage.service import _ui_charts

    env = Environment(
        loader=FileSystemLoader(str(_folder("templates"))),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["molecule_svg"] = _ui_charts.safe_molecule_svg
    env.globals["snippet_segments"] = _ui_charts.snippet_segments
    env.globals["citation_segments"] = _ui_charts.citation_segments
    env.filters["pct"] = _percent
    env.filters["num"] = _number
    return env


def _percent(value: object) -> str:
    if not isinstance(value, int | float):
        return "–"
    if 0 < value < 0.001:
        return "<0.1%"
    return f"{value * 100:.1f}%"


def _number(value: object, digits: int = 2) -> str:
    if value is None or value == "":
        return "–"
    try:
        number = float(str(value))
    except ValueError:
        return str(value)
    return f"{number:.{digits}f}"


def language_of(request: Request) -> str:
    return choose_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    caller: Caller | None = None,
    status: int = 200,
) -> HTMLResponse:
    """A page in the request's language, with the frame's navigation for `caller`."""
    lang = language_of(request)
    page = {
        "lang": lang,
        "t": translator(lang),
        "caller": caller,
        "nav": nav_items(caller) if caller else [],
        "csrf": caller.csrf if caller and caller.csrf else "",
        "path": request.url.path,
        "here": _here(request),
        "other_lang": "zh" if lang == "en" else "en",
        **context,
    }
    html = _environment().get_template(template).render(page)
    return HTMLResponse(html, status_code=status)


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query and request.method == "GET" else "")


def _login_redirect(request: Request) -> RedirectResponse:
    target = quote(_here(request), safe="/")
    return RedirectResponse(f"/login?next={target}", status_code=303)


def error_message(exc: BaseException) -> str:
    """What a page shows for a failed call: the problem's detail, never a traceback."""
    if isinstance(exc, ProblemError):
        return exc.detail
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()[:5]
        )
    return str(exc)


class PageExit(Exception):
    """Raised inside a page handler to answer with `response` at once."""

    def __init__(self, response: Response) -> None:
        super().__init__("page exit")
        self.response = response


@dataclass(frozen=True)
class Page:
    """The state, caller and language of one UI request."""

    request: Request
    state: ServiceState
    caller: Caller

    @property
    def lang(self) -> str:
        return language_of(self.request)

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return render(self.request, template, context, caller=self.caller, status=status)

    def forbid_unless(self, *roles: str) -> None:
        """A 403 page unless the caller has one of `roles` (the API routes' role sets)."""
        if self.caller.user.role not in roles:
            t = translator(self.lang)
            raise PageExit(
                render(
                    self.request, "error.html",
                    {"status": 403, "message": t("error.role", role=self.caller.user.role)},
                    caller=self.caller, status=403,
                )
            )  # fmt: skip


async def open_page(request: Request) -> Page:
    """The page context; a redirect to /login (PageExit) when nobody is logged in."""
    state = get_state(request)
    try:
        caller = await current_caller(request, state, None, None, request.headers.get(CSRF_HEADER))
    except ProblemError as exc:
        if exc.status == 401:
            raise PageExit(_login_redirect(request)) from None
        raise
    return Page(request, state, caller)


async def attempt(call: Awaitable[Any]) -> tuple[Any, str | None]:
    """(result, None) or (None, message) for a call that may raise a user-facing error."""
    try:
        return await call, None
    except (ProblemError, MedSageError, ValidationError) as exc:
        return None, error_message(exc)


def ui_page(
    handler: Callable[P, Awaitable[Response]],
) -> Callable[P, Awaitable[Response]]:
    """Turn PageExit into its response and errors into an error page (never a traceback)."""

    @functools.wraps(handler)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        request = next(a for a in (*args, *kwargs.values()) if isinstance(a, Request))
        try:
            return await handler(*args, **kwargs)
        except PageExit as exit_:
            return exit_.response
        except (ProblemError, MedSageError) as exc:
            status = exc.status if isinstance(exc, ProblemError) else status_of(exc)
            if status == 401:
                return _login_redirect(request)
            caller = getattr(request.state, "caller", None)
            return render(
                request, "error.html", {"status": status, "message": error_message(exc)},
                caller=caller if isinstance(caller, Caller) else None, status=status,
            )  # fmt: skip

    return wrapper


router = APIRouter(include_in_schema=False)


def _set_cookie(
    response: Response, state: ServiceState, name: str, value: str, seconds: int, path: str = "/"
) -> None:
    response.set_cookie(
        name, value, max_age=seconds, path=path, httponly=True, samesite="lax",
        secure=state.settings.secure_cookies,
    )  # fmt: skip


def _login_form(
    request: Request, state: ServiceState, *, next_path: str, error: str | None, status: int,
    username: str = "",
) -> HTMLResponse:  # fmt: skip
    token = secrets.token_urlsafe(24)
    response = render(
        request, "login.html",
        {"login_csrf": token, "next_path": next_path, "error": error, "username": username},
        status=status,
    )  # fmt: skip
    _set_cookie(response, state, LOGIN_CSRF_COOKIE, token, LOGIN_CSRF_MINUTES * 60, "/login")
    return response


@router.get("/login")
@ui_page
async def login_page(request: Request, next: str | None = None) -> Response:
    state = get_state(request)
    target = safe_next(next, "")
    if request.cookies.get(SESSION_COOKIE):
        try:
            page = await open_page(request)
        except (PageExit, ProblemError):
            pass
        else:
            return RedirectResponse(target or home_for(page.caller), status_code=303)
    return _login_form(request, state, next_path=target, error=None, status=200)


@router.post("/login")
@ui_page
async def login_submit(request: Request) -> Response:
    state = get_state(request)
    t = translator(language_of(request))
    form = await request.form()
    fields = {k: v if isinstance(v, str) else "" for k, v in form.items()}
    target = safe_next(fields.get("next"), "")
    username = fields.get("username", "")[:MAX_CREDENTIAL]

    def again(message: str, status: int) -> HTMLResponse:
        return _login_form(
            request, state, next_path=target, error=message, status=status, username=username
        )

    if state.login_limiter.check(client_key(request)) is not None:
        return again(t("login.too_many"), 429)
    sent, expected = fields.get("csrf_token", ""), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return again(t("login.expired_form"), 403)
    password = fields.get("password", "")
    if not username or not password or len(password) > MAX_CREDENTIAL:
        return again(t("login.failed"), 401)
    user = await asyncio.to_thread(state.users.authenticate, username, password)
    if user is None:
        log.info("UI login refused")
        return again(t("login.failed"), 401)
    settings = state.settings
    token = issue_token(user, settings.secret_key, settings.session_hours * 60, kind="session")
    destination = target or ("/cases" if user.role in STAFF else "/consult")
    response = RedirectResponse(destination, status_code=303)
    _set_cookie(response, state, SESSION_COOKIE, token, settings.session_hours * 3600)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    log.info("UI login of user %d", user.id)
    return response


@router.post("/logout")
@ui_page
async def logout(request: Request) -> Response:
    await open_page(request)  # checks the CSRF token: a cross-site form cannot log you out
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
async def switch_language(request: Request, code: str, next: str | None = None) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        _set_cookie(response, get_state(request), LANG_COOKIE, code, 365 * 24 * 3600)
    return response


@router.get("/")
@ui_page
async def root(request: Request) -> Response:
    page = await open_page(request)
    return RedirectResponse(home_for(page.caller), status_code=303)


def install(app: FastAPI) -> None:
    """Mount /static and the UI routes on `app` (called by `create_app`)."""
    from medsage.service import _ui_pages

    app.mount("/static", StaticFiles(directory=str(_folder("static"))), name="static")
    app.include_router(router)
    app.include_router(_ui_pages.router)
