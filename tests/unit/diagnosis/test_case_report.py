"""`analyze_case`, concept profiles, fusion, the HTML page and `medsage diagnose`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medsage.cli.main import app
from medsage.diagnosis import (
    ConceptProfiles,
    analyze_case,
    build_knowledge,
    case_report_html,
    fuse,
)
from medsage.errors import DataFormatError, InvalidInputError
from medsage.models import TextClassifier

runner = CliRunner()
CASES = [
    ("fever and cough with sputum", "pneumonia"),
    ("high fever, cough and chest pain when breathing", "pneumonia"),
    ("cough, fever and shortness of breath", "pneumonia"),
    ("burning when urinating and frequent urination", "urinary tract infection"),
    ("painful urination, urgency and lower abdominal pain", "urinary tract infection"),
    ("frequent urination with burning and cloudy urine", "urinary tract infection"),
    ("itchy red rash with scaling on the elbows", "psoriasis"),
    ("silvery scaly rash and itching on knees", "psoriasis"),
    ("rash with itching and joint pain", "psoriasis"),
]


@pytest.fixture(scope="module")
def knowledge() -> ConceptProfiles:
    return build_knowledge([t for t, _ in CASES], [label for _, label in CASES])


@pytest.fixture(scope="module")
def model() -> TextClassifier:
    return TextClassifier("tfidf", calibrate=False).fit(
        [t for t, _ in CASES], [label for _, label in CASES]
    )


def test_when_profiles_learnt_then_rates_are_smoothed_counts(knowledge: ConceptProfiles) -> None:
    assert knowledge.labels == ["pneumonia", "psoriasis", "urinary tract infection"]
    assert knowledge.totals == {"pneumonia": 3, "psoriasis": 3, "urinary tract infection": 3}
    assert knowledge.counts["pneumonia"]["cough"] == 3
    assert knowledge.rate("pneumonia", "cough") == (3 + 0.5) / (3 + 1)
    assert knowledge.rate("psoriasis", "cough") == 0.5 / 4


def test_when_findings_denied_then_knowledge_moves_away(knowledge: ConceptProfiles) -> None:
    p = knowledge.probabilities({"fever"}, set())
    q = knowledge.probabilities({"fever"}, {"cough"})
    assert max(p, key=p.__getitem__) == "pneumonia"
    assert q["pneumonia"] < p["pneumonia"]
    assert knowledge.probabilities(set(), set()) == pytest.approx(
        {label: 1 / 3 for label in knowledge.labels}
    )


def test_when_profiles_saved_then_loaded_identically(
    knowledge: ConceptProfiles, tmp_path: Path
) -> None:
    path = knowledge.save(tmp_path / "kb.json")
    assert ConceptProfiles.load(path) == knowledge
    path.write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(DataFormatError, match="not a MedSage knowledge file"):
        ConceptProfiles.load(path)


def test_when_weights_fused_then_geometric_mean() -> None:
    assert fuse({"a": 0.8, "b": 0.2}, {"a": 0.2, "b": 0.8}, 0.5) == {"a": 0.5, "b": 0.5}
    assert fuse({"a": 0.8, "b": 0.2}, None, 0.5) == {"a": 0.8, "b": 0.2}
    assert fuse({"a": 0.9, "b": 0.1}, {"a": 0.1, "b": 0.9}, 0.0) == {"a": 0.9, "b": 0.1}


def test_when_case_analysed_then_differential_has_evidence_and_codes(
    model: TextClassifier, knowledge: ConceptProfiles
) -> None:
    report = analyze_case(
        "Burning on urination and frequent urination for 2 days. No fever.",
        model=model, knowledge=knowledge, k=3,
    )  # fmt: skip
    data = report.to_dict()
    assert data["language"] == "en"
    assert [(f["text"], f["assertion"]) for f in data["findings"]] == [
        ("Burning on urination", "present"),
        ("frequent urination", "present"),
        ("fever", "negated"),
    ]
    top = data["differential"][0]
    assert top["label"] == "urinary tract infection"
    assert [c["label"] for c in data["differential"]] == sorted(
        model.classes_, key=lambda c: -next(
            d["probability"] for d in data["differential"] if d["label"] == c
        )
    )  # fmt: skip
    assert top["icd10"] == {"code": "N39.0", "title": "Urinary tract infection, site not specified"}
    assert {e["concept"] for e in top["evidence"] if e["kind"] == "finding"} == {
        "dysuria", "urinary_frequency",
    }  # fmt: skip
    assert any(e["kind"] == "token" for e in top["evidence"])
    pneumonia = next(c for c in data["differential"] if c["label"] == "pneumonia")
    # denied fever, which pneumonia cases mention (rate 0.875), argues against it
    assert [e["concept"] for e in pneumonia["against"]] == ["fever"]
    assert data["triage"]["level"] == "routine"
    assert data["disclaimer"].startswith("This is decision support, not a diagnosis.")


def test_when_leader_unclear_then_follow_up_questions_in_case_language() -> None:
    # both diagnoses have fever; cough and rash tell them apart
    kb = ConceptProfiles(
        ["a", "b"], {"a": {"fever": 4, "cough": 4}, "b": {"fever": 4, "rash": 4}},
        {"a": 4, "b": 4},
    )  # fmt: skip
    report = analyze_case("Fever.", knowledge=kb)
    assert [c.probability for c in report.differential] == [0.5, 0.5]
    assert report.follow_up_questions == ["Is there cough?", "Is there rash?"]
    zh = analyze_case("发热。", knowledge=kb)
    assert zh.follow_up_questions == ["是否有咳嗽？", "是否有皮疹？"]
    assert zh.disclaimer.startswith("本结果仅供辅助参考")
    clear = analyze_case("Fever and cough.", knowledge=kb)
    assert clear.differential[0].label == "a" and clear.follow_up_questions == []


def test_when_phi_in_case_then_removed_before_analysis() -> None:
    report = analyze_case("Pt seen 3/12/2024, call 617-555-0142: fever and cough.")
    assert report.phi_removed == 2
    assert "617-555-0142" not in json.dumps(report.to_dict())


def test_when_no_findings_then_empty_differential_with_reason(model: TextClassifier) -> None:
    report = analyze_case("The weather is lovely today.", model=model)
    assert report.differential == []
    assert report.warnings == [
        "no symptoms or signs were recognised in the text, so no differential is given"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "the case text is empty"), ("   ", "the case text is empty"),
     ("fever " * 200_000, "the limit is 100,000")],
)  # fmt: skip
def test_when_bad_case_then_clear_error(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        analyze_case(text)


def test_when_html_written_then_findings_highlighted_and_disclaimer(
    knowledge: ConceptProfiles,
) -> None:
    page = case_report_html(analyze_case("Fever but no cough <script>", knowledge=knowledge))
    assert "<mark style='background:#ffe08a' title='fever: present'>Fever</mark>" in page
    assert "title='cough: negated'>cough</mark>" in page
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert "This is decision support, not a diagnosis." in page


def test_when_cli_json_then_report_schema(
    model: TextClassifier, knowledge: ConceptProfiles, tmp_path: Path
) -> None:
    model.save(tmp_path / "model")
    knowledge.save(tmp_path / "kb.json")
    args = ["diagnose", "--model", str(tmp_path / "model"), "--knowledge",
            str(tmp_path / "kb.json"), "--html", str(tmp_path / "r.html"), "--json",
            "cough and fever"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) >= {
        "language", "findings", "measurements", "triage", "differential",
        "follow_up_questions", "disclaimer",
    }  # fmt: skip
    assert payload["differential"][0]["label"] == "pneumonia"
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!doctype html>")


def test_when_cli_builds_knowledge_then_file_written(tmp_path: Path) -> None:
    train = tmp_path / "train.jsonl"
    train.write_text(
        "\n".join(json.dumps({"text": t, "label": label}) for t, label in CASES), "utf-8"
    )
    out = tmp_path / "kb.json"
    result = runner.invoke(
        app, ["diagnose", "build-knowledge", "--train", str(train), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"out": str(out), "labels": 3, "texts": 9}
    assert ConceptProfiles.load(out).labels == ["pneumonia", "psoriasis", "urinary tract infection"]


def test_when_cli_gets_empty_case_then_one_line_error() -> None:
    result = runner.invoke(app, ["diagnose", "  "])
    assert result.exit_code == 2
    assert "the case text is empty" in result.stderr
