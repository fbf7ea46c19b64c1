"""The web UI over HTTP against a real `medsage serve --demo`: login, CSRF, roles, language."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from service_live import LiveServer

from medsage.service._demo import DEMO_USERS

PASSWORDS = {u: p for u, p, *_rest in DEMO_USERS}
STAFF_NAV = ["/cases", "/consult", "/patients", "/literature", "/molecules", "/models"]
EXPECTED_NAV = {
    "admin": STAFF_NAV,
    "dr.li": STAFF_NAV,
    "researcher": STAFF_NAV,
    "patient": ["/consult", "/patients/demo-001"],
}
STAFF_PAGES = ["/cases", "/consult", "/patients", "/literature", "/molecules", "/models"]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_NAV = re.compile(r'<nav aria-label="[^"]*">(.*?)</nav>', re.S)


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no csrf_token field"
    return match.group(1)


def log_in(client: httpx.Client, username: str, next_path: str = "") -> httpx.Response:
    form_page = client.get("/login")
    assert form_page.status_code == 200
    return client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORDS[username],
            "csrf_token": csrf_of(form_page.text),
            "next": next_path,
        },
    )


def nav_links(html: str) -> list[str]:
    match = _NAV.search(html)
    return re.findall(r'<a href="([^"]+)"', match.group(1)) if match else []


@pytest.fixture(scope="module")
def sessions(ui_server: LiveServer) -> Iterator[dict[str, httpx.Client]]:
    """One logged-in browser-like client per role (logins are rate limited per address)."""
    clients = {}
    for username in EXPECTED_NAV:
        client = httpx.Client(base_url=ui_server.url, timeout=120)
        assert log_in(client, username).status_code == 303
        clients[username] = client
    yield clients
    for client in clients.values():
        client.close()


def test_when_logging_in_with_the_form_then_an_httponly_session_cookie_opens_the_role_home(
    ui_server: LiveServer,
) -> None:
    with httpx.Client(base_url=ui_server.url, timeout=60) as client:
        response = log_in(client, "dr.smith")
        cookie = next(
            h for h in response.headers.get_list("set-cookie") if h.startswith("medsage_session=")
        )
        home = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/cases"
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
    assert (home.status_code, home.headers["location"]) == (303, "/cases")


def test_when_the_password_is_wrong_then_the_login_page_says_so_with_401(
    ui_server: LiveServer,
) -> None:
    with httpx.Client(base_url=ui_server.url, timeout=60) as client:
        form = client.get("/login")
        response = client.post(
            "/login",
            data={"username": "dr.li", "password": "not-the-password", "csrf_token": csrf_of(
                form.text)},
        )  # fmt: skip
    assert response.status_code == 401
    assert "Wrong username or password, or the account is disabled." in response.text
    assert "medsage_session" not in response.headers.get("set-cookie", "")


def test_when_the_login_form_lacks_its_csrf_token_then_it_is_refused_with_403(
    ui_server: LiveServer,
) -> None:
    with httpx.Client(base_url=ui_server.url, timeout=60) as client:
        client.get("/login")
        response = client.post("/login", data={"username": "dr.li", "password": PASSWORDS["dr.li"]})
    assert response.status_code == 403
    assert "The login form expired or was not sent from this site" in response.text


@pytest.mark.parametrize(
    "path", ["/", "/cases", "/consult", "/patients", "/patients/demo-001", "/literature",
             "/molecules", "/models"],
)  # fmt: skip
def test_when_nobody_is_logged_in_then_a_page_redirects_to_login_with_next(
    ui_server: LiveServer, path: str
) -> None:
    response = httpx.get(ui_server.url + path, timeout=60)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"


def test_when_next_points_off_site_then_login_goes_to_the_role_home(
    ui_server: LiveServer, sessions: dict[str, httpx.Client]
) -> None:
    client = sessions["admin"]
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = client.get("/login", params={"next": target})
        assert (response.status_code, response.headers["location"]) == (303, "/cases")
    assert client.get("/login", params={"next": "/models"}).headers["location"] == "/models"


def test_when_a_form_post_lacks_the_csrf_token_then_it_is_refused_with_403(
    sessions: dict[str, httpx.Client],
) -> None:
    client = sessions["dr.li"]
    response = client.post("/cases", data={"text": "chest pain"})
    wrong = client.post("/consult", data={"question": "hello", "csrf_token": "forged"})
    logout = client.post("/logout", data={})
    assert response.status_code == 403
    assert "missing or wrong CSRF token" in response.text
    assert (wrong.status_code, logout.status_code) == (403, 403)
    assert client.get("/cases").status_code == 200  # still logged in


@pytest.mark.parametrize("username", sorted(EXPECTED_NAV))
def test_when_a_role_logs_in_then_the_nav_shows_exactly_its_pages(
    sessions: dict[str, httpx.Client], username: str
) -> None:
    page = sessions[username].get("/consult")
    assert page.status_code == 200
    assert nav_links(page.text) == EXPECTED_NAV[username]


@pytest.mark.parametrize("username", ["admin", "dr.li", "researcher"])
@pytest.mark.parametrize("path", STAFF_PAGES)
def test_when_staff_open_their_pages_then_each_returns_200(
    sessions: dict[str, httpx.Client], username: str, path: str
) -> None:
    response = sessions[username].get(path)
    assert response.status_code == 200, response.text[-500:]
    assert '<main id="main"' in response.text
    assert "MedSage assists clinicians, researchers and patients" in response.text


def test_when_the_patient_uses_the_ui_then_only_consult_and_their_dashboard_open(
    sessions: dict[str, httpx.Client],
) -> None:
    client = sessions["patient"]
    statuses = {p: client.get(p).status_code for p in ["/cases", "/molecules", "/models"]}
    own = client.get("/patients/demo-001")
    other = client.get("/patients/demo-002")
    assert statuses == {"/cases": 403, "/molecules": 403, "/models": 403}
    assert client.get("/consult").status_code == 200
    assert client.get("/patients").headers["location"] == "/patients/demo-001"
    assert own.status_code == 200 and "Demo John" in own.text
    assert other.status_code == 403
    assert "you may not access this patient&#39;s record" in other.text
    assert "小明" not in other.text


def test_when_a_clinician_opens_an_unassigned_patient_then_403(
    sessions: dict[str, httpx.Client],
) -> None:
    response = sessions["dr.li"].get("/patients/demo-003")
    assert response.status_code == 403
    assert "Mary" not in response.text


def test_when_a_researcher_opens_a_dashboard_then_it_is_de_identified(
    sessions: dict[str, httpx.Client],
) -> None:
    client = sessions["researcher"]
    listing = client.get("/patients").text
    ids = re.findall(r'href="/patients/(R-[0-9a-f]{16})"', listing)
    dashboard = client.get(f"/patients/{ids[0]}")
    assert len(ids) == 3
    assert "demo-00" not in listing and "John" not in listing
    assert dashboard.status_code == 200
    assert "Researcher view: de-identified data" in dashboard.text
    assert "John" not in dashboard.text and "lisinopril" not in dashboard.text


def test_when_switching_to_zh_then_the_page_language_and_headings_change(
    ui_server: LiveServer, sessions: dict[str, httpx.Client]
) -> None:
    client = sessions["researcher"]
    switch = client.get("/lang/zh", params={"next": "/models"})
    page = client.get("/models")
    client.get("/lang/en", params={"next": "/"})
    back = client.get("/models")
    accept = httpx.get(ui_server.url + "/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert (switch.status_code, switch.headers["location"]) == (303, "/models")
    assert '<html lang="zh-CN">' in page.text and "<h1>模型</h1>" in page.text
    assert '<html lang="en">' in back.text and "<h1>Models</h1>" in back.text
    assert '<html lang="zh-CN">' in accept.text and "<h1>登录</h1>" in accept.text


def test_when_an_emergency_case_is_analysed_then_the_banner_comes_first_with_the_differential(
    sessions: dict[str, httpx.Client],
) -> None:
    client = sessions["dr.li"]
    csrf = csrf_of(client.get("/cases").text)
    response = client.post(
        "/cases",
        data={"text": "62岁男性，突发胸骨后压榨样疼痛1小时，大汗，血压90/60mmHg。无发热。",
              "lang": "auto", "csrf_token": csrf},
    )  # fmt: skip
    html = response.text
    assert response.status_code == 200
    banner = html.index('class="banner emergency" role="alert"')
    assert html.index("Call emergency services now") > banner
    assert html.index('class="differential"') > banner
    assert '<mark class="hl negated" title="fever (negated)">发热</mark>' in html
    assert '<th scope="row">acute coronary syndrome</th>' in html
    assert "MedSage assists, it never gives a final diagnosis" in html


def test_when_logging_out_then_the_session_cookie_is_cleared(ui_server: LiveServer) -> None:
    with httpx.Client(base_url=ui_server.url, timeout=60) as client:
        log_in(client, "admin")
        csrf = csrf_of(client.get("/models").text)
        response = client.post("/logout", data={"csrf_token": csrf})
        after = client.get("/models")
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert 'medsage_session=""' in response.headers["set-cookie"]
    assert (after.status_code, after.headers["location"]) == (303, "/login?next=/models")
