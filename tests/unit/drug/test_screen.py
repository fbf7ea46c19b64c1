"""The screening pipeline: ranking formula, tie-breaking, output files, report, errors."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from rdkit import Chem

from medsage.drug._properties import sa_score
from medsage.drug._screen import PropertyPredictor, RankingWeights, screen
from medsage.errors import EmptyInputError, InvalidInputError, UnknownNameError

LIBRARY = """CC(=O)Oc1ccccc1C(=O)O aspirin
CC(C)Cc1ccc(C(C)C(=O)O)cc1 ibuprofen
C1CC broken
CCCCCCCCCCCCCCCCCC(=O)OCC(O)CO glyceryl_stearate
S=C1SC(=Cc2ccccc2)C(=O)N1 benzylidene_rhodanine
CC(=O)Nc1ccc(O)cc1 paracetamol

CC(=O)Nc1ccc(O)cc1 paracetamol_again
"""
Prediction = dict[str, dict[str, float | bool | None]]


class LengthModel:
    """A test predictor: regression value = SMILES length (with a +-1 interval), or a fixed
    classification probability; out of domain when asked for SMILES containing `ood`."""

    def __init__(self, name: str, task_type: str, *, probability: float = 0.25,
                 ood: str | None = None) -> None:  # fmt: skip
        self.name = name
        self.tasks = ["y"]
        self.task_type = task_type
        self.probability = probability
        self.ood = ood
        self.calls: list[int] = []

    def predict(self, smiles: Sequence[str]) -> list[Prediction]:
        self.calls.append(len(smiles))
        out: list[Prediction] = []
        for s in smiles:
            regression = self.task_type == "regression"
            value = float(len(s)) if regression else self.probability
            out.append({"y": {
                "value": value, "lower": value - 1 if regression else None,
                "upper": value + 1 if regression else None, "nearest_similarity": 0.4,
                "in_domain": not (self.ood is not None and self.ood in s),
            }})  # fmt: skip
        return out


@pytest.fixture
def library(tmp_path: Path) -> Path:
    path = tmp_path / "library.smi"
    path.write_text(LIBRARY, encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_when_screened_then_ranked_by_documented_formula(library: Path, tmp_path: Path) -> None:
    models: list[PropertyPredictor] = [LengthModel("sol", "regression"),
                                       LengthModel("act", "classification")]  # fmt: skip
    result = screen(
        library, models=models, similar_to=["CC(=O)Oc1ccccc1C(=O)O"],
        out_csv=tmp_path / "hits.csv", workers=1,
    )  # fmt: skip
    assert (result.n_read, result.n_valid, result.n_invalid) == (8, 6, 2)
    assert (result.n_filtered, result.n_ranked) == (1, 5)
    rows = read_csv(tmp_path / "hits.csv")
    assert [(r["rank"], r["name"], r["score"]) for r in rows] == [
        ("1", "aspirin", "1.675122"),
        ("2", "ibuprofen", "1.641721"),
        ("3", "paracetamol", "0.754748"),
        ("4", "paracetamol_again", "0.754748"),  # a tie: the earlier row ranks first
        ("5", "benzylidene_rhodanine", "0.487438"),
    ]
    aspirin = result.hits[0]
    props = aspirin.profile.properties
    assert props is not None
    # SMILES lengths of the ranked molecules: 21, 26, 18, 18, 23 -> aspirin's percentile 2/4;
    # classification p = 0.25; so D = (0.5 + 0.25) / 2. S = 1 (itself); one Brenk alert.
    assert aspirin.desirability == 0.375
    assert aspirin.score == pytest.approx(props.qed + 0.375 + 1.0 - 0.25, abs=1e-12)
    assert rows[0]["sol.y"] == "21.0" and rows[0]["sol.y.lower"] == "20.0"
    assert rows[0]["act.y"] == "0.25" and rows[0]["act.y.in_domain"] == "True"
    assert rows[0]["inchikey"] == "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"
    assert rows[4]["alerts"] == (
        "PAINS_A:ene_rhod_A(235); BRENK:Michael_acceptor_1; BRENK:Thiocarbonyl_group"
    )
    assert models[0].calls == [5]  # type: ignore[attr-defined]  # only molecules that passed


def test_when_rows_rejected_then_rejected_file_has_reasons(library: Path, tmp_path: Path) -> None:
    result = screen(library, out_csv=tmp_path / "hits.csv", workers=1)
    assert result.rejected_csv == str(tmp_path / "hits.rejected.csv")
    rows = read_csv(tmp_path / "hits.rejected.csv")
    assert [(r["row"], r["name"], r["status"], r["reason"]) for r in rows] == [
        ("3", "broken", "invalid", "unclosed ring: unclosed ring for input: 'C1CC'"),
        ("4", "glyceryl_stearate", "filtered", "veber: rotatable bonds 19 > 10"),
        ("7", "", "invalid", "empty input: no SMILES on this line"),
    ]


def test_when_no_models_then_qed_and_alert_penalty_only(library: Path, tmp_path: Path) -> None:
    result = screen(library, out_csv=tmp_path / "hits.csv", workers=1, top=2,
                    weights=RankingWeights(alert=1.0))  # fmt: skip
    assert [h.profile.name for h in result.hits] == ["ibuprofen", "paracetamol"]
    for hit in result.hits:
        props = hit.profile.properties
        assert props is not None
        assert hit.score == pytest.approx(props.qed - 1.0 * len(hit.profile.alerts), abs=1e-12)
    rows = read_csv(tmp_path / "hits.csv")
    assert len(rows) == 2
    # With --top the workers skip SA and InChIKey; the hits get them at the end.
    ibuprofen = Chem.MolFromSmiles("CC(C)Cc1ccc(C(C)C(=O)O)cc1")
    assert rows[0]["sa"] == str(round(sa_score(ibuprofen), 6))
    assert rows[0]["inchikey"] == "HEFNNWSXXWATRW-UHFFFAOYSA-N"


def test_when_objective_min_and_out_of_domain_then_desirability_follows(
    library: Path, tmp_path: Path
) -> None:
    model = LengthModel("tox", "classification", probability=0.8, ood="S")
    result = screen(library, models=[model], out_csv=tmp_path / "a.csv", workers=1,
                    objectives={"tox": "min"})  # fmt: skip
    by_name = {h.profile.name: h.desirability for h in result.hits}
    assert by_name["aspirin"] == pytest.approx(0.2)
    assert by_name["benzylidene_rhodanine"] == pytest.approx(0.1)  # out of domain: half
    with pytest.raises(InvalidInputError, match="must be 'max' or 'min'"):
        screen(library, models=[model], out_csv=tmp_path / "b.csv", workers=1,
               objectives={"tox.y": "lowest"})  # fmt: skip


def test_when_report_asked_then_html_has_svg_highlights_and_formula(
    library: Path, tmp_path: Path
) -> None:
    report = tmp_path / "hits.html"
    screen(library, models=[LengthModel("sol", "regression")], out_csv=tmp_path / "hits.csv",
           report_html=report, workers=1)  # fmt: skip
    html = report.read_text(encoding="utf-8")
    assert html.count("<svg") == 5
    assert "ene_rhod_A(235)" in html and "unclosed ring" in html
    assert "score = 1.0 &times; QED + 1.0 &times; D" in html
    assert "sol.y: 21 [20, 22]" in html  # prediction with its interval
    assert "#FF8C8C" in html.upper()  # PAINS atoms highlighted in the drawing (RGB 1, .55, .55)


def test_when_bad_arguments_then_clear_errors(library: Path, tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="unknown filter 'rule5'"):
        screen(library, filters=["rule5"], out_csv=tmp_path / "x.csv")
    with pytest.raises(InvalidInputError, match="--similar-to molecule 'C1CC' is invalid"):
        screen(library, similar_to=["C1CC"], out_csv=tmp_path / "x.csv")
    with pytest.raises(InvalidInputError, match="--top must be at least 1"):
        screen(library, top=0, out_csv=tmp_path / "x.csv")

    class Broken(LengthModel):
        def predict(self, smiles: Sequence[str]) -> list[Prediction]:
            return super().predict(smiles)[:1]

    with pytest.raises(InvalidInputError, match="returned 1 predictions for 5 molecules"):
        screen(library, models=[Broken("b", "regression")], out_csv=tmp_path / "x.csv", workers=1)
    assert not (tmp_path / "x.csv").exists()  # no half-written output
    empty = tmp_path / "empty.smi"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(EmptyInputError, match="holds no molecules"):
        screen(empty, out_csv=tmp_path / "x.csv")


@pytest.mark.slow
def test_when_two_workers_then_same_output_as_one(library: Path, tmp_path: Path) -> None:
    models = [LengthModel("sol", "regression")]
    one = screen(library, models=models, out_csv=tmp_path / "one.csv", workers=1, batch_size=2)
    two = screen(library, models=models, out_csv=tmp_path / "two.csv", workers=2, batch_size=2)
    assert two.workers == 2
    assert (tmp_path / "one.csv").read_text() == (tmp_path / "two.csv").read_text()
    assert (tmp_path / "one.rejected.csv").read_text() == (
        tmp_path / "two.rejected.csv"
    ).read_text()
    assert one.n_ranked == two.n_ranked == 5


def _real_model() -> Any:
    """A small random forest (logP from 30 drugs): a `FeaturePredictor` the workers run."""
    from rdkit.Chem import Crippen

    from medsage.drug._models import PropertyModel

    train = [
        "CC(=O)Oc1ccccc1C(=O)O", "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "CC(=O)Nc1ccc(O)cc1",
        "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "CN1CCC[C@H]1c1cccnc1", "OC(=O)c1ccccc1O",
        "CN(C)CCCN1c2ccccc2CCc2ccccc21", "Clc1ccc2c(c1)C(=NCC(=O)N2C)c1ccccc1",
        "CC(C)NCC(O)COc1cccc2ccccc12", "COc1ccc2[nH]cc(CCNC(C)=O)c2c1", "NC(=O)c1cccnc1",
        "CC12CCC3C(CCC4=CC(=O)CCC34C)C1CCC2O", "Oc1ccccc1", "CCN(CC)CC(=O)Nc1c(C)cccc1C",
        "CC(C)(C)NCC(O)c1ccc(O)c(CO)c1", "Cc1ccccc1NC(=O)C(C)NCCC", "CCCCO", "CCCCN",
        "c1ccncc1", "Oc1ccc(Cl)cc1", "CC(O)C(O)C", "CCN1CCN(CC1)c1ccccc1", "CCOc1ccccc1",
        "Cc1ccc(cc1)S(=O)(=O)N", "CSCCC(N)C(=O)O", "CC(N)Cc1ccccc1", "OCC(O)CO",
        "c1ccc2ccccc2c1", "CC(C)c1ccccc1O", "COc1ccccc1O",
    ]  # fmt: skip
    y = [[Crippen.MolLogP(Chem.MolFromSmiles(s))] for s in train]
    model = PropertyModel("logp", n_estimators=10, seed=0)
    return model.fit(
        train[:24], y[:24], val_smiles=train[24:], val_y=y[24:], tasks=["y"],
        task_type="regression",
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_when_property_model_runs_in_workers_then_same_predictions_as_predict(
    library: Path, tmp_path: Path, workers: int
) -> None:
    model = _real_model()
    result = screen(
        library, models=[model], out_csv=tmp_path / "hits.csv", workers=workers, batch_size=2
    )
    assert result.workers == workers and result.n_ranked == 5
    expected = model.predict([str(hit.profile.smiles) for hit in result.hits])
    for hit, want in zip(result.hits, expected, strict=True):
        got = hit.predictions["logp"]["y"]
        # The forest's mean may differ in the last bit with the row's place in its batch.
        assert got == pytest.approx(want["y"], rel=1e-12), hit.profile.smiles
