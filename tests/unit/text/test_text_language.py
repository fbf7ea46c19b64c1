"""`detect_language`: zh, en, mixed or unknown; units and acronyms do not make a note English."""

from __future__ import annotations

from typing import Any

import pytest

from medsage.errors import InvalidInputError
from medsage.text import detect_language, normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Pure Chinese.
        ("患者男性，58岁，主诉胸痛3天。", "zh"),
        ("既往高血压病史10年，否认糖尿病史。", "zh"),
        # Pure English.
        ("A 58-year-old man presented with chest pain.", "en"),
        ("Patient denies fever, cough or shortness of breath.", "en"),
        ("Patient with COPD and CKD stage 3.", "en"),
        # Chinese notes with units, lab abbreviations and acronyms stay Chinese.
        ("患者血压160/100mmHg，HbA1c 7.2%，心率72 bpm。", "zh"),
        ("空腹血糖7.8 mmol/L，肌酐88 µmol/L，体温38.5°C。", "zh"),
        ("白细胞12.5x10^9/L，血红蛋白130g/L", "zh"),
        ("体温101°F", "zh"),
        ("患者主诉胸痛，ECG示ST段抬高", "zh"),
        ("患者因胸痛入院，行PCI术后好转。", "zh"),
        ("患者有T2DM病史10年，血压160/100mmHg，HbA1c 7.2%。", "zh"),
        ("血压 BP", "zh"),
        # Genuinely mixed.
        ("患者有hypertension and diabetes，需要follow up", "mixed"),
        ("胸痛 chest pain", "mixed"),
        ("The patient 胸痛 3天 and 发热", "mixed"),
        ("糖尿病 diabetes mellitus type 2 with poor control", "mixed"),
        # Only abbreviations: Latin letters, so English.
        ("CT MRI", "en"),
        ("mmHg", "en"),
        ("Dx: T2DM, HTN", "en"),
        # No letters at all.
        ("123 456", "unknown"),
        ("160/100 7.2%", "unknown"),
        ("!!! ... ？", "unknown"),
        ("", "unknown"),
        ("   \n\t", "unknown"),
    ],
)
def test_when_language_is_detected_then_label_is_exact(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Full-width Latin is not [A-Za-z] until normalised.
        ("ＨｂＡ１ｃ ７.２％", "unknown"),
        ("Ｃｈｅｓｔ ｐａｉｎ", "unknown"),
    ],
)
def test_when_full_width_latin_is_not_normalized_then_it_is_not_counted(
    text: str, expected: str
) -> None:
    assert detect_language(text) == expected
    assert detect_language(normalize(text)) == "en"


@pytest.mark.parametrize("value", [None, 3.5, b"abc"])
def test_when_text_is_not_str_then_invalid_input_error(value: Any) -> None:
    with pytest.raises(InvalidInputError, match="expects a str"):
        detect_language(value)
