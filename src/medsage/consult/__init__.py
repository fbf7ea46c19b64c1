"""Consultation assistant: safety triage first, answers grounded in trusted sources, cited.

`Consultant.ask(question)` triages every message with the diagnosis red-flag rules, sends
emergencies to emergency care, asks clarifying questions when a message is too vague, and
otherwise answers with sentences taken from trusted documents (`KnowledgeBase`), each cited,
personalised with a patient's record when one is given.
"""

from __future__ import annotations

from medsage.consult._consultant import ConsultAnswer, Consultant
from medsage.consult._conversations import ConversationStore
from medsage.consult._knowledge import KnowledgeBase, Passage, curated_documents
from medsage.consult._personal import PatientContext, PersonalNote, RecordItem, personal_notes
from medsage.consult._question import QuestionInfo, understand

__all__ = [
    "ConsultAnswer",
    "Consultant",
    "ConversationStore",
    "KnowledgeBase",
    "Passage",
    "PatientContext",
    "PersonalNote",
    "QuestionInfo",
    "RecordItem",
    "curated_documents",
    "personal_notes",
    "understand",
]
