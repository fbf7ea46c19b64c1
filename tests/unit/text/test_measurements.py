"""find_measurements: clinical measurements in Chinese, English and mixed text."""

from __future__ import annotations

import pytest

from medsage.errors import InvalidInputError
from medsage.text._measurements import Measurement, find_measurements

Row = tuple[str, str, float, str, float, str, float | None]


def _rows(text: str) -> list[Row]:
    return [
        (m.kind, m.text, m.value, m.unit, m.canonical_value, m.canonical_unit, m.diastolic)
        for m in find_measurements(text)
    ]


SINGLE_CASES: list[tuple[str, Row]] = [
    # blood pressure
    ("BP 150/90", ("blood_pressure", "BP 150/90", 150.0, "", 150.0, "mmHg", 90.0)),
    ("BP: 150/90 mmHg", ("blood_pressure", "BP: 150/90 mmHg", 150.0, "mmHg", 150.0, "mmHg", 90.0)),
    ("血压160/100mmHg", ("blood_pressure", "血压160/100mmHg", 160.0, "mmHg", 160.0, "mmHg", 100.0)),
    (
        "血压：１６０／１００ｍｍＨｇ",
        ("blood_pressure", "血压：１６０／１００ｍｍＨｇ", 160.0, "mmHg", 160.0, "mmHg", 100.0),
    ),
    ("BP 150 / 90", ("blood_pressure", "BP 150 / 90", 150.0, "", 150.0, "mmHg", 90.0)),
    ("BP is 130/85.", ("blood_pressure", "BP is 130/85", 130.0, "", 130.0, "mmHg", 85.0)),
    ("测得 140/90 mmHg", ("blood_pressure", "140/90 mmHg", 140.0, "mmHg", 140.0, "mmHg", 90.0)),
    ("收缩压165mmHg", ("systolic_bp", "收缩压165mmHg", 165.0, "mmHg", 165.0, "mmHg", None)),
    ("舒张压 95 mmHg", ("diastolic_bp", "舒张压 95 mmHg", 95.0, "mmHg", 95.0, "mmHg", None)),
    ("SBP 150", ("systolic_bp", "SBP 150", 150.0, "", 150.0, "mmHg", None)),
    # heart rate
    ("心率 88次/分", ("heart_rate", "心率 88次/分", 88.0, "bpm", 88.0, "bpm", None)),
    ("HR 110 bpm", ("heart_rate", "HR 110 bpm", 110.0, "bpm", 110.0, "bpm", None)),
    ("P 96", ("heart_rate", "P 96", 96.0, "", 96.0, "bpm", None)),
    ("pulse 72", ("heart_rate", "pulse 72", 72.0, "", 72.0, "bpm", None)),
    ("脉搏：９６次／分", ("heart_rate", "脉搏：９６次／分", 96.0, "bpm", 96.0, "bpm", None)),
    ("HR 88/min", ("heart_rate", "HR 88/min", 88.0, "bpm", 88.0, "bpm", None)),
    # temperature
    ("体温39.2℃", ("temperature", "体温39.2℃", 39.2, "°C", 39.2, "°C", None)),
    ("T 101.3F", ("temperature", "T 101.3F", 101.3, "°F", 38.5, "°C", None)),
    ("Temp 37.8 °C", ("temperature", "Temp 37.8 °C", 37.8, "°C", 37.8, "°C", None)),
    ("T 38.5", ("temperature", "T 38.5", 38.5, "", 38.5, "°C", None)),
    ("T 100", ("temperature", "T 100", 100.0, "", 37.78, "°C", None)),
    ("temperature 98.6 ℉", ("temperature", "temperature 98.6 ℉", 98.6, "°F", 37.0, "°C", None)),
    ("体温 38.5度", ("temperature", "体温 38.5度", 38.5, "°C", 38.5, "°C", None)),
    ("体温：３８．５℃", ("temperature", "体温：３８．５℃", 38.5, "°C", 38.5, "°C", None)),
    # oxygen saturation
    ("SpO2 92%", ("spo2", "SpO2 92%", 92.0, "%", 92.0, "%", None)),
    ("血氧饱和度 95%", ("spo2", "血氧饱和度 95%", 95.0, "%", 95.0, "%", None)),
    ("O2 sat 94% on RA", ("spo2", "O2 sat 94%", 94.0, "%", 94.0, "%", None)),
    # respiratory rate
    ("RR 22", ("respiratory_rate", "RR 22", 22.0, "", 22.0, "/min", None)),
    ("呼吸 20次/分", ("respiratory_rate", "呼吸 20次/分", 20.0, "/min", 20.0, "/min", None)),
    ("R 18", ("respiratory_rate", "R 18", 18.0, "", 18.0, "/min", None)),
    # glucose
    ("血糖 9.8mmol/L", ("glucose", "血糖 9.8mmol/L", 9.8, "mmol/L", 9.8, "mmol/L", None)),
    ("glucose 180 mg/dL", ("glucose", "glucose 180 mg/dL", 180.0, "mg/dL", 9.99, "mmol/L", None)),
    ("空腹血糖 6.1", ("glucose", "空腹血糖 6.1", 6.1, "", 6.1, "mmol/L", None)),
    # HbA1c
    ("HbA1c 7.2%", ("hba1c", "HbA1c 7.2%", 7.2, "%", 7.2, "%", None)),
    ("糖化血红蛋白 6.5%", ("hba1c", "糖化血红蛋白 6.5%", 6.5, "%", 6.5, "%", None)),
    ("HbA1c 48 mmol/mol", ("hba1c", "HbA1c 48 mmol/mol", 48.0, "mmol/mol", 6.54, "%", None)),
    ("HbA1c ７．２％", ("hba1c", "HbA1c ７．２％", 7.2, "%", 7.2, "%", None)),
    # weight and height
    ("体重 70kg", ("weight", "体重 70kg", 70.0, "kg", 70.0, "kg", None)),
    ("weight 154 lb", ("weight", "weight 154 lb", 154.0, "lb", 69.85, "kg", None)),
    ("体重 65公斤", ("weight", "体重 65公斤", 65.0, "kg", 65.0, "kg", None)),
    ("身高 175cm", ("height", "身高 175cm", 175.0, "cm", 175.0, "cm", None)),
    ("height 1.75 m", ("height", "height 1.75 m", 1.75, "m", 175.0, "cm", None)),
    ("height 70 in", ("height", "height 70 in", 70.0, "in", 177.8, "cm", None)),
    # creatinine
    ("肌酐 120μmol/L", ("creatinine", "肌酐 120μmol/L", 120.0, "µmol/L", 120.0, "µmol/L", None)),
    ("肌酐 120µmol/L", ("creatinine", "肌酐 120µmol/L", 120.0, "µmol/L", 120.0, "µmol/L", None)),
    ("SCr 95 umol/L", ("creatinine", "SCr 95 umol/L", 95.0, "µmol/L", 95.0, "µmol/L", None)),
    (
        "creatinine 1.4 mg/dL",
        ("creatinine", "creatinine 1.4 mg/dL", 1.4, "mg/dL", 123.79, "µmol/L", None),
    ),
    ("Cr 1.2", ("creatinine", "Cr 1.2", 1.2, "", 106.1, "µmol/L", None)),
    # cholesterol
    (
        "total cholesterol 5.2 mmol/L",
        ("cholesterol", "total cholesterol 5.2 mmol/L", 5.2, "mmol/L", 5.2, "mmol/L", None),
    ),
    (
        "cholesterol 200 mg/dL",
        ("cholesterol", "cholesterol 200 mg/dL", 200.0, "mg/dL", 5.17, "mmol/L", None),
    ),
    (
        "总胆固醇 6.1mmol/L",
        ("cholesterol", "总胆固醇 6.1mmol/L", 6.1, "mmol/L", 6.1, "mmol/L", None),
    ),
    (
        "LDL-C 3.4 mmol/L",
        ("ldl_cholesterol", "LDL-C 3.4 mmol/L", 3.4, "mmol/L", 3.4, "mmol/L", None),
    ),
    ("HDL 45 mg/dL", ("hdl_cholesterol", "HDL 45 mg/dL", 45.0, "mg/dL", 1.16, "mmol/L", None)),
]


@pytest.mark.parametrize(("text", "expected"), SINGLE_CASES, ids=[c[0] for c in SINGLE_CASES])
def test_when_text_holds_one_measurement_then_it_is_found_exactly(text: str, expected: Row) -> None:
    assert _rows(text) == [expected]


NEGATIVE_CASES: list[str] = [
    "2023/10/12",
    "血压 2023/10/12",
    "复查日期 2023/10/12，E/A 0.8，比值 3/4",
    "T2DM",
    "3 days",
    "发热3天",
    "88",
    "患者 120 80",
    "P < 0.05",
    "P=0.03",
    "P2",
    "HR 0.85 (95% CI 0.70-1.02)",
    "RR 1.52",
    "pT2N0",
    "T1-weighted",
    "R0 resection",
    "CrCl 60",
    "BMI 24 kg/m2",
    "PEEP 5 cmH2O",
    "a 3 cm mass",
    "EF 55%",
    "温度 25℃",
    "BP 120/80/60",
    "T 30",
    "",
]


@pytest.mark.parametrize("text", NEGATIVE_CASES)
def test_when_text_has_no_bound_measurement_then_nothing_is_found(text: str) -> None:
    assert find_measurements(text) == []


MULTI_CASES: list[tuple[str, list[Row]]] = [
    (
        "T 36.8℃ P 88次/分 R 20次/分 BP 120/80mmHg",
        [
            ("temperature", "T 36.8℃", 36.8, "°C", 36.8, "°C", None),
            ("heart_rate", "P 88次/分", 88.0, "bpm", 88.0, "bpm", None),
            ("respiratory_rate", "R 20次/分", 20.0, "/min", 20.0, "/min", None),
            ("blood_pressure", "BP 120/80mmHg", 120.0, "mmHg", 120.0, "mmHg", 80.0),
        ],
    ),
    (
        "收缩压165mmHg，舒张压 95 mmHg",
        [
            ("systolic_bp", "收缩压165mmHg", 165.0, "mmHg", 165.0, "mmHg", None),
            ("diastolic_bp", "舒张压 95 mmHg", 95.0, "mmHg", 95.0, "mmHg", None),
        ],
    ),
    (
        "Admitted 2023/10/12 for 3 days: BP 150/90 mmHg, HR 88, T2DM on metformin.",
        [
            ("blood_pressure", "BP 150/90 mmHg", 150.0, "mmHg", 150.0, "mmHg", 90.0),
            ("heart_rate", "HR 88", 88.0, "", 88.0, "bpm", None),
        ],
    ),
    (
        "glucose 5.5 mmol/L and HbA1c 6.1%",
        [
            ("glucose", "glucose 5.5 mmol/L", 5.5, "mmol/L", 5.5, "mmol/L", None),
            ("hba1c", "HbA1c 6.1%", 6.1, "%", 6.1, "%", None),
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), MULTI_CASES, ids=[c[0] for c in MULTI_CASES])
def test_when_text_holds_several_measurements_then_all_are_found_in_order(
    text: str, expected: list[Row]
) -> None:
    assert _rows(text) == expected


FULL_WIDTH_CASES: list[tuple[str, str, str]] = [
    ("入院查体：血压：１６０／１００ｍｍＨｇ，心率：１１０次／分。", "blood_pressure", "血压"),
    ("体温：３８．５℃，脉搏：９６次／分", "temperature", "体温"),
    ("Ｔ　３８．５℃　ＳｐＯ２　９２％", "temperature", "Ｔ"),
    ("复查肌酐 １２０µｍｏｌ／Ｌ，较前下降", "creatinine", "肌酐"),
]


@pytest.mark.parametrize(("text", "first_kind", "prefix"), FULL_WIDTH_CASES)
def test_when_input_is_full_width_then_offsets_point_into_the_original(
    text: str, first_kind: str, prefix: str
) -> None:
    found = find_measurements(text)
    assert found
    assert found[0].kind == first_kind
    assert found[0].text.startswith(prefix)
    for m in found:
        assert text[m.start : m.end] == m.text
    assert [m.start for m in found] == sorted(m.start for m in found)


def test_when_full_width_vitals_then_every_value_is_parsed() -> None:
    found = find_measurements("Ｔ　３８．５℃　ＳｐＯ２　９２％")
    assert [(m.kind, m.value, m.unit, m.start, m.end) for m in found] == [
        ("temperature", 38.5, "°C", 0, 7),
        ("spo2", 92.0, "%", 8, 16),
    ]


@pytest.mark.parametrize(
    ("text", "kind", "plausible"),
    [
        ("体温 60℃", "temperature", False),
        ("T 60℃", "temperature", False),
        ("BP 90/150", "blood_pressure", False),
        ("SpO2 120%", "spo2", False),
        ("体温 36.5℃", "temperature", True),
    ],
)
def test_when_value_is_impossible_then_it_is_kept_and_flagged(
    text: str, kind: str, plausible: bool
) -> None:
    found = find_measurements(text)
    assert [(m.kind, m.plausible) for m in found] == [(kind, plausible)]


def test_when_measurement_is_dumped_then_dict_has_every_field() -> None:
    (m,) = find_measurements("BP 150/90 mmHg")
    assert m.to_dict() == {
        "kind": "blood_pressure",
        "text": "BP 150/90 mmHg",
        "start": 0,
        "end": 14,
        "value": 150.0,
        "unit": "mmHg",
        "canonical_value": 150.0,
        "canonical_unit": "mmHg",
        "diastolic": 90.0,
        "plausible": True,
    }
    assert isinstance(m, Measurement)


@pytest.mark.parametrize("bad", [None, 42, b"BP 150/90", ["BP 150/90"]])
def test_when_input_is_not_a_string_then_invalid_input_error(bad: object) -> None:
    with pytest.raises(InvalidInputError):
        find_measurements(bad)  # type: ignore[arg-type]
