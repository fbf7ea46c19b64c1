"""The analysis engine, the operators and the Deidentifier, with small recognizers of our own
(the built-in recognizers have their own tests)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from medsage.errors import InvalidInputError
from medsage.privacy import (
    Analyzer,
    Deidentifier,
    PhiSpan,
    Protected,
    decrypt_text,
    generate_key,
    resolve_overlaps,
    text_languages,
)
from medsage.privacy._dates import shift_date
from medsage.privacy._surrogates import date_offset

SECRET = b"0123456789abcdef-test-secret"


@dataclass
class RegexRecognizer:
    name: str
    pattern: str
    type: str
    score: float = 0.9
    languages: frozenset[str] = frozenset({"en", "zh"})
    protect_pattern: str | None = None
    protect_score: float = 1.0
    calls: list[str] = field(default_factory=list)

    def find(self, text: str) -> list[PhiSpan]:
        self.calls.append(text)
        return [
            PhiSpan(m.start(), m.end(), self.type, self.score, self.name)
            for m in re.finditer(self.pattern, text)
        ]

    def protect(self, text: str) -> list[Protected]:
        if self.protect_pattern is None:
            return []
        return [
            Protected(m.start(), m.end(), self.protect_score, "look-alike")
            for m in re.finditer(self.protect_pattern, text)
        ]


NAMES = RegexRecognizer("names", r"\b(?:Mary Hughes|Hughes|Parkinson|Rossi)\b", "NAME", 0.7)
DATES = RegexRecognizer("dates", r"\b\d{1,2}/\d{1,2}/\d{4}\b|\d{4}年\d{1,2}月\d{1,2}日", "DATE")
EPONYMS = RegexRecognizer(
    "eponyms", r"(?!)", "NAME", protect_pattern=r"\bParkinson disease\b", protect_score=0.95
)
RECOGNIZERS = [NAMES, DATES, EPONYMS]


def deid(operators: str | dict[str, str] = "tag", **kwargs: object) -> Deidentifier:
    return Deidentifier(operators=operators, recognizers=RECOGNIZERS, secret=SECRET, **kwargs)  # type: ignore[arg-type]


def test_when_eponym_protected_then_name_recognizer_vetoed() -> None:
    text = "Mary Hughes has Parkinson disease; Dr. Rossi agrees."
    assert deid().anonymize(text).text == "[NAME] has Parkinson disease; Dr. [NAME] agrees."


def test_when_protected_score_lower_than_span_then_span_kept() -> None:
    strong = RegexRecognizer("strong", r"Parkinson", "NAME", 0.99)
    text = "Parkinson disease"
    spans = Analyzer([strong, EPONYMS]).analyze(text)
    assert spans == [PhiSpan(0, 9, "NAME", 0.99, "strong")]


def test_when_same_type_spans_overlap_then_merged_with_best_score() -> None:
    spans = [PhiSpan(0, 11, "NAME", 0.7, "a"), PhiSpan(5, 11, "NAME", 0.9, "b")]
    assert resolve_overlaps(spans) == [PhiSpan(0, 11, "NAME", 0.9, "b")]


def test_when_types_overlap_then_stronger_wins_and_small_remainder_is_trimmed() -> None:
    spans = [PhiSpan(0, 10, "ADDRESS", 0.6, "a"), PhiSpan(0, 4, "FACILITY", 0.9, "f")]
    assert resolve_overlaps(spans) == [
        PhiSpan(0, 4, "FACILITY", 0.9, "f"),
        PhiSpan(4, 10, "ADDRESS", 0.6, "a"),
    ]


def test_when_loser_mostly_covered_then_dropped() -> None:
    spans = [PhiSpan(0, 10, "DATE", 0.95, "d"), PhiSpan(2, 8, "PHONE", 0.6, "p")]
    assert resolve_overlaps(spans) == [PhiSpan(0, 10, "DATE", 0.95, "d")]


def test_when_span_under_threshold_then_dropped() -> None:
    weak = RegexRecognizer("weak", r"Hughes", "NAME", 0.4)
    assert Analyzer([weak]).analyze("Hughes") == []
    assert Analyzer([weak], threshold=0.3).analyze("Hughes") == [PhiSpan(0, 6, "NAME", 0.4, "weak")]


def test_when_language_given_then_only_its_recognizers_run() -> None:
    zh_only = RegexRecognizer("zh", r"张伟", "NAME", languages=frozenset({"zh"}))
    en_only = RegexRecognizer("en", r"Hughes", "NAME", languages=frozenset({"en"}))
    analyzer = Analyzer([zh_only, en_only])
    assert [s.recognizer for s in analyzer.analyze("张伟 Hughes", "zh")] == ["zh"]
    assert [s.recognizer for s in analyzer.analyze("张伟 Hughes", "auto")] == ["zh", "en"]
    assert text_languages("患者张伟") == {"zh"}
    assert text_languages("1234") == {"en"}


def test_when_tag_mask_redact_then_exact_rewrites() -> None:
    text = "Mary Hughes seen 3/12/2024."
    assert deid("tag").anonymize(text).text == "[NAME] seen [DATE]."
    assert deid("mask").anonymize(text).text == "**** ****** seen *********."
    assert deid("redact").anonymize(text).text == " seen ."
    assert deid({"NAME": "mask", "default": "tag"}).anonymize(text).text == (
        "**** ****** seen [DATE]."
    )


def test_when_result_serialised_then_no_original_phi_inside() -> None:
    result = deid("tag").anonymize("Mary Hughes seen 3/12/2024.")
    payload = result.to_dict()
    assert payload["spans"][0] == {
        "start": 0, "end": 11, "type": "NAME", "score": 0.7, "recognizer": "names",
        "replacement": "[NAME]",
    }  # fmt: skip
    assert "Hughes" not in str(payload)


def test_when_surrogate_then_consistent_within_and_across_a_patients_notes() -> None:
    d = deid("surrogate")
    first = d.anonymize("Hughes called. Hughes again.", patient_id="p1")
    second = d.anonymize("Met Hughes today.", patient_id="p1")
    a, b = first.replacements
    assert a == b == second.replacements[0]
    assert a != "Hughes" and a.istitle()
    # another Deidentifier with the same secret gives the same surrogates
    assert deid("surrogate").anonymize("Hughes", patient_id="p1").text == a


def test_when_surrogate_dates_then_interval_between_a_patients_dates_survives() -> None:
    d = deid("surrogate")
    result = d.anonymize("Admitted 3/1/2024, discharged 3/15/2024.", patient_id="p7")
    admitted, discharged = result.replacements
    import datetime as dt

    def parse(s: str) -> dt.date:
        m, day, y = (int(x) for x in s.split("/"))
        return dt.date(y, m, day)

    assert (parse(discharged) - parse(admitted)).days == 14
    offset = date_offset(SECRET, "p7")
    assert -365 <= offset <= -1
    assert parse(admitted) == dt.date(2024, 3, 1) + dt.timedelta(days=offset)


def test_when_surrogate_chinese_date_then_same_format_and_shift() -> None:
    d = deid("surrogate")
    out = d.anonymize("2026年3月5日入院", patient_id="p2").replacements[0]
    assert out == shift_date("2026年3月5日", date_offset(SECRET, "p2"))
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", out)


def test_when_hash_then_salted_and_stable() -> None:
    a = deid("hash").anonymize("Hughes").text
    assert re.fullmatch(r"\[NAME:[0-9a-f]{16}\]", a)
    assert deid("hash").anonymize("HUGHES".title()).text == a
    other = Deidentifier(
        operators="hash", recognizers=RECOGNIZERS, secret=b"another-secret-of-16+"
    ).anonymize("Hughes")
    assert other.text != a


def test_when_encrypt_then_decrypt_round_trips_exactly() -> None:
    key = generate_key()
    text = "Mary Hughes seen 3/12/2024 and 2026年3月5日."
    sealed = deid("encrypt", key=key).anonymize(text).text
    assert "Hughes" not in sealed and "3/12/2024" not in sealed
    assert decrypt_text(sealed, key) == text


def test_when_decrypt_with_wrong_key_then_clear_error() -> None:
    sealed = deid("encrypt", key=generate_key()).anonymize("Hughes").text
    with pytest.raises(InvalidInputError, match="wrong key"):
        decrypt_text(sealed, generate_key())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"operators": "shred"}, "unknown operator 'shred'"),
        ({"operators": {"NAMES": "tag"}}, "unknown PHI type"),
        ({"operators": "encrypt"}, "needs a key"),
        ({"operators": "encrypt", "key": b"short"}, "16, 24 or 32 bytes"),
        ({"lang": "fr"}, "lang must be one of"),
        ({"secret": b"tiny"}, "at least 16 bytes"),
    ],
)
def test_when_bad_settings_then_clear_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        Deidentifier(recognizers=RECOGNIZERS, **kwargs)  # type: ignore[arg-type]


def test_when_text_not_a_string_then_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="expected a str, got bytes"):
        deid().anonymize(b"Hughes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("date", "days", "expected"),
    [
        ("7/22/93", -10, "7/12/93"),
        ("07/02/1993", -40, "05/23/1993"),
        ("10/6", -40, "8/27"),
        ("2026-03-05", -40, "2026-01-24"),
        ("2026/01/18", -40, "2025/12/09"),
        ("Jul 22, 2023", -40, "Jun 12, 2023"),
        ("July 22nd 2023", -40, "June 12th 2023"),
        ("nov. 3", -40, "sep. 24"),
        ("SEPT 3", -40, "JUL 25"),
        ("22-Jul-2023", -40, "12-Jun-2023"),
        ("March 2021", -40, "February 2021"),
        ("1992", -40, "1992"),
        ("2026年3月5日", -40, "2026年1月24日"),
        ("3月12日", -40, "2月1日"),
        ("二〇二六年三月五日", -40, "二〇二六年一月二十四日"),
    ],
)
def test_when_date_shifted_then_same_format(date: str, days: int, expected: str) -> None:
    assert shift_date(date, days) == expected


def test_when_date_not_understood_then_none() -> None:
    assert shift_date("13/45", 3) is None
    assert shift_date("Monday", 3) is None
