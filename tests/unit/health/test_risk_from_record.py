"""Score inputs from observation tuples (LOINC), with provenance; real Synthea bundles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from medsage.errors import InvalidInputError
from medsage.health.risk import (
    Observation,
    compute,
    compute_from_observations,
    inputs_from_observations,
    missing_inputs,
)

PATIENT = {"birth_date": "1970-06-15", "sex": "female", "race": "black"}


def test_when_weights_over_time_then_latest_taken_and_units_converted() -> None:
    observations: list[Observation] = [
        ("29463-7", 80.0, "kg", "2019-01-01T10:00:00Z", "w-old"),
        ("29463-7", 165.0, "[lb_av]", "2021-05-01T10:00:00+00:00", "w-new"),
        ("29463-7", 99.0, "kg", None, "w-undated"),
        ("8302-2", 65.0, "[in_i]", "2020-01-01", "h1"),
    ]
    inputs, provenance = inputs_from_observations("bmi", observations, PATIENT)
    assert inputs == pytest.approx({"weight_kg": 165 * 0.45359237, "height_cm": 65 * 2.54})
    assert provenance == {"weight_kg": "w-new", "height_cm": "h1"}


def test_when_bp_panels_then_systolic_and_diastolic_from_the_same_reading() -> None:
    observations: list[Observation] = [
        ("8480-6", 120, "mm[Hg]", "2020-01-01T08:00:00Z", "bp1"),
        ("8462-4", 80, "mm[Hg]", "2020-01-01T08:00:00Z", "bp1"),
        ("8480-6", 135, "mm[Hg]", "2021-01-01T08:00:00Z", "bp2"),
        ("8462-4", 85, "mm[Hg]", "2021-01-01T08:00:00Z", "bp2"),
        ("8480-6", 150, "mm[Hg]", "2022-01-01T08:00:00Z", "sbp-alone"),
    ]
    inputs, provenance = inputs_from_observations("bp_category", observations, PATIENT)
    assert inputs == {"systolic": 135.0, "diastolic": 85.0}
    assert provenance == {"systolic": "bp2", "diastolic": "bp2"}


def test_when_creatinine_measured_then_age_is_taken_on_that_date() -> None:
    observations: list[Observation] = [
        ("38483-4", 1.0, "mg/dL", "2020-06-14T09:00:00Z", "cr1"),
    ]
    inputs, provenance = inputs_from_observations("egfr_ckd_epi_2021", observations, PATIENT)
    assert inputs == {"creatinine_mg_dl": 1.0, "age": 49, "sex": "female"}
    assert provenance == {
        "creatinine_mg_dl": "cr1", "age": "patient.birth_date (age on 2020-06-14)",
        "sex": "patient.sex",
    }  # fmt: skip


def test_when_creatinine_in_umol_l_then_the_alternative_input_is_filled() -> None:
    observations: list[Observation] = [("14682-9", 88.4, "µmol/L", "2020-06-16", "cr2")]
    result = compute_from_observations("egfr_ckd_epi_2021", observations, PATIENT)
    assert result.value == compute("egfr_ckd_epi_2021", creatinine_mg_dl=1.0, age=50,
                                   sex="female").value  # fmt: skip
    assert result.details["provenance"]["creatinine_mg_dl"] == "cr2"


def test_when_unit_unknown_then_error_names_the_observation() -> None:
    observations: list[Observation] = [("2160-0", 1.0, "mg/L", "2020-06-16", "cr3")]
    with pytest.raises(InvalidInputError, match="observation cr3 for creatinine_mg_dl has unit "
                       "'mg/l', which is not converted"):  # fmt: skip
        inputs_from_observations("egfr_ckd_epi_2021", observations, PATIENT)


ASCVD_OBSERVATIONS: list[Observation] = [
    ("2093-3", 213, "mg/dL", "2021-03-01", "tc"),
    ("2085-9", 50, "mg/dL", "2021-03-01", "hdl"),
    ("8480-6", 120, "mm[Hg]", "2021-03-02", "bp"),
    ("72166-2", "Never smoker", None, "2021-03-02", "smk"),
]


def test_when_record_lacks_treatment_and_diabetes_then_they_are_reported_missing() -> None:
    patient = {"birth_date": "1966-01-01", "sex": "male", "race": "white"}
    inputs, provenance = inputs_from_observations("ascvd_pce_2013", ASCVD_OBSERVATIONS, patient)
    assert inputs["smoker"] is False and provenance["smoker"] == "smk"
    assert inputs["age"] == 55
    assert missing_inputs("ascvd_pce_2013", inputs) == ["bp_treated", "diabetes"]
    with pytest.raises(InvalidInputError, match=r"not in the patient's record and not given: "
                       r"bp_treated .*; diabetes"):  # fmt: skip
        compute_from_observations("ascvd_pce_2013", ASCVD_OBSERVATIONS, patient)


def test_when_missing_inputs_given_then_table_a_example_from_the_record() -> None:
    patient = {"birth_date": "1966-01-01", "sex": "male", "race": "black"}
    result = compute_from_observations(
        "ascvd_pce_2013", ASCVD_OBSERVATIONS, patient, {"bp_treated": "no", "diabetes": "no"}
    )
    assert (result.value, result.details["equation"]) == (6.1, "african_american_male")
    assert result.details["provenance"] == {
        "total_cholesterol_mg_dl": "tc", "hdl_mg_dl": "hdl", "systolic_bp": "bp",
        "smoker": "smk", "sex": "patient.sex", "race": "patient.race",
        "age": "patient.birth_date (age on 2021-03-02)", "bp_treated": "given",
        "diabetes": "given",
    }  # fmt: skip


def test_when_given_value_overrides_record_then_provenance_says_given() -> None:
    patient = {"birth_date": "1966-01-01", "sex": "male", "race": "white"}
    given = {"bp_treated": False, "diabetes": False, "total_cholesterol_mmol_l": 5.0}
    result = compute_from_observations("ascvd_pce_2013", ASCVD_OBSERVATIONS, patient, given)
    assert result.details["inputs"]["total_cholesterol_mg_dl"] == pytest.approx(5.0 * 38.67)
    assert result.details["provenance"]["total_cholesterol_mg_dl"] == "given"


def test_when_smoking_status_unknown_then_smoker_is_not_guessed() -> None:
    observations: list[Observation] = [
        ("72166-2", "Unknown if ever smoked", None, "2021-03-02", "smk"),
    ]
    inputs, _ = inputs_from_observations("ascvd_pce_2013", observations, {})
    assert "smoker" not in inputs


def _synthea_observations(bundle: dict[str, Any]) -> tuple[list[Observation], dict[str, Any]]:
    """Observation tuples from a FHIR bundle (panel components under the panel's id)."""
    observations: list[Observation] = []
    patient: dict[str, Any] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            patient = {"birth_date": resource["birthDate"], "sex": resource["gender"]}
        if resource["resourceType"] != "Observation":
            continue
        when = resource.get("effectiveDateTime")
        parts = [resource, *resource.get("component", [])]
        for part in parts:
            code = part["code"]["coding"][0]["code"]
            if "valueQuantity" in part:
                quantity = part["valueQuantity"]
                observations.append((code, quantity["value"], quantity.get("code"), when,
                                     resource["id"]))  # fmt: skip
            elif "valueCodeableConcept" in part:
                text = part["valueCodeableConcept"]["coding"][0]["display"]
                observations.append((code, text, None, when, resource["id"]))
    return observations, patient


@pytest.mark.shared_data
def test_when_synthea_bundles_then_bmi_from_weight_and_height_matches_their_bmi(
    shared_data: Path,
) -> None:
    checked = 0
    for path in sorted((shared_data / "synthea_mcode_sample" / "fhir").glob("*.json")):
        observations, patient = _synthea_observations(json.loads(path.read_text("utf-8")))
        bmi_obs = [o for o in observations if o[0] == "39156-5"]
        inputs, provenance = inputs_from_observations("bmi", observations, patient)
        if not bmi_obs or missing_inputs("bmi", inputs):
            continue
        times = {o[4]: str(o[3]) for o in observations}
        weight_time = times[provenance["weight_kg"]]
        same_time = [o for o in bmi_obs if o[3] == weight_time]
        adult = int(weight_time[:4]) - int(patient["birth_date"][:4]) > 18
        if not same_time or times[provenance["height_cm"]] != weight_time or not adult:
            continue
        result = compute("bmi", **inputs)
        # Synthea prints weight and height to 0.1, so its BMI (from unrounded values) may
        # differ by a few hundredths.
        assert abs(result.details["bmi_unrounded"] - float(same_time[0][1])) < 0.02, path.name
        checked += 1
    assert checked >= 5


@pytest.mark.shared_data
def test_when_synthea_bundle_has_creatinine_then_egfr_computed_with_provenance(
    shared_data: Path,
) -> None:
    computed = 0
    for path in sorted((shared_data / "synthea_mcode_sample" / "fhir").glob("*.json")):
        observations, patient = _synthea_observations(json.loads(path.read_text("utf-8")))
        if not any(o[0] == "38483-4" for o in observations):
            continue
        result = compute_from_observations("egfr_ckd_epi_2021", observations, patient)
        source = result.details["provenance"]["creatinine_mg_dl"]
        assert any(o[4] == source and o[0] == "38483-4" for o in observations)
        assert result.category in {"G1", "G2", "G3a", "G3b", "G4", "G5"}
        computed += 1
    assert computed >= 3
