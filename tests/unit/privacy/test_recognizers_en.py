"""English recognizers on invented sentences: exact spans, and look-alikes that must stay."""

from __future__ import annotations

import pytest

from medsage.privacy import Analyzer
from medsage.privacy._recognizers_common import RECOGNIZERS as COMMON
from medsage.privacy._recognizers_en import RECOGNIZERS as ENGLISH

ANALYZER = Analyzer([*COMMON, *ENGLISH])


def _found(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.type) for s in ANALYZER.analyze(text, "en")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Seen by Dr. Okonkwo-Blake this am.", ["Okonkwo-Blake"]),
        ("dr treadwell aware of the labs", ["treadwell"]),
        ("PER DR. L. HALVORSEN, HOLD LASIX", ["L. HALVORSEN"]),
        ("Discussed with Drs Fennimore and Quillan.", ["Fennimore", "Quillan"]),
        ("Mr. Abernathy slept well.", ["Abernathy"]),
        ("Son Bill called for an update.", ["Bill"]),
        ("social: daughter, Rosalind Teague, in to visit", ["Rosalind Teague"]),
        ("Wife is health care proxy - Marguerite", ["Marguerite"]),
        ("Emergency contact: Dwayne Pettibone (nephew)", ["Dwayne Pettibone"]),
        ("vent weaned as tolerated.  Colleen Hatfield, RN", ["Colleen Hatfield"]),
        ("ABG acceptable. Q. Lindqvist RRT", ["Q. Lindqvist"]),
        ("family meeting with Yolanda and the team", ["Yolanda"]),
    ],
)
def test_when_name_in_context_then_name_span(text: str, expected: list[str]) -> None:
    assert _found(text) == [(name, "NAME") for name in expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("line placed 7/22 without issue", "7/22"),
        ("admitted 10/6/93 with chf", "10/6/93"),
        ("CT on 4-21-17 negative", "4-21-17"),
        ("scheduled 2023-07-22 for follow up", "2023-07-22"),
        ("surgery on July 22 went well", "July 22"),
        ("seen Jul 22nd 2023 in clinic", "Jul 22nd 2023"),
        ("biopsy 22-Jul-2023 showed", "22-Jul-2023"),
        ("moved to a nursing home in Sept. after the fall", "Sept."),
        ("PMH: MI in 1992, CHF", "1992"),
        ("s/p CABG '95, AVR", "95"),
        ("she said it was the 11th today", "11th"),
    ],
)
def test_when_date_format_then_date_span(text: str, expected: str) -> None:
    assert _found(text) == [(expected, "DATE")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call daughter at 410-555-0199 tonight", [("410-555-0199", "PHONE")]),
        (
            "home (301) 555-0142, fax 301.555.0143",
            [("(301) 555-0142", "PHONE"), ("301.555.0143", "PHONE")],
        ),
        ("Pager: #48213 for questions", [("48213", "PHONE")]),
        ("SSN 123-45-6789 on file", [("123-45-6789", "NATIONAL_ID")]),
        ("MRN: 00412337 verified", [("00412337", "RECORD_ID")]),
        ("account # AC-99812 billed", [("AC-99812", "RECORD_ID")]),
        ("license plate 7XK-4419 in lot", [("7XK-4419", "VEHICLE")]),
        ("a 94 yo woman admitted", [("94", "AGE")]),
        ("lives at 27 Maple Hollow Rd. with son", [("27 Maple Hollow Rd.", "ADDRESS")]),
        ("forms go to IL 62704 per family", [("62704", "ADDRESS")]),
        (
            "transferred from Riverbend Memorial Hospital",
            [("Riverbend Memorial Hospital", "FACILITY")],
        ),
        ("will go to St. Bartholomew tomorrow", [("St. Bartholomew", "FACILITY")]),
        ("pt lives in Catonsville with wife", [("Catonsville", "ADDRESS")]),
    ],
)
def test_when_identifier_in_context_then_exact_span(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert _found(text) == expected


def test_when_age_under_90_then_no_span() -> None:
    assert _found("a 65 yo man and an 89 year old woman") == []


@pytest.mark.parametrize(
    "text",
    [
        "history of Parkinson disease and Graves disease",
        "Hodgkin lymphoma in remission; Parkinson's disease stable",
        "Apgar 9/9 at delivery",
        "BP 120/80, HR 72, I:E 1:2",
        "5/5 strength in all extremities",
        "grade 2/6 systolic murmur",
        "rales 1/3 up bilaterally, D5 1/2 NS at 75",
        "on PSV 10/5 with FiO2 40%",
        "pain 8/10 relieved by morphine 2 mg iv",
        "foley draining clear urine, Swan-Ganz catheter removed",
        "lasix 40 mg iv given at 2130 and 10:30",
        "will recheck in 3 days; transfer to MICU",
        "metoprolol 25 mg po bid, heparin gtt at 1200 units/hr",
    ],
)
def test_when_clinical_lookalike_then_no_span(text: str) -> None:
    assert _found(text) == []


def test_when_common_word_without_context_then_not_a_name() -> None:
    text = "will bring brown bag; white count up; may mark case in chest bath"
    assert _found(text) == []
