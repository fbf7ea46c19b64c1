"""`split_sentences` and `sentence_spans` for Chinese, English and mixed clinical text."""

from __future__ import annotations

from typing import Any

import pytest

from medsage.errors import InvalidInputError
from medsage.text import normalize, sentence_spans, split_sentences

CASES: list[tuple[str, list[str]]] = [
    # Chinese terminators end a sentence wherever they stand.
    (
        "患者男性，58岁。主诉胸痛3天！是否有发热？否认；无咳嗽",
        ["患者男性，58岁。", "主诉胸痛3天！", "是否有发热？", "否认；", "无咳嗽"],
    ),
    ("胸痛（持续3天）。无发热。", ["胸痛（持续3天）。", "无发热。"]),
    ("咳嗽…好转。", ["咳嗽…", "好转。"]),
    # After normalize, "；" "！" "？" are ASCII; inside Chinese text they still split.
    (normalize("否认；无咳嗽！发热？"), ["否认;", "无咳嗽!", "发热?"]),
    # Titles and initials.
    ("Seen by Dr. Li today. Stable.", ["Seen by Dr. Li today.", "Stable."]),
    (
        "Mr. Wang and Mrs. Chen came. Ms. Zhao too.",
        ["Mr. Wang and Mrs. Chen came.", "Ms. Zhao too."],
    ),
    ("Referred by J. Smith yesterday. OK.", ["Referred by J. Smith yesterday.", "OK."]),
    ("Referred by J.K. Smith. OK.", ["Referred by J.K. Smith.", "OK."]),
    ("Seen by Dr. 李 today.", ["Seen by Dr. 李 today."]),
    ("Seen by Dr.李医生 today.", ["Seen by Dr.李医生 today."]),
    (
        "He was admitted to St. Mary's. Discharged.",
        ["He was admitted to St. Mary's.", "Discharged."],
    ),
    # Latin and reference abbreviations.
    ("Give NSAIDs, e.g. ibuprofen. Then review.", ["Give NSAIDs, e.g. ibuprofen.", "Then review."]),
    ("Ibuprofen (e.g. Advil). OK.", ["Ibuprofen (e.g. Advil).", "OK."]),
    (
        "Hx of HTN i.e. high blood pressure. Fine.",
        ["Hx of HTN i.e. high blood pressure.", "Fine."],
    ),
    ("See Fig. 2 for details. Done.", ["See Fig. 2 for details.", "Done."]),
    ("Bed No. 5 is free.", ["Bed No. 5 is free."]),
    ("Pt. is stable. Vitals OK.", ["Pt. is stable.", "Vitals OK."]),
    # "No." is an answer, not an abbreviation, unless a number follows.
    ("Any chest pain? No. He denies it.", ["Any chest pain?", "No.", "He denies it."]),
    ("Smoking: no. Alcohol: no.", ["Smoking: no.", "Alcohol: no."]),
    # Dosing abbreviations end a sentence only before an upper-case word.
    ("Metformin 500 mg b.i.d. Continue aspirin.", ["Metformin 500 mg b.i.d.", "Continue aspirin."]),
    ("Metformin 500 mg b.i.d. with meals.", ["Metformin 500 mg b.i.d. with meals."]),
    (
        "Take 0.5 mg p.o. at night. Review in 2 weeks.",
        ["Take 0.5 mg p.o. at night.", "Review in 2 weeks."],
    ),
    ("Take at 8 a.m. every day. Next line.", ["Take at 8 a.m. every day.", "Next line."]),
    ("Seen at 10 p.m. He was stable.", ["Seen at 10 p.m.", "He was stable."]),
    ("Take 2 tabs t.i.d. p.r.n. Review.", ["Take 2 tabs t.i.d. p.r.n.", "Review."]),
    # Decimals never split; a number after a period may start the next sentence.
    ("HbA1c was 7.2. It improved.", ["HbA1c was 7.2.", "It improved."]),
    ("HbA1c 7.2% today. LDL 3.4 mmol/L.", ["HbA1c 7.2% today.", "LDL 3.4 mmol/L."]),
    ("Dose 0.5 mg. 5 mg later.", ["Dose 0.5 mg.", "5 mg later."]),
    # A sentence may end in a unit whose last letter is a capital (not an initial).
    ("Temp 38.5 °C. HR 110 bpm.", ["Temp 38.5 °C.", "HR 110 bpm."]),
    ("LDL 3.4 mmol/L. HbA1c 7.2%.", ["LDL 3.4 mmol/L.", "HbA1c 7.2%."]),
    ("ALT 40 U/L. AST 35 U/L.", ["ALT 40 U/L.", "AST 35 U/L."]),
    ("WBC 12 x10^9/L. CRP high.", ["WBC 12 x10^9/L.", "CRP high."]),
    # Question and exclamation marks.
    ("Is he in pain? Yes! Very much.", ["Is he in pain?", "Yes!", "Very much."]),
    ("Wait... what?", ["Wait... what?"]),
    # Line breaks always end a sentence; list numbers stay with their item.
    ("line one\nline two\n\nline three", ["line one", "line two", "line three"]),
    ("诊断：\n1.高血压\n2.2型糖尿病", ["诊断：", "1.高血压", "2.2型糖尿病"]),
    ("1. Hypertension\n2. Diabetes", ["1. Hypertension", "2. Diabetes"]),
    ("诊断：1.高血压 2.糖尿病 3.高脂血症", ["诊断：1.高血压 2.糖尿病 3.高脂血症"]),
    # Mixed Chinese and English.
    (
        "患者血压高。BP 160/100 mmHg. 继续观察。",
        ["患者血压高。", "BP 160/100 mmHg.", "继续观察。"],
    ),
    ("Chest pain resolved.患者出院。", ["Chest pain resolved.", "患者出院。"]),
    ("Temp 37.5. 患者好转。", ["Temp 37.5.", "患者好转。"]),
    # Quotes and brackets after a terminator stay with the sentence.
    ('He said "I feel fine." Then left.', ['He said "I feel fine."', "Then left."]),
    ("他说：“我很好。”然后离开。", ["他说：“我很好。”", "然后离开。"]),
    # Trailing text without a terminator, surrounding spaces, nothing at all.
    ("No fever", ["No fever"]),
    ("  Leading space. Trailing space.  ", ["Leading space.", "Trailing space."]),
    ("BP 120/80; HR 70.", ["BP 120/80; HR 70."]),
    ("", []),
    (" \n\t ", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_text_is_split_then_sentences_are_exact(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_spans_are_taken_then_they_slice_the_same_sentences(
    text: str, expected: list[str]
) -> None:
    spans = sentence_spans(text)
    assert [text[start:end] for start, end in spans] == expected
    starts_and_ends = [offset for span in spans for offset in span]
    assert starts_and_ends == sorted(starts_and_ends)
    assert all(start < end for start, end in spans)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  胸痛。 发热。", [(2, 5), (6, 9)]),
        ("Dr. Li. OK.", [(0, 7), (8, 11)]),
        ("a\n\nb", [(0, 1), (3, 4)]),
    ],
)
def test_when_spans_are_taken_then_offsets_are_exact(
    text: str, expected: list[tuple[int, int]]
) -> None:
    assert sentence_spans(text) == expected


@pytest.mark.parametrize("value", [None, 42, b"Dr. Li."])
def test_when_text_is_not_str_then_invalid_input_error(value: Any) -> None:
    with pytest.raises(InvalidInputError, match="expects a str"):
        split_sentences(value)
    with pytest.raises(InvalidInputError, match="expects a str"):
        sentence_spans(value)


def test_when_a_numbered_period_ends_the_text_before_blank_lines_then_it_splits_without_error() -> (
    None
):
    assert split_sentences("PTT 70. \n\n") == ["PTT 70."]
