"""Text applications: classify, explain, diagnose (case analysis) and de-identify."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from medsage.service._auth import Caller
from medsage.service._deps import StateDep, require_roles
from medsage.service._problems import ProblemError
from medsage.service._schemas import JSON, ClassifyIn, DeidIn, DiagnoseIn, ExplainIn
from medsage.service._state import ServiceState

router = APIRouter(tags=["case analysis"])
Staff = Annotated[Caller, Depends(require_roles("admin", "clinician", "researcher"))]


def _model(state: ServiceState) -> Any:
    if state.classifier is None:
        raise ProblemError(
            503, "no classifier is loaded; start the service with --demo or set MEDSAGE_MODEL "
            "to a bundle folder (medsage train)", kind="no-model",
        )  # fmt: skip
    return state.classifier


@lru_cache(maxsize=8)
def _deidentifier(lang: str, operator: str) -> Any:
    from medsage.privacy import Deidentifier

    return Deidentifier(lang, operators=operator)


@router.post("/classify", summary="Classify texts with the loaded model")
async def classify(body: ClassifyIn, state: StateDep, _caller: Staff) -> JSON:
    model = _model(state)
    if any(not t.strip() for t in body.texts):
        raise ProblemError(422, "texts must not hold empty or blank strings")
    proba = await asyncio.to_thread(model.predict_proba, body.texts)
    labels = list(model.classes_)
    results = []
    for row in proba:
        order = sorted(range(len(labels)), key=lambda i: -float(row[i]))[: body.top_k]
        results.append(
            {
                "label": labels[order[0]],
                "top": [
                    {"label": labels[i], "probability": round(float(row[i]), 6)} for i in order
                ],
            }
        )
    return {"model": str(state.model_dir.name if state.model_dir else ""), "results": results}


@router.post("/explain", summary="Token-level explanation of a prediction")
async def explain(body: ExplainIn, state: StateDep, _caller: Staff) -> JSON:
    from medsage.models import explain as explain_text

    model = _model(state)
    if body.label is not None and body.label not in model.classes_:
        raise ProblemError(
            422, f"label {body.label!r} is not one of the model's labels: "
            f"{', '.join(model.classes_)}",
        )  # fmt: skip
    result = await asyncio.to_thread(
        explain_text, model, body.text, label=body.label, steps=body.steps
    )
    return {
        "label": result.label,
        "probability": result.probability,
        "method": result.method,
        "words": [
            {"word": w.word, "start": w.start, "end": w.end, "score": w.score} for w in result.words
        ],
    }


@router.post("/diagnose", summary="Case analysis: triage, findings, differential, ICD-10")
async def diagnose(body: DiagnoseIn, state: StateDep, _caller: Staff) -> JSON:
    from medsage.diagnosis import analyze_case

    report = await asyncio.to_thread(
        analyze_case, body.text, model=state.classifier, lang=body.lang, k=body.k
    )
    data: JSON = report.to_dict()
    return data


@router.post("/deid", summary="De-identify a text (names, ids, dates, phones, addresses)")
async def deid(body: DeidIn, _caller: Staff) -> JSON:
    deidentifier = _deidentifier(body.lang, body.operator)
    result = await asyncio.to_thread(deidentifier.anonymize, body.text)
    data: JSON = result.to_dict()
    return data
