"""Read a Synthea CSV export folder into per-patient records.

Files read when present: patients.csv (required), conditions.csv, medications.csv,
allergies.csv, encounters.csv, careplans.csv, observations.csv. Other files (claims, costs,
procedures, immunizations, providers, ...) are counted as skipped. Rows without an `Id` column
(conditions, medications, allergies, observations) get a stable UUID-5 id from the file name,
row number and row content, so importing the same folder twice gives the same ids.

Codes are checked as in FHIR import (SNOMED CT, RxNorm, LOINC, UCUM); the first bad cell
raises DataFormatError naming the file, row and column.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from medsage.errors import DataFormatError, MissingFileError
from medsage.health._codes import (
    RXNORM,
    SNOMED,
    icd10_for_snomed,
    loinc_problem,
    rxnorm_problem,
    snomed_problem,
    ucum_problem,
)
from medsage.health._fhir_import import (
    parse_fhir_date,
    parse_fhir_datetime,
)
from medsage.health._records import (
    AllergyRecord,
    CarePlanRecord,
    ConditionRecord,
    EncounterRecord,
    MedicationRecord,
    ObservationRecord,
    PatientBundle,
    PatientRecord,
)

# A fixed namespace for the ids we derive (uuid5 of this and the row), never random.
_ID_NAMESPACE = uuid.UUID("5b0d3a0e-9f7e-4c59-a3a4-6d2f3c1e8a11")

# Synthea's EncounterType -> HL7 v3 ActCode, as its FHIR R4 exporter writes Encounter.class
# (synthea: org.mitre.synthea.world.concepts.HealthRecord.EncounterType).
ENCOUNTER_CLASS = {
    "wellness": "AMB",
    "ambulatory": "AMB",
    "outpatient": "AMB",
    "urgentcare": "AMB",
    "inpatient": "IMP",
    "emergency": "EMER",
    "home": "HH",
    "hospice": "HH",
    "snf": "IMP",
    "virtual": "VR",
}
_GENDER = {"M": "male", "F": "female"}
_READ_FILES = (
    "patients.csv",
    "conditions.csv",
    "medications.csv",
    "allergies.csv",
    "encounters.csv",
    "careplans.csv",
    "observations.csv",
)


@dataclass(frozen=True)
class ParsedFolder:
    """The records of a Synthea folder, per patient, and the files not read."""

    patients: tuple[PatientBundle, ...]
    skipped: dict[str, int]


@dataclass
class _Row:
    file: str
    number: int  # 1-based line number in the file (header is line 1)
    cells: dict[str, str]

    def get(self, column: str, required: bool = False) -> str | None:
        value = (self.cells.get(column) or "").strip()
        if not value:
            if required:
                raise self.fail(column, "is empty")
            return None
        return value

    def need(self, column: str) -> str:
        value = self.get(column, required=True)
        assert value is not None
        return value

    def fail(self, column: str, problem: str) -> DataFormatError:
        return DataFormatError(
            f"{self.file} line {self.number} column {column}: {problem}; nothing from this "
            "folder was stored (fix the file and import the folder again)"
        )

    def time(self, column: str) -> datetime | None:
        value = self.get(column)
        if value is None:
            return None
        try:
            return parse_fhir_datetime(value)
        except ValueError:
            raise self.fail(column, f"{value!r} is not a date or ISO date-time") from None

    def code(self, column: str, problem_of: object) -> str:
        value = self.need(column)
        problem = problem_of(value)  # type: ignore[operator]
        if problem:
            raise self.fail(column, problem)
        return value

    def derived_id(self) -> str:
        key = f"{self.file}|{self.number}|" + "|".join(
            self.cells.get(k) or "" for k in sorted(self.cells)
        )
        return str(uuid.uuid5(_ID_NAMESPACE, key))


def _rows(folder: Path, name: str, columns: tuple[str, ...]) -> Iterator[_Row]:
    path = folder / name
    if not path.is_file():
        return
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise DataFormatError(
                    f"{path}: missing column(s) {', '.join(missing)}; a Synthea {name} has "
                    f"{', '.join(columns)}"
                )
            for number, cells in enumerate(reader, start=2):
                yield _Row(name, number, {k: v for k, v in cells.items() if k is not None})
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"{path}: not UTF-8 text ({exc})") from None


def read_synthea_folder(folder: Path) -> ParsedFolder:
    """Read a Synthea CSV folder; every patient's records, checked, grouped by patient."""
    if not folder.is_dir():
        raise MissingFileError(f"Synthea CSV folder {folder} does not exist")
    if not (folder / "patients.csv").is_file():
        raise MissingFileError(
            f"{folder} holds no patients.csv; expected a Synthea CSV export folder"
        )
    patients: dict[str, PatientRecord] = {}
    for row in _rows(folder, "patients.csv", ("Id", "BIRTHDATE", "GENDER")):
        pid = row.need("Id")
        birth = row.need("BIRTHDATE")
        try:
            birth_date = parse_fhir_date(birth)
        except ValueError:
            raise row.fail("BIRTHDATE", f"{birth!r} is not a date") from None
        gender = row.get("GENDER")
        if gender not in (None, *_GENDER):
            raise row.fail("GENDER", f"{gender!r}: expected M or F")
        patients[pid] = PatientRecord(
            id=pid,
            family_name=row.get("LAST"),
            given_name=row.get("FIRST"),
            gender=_GENDER.get(gender or ""),
            birth_date=birth_date,
            deceased=row.time("DEATHDATE"),
        )
    if not patients:
        raise DataFormatError(f"{folder / 'patients.csv'} holds no patients")
    parts: dict[str, dict[str, list[object]]] = {
        pid: {
            k: []
            for k in (
                "observations",
                "conditions",
                "medications",
                "allergies",
                "encounters",
                "care_plans",
            )
        }
        for pid in patients
    }

    def owner(row: _Row) -> dict[str, list[object]]:
        pid = row.need("PATIENT")
        if pid not in parts:
            raise row.fail("PATIENT", f"{pid!r} is not in patients.csv")
        return parts[pid]

    for row in _rows(folder, "encounters.csv", ("Id", "START", "PATIENT", "CODE")):
        enc_class = (row.get("ENCOUNTERCLASS") or "").lower()
        reason = row.get("REASONCODE")
        owner(row)["encounters"].append(
            EncounterRecord(
                id=row.need("Id"),
                patient_id=row.need("PATIENT"),
                status="finished",
                class_code=ENCOUNTER_CLASS.get(enc_class),
                type_system=SNOMED,
                type_code=row.code("CODE", snomed_problem),
                type_display=row.get("DESCRIPTION"),
                start=row.time("START"),
                end=row.time("STOP"),
                reason_code=row.code("REASONCODE", snomed_problem) if reason else None,
                reason_display=row.get("REASONDESCRIPTION"),
            )
        )
    for row in _rows(folder, "conditions.csv", ("START", "PATIENT", "CODE")):
        code = row.code("CODE", snomed_problem)
        stop = row.time("STOP")
        owner(row)["conditions"].append(
            ConditionRecord(
                id=row.derived_id(),
                patient_id=row.need("PATIENT"),
                icd10=icd10_for_snomed(code),
                display=row.get("DESCRIPTION"),
                source_system=SNOMED,
                source_code=code,
                clinical_status="resolved" if stop else "active",
                verification_status="confirmed",
                category="encounter-diagnosis",
                onset=row.time("START"),
                abatement=stop,
                encounter_id=row.get("ENCOUNTER"),
            )
        )
    for row in _rows(folder, "medications.csv", ("START", "PATIENT", "CODE")):
        stop = row.time("STOP")
        owner(row)["medications"].append(
            MedicationRecord(
                id=row.derived_id(),
                patient_id=row.need("PATIENT"),
                code=row.code("CODE", rxnorm_problem),
                display=row.get("DESCRIPTION"),
                system=RXNORM,
                kind="MedicationStatement",
                status="completed" if stop else "active",
                start=row.time("START"),
                end=stop,
                encounter_id=row.get("ENCOUNTER"),
            )
        )
    for row in _rows(folder, "allergies.csv", ("START", "PATIENT", "CODE")):
        stop = row.time("STOP")
        system = row.get("SYSTEM") or "SNOMED-CT"
        is_rxnorm = system.lower() == "rxnorm"
        owner(row)["allergies"].append(
            AllergyRecord(
                id=row.derived_id(),
                patient_id=row.need("PATIENT"),
                code=row.code("CODE", rxnorm_problem if is_rxnorm else snomed_problem),
                display=row.get("DESCRIPTION"),
                system=RXNORM if is_rxnorm else SNOMED,
                clinical_status="inactive" if stop else "active",
                verification_status="confirmed",
                type=(row.get("TYPE") or "allergy").lower(),
                category=(row.get("CATEGORY") or "").lower() or None,
                onset=row.time("START"),
                end=stop,
                encounter_id=row.get("ENCOUNTER"),
            )
        )
    for row in _rows(folder, "careplans.csv", ("Id", "START", "PATIENT", "CODE")):
        stop = row.time("STOP")
        owner(row)["care_plans"].append(
            CarePlanRecord(
                id=row.need("Id"),
                patient_id=row.need("PATIENT"),
                status="completed" if stop else "active",
                intent="order",
                code=row.code("CODE", snomed_problem),
                display=row.get("DESCRIPTION"),
                system=SNOMED,
                start=row.time("START"),
                end=stop,
                encounter_id=row.get("ENCOUNTER"),
            )
        )
    for row in _rows(folder, "observations.csv", ("DATE", "PATIENT", "CODE", "VALUE")):
        numeric = (row.get("TYPE") or "numeric").lower() == "numeric"
        unit = row.get("UNITS")
        if unit is not None:
            row.code("UNITS", ucum_problem)
        raw = row.need("VALUE")
        try:
            value = float(raw) if numeric else None
        except ValueError:
            raise row.fail("VALUE", f"{raw!r} is not a number (TYPE is numeric)") from None
        owner(row)["observations"].append(
            ObservationRecord(
                id=row.derived_id(),
                patient_id=row.need("PATIENT"),
                code=row.code("CODE", loinc_problem),
                display=row.get("DESCRIPTION"),
                value=value,
                unit=unit if numeric else None,
                value_text=None if numeric else raw,
                effective=row.time("DATE"),
                status="final",
                category=(row.get("CATEGORY") or "").lower() or None,
                encounter_id=row.get("ENCOUNTER"),
            )
        )
    skipped = {p.name: 1 for p in sorted(folder.glob("*.csv")) if p.name not in _READ_FILES}
    bundles = tuple(
        PatientBundle(patient=patients[pid], **{k: tuple(v) for k, v in parts[pid].items()})  # type: ignore[arg-type]
        for pid in patients
    )
    return ParsedFolder(patients=bundles, skipped=skipped)
