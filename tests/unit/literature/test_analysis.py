"""Literature analysis: extractive summaries with citations, sentence roles, trends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsage.errors import EmptyInputError, InvalidInputError, ModelBundleError
from medsage.literature._analysis import (
    RoleClassifier,
    mesh_frequencies,
    publications_per_year,
    role_examples,
    section_role,
    summarize,
    term_frequencies,
    train_role_classifier,
    trends,
)
from medsage.literature._documents import Document, Section

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

EN_DOCS = [
    Document(
        "d1",
        "Metformin and glycaemic control",
        "Metformin lowers blood glucose in type 2 diabetes. Metformin lowers HbA1c by about one "
        "percent. The trial was funded by a charity.",
        year=2019,
        journal="Diabetes Care",
    ),
    Document(
        "d2",
        "Metformin weight effects",
        "Metformin lowers blood glucose and body weight in type 2 diabetes. Gastrointestinal "
        "side effects were common.",
        year=2020,
    ),
    Document(
        "d3",
        "Exercise in diabetes",
        "Regular exercise lowers blood glucose in type 2 diabetes. Walking thirty minutes daily "
        "was enough.",
        year=2021,
        url="https://example.org/d3",
    ),
]

ZH_DOCS = [
    Document(
        "z1",
        "二甲双胍与血糖",
        "二甲双胍可降低2型糖尿病患者的血糖。二甲双胍常见胃肠道不良反应。",
        language="zh",
        year=2018,
    ),
    Document(
        "z2",
        "运动与血糖",
        "规律运动可降低2型糖尿病患者的血糖。每天步行三十分钟即可。",
        language="zh",
        year=2020,
    ),
    Document("z3", "饮食控制", "低碳水饮食可降低2型糖尿病患者的血糖和体重。", language="zh"),
]


# -- summaries ------------------------------------------------------------------------------
def test_when_english_documents_summarised_then_central_sentences_cite_their_documents() -> None:
    summary = summarize(EN_DOCS, max_sentences=3)

    assert [(s.text, s.citation, s.doc_id) for s in summary.sentences] == [
        ("Metformin lowers blood glucose in type 2 diabetes.", 1, "d1"),
        ("Metformin lowers blood glucose and body weight in type 2 diabetes.", 2, "d2"),
        ("Regular exercise lowers blood glucose in type 2 diabetes.", 3, "d3"),
    ]
    for sentence in summary.sentences:
        doc = next(d for d in EN_DOCS if d.id == sentence.doc_id)
        assert doc.text[sentence.start : sentence.end] == sentence.text
        assert sentence.title == doc.title
    assert summary.n_candidates == 7
    assert summary.to_text() == (
        "Metformin lowers blood glucose in type 2 diabetes. [1]\n"
        "Metformin lowers blood glucose and body weight in type 2 diabetes. [2]\n"
        "Regular exercise lowers blood glucose in type 2 diabetes. [3]\n"
        "\n"
        "References:\n"
        "[1] Metformin and glycaemic control. Diabetes Care, 2019. d1\n"
        "[2] Metformin weight effects. 2020. d2\n"
        "[3] Exercise in diabetes. 2021. d3 <https://example.org/d3>"
    )


def test_when_query_given_then_relevant_sentences_are_chosen_in_reading_order() -> None:
    summary = summarize(EN_DOCS, "exercise walking", max_sentences=2)

    assert [s.text for s in summary.sentences] == [
        "Regular exercise lowers blood glucose in type 2 diabetes.",
        "Walking thirty minutes daily was enough.",
    ]
    assert [r.doc_id for r in summary.references] == ["d3"]
    assert summary.sentences[0].citation == summary.sentences[1].citation == 1
    data = summary.to_dict()
    assert data["schema"] == "medsage.literature.summary/1"
    assert data["method"] == "biased-lexrank+mmr"
    assert data["sentences"][1]["start"] == 58
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_when_chinese_documents_summarised_then_sentences_and_heading_are_chinese() -> None:
    summary = summarize(ZH_DOCS, max_sentences=2)

    assert [(s.text, s.doc_id, s.start, s.end) for s in summary.sentences] == [
        ("二甲双胍可降低2型糖尿病患者的血糖。", "z1", 0, 18),
        ("规律运动可降低2型糖尿病患者的血糖。", "z2", 0, 18),
    ]
    assert summary.language == "zh"
    assert "\n参考文献:\n[1] 二甲双胍与血糖. 2018. z1\n" in summary.to_text()


def test_when_chinese_query_given_then_its_document_is_summarised() -> None:
    summary = summarize(ZH_DOCS, "运动 步行", max_sentences=2)

    assert [s.text for s in summary.sentences] == [
        "规律运动可降低2型糖尿病患者的血糖。",
        "每天步行三十分钟即可。",
    ]
    assert [r.doc_id for r in summary.references] == ["z2"]


def test_when_a_sentence_is_duplicated_then_mmr_keeps_one_copy() -> None:
    copy = Document(
        "d4",
        "Copy",
        "Metformin lowers blood glucose in type 2 diabetes. Insulin is needed later.",
    )
    docs = [*EN_DOCS, copy]
    duplicate = "Metformin lowers blood glucose in type 2 diabetes."

    plain = summarize(docs, max_sentences=3, diversity=0.0)
    assert [s.text for s in plain.sentences].count(duplicate) == 2

    diverse = summarize(docs, max_sentences=3)
    assert [s.text for s in diverse.sentences] == [
        duplicate,
        "Metformin lowers blood glucose and body weight in type 2 diabetes.",
        "Regular exercise lowers blood glucose in type 2 diabetes.",
    ]


def test_when_text_has_heading_lines_then_headings_are_not_summary_sentences() -> None:
    doc = Document(
        "h1",
        "Diabetes care",
        "Type 2 Diabetes\nMetformin lowers blood glucose in type 2 diabetes.\n"
        "Diabetes Treatment\nInsulin lowers blood glucose in diabetes.",
    )
    summary = summarize([doc], max_sentences=5)

    assert [(s.text, s.start) for s in summary.sentences] == [
        ("Metformin lowers blood glucose in type 2 diabetes.", 16),
        ("Insulin lowers blood glucose in diabetes.", 86),
    ]


def test_when_query_matches_nothing_then_centrality_decides_and_a_note_says_so() -> None:
    summary = summarize(EN_DOCS, "zebrafish", max_sentences=1)

    assert [s.text for s in summary.sentences] == [
        "Metformin lowers blood glucose in type 2 diabetes."
    ]
    assert "no sentence shares a content word with the query" in summary.notes[0]


def test_when_no_documents_or_no_sentences_then_empty_input_error() -> None:
    with pytest.raises(EmptyInputError, match="no documents"):
        summarize([])
    with pytest.raises(EmptyInputError, match="nothing to summarise"):
        summarize([Document("x", "t", "Methods."), Document("y", "t", "")])
    with pytest.raises(InvalidInputError, match="max_sentences"):
        summarize(EN_DOCS, max_sentences=0)
    with pytest.raises(InvalidInputError, match="lang"):
        summarize(EN_DOCS, lang="fr")


# -- sentence roles -------------------------------------------------------------------------
def _abstract(doc_id: str, parts: list[tuple[str, str]]) -> Document:
    sections = tuple(Section(label, text) for label, text in parts)
    return Document(doc_id, doc_id, "\n".join(s.text for s in sections), sections=sections)


ROLE_DOCS = [
    _abstract(
        "a1",
        [
            ("BACKGROUND", "Hypertension is a common and poorly controlled condition."),
            ("METHODS", "We randomly assigned 200 adults to amlodipine or placebo."),
            ("RESULTS", "Systolic pressure fell by 12 mmHg in the amlodipine group (p < 0.001)."),
            ("CONCLUSIONS", "Amlodipine effectively lowers blood pressure in adults."),
        ],
    ),
    _abstract(
        "a2",
        [
            ("OBJECTIVE", "To assess whether statins prevent stroke in older adults."),
            ("PATIENTS AND METHODS", "We enrolled 1,200 patients and followed them for 5 years."),
            ("RESULTS", "Stroke occurred in 3% of the statin group versus 5% (p = 0.01)."),
            ("CONCLUSION", "Statins reduce the risk of stroke in older adults."),
        ],
    ),
    _abstract(
        "a3",
        [
            ("INTRODUCTION", "Asthma is a common chronic disease in children."),
            ("DESIGN", "We randomly assigned 150 children to inhaled steroids or placebo."),
            ("FINDINGS", "Exacerbations fell by 40% with steroids (p = 0.002)."),
            ("INTERPRETATION", "Inhaled steroids reduce asthma exacerbations in children."),
        ],
    ),
    _abstract(
        "a4",
        [
            ("AIMS", "Depression is common and often untreated in primary care."),
            ("METHODS", "We enrolled 300 patients and assigned them to therapy or usual care."),
            ("RESULTS", "Remission occurred in 45% versus 30% with usual care (p = 0.004)."),
            ("CONCLUSIONS", "Therapy improves remission of depression in primary care."),
        ],
    ),
    _abstract(
        "a5",
        [
            ("背景", "Obesity is a common risk factor for diabetes."),
            ("方法", "We randomly assigned 400 adults to a diet programme or advice."),
            ("结果", "Weight fell by 6 kg with the programme (p < 0.001)."),
            ("结论", "A diet programme reduces weight in adults at risk."),
        ],
    ),
]


def test_when_section_labels_mapped_then_nlm_style_roles_result() -> None:
    assert section_role("PATIENTS AND METHODS") == "METHODS"
    assert section_role("Objective") == "BACKGROUND"
    assert section_role("MAIN OUTCOME MEASURES") == "METHODS"
    assert section_role("CONCLUSIONS AND RELEVANCE") == "CONCLUSIONS"
    assert section_role("结论") == "CONCLUSIONS"
    assert section_role("RESULTS AND CONCLUSIONS") is None
    assert section_role("") is None
    assert section_role("OTHER_ABSTRACT") is None


def test_when_structured_abstracts_read_then_examples_carry_roles_and_positions() -> None:
    examples = role_examples([*ROLE_DOCS[:1], Document("plain", "t", "No sections here.")])

    assert examples.n_abstracts == 1
    assert examples.roles == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert examples.positions == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])


@pytest.fixture(scope="module")
def role_model() -> RoleClassifier:
    return train_role_classifier(ROLE_DOCS, seed=0)


def test_when_trained_on_structured_abstracts_then_clear_sentences_get_their_roles(
    role_model: RoleClassifier,
) -> None:
    abstract = (
        "Heart failure is a common cause of admission. "
        "We randomly assigned 500 patients to dapagliflozin or placebo. "
        "Admissions fell by 25% with dapagliflozin (p < 0.001). "
        "Dapagliflozin reduces admissions in heart failure."
    )
    labelled = role_model.label_abstract(abstract)

    assert [role for _, role, _ in labelled] == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert labelled[1].sentence == "We randomly assigned 500 patients to dapagliflozin or placebo."
    assert all(0.25 < p <= 1.0 for _, _, p in labelled)
    assert role_model.classes_ == ["BACKGROUND", "CONCLUSIONS", "METHODS", "RESULTS"]
    assert role_model.predict([("Mortality fell by 10% (p = 0.03).", 0.6)]) == ["RESULTS"]


def test_when_role_model_saved_and_loaded_then_probabilities_are_identical(
    role_model: RoleClassifier, tmp_path: Path
) -> None:
    pairs = [("We enrolled 80 patients.", 0.25), ("Statins reduce risk.", 1.0)]
    folder = role_model.save(tmp_path / "roles")
    loaded = RoleClassifier.load(folder)

    assert json.loads((folder / "medsage.json").read_text())["kind"] == "sentence-role-classifier"
    assert loaded.position_buckets == 5
    assert loaded.classes_ == role_model.classes_
    assert loaded.predict_proba(pairs).tolist() == role_model.predict_proba(pairs).tolist()
    with pytest.raises(ModelBundleError):
        RoleClassifier.load(folder / "classifier")


def test_when_no_structured_abstract_then_training_fails_clearly() -> None:
    with pytest.raises(EmptyInputError, match="structured abstract"):
        train_role_classifier([Document("x", "t", "Plain text.")])
    with pytest.raises(EmptyInputError, match="empty"):
        train_role_classifier(ROLE_DOCS).label_abstract("   ")


# -- trends ---------------------------------------------------------------------------------
TREND_DOCS = [
    Document(
        "p1",
        "Asthma in children",
        "Asthma and asthma control.",
        year=2018,
        mesh=("Asthma", "Child"),
    ),
    Document(
        "p2",
        "Asthma steroids",
        "Inhaled steroids for asthma.",
        year=2020,
        mesh=("Asthma/drug therapy*", "Adrenal Cortex Hormones"),
    ),
    Document(
        "p3",
        "哮喘 儿童",
        "儿童哮喘的吸入治疗。",
        language="zh",
        year=2020,
        mesh=("Asthma", "Child"),
    ),
    Document("p4", "Undated note", "Steroids and asthma.", mesh=()),
]


def test_when_trends_counted_then_years_terms_and_mesh_are_exact(tmp_path: Path) -> None:
    assert publications_per_year(TREND_DOCS) == {2018: 1, 2019: 0, 2020: 2}
    assert mesh_frequencies(TREND_DOCS, top=2) == [("Asthma", 3), ("Child", 2)]
    assert term_frequencies(TREND_DOCS, top=4) == [
        ("asthma", 6),
        ("steroids", 3),
        ("children", 1),
        ("control", 1),
    ]
    # Chinese words come from jieba with the medical dictionary ("儿童哮喘" is one entry).
    assert term_frequencies(TREND_DOCS)[-5:] == [
        ("儿童", 1),
        ("儿童哮喘", 1),
        ("吸入", 1),
        ("哮喘", 1),
        ("治疗", 1),
    ]

    result = trends(TREND_DOCS, "asthma", top=3)
    data = result.to_dict()
    assert data["schema"] == "medsage.literature.trends/1"
    assert data["n_documents"] == 4
    assert data["n_without_year"] == 1
    assert data["publications_per_year"] == [
        {"year": 2018, "count": 1},
        {"year": 2019, "count": 0},
        {"year": 2020, "count": 2},
    ]
    assert data["top_mesh"][0] == {"heading": "Asthma", "count": 3}

    png = result.plot(tmp_path / "out" / "trends.png")
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    assert png.stat().st_size > 5000


def test_when_no_documents_then_trends_raise_empty_input_error(tmp_path: Path) -> None:
    with pytest.raises(EmptyInputError, match="no documents"):
        trends([])
    assert publications_per_year([]) == {}
    undated = trends([Document("x", "Title words", "Some words here.")])
    assert undated.per_year == {}
    assert undated.plot(tmp_path / "t.png").read_bytes()[:8] == PNG_SIGNATURE
