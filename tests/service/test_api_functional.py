"""Each application answers through the API with the demo data (exact values where stable)."""

from __future__ import annotations

import csv
import io

from service_live import LiveServer
from test_api_errors import logged_in


def test_when_cases_are_classified_and_explained_then_labels_and_words_come_back(
    live_server: LiveServer,
) -> None:
    with logged_in(live_server, "dr.li") as client:
        classified = client.post(
            "/api/v1/classify",
            json={
                "texts": [
                    "小便时烧灼感，尿频尿急两天。",
                    "crushing chest pain radiating to left arm, sweating",
                ]
            },
        )
        explained = client.post("/api/v1/explain", json={"text": "小便时烧灼感，尿频尿急两天。"})
    results = classified.json()["results"]
    assert [r["label"] for r in results] == ["urinary_tract_infection", "acute_coronary_syndrome"]
    assert [len(r["top"]) for r in results] == [3, 3]
    body = explained.json()
    assert body["label"] == "urinary_tract_infection"
    words = {w["word"]: w["score"] for w in body["words"]}
    assert max(words, key=words.__getitem__) == "尿频"
    assert {k: body["words"][3][k] for k in ("word", "start", "end")} == {
        "word": "尿频",
        "start": 7,
        "end": 9,
    }


def test_when_an_emergency_case_is_diagnosed_then_triage_is_emergency(
    live_server: LiveServer,
) -> None:
    with logged_in(live_server, "dr.li") as client:
        case = "62岁男性，突发胸骨后压榨样疼痛1小时，大汗，血压90/60mmHg。"
        report = client.post("/api/v1/diagnose", json={"text": case}).json()
    assert report["triage"]["level"] == "emergency"
    assert report["triage"]["rules"][0]["rule_id"] == "acute_coronary_syndrome"
    assert report["differential"][0]["label"] == "acute_coronary_syndrome"


def test_when_a_chinese_note_is_deidentified_then_name_and_phone_become_tags(
    live_server: LiveServer,
) -> None:
    with logged_in(live_server, "researcher") as client:
        result = client.post("/api/v1/deid", json={
            "text": "患者张伟，电话13812345678，2023年3月5日入院。"}).json()  # fmt: skip
    assert result["text"] == "患者[NAME]，电话[PHONE]，[DATE]入院。"
    assert [s["type"] for s in result["spans"]] == ["NAME", "PHONE", "DATE"]


def test_when_literature_is_searched_summarized_and_trended_then_the_demo_index_answers(
    live_server: LiveServer,
) -> None:
    with logged_in(live_server, "patient") as client:
        hits = client.post(
            "/api/v1/literature/search", json={"query": "hypertension treatment", "k": 3}
        ).json()["hits"]
        summary = client.post(
            "/api/v1/literature/summarize", json={"query": "hypertension treatment", "k": 3}
        ).json()
        trends = client.post("/api/v1/literature/trends", json={}).json()
    assert len(hits) == 3 and hits[0]["id"] == "en-hypertension-information"
    assert (summary["n_documents"], summary["sentences"][0]["citation"]) == (3, 1)
    assert trends["n_documents"] == 66
    assert len(trends["top_terms"]) > 0


def test_when_demo_001_is_examined_then_risk_alerts_trends_and_plan_are_returned(
    live_server: LiveServer,
) -> None:
    with logged_in(live_server, "dr.li") as client:
        risk = client.get("/api/v1/patients/demo-001/risk").json()
        alerts = client.get("/api/v1/patients/demo-001/alerts").json()
        trends = client.get("/api/v1/patients/demo-001/trends").json()
        plan = client.get("/api/v1/patients/demo-001/plan").json()
    assert (risk["bmi"]["value"], risk["bmi"]["category"]) == (32.2, "obese_class_1")
    assert (risk["bp_category"]["category"], risk["egfr_ckd_epi_2021"]["value"]) == (
        "stage_2", 68.5
    )  # fmt: skip
    assert {a["rule_id"] for a in alerts} >= {"sbp_hypertension", "dbp_hypertension"}
    glucose = next(t for t in trends if t["code"] == "2345-7")
    assert [p["value"] for p in glucose["points"]] == [152.0, 160.0, 171.0, 178.0, 186.0, 193.0]
    assert glucose["thresholds"][0] == {"value": 54.0, "unit": "mg/dL", "label": "< 54 (urgent)",
                                        "severity": "urgent"}  # fmt: skip
    assert plan["schema"] == "medsage.health.plan/1"
    assert "hba1c_goal_7" in [g["rule_id"] for g in plan["goals"]]


def test_when_a_question_is_asked_then_the_answer_cites_and_emergencies_are_flagged(
    live_server: LiveServer,
) -> None:
    with logged_in(live_server, "patient") as client:
        answer = client.post("/api/v1/consult/ask", json={
            "question": "What are the symptoms of high blood pressure?"}).json()  # fmt: skip
        urgent = client.post("/api/v1/consult/ask", json={
            "question": "My father has crushing chest pain spreading to his left arm and is "
                        "sweating"}).json()  # fmt: skip
        listed = client.get("/api/v1/consult/conversations").json()
    assert answer["triage"]["level"] == "routine"
    assert answer["citations"][0]["id"] == "en-hypertension-information"
    assert "[1]" in answer["answer"]
    assert urgent["triage"]["level"] == "emergency"
    ids = [c["id"] for c in listed]
    assert answer["conversation_id"] in ids and urgent["conversation_id"] in ids


def test_when_molecules_are_profiled_then_valid_and_invalid_smiles_are_reported(
    live_server: LiveServer,
) -> None:
    with logged_in(live_server, "researcher") as client:
        molecules = client.post("/api/v1/drug/props", json={
            "smiles": ["CC(=O)Oc1ccccc1C(=O)O", "not-a-smiles"]}).json()["molecules"]  # fmt: skip
    aspirin, bad = molecules
    assert (aspirin["inchikey"], aspirin["valid"], aspirin["passed"]) == (
        "BSYNRYMUTXBXSQ-UHFFFAOYSA-N", True, True
    )  # fmt: skip
    assert round(aspirin["mw"], 2) == 180.16
    assert aspirin["svg"].lstrip().startswith("<")
    assert (bad["valid"], bad["svg"]) == (False, None)
    assert bad["error"]


def test_when_a_library_is_screened_then_its_owner_downloads_the_hits(
    live_server: LiveServer,
) -> None:
    library = b"CC(=O)Oc1ccccc1C(=O)O\taspirin\nCN1C=NC2=C1C(=O)N(C(=O)N2C)C\tcaffeine\nxyz\tbad\n"
    with logged_in(live_server, "dr.li") as owner, logged_in(live_server, "dr.smith") as other:
        as_json = owner.post("/api/v1/drug/screen", json={"smiles": ["CCO", "c1ccccc1O"]}).json()
        assert (as_json["read"], as_json["valid"]) == (2, 2)
        uploaded = owner.post(
            "/api/v1/drug/screen/upload",
            files={"file": ("library.smi", library, "text/plain")},
            data={"filters": "lipinski"},
        )
        assert uploaded.status_code == 200, uploaded.text
        screen = uploaded.json()
        assert (screen["read"], screen["valid"], screen["invalid"]) == (3, 2, 1)
        url = screen["downloads"]["hits_csv"]
        hits = owner.get(url)
        assert (hits.status_code, hits.headers["content-type"].split(";")[0]) == (200, "text/csv")
        rows = list(csv.DictReader(io.StringIO(hits.text)))
        assert sorted(r["id"] for r in rows) == ["aspirin", "caffeine"]
        stolen = other.get(url)
        assert (stolen.status_code, stolen.json()["detail"]) == (
            404, f"no screen {screen['id']!r} of yours"
        )  # fmt: skip


def test_when_models_are_listed_then_the_demo_model_has_its_evaluation(
    live_server: LiveServer,
) -> None:
    with logged_in(live_server, "researcher") as client:
        models = client.get("/api/v1/models").json()
        one = client.get("/api/v1/models/active").json()
    assert models[0]["name"] == "active"
    assert (one["active"], one["backend"], one["evaluation"]["n"]) == (True, "tfidf", 78)
    assert 0.8 <= one["evaluation"]["accuracy"] <= 1.0
    assert len(one["labels"]) == 6
