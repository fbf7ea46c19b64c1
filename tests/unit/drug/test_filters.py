"""Drug-likeness rules at their published cut-offs and FilterCatalog structural alerts."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

from medsage.drug._filters import (
    RULES,
    Alert,
    apply_rules,
    find_alerts,
    lipinski_violations,
    split_filters,
)
from medsage.drug._molecules import standardize
from medsage.drug._properties import MolecularProperties, compute_properties
from medsage.errors import UnknownNameError

KNOWN_DRUGS = Path(__file__).resolve().parents[2] / "data" / "drug" / "known_drugs.csv"

BASE = MolecularProperties(
    mw=300.0, clogp=2.0, molar_refractivity=80.0, tpsa=60.0, hbd=1, hba=4, rotb=4, rings=2,
    aromatic_rings=1, fsp3=0.3, formal_charge=0, heavy_atoms=22, atoms=40, qed=0.8, sa=2.5,
)  # fmt: skip


def props(**changes: float) -> MolecularProperties:
    return dataclasses.replace(BASE, **changes)  # type: ignore[arg-type]


def test_when_inside_every_cutoff_then_all_rules_pass() -> None:
    assert [(r.rule, r.passed, r.violations) for r in apply_rules(BASE, list(RULES))] == [
        ("lipinski", True, ()),
        ("veber", True, ()),
        ("ghose", True, ()),
        ("egan", True, ()),
        ("leadlike", True, ()),
    ]


@pytest.mark.parametrize(
    ("changes", "rule", "passed", "violations"),
    [
        ({"mw": 500.0}, "lipinski", True, ()),  # the cut-off itself passes ("not more than")
        ({"mw": 500.1}, "lipinski", True, ("MW 500.1 > 500",)),  # one violation is allowed
        ({"mw": 501.0, "clogp": 5.2}, "lipinski", False, ("MW 501 > 500", "cLogP 5.2 > 5")),
        ({"hbd": 6, "hba": 11}, "lipinski", False, ("HBD 6 > 5", "HBA 11 > 10")),
        ({"rotb": 11}, "veber", False, ("rotatable bonds 11 > 10",)),
        ({"tpsa": 140.0}, "veber", True, ()),
        ({"tpsa": 140.5}, "veber", False, ("TPSA 140.5 > 140",)),
        ({"mw": 159.0}, "ghose", False, ("MW 159 outside 160-480",)),
        ({"clogp": -0.5}, "ghose", False, ("cLogP -0.5 outside -0.4-5.6",)),
        ({"atoms": 71}, "ghose", False, ("atoms 71 outside 20-70",)),
        (
            {"molar_refractivity": 130.5},
            "ghose",
            False,
            ("molar refractivity 130.5 outside 40-130",),
        ),
        ({"tpsa": 131.7}, "egan", False, ("TPSA 131.7 > 131.6",)),
        ({"clogp": 5.88}, "egan", True, ()),
        (
            {"mw": 351.0, "rotb": 8},
            "leadlike",
            False,
            ("MW 351 outside 250-350", "rotatable bonds 8 > 7"),
        ),
        ({"clogp": 3.6}, "leadlike", False, ("cLogP 3.6 > 3.5",)),
    ],
)  # fmt: skip
def test_when_cutoff_crossed_then_rule_reports_it(
    changes: dict[str, float], rule: str, passed: bool, violations: tuple[str, ...]
) -> None:
    (result,) = apply_rules(props(**changes), [rule])
    assert (result.passed, result.violations) == (passed, violations)


def test_when_known_drugs_then_lipinski_counts_match_hand_check() -> None:
    with KNOWN_DRUGS.open(encoding="utf-8") as handle:
        drugs = {d["name"]: d["smiles"] for d in csv.DictReader(handle)}
    counts = {
        name: len(lipinski_violations(compute_properties(standardize(smiles).mol)))
        for name, smiles in drugs.items()
    }
    # Atorvastatin (MW 558.6) and levothyroxine (MW 776.9) exceed 500; sertraline has a
    # Crippen logP of 5.18 (measured logP 5.1); nothing else breaks a rule.
    assert {n: c for n, c in counts.items() if c} == {
        "atorvastatin calcium": 2,  # MW 558.6 and Crippen logP 5.49
        "levothyroxine sodium": 1,
        "sertraline hydrochloride": 1,
    }


def test_when_rhodanine_then_alerts_with_catalog_description_atoms() -> None:
    mol = standardize("S=C1SC(=Cc2ccccc2)C(=O)N1").mol
    alerts = find_alerts(mol)
    assert [(a.catalog, a.description) for a in alerts] == [
        ("PAINS_A", "ene_rhod_A(235)"),
        ("BRENK", "Michael_acceptor_1"),
        ("BRENK", "Thiocarbonyl_group"),
        ("NIH", "rhodanine"),
    ]
    thio = alerts[2]
    assert sorted(mol.GetAtomWithIdx(i).GetSymbol() for i in thio.atoms) == ["C", "S"]
    assert str(mol.GetBondBetweenAtoms(*thio.atoms).GetBondType()) == "DOUBLE"
    assert alerts[0].to_dict()["atoms"] == list(alerts[0].atoms)


def test_when_catalog_subset_then_only_those_alerts() -> None:
    mol = standardize("Oc1ccccc1O").mol
    assert find_alerts(mol, ["pains"]) == [Alert("PAINS_B", "catechol_A(92)", tuple(range(8)))]
    assert find_alerts(mol, ["pains_a", "pains_c"]) == []
    assert [a.catalog for a in find_alerts(mol, ["brenk", "nih"])] == ["BRENK", "NIH"]


def test_when_known_drugs_then_alert_count_equals_rdkit_filtercatalog() -> None:
    params = FilterCatalogParams()
    for name in ("PAINS_A", "PAINS_B", "PAINS_C", "BRENK", "NIH"):
        params.AddCatalog(getattr(FilterCatalogParams.FilterCatalogs, name))
    catalog = FilterCatalog(params)
    with KNOWN_DRUGS.open(encoding="utf-8") as handle:
        for drug in csv.DictReader(handle):
            mol = standardize(drug["smiles"]).mol
            ours = sorted(a.description for a in find_alerts(mol))
            assert ours == sorted(e.GetDescription() for e in catalog.GetMatches(mol)), drug["name"]


def test_when_unknown_filter_then_error_lists_choices() -> None:
    assert split_filters(["Lipinski", " pains", "", "brenk"]) == (["lipinski"], ["pains", "brenk"])
    with pytest.raises(UnknownNameError, match="unknown filter 'rule5'; choose from lipinski"):
        split_filters(["rule5"])


@pytest.mark.slow
@pytest.mark.shared_data
def test_when_hiv_molecules_then_screened_alerts_equal_full_catalog(hiv_smiles: list[str]) -> None:
    smiles = hiv_smiles[:500]
    n_alerts = 0
    for text in smiles:
        std = standardize(text, canonical_tautomer=False)
        if std.valid:
            fast = find_alerts(std.mol, screen=True)
            assert fast == find_alerts(std.mol, screen=False), std.smiles
            n_alerts += len(fast)
    assert n_alerts > 300  # the comparison is not vacuous
