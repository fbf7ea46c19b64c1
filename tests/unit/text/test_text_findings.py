"""`find_findings`: symptoms and signs with spans, concept ids and assertions (zh and en)."""

from __future__ import annotations

import time

import pytest

from medsage.errors import InvalidInputError, UnknownNameError
from medsage.text import Assertion, Finding, find_findings
from medsage.text._findings import concept_display_name, finding_concepts, load_findings_lexicon

Row = tuple[str, int, int, str, str]


def _rows(text: str, lang: str = "auto") -> list[Row]:
    return [
        (f.text, f.start, f.end, f.concept, f.assertion.value) for f in find_findings(text, lang)
    ]


CASES: list[tuple[str, list[Row]]] = [
    (
        "Patient denies chest pain but reports a tummy ache and throwing up since last night.",
        [
            ("chest pain", 15, 25, "chest_pain", "negated"),
            ("tummy ache", 40, 50, "abdominal_pain", "present"),
            ("throwing up", 55, 66, "vomiting", "present"),
        ],
    ),
    (
        "患者3天前无明显诱因出现腹痛，伴恶心、呕吐，无发热、腹泻。母亲有高血压。",
        [
            ("腹痛", 12, 14, "abdominal_pain", "present"),
            ("恶心", 16, 18, "nausea", "present"),
            ("呕吐", 19, 21, "vomiting", "present"),
            ("发热", 23, 25, "fever", "negated"),
            ("腹泻", 26, 28, "diarrhea", "negated"),
            ("高血压", 32, 35, "high_blood_pressure", "family"),
        ],
    ),
    # Lay Chinese: 发烧, 拉肚子, 喘不上气.
    (
        "孩子发烧两天，拉肚子，喘不上气。",
        [
            ("发烧", 2, 4, "fever", "present"),
            ("拉肚子", 7, 10, "diarrhea", "present"),
            ("喘不上气", 11, 15, "dyspnea", "present"),
        ],
    ),
    # Full-width digits and Latin letters: offsets stay those of the original text.
    (
        "患者无发热，咳嗽３天，ＨＥＡＤＡＣＨＥＳ。",
        [
            ("发热", 3, 5, "fever", "negated"),
            ("咳嗽", 6, 8, "cough", "present"),
            ("ＨＥＡＤＡＣＨＥＳ", 11, 20, "headache", "present"),
        ],
    ),
    # Plurals, family, and "I" ending the relative's scope.
    (
        "No rashes. Mother had migraines; I have headaches.",
        [
            ("rashes", 3, 9, "rash", "negated"),
            ("migraines", 22, 31, "migraine", "family"),
            ("headaches", 40, 49, "headache", "present"),
        ],
    ),
    # -ing forms and a hyphen standing for a space.
    (
        "Coughing, sneezing and a stuffy-nose.",
        [
            ("Coughing", 0, 8, "cough", "present"),
            ("sneezing", 10, 18, "sneezing", "present"),
            ("stuffy-nose", 25, 36, "nasal_congestion", "present"),
        ],
    ),
    # Longest match: "chest pain" not "pain"; 偏头痛 not 头痛; a trigger inside a finding.
    (
        "Sharp chest pain and pain in my fingers.",
        [("chest pain", 6, 16, "chest_pain", "present"), ("pain", 21, 25, "pain", "present")],
    ),
    (
        "偏头痛，四肢无力伴头晕。",
        [
            ("偏头痛", 0, 3, "migraine", "present"),
            ("四肢无力", 4, 8, "weakness", "present"),
            ("头晕", 9, 11, "dizziness", "present"),
        ],
    ),
    # Non-medical text and the empty string.
    ("The invoice is due on Monday and the meeting was moved to 3 pm.", []),
    ("明天下午三点开会，请准时参加。", []),
    ("", []),
    # Whole words only: "painter", "coughdrop" are not findings.
    ("The painter bought a coughdrop.", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_text_given_then_exact_findings(text: str, expected: list[Row]) -> None:
    assert _rows(text) == expected


def test_when_lang_restricted_then_only_that_lexicon_is_used() -> None:
    text = "Fever and 咳嗽."
    assert _rows(text, "en") == [("Fever", 0, 5, "fever", "present")]
    assert _rows(text, "zh") == [("咳嗽", 10, 12, "cough", "present")]
    assert [r[3] for r in _rows(text, "mixed")] == ["fever", "cough"]


def test_when_finding_negated_then_trigger_is_reported_with_its_span() -> None:
    (finding,) = find_findings("Denies fever.")
    assert finding == Finding("fever", 7, 12, "fever", Assertion.NEGATED, finding.triggers)
    assert [(t.text, t.start, t.end, t.category, t.direction) for t in finding.triggers] == [
        ("Denies", 0, 6, "NEGATED", "FORWARD")
    ]
    assert finding.to_dict()["assertion"] == "negated"


def test_when_lexicon_loaded_then_concepts_are_bilingual_and_unique() -> None:
    concepts = finding_concepts()
    assert len(concepts) >= 150
    assert all(set(names) == {"en", "zh"} for names in concepts.values())
    lexicon = load_findings_lexicon()
    assert len(lexicon.surfaces["en"]) >= 600
    assert len(lexicon.surfaces["zh"]) >= 600
    assert concept_display_name("abdominal_pain") == "abdominal pain"
    assert concept_display_name("abdominal_pain", "zh") == "腹痛"


def test_when_unknown_concept_then_unknown_name_error() -> None:
    with pytest.raises(UnknownNameError):
        concept_display_name("not_a_concept")


@pytest.mark.parametrize(("text", "lang"), [(None, "auto"), ("fever", "fr")])
def test_when_input_invalid_then_invalid_input_error(text: object, lang: str) -> None:
    with pytest.raises(InvalidInputError):
        find_findings(text, lang)  # type: ignore[arg-type]


def test_when_long_text_then_at_least_50_kb_per_second() -> None:
    unit = (
        "患者无发热，咳嗽３天，伴咳痰。\nDenies chest pain; reports a tummy ache and dizziness.\n"
    )
    text = unit * 2000  # about 190 KB
    find_findings(unit)  # compile the patterns outside the timing
    began = time.perf_counter()
    found = find_findings(text)
    seconds = time.perf_counter() - began
    assert len(found) == 6 * 2000
    # Measured about 400 KB/s on one core; the bar leaves room for a loaded CI machine.
    assert len(text.encode()) / 1024 / seconds >= 50
