"""Operations: liveness, readiness and Prometheus metrics (no authentication, no data)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from medsage.service._problems import ProblemError

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: stores open and models loaded")
async def readyz(request: Request) -> dict[str, object]:
    state = getattr(request.app.state, "medsage", None)
    if state is None or not state.ready:
        raise ProblemError(503, "not ready: the service is still loading")
    return {
        "status": "ready",
        "database": state.records.dialect,
        "model": state.classifier is not None,
        "literature": state.literature is not None,
        "drug_models": len(state.drug_models),
    }


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    state = getattr(request.app.state, "medsage", None)
    registry = state.metrics.registry if state is not None else request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
