"""Literature: hybrid search with filters, cited extractive summaries, publication trends."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from medsage.service._auth import Caller
from medsage.service._deps import StateDep, current_caller
from medsage.service._problems import ProblemError
from medsage.service._schemas import JSON, SearchIn, SummarizeIn, TrendsIn
from medsage.service._state import ServiceState

router = APIRouter(prefix="/literature", tags=["literature"])
AnyUser = Annotated[Caller, Depends(current_caller)]


def _index(state: ServiceState) -> Any:
    if state.literature is None:
        raise ProblemError(
            503, "no literature index is loaded; build one with `medsage lit index` and set "
            "MEDSAGE_LITERATURE_INDEX, or start with --demo", kind="no-index",
        )  # fmt: skip
    return state.literature


def _filters(body: SearchIn) -> dict[str, Any]:
    if body.year_min is not None and body.year_max is not None and body.year_min > body.year_max:
        raise ProblemError(
            422, f"year_min {body.year_min} is after year_max {body.year_max}",
            errors=[{"field": "year_min", "message": "must not be after year_max"}],
        )  # fmt: skip
    return {
        "year_min": body.year_min,
        "year_max": body.year_max,
        "languages": tuple(body.languages),
        "sources": tuple(body.sources),
    }


def _search(state: ServiceState, body: SearchIn) -> list[Any]:
    index = _index(state)
    if body.mode == "dense" and index.encoder is None:
        raise ProblemError(422, "this index has no dense vectors; use mode bm25 or hybrid")
    hits: list[Any] = index.search(body.query, k=body.k, mode=body.mode, filters=_filters(body))
    return hits


@router.post("/search", summary="Search the literature (BM25, dense or hybrid)")
async def search(body: SearchIn, state: StateDep, _caller: AnyUser) -> JSON:
    hits = await asyncio.to_thread(_search, state, body)
    return {"query": body.query, "mode": body.mode, "hits": [h.to_dict() for h in hits]}


@router.post("/summarize", summary="A cited extractive summary of the best hits")
async def summarize(body: SummarizeIn, state: StateDep, _caller: AnyUser) -> JSON:
    from medsage.literature import summarize as summarize_documents

    hits = await asyncio.to_thread(_search, state, body)
    if not hits:
        raise ProblemError(404, f"no document matches {body.query!r}: nothing to summarise")
    summary = await asyncio.to_thread(
        summarize_documents, [h.document for h in hits], body.query, max_sentences=body.sentences
    )
    data: JSON = summary.to_dict()
    return data


@router.post("/trends", summary="Publications per year, top MeSH headings and terms")
async def trends(body: TrendsIn, state: StateDep, _caller: AnyUser) -> JSON:
    from medsage.literature import trends as compute_trends

    index = _index(state)

    def run() -> Any:
        docs = (
            [h.document for h in index.search(body.query, k=body.k, mode="bm25")]
            if body.query else list(index.documents())
        )  # fmt: skip
        return compute_trends(docs, body.query)

    result = await asyncio.to_thread(run)
    data: JSON = result.to_dict()
    return data
