"""The UI pages: case analysis, consultation, patients, literature, molecules, models.

Each handler parses its form, calls the API route function (same permission checks, same
data) and renders a template; a user-facing error is shown in the page, never a traceback.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from medsage.service import (
    _api_consult,
    _api_drug,
    _api_literature,
    _api_models,
    _api_patients,
    _api_text,
)
from medsage.service._schemas import (
    ConsultIn,
    DiagnoseIn,
    MoleculesIn,
    SearchIn,
    SummarizeIn,
    TrendsIn,
)
from medsage.service._ui import STAFF, Page, attempt, open_page, translator, ui_page
from medsage.service._ui_charts import (
    highlight_spans,
    reliability_chart,
    trend_chart,
    year_bar_chart,
)

router = APIRouter(include_in_schema=False)
MAX_DRAWN_HITS = 24  # structure drawings added to the ranked hits of an uploaded library
DEFAULT_FILTERS = ("lipinski", "pains")
CASE_K = 5


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


# ---- case analysis ---------------------------------------------------------------------------


def _case_segments(report: dict[str, Any], t: Any) -> list[Any]:
    spans: list[tuple[int, int, str, str]] = []
    for finding in report.get("findings", []):
        start, end = finding["span"]
        assertion = str(finding.get("assertion", "present"))
        kind = {"present": "finding", "negated": "negated"}.get(assertion, "uncertain")
        title = t("case.finding_title", concept=finding.get("concept", ""), assertion=assertion)
        spans.append((int(start), int(end), kind, title))
    for measurement in report.get("measurements", []):
        spans.append(
            (int(measurement["start"]), int(measurement["end"]), "measurement",
             t("case.measurement_title", kind=measurement.get("kind", "")))
        )  # fmt: skip
    return highlight_spans(str(report.get("text", "")), spans)


@router.get("/cases")
@ui_page
async def cases(request: Request) -> Response:
    page = await open_page(request)
    page.forbid_unless(*STAFF)
    return page.render("cases.html", text="", case_lang="auto", report=None, error=None)


@router.post("/cases")
@ui_page
async def cases_submit(request: Request) -> Response:
    page = await open_page(request)
    page.forbid_unless(*STAFF)
    form = await _form(request)
    text, case_lang = form.get("text", ""), form.get("lang", "auto")

    async def run() -> Any:
        body = DiagnoseIn.model_validate({"text": text, "lang": case_lang, "k": CASE_K})
        return await _api_text.diagnose(body, page.state, page.caller)

    report, error = await attempt(run())
    segments = _case_segments(report, translator(page.lang)) if report else []
    return page.render(
        "cases.html", text=text, case_lang=case_lang, report=report, error=error,
        segments=segments, status=422 if error else 200,
    )  # fmt: skip


# ---- consultation ----------------------------------------------------------------------------


async def _consult_view(page: Page, conversation_id: str | None, **extra: Any) -> Response:
    state, caller = page.state, page.caller
    history: dict[str, Any] | None = None
    error = extra.pop("error", None)
    if conversation_id:
        history, load_error = await attempt(
            _api_consult.conversation(conversation_id, state, caller)
        )
        error = error or load_error
    past = await _api_consult.conversations(state, caller)
    return page.render(
        "consult.html", history=history, conversations=past[:12], error=error,
        conversation_id=history["id"] if history else "", question=extra.get("question", ""),
        status=extra.get("status", 200 if not error else 404),
    )  # fmt: skip


@router.get("/consult")
@ui_page
async def consult(request: Request, c: str | None = None) -> Response:
    page = await open_page(request)
    return await _consult_view(page, c)


@router.post("/consult")
@ui_page
async def consult_submit(request: Request) -> Response:
    page = await open_page(request)
    form = await _form(request)
    question = form.get("question", "")
    conversation_id = form.get("conversation_id") or None

    async def run() -> Any:
        body = ConsultIn.model_validate({"question": question, "conversation_id": conversation_id})
        return await _api_consult.ask(body, page.state, page.caller)

    answer, error = await attempt(run())
    if error or not answer:
        return await _consult_view(
            page, conversation_id, error=error, question=question, status=422
        )
    # Post/redirect/get: the conversation store holds the answer; a reload asks nothing twice.
    cid = quote(str(answer["conversation_id"]), safe="")
    return RedirectResponse(f"/consult?c={cid}#latest", status_code=303)


# ---- patients --------------------------------------------------------------------------------


@router.get("/patients")
@ui_page
async def patients(request: Request) -> Response:
    page = await open_page(request)
    user = page.caller.user
    if user.role == "patient" and user.patient_id:
        return RedirectResponse(f"/patients/{quote(user.patient_id, safe='')}", status_code=303)
    page.forbid_unless(*STAFF)
    rows = await _api_patients.list_patients(page.state, page.caller)
    return page.render("patients.html", rows=rows)


def _trend_title(code: str, names: dict[str, str]) -> str:
    return names.get(code) or f"LOINC {code}"


@router.get("/patients/{patient_id}")
@ui_page
async def patient_dashboard(
    request: Request, patient_id: str, standard: str | None = None
) -> Response:
    page = await open_page(request)
    state, caller = page.state, page.caller
    chosen = "china" if standard == "china" else "international"
    summary = await _api_patients.get_patient(patient_id, state, caller)
    risks = await _api_patients.risk(patient_id, state, caller)
    alerts = await _api_patients.alerts(patient_id, state, caller, chosen)  # type: ignore[arg-type]
    trends = await _api_patients.trends(patient_id, state, caller, None)
    plan = None
    if caller.user.role != "researcher":
        plan = await _api_patients.plan(patient_id, state, caller, page.lang, chosen)  # type: ignore[arg-type]
    t = translator(page.lang)
    names = {
        str(o.get("code")): str(o.get("display") or "")
        for o in summary.get("latest_observations") or summary.get("observations") or []
    }
    charts = []
    for i, trend in enumerate(trends):
        title = _trend_title(str(trend.get("code", "")), names)
        charts.append(
            {"title": title, "trend": trend, "svg": trend_chart(trend, title, t, f"trend-{i}")}
        )
    return page.render(
        "patient.html", summary=summary, risks=risks, alerts=alerts, charts=charts, plan=plan,
        deidentified=caller.user.role == "researcher", standard=chosen, patient_id=patient_id,
    )  # fmt: skip


# ---- literature ------------------------------------------------------------------------------


def _year(raw: str | None, field: str, t: Any) -> tuple[int | None, str | None]:
    if not raw or not raw.strip():
        return None, None
    if not raw.strip().isdigit():
        return None, t("lit.bad_year", field=field, value=raw[:20])
    return int(raw.strip()), None


@router.get("/literature")
@ui_page
async def literature(request: Request) -> Response:
    page = await open_page(request)
    t = translator(page.lang)
    params = request.query_params
    query = (params.get("q") or "").strip()
    mode = params.get("mode") or "hybrid"
    languages = [v for v in params.getlist("language") if v in ("zh", "en", "mixed")]
    year_min, error_min = _year(params.get("year_min"), t("lit.year_min"), t)
    year_max, error_max = _year(params.get("year_max"), t("lit.year_max"), t)
    form = {
        "q": query, "mode": mode, "languages": languages,
        "year_min": params.get("year_min") or "", "year_max": params.get("year_max") or "",
    }  # fmt: skip
    result: dict[str, Any] = {}
    error = error_min or error_max
    if query and not error:
        fields = {
            "query": query, "mode": mode, "year_min": year_min, "year_max": year_max,
            "languages": languages, "k": 10,
        }  # fmt: skip
        state, caller = page.state, page.caller

        async def search() -> Any:
            return await _api_literature.search(SearchIn.model_validate(fields), state, caller)

        async def summarize() -> Any:
            return await _api_literature.summarize(
                SummarizeIn.model_validate(fields), state, caller
            )

        async def trends() -> Any:
            return await _api_literature.trends(
                TrendsIn.model_validate({"query": query}), state, caller
            )

        result["search"], error = await attempt(search())
        if result["search"] and result["search"]["hits"]:
            result["summary"], result["summary_error"] = await attempt(summarize())
            result["trends"], result["trends_error"] = await attempt(trends())
            per_year = (result["trends"] or {}).get("publications_per_year", [])
            result["year_chart"] = year_bar_chart(per_year, t, "years") if per_year else None
    return page.render(
        "literature.html", form=form, result=result, error=error, status=422 if error else 200
    )


# ---- molecules -------------------------------------------------------------------------------


def _filter_names() -> tuple[str, ...]:
    from medsage.drug._filters import FILTER_NAMES

    return tuple(FILTER_NAMES)


@router.get("/molecules")
@ui_page
async def molecules(request: Request) -> Response:
    page = await open_page(request)
    page.forbid_unless(*STAFF)
    return page.render(
        "molecules.html", smiles="", filters=list(DEFAULT_FILTERS), filter_names=_filter_names(),
        props=None, screen=None, error=None,
    )  # fmt: skip


@router.post("/molecules")
@ui_page
async def molecules_submit(request: Request) -> Response:
    page = await open_page(request)
    page.forbid_unless(*STAFF)
    t = translator(page.lang)
    form = await request.form()
    smiles_text = form.get("smiles")
    smiles_text = smiles_text if isinstance(smiles_text, str) else ""
    chosen = [f for f in form.getlist("filters") if isinstance(f, str)]
    upload = form.get("file")
    lines = [line.strip() for line in smiles_text.splitlines() if line.strip()]
    has_upload = isinstance(upload, UploadFile) and bool(upload.filename)
    props = screen = error = None
    if not lines and not has_upload:
        error = t("mol.nothing")
    if lines:

        async def run_props() -> Any:
            body = MoleculesIn.model_validate({"smiles": lines, "filters": chosen})
            return await _api_drug.props(body, page.caller)

        props, error = await attempt(run_props())
    if has_upload and isinstance(upload, UploadFile) and not error:
        filters = ",".join(chosen)
        screen, error = await attempt(
            _api_drug.screen_upload(page.state, page.caller, upload, filters, None)  # type: ignore[arg-type]
        )
        if screen and screen.get("top_hits"):
            drawn = [h["smiles"] for h in screen["top_hits"][:MAX_DRAWN_HITS] if h.get("smiles")]
            drawings, _ = await attempt(
                _api_drug.props(
                    MoleculesIn.model_validate({"smiles": drawn, "filters": []}), page.caller
                )
            )
            svgs = {m["input"]: m.get("svg") for m in (drawings or {}).get("molecules", [])}
            for hit in screen["top_hits"]:
                hit["svg"] = svgs.get(hit.get("smiles"))
    return page.render(
        "molecules.html", smiles=smiles_text, filters=chosen, filter_names=_filter_names(),
        props=props, screen=screen, error=error, status=422 if error else 200,
    )  # fmt: skip


# ---- models ----------------------------------------------------------------------------------


@router.get("/models")
@ui_page
async def models(request: Request) -> Response:
    page = await open_page(request)
    page.forbid_unless(*STAFF)
    t = translator(page.lang)
    bundles = await _api_models.list_models(page.state, page.caller)
    for i, bundle in enumerate(bundles):
        evaluation = bundle.get("evaluation") or {}
        bins = evaluation.get("reliability") or []
        bundle["reliability_svg"] = reliability_chart(bins, t, f"rel-{i}") if bins else None
    return page.render("models.html", bundles=bundles)
