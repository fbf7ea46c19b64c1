"""ECFP4 + fast 2D descriptor features, scaling and SMILES parsing (real RDKit)."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import Crippen, rdFingerprintGenerator, rdMolDescriptors

from medsage.drug._features import (
    ECFP_SIZE,
    DescriptorScaler,
    Featurizer,
    descriptor_names,
    n_features,
    parse_model_inputs,
)
from medsage.errors import InvalidInputError, NotFittedError

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
CAFFEINE = "Cn1cnc2c1c(=O)n(C)c(=O)n2C"


def test_when_featurized_then_ecfp_counts_equal_rdkit_morgan_radius2() -> None:
    mols = [Chem.MolFromSmiles(s) for s in (ASPIRIN, CAFFEINE)]
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    counts = Featurizer().ecfp(mols)
    assert counts.shape == (2, ECFP_SIZE)
    for i, mol in enumerate(mols):
        assert np.array_equal(counts[i], gen.GetCountFingerprintAsNumPy(mol).astype(np.float32))
    bits = Featurizer(counts=False).ecfp(mols)
    assert set(np.unique(bits)) == {0.0, 1.0}


def test_when_bits_packed_then_unpack_to_rdkit_bit_vector() -> None:
    mol = Chem.MolFromSmiles(ASPIRIN)
    packed = Featurizer().ecfp_bits([mol])
    assert packed.shape == (1, 256)
    fp = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048).GetFingerprint(mol)
    assert list(np.flatnonzero(np.unpackbits(packed[0]))) == list(fp.GetOnBits())


def test_when_descriptors_computed_then_equal_rdkit_functions() -> None:
    mol = Chem.MolFromSmiles(ASPIRIN)
    row = dict(zip(descriptor_names(), Featurizer().descriptors([mol])[0], strict=True))
    assert len(descriptor_names()) == n_features() - ECFP_SIZE == 47
    assert row["clogp"] == pytest.approx(Crippen.MolLogP(mol), abs=1e-12)
    assert row["molar_refractivity"] == pytest.approx(Crippen.MolMR(mol), abs=1e-12)
    assert row["tpsa"] == pytest.approx(63.6, abs=1e-9)  # aspirin TPSA (Ertl 2000): 63.60
    assert row["exact_mw"] == pytest.approx(180.042259, abs=1e-6)
    assert (row["hbd"], row["hba"], row["rings"], row["aromatic_rings"]) == (1, 3, 1, 1)
    assert row["heavy_atoms"] == 13 and row["total_hydrogens"] == 8
    assert row["formal_charge"] == 0
    assert row["fraction_csp3"] == pytest.approx(rdMolDescriptors.CalcFractionCSP3(mol))


def test_when_scaled_then_training_mean_zero_and_nan_inf_become_zero() -> None:
    x = np.array([[1.0, 10.0], [3.0, np.nan], [5.0, 30.0]])
    scaler = DescriptorScaler().fit(x)
    assert scaler.mean_ is not None and scaler.scale_ is not None
    assert scaler.mean_.tolist() == [3.0, 20.0]
    assert scaler.scale_.tolist() == pytest.approx([np.sqrt(8 / 3), 10.0])
    z = scaler.transform(np.array([[3.0, np.inf], [np.nan, 40.0]]))
    assert z.tolist() == [[0.0, 0.0], [0.0, 2.0]]


def test_when_constant_column_then_scale_one_not_division_by_zero() -> None:
    scaler = DescriptorScaler().fit(np.array([[2.0], [2.0]]))
    assert scaler.transform(np.array([[4.0]])).tolist() == [[2.0]]


def test_when_scaler_misused_then_clear_errors() -> None:
    with pytest.raises(NotFittedError, match="before fit"):
        DescriptorScaler().transform(np.zeros((1, 2)))
    with pytest.raises(InvalidInputError, match="3 columns, the scaler expects 2"):
        DescriptorScaler().fit(np.zeros((2, 2))).transform(np.zeros((1, 3)))


def test_when_parsing_then_salts_dropped_and_bad_rows_explained() -> None:
    mols, ok, errors = parse_model_inputs(["CC(=O)[O-].[Na+]", "C1CC", "", "c1ccccc1", "[H][H]"])
    assert ok == [0, 3]
    assert [Chem.MolToSmiles(m) for m in mols] == ["CC(=O)[O-]", "c1ccccc1"]
    assert errors == [
        "",
        "RDKit could not parse 'C1CC'",
        "empty SMILES",
        "",
        "molecule has no heavy atoms",
    ]


def test_when_same_batch_featurized_twice_then_cached_batch_reused() -> None:
    from medsage.drug._features import featurize_smiles

    first = featurize_smiles(["CCO", "C1CC", "c1ccccc1"])
    assert first.ok == [0, 2] and first.ecfp.shape == (2, ECFP_SIZE)
    assert first.descriptors.shape == (2, 47) and first.bits.shape == (2, 256)
    assert featurize_smiles(["CCO", "C1CC", "c1ccccc1"]) is first
    assert featurize_smiles(["CCO"]) is not first


def test_when_featurizing_standardised_molecules_then_same_features_as_featurizer() -> None:
    from medsage.drug._features import featurize_mols
    from medsage.drug._properties import compute_properties

    mols = [Chem.MolFromSmiles(s) for s in (ASPIRIN, CAFFEINE, "CCCCCCCC(=O)NCCO", "c1ccccc1")]
    feat = Featurizer()
    for known in (None, [compute_properties(m, with_qed=False, with_sa=False) for m in mols]):
        batch = featurize_mols(mols, known)
        assert batch.ok == [0, 1, 2, 3] and batch.errors == [""] * 4
        assert np.array_equal(batch.ecfp, feat.ecfp(mols))
        assert np.array_equal(batch.bits, feat.ecfp_bits(mols))  # derived from the counts
        assert np.array_equal(batch.descriptors, feat.descriptors(mols))  # reused values agree
