"""PropertyModel: numpy tree traversal equals scikit-learn, bundles without pickle, uncertainty."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import Crippen, rdMolDescriptors

from medsage.drug._features import parse_model_inputs
from medsage.drug._models import PropertyModel, load_property_model
from medsage.errors import (
    InvalidInputError,
    ModelBundleError,
    NotFittedError,
    UnknownNameError,
)

DRUGS = [
    "CC(=O)Oc1ccccc1C(=O)O", "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "CC(=O)Nc1ccc(O)cc1",
    "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "CN1CCC[C@H]1c1cccnc1", "OC(=O)c1ccccc1O",
    "CN(C)CCCN1c2ccccc2CCc2ccccc21", "Clc1ccc2c(c1)C(=NCC(=O)N2C)c1ccccc1",
    "CC(C)NCC(O)COc1cccc2ccccc12", "COc1ccc2[nH]cc(CCNC(C)=O)c2c1", "NC(=O)c1cccnc1",
    "CC12CCC3C(CCC4=CC(=O)CCC34C)C1CCC2O", "OC1=CC=CC=C1", "CCN(CC)CC(=O)Nc1c(C)cccc1C",
    "CC(C)(C)NCC(O)c1ccc(O)c(CO)c1", "Cc1ccccc1NC(=O)C(C)NCCC",
    "CCOC(=O)C1=C(C)NC(C)=C(C1c1cccc(c1)[N+]([O-])=O)C(=O)OC",
    "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc12", "NS(=O)(=O)c1cc(C(=O)O)c(NCc2ccco2)cc1Cl",
    "CC(N)Cc1ccccc1", "OCC(O)CO", "CCCCCCCCCCCCCCCC(=O)O", "c1ccc2ccccc2c1", "ClC(Cl)(Cl)Cl",
    "CC(=O)OCC", "Nc1ccc(cc1)S(N)(=O)=O", "CC1=C(C(=O)O)N2C(=O)C(NC(=O)Cc3ccccc3)C2SC1",
    "O=C(O)CCCc1ccc(N(CCCl)CCCl)cc1", "CC(C)c1ccccc1O", "COc1ccccc1O", "CCCCO", "CCCCN",
    "c1ccncc1", "Oc1ccc(Cl)cc1", "CC(O)C(O)C", "O=C1NC(=O)C(N1)(c1ccccc1)c1ccccc1",
    "CCN1CCN(CC1)c1ccccc1", "Fc1ccc(cc1)C(=O)CCCN1CCC(O)(CC1)c1ccc(Cl)cc1", "CCOc1ccccc1",
    "Cc1ccc(cc1)S(=O)(=O)N", "OC(=O)CC(O)(CC(O)=O)C(O)=O", "CSCCC(N)C(=O)O",
]  # fmt: skip


def _targets(smiles: list[str]) -> tuple[np.ndarray, np.ndarray]:
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    logp = np.array([[Crippen.MolLogP(m)] for m in mols])
    polar = np.array([[float(rdMolDescriptors.CalcTPSA(m) > 50)] for m in mols])
    return logp, polar


TRAIN, VAL, TEST = DRUGS[:26], DRUGS[26:36], DRUGS[36:]


def _fit(kind: str, algorithm: str = "rf", **kwargs: object) -> PropertyModel:
    (y_tr, c_tr), (y_va, c_va) = _targets(TRAIN), _targets(VAL)
    model = PropertyModel("t", algorithm=algorithm, n_estimators=12, seed=0, **kwargs)  # type: ignore[arg-type]
    y, yv = (y_tr, y_va) if kind == "regression" else (c_tr, c_va)
    return model.fit(TRAIN, y, val_smiles=VAL, val_y=yv, tasks=["y"], task_type=kind)  # type: ignore[arg-type]


def _sklearn(model: PropertyModel, smiles: list[str]) -> np.ndarray:
    mols, _, _ = parse_model_inputs(smiles)
    x = model._features(mols)
    est = model.estimators_[0]
    if model.task_type == "regression":
        return np.asarray(est.predict(x))
    return np.asarray(est.predict_proba(x)[:, 1])


@pytest.mark.parametrize("kind", ["regression", "classification"])
@pytest.mark.parametrize("algorithm", ["rf", "gb", "hgb"])
def test_when_saved_and_loaded_then_predictions_equal_sklearn_to_1e9(
    tmp_path: Path, kind: str, algorithm: str
) -> None:
    model = _fit(kind, algorithm)
    loaded = load_property_model(model.save(tmp_path / "m"))
    mols, _, _ = parse_model_inputs(DRUGS)
    raw, _ = loaded._raw(loaded._features(mols))
    assert np.max(np.abs(raw[:, 0] - _sklearn(model, DRUGS))) < 1e-9
    a, b = model.predict_arrays(TEST), loaded.predict_arrays(TEST)
    for name in ("value", "lower", "upper", "spread", "nearest_similarity"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_when_bundle_written_then_only_json_and_npy_files_no_pickle(tmp_path: Path) -> None:
    path = _fit("classification").save(tmp_path / "m")
    names = sorted(p.name for p in path.iterdir())
    assert {Path(n).suffix for n in names} == {".json", ".npy"}
    for npy in path.glob("*.npy"):
        np.load(npy, allow_pickle=False)
    manifest = json.loads((path / "medsage.json").read_text())
    assert manifest["kind"] == "drug.property_model" and manifest["tasks"] == ["y"]


def test_when_predicting_then_exact_protocol_keys_and_types() -> None:
    rows = _fit("regression").predict(["CCO", "not a smiles", "c1ccccc1O"])
    assert len(rows) == 3
    assert set(rows[0]) == {"y"}
    assert set(rows[0]["y"]) == {"value", "lower", "upper", "nearest_similarity", "in_domain"}
    r = rows[0]["y"]
    assert isinstance(r["value"], float) and isinstance(r["in_domain"], bool)
    assert r["lower"] <= r["value"] <= r["upper"]  # type: ignore[operator]
    assert rows[1]["y"] == {
        "value": None, "lower": None, "upper": None, "nearest_similarity": None,
        "in_domain": False,
    }  # fmt: skip


def test_when_training_molecule_then_similarity_one_and_in_domain() -> None:
    model = _fit("regression")
    row = model.predict([TRAIN[3], "[Xe]"])
    assert row[0]["y"]["nearest_similarity"] == 1.0 and row[0]["y"]["in_domain"] is True
    assert row[1]["y"]["nearest_similarity"] == 0.0 and row[1]["y"]["in_domain"] is False


def test_when_regression_then_interval_halfwidth_is_q_times_spread_plus_beta() -> None:
    model = _fit("regression")
    a = model.predict_arrays(TEST)
    q, beta = model.conformal_q_[0], model.conformal_beta_[0]
    assert beta > 0 and math.isfinite(q)  # 10 calibration rows: k = ceil(11 * 0.9) = 10
    half = (a.upper - a.value)[:, 0]
    assert np.allclose(half, q * (a.spread[:, 0] + beta))


def test_when_classification_then_calibrated_probabilities_between_band() -> None:
    model = _fit("classification")
    a = model.predict_arrays(TEST)
    assert np.all((a.value >= 0) & (a.value <= 1))
    assert np.all(a.lower <= a.value + 1e-12) and np.all(a.value <= a.upper + 1e-12)


def test_when_multitask_with_missing_labels_then_each_task_uses_its_labelled_rows() -> None:
    y_tr = np.column_stack([_targets(TRAIN)[1][:, 0], _targets(TRAIN)[1][:, 0]])
    y_tr[:6, 1] = np.nan
    y_va = np.column_stack([_targets(VAL)[1][:, 0]] * 2)
    model = PropertyModel("mt", n_estimators=5).fit(
        TRAIN, y_tr, val_smiles=VAL, val_y=y_va, tasks=["a", "b"], task_type="classification"
    )
    assert [e.n_features_in_ for e in model.estimators_] == [2095, 2095]
    # A bootstrap draws as many rows as the task has labels: 26 for "a", 20 for "b".
    roots = [e.estimators_[0].tree_.weighted_n_node_samples[0] for e in model.estimators_]
    assert roots == [26.0, 20.0]
    rows = model.predict(TEST[:2])
    assert set(rows[0]) == {"a", "b"}


def test_when_bad_input_then_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="algorithm 'svm'"):
        _fit("regression", "svm")
    with pytest.raises(InvalidInputError, match="training molecule 1 cannot be used"):
        PropertyModel().fit(
            ["CCO", "C1CC"], np.zeros(2), val_smiles=["CCN"], val_y=np.zeros(1), tasks=["y"],
            task_type="regression",
        )  # fmt: skip
    with pytest.raises(InvalidInputError, match="one class only"):
        PropertyModel().fit(
            ["CCO", "CCC"], np.ones(2), val_smiles=["CCN"], val_y=np.ones(1), tasks=["y"],
            task_type="classification",
        )  # fmt: skip
    with pytest.raises(NotFittedError, match="not fitted"):
        PropertyModel("x").predict(["CCO"])
    with pytest.raises(ModelBundleError, match="does not exist"):
        load_property_model(tmp_path / "missing")


@pytest.mark.shared_data
def test_when_cli_trains_and_evaluates_freesolv_then_same_test_metrics(
    shared_data: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from medsage.cli.drug_models import app

    runner = CliRunner()
    data = str(shared_data / "moleculenet")
    out = tmp_path / "freesolv"
    trained = runner.invoke(
        app, ["train", "--task", "FreeSolv", "--out", str(out), "--n-estimators", "10",
              "--data-dir", data, "--json"],
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    result = json.loads(trained.stdout)
    assert result["split"] == {"train": 513, "val": 64, "test": 65, "seed": 0}
    evaluated = runner.invoke(
        app, ["evaluate", "--model", str(out), "--task", "freesolv", "--data-dir", data, "--json"]
    )
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.stdout)["metrics"] == result["metrics"]
    assert 0.5 < result["metrics"]["rmse"] < 4.0  # kcal/mol; FreeSolv sd is 3.8


def test_when_cli_gets_unknown_task_then_one_line_error_exit_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from medsage.cli.drug_models import app

    res = CliRunner().invoke(app, ["train", "--task", "qm9", "--out", str(tmp_path / "m")])
    assert res.exit_code == 2
    assert "--task 'qm9'; expected one of esol" in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize("kind", ["regression", "classification"])
@pytest.mark.parametrize("algorithm", ["rf", "gb", "hgb"])
def test_when_compiled_trees_then_outputs_equal_numpy_traversal(kind: str, algorithm: str) -> None:
    model = _fit(kind, algorithm)
    assert model.forest_ is not None
    mols, _, _ = parse_model_inputs(DRUGS)
    x = model._features(mols)
    assert model.forest_._compiled()  # scikit-learn's traversal is in use
    assert np.array_equal(model.forest_.tree_outputs(x), model.forest_.numpy_tree_outputs(x))
    assert model.forest_.tree_outputs(x[:0]).shape == (0, 12)


@pytest.mark.parametrize("algorithm", ["rf", "krr+rf"])
def test_when_predicting_from_features_then_same_as_from_smiles(algorithm: str) -> None:
    from medsage.drug._features import featurize_mols
    from medsage.drug._molecules import standardize

    model = _fit("classification", algorithm)
    std = [standardize(s, canonical_tautomer=False) for s in TEST + VAL]
    rows = model.predict_features(featurize_mols([s.mol for s in std]))
    assert rows == model.predict([str(s.smiles) for s in std])
