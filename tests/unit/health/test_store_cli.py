"""`medsage patients ...`: import, list, show, export, audit through the CLI (SQLite file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medsage.cli.patients import app

pytestmark = pytest.mark.shared_data
runner = CliRunner()
ANTONE = "da03429f-2819-749d-6584-9b057f9e3a9c"


def _run(*args: str) -> list[object] | dict[str, object]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_when_bundle_is_imported_listed_shown_exported_then_json_is_exact_and_audited(
    tmp_path: Path,
    bundle_files: list[Path],
) -> None:
    db = ["--database", f"sqlite:///{tmp_path / 'r.sqlite3'}", "--actor", "dr.cli", "--json"]
    imported = _run("import", str(bundle_files[0]), *db)
    assert imported == {
        "patient_ids": [ANTONE],
        "counts": {
            "patients": 1,
            "observations": 74,
            "conditions": 12,
            "medications": 2,
            "allergies": 0,
            "encounters": 10,
            "care_plans": 3,
        },
        "skipped": {
            "Procedure": 6,
            "Immunization": 8,
            "DiagnosticReport": 13,
            "DocumentReference": 10,
            "Claim": 12,
            "ExplanationOfBenefit": 10,
            "CareTeam": 3,
            "Provenance": 1,
        },
    }
    listed = _run("list", *db)
    assert listed == [
        {
            "id": ANTONE,
            "family_name": "Simonis280",
            "given_name": "Antone63",
            "gender": "male",
            "birth_date": "1994-08-26",
            "deceased": None,
        }
    ]
    shown = _run("show", ANTONE, *db)
    assert isinstance(shown, dict)
    assert shown["counts"] == imported["counts"]  # type: ignore[call-overload]
    out = tmp_path / "out" / "antone.json"
    exported = _run("export", ANTONE, "--out", str(out), *db)
    assert exported == {"patient_id": ANTONE, "out": str(out), "resources": 90}
    assert len(json.loads(out.read_text(encoding="utf-8"))["entry"]) == 90
    audit = _run("audit", "--patient", ANTONE, *db)
    assert [(e["actor"], e["action"], e["outcome"]) for e in audit] == [  # type: ignore[index]
        ("dr.cli", "import", "success"),
        ("dr.cli", "read", "success"),
        ("dr.cli", "export", "success"),
    ]


def test_when_patient_is_unknown_then_one_line_error_and_exit_code_2(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["show", "nobody", "--database", f"sqlite:///{tmp_path / 'r.sqlite3'}"]
    )
    assert result.exit_code == 2
    assert "no patient 'nobody' in the records store" in result.output
    assert "Traceback" not in result.output


def test_when_bundle_is_bad_then_cli_names_resource_and_field(
    tmp_path: Path,
    bundle_files: list[Path],
) -> None:
    data = json.loads(bundle_files[0].read_text(encoding="utf-8"))
    obs = next(e["resource"] for e in data["entry"] if "valueQuantity" in e["resource"])
    obs["valueQuantity"]["code"] = "mmHg"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(
        app, ["import", str(bad), "--database", f"sqlite:///{tmp_path / 'r.sqlite3'}"]
    )
    assert result.exit_code == 2
    assert f"Observation/{obs['id']} field valueQuantity.code" in result.output
