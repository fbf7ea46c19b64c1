"""Consultant.ask on the curated demo knowledge: modes, citations, conversations, pushback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsage.consult import Consultant, PatientContext, RecordItem
from medsage.errors import EmptyInputError, InvalidInputError

DATA = Path(__file__).resolve().parents[2] / "data" / "consult"


def _rows(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines() if line]


def test_when_emergency_then_only_the_emergency_answer_in_the_users_language(
    consultant: Consultant,
) -> None:
    en = consultant.ask("I have crushing chest pain and I am sweating")
    zh = consultant.ask("我胸口剧痛，出冷汗，喘不上气")
    assert (en.mode, zh.mode) == ("emergency", "emergency")
    assert en.answer.startswith("This may be a medical emergency. Call 911 now")
    assert zh.answer.startswith("这可能是紧急情况。请立即拨打120急救电话")
    assert (en.citations, en.follow_up_questions, zh.citations) == ([], [], [])
    assert en.triage["level"] == "emergency"


def test_when_emergency_numbers_are_configured_then_they_are_used(
    consultant: Consultant,
) -> None:
    consultant.numbers = {"en": "999", "zh": "120"}
    answer = consultant.ask("I want to kill myself")
    assert "Call 999 now" in answer.answer


def test_when_question_is_answered_then_every_sentence_is_in_its_cited_passage(
    consultant: Consultant,
) -> None:
    for question in [
        "What are the symptoms of high blood pressure?",
        "Do antibiotics help a cold?",
        "感冒了要吃抗生素吗",
        "痛风怎么预防",
    ]:
        answer = consultant.ask(question)
        assert answer.mode == "extractive"
        by_number = {c["number"]: c for c in answer.citations}
        for sentence in answer.sentences:
            cited = consultant.kb.get(by_number[sentence["citation"]]["id"])
            assert sentence["text"] in cited.text
        assert answer.answer.count("[") == len(answer.sentences)


def test_when_chinese_question_then_chinese_sources_and_disclaimer(
    consultant: Consultant,
) -> None:
    answer = consultant.ask("感冒了要吃抗生素吗")
    assert answer.language == "zh"
    assert all(c["id"].startswith("zh-") for c in answer.citations)
    assert answer.disclaimer.endswith("紧急情况请拨打120。")


@pytest.mark.parametrize("message", ["I feel unwell", "我不舒服", "help"])
def test_when_message_is_vague_then_clarifying_questions(
    consultant: Consultant, message: str
) -> None:
    answer = consultant.ask(message)
    assert answer.mode == "clarify"
    assert len(answer.follow_up_questions) == 3
    assert answer.citations == []


def test_when_clarified_in_the_next_turn_then_answered(consultant: Consultant) -> None:
    cid = consultant.conversations.new_id()
    assert consultant.ask("I feel unwell", conversation_id=cid).mode == "clarify"
    answer = consultant.ask("I have gout in my big toe", conversation_id=cid)
    assert answer.mode == "extractive"
    assert answer.citations[0]["focus"].lower().startswith("gout")
    assert [t.turn for t in consultant.conversations.history(cid)] == [1, 2]


def test_when_user_pushes_back_then_the_grounded_content_does_not_change(
    consultant: Consultant,
) -> None:
    rows = [r for r in _rows("pushback.jsonl") if r["lang"] == "zh"]
    assert len(rows) >= 8
    same = 0
    for row in rows:
        cid = consultant.conversations.new_id()
        first = consultant.ask(str(row["first"]), conversation_id=cid)
        second = consultant.ask(str(row["second"]), conversation_id=cid)
        assert (first.mode, second.mode) == ("extractive", "extractive"), row["id"]
        for phrase in row["must_not_contain"]:  # type: ignore[attr-defined]
            assert phrase.lower() not in second.answer.lower(), (row["id"], phrase)
        if second.notices:  # recognised as pushback: the very same grounded answer
            assert second.answer == first.answer, row["id"]
            same += 1
    assert same == 6  # of 8: two insist without a cue word, and are answered from the sources


def test_when_patient_takes_warfarin_and_asks_about_ibuprofen_then_caution_with_record_item(
    consultant: Consultant,
) -> None:
    patient = PatientContext(
        "p1",
        conditions=(RecordItem("condition", "c1", "Chronic kidney disease stage 3", "N18.3"),),
        medications=(RecordItem("medication", "m1", "Warfarin 5 mg tablet"),),
        allergies=(RecordItem("allergy", "a1", "Penicillin"),),
    )
    answer = consultant.ask("Can I take ibuprofen for my back pain?", patient=patient)
    ids = [n["text"].split(";")[0] for n in answer.personal_notes]
    assert ids == [
        "You take an anticoagulant or antiplatelet medicine (Warfarin 5 mg tablet)",
        "Your record shows kidney disease or reduced kidney function "
        "(Chronic kidney disease stage 3)",
    ]
    assert [n["record_items"][-1]["id"] for n in answer.personal_notes] == ["m1", "c1"]
    penicillin = consultant.ask("Is amoxicillin good for a sore throat?", patient=patient)
    assert [n["record_items"][-1]["id"] for n in penicillin.personal_notes] == ["a1"]


@pytest.mark.parametrize(
    ("message", "error"),
    [("", EmptyInputError), ("   ", EmptyInputError), ("x" * 5001, InvalidInputError)],
)
def test_when_message_is_empty_or_huge_then_clear_error(
    consultant: Consultant, message: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        consultant.ask(message)


def test_when_vague_table_is_read_then_the_measured_share_is_right(
    consultant: Consultant,
) -> None:
    from medsage.consult import understand

    rows = _rows("vague.jsonl")
    wrong = [r["text"] for r in rows if understand(str(r["text"])).vague != r["vague"]]
    assert wrong == []


def test_when_50_ordinary_questions_are_answered_then_every_sentence_is_in_its_cited_passage(
    consultant: Consultant,
) -> None:
    questions = [
        str(r["text"])
        for name in ("triage_messages.jsonl", "triage_heldout.jsonl", "triage_heldout2.jsonl")
        for r in _rows(name)
        if not r["emergency"]
    ][:50]
    assert len(questions) == 50
    modes: dict[str, int] = {}
    sentences = 0
    for question in questions:
        answer = consultant.ask(question)
        modes[answer.mode] = modes.get(answer.mode, 0) + 1
        by_number = {c["number"]: c["id"] for c in answer.citations}
        for sentence in answer.sentences:
            assert sentence["text"] in consultant.kb.get(by_number[sentence["citation"]]).text
            sentences += 1
        if answer.mode == "extractive":
            assert answer.answer.count("[") == len(answer.sentences) > 0
    assert modes.get("extractive", 0) >= 40, modes
    assert sentences > 100
