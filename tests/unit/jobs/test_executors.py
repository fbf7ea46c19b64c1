"""The local pool gives byte-identical part files to the in-process run, for every kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from medsage.jobs import run_job

from .conftest import folder_bytes, make_notes, read_jsonl, write_jsonl

SMILES = [
    ("aspirin", "CC(=O)Oc1ccccc1C(=O)O"),
    ("caffeine", "Cn1cnc2c1c(=O)n(C)c(=O)n2C"),
    ("broken", "C1CC(("),
    ("ethanol", "CCO"),
    ("catechol", "Oc1ccccc1O"),
    ("ibuprofen", "CC(C)Cc1ccc(cc1)C(C)C(=O)O"),
]


def _same_in_pool(tmp_path: Path, kind: str, rows: list[dict[str, Any]], **kw: Any) -> Path:
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    one = run_job(kind, source, tmp_path / "one", num_workers=1, batch_size=3, **kw)
    two = run_job(kind, source, tmp_path / "two", num_workers=2, batch_size=3, **kw)
    assert (one.workers, two.workers) == (1, 2)
    assert (one.outputs, one.errors) == (two.outputs, two.errors)
    assert folder_bytes(tmp_path / "one") == folder_bytes(tmp_path / "two")
    return tmp_path / "one"


@pytest.mark.slow
def test_when_deid_runs_in_a_pool_then_files_equal_the_in_process_run(tmp_path: Path) -> None:
    out = _same_in_pool(
        tmp_path, "deid", make_notes(8),
        options={"operator": "surrogate", "secret": "a-fixed-secret-of-32-bytes-long!"},
    )  # fmt: skip
    first = read_jsonl(out / "part-00000.jsonl")[0]
    assert first["id"] == "n00000"
    assert "Mary Hughes" not in first["text"]
    assert [p["type"] for p in first["phi"]] == ["NAME", "NAME", "DATE", "PHONE"]


@pytest.mark.slow
def test_when_classify_runs_in_a_pool_then_files_equal_the_in_process_run(
    tmp_path: Path, tiny_model: Path, demo_cases: list[dict[str, Any]]
) -> None:
    rows = [{"id": f"c{i}", "text": c["text"]} for i, c in enumerate(demo_cases[:7])]
    out = _same_in_pool(tmp_path, "classify", rows, options={"model": str(tiny_model)})
    outputs = [r for p in sorted(out.glob("part-*")) for r in read_jsonl(p)]
    assert [o["id"] for o in outputs] == [f"c{i}" for i in range(7)]
    correct = sum(o["label"] == c["label"] for o, c in zip(outputs, demo_cases, strict=False))
    assert correct == 7  # training cases
    assert abs(sum(outputs[0]["probabilities"].values()) - 1.0) < 1e-9


@pytest.mark.slow
def test_when_screen_runs_in_a_pool_then_invalid_smiles_is_an_error(tmp_path: Path) -> None:
    rows = [{"id": name, "smiles": smi} for name, smi in SMILES]
    out = _same_in_pool(tmp_path, "screen", rows, options={"filters": "lipinski"})
    errors = read_jsonl(out / "errors-00000.jsonl")
    assert [(e["id"], e["row"]) for e in errors] == [("broken", 3)]
    assert errors[0]["error"].startswith("invalid molecule:")
    aspirin = read_jsonl(out / "part-00000.jsonl")[0]
    assert aspirin["id"] == "aspirin"
    assert round(aspirin["props"]["mw"], 2) == 180.16
    assert aspirin["rules"] == [{"rule": "lipinski", "passed": True, "violations": []}]


@pytest.mark.slow
def test_when_diagnose_runs_in_a_pool_then_files_equal_the_in_process_run(
    tmp_path: Path, tiny_model: Path
) -> None:
    rows = [
        {"id": "d1", "text": "Fever 39.1 °C, productive cough for three days; SpO2 91%."},
        {"id": "d2", "text": "小便时烧灼感，尿频尿急两天，无发热。"},
        {"id": "d3", "text": ""},
        {"id": "d4", "text": "Throbbing one-sided headache with nausea since this morning."},
    ]
    out = _same_in_pool(tmp_path, "diagnose", rows, options={"model": str(tiny_model), "k": 3})
    reports = read_jsonl(out / "part-00000.jsonl")
    assert [r["id"] for r in reports] == ["d1", "d2"]
    assert reports[0]["schema"] == "medsage-case-report/1"
    assert len(reports[0]["differential"]) == 3
    assert read_jsonl(out / "errors-00000.jsonl")[0]["id"] == "d3"


@pytest.mark.slow
def test_when_embed_runs_in_a_pool_then_vectors_are_byte_identical(tmp_path: Path) -> None:
    rows = [{"id": f"e{i}", "text": n["text"]} for i, n in enumerate(make_notes(5))]
    out = _same_in_pool(tmp_path, "embed", rows, options={"encoder": "minilm"})
    vectors = [r["vector"] for r in read_jsonl(out / "part-00000.jsonl")]
    assert [len(v) for v in vectors] == [384, 384, 384]
    assert abs(sum(x * x for x in vectors[0]) - 1.0) < 1e-5


def test_when_index_job_finishes_then_the_index_searches_like_build(tmp_path: Path) -> None:
    from medsage.literature import Document, LiteratureIndex

    docs = [
        {"id": "p1", "title": "Aspirin after myocardial infarction", "text": "Aspirin lowers "
         "the risk of a second heart attack."},
        {"id": "p2", "title": "Migraine", "text": "Triptans relieve migraine headache."},
        {"id": "p3", "title": "", "text": ""},
        {"id": "p4", "title": "Cough in children", "text": "Most cough in children is viral."},
        {"id": "p5", "title": "Heart failure", "text": "Diuretics relieve congestion in heart "
         "failure; aspirin is not indicated."},
    ]  # fmt: skip
    source = write_jsonl(tmp_path / "docs.jsonl", docs)
    result = run_job("index", source, tmp_path / "job", num_workers=1, batch_size=2)
    assert (result.outputs, result.errors) == (4, 1)
    assert result.extra == {"index": str(tmp_path / "job" / "index"), "documents": 4}
    built = LiteratureIndex.build(
        [Document.from_dict(d) for d in docs if d["text"]], tmp_path / "ref", dense=False
    )
    ours = LiteratureIndex.open(tmp_path / "job" / "index")
    for query in ("aspirin heart", "cough", "migraine headache"):
        assert ours.ranked_ids(query) == built.ranked_ids(query)
    assert ours.ranked_ids("aspirin heart")[0][0] == "p1"
