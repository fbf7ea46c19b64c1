"""`medsage risk NAME --KEY VALUE`, `medsage risk list` and the `--patient` hook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from medsage.cli import risk

runner = CliRunner()


def _app() -> typer.Typer:
    """The risk group mounted as `medsage` mounts it (`app.add_typer(risk.app, name="risk")`)."""
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """medsage"""

    app.add_typer(risk.app, name="risk")
    return app


APP = _app()

ASCVD_ARGS = ["--age", "55", "--sex", "female", "--race", "african-american".replace("-", "_"),
              "--total-cholesterol-mg-dl", "213", "--hdl-mg-dl", "50", "--systolic-bp", "120",
              "--bp-treated", "no", "--smoker=false", "--diabetes", "0"]  # fmt: skip


def test_when_bmi_keys_given_then_json_result() -> None:
    result = runner.invoke(APP, ["risk", "bmi", "--weight-kg", "70", "--height-cm", "175",
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["value"], data["category"], data["unit"]) == (22.9, "normal", "kg/m²")


def test_when_ascvd_example_given_then_published_3_0_percent() -> None:
    result = runner.invoke(APP, ["risk", "ascvd_pce_2013", *ASCVD_ARGS, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["value"], data["category"], data["details"]["category_zh"]) == (
        3.0, "low", "低危",
    )  # fmt: skip


def test_when_human_output_then_value_category_and_reference_printed() -> None:
    result = runner.invoke(APP, ["risk", "bp_category", "--systolic", "150", "--diastolic",
                                 "85", "--standard", "china_2018"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 level (0-4), isolated_systolic (单纯收缩期高血压（1级）)" in result.stdout
    assert "中国高血压防治指南2018年修订版" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [(["risk", "bmi", "--weight-kg", "70"], "bmi: missing input height_cm (body height; "
      "allowed 50 to 272 cm)"),
     (["risk", "bmi", "--weight-kg", "70", "--height-cm", "1.75"],
      "height_cm = '1.75' is outside the allowed range 50 to 272 cm"),
     (["risk", "bmi", "--weight-kg"], "--weight-kg needs a value"),
     (["risk", "bmi", "70"], "unexpected argument '70'"),
     (["risk", "bmi", "--weight-kg", "70", "--weight-kg", "71"], "--weight-kg is given twice"),
     (["risk", "framingham"], "unknown risk score 'framingham'; choose one of")],
)  # fmt: skip
def test_when_input_bad_then_one_line_error_and_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(APP, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_when_listed_as_json_then_every_score_with_its_inputs() -> None:
    result = runner.invoke(APP, ["risk", "list", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [s["name"] for s in data] == ["ascvd_pce_2013", "bmi", "bp_category", "cha2ds2_vasc",
                                         "egfr_ckd_epi_2021", "findrisc", "qsofa"]  # fmt: skip
    qsofa = data[-1]
    assert [i["name"] for i in qsofa["inputs"]] == [
        "respiratory_rate", "systolic_bp", "altered_mentation", "gcs"]  # fmt: skip


def test_when_listed_for_people_then_table_names_inputs() -> None:
    result = runner.invoke(APP, ["risk", "list"])
    assert result.exit_code == 0, result.output
    assert "egfr_ckd_epi_2021" in result.stdout and "creatinine_mg_dl" in result.stdout


@pytest.fixture
def patient_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A real records store under a temporary MEDSAGE_HOME with patient p1 and one creatinine."""
    from datetime import UTC, date, datetime

    from medsage.health import ObservationRecord, PatientRecord, RecordStore

    monkeypatch.setenv("MEDSAGE_HOME", str(tmp_path))
    monkeypatch.delenv("MEDSAGE_DATABASE_URL", raising=False)
    store = RecordStore()
    store.add_patient("test", PatientRecord("p1", gender="female", birth_date=date(1970, 6, 15)))
    store.add_observation(
        "test",
        ObservationRecord(
            "obs-cr", "p1", "38483-4", value=1.0, unit="mg/dL",
            effective=datetime(2020, 6, 14, 9, tzinfo=UTC),
        ),
    )  # fmt: skip
    store.close()
    yield


@pytest.mark.usefixtures("patient_source")
def test_when_patient_given_then_inputs_from_the_record_with_observation_ids() -> None:
    result = runner.invoke(APP, ["risk", "egfr_ckd_epi_2021", "--patient", "p1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["value"] == 69.1  # 1.0 mg/dL, woman aged 49: 68.6335 / 0.9938
    assert data["details"]["provenance"]["creatinine_mg_dl"] == "obs-cr"
    people = runner.invoke(APP, ["risk", "egfr_ckd_epi_2021", "--patient", "p1"])
    assert "creatinine_mg_dl = 1.0  <- obs-cr" in people.stdout


@pytest.mark.usefixtures("patient_source")
def test_when_patient_record_lacks_inputs_then_error_names_them() -> None:
    result = runner.invoke(APP, ["risk", "findrisc", "--patient", "p1"])
    assert result.exit_code == 2
    assert "not in the patient's record and not given: bmi" in result.output


@pytest.mark.shared_data
def test_when_patient_given_then_inputs_come_from_the_record_with_provenance(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from medsage.health import RecordStore

    monkeypatch.setenv("MEDSAGE_HOME", str(tmp_path))
    monkeypatch.delenv("MEDSAGE_DATABASE_URL", raising=False)
    bundles = sorted((shared_data / "synthea_mcode_sample" / "fhir").glob("*.json"))
    store = RecordStore()
    store.import_fhir("test", bundles[:1])
    pid = store.list_patients("test")[0].id
    store.close()
    result = runner.invoke(APP, ["risk", "bmi", "--patient", pid, "--actor", "dr-a", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["value"], data["category"]) == (30.0, "obese_class_1")
    assert sorted(data["details"]["provenance"]) == ["height_cm", "weight_kg"]
    missing = runner.invoke(APP, ["risk", "bmi", "--patient", "no-such-patient"])
    assert missing.exit_code == 2
    assert "no-such-patient" in missing.output
