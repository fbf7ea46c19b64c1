"""Split-conformal thresholds, probability calibration and nearest-neighbour similarity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from medsage.drug._features import Featurizer
from medsage.drug._uncertainty import (
    Calibrator,
    conformal_quantile,
    fit_platt,
    nearest_similarity,
)
from medsage.errors import InvalidInputError


def test_when_nine_scores_at_90_percent_then_the_ninth_smallest() -> None:
    # k = ceil((n + 1) * 0.9) = ceil(9.0) = 9 (Lei et al. 2018)
    assert conformal_quantile(np.arange(9, 0, -1.0), 0.9) == 9.0
    # n = 19: k = ceil(18.0) = 18
    assert conformal_quantile(np.arange(1, 20, 1.0), 0.9) == 18.0
    # n = 20: k = ceil(18.9) = 19
    assert conformal_quantile(np.arange(1, 21, 1.0), 0.9) == 19.0


def test_when_too_few_scores_then_infinite_interval() -> None:
    assert math.isinf(conformal_quantile(np.arange(1, 8, 1.0), 0.9))  # k = 8 > 7


def test_when_coverage_out_of_range_then_error() -> None:
    with pytest.raises(InvalidInputError, match="between 0 and 1"):
        conformal_quantile(np.ones(10), 1.0)


def test_when_exchangeable_data_then_measured_coverage_near_nominal() -> None:
    rng = np.random.default_rng(0)
    scores_cal = np.abs(rng.standard_normal(2000))
    q = conformal_quantile(scores_cal, 0.9)
    test = np.abs(rng.standard_normal(50_000))
    coverage = float(np.mean(test <= q))
    assert coverage == pytest.approx(0.9, abs=0.01)  # measured 0.90 (theory: [0.9, 0.9005])


def test_when_platt_fitted_on_logistic_data_then_recovers_slope_and_intercept() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(size=20_000)
    p_raw = 1 / (1 + np.exp(-z))
    y = (rng.random(20_000) < 1 / (1 + np.exp(-(2 * z - 1)))).astype(float)
    a, b = fit_platt(p_raw, y)
    assert (a, b) == (pytest.approx(2.0, abs=0.1), pytest.approx(-1.0, abs=0.1))


def test_when_one_class_then_calibration_is_identity() -> None:
    cal = Calibrator.fit("platt", np.array([0.2, 0.7]), np.array([1.0, 1.0]))
    assert (cal.a, cal.b) == (1.0, 0.0)
    assert cal(np.array([0.25]))[0] == pytest.approx(0.25)


def test_when_isotonic_then_monotone_step_function_of_the_labels() -> None:
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.8])
    y = np.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0])
    cal = Calibrator.fit("isotonic", p, y)
    assert cal.method == "isotonic"
    assert cal(p).tolist() == pytest.approx([0.0, 0.0, 0.5, 0.5, 1.0, 1.0])


def test_when_nearest_similarity_then_equals_rdkit_bulk_tanimoto_max() -> None:
    train = ["CC(=O)Oc1ccccc1C(=O)O", "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "CCO", "c1ccccc1", "CCN"]
    query = ["CC(=O)Oc1ccccc1C(=O)OC", "CCCO", "c1ccccc1", "C1CCCCC1N"]
    to_mol = Chem.MolFromSmiles
    feat = Featurizer()
    got = nearest_similarity(
        feat.ecfp_bits([to_mol(s) for s in query]), feat.ecfp_bits([to_mol(s) for s in train])
    )
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    train_fps = [gen.GetFingerprint(to_mol(s)) for s in train]
    want = [
        max(DataStructs.BulkTanimotoSimilarity(gen.GetFingerprint(to_mol(s)), train_fps))
        for s in query
    ]
    assert got.tolist() == pytest.approx(want, abs=1e-12)
    assert got[2] == 1.0
