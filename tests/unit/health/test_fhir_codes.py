"""Code and unit checks that fhir.resources does not do: LOINC, SNOMED CT, ICD-10, UCUM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsage.health._codes import (
    SNOMED_TO_ICD10,
    icd10_problem,
    loinc_check_digit,
    loinc_problem,
    snomed_problem,
    ucum_problem,
)
from medsage.health._fhir_import import parse_fhir_datetime


def test_when_loinc_users_guide_example_then_check_digit_is_5() -> None:
    # LOINC Users' Guide, "Calculating Mod 10 check digits": 12345 -> 5.
    assert loinc_check_digit("12345") == 5


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("8302-2", None),
        ("85354-9", None),
        ("8480-6", None),
        ("8302-3", "'8302-3' is not a LOINC code (its check digit should be 2)"),
        ("8302", "'8302' is not a LOINC code (expected digits, a hyphen, a check digit: 8302-2)"),
    ],
)
def test_when_loinc_code_is_checked_then_problem_is_exact(code: str, problem: str | None) -> None:
    assert loinc_problem(code) == problem


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("38341003", None),
        ("1121000119107", None),
        ("38341004", "'38341004' is not a SNOMED CT id (its Verhoeff check digit is wrong)"),
        ("0123", "'0123' is not a SNOMED CT id (expected 6 to 18 digits, e.g. 38341003)"),
    ],
)
def test_when_snomed_id_is_checked_then_verhoeff_digit_decides(
    code: str, problem: str | None
) -> None:
    assert snomed_problem(code) == problem


@pytest.mark.parametrize(
    "unit",
    [
        "mm[Hg]",
        "/min",
        "mg/dL",
        "cm",
        "{score}",
        "kg",
        "%",
        "fL",
        "mmol/L",
        "kg/m2",
        "g/dL",
        "10*3/uL",
        "10*6/uL",
        "pg",
        "Cel",
        "U/L",
        "mL/min",
        "g/L",
        "mL/min/{1.73_m2}",
        "[lb_av]",
        "ug/(24.h)",
        "10^9/L",
        "[IU]/L",
    ],
)
def test_when_unit_is_valid_ucum_then_no_problem(unit: str) -> None:
    assert ucum_problem(unit) is None


@pytest.mark.parametrize("unit", ["mmHg", "mg/", "kilogram", "beats/min", "mg / dL", "(mg", "{a"])
def test_when_unit_is_not_ucum_then_problem_is_reported(unit: str) -> None:
    assert ucum_problem(unit) is not None


def test_when_icd10_codes_are_checked_then_who_2019_decides() -> None:
    assert icd10_problem("I10") is None
    assert icd10_problem("E11.9") is None
    assert icd10_problem("I48.91") == "'I48.91' is not in WHO ICD-10 (2019)"
    assert icd10_problem("I48.91", "http://hl7.org/fhir/sid/icd-10-cm") is None  # CM extension
    assert icd10_problem("X") is not None


def test_when_snomed_map_is_checked_then_every_source_and_target_is_valid() -> None:
    assert len(SNOMED_TO_ICD10) == 63
    assert [k for k in SNOMED_TO_ICD10 if snomed_problem(k)] == []
    assert [v for v in SNOMED_TO_ICD10.values() if icd10_problem(v)] == []


@pytest.mark.shared_data
def test_when_sample_bundles_are_scanned_then_every_code_and_unit_passes(
    bundle_files: list[Path],
) -> None:
    units, loincs, snomeds = set(), set(), set()
    for path in bundle_files:
        for entry in json.loads(path.read_text(encoding="utf-8"))["entry"]:
            resource = entry["resource"]
            for holder in [resource, *resource.get("component", [])]:
                if "valueQuantity" in holder:
                    units.add(holder["valueQuantity"]["code"])
            for coding in (resource.get("code") or {}).get("coding", []):
                if coding.get("system") == "http://loinc.org":
                    loincs.add(coding["code"])
                if coding.get("system") == "http://snomed.info/sct":
                    snomeds.add(coding["code"])
    assert (len(units), len(loincs), len(snomeds)) == (18, 62, 49)
    assert [u for u in units if ucum_problem(u)] == []
    assert [c for c in loincs if loinc_problem(c)] == []
    assert [c for c in snomeds if snomed_problem(c)] == []


def test_when_fhir_times_are_parsed_then_partial_dates_and_offsets_become_utc() -> None:
    assert parse_fhir_datetime("2019").isoformat() == "2019-01-01T00:00:00+00:00"
    assert parse_fhir_datetime("2019-08").isoformat() == "2019-08-01T00:00:00+00:00"
    assert parse_fhir_datetime("2012-10-19T02:01:00-04:00").isoformat() == (
        "2012-10-19T06:01:00+00:00"
    )
