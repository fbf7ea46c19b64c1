"""LiteratureIndex: BM25 against rank_bm25 (oracle), persistence, add/delete, filters, Chinese,
dense and hybrid search, bad input."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from medsage.errors import DataFormatError, EmptyInputError, MissingFileError, UnknownNameError
from medsage.literature import _bm25
from medsage.literature._bm25 import BM25Settings, SparseIndex
from medsage.literature._documents import Document
from medsage.literature._index import LiteratureIndex, _searchable
from medsage.literature._snippets import make_snippet
from medsage.literature._tokens import analyze

# Frequent words (some in more than half of the documents, so rank_bm25's epsilon floor for
# negative idf is exercised) and rarer topic words.
_COMMON = ["patient", "treatment", "study", "risk", "clinical"]
_TOPICS = (
    "diabetes insulin metformin glucose hypertension blood pressure stroke asthma inhaler "
    "cancer tumour chemotherapy lung breast statin cholesterol kidney dialysis fracture "
    "osteoporosis vitamin depression anxiety sleep vaccine influenza pneumonia antibiotic "
    "sepsis pregnancy infant obesity exercise smoking alcohol liver hepatitis heart failure"
).split()


def _english_corpus(n: int, seed: int = 7) -> list[Document]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        words = [rng.choice(_COMMON) for _ in range(rng.randint(2, 6))]
        words += [rng.choice(_TOPICS[: 8 + i % 30]) for _ in range(rng.randint(3, 25))]
        rng.shuffle(words)
        docs.append(
            Document(
                id=f"d{i:04d}",
                title=" ".join(words[:3]).capitalize(),
                text=" ".join(words[3:]) + ".",
                year=2000 + i % 20,
                source="pubmed" if i % 3 else "medquad:CancerGov",
                journal=["Lancet", "BMJ", "JAMA"][i % 3],
                publication_types=("Review",) if i % 4 == 0 else ("Journal Article",),
            )
        )
    return docs


def _queries(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    pool = _COMMON + _TOPICS
    return [" ".join(rng.choice(pool) for _ in range(rng.randint(1, 5))) for _ in range(n)]


def _all_bm25(index: LiteratureIndex, query: str) -> list[tuple[str, float]]:
    return [(h.id, h.score) for h in index.search(query, k=100_000, mode="bm25")]


def _assert_same_bm25(a: LiteratureIndex, b: LiteratureIndex, query: str) -> None:
    """Same ids in the same order, scores equal to 1e-9."""
    got, expected = _all_bm25(a, query), _all_bm25(b, query)
    assert [i for i, _ in got] == [i for i, _ in expected], query
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], atol=1e-9)


# -- BM25 oracle ---------------------------------------------------------------------------


def test_when_same_tokens_then_bm25_scores_equal_rank_bm25_to_1e_6() -> None:
    rank_bm25 = pytest.importorskip("rank_bm25")
    docs = _english_corpus(300)
    tokens = [analyze(_searchable(d)) for d in docs]
    oracle = rank_bm25.BM25Okapi(tokens, k1=1.5, b=0.75, epsilon=0.25)
    sparse = SparseIndex(BM25Settings(k1=1.5, b=0.75, epsilon=0.25))
    sparse.add(tokens)
    assert any(v < 0 for v in _raw_idfs(tokens))  # the epsilon floor is exercised
    for query in _queries(20):
        terms = analyze(query)
        expected = oracle.get_scores(terms)
        mine = np.zeros(len(docs))
        slots, scores = sparse.scores(terms)
        mine[slots] = scores
        np.testing.assert_allclose(mine, expected, rtol=0, atol=1e-6)
        assert float(np.abs(mine).max()) > 0


def _raw_idfs(tokens: list[list[str]]) -> list[float]:
    df: dict[str, int] = {}
    for doc in tokens:
        for t in set(doc):
            df[t] = df.get(t, 0) + 1
    return [float(np.log((len(tokens) - v + 0.5) / (v + 0.5))) for v in df.values()]


def test_when_epsilon_is_zero_then_scores_equal_bm25s_atire_with_robertson_idf() -> None:
    bm25s = pytest.importorskip("bm25s")
    tokens = [analyze(_searchable(d)) for d in _english_corpus(200)]
    peer = bm25s.BM25(k1=1.5, b=0.75, method="atire", idf_method="robertson")
    peer.index(tokens, show_progress=False)
    sparse = SparseIndex(BM25Settings(epsilon=0.0))
    sparse.add(tokens)
    for query in _queries(10):
        terms = analyze(query)
        mine = np.zeros(len(tokens))
        slots, scores = sparse.scores(terms)
        mine[slots] = scores
        known = [t for t in terms if t in peer.vocab_dict]
        expected = peer.get_scores(known) if known else np.zeros(len(tokens))
        np.testing.assert_allclose(mine, expected, rtol=1e-5, atol=1e-5)  # bm25s is float32


def test_when_docs_are_deleted_then_scores_equal_rank_bm25_over_the_live_docs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rank_bm25 = pytest.importorskip("rank_bm25")
    monkeypatch.setattr(_bm25, "MERGE_MIN_SLOTS", 10)  # exercise the delta and the merge
    tokens = [analyze(_searchable(d)) for d in _english_corpus(240)]
    sparse = SparseIndex()
    sparse.add(tokens[:100])
    sparse.add(tokens[100:105])  # stays in the delta
    assert sparse.main_slots == 100
    sparse.add(tokens[105:])  # past the share: merged
    assert sparse.main_slots == 240
    sparse.add(tokens[:5])  # delta again
    dead = list(range(0, 240, 3))
    sparse.delete(dead)
    live = [t for i, t in enumerate(tokens) if i % 3] + tokens[:5]
    oracle = rank_bm25.BM25Okapi(live)
    live_slots = np.flatnonzero(sparse.live)
    for query in _queries(20, seed=3):
        terms = analyze(query)
        full = np.zeros(sparse.n_slots)
        slots, scores = sparse.scores(terms)
        full[slots] = scores
        np.testing.assert_allclose(full[live_slots], oracle.get_scores(terms), atol=1e-6)


# -- persistence, add, delete --------------------------------------------------------------


def test_when_index_is_reopened_then_results_are_identical(tmp_path: Path) -> None:
    docs = _english_corpus(120)
    built = LiteratureIndex.build(docs, tmp_path / "idx", dense=False)
    opened = LiteratureIndex.open(tmp_path / "idx")
    assert len(opened) == 120
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["counts"]["documents"] == 120
    assert manifest["dense"] is None
    assert "postings/term_docs.npy" in manifest["files"]
    for query in _queries(10):
        assert opened.search(query, k=20, mode="bm25") == built.search(query, k=20, mode="bm25")
    assert opened.get("d0005") == docs[5]


def test_when_docs_are_added_and_deleted_then_bm25_equals_a_fresh_build(tmp_path: Path) -> None:
    docs = _english_corpus(200)
    index = LiteratureIndex.build(docs[:150], tmp_path / "a", dense=False)
    changed = replace(docs[10], text="completely new text about gout and uric acid")
    index.add([*docs[150:], changed])  # adds 50, replaces d0010
    assert index.delete(["d0001", "d0002", "missing-id"]) == 2
    assert len(index) == 198
    assert "d0001" not in index
    assert index.get("d0010").text.startswith("completely new")
    final = [changed if d.id == "d0010" else d for d in docs if d.id not in {"d0001", "d0002"}]
    fresh = LiteratureIndex.build(final, tmp_path / "b", dense=False)
    for query in [*_queries(15), "gout uric acid"]:
        _assert_same_bm25(index, fresh, query)
    assert index.search("gout", mode="bm25")[0].id == "d0010"
    index.save()
    reopened = LiteratureIndex.open(tmp_path / "a")
    assert len(reopened) == 198
    for query in _queries(5):
        _assert_same_bm25(reopened, fresh, query)


def test_when_most_docs_are_deleted_then_the_index_compacts_and_still_searches(
    tmp_path: Path,
) -> None:
    docs = _english_corpus(40)
    index = LiteratureIndex.build(docs, tmp_path / "idx", dense=False)
    index.delete([d.id for d in docs[:30]])
    assert index._sparse.n_slots == 10  # compacted: dead slots dropped
    fresh = LiteratureIndex.build(docs[30:], tmp_path / "fresh", dense=False)
    for query in _queries(10):
        _assert_same_bm25(index, fresh, query)
    index.delete([d.id for d in docs[30:]])
    assert len(index) == 0
    assert index.search("diabetes", mode="bm25") == []


# -- filters and snippets ------------------------------------------------------------------


def test_when_filters_are_given_then_only_matching_docs_are_returned(tmp_path: Path) -> None:
    docs = _english_corpus(150)
    index = LiteratureIndex.build(docs, tmp_path / "idx", dense=False)
    by_id = {d.id: d for d in docs}
    cases = [
        ({"year": (2005, 2009)}, lambda d: d.year is not None and 2005 <= d.year <= 2009),
        ({"journal": "bmj"}, lambda d: d.journal == "BMJ"),
        ({"source": "medquad"}, lambda d: d.source.startswith("medquad")),
        ({"publication_type": "review"}, lambda d: "Review" in d.publication_types),
        ({"language": "zh"}, lambda d: False),
        ({"year_min": 2010, "journals": ["Lancet", "JAMA"]}, lambda d: d.year >= 2010),
    ]
    for filters, accept in cases:
        hits = index.search("patient diabetes", k=1000, mode="bm25", filters=filters)
        unfiltered = [h for h in _all_bm25(index, "patient diabetes") if accept(by_id[h[0]])]
        if "journals" in filters:
            unfiltered = [h for h in unfiltered if by_id[h[0]].journal in {"Lancet", "JAMA"}]
        assert [(h.id, h.score) for h in hits] == unfiltered, filters
    with_patient = [d for d in docs if d.journal == "BMJ" and "patient" in analyze(_searchable(d))]
    hits = index.search("patient", k=1000, mode="bm25", filters={"journal": "BMJ"})
    assert len(hits) == len(with_patient) == 31


def test_when_a_hit_is_returned_then_its_snippet_marks_the_matched_terms(tmp_path: Path) -> None:
    doc = Document(
        id="s1",
        title="Metformin",
        text=(
            "Background is long. Metformin lowered HbA1c in adults with type 2 diabetes. "
            "Other findings were minor."
        ),
    )
    index = LiteratureIndex.build([doc], tmp_path / "idx", dense=False)
    hit = index.search("diabetic patients on metformin", mode="bm25")[0]
    assert hit.snippet == "**Metformin** lowered HbA1c in adults with type 2 **diabetes**."
    assert hit.snippet_text[slice(*hit.highlights[0])] == "Metformin"
    assert [hit.snippet_text[s:e] for s, e in hit.highlights] == ["Metformin", "diabetes"]
    assert hit.source == "" and hit.rank == 1 and hit.to_dict()["highlights"][0] == [0, 9]
    zh = make_snippet("患者血压正常。2型糖尿病患者应控制血糖。", analyze("糖尿病 血糖"))
    assert zh.marked() == "**2型糖尿病**患者应控制**血糖**。"


# -- Chinese -------------------------------------------------------------------------------

_ZH_DOCS = [
    ("zh1", "高血压患者的饮食", "高血压患者应当限制食盐，每天不超过5克，多吃新鲜蔬菜，戒烟限酒。"),
    (
        "zh2",
        "糖尿病足的护理",
        "糖尿病患者每天检查双脚有无破损和红肿，用温水洗脚，发现伤口及时就医。",
    ),
    ("zh3", "儿童发热的处理", "儿童体温超过38.5℃时可以使用对乙酰氨基酚或布洛芬退热。"),
    ("zh4", "手足口病", "手足口病多见于5岁以下儿童，手、足、口腔出现疱疹，勤洗手可以预防。"),
    ("zh5", "流感与疫苗", "流感起病急，高热、全身酸痛，每年接种流感疫苗是有效的预防措施。"),
    ("zh6", "心绞痛的识别", "胸骨后压榨样疼痛，休息或含服硝酸甘油后缓解，是典型心绞痛的表现。"),
    ("zh7", "慢性胃炎", "慢性胃炎患者宜少食多餐，幽门螺杆菌阳性者应规范根除治疗。"),
    ("zh8", "哮喘急性发作", "哮喘发作时应立即吸入沙丁胺醇，如果说话困难，应拨打急救电话。"),
    ("zh9", "缺铁性贫血", "缺铁性贫血可口服铁剂，多吃瘦肉，维生素C促进铁的吸收。"),
    (
        "zh10",
        "妊娠期血糖管理",
        "妊娠期2型糖尿病孕妇应控制饮食，监测空腹和餐后血糖，必要时使用胰岛素。",
    ),
    ("zh11", "胸部CT检查", "胸部ＣＴ可以发现早期肺癌和肺结节，吸烟者应定期筛查。"),
]
_ZH_QUERIES = {
    "高血压吃什么好": "zh1",
    "糖尿病足怎么护理": "zh2",
    "孩子发烧可以用布洛芬吗": "zh3",
    "幽门螺杆菌阳性怎么治疗": "zh7",
    "怀孕期间血糖高需要打胰岛素吗": "zh10",
    "肺结节 CT": "zh11",
}


def _zh_docs() -> list[Document]:
    return [Document(id=i, title=t, text=x, language="zh") for i, t, x in _ZH_DOCS]


def test_when_chinese_questions_are_asked_then_the_right_doc_is_first(tmp_path: Path) -> None:
    index = LiteratureIndex.build(_zh_docs(), tmp_path / "zh", dense=False)
    for query, expected in _ZH_QUERIES.items():
        hits = index.search(query, k=3, mode="bm25")
        assert hits and hits[0].id == expected, (query, [h.id for h in hits])
    assert index.search("糖尿病", k=5, mode="bm25")[0].id in {"zh2", "zh10"}
    assert {h.id for h in index.search("糖尿病", k=5, mode="bm25")} == {"zh2", "zh10"}


# -- dense and hybrid ----------------------------------------------------------------------

_EN_SMALL = [
    ("e1", "Heart attack warning signs", "Chest pain spreading to the left arm and sweating."),
    ("e2", "Managing type 2 diabetes", "Metformin and exercise lower blood glucose."),
    ("e3", "Asthma inhalers", "Short-acting bronchodilators relieve wheezing quickly."),
    ("e4", "Seasonal influenza vaccine", "Yearly flu shots reduce hospital admissions."),
    ("e5", "Broken hip in older adults", "Hip fractures after falls need surgery within days."),
    ("e6", "Iron deficiency anaemia", "Low ferritin causes tiredness; oral iron helps."),
    ("e7", "Migraine treatment", "Triptans stop migraine headaches; avoid triggers."),
    ("e8", "Kidney stones", "Severe flank pain; drink water; most stones pass alone."),
]


@pytest.mark.slow
def test_when_dense_or_hybrid_then_meaning_matches_without_shared_words(tmp_path: Path) -> None:
    docs = [Document(id=i, title=t, text=x, year=2020) for i, t, x in _EN_SMALL]
    index = LiteratureIndex.build(docs, tmp_path / "idx", dense=True)
    assert index.encoder == "minilm"
    assert index.search("myocardial infarction symptoms", k=1, mode="dense")[0].id == "e1"
    assert index.search("high sugar in the blood", k=1, mode="dense")[0].id == "e2"
    assert index.search("myocardial infarction symptoms", mode="bm25") == []
    hybrid = index.search("flu shots", k=3, mode="hybrid")
    assert hybrid[0].id == "e4"
    assert hybrid[0].score == pytest.approx(2 / 61)  # first in both rankings
    assert index.search("flu shots", mode="hybrid", filters={"year_max": 2019}) == []
    vectors = np.load(tmp_path / "idx" / "vectors.npy", allow_pickle=False)
    assert vectors.shape == (8, 384) and vectors.dtype == np.float16
    reopened = LiteratureIndex.open(tmp_path / "idx")
    for query in ["chest pain", "bone fracture", "tired and pale"]:
        assert reopened.search(query, k=4) == index.search(query, k=4)
    index.add([Document(id="e9", title="Gout", text="Uric acid crystals inflame the big toe.")])
    index.delete(["e3"])
    assert index.search("painful swollen toe joint", k=1, mode="dense")[0].id == "e9"
    assert "e3" not in {h.id for h in index.search("wheezing", k=8, mode="dense")}


@pytest.mark.slow
def test_when_docs_are_chinese_then_auto_picks_e5_and_dense_search_works(tmp_path: Path) -> None:
    index = LiteratureIndex.build(_zh_docs(), tmp_path / "zh", dense=True)
    assert index.encoder == "e5"
    assert index.search("哮喘发作怎么办", k=1, mode="dense")[0].id == "zh8"
    assert index.search("asthma attack inhaler", k=1, mode="dense")[0].id == "zh8"
    assert index.search("孩子发烧可以用布洛芬吗", k=1, mode="hybrid")[0].id == "zh3"


# -- bad input -----------------------------------------------------------------------------


def test_when_input_is_bad_then_errors_say_what_to_do(tmp_path: Path) -> None:
    index = LiteratureIndex.build(_english_corpus(10), tmp_path / "idx", dense=False)
    with pytest.raises(EmptyInputError, match="query is empty"):
        index.search("   ")
    with pytest.raises(UnknownNameError, match="unknown search mode 'fuzzy'"):
        index.search("diabetes", mode="fuzzy")
    with pytest.raises(ValueError, match="dense=False"):
        index.search("diabetes", mode="dense")
    with pytest.raises(ValueError, match="unknown filter 'author'"):
        index.search("diabetes", filters={"author": "x"})
    with pytest.raises(ValueError, match="k must be a positive int"):
        index.search("diabetes", k=0)
    assert index.search("the of and", mode="bm25") == []  # only stop words: nothing matches
    assert [h.id for h in index.search("diabetes", k=3)] == [
        h.id for h in index.search("diabetes", k=3, mode="bm25")
    ]  # hybrid on a BM25-only index is BM25
    with pytest.raises(MissingFileError, match="does not exist"):
        LiteratureIndex.open(tmp_path / "nowhere")
    (tmp_path / "idx" / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataFormatError, match="not valid JSON"):
        LiteratureIndex.open(tmp_path / "idx")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ValueError, match="not a literature index"):
        LiteratureIndex.build(_english_corpus(3), tmp_path / "other", dense=False)
    assert (tmp_path / "other" / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_when_an_array_file_is_damaged_then_open_says_rebuild(tmp_path: Path) -> None:
    LiteratureIndex.build(_english_corpus(10), tmp_path / "idx", dense=False)
    (tmp_path / "idx" / "postings" / "term_docs.npy").write_bytes(b"garbage")
    with pytest.raises(DataFormatError, match="damaged"):
        LiteratureIndex.open(tmp_path / "idx")


def test_when_ranked_ids_then_same_order_and_scores_as_search_without_snippets(
    tmp_path: Path,
) -> None:
    index = LiteratureIndex.build(_english_corpus(120), tmp_path / "idx", dense=False)
    for query in _queries(10):
        hits = index.search(query, k=20, mode="bm25")
        assert index.ranked_ids(query, 20, "bm25") == [(h.id, h.score) for h in hits]
    with pytest.raises(UnknownNameError):
        index.ranked_ids("gout", 5, "hybrid")
