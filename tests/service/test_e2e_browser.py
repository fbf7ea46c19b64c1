"""End to end in headless Chromium (Debian's, driven by Playwright) against `medsage serve --demo`.

Each step saves a full-page screenshot to $MEDSAGE_TEST_ARTIFACTS/screenshots (default
<repo>/test-artifacts/screenshots) for a person to look at.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from service_live import LiveServer

from medsage.service._demo import DEMO_USERS

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PASSWORDS = {u: p for u, p, *_rest in DEMO_USERS}
REPO = Path(__file__).resolve().parents[2]
EMERGENCY_CASE = "62岁男性，突发胸骨后压榨样疼痛1小时，大汗，血压90/60mmHg。无发热。"
PASTED = ["CC(=O)Oc1ccccc1C(=O)O", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C", "CC(C)Cc1ccc(cc1)C(C)C(=O)O"]
LIBRARY = (
    "CC(=O)Oc1ccccc1C(=O)O aspirin\nCN1C=NC2=C1C(=O)N(C(=O)N2C)C caffeine\n"
    "CC(C)Cc1ccc(cc1)C(C)C(=O)O ibuprofen\nCC(=O)Nc1ccc(O)cc1 paracetamol\n"
)

pytestmark = pytest.mark.slow


def _browser_or_skip() -> Any:
    reason = None
    if not CHROMIUM.is_file():
        reason = f"{CHROMIUM} is absent (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = reason or "playwright is not installed"
    if reason:
        if os.environ.get("MEDSAGE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"MEDSAGE_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return sync_playwright


@pytest.fixture(scope="module")
def shots() -> Path:
    root = Path(os.environ.get("MEDSAGE_TEST_ARTIFACTS") or REPO / "test-artifacts")
    folder = root / "screenshots"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


def _context(browser: Any, ui_server: LiveServer) -> Any:
    context = browser.new_context(
        base_url=ui_server.url, viewport={"width": 1366, "height": 768}, locale="en-GB",
        accept_downloads=True,
    )  # fmt: skip
    context.set_default_timeout(30_000)
    return context


def _log_in(page: Any, username: str, shots: Path | None = None) -> None:
    page.goto("/login")
    page.get_by_label("Username").press_sequentially(username)
    page.get_by_label("Password").press_sequentially(PASSWORDS[username])
    if shots:
        page.screenshot(path=str(shots / "01-login.png"), full_page=True)
    page.get_by_label("Password").press("Enter")
    page.wait_for_load_state()


def _nav(page: Any) -> list[str]:
    hrefs: list[str] = page.locator("header nav a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return hrefs


def test_when_a_clinician_uses_every_page_in_chromium_then_each_shows_its_results(
    browser: Any, ui_server: LiveServer, shots: Path, tmp_path: Path
) -> None:
    context = _context(browser, ui_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _log_in(page, "dr.li", shots)
    assert page.url.endswith("/cases")
    assert _nav(page) == ["/cases", "/consult", "/patients", "/literature", "/molecules", "/models"]

    page.get_by_label("Case description").fill(EMERGENCY_CASE)
    page.get_by_role("button", name="Analyse case").click()
    banner = page.locator(".banner.emergency[role=alert]")
    banner.wait_for()
    assert banner.locator("h2").inner_text() == "Call emergency services now"
    first_row = page.locator("table.differential tbody tr").first
    assert first_row.locator("th").inner_text() == "acute coronary syndrome"
    assert page.locator(".case-text mark.hl.negated").inner_text() == "发热"
    page.screenshot(path=str(shots / "02-case-emergency.png"), full_page=True)

    page.goto("/consult")
    page.get_by_label("Your question").fill("What are the symptoms of high blood pressure?")
    page.get_by_role("button", name="Ask").click()
    page.wait_for_url(re.compile(r"/consult\?c=\w+"))
    citation = page.locator("#latest a.cite").first
    assert citation.inner_text() == "[1]"
    target = citation.get_attribute("href")
    assert target == "#src-1-1"
    source = page.locator(f"{target} a.source-link")
    assert (source.get_attribute("href") or "").startswith("https://")
    assert page.locator(f"{target} .trust").inner_text() == "trusted source"
    page.screenshot(path=str(shots / "03-consult.png"), full_page=True)

    page.goto("/patients")
    assert page.locator("table tbody tr").count() == 2
    page.screenshot(path=str(shots / "04-patients.png"), full_page=True)
    page.get_by_role("link", name="demo-001").click()
    page.wait_for_url("**/patients/demo-001")
    risks = page.locator("table.risks tbody tr")
    assert risks.filter(has_text="Body mass index").locator("td").first.inner_text() == (
        "32.2 kg/m²"
    )
    assert page.locator(".alert.sev-warning").count() >= 2
    charts = page.locator("figure.chart-figure svg.chart")
    assert charts.count() == 7
    assert charts.first.get_attribute("role") == "img"
    assert page.locator("svg.chart title").first.text_content()
    page.screenshot(path=str(shots / "05-dashboard-demo-001.png"), full_page=True)

    page.goto("/literature")
    page.get_by_label("Search terms").fill("hypertension treatment")
    page.get_by_label("Search terms").press("Enter")
    page.wait_for_url("**/literature?**")
    assert page.locator(".snippet mark").count() >= 1
    assert page.locator("#sum-h").inner_text() == "Cited summary"
    page.screenshot(path=str(shots / "06-literature.png"), full_page=True)

    page.goto("/molecules")
    page.get_by_label("SMILES, one per line").fill("\n".join(PASTED))
    page.get_by_role("button", name="Screen").click()
    rows = page.locator("table.molecules tbody tr")
    rows.first.wait_for()
    assert rows.count() == len(PASTED)
    assert page.locator("td.structure svg").count() == len(PASTED)
    page.screenshot(path=str(shots / "07-molecules-pasted.png"), full_page=True)

    library = tmp_path / "library.smi"
    library.write_text(LIBRARY, encoding="utf-8")
    page.goto("/molecules")
    page.get_by_label("Or upload a library file").set_input_files(str(library))
    page.get_by_role("button", name="Screen").click()
    link = page.get_by_role("link", name="Download CSV")
    link.wait_for()
    assert page.locator("table.hits-table tbody tr").count() == 4
    page.screenshot(path=str(shots / "08-molecules-upload.png"), full_page=True)
    with page.expect_download() as download_info:
        link.click()
    downloaded = Path(download_info.value.path()).read_text(encoding="utf-8")
    table = list(csv.DictReader(io.StringIO(downloaded)))
    assert sorted(r["name"] for r in table) == ["aspirin", "caffeine", "ibuprofen", "paracetamol"]

    page.goto("/models")
    diagram = page.locator("figure.chart-figure svg.chart")
    assert diagram.count() == 1
    assert diagram.locator("line.diagonal").count() == 1
    page.screenshot(path=str(shots / "09-models.png"), full_page=True)

    page.get_by_role("link", name="中文").click()
    page.wait_for_url("**/models")
    assert page.locator("h1").inner_text() == "模型"
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.screenshot(path=str(shots / "10-models-zh.png"), full_page=True)
    page.goto("/cases")
    page.get_by_label("病例描述").fill(EMERGENCY_CASE)
    page.get_by_role("button", name="分析病例").click()
    page.locator(".banner.emergency").wait_for()
    assert page.locator(".banner.emergency h2").inner_text() == "请立即拨打急救电话"
    page.screenshot(path=str(shots / "11-case-zh.png"), full_page=True)
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/login")
    context.close()
    assert errors == []


def test_when_the_patient_logs_in_then_only_consult_and_their_own_dashboard_are_offered(
    browser: Any, ui_server: LiveServer, shots: Path
) -> None:
    context = _context(browser, ui_server)
    page = context.new_page()
    _log_in(page, "patient")
    assert page.url.endswith("/consult")
    assert _nav(page) == ["/consult", "/patients/demo-001"]
    page.get_by_label("Your question").fill("Can I take ibuprofen for my headache?")
    page.get_by_label("Your question").press("Control+Enter")
    page.wait_for_url(re.compile(r"/consult\?c=\w+"))
    notes = page.locator("#latest .personal li")
    assert "lisinopril" in notes.first.inner_text()
    page.get_by_label("Your question").fill("I have crushing chest pain and sweating right now")
    page.get_by_role("button", name="Ask").click()
    page.locator("#latest .banner.emergency").wait_for()
    assert page.locator("#latest .banner.emergency h2").inner_text() == (
        "Call emergency services now"
    )
    assert page.locator(".chat > li").count() == 2
    page.screenshot(path=str(shots / "12-patient-consult.png"), full_page=True)
    page.get_by_role("link", name="My record").click()
    page.wait_for_url("**/patients/demo-001")
    assert page.locator("svg.chart").count() == 7
    page.screenshot(path=str(shots / "13-patient-dashboard.png"), full_page=True)
    response = page.goto("/patients/demo-002")
    assert response is not None and response.status == 403
    page.screenshot(path=str(shots / "14-patient-forbidden.png"), full_page=True)
    context.close()
