"""Properties equal RDKit's own functions on the standardised molecule; SA equals sascorer."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from rdkit import Chem, RDConfig
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdMolDescriptors

from medsage.drug._filters import find_alerts, qed_alerts_in_brenk
from medsage.drug._molecules import standardize
from medsage.drug._patterns import pattern_bits
from medsage.drug._properties import compute_properties, qed, sa_score
from medsage.errors import InvalidInputError

KNOWN_DRUGS = Path(__file__).resolve().parents[2] / "data" / "drug" / "known_drugs.csv"


def test_when_known_drugs_then_properties_equal_rdkit_functions() -> None:
    with KNOWN_DRUGS.open(encoding="utf-8") as handle:
        drugs = list(csv.DictReader(handle))
    for drug in drugs:
        props = compute_properties(standardize(drug["smiles"]).mol)
        # RDKit's functions on a molecule read fresh from the expected standardised SMILES.
        mol = Chem.MolFromSmiles(drug["expected_smiles"])
        assert props.mw == Descriptors.MolWt(mol), drug["name"]
        assert props.clogp == Crippen.MolLogP(mol)
        assert props.molar_refractivity == Crippen.MolMR(mol)
        assert props.tpsa == rdMolDescriptors.CalcTPSA(mol)
        assert props.hbd == Lipinski.NumHDonors(mol)
        assert props.hba == Lipinski.NumHAcceptors(mol)
        assert props.rotb == Descriptors.NumRotatableBonds(mol)
        assert props.rings == rdMolDescriptors.CalcNumRings(mol)
        assert props.aromatic_rings == rdMolDescriptors.CalcNumAromaticRings(mol)
        assert props.fsp3 == rdMolDescriptors.CalcFractionCSP3(mol)
        assert props.formal_charge == Chem.GetFormalCharge(mol)
        assert props.heavy_atoms == mol.GetNumHeavyAtoms()
        assert props.atoms == Chem.AddHs(mol).GetNumAtoms()
        assert props.qed == QED.qed(mol)


def test_when_aspirin_then_textbook_values() -> None:
    props = compute_properties(standardize("CC(=O)Oc1ccccc1C(=O)O").mol)
    assert round(props.mw, 3) == 180.159  # C9H8O4
    assert (props.hbd, props.hba, props.rotb, props.rings, props.aromatic_rings) == (1, 3, 2, 1, 1)
    assert round(props.tpsa, 2) == 63.60
    assert round(props.clogp, 4) == 1.3101
    assert round(props.fsp3, 4) == round(1 / 9, 4)
    assert props.atoms == 21


def test_when_sascorer_reference_set_then_same_scores_to_3_decimals() -> None:
    # RDKit Contrib's own test data: 100 ZINC molecules with sascorer.py's scores (3 decimals).
    path = Path(RDConfig.RDContribDir) / "SA_Score" / "data" / "zim.100.txt"
    rows = [line.rstrip("\n").split("\t") for line in path.open(encoding="utf-8")][1:]
    assert len(rows) == 100
    for smiles, _name, expected in rows:
        assert sa_score(Chem.MolFromSmiles(smiles)) == pytest.approx(float(expected), abs=5e-4)


def test_when_simple_and_complex_then_sa_orders_them() -> None:
    ethanol = sa_score(Chem.MolFromSmiles("CCO"))
    simvastatin = sa_score(standardize(
        "CCC(C)(C)C(=O)O[C@H]1C[C@@H](C)C=C2C=C[C@H](C)[C@H](CC[C@@H]3C[C@@H](O)CC(=O)O3)[C@@H]21"
    ).mol)  # fmt: skip
    assert round(ethanol, 3) == 1.980
    assert round(simvastatin, 3) == 4.655
    assert 1.0 <= ethanol < simvastatin <= 10.0


def test_when_no_molecule_then_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="got None"):
        compute_properties(None)


@pytest.mark.slow
@pytest.mark.shared_data
def test_when_hiv_molecules_then_fast_qed_equals_rdkit_qed(hiv_smiles: list[str]) -> None:
    smiles = hiv_smiles[:500]
    checked = 0
    for text in smiles:
        std = standardize(text, canonical_tautomer=False)
        if std.valid:
            expected = QED.qed(std.mol)
            assert compute_properties(std.mol).qed == expected, std.smiles
            # The screen's path: QED alerts that are Brenk alerts answered by find_alerts.
            bits = pattern_bits(std.mol)
            brenk = {a.description for a in find_alerts(std.mol, ("brenk",), bits=bits)}
            assert qed(std.mol, bits=bits, brenk_found=brenk) == expected, std.smiles
            checked += 1
    assert checked == 499  # one of the first 500 HIV SMILES does not sanitise
    assert len(qed_alerts_in_brenk()) == 82  # of QED's 116 alerts, shared with Brenk
