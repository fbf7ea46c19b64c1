"""Parsing, standardisation and the streaming readers, on hand-written known drugs."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from rdkit import Chem
from rdkit.Chem.MolStandardize import rdMolStandardize

from medsage.drug._molecules import (
    count_records,
    read_molecules,
    standardize,
    standardize_record,
)
from medsage.errors import DataFormatError, MissingFileError

KNOWN_DRUGS = Path(__file__).resolve().parents[2] / "data" / "drug" / "known_drugs.csv"


def known_drugs() -> list[dict[str, str]]:
    with KNOWN_DRUGS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_when_known_drugs_standardised_then_expected_canonical_smiles() -> None:
    drugs = known_drugs()
    assert len(drugs) >= 30
    got = {d["name"]: standardize(d["smiles"]).smiles for d in drugs}
    assert got == {d["name"]: d["expected_smiles"] for d in drugs}


def test_when_salt_given_then_counter_ion_stripped_and_neutral() -> None:
    for name, smiles in [
        ("metformin hydrochloride", "CN(C)C(=N)NC(=N)N.Cl"),
        ("sertraline hydrochloride", "CN[C@H]1CC[C@@H](c2ccc(Cl)c(Cl)c2)c2ccccc21.Cl"),
        ("diclofenac sodium", "[Na+].[O-]C(=O)Cc1ccccc1Nc1c(Cl)cccc1Cl"),
    ]:
        std = standardize(smiles)
        assert std.valid, name
        assert "." not in std.smiles and Chem.GetFormalCharge(std.mol) == 0, name
    assert standardize("[Na+].[O-]C(=O)Cc1ccccc1Nc1c(Cl)cccc1Cl").smiles == (
        "O=C(O)Cc1ccccc1Nc1c(Cl)cccc1Cl"
    )


def test_when_standardised_then_inchikey_is_rdkits_for_the_smiles() -> None:
    std = standardize("CC(=O)Oc1ccccc1C(=O)O")
    assert std.inchikey == "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"  # aspirin's published InChIKey
    for drug in known_drugs():
        std = standardize(drug["smiles"])
        assert std.inchikey == Chem.MolToInchiKey(Chem.MolFromSmiles(std.smiles))


def test_when_no_tautomer_step_then_matches_rdkit_cleanup_fragment_uncharge() -> None:
    lfc = rdMolStandardize.LargestFragmentChooser()
    uncharger = rdMolStandardize.Uncharger()
    for drug in known_drugs():
        ours = standardize(drug["smiles"], canonical_tautomer=False)
        ref = uncharger.uncharge(
            lfc.choose(rdMolStandardize.Cleanup(Chem.MolFromSmiles(drug["smiles"])))
        )
        assert ours.smiles == Chem.MolToSmiles(Chem.MolFromSmiles(Chem.MolToSmiles(ref)))


def _every_cleanup_step(smiles: str) -> str:
    """Standardisation without the skipped no-op steps (the reference for the shortcut)."""
    mol = Chem.MolFromSmiles(smiles)
    work = Chem.RWMol(Chem.RemoveHs(mol))
    rdMolStandardize.MetalDisconnector().DisconnectInPlace(work)
    rdMolStandardize.Normalizer().normalizeInPlace(work)
    rdMolStandardize.Reionizer().reionizeInPlace(work)
    Chem.AssignStereochemistry(work, cleanIt=True, force=True)
    rdMolStandardize.LargestFragmentChooser().chooseInPlace(work)
    rdMolStandardize.Uncharger().unchargeInPlace(work)
    out = work.GetMol()
    Chem.SanitizeMol(out)
    return Chem.MolToSmiles(Chem.MolFromSmiles(Chem.MolToSmiles(out)))


SHORTCUT_CASES = [
    "[Na+].[O-]C(=O)c1ccccc1", "C[N+](C)(C)C.[Cl-]", "[Na]OC(=O)C", "CCO[Cu]", "[Cl].CCN",
    "[H]OC([H])([H])C", "C[N+](=O)[O-]", "CS(C)=O", "[O-]c1ccccc1", "NCC(=O)[O-].[K+]",
    "[Mg].OC(=O)CC(=O)O", "CC(=O)O.[Ca]", "c1ccccc1[N+]#N",
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.shared_data
def test_when_no_op_steps_skipped_then_same_as_every_cleanup_step(hiv_smiles: list[str]) -> None:
    checked = 0
    for text in SHORTCUT_CASES + hiv_smiles:
        std = standardize(text, canonical_tautomer=False, inchikey=False)
        if std.valid:
            assert std.smiles == _every_cleanup_step(text), text
            checked += 1
    assert checked == len(SHORTCUT_CASES) + 1498  # two of these HIV rows do not sanitise


def test_when_tautomer_step_then_tetrahedral_stereo_is_kept() -> None:
    # RDKit's default would drop the stereo of the alpha carbon (an enolisable centre).
    assert standardize("COc1ccc2cc([C@H](C)C(=O)[O-])ccc2c1.[Na+]").smiles == (
        "COc1ccc2cc([C@H](C)C(=O)O)ccc2c1"
    )


def test_when_metformin_tautomer_step_toggled_then_both_forms_are_stable() -> None:
    assert standardize("CN(C)C(=N)NC(=N)N").smiles == "CN(C)C(N)=NC(=N)N"
    off = standardize("CN(C)C(=N)NC(=N)N", canonical_tautomer=False)
    assert off.smiles == "CN(C)C(=N)NC(=N)N"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("C1CC", "unclosed ring: unclosed ring for input: 'C1CC'"),
        ("", "empty input: no SMILES on this line"),
        ("   ", "empty input: no SMILES on this line"),
        (
            "CN(C)(C)(C)C",
            "bad valence at atom 1 (N): Explicit valence for atom # 1 N, 5, is greater than "
            "permitted",
        ),
        ("c1cccc1", "cannot kekulize: Can't kekulize mol.  Unkekulized atoms: 0 1 2 3 4"),
        ("hello", "not SMILES: syntax error while parsing: hello at position 1"),
        ("C((C", "not SMILES: syntax error while parsing: C((C at position 3"),
        ("aspirin tablets", "not SMILES: 'aspirin tablets' contains spaces (a SMILES never does)"),
    ],
)
def test_when_bad_smiles_then_invalid_with_reason(text: str, reason: str) -> None:
    std = standardize(text)
    assert (std.valid, std.smiles, std.mol, std.inchikey) == (False, None, None, None)
    assert std.input == text
    assert std.error == reason


def test_when_bad_smiles_then_rdkit_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    for text in ("C1CC", "CN(C)(C)(C)C", "hello", "c1cccc1"):
        standardize(text)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_when_smi_file_has_bad_rows_then_every_row_reported(tmp_path: Path) -> None:
    path = tmp_path / "in.smi"
    path.write_text(
        "CC(=O)Oc1ccccc1C(=O)O aspirin\n\nC1CC broken ring\n# a comment\nCN(C)(C)(C)C\nCCO\n",
        encoding="utf-8",
    )
    records = list(read_molecules(path))
    assert [(r.row, r.input, r.name, r.id) for r in records] == [
        (1, "CC(=O)Oc1ccccc1C(=O)O", "aspirin", "aspirin"),
        (2, "", None, "2"),
        (3, "C1CC", "broken ring", "broken ring"),
        (5, "CN(C)(C)(C)C", None, "5"),
        (6, "CCO", None, "6"),
    ]
    valid = [standardize_record(r).valid for r in records]
    assert valid == [True, False, False, False, True]
    assert count_records(path) == 6


def test_when_csv_has_named_column_then_read_with_names(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("Compound ID,SMILES,activity\nA1,CCO,1\nA2,,0\nA3,C1CC,1\n", encoding="utf-8")
    records = list(read_molecules(path))
    assert [(r.row, r.input, r.name, r.id) for r in records] == [
        (1, "CCO", "A1", "A1"),
        (2, "", "A2", "A2"),
        (3, "C1CC", "A3", "A3"),
    ]
    other = tmp_path / "other.csv"
    other.write_text("id,structure\n7,CCN\n", encoding="utf-8")
    assert [(r.input, r.id) for r in read_molecules(other, smiles_column="structure")] == [
        ("CCN", "7")
    ]


def test_when_csv_lacks_smiles_column_then_error_names_columns(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,structure\n1,CCO\n", encoding="utf-8")
    expected = "no SMILES column smiles or mol or canonical_smiles; columns are ['id', 'structure']"
    with pytest.raises(DataFormatError, match=re.escape(expected)):
        list(read_molecules(path))


def test_when_sdf_has_bad_record_then_reported_and_rest_read(tmp_path: Path) -> None:
    good = Chem.MolFromSmiles("CCO")
    good.SetProp("_Name", "ethanol")
    block = Chem.MolToMolBlock(good)
    # A carbon with five bonds: the molblock parses, sanitisation fails.
    bad = Chem.RWMol(Chem.MolFromSmiles("C(C)(C)(C)C", sanitize=False))
    bad.AddAtom(Chem.Atom(6))
    bad.AddBond(0, 5, Chem.BondType.SINGLE)
    bad_block = Chem.MolToMolBlock(bad, kekulize=False)
    path = tmp_path / "in.sdf"
    path.write_text(f"{block}$$$$\n{bad_block}$$$$\n{block}$$$$\n", encoding="utf-8")
    records = list(read_molecules(path))
    assert [(r.row, r.input, r.name) for r in records] == [
        (1, "CCO", "ethanol"),
        (2, "", None),
        (3, "CCO", "ethanol"),
    ]
    assert records[1].error is not None
    assert records[1].error.startswith("unreadable SDF record: Explicit valence for atom # 0 C, 5")
    assert standardize_record(records[1]).error == records[1].error
    assert count_records(path) == 3


def test_when_file_missing_or_unknown_suffix_then_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="does not exist"):
        read_molecules(tmp_path / "none.smi")
    odd = tmp_path / "in.xlsx"
    odd.write_text("x", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"suffix '\.xlsx' is not one of"):
        read_molecules(odd)
