"""`medsage drug ...`: props JSON lines in input order, filter, similar, cluster, pick, screen."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from rdkit import Chem
from rdkit.Chem import QED, Crippen, Descriptors
from typer.testing import CliRunner

from medsage.cli.drug import app

runner = CliRunner()
PROPS_KEYS = [
    "row", "id", "input", "smiles", "inchikey", "valid", "error", "mw", "clogp", "tpsa", "hbd",
    "hba", "rotb", "rings", "aromatic_rings", "fsp3", "formal_charge", "qed", "sa",
    "lipinski_violations", "alerts",
]  # fmt: skip


def json_lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_when_props_json_then_one_object_per_input_in_order() -> None:
    inputs = ["CN(C)C(=N)NC(=N)N.Cl", "C1CC", "", "CN(C)(C)(C)C", "not a smiles", "CCO"]
    result = runner.invoke(app, ["props", "--json", *inputs])
    assert result.exit_code == 0, result.output
    rows = json_lines(result.stdout)
    assert [r["input"] for r in rows] == inputs
    assert [r["valid"] for r in rows] == [True, False, False, False, False, True]
    assert all(list(r) == PROPS_KEYS for r in rows)
    assert [r["error"] for r in rows[1:5]] == [
        "unclosed ring: unclosed ring for input: 'C1CC'",
        "empty input: no SMILES on this line",
        "bad valence at atom 1 (N): Explicit valence for atom # 1 N, 5, is greater than permitted",
        "not SMILES: 'not a smiles' contains spaces (a SMILES never does)",
    ]
    metformin = rows[0]
    mol = Chem.MolFromSmiles("CN(C)C(N)=NC(=N)N")
    assert metformin["smiles"] == "CN(C)C(N)=NC(=N)N"
    assert metformin["mw"] == Descriptors.MolWt(mol)
    assert metformin["clogp"] == Crippen.MolLogP(mol)
    assert metformin["qed"] == QED.qed(mol)
    assert metformin["lipinski_violations"] == 0
    assert metformin["alerts"] == [
        {"catalog": "BRENK", "description": "imine_1", "atoms": [3, 5]},
        {"catalog": "BRENK", "description": "imine_2", "atoms": [1, 3, 5]},
    ]
    assert rows[1]["mw"] is None and rows[1]["alerts"] is None


def test_when_props_input_file_then_rows_numbered_and_bad_rows_kept(tmp_path: Path) -> None:
    path = tmp_path / "in.smi"
    path.write_text("CCO ethanol\n\nC1CC ring\nc1ccccc1 benzene\n", encoding="utf-8")
    result = runner.invoke(app, ["props", "--json", "--input", str(path)])
    assert result.exit_code == 0, result.output
    rows = json_lines(result.stdout)
    assert [(r["row"], r["id"], r["valid"]) for r in rows] == [
        (1, "ethanol", True), (2, "2", False), (3, "ring", False), (4, "benzene", True),
    ]  # fmt: skip


def test_when_props_plain_then_one_line_each() -> None:
    result = runner.invoke(app, ["props", "CC(=O)Oc1ccccc1C(=O)O", "C1CC"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("1. CC(=O)Oc1ccccc1C(=O)O  MW 180.2  cLogP 1.31  TPSA 63.6")
    assert lines[0].endswith("alerts: BRENK:phenol_ester")
    assert lines[1] == "2. 'C1CC': invalid (unclosed ring: unclosed ring for input: 'C1CC')"


def test_when_no_input_or_both_then_exit_2_with_message(tmp_path: Path) -> None:
    result = runner.invoke(app, ["props"])
    assert result.exit_code == 2
    assert "no molecules: give SMILES arguments" in result.output
    path = tmp_path / "in.smi"
    path.write_text("CCO\n", encoding="utf-8")
    result = runner.invoke(app, ["props", "CCO", "--input", str(path)])
    assert result.exit_code == 2
    assert "not both" in result.output
    result = runner.invoke(app, ["props", "--input", str(tmp_path / "missing.smi")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_when_filter_json_then_rules_and_alerts() -> None:
    result = runner.invoke(
        app, ["filter", "--json", "--filters", "lipinski,veber,pains",
              "S=C1SC(=Cc2ccccc2)C(=O)N1", "CCCCCCCCCCCCCCCCCC(=O)OCC(O)CO"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rhodanine, stearate = json_lines(result.stdout)
    assert rhodanine["passed"] is False
    assert [a["description"] for a in rhodanine["alerts"]] == ["ene_rhod_A(235)"]  # type: ignore[union-attr]
    assert stearate["rules"] == [
        {"rule": "lipinski", "passed": True, "violations": ["cLogP 5.144 > 5"]},
        {"rule": "veber", "passed": False, "violations": ["rotatable bonds 19 > 10"]},
    ]
    bad = runner.invoke(app, ["filter", "--filters", "rule5", "CCO"])
    assert bad.exit_code == 2 and "unknown filter 'rule5'" in bad.output


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    path = tmp_path / "ref.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "smiles"])
        writer.writerows([
            ["aspirin", "CC(=O)Oc1ccccc1C(=O)O"], ["salicylic acid", "O=C(O)c1ccccc1O"],
            ["ibuprofen", "CC(C)Cc1ccc(C(C)C(=O)O)cc1"],
            ["naproxen", "COc1ccc2cc(C(C)C(=O)O)ccc2c1"],
            ["ethanol", "CCO"], ["propanol", "CCCO"], ["butanol", "CCCCO"], ["bad", "C1CC"],
        ])  # fmt: skip
    return path


def test_when_similar_then_top_k_hits_per_query(reference: Path) -> None:
    result = runner.invoke(app, ["similar", "--json", "--reference", str(reference),
                                 "--query", "OC(=O)c1ccccc1OC(C)=O", "--k", "2"])  # fmt: skip
    assert result.exit_code == 0, result.output
    hits = json_lines(result.stdout)
    assert [(h["rank"], h["name"], h["similarity"]) for h in hits] == [
        (1, "aspirin", 1.0), (2, "salicylic acid", 0.448276),
    ]  # fmt: skip


def test_when_cluster_then_every_row_with_cluster_or_error(reference: Path) -> None:
    result = runner.invoke(app, ["cluster", "--json", "--input", str(reference),
                                 "--threshold", "0.6"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json_lines(result.stdout)
    assert [(r["row"], r["cluster"], r["centroid"]) for r in rows] == [
        (1, 3, False), (2, 3, True), (3, 2, False), (4, 2, True),
        (5, 1, False), (6, 1, False), (7, 1, True), (8, None, False),
    ]  # fmt: skip
    assert rows[3]["scaffold"] == "c1ccc2ccccc2c1"
    assert rows[7]["error"] == "unclosed ring: unclosed ring for input: 'C1CC'"


def test_when_pick_then_seeded_diverse_subset(reference: Path) -> None:
    result = runner.invoke(app, ["pick", "--json", "--input", str(reference), "--n", "3"])
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in json_lines(result.stdout)] == ["naproxen", "butanol", "salicylic acid"]


def test_when_screen_then_csv_report_and_summary(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "hits.csv"
    result = runner.invoke(app, [
        "screen", "--input", str(reference), "--out", str(out), "--top", "3", "--json",
        "--report", str(tmp_path / "hits.html"), "--similar-to", "CC(=O)Oc1ccccc1C(=O)O",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["invalid"], summary["hits"]) == (8, 1, 3)
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    # score = QED + similarity to aspirin - 0.25 x alerts (no models)
    assert [r["name"] for r in rows] == ["aspirin", "naproxen", "salicylic acid"]
    assert [r["score"] for r in rows] == ["1.300122", "1.085623", "1.058534"]
    assert (tmp_path / "hits.html").read_text(encoding="utf-8").count("<svg") == 3


def test_when_screen_unknown_model_then_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDSAGE_HOME", str(tmp_path))
    smi = tmp_path / "in.smi"
    smi.write_text("CCO\n", encoding="utf-8")
    result = runner.invoke(app, ["screen", "--input", str(smi), "--out", str(tmp_path / "o.csv"),
                                 "--models", "esol"])  # fmt: skip
    assert result.exit_code == 2
    assert "no model bundle 'esol'" in result.output
    assert "available: none" in result.output
