"""One molecule, profiled: standardised structure, properties, rule results and alerts.

`profile_record` is what `medsage drug props` prints and what each screening worker computes;
it never raises for bad chemistry (the profile then has `valid=False` and the reason).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from medsage.drug._filters import (
    ALL_ALERTS,
    Alert,
    RuleResult,
    apply_rules,
    catalog_names,
    find_alerts,
    lipinski_violations,
)
from medsage.drug._molecules import MoleculeRecord, StdMolecule, standardize_record
from medsage.drug._properties import MolecularProperties, compute_properties, with_qed_score

# The fields of `medsage drug props --json`, in order (a stable schema).
PROPS_FIELDS = (
    "row", "id", "input", "smiles", "inchikey", "valid", "error", "mw", "clogp", "tpsa",
    "hbd", "hba", "rotb", "rings", "aromatic_rings", "fsp3", "formal_charge", "qed", "sa",
    "lipinski_violations", "alerts",
)  # fmt: skip


@dataclass(frozen=True)
class MoleculeProfile:
    """Everything the screen knows about one input row, as plain (picklable) values."""

    row: int
    id: str
    name: str | None
    input: str
    smiles: str | None
    inchikey: str | None
    valid: bool
    error: str | None
    properties: MolecularProperties | None = None
    rules: tuple[RuleResult, ...] = ()
    alerts: tuple[Alert, ...] = ()
    similarity: float | None = None  # max ECFP4 Tanimoto to the reference molecules
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def passed_rules(self) -> bool:
        return self.valid and all(r.passed for r in self.rules)

    @property
    def failed_rules(self) -> list[str]:
        return [r.rule for r in self.rules if not r.passed]

    def props_dict(self) -> dict[str, Any]:
        """The `props` JSON object: PROPS_FIELDS, None for what an invalid input lacks."""
        p = self.properties
        values: dict[str, Any] = {
            "row": self.row, "id": self.id, "input": self.input, "smiles": self.smiles,
            "inchikey": self.inchikey, "valid": self.valid, "error": self.error,
        }  # fmt: skip
        for name in PROPS_FIELDS[7:19]:
            values[name] = getattr(p, name) if p is not None else None
        values["lipinski_violations"] = len(lipinski_violations(p)) if p is not None else None
        values["alerts"] = [a.to_dict() for a in self.alerts] if self.valid else None
        return {name: values[name] for name in PROPS_FIELDS}


def profile_molecule(
    std: StdMolecule, record: MoleculeRecord, *, rules: Sequence[str] = (),
    alerts: Iterable[str] = ALL_ALERTS, references: Sequence[Any] = (), with_sa: bool = True,
    skip_alerts_on_failure: bool = False,
) -> MoleculeProfile:  # fmt: skip
    """Profile one standardised molecule: properties, named rules, alert catalogs and, with
    reference fingerprints, the highest ECFP4 similarity to them. `skip_alerts_on_failure`
    leaves `alerts` empty and QED None for a molecule that fails a rule (the screen rejects
    it anyway)."""
    if not std.valid:
        return MoleculeProfile(
            row=record.row, id=record.id, name=record.name, input=record.input, smiles=None,
            inchikey=None, valid=False, error=std.error,
        )  # fmt: skip
    from medsage.drug._patterns import pattern_bits
    from medsage.drug._similarity import max_similarity, morgan_fingerprint

    catalogs = tuple(alerts)
    searched = catalog_names(catalogs)
    try:
        # The rules need no QED: it and the pattern fingerprint (shared by QED and the alert
        # screens) are computed after them, and not at all for a molecule the screen rejects.
        props = compute_properties(std.mol, with_sa=with_sa, with_qed=False)
        results = tuple(apply_rules(props, list(rules)))
        found: tuple[Alert, ...] = ()
        if not (skip_alerts_on_failure and not all(r.passed for r in results)):
            bits = pattern_bits(std.mol)
            found = tuple(find_alerts(std.mol, catalogs, bits=bits))
            brenk = {a.description for a in found if a.catalog == "BRENK"}
            props = with_qed_score(
                std.mol, props, bits=bits, brenk_found=brenk if "BRENK" in searched else None
            )
        similarity = None
        if references:
            similarity = max_similarity(morgan_fingerprint(std.mol), references)
    except Exception as exc:  # an RDKit failure on one odd molecule must not stop a screen
        return MoleculeProfile(
            row=record.row, id=record.id, name=record.name, input=record.input,
            smiles=std.smiles, inchikey=std.inchikey, valid=False,
            error=f"property calculation failed: {type(exc).__name__}: {exc}",
        )  # fmt: skip
    return MoleculeProfile(
        row=record.row, id=record.id, name=record.name, input=record.input, smiles=std.smiles,
        inchikey=std.inchikey, valid=True, error=None, properties=props,
        rules=results, alerts=found, similarity=similarity,
    )  # fmt: skip


def profile_record(
    record: MoleculeRecord, *, rules: Sequence[str] = (), alerts: Iterable[str] = ALL_ALERTS,
    canonical_tautomer: bool = True, references: Sequence[Any] = (), inchikey: bool = True,
    with_sa: bool = True, skip_alerts_on_failure: bool = False,
) -> MoleculeProfile:  # fmt: skip
    """Standardise and profile one input record (see `profile_molecule`)."""
    std = standardize_record(record, canonical_tautomer=canonical_tautomer, inchikey=inchikey)
    return profile_molecule(
        std, record, rules=rules, alerts=alerts, references=references, with_sa=with_sa,
        skip_alerts_on_failure=skip_alerts_on_failure,
    )  # fmt: skip


def profile_inputs(
    records: Iterable[MoleculeRecord], *, canonical_tautomer: bool = True,
    alerts: Iterable[str] = ALL_ALERTS,
) -> Iterator[MoleculeProfile]:  # fmt: skip
    """Profile records in input order (invalid ones included), one at a time."""
    catalogs = tuple(alerts)
    for record in records:
        yield profile_record(record, alerts=catalogs, canonical_tautomer=canonical_tautomer)


def records_from_smiles(smiles: Sequence[str]) -> list[MoleculeRecord]:
    """Command-line SMILES as records numbered from 1."""
    return [MoleculeRecord(row=i, input=s, name=None, id=str(i)) for i, s in enumerate(smiles, 1)]
