"""Unit spellings, conversion factors and physiological ranges for `find_measurements`.

Every conversion factor carries its source. Values are converted *to* the canonical unit of a
kind (`CANONICAL_UNIT`) by multiplying with `FACTORS[kind][unit]`; the two affine conversions
(°F -> °C and HbA1c IFCC mmol/mol -> NGSP %) are functions.
"""

from __future__ import annotations

from typing import Final

# --- Conversion constants

# Glucose: molar mass of D-glucose C6H12O6 = 180.16 g/mol (PubChem CID 5793, 2024), so
# 1 mmol/L = 180.16 mg/L = 18.016 mg/dL. Matches the SI factor 0.0555 in the AMA Manual of Style,
# 11th ed. (2020), SI conversion table.
GLUCOSE_MG_DL_PER_MMOL_L: Final = 18.016

# Creatinine: molar mass 113.12 g/mol (PubChem CID 588, 2024): 1 mg/dL = 10 mg/L / 113.12 g/mol
# = 88.4 µmol/L. 88.42 is the factor used by the IDMS-traceable equations (Levey et al.,
# Ann Intern Med 2006;145:247) and the KDIGO 2012 CKD guideline gives 88.4.
CREATININE_UMOL_L_PER_MG_DL: Final = 88.42

# Cholesterol (total, LDL, HDL): molar mass 386.65 g/mol (PubChem CID 5997, 2024), so
# 1 mmol/L = 38.67 mg/dL; NCEP ATP III report (Circulation 2002;106:3143) and the AMA Manual of
# Style 11th ed. (2020) SI factor 0.0259.
CHOLESTEROL_MG_DL_PER_MMOL_L: Final = 38.67

# Pound: exactly 0.45359237 kg by the International Yard and Pound Agreement (1959);
# NIST Special Publication 811 (2008), appendix B.
KG_PER_LB: Final = 0.45359237

# Inch: exactly 2.54 cm by the International Yard and Pound Agreement (1959); NIST SP 811 (2008).
CM_PER_INCH: Final = 2.54

# HbA1c IFCC (mmol/mol) -> NGSP/DCCT (%): master equation NGSP = 0.09148 * IFCC + 2.152
# (Hoelzel et al., Clin Chem 2004;50:166-174; NGSP "IFCC Standardization of HbA1c", ngsp.org).
HBA1C_NGSP_SLOPE: Final = 0.09148
HBA1C_NGSP_INTERCEPT: Final = 2.152


def fahrenheit_to_celsius(value: float) -> float:
    """°C = (°F - 32) * 5/9 (NIST SP 811, 2008, B.8)."""
    return (value - 32.0) * 5.0 / 9.0


def ifcc_to_ngsp(value: float) -> float:
    """HbA1c mmol/mol (IFCC) to % (NGSP) with the master equation above."""
    return HBA1C_NGSP_SLOPE * value + HBA1C_NGSP_INTERCEPT


# --- Kinds

CANONICAL_UNIT: Final[dict[str, str]] = {
    "blood_pressure": "mmHg",
    "systolic_bp": "mmHg",
    "diastolic_bp": "mmHg",
    "heart_rate": "bpm",
    "temperature": "°C",
    "spo2": "%",
    "respiratory_rate": "/min",
    "glucose": "mmol/L",
    "hba1c": "%",
    "weight": "kg",
    "height": "cm",
    "creatinine": "µmol/L",
    "cholesterol": "mmol/L",
    "ldl_cholesterol": "mmol/L",
    "hdl_cholesterol": "mmol/L",
}

KINDS: Final = tuple(CANONICAL_UNIT)

_CHOLESTEROL: Final[dict[str, float]] = {
    "mmol/L": 1.0,
    "mg/dL": 1.0 / CHOLESTEROL_MG_DL_PER_MMOL_L,
}

# Linear factors to the canonical unit; (kind, unit) pairs absent here are affine or invalid.
FACTORS: Final[dict[str, dict[str, float]]] = {
    "blood_pressure": {"mmHg": 1.0},
    "systolic_bp": {"mmHg": 1.0},
    "diastolic_bp": {"mmHg": 1.0},
    "heart_rate": {"bpm": 1.0},
    "temperature": {"°C": 1.0},
    "spo2": {"%": 1.0},
    "respiratory_rate": {"/min": 1.0},
    "glucose": {"mmol/L": 1.0, "mg/dL": 1.0 / GLUCOSE_MG_DL_PER_MMOL_L},
    "hba1c": {"%": 1.0},
    "weight": {"kg": 1.0, "lb": KG_PER_LB},
    "height": {"cm": 1.0, "m": 100.0, "in": CM_PER_INCH},
    "creatinine": {"µmol/L": 1.0, "mg/dL": CREATININE_UMOL_L_PER_MG_DL},
    "cholesterol": _CHOLESTEROL,
    "ldl_cholesterol": _CHOLESTEROL,
    "hdl_cholesterol": _CHOLESTEROL,
}

# Physiologically possible ranges, in the canonical unit (inclusive). Outside -> plausible=False.
PLAUSIBLE: Final[dict[str, tuple[float, float]]] = {
    "blood_pressure": (40.0, 300.0),  # systolic; diastolic checked with DIASTOLIC_RANGE
    "systolic_bp": (40.0, 300.0),
    "diastolic_bp": (20.0, 200.0),
    "heart_rate": (20.0, 300.0),
    "temperature": (25.0, 45.0),
    "spo2": (40.0, 100.0),
    "respiratory_rate": (4.0, 80.0),
    "glucose": (0.5, 60.0),
    "hba1c": (3.0, 20.0),
    "weight": (0.3, 500.0),
    "height": (20.0, 280.0),
    "creatinine": (10.0, 3000.0),
    "cholesterol": (0.5, 30.0),
    "ldl_cholesterol": (0.1, 25.0),
    "hdl_cholesterol": (0.1, 6.0),
}
DIASTOLIC_RANGE: Final = (20.0, 200.0)

# Unit spellings (lower-cased, whitespace removed) -> canonical spelling. Rates are "/min" here;
# heart rate reports them as "bpm".
UNIT_ALIASES: Final[dict[str, str]] = {
    "mmhg": "mmHg",
    "毫米汞柱": "mmHg",
    "℃": "°C",
    "°c": "°C",
    "c": "°C",
    "度": "°C",
    "℉": "°F",
    "°f": "°F",
    "f": "°F",
    "mmol/l": "mmol/L",
    "毫摩尔/升": "mmol/L",
    "mg/dl": "mg/dL",
    "mg%": "mg/dL",
    "µmol/l": "µmol/L",
    "μmol/l": "µmol/L",
    "umol/l": "µmol/L",
    "微摩尔/升": "µmol/L",
    "mmol/mol": "mmol/mol",
    "%": "%",
    "kg": "kg",
    "kgs": "kg",
    "公斤": "kg",
    "千克": "kg",
    "lb": "lb",
    "lbs": "lb",
    "pound": "lb",
    "pounds": "lb",
    "磅": "lb",
    "cm": "cm",
    "厘米": "cm",
    "m": "m",
    "米": "m",
    "in": "in",
    "in.": "in",
    "inch": "in",
    "inches": "in",
}


def canonical_unit_spelling(raw: str, kind: str) -> str:
    """The canonical spelling of a unit as written (`raw`), for `kind`; "" when nothing written."""
    if not raw:
        return ""
    key = "".join(raw.lower().split())
    spelled = UNIT_ALIASES.get(key)
    if spelled is None:  # a rate: bpm, beats/min, breaths per minute, 次/分, /min
        spelled = "/min"
    if spelled == "/min" and kind == "heart_rate":
        return "bpm"
    return spelled
