"""Invented patients for scale tests and benchmarks: deterministic, streaming, real codes.

`synthetic_patients(n, seed=...)` yields `PatientBundle`s one at a time (memory stays flat for
any `n`); `synthetic_fhir_bundles` yields the same patients as FHIR R4 bundles (the export
form, which `parse_bundle` reads back to the same records). Patient `i` of a seed is always the
same patient, whatever `start` and `n` are, so a slice can be regenerated on its own.

Everything is invented by MedSage: names come from short made-up lists, values from simple
distributions around typical adult values. The codes are real and pass the same checks as an
import: conditions are SNOMED CT concepts of the hand-made SNOMED CT -> ICD-10 map in
`_codes` (so each gets its WHO ICD-10 code), observations are the LOINC codes and UCUM units of
the demo patients (`medsage.service._demo`), medications are RxNorm, encounters, allergies and
care plans SNOMED CT. Prevalences below are picked to exercise every table, not to model any
population.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from medsage.errors import InvalidInputError
from medsage.health._codes import LOINC, RXNORM, SNOMED, UCUM, icd10_for_snomed
from medsage.health._records import (
    AllergyRecord,
    CarePlanActivity,
    CarePlanRecord,
    ConditionRecord,
    EncounterRecord,
    MedicationRecord,
    ObservationRecord,
    PatientBundle,
    PatientRecord,
)

# The day the newest visit happens (fixed, so a seed gives the same records on any day).
REFERENCE_DAY = date(2026, 1, 1)

_GIVEN = {
    "male": ("Adam", "Ben", "Carlos", "Dmitri", "Eitan", "Farid", "Hiro", "Ivan", "Jun", "Wei"),
    "female": ("Ana", "Bea", "Chloe", "Dana", "Elif", "Fatima", "Hana", "Ines", "Lin", "Mei"),
}
_FAMILY = (
    "Abbott", "Bauer", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
    "Kowalski", "Li", "Moreau", "Novak", "Okafor", "Patel", "Rossi", "Sato", "Tanaka", "Wang",
)  # fmt: skip

# (SNOMED CT concept, display, prevalence in the synthetic population, RxNorm drugs started)
_CONDITIONS: tuple[tuple[str, str, float, tuple[tuple[str, str], ...]], ...] = (
    ("59621000", "Essential hypertension (disorder)", 0.30,
     (("314076", "lisinopril 10 MG Oral Tablet"),)),
    ("44054006", "Diabetes mellitus type 2 (disorder)", 0.12,
     (("860975", "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet"),)),
    ("55822004", "Hyperlipidemia (disorder)", 0.20,
     (("316672", "simvastatin 10 MG Oral Tablet"),)),
    ("431855005", "Chronic kidney disease stage 1 (disorder)", 0.05, ()),
    ("162864005", "Body mass index 30+ - obesity (finding)", 0.15, ()),
    ("195967001", "Asthma (disorder)", 0.08,
     (("895994", "120 ACTUAT fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler"),)),
    ("49436004", "Atrial fibrillation (disorder)", 0.03, ()),
    ("235595009", "Gastroesophageal reflux disease (disorder)", 0.07, ()),
    ("278860009", "Chronic low back pain (finding)", 0.06, ()),
)  # fmt: skip
_ALLERGIES = (
    ("300916003", "Latex allergy (finding)"),
    ("419474003", "Allergy to mould (finding)"),
    ("232347008", "Dander (animal) allergy (finding)"),
)
_SMOKING = (
    ("266919005", "Never smoked tobacco (finding)", 0.6),
    ("8517006", "Ex-smoker (finding)", 0.25),
    ("449868002", "Smokes tobacco daily (finding)", 0.15),
)
_DIABETES_PLAN = ("698360004", "Diabetes self management plan (record artifact)")
_DIABETES_ACTIVITIES = (
    ("160670007", "Diabetic diet (finding)"),
    ("229065009", "Exercise therapy (regime/therapy)"),
)
_CHECKUP = ("185349003", "Encounter for check up (procedure)")

# LOINC code -> (display, UCUM unit, category); the demo patients' measurements plus heart rate
# and smoking status.
_VITAL = "vital-signs"
_LAB = "laboratory"
_OBSERVATIONS: dict[str, tuple[str, str | None, str]] = {
    "85354-9": ("Blood pressure panel with all children optional", None, _VITAL),
    "8480-6": ("Systolic blood pressure", "mm[Hg]", _VITAL),
    "8462-4": ("Diastolic blood pressure", "mm[Hg]", _VITAL),
    "8867-4": ("Heart rate", "/min", _VITAL),
    "29463-7": ("Body weight", "kg", _VITAL),
    "8302-2": ("Body height", "cm", _VITAL),
    "39156-5": ("Body mass index (BMI) [Ratio]", "kg/m2", _VITAL),
    "2345-7": ("Glucose [Mass/volume] in Serum or Plasma", "mg/dL", _LAB),
    "2160-0": ("Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", _LAB),
    "2093-3": ("Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", _LAB),
    "2085-9": ("Cholesterol in HDL [Mass/volume] in Serum or Plasma", "mg/dL", _LAB),
    "72166-2": ("Tobacco smoking status", None, "social-history"),
}

# What each system constant is, for readers of the generated rows.
CODE_SYSTEMS = {"LOINC": LOINC, "SNOMED CT": SNOMED, "RxNorm": RXNORM, "UCUM": UCUM}


def synthetic_patient_id(index: int, seed: int = 0) -> str:
    """The id of patient `index` of `seed` (a FHIR id: letters, digits, '-')."""
    return f"syn{seed}-{index:07d}"


def _check(n: int, seed: int, start: int) -> None:
    for name, value in (("n", n), ("seed", seed), ("start", start)):
        if not isinstance(value, int) or value < 0:
            raise InvalidInputError(f"{name} must be a non-negative integer, got {value!r}")


def synthetic_patients(n: int, *, seed: int = 0, start: int = 0) -> Iterator[PatientBundle]:
    """Patients `start` .. `start + n - 1` of `seed`, one at a time (about 50 rows each)."""
    _check(n, seed, start)
    for index in range(start, start + n):
        yield synthetic_patient(index, seed)


def synthetic_fhir_bundles(n: int, *, seed: int = 0, start: int = 0) -> Iterator[dict[str, Any]]:
    """The same patients as `synthetic_patients`, each as a FHIR R4 collection bundle."""
    from medsage.health._fhir_export import bundle_for_patient

    for bundle in synthetic_patients(n, seed=seed, start=start):
        yield bundle_for_patient(bundle)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def synthetic_patient(index: int, seed: int = 0) -> PatientBundle:
    """Patient `index` of `seed` (the same record every time)."""
    rng = random.Random(f"medsage-synthetic:{seed}:{index}")
    pid = synthetic_patient_id(index, seed)
    gender = "female" if rng.random() < 0.5 else "male"
    age_days = rng.randint(18 * 365, 90 * 365)
    patient = PatientRecord(
        id=pid,
        family_name=rng.choice(_FAMILY),
        given_name=rng.choice(_GIVEN[gender]),
        gender=gender,
        birth_date=REFERENCE_DAY - timedelta(days=age_days),
    )
    held = [c for c in _CONDITIONS if rng.random() < c[2]]
    held_codes = {c[0] for c in held}

    # visits: 3 to 6 check-ups, 60 to 240 days apart, the newest up to a year before the
    # reference day
    n_visits = rng.randint(3, 6)
    day = REFERENCE_DAY - timedelta(days=rng.randint(0, 365))
    days = [day]
    for _ in range(n_visits - 1):
        day = day - timedelta(days=rng.randint(60, 240))
        days.append(day)
    days.reverse()

    height = round(rng.gauss(176 if gender == "male" else 163, 7), 1)
    bmi0 = rng.gauss(31 if "162864005" in held_codes else 25.5, 2.5)
    sys0 = rng.gauss(148 if "59621000" in held_codes else 122, 10)
    dia0 = rng.gauss(92 if "59621000" in held_codes else 78, 6)
    glu0 = rng.gauss(160 if "44054006" in held_codes else 95, 12)
    cr0 = rng.gauss(1.3 if "431855005" in held_codes else 0.9, 0.12)

    encounters: list[EncounterRecord] = []
    observations: list[ObservationRecord] = []

    def obs(oid: str, code: str, when: datetime, enc: str, **value: Any) -> ObservationRecord:
        display, unit, category = _OBSERVATIONS[code]
        return ObservationRecord(
            id=oid, patient_id=pid, code=code, display=display, unit=value.pop("unit", unit),
            effective=when, status="final", category=category, encounter_id=enc, **value,
        )  # fmt: skip

    for v, visit_day in enumerate(days):
        start = _at(visit_day, rng.randint(8, 16), rng.choice((0, 15, 30, 45)))
        enc = f"{pid}-e{v}"
        encounters.append(
            EncounterRecord(
                id=enc, patient_id=pid, status="finished", class_code="AMB",
                type_code=_CHECKUP[0], type_system=SNOMED, type_display=_CHECKUP[1],
                start=start, end=start + timedelta(minutes=30),
            )
        )  # fmt: skip
        drift = v * rng.gauss(0, 1)
        weight = round((bmi0 + 0.3 * drift) * (height / 100) ** 2, 1)
        bp = f"{pid}-o{v}-bp"
        observations += [
            obs(bp, "85354-9", start, enc, unit=None),
            obs(bp, "8480-6", start, enc, component=1, value=float(round(sys0 + 3 * drift))),
            obs(bp, "8462-4", start, enc, component=2, value=float(round(dia0 + 2 * drift))),
            obs(f"{pid}-o{v}-hr", "8867-4", start, enc, value=float(rng.randint(55, 95))),
            obs(f"{pid}-o{v}-wt", "29463-7", start, enc, value=weight),
            obs(f"{pid}-o{v}-bmi", "39156-5", start, enc,
                value=round(weight / (height / 100) ** 2, 1)),
            obs(f"{pid}-o{v}-glu", "2345-7", start, enc, value=round(glu0 + 4 * drift, 1)),
            obs(f"{pid}-o{v}-cr", "2160-0", start, enc,
                value=round(max(0.4, cr0 + 0.03 * drift), 2)),
        ]  # fmt: skip
    first, last = encounters[0], encounters[-1]
    assert first.start is not None and last.start is not None
    smoking = rng.choices(_SMOKING, weights=[s[2] for s in _SMOKING])[0]
    observations += [
        obs(f"{pid}-ht", "8302-2", first.start, first.id, value=height),
        obs(f"{pid}-chol", "2093-3", last.start, last.id,
            value=float(round(rng.gauss(220 if "55822004" in held_codes else 185, 20)))),
        obs(f"{pid}-hdl", "2085-9", last.start, last.id, value=float(round(rng.gauss(50, 8)))),
        obs(f"{pid}-smk", "72166-2", first.start, first.id, unit=None, value_code=smoking[0],
            value_system=SNOMED, value_text=smoking[1]),
    ]  # fmt: skip

    conditions: list[ConditionRecord] = []
    medications: list[MedicationRecord] = []
    for k, (code, display, _rate, drugs) in enumerate(held):
        onset = first.start - timedelta(days=rng.randint(30, 3000))
        conditions.append(
            ConditionRecord(
                id=f"{pid}-c{k}", patient_id=pid, icd10=icd10_for_snomed(code), display=display,
                source_system=SNOMED, source_code=code, clinical_status="active",
                verification_status="confirmed", category="encounter-diagnosis", onset=onset,
            )
        )  # fmt: skip
        for d, (rxnorm, drug) in enumerate(drugs):
            medications.append(
                MedicationRecord(
                    id=f"{pid}-m{k}-{d}", patient_id=pid, code=rxnorm, display=drug,
                    system=RXNORM, kind="MedicationRequest", status="active", intent="order",
                    authored=onset + timedelta(days=14),
                )
            )  # fmt: skip
    allergies: list[AllergyRecord] = []
    if rng.random() < 0.1:
        code, display = rng.choice(_ALLERGIES)
        allergies.append(
            AllergyRecord(
                id=f"{pid}-a0", patient_id=pid, code=code, display=display, system=SNOMED,
                clinical_status="active", verification_status="confirmed", type="allergy",
                category="environment", criticality="low", onset=first.start,
            )
        )  # fmt: skip
    care_plans: list[CarePlanRecord] = []
    if "44054006" in held_codes:
        care_plans.append(
            CarePlanRecord(
                id=f"{pid}-p0", patient_id=pid, status="active", intent="order",
                code=_DIABETES_PLAN[0], system=SNOMED, display=_DIABETES_PLAN[1],
                start=first.start, encounter_id=first.id,
                activities=tuple(
                    CarePlanActivity(code=c, display=d, system=SNOMED, status="in-progress")
                    for c, d in _DIABETES_ACTIVITIES
                ),
            )
        )  # fmt: skip
    return PatientBundle(
        patient=patient,
        observations=tuple(observations),
        conditions=tuple(conditions),
        medications=tuple(medications),
        allergies=tuple(allergies),
        encounters=tuple(encounters),
        care_plans=tuple(care_plans),
    )
