"""`normalize`: NFKC, width and punctuation folding that keeps CJK, numbers, signs and units."""

from __future__ import annotations

from typing import Any

import pytest

from medsage.errors import InvalidInputError
from medsage.text import normalize

MICRO = "\u00b5"  # MICRO SIGN, the one spelling of the unit prefix after normalize
GREEK_MU = "\u03bc"

# (text, lang, keep_newlines, expected)
CASES: list[tuple[str, str, bool, str]] = [
    # The example: full-width digits, letters, colon, slash, comma and percent.
    (
        "血压：１６０／１００ｍｍＨｇ，ＨｂＡ１ｃ ７.２％",
        "auto",
        False,
        "血压:160/100mmHg,HbA1c 7.2%",
    ),
    ("ＡＢＣ　ｄｅｆ　１２３", "auto", False, "ABC def 123"),
    ("ｍｇ／ｄＬ", "auto", False, "mg/dL"),
    ("患者！发热？咳嗽；无（胸痛）", "auto", False, "患者!发热?咳嗽;无(胸痛)"),
    ("患者，男，58岁。", "zh", False, "患者,男,58岁。"),
    ("体温３８.５℃", "auto", False, "体温38.5°C"),
    ("T 101.3°F, HR 110 bpm", "en", False, "T 101.3°F, HR 110 bpm"),
    (f"肌酐 88 {MICRO}mol/L", "auto", False, f"肌酐 88 {MICRO}mol/L"),
    (f"肌酐 88 {GREEK_MU}mol/L", "auto", False, f"肌酐 88 {MICRO}mol/L"),
    ("glucose 5.6 mmol/L, LDL 3.4 mmol/L", "en", False, "glucose 5.6 mmol/L, LDL 3.4 mmol/L"),
    ("LDL ≥ 3.4，≤ 5.0", "auto", False, "LDL >= 3.4,<= 5.0"),
    ("HbA1c 7.2 ± 0.3%", "en", False, "HbA1c 7.2 +/- 0.3%"),
    ("“chest pain” ‘mild’", "en", False, "\"chest pain\" 'mild'"),
    ("他说“胸闷”", "zh", False, '他说"胸闷"'),
    ("1–2 weeks — BP −5 mmHg‐ish", "en", False, "1-2 weeks - BP -5 mmHg-ish"),
    ("血糖５～７mmol/L", "auto", False, "血糖5~7mmol/L"),
    ("3×/day, ½ tab", "en", False, "3x/day, 1/2 tab"),
    ("Hb\u200bA1c\u200c 7.2\u200d%\ufeff", "auto", False, "HbA1c 7.2%"),
    ("胸\u00ad痛\u2060", "auto", False, "胸痛"),
    ("a\x00b\x07c\x1fd\x7fe", "auto", False, "a b c d e"),
    ("line one\r\nline two\rline three", "en", False, "line one line two line three"),
    ("line one\r\nline two\rline three", "en", True, "line one\nline two\nline three"),
    ("  主诉：胸痛 \r\n\r\n\t 现病史：3天  ", "auto", True, "主诉:胸痛\n现病史:3天"),
    ("  a   b\t\tc\u00a0d  ", "en", False, "a b c d"),
    ("患 者 主 诉 胸 痛", "auto", False, "患者主诉胸痛"),
    ("患者\u3000主诉\u3000胸痛", "auto", False, "患者主诉胸痛"),
    ("患者 HbA1c 7.2% 血压 160/100 mmHg", "auto", False, "患者 HbA1c 7.2% 血压 160/100 mmHg"),
    ("患 者", "zh", False, "患者"),
    ("患 者", "en", False, "患 者"),
    ("患 者 and B P", "mixed", False, "患者 and B P"),
    ("SpO₂ 98%，K⁺ 4.0", "auto", False, "SpO2 98%,K+ 4.0"),
    ("㎎ ㎖ ㎜Hg", "auto", False, "mg ml mmHg"),
    ("Ⅱ型呼吸衰竭", "auto", False, "II型呼吸衰竭"),
    ("", "auto", False, ""),
    (" \t\r\n ", "auto", True, ""),
]


@pytest.mark.parametrize(("text", "lang", "keep_newlines", "expected"), CASES)
def test_when_text_is_normalized_then_output_is_exact(
    text: str, lang: str, keep_newlines: bool, expected: str
) -> None:
    assert normalize(text, lang, keep_newlines=keep_newlines) == expected


@pytest.mark.parametrize(("text", "lang", "keep_newlines", "expected"), CASES)
def test_when_normalized_twice_then_output_is_unchanged(
    text: str, lang: str, keep_newlines: bool, expected: str
) -> None:
    once = normalize(text, lang, keep_newlines=keep_newlines)
    assert normalize(once, lang, keep_newlines=keep_newlines) == once == expected


@pytest.mark.parametrize("mu", [MICRO, GREEK_MU])
def test_when_micro_sign_or_greek_mu_then_both_become_micro_sign(mu: str) -> None:
    out = normalize(f"{mu}mol/L")
    assert out == "\u00b5mol/L"
    assert GREEK_MU not in out


@pytest.mark.parametrize(
    ("text", "keep_newlines", "expected"),
    [
        ("a\n\n\nb", False, "a b"),
        ("a\n\n\nb", True, "a\nb"),
        ("a \n b", True, "a\nb"),
        ("a\r\n\r\nb", True, "a\nb"),
        ("a\tb\nc", True, "a b\nc"),
    ],
)
def test_when_keep_newlines_is_set_then_line_breaks_are_collapsed_not_removed(
    text: str, keep_newlines: bool, expected: str
) -> None:
    assert normalize(text, keep_newlines=keep_newlines) == expected


@pytest.mark.parametrize("lang", ["", "ZH", "english", "cn", "zh-CN"])
def test_when_lang_is_not_supported_then_invalid_input_error(lang: str) -> None:
    with pytest.raises(InvalidInputError, match="lang must be one of"):
        normalize("胸痛", lang)


@pytest.mark.parametrize("value", [None, 123, b"\xe8\x83\xb8", ["胸痛"]])
def test_when_text_is_not_str_then_invalid_input_error(value: Any) -> None:
    with pytest.raises(InvalidInputError, match="expects a str"):
        normalize(value)


def test_when_invalid_input_error_is_raised_then_it_is_also_a_value_error() -> None:
    with pytest.raises(ValueError):
        normalize("胸痛", "xx")
