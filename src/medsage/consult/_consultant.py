"""`Consultant.ask`: triage first, then a cited answer from trusted sources, personalised.

Order of work for every message:
1. Triage with the diagnosis red-flag rules. An emergency gets the emergency answer (call the
   emergency number now, in the user's language) and nothing else that could delay care.
2. A message too vague to search ("I feel unwell", "我不舒服") gets clarifying questions.
3. Otherwise retrieve from the knowledge base and answer with sentences taken from the cited
   passages (or, with an LLM backend, a generated answer that passes the grounding check).
   Follow-ups and pushback in a conversation search the topic of the conversation's first
   question, so insisting on a claim does not change the grounded content.
4. With a patient record: cautions and related conditions, each with its record items.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from medsage.consult._compose import compose, render
from medsage.consult._conversations import ConversationStore
from medsage.consult._knowledge import KnowledgeBase, Passage
from medsage.consult._personal import PatientContext, PersonalNote, personal_notes
from medsage.consult._question import QuestionInfo, check_message, topic_terms, understand
from medsage.diagnosis import triage
from medsage.settings import get_settings

EMERGENCY_NUMBERS = {"zh": "120", "en": "911"}
SNIPPET_CHARS = 300

DISCLAIMER = {
    "en": "MedSage gives general information from the sources cited; it does not diagnose or "
    "replace a clinician. In an emergency call {number}.",
    "zh": "MedSage 提供的是来自所引用资料的一般健康信息，不能作出诊断，也不能代替医生。"
    "紧急情况请拨打{number}。",
}
EMERGENCY_TEXT = {
    "en": "This may be a medical emergency. Call {number} now or go to the nearest emergency "
    "department; do not wait for an online answer. Warning signs: {signs}.",
    "zh": "这可能是紧急情况。请立即拨打{number}急救电话或尽快到最近的急诊就医，不要等待在线回复。"
    "危险信号：{signs}。",
}
CLARIFY_TEXT = {
    "en": "To help, I need a little more detail.",
    "zh": "为了更好地帮助您，请再提供一些信息。",
}
CLARIFYING_QUESTIONS = {
    "en": [
        "What symptoms do you have, and since when?",
        "Where in the body is the problem, and how severe is it (0-10)?",
        "Do you have a long-term condition, or take any medicines?",
    ],
    "zh": [
        "您有哪些具体症状？从什么时候开始的？",
        "不舒服的部位在哪里？严重程度如何（0-10分）？",
        "您有慢性病吗？正在服用什么药物？",
    ],
}
NO_SOURCE_TEXT = {
    "en": "I found no trusted source in the knowledge base that answers this question.",
    "zh": "知识库中没有找到能回答这个问题的可靠资料。",
}
PUSHBACK_NOTICE = {
    "en": "The answer stays with the cited sources; they do not support changing it.",
    "zh": "回答以所引用的资料为准；这些资料不支持改变上述内容。",
}
COMMUNITY_NOTICE = {
    "en": "Some citations are community answers (lower trust); check them with a clinician.",
    "zh": "部分引用来自网络问答（可信度较低），请与医生核实。",
}
FOLLOW_UPS = {
    "en": {
        "symptoms": ["How long have you had these symptoms?", "Do you have a fever?"],
        "treatment": ["Are you taking any other medicines?", "Do you have any allergies?"],
        "side_effects": [
            "Which other medicines do you take?",
            "Do you have kidney or liver disease?",
        ],
        "information": ["Would you like to know about symptoms, causes or treatment?"],
    },
    "zh": {
        "symptoms": ["这些症状持续多久了？", "有没有发热？"],
        "treatment": ["您还在服用其他药物吗？", "您有药物过敏吗？"],
        "side_effects": ["您还在服用哪些药物？", "您有肝肾疾病吗？"],
        "information": ["您想了解症状、病因还是治疗？"],
    },
}


@dataclass
class ConsultAnswer:
    """One answer of the assistant. `mode`: emergency, clarify, extractive, llm or no_source."""

    language: str
    triage: dict[str, Any]
    answer: str
    citations: list[dict[str, Any]]
    follow_up_questions: list[str]
    disclaimer: str
    mode: str
    question_type: str = "information"
    sentences: list[dict[str, Any]] = field(default_factory=list)
    personal_notes: list[dict[str, Any]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    conversation_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _citation(passage: Passage) -> dict[str, Any]:
    doc = passage.document
    return {
        "number": passage.number,
        "id": doc.id,
        "title": doc.title,
        "source": doc.source,
        "url": doc.url,
        "focus": doc.extra.get("focus", ""),
        "trust": passage.trust,
        "snippet": doc.text[:SNIPPET_CHARS],
    }


class Consultant:
    """The consultation assistant (see the module docstring for the order of work).

    Args:
        kb: a `KnowledgeBase` or its folder (default `$MEDSAGE_HOME/consult/kb`, built from the
            curated demo knowledge on first use).
        conversations: a `ConversationStore` or its SQLite path (default under MEDSAGE_HOME).
        llm: an optional `LlmBackend` (see `medsage.consult._llm`).
        emergency_numbers: language -> number, default 120 (zh) and 911 (en).
        k: passages retrieved per question.
    """

    def __init__(
        self,
        kb: KnowledgeBase | str | Path | None = None,
        *,
        conversations: ConversationStore | str | Path | None = None,
        llm: Any = None,
        emergency_numbers: Mapping[str, str] | None = None,
        k: int = 5,
    ) -> None:
        self.kb = kb if isinstance(kb, KnowledgeBase) else KnowledgeBase.open(kb)
        if conversations is None:
            conversations = get_settings().home / "consult" / "conversations.sqlite3"
        self.conversations = (
            conversations
            if isinstance(conversations, ConversationStore)
            else ConversationStore(conversations)
        )
        self.llm = llm
        self.numbers = {**EMERGENCY_NUMBERS, **(emergency_numbers or {})}
        self.k = k

    def ask(
        self,
        question: str,
        *,
        patient: PatientContext | None = None,
        conversation_id: str | None = None,
    ) -> ConsultAnswer:
        """Answer one message (see the module docstring)."""
        message = check_message(question)
        history = self.conversations.history(conversation_id) if conversation_id else []
        default_lang = history[-1].answer.get("language", "en") if history else "en"
        info = understand(message, default_lang)
        lang = info.language
        number = self.numbers.get(lang, self.numbers["en"])
        found = triage(message, lang)
        triage_out: dict[str, Any] = {
            "level": found.level,
            "rules": [{"rule_id": r.rule_id, "title": r.title, "level": r.level}
                      for r in found.rules],
            "advice": found.rules[0].advice if found.rules else "",
        }  # fmt: skip
        disclaimer = DISCLAIMER[lang].format(number=number)
        if found.level == "emergency":
            signs = ("、" if lang == "zh" else "; ").join(
                r.title for r in found.rules if r.level == "emergency"
            )
            text = EMERGENCY_TEXT[lang].format(number=number, signs=signs)
            triage_out["advice"] = text
            answer = ConsultAnswer(lang, triage_out, text, [], [], disclaimer, "emergency",
                                   info.qtype)  # fmt: skip
            return self._remember(conversation_id, message, message, answer)
        query, anchored = self._query(message, info, history)
        if query is None:
            answer = ConsultAnswer(
                lang,
                triage_out,
                CLARIFY_TEXT[lang],
                [],
                CLARIFYING_QUESTIONS[lang],
                disclaimer,
                "clarify",
                info.qtype,
            )
            return self._remember(conversation_id, message, message, answer)  # fmt: skip
        passages = self.kb.retrieve(query, lang, k=self.k)
        # Sentences are chosen by the searched topic, so pushback cannot steer them.
        searched = replace(info, topic_terms=topic_terms(query))
        answer = self._answer(message, searched, passages, triage_out, disclaimer)
        if anchored and info.pushback:
            answer.notices.append(PUSHBACK_NOTICE[lang])
        if patient is not None:
            notes: list[PersonalNote] = personal_notes(message, patient, lang)
            answer.personal_notes = [n.to_dict() for n in notes]
        return self._remember(conversation_id, message, query, answer)

    def _query(
        self, message: str, info: QuestionInfo, history: list[Any]
    ) -> tuple[str | None, bool]:
        """What to search: the message, or the conversation's topic for follow-ups and pushback
        (second value True then); None when the message is too vague and there is no topic."""
        topic = next((t.query for t in history if t.answer.get("mode") != "clarify"), None)
        if topic is not None and (info.pushback or info.vague):
            return topic, True
        if topic is not None and set(info.topic_terms) & set(topic_terms(topic)):
            return f"{topic} {message}", False  # a follow-up on the conversation's topic
        if info.vague:
            clarified = " ".join(t.message for t in history if t.answer.get("mode") == "clarify")
            if clarified and understand(f"{clarified} {message}").topic_terms:
                return f"{clarified} {message}", False
            return None, False
        return message, False

    def _answer(
        self, message: str, info: QuestionInfo, passages: list[Passage],
        triage_out: dict[str, Any], disclaimer: str,
    ) -> ConsultAnswer:  # fmt: skip
        lang = info.language
        follow = FOLLOW_UPS[lang].get(info.qtype, FOLLOW_UPS[lang]["information"])
        sentences = compose(info, passages)
        if not sentences:
            return ConsultAnswer(lang, triage_out, NO_SOURCE_TEXT[lang], [], follow, disclaimer,
                                 "no_source", info.qtype)  # fmt: skip
        mode, text = "extractive", render(sentences, lang)
        notices: list[str] = []
        rows = [{"text": s.text, "citation": s.citation} for s in sentences]
        cited = {s.citation for s in sentences}
        if self.llm is not None:
            from medsage.consult._llm import BackendError, grounded_answer

            try:
                generated = grounded_answer(message, passages, self.llm, lang)
                if generated.supported:
                    mode, text = "llm", generated.text
                    rows = [{"text": s, "citations": list(c)} for s, c in generated.sentences]
                    cited = {n for _s, numbers in generated.sentences for n in numbers}
                else:
                    notices.append(f"generated answer not used: {generated.reason}")
            except BackendError as exc:
                notices.append(f"generated answer not used: {exc}")
        citations = [_citation(p) for p in passages if p.number in cited]
        if any(c["trust"] == "community" for c in citations):
            notices.append(COMMUNITY_NOTICE[lang])
        return ConsultAnswer(lang, triage_out, text, citations, follow, disclaimer, mode,
                             info.qtype, rows, [], notices)  # fmt: skip

    def _remember(
        self, conversation_id: str | None, message: str, query: str, answer: ConsultAnswer
    ) -> ConsultAnswer:
        if conversation_id is not None:
            answer.conversation_id = conversation_id
            self.conversations.append(conversation_id, message, query, answer.to_dict())
        return answer
