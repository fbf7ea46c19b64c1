"""Personalisation: the parts of a patient's record that matter for a question.

A `PatientContext` holds conditions, medications, allergies and risk results, each with the
record id it came from. `personal_notes` returns the cautions of `resources/consult/
cautions.json` that apply (NSAIDs with anticoagulants or kidney disease, penicillin allergy...)
and the conditions whose name shares words with the question, each note with its record items.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from medsage.literature._tokens import analyze


@dataclass(frozen=True)
class RecordItem:
    """One item of a patient's record: its type, record id, code and display name."""

    type: str  # "condition", "medication", "allergy", "risk"
    id: str
    display: str
    code: str = ""
    value: float | None = None  # a risk score's value

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "id": self.id, "display": self.display}
        out["code"] = self.code
        if self.value is not None:
            out["value"] = self.value
        return out


@dataclass(frozen=True)
class PatientContext:
    """What a consultation may use of one patient's record."""

    patient_id: str
    conditions: tuple[RecordItem, ...] = ()
    medications: tuple[RecordItem, ...] = ()
    allergies: tuple[RecordItem, ...] = ()
    risks: tuple[RecordItem, ...] = ()


@dataclass(frozen=True)
class PersonalNote:
    """A note for this patient, with the rule or match behind it and the record items used."""

    kind: str  # "caution" or "condition" or "risk"
    text: str
    source: str
    record_items: tuple[RecordItem, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "source": self.source,
            "record_items": [r.to_dict() for r in self.record_items],
        }


@lru_cache(maxsize=1)
def _cautions() -> dict[str, Any]:
    path = resources.files("medsage") / "resources" / "consult" / "cautions.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _mentions(text: str, group: str) -> bool:
    lowered = text.lower()
    for term in _cautions()["groups"][group]:
        if re.search(r"[\u4e00-\u9fff]", term):
            if term in text:
                return True
        elif re.search(rf"(?<![a-z]){re.escape(term)}(?![a-z])", lowered):
            return True
    return False


def _items_in(items: Sequence[RecordItem], group: str) -> list[RecordItem]:
    return [i for i in items if _mentions(i.display, group)]


def personal_notes(question: str, patient: PatientContext, lang: str) -> list[PersonalNote]:
    """Cautions that apply to this question and patient, then related conditions and risks."""
    notes: list[PersonalNote] = []
    for rule in _cautions()["rules"]:
        when = rule["when"]
        used: list[RecordItem] = []
        group = when["mentioned_or_taking"]
        taking_it = _items_in(patient.medications, group)
        if not (_mentions(question, group) or taking_it):
            continue
        used.extend(taking_it)
        values: dict[str, str] = {}
        if "taking" in when:
            meds = _items_in(patient.medications, when["taking"])
            if not meds:
                continue
            used.extend(meds)
            values["taking"] = ", ".join(m.display for m in meds)
        if "allergic" in when:
            allergies = _items_in(patient.allergies, when["allergic"])
            if not allergies:
                continue
            used.extend(allergies)
            values["allergy"] = ", ".join(a.display for a in allergies)
        if "condition_codes" in when:
            prefixes = tuple(when["condition_codes"])
            conditions = [c for c in patient.conditions if c.code.startswith(prefixes)]
            limit = when.get("or_egfr_below")
            low_egfr = [
                r for r in patient.risks
                if limit is not None and r.code == "egfr_ckd_epi_2021"
                and r.value is not None and r.value < limit
            ]  # fmt: skip
            if not conditions and not low_egfr:
                continue
            used.extend(conditions + low_egfr)
            values["condition"] = ", ".join(c.display for c in conditions + low_egfr)
        text = rule[lang].format(**values)
        notes.append(PersonalNote("caution", text, rule["source"], tuple(dict.fromkeys(used))))
    topic = set(analyze(question))
    for item, kind in [(c, "condition") for c in patient.conditions] + [
        (r, "risk") for r in patient.risks
    ]:
        if topic & set(analyze(item.display)):
            text = (
                f"您的记录中有：{item.display}（{item.code or item.id}）。"
                if lang == "zh"
                else f"Your record lists: {item.display} ({item.code or item.id})."
            )
            notes.append(PersonalNote(kind, text, "patient record", (item,)))
    return notes
