"""Corpus ingest: exact fields from the hand-written samples, counts from the real MedQuAD data."""

from __future__ import annotations

import gzip
import logging
from collections import Counter
from pathlib import Path

import pytest

from medsage.errors import DataFormatError, EmptyInputError, InvalidInputError
from medsage.literature._documents import Document, Section
from medsage.literature._ingest import (
    align_liveqa_qrels,
    count_duplicate_ids,
    detect_format,
    load_beir_corpus,
    load_dialogue_answers,
    load_document_table,
    load_documents,
    load_liveqa_judgements,
    load_liveqa_qrels,
    load_liveqa_questions,
    load_medline_text,
    load_medquad,
    load_medquad_judged_answers,
    load_pubmed_xml,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "literature"
PUBMED = DATA / "pubmed_sample.xml"

_ARTICLE = """<PubmedArticle><MedlineCitation><PMID Version="1">{pmid}</PMID><Article>
<Journal><JournalIssue><PubDate>{date}</PubDate></JournalIssue><Title>J</Title></Journal>
<ArticleTitle>{title}</ArticleTitle>{dates}<Language>eng</Language></Article>
</MedlineCitation></PubmedArticle>"""


def _pubmed(tmp_path: Path, *articles: str, name: str = "set.xml") -> Path:
    path = tmp_path / name
    body = "".join(articles)
    path.write_text(f'<?xml version="1.0"?>\n<PubmedArticleSet>{body}</PubmedArticleSet>\n')
    return path


def _article(pmid: str, title: str = "T", date: str = "<Year>2020</Year>", dates: str = "") -> str:
    return _ARTICLE.format(pmid=pmid, title=title, date=date, dates=dates)


# --- PubMed XML ---------------------------------------------------------------------------


def test_when_pubmed_sample_loaded_then_structured_abstract_fields_are_exact() -> None:
    docs = load_pubmed_xml(PUBMED)
    assert [d.id for d in docs] == ["99000001", "99000002", "99000003", "99000004"]
    first = docs[0]
    assert first.title == (
        "Effect of dietary sodium reduction on blood pressure in adults with stage 1 "
        "hypertension: a randomized trial."
    )
    assert [s.label for s in first.sections] == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert first.sections[2] == Section(
        "RESULTS",
        "The low-sodium diet lowered systolic blood pressure by 6.2 mm Hg (95% CI, 4.1 to 8.3) "
        "compared with the usual diet.",
    )
    assert first.text == "\n".join(s.text for s in first.sections)
    assert first.journal == "Journal of Hypertension Research"
    assert first.year == 2021
    assert first.mesh == ("Humans", "Hypertension", "Sodium Chloride, Dietary")
    assert first.publication_types == ("Journal Article", "Randomized Controlled Trial")
    assert (first.source, first.language) == ("pubmed", "en")
    assert first.url == "https://pubmed.ncbi.nlm.nih.gov/99000001/"
    assert first.extra == {}


def test_when_abstract_unlabelled_and_medline_date_then_one_section_and_first_year() -> None:
    second = load_pubmed_xml(PUBMED)[1]
    assert second.sections == (
        Section(
            "",
            "Foot ulcers precede most amputations in diabetes. Patients who inspected their feet "
            "daily and wore fitted shoes had fewer ulcers over two years than those who did not.",
        ),
    )
    assert second.year == 1998  # MedlineDate "1998 Dec-1999 Jan"
    assert second.mesh == ("Diabetic Foot", "Diabetes Mellitus, Type 2")
    assert second.publication_types == ("Journal Article", "Review")


def test_when_chinese_article_then_language_zh_and_other_abstract_kept() -> None:
    third = load_pubmed_xml(PUBMED)[2]
    assert third.language == "zh"
    assert third.year == 2019
    assert [s.label for s in third.sections] == [
        "OBJECTIVE",
        "METHODS",
        "RESULTS",
        "CONCLUSIONS",
        "OTHER_ABSTRACT",
    ]
    assert third.sections[-1].text.startswith("目的：描述低龄儿童手足口病的临床特征。")
    assert "持续高热者需密切观察" in third.text
    assert third.extra == {
        "vernacular_title": "五岁以下儿童手足口病的临床特征",
        "other_abstract_language": "zh",
    }


def test_when_letter_without_abstract_then_empty_text_and_inline_markup_flattened() -> None:
    fourth = load_pubmed_xml(PUBMED)[3]
    assert fourth.title == "Fever in children: when to worry. Reply to H2O intake comment"
    assert (fourth.text, fourth.sections, fourth.mesh) == ("", (), ())
    assert fourth.publication_types == ("Letter", "Comment")


def test_when_no_pubdate_year_then_article_date_year_used(tmp_path: Path) -> None:
    path = _pubmed(
        tmp_path,
        _article(
            "1",
            date="<MedlineDate>Spring</MedlineDate>",
            dates='<ArticleDate DateType="Electronic"><Year>2017</Year></ArticleDate>',
        ),
    )
    assert load_pubmed_xml(path)[0].year == 2017


def test_when_pmid_repeated_then_later_article_wins_and_count_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _pubmed(tmp_path, _article("7", "old"), _article("8", "other"), _article("7", "new"))
    with caplog.at_level(logging.WARNING, logger="medsage.literature"):
        docs = load_pubmed_xml(path)
    assert [(d.id, d.title) for d in docs] == [("7", "new"), ("8", "other")]
    assert "1 document(s) repeated an earlier id" in caplog.text
    assert "old" not in caplog.text and "new" not in caplog.text


def test_when_gzipped_then_same_documents(tmp_path: Path) -> None:
    path = tmp_path / "pubmed_sample.xml.gz"
    path.write_bytes(gzip.compress(PUBMED.read_bytes()))
    assert load_pubmed_xml(path) == load_pubmed_xml(PUBMED)
    assert detect_format(path) == "pubmed"


def test_when_xml_malformed_then_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_text("<PubmedArticleSet><PubmedArticle><MedlineCitation>\n</PubmedArticleSet>")
    with pytest.raises(DataFormatError) as info:
        load_pubmed_xml(path)
    message = str(info.value)
    assert "broken.xml" in message
    assert "is not well-formed XML: mismatched tag: line 2, column 2" in message


def test_when_pmid_missing_then_error_says_which_article(tmp_path: Path) -> None:
    path = _pubmed(tmp_path, _article("5"), _article(""))
    with pytest.raises(DataFormatError, match=r"set\.xml' article 2 has no PMID"):
        load_pubmed_xml(path)


def test_when_file_empty_then_data_format_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    path.write_text("  \n")
    with pytest.raises(DataFormatError, match=r"empty\.xml' is empty"):
        load_pubmed_xml(path)


def test_when_set_has_no_article_then_empty_input_error(tmp_path: Path) -> None:
    with pytest.raises(EmptyInputError, match="holds no <PubmedArticle>"):
        load_pubmed_xml(_pubmed(tmp_path))


def test_when_root_is_not_pubmed_then_error_names_the_root(tmp_path: Path) -> None:
    path = tmp_path / "qa.xml"
    path.write_text('<Document id="1" source="GHR"><QAPairs/></Document>')
    with pytest.raises(
        DataFormatError, match=r"root element <Document>; expected <PubmedArticleSet>"
    ):
        load_pubmed_xml(path)


def test_when_doctype_declares_entities_then_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;">]>\n'
        "<PubmedArticleSet>&b;</PubmedArticleSet>"
    )
    with pytest.raises(DataFormatError, match="declares XML entities"):
        load_pubmed_xml(path)


# --- MEDLINE text, BEIR, generic tables -----------------------------------------------------


def test_when_medline_text_loaded_then_fields_match_the_xml() -> None:
    docs = load_medline_text(DATA / "medline_sample.txt")
    assert [d.id for d in docs] == ["99000001", "99000003"]
    first, chinese = docs
    xml_first = load_pubmed_xml(PUBMED)[0]
    assert first.title == xml_first.title  # continuation line joined with one space
    assert first.mesh == xml_first.mesh  # qualifiers and major-topic stars removed
    assert (first.journal, first.year, first.url) == (xml_first.journal, 2021, xml_first.url)
    assert first.publication_types == ("Journal Article", "Randomized Controlled Trial")
    assert [s.label for s in first.sections] == [
        "BACKGROUND",
        "METHODS",
        "FINDINGS",
        "INTERPRETATION",
    ]
    assert first.sections[2].text == "Systolic blood pressure fell by 6.2 mm Hg."
    assert (chinese.language, chinese.year, chinese.journal) == (
        "zh",
        2019,
        "Zhonghua Er Ke Za Zhi",
    )
    assert chinese.sections == (
        Section(
            "", "Fever and oral ulcers were present in 91% of the children; most cases are mild."
        ),
    )


def test_when_medline_line_is_garbage_then_error_gives_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.nbib"
    path.write_text("PMID- 1\nTI  - A title\nthis is not a tag line\n")
    with pytest.raises(DataFormatError, match=r"bad\.nbib' line 3"):
        load_medline_text(path)


def test_when_beir_corpus_loaded_then_ids_titles_and_metadata_kept() -> None:
    docs = load_beir_corpus(DATA / "beir_corpus.jsonl")
    assert [d.id for d in docs] == ["MED-1", "MED-2", "MED-3"]
    assert docs[0].url == "https://example.org/med-1"
    assert docs[0].source == "beir:beir_corpus"
    assert docs[2].title == ""
    assert docs[2].extra == {"pubmed_id": "99000010"}
    assert {d.language for d in docs} == {"en"}


def test_when_chinese_jsonl_loaded_then_language_detected_and_years_kept() -> None:
    docs = load_document_table(DATA / "zh_docs.jsonl")
    assert len(docs) == 12
    assert {d.language for d in docs} == {"zh"}  # only zh-012 says so; the rest are detected
    assert docs[3] == Document(
        id="zh-004",
        title="手足口病的症状与预防",
        text="手足口病多见于5岁以下儿童，表现为发热，手、足、口腔出现疱疹或溃疡。勤洗手、玩具消毒可以预防传播。",
        source="medsage-demo",
        language="zh",
        year=2020,
    )


def test_when_csv_has_list_columns_and_extras_then_they_are_mapped(tmp_path: Path) -> None:
    path = tmp_path / "docs.csv"
    path.write_text(
        "id,title,text,year,mesh,publication_types,topic\n"
        'a1,Aspirin,"Low-dose aspirin, daily",2018,Aspirin; Stroke,Review,cardio\n'
        "b2,,只有正文的文档，用于检测语言,,,,\n",
        encoding="utf-8",
    )
    first, second = load_document_table(path)
    assert (first.id, first.title, first.text) == ("a1", "Aspirin", "Low-dose aspirin, daily")
    assert first.mesh == ("Aspirin", "Stroke")
    assert first.publication_types == ("Review",)
    assert (first.year, first.language, first.extra) == (2018, "en", {"topic": "cardio"})
    assert (second.id, second.language, second.source, second.year) == (
        "b2",
        "zh",
        "docs.csv",
        None,
    )


def test_when_id_repeated_in_jsonl_then_later_row_wins(tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_text(
        '{"id": "a", "text": "first"}\n'
        '{"id": "b", "text": "other"}\n'
        '{"id": "a", "text": "second"}\n'
    )
    assert [(d.id, d.text) for d in load_document_table(path)] == [("a", "second"), ("b", "other")]


def test_when_row_has_no_id_then_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "noid.jsonl"
    path.write_text('{"id": "x", "text": "ok"}\n{"title": "t", "text": "no id"}\n')
    with pytest.raises(DataFormatError, match=r"noid\.jsonl' line 2 has no id"):
        load_document_table(path)


def test_count_duplicate_ids_counts_repeats_only() -> None:
    docs = [Document("a", "", "x"), Document("b", "", "x"), Document("a", "", "y")]
    assert count_duplicate_ids(docs) == 1


@pytest.mark.parametrize(
    ("name", "kind", "count"),
    [
        ("pubmed_sample.xml", "pubmed", 4),
        ("medline_sample.txt", "medline", 2),
        ("beir_corpus.jsonl", "beir", 3),
        ("zh_docs.jsonl", "jsonl", 12),
    ],
)
def test_when_format_auto_then_dispatch_matches_content(name: str, kind: str, count: int) -> None:
    assert detect_format(DATA / name) == kind
    assert len(load_documents(DATA / name)) == count
    assert load_documents(DATA / name, kind) == load_documents(DATA / name)  # type: ignore[arg-type]


def test_when_format_unknown_then_invalid_input() -> None:
    with pytest.raises(InvalidInputError, match="format='word'"):
        load_documents(DATA / "zh_docs.jsonl", "word")  # type: ignore[arg-type]


# --- Real data: Chinese dialogue, MedQuAD, LiveQA ------------------------------------------


@pytest.mark.shared_data
def test_when_dialogue_csv_loaded_then_doctor_answers_become_chinese_documents(
    shared_data: Path,
) -> None:
    path = shared_data / "zh_med_dialogue_toyhom" / "sample_IM_5000-6000.csv"
    docs = load_documents(path)  # GB18030, sniffed as the dialogue format
    assert len(docs) == 7644
    first = docs[0]
    assert (first.id, first.title, first.language) == (
        "sample_IM_5000-6000:1",
        "高血压患者能吃党参吗？",
        "zh",
    )
    assert first.text.startswith("高血压病人可以口服党参的。")
    assert first.extra["department"] == "心血管科"
    assert load_dialogue_answers(path)[-1].id == "sample_IM_5000-6000:7644"


MEDQUAD_PER_SOURCE = {
    "medquad:GHR": 5430,
    "medquad:GARD": 5389,  # 5 GARD pairs have an empty answer
    "medquad:NIDDK": 1192,
    "medquad:NINDS": 1104,
    "medquad:MPlusHealthTopics": 981,
    "medquad:NIHSeniorHealth": 769,
    "medquad:CancerGov": 729,
    "medquad:NHLBI": 559,
    "medquad:CDC": 270,
}


@pytest.fixture(scope="module")
def medquad(shared_data: Path) -> list[Document]:
    return load_medquad(shared_data / "medquad")


@pytest.fixture(scope="module")
def qrels_folder(shared_data: Path) -> Path:
    return shared_data / "medquad" / "liveqa_med_qrels" / "QA-TestSet-LiveQA-Med-Qrels-2479-Answers"


@pytest.mark.shared_data
def test_when_medquad_loaded_then_counts_per_source_are_exact(medquad: list[Document]) -> None:
    assert len(medquad) == 16423
    assert Counter(d.source for d in medquad) == MEDQUAD_PER_SOURCE
    assert count_duplicate_ids(medquad) == 0
    assert all(d.text and d.title for d in medquad)


@pytest.mark.shared_data
def test_when_answers_removed_then_pairs_skipped_and_counted(
    shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="medsage.literature"):
        docs = load_medquad(shared_data / "medquad" / "2_GARD_QA")
    assert len(docs) == 5389
    assert "skipped 5 QA pairs without an answer (GARD: 5)" in caplog.text


@pytest.mark.shared_data
def test_when_medquad_loaded_then_ids_and_fields_follow_the_qrels(
    medquad: list[Document],
) -> None:
    by_id = {d.id: d for d in medquad}
    ghr = by_id["GHR_0000001_Sec1.txt"]
    assert ghr.title == "What is (are) Aarskog-Scott syndrome ?"
    assert ghr.text.startswith("Aarskog-Scott syndrome is a genetic disorder")
    assert "widow's peak" in ghr.text
    assert ghr.url == "https://ghr.nlm.nih.gov/condition/aarskog-scott-syndrome"
    assert ghr.extra == {
        "question": "What is (are) Aarskog-Scott syndrome ?",
        "qtype": "information",
        "qid": "0000001-1",
        "focus": "Aarskog-Scott syndrome",
        "document_id": "0000001",
    }
    # The two other root schemas: <doc> (4 NINDS files) and <DiseaseFile> (1 CDC file).
    assert by_id["NINDS_0000007_Sec1.txt"].extra["focus"] == "Holmes-Adie"
    assert by_id["CDC_0000397_Sec1.txt"].title == "What is (are) Parasites - Taeniasis ?"
    # CancerGov sub-files repeat their parent's id attribute; the file stem keeps ids unique.
    assert by_id["CancerGov_0000013_2_1_Sec1.txt"].extra["document_id"] == "0000013_2"


@pytest.mark.shared_data
def test_when_qrels_loaded_then_2479_judgements_on_1_to_4(qrels_folder: Path) -> None:
    rows = load_liveqa_judgements(qrels_folder)
    assert len(rows) == 2479
    assert Counter(level for _, _, level in rows) == {1: 1436, 2: 678, 3: 223, 4: 142}
    assert rows[0] == ("TQ1", "ADAM_0003147_Sec1.txt", 1)
    qrels = load_liveqa_qrels(qrels_folder)
    assert len(qrels) == 103  # TQ83 has no judged MedQuAD answer
    assert sum(len(j) for j in qrels.values()) == 2311  # 168 pairs are judged twice
    assert qrels["TQ1"]["ADAM_0002818_Sec2.txt"] == 2  # judged 2 and 3: the lower kept


@pytest.mark.shared_data
def test_when_questions_loaded_then_104_with_qids_matching_the_qrels(
    shared_data: Path, qrels_folder: Path
) -> None:
    folder = shared_data / "liveqa_med_trec2017"
    plain = load_liveqa_questions(folder / "TREC-2017-LiveQA-Medical-Test.xml")
    summaries = folder / "TREC-2017-LiveQA-Medical-Test-Questions-w-summaries.xml"
    with_summary = load_liveqa_questions(summaries, text="summary")
    assert len(plain) == len(with_summary) == 104
    assert plain[0] == (
        "TQ1",
        "Noonan syndrome\nWhat are the references with noonan syndrome and polycystic renal "
        "disease",
    )
    assert plain[102] == ("TQ103", "What can cause white cells ti uprate")  # no subject
    assert with_summary[0] == (
        "TQ1",
        "What is the relationship between Noonan syndrome and polycystic renal disease?",
    )
    assert load_liveqa_questions(summaries) == plain
    assert set(load_liveqa_qrels(qrels_folder)) <= {qid for qid, _ in plain}


@pytest.mark.shared_data
def test_when_qrels_aligned_then_every_judged_answer_of_a_present_source_is_found(
    medquad: list[Document], qrels_folder: Path
) -> None:
    qrels = load_liveqa_qrels(qrels_folder)
    judged = load_medquad_judged_answers(qrels_folder)
    assert len(judged) == 1935
    corpus_ids = {d.id for d in medquad}
    all_ids = {a for j in qrels.values() for a in j}
    assert len(all_ids & corpus_ids) == 400  # raw id match, before checking the texts
    result = align_liveqa_qrels(qrels, medquad, judged)
    assert (result.judged_ids, result.same_id, result.remapped) == (1935, 362, 84)
    assert (result.changed_text, result.not_in_corpus) == (0, 1489)  # A.D.A.M., drugs, herbs
    assert result.match_rate == pytest.approx(446 / 1935)
    # Renumbered in the published XML: the judged DVT-symptoms answer is now pair 5.
    assert result.id_map["NHLBI_0000051_Sec4.txt"] == "NHLBI_0000051_Sec5.txt"
    assert set(result.qrels) <= set(qrels)
    assert all(a in corpus_ids for j in result.qrels.values() for a in j)


@pytest.mark.shared_data
def test_when_nist_qrels_given_then_error_explains_the_other_file(shared_data: Path) -> None:
    nist = shared_data / "liveqa_med_trec2017" / "TREC-2017-LiveQA-Medical-qrels-NIST-692.txt"
    with pytest.raises(DataFormatError, match="judges participants' answers"):
        load_liveqa_judgements(nist)
