"""Consultation: safety triage first, then a cited answer; conversations per user."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from medsage.service._access import check_full, resolve_patient_id
from medsage.service._auth import Caller
from medsage.service._deps import StateDep, current_caller
from medsage.service._problems import ProblemError
from medsage.service._schemas import JSON, ConsultIn

router = APIRouter(prefix="/consult", tags=["consultation"])
AnyUser = Annotated[Caller, Depends(current_caller)]


@router.post("/ask", summary="Ask a health question (emergencies are sent to emergency care)")
async def ask(body: ConsultIn, state: StateDep, caller: AnyUser) -> JSON:
    from medsage.consult._records import patient_context

    consultant = state.consultant
    conversation_id = body.conversation_id or consultant.conversations.new_id()
    if not consultant.conversations.claim(conversation_id, caller.actor):
        raise ProblemError(404, f"no conversation {conversation_id!r} of yours")
    context: Any = None
    patient_id = body.patient_id
    if patient_id is None and caller.user.role == "patient":
        patient_id = caller.user.patient_id
    if patient_id is not None:
        patient_id = resolve_patient_id(state, caller, patient_id)  # audit the record id
        check_full(state, caller, patient_id)
        context = await asyncio.to_thread(
            patient_context, patient_id, actor=caller.actor, store=state.records
        )
    answer = await asyncio.to_thread(
        consultant.ask, body.question, patient=context, conversation_id=conversation_id
    )
    data: JSON = answer.to_dict()
    data["conversation_id"] = conversation_id
    return data


@router.get("/conversations", summary="Your conversations")
async def conversations(state: StateDep, caller: AnyUser) -> list[JSON]:
    rows: list[JSON] = state.consultant.conversations.owned_by(caller.actor)
    return rows


@router.get("/conversations/{conversation_id}", summary="The turns of one of your conversations")
async def conversation(conversation_id: str, state: StateDep, caller: AnyUser) -> JSON:
    store = state.consultant.conversations
    owned = {row["id"] for row in store.owned_by(caller.actor)}
    if conversation_id not in owned:
        raise ProblemError(404, f"no conversation {conversation_id!r} of yours")
    turns = store.history(conversation_id)
    return {
        "id": conversation_id,
        "turns": [{"turn": t.turn, "message": t.message, "answer": t.answer} for t in turns],
    }
