"""Every loader on the real public data in the shared data folder: exact counts and first rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsage.datasets import (
    deduplicate,
    detect_encoding,
    load_cblue_classification,
    load_dxy,
    load_med_dialogue,
    load_symptom2disease,
    stratified_split,
)
from medsage.errors import DataFormatError, InvalidInputError

pytestmark = pytest.mark.shared_data

KUAKE_TRAIN = {
    "治疗方案": 1750,
    "其他": 1617,
    "病情诊断": 877,
    "注意事项": 650,
    "疾病表述": 594,
    "就医建议": 371,
    "功效作用": 370,
    "后果表述": 235,
    "医疗费用": 177,
    "病因分析": 153,
    "指标解读": 137,
}
KUAKE_DEV = {
    "治疗方案": 676,
    "其他": 395,
    "病情诊断": 288,
    "疾病表述": 158,
    "就医建议": 134,
    "注意事项": 120,
    "医疗费用": 50,
    "后果表述": 45,
    "指标解读": 32,
    "病因分析": 29,
    "功效作用": 28,
}
DEPARTMENTS = {
    "肝病科": 3121,
    "消化科": 1414,
    "神经科": 1104,
    "心血管科": 1080,
    "内分泌科": 558,
    "呼吸科": 152,
    "肾内科": 80,
    "感染科": 45,
    "血液科": 40,
    "普通内科": 32,
    "风湿免疫科": 18,
}
DXY_TRAIN = {"上呼吸道感染": 98, "小儿腹泻": 82, "过敏性鼻炎": 82, "小儿手足口病": 81, "肺炎": 80}
DXY_TEST = {"上呼吸道感染": 24, "小儿手足口病": 20, "小儿腹泻": 20, "肺炎": 20, "过敏性鼻炎": 20}
# Rows per label after exact dedupe (1153 rows); test rows with test_size=0.2 are round(n/5).
S2D_DEDUPED = {
    "Acne": 46,
    "Arthritis": 46,
    "Bronchial Asthma": 49,
    "Cervical spondylosis": 49,
    "Chicken pox": 49,
    "Common Cold": 49,
    "Dengue": 50,
    "Dimorphic Hemorrhoids": 41,
    "Fungal infection": 50,
    "Hypertension": 50,
    "Impetigo": 50,
    "Jaundice": 38,
    "Malaria": 44,
    "Migraine": 47,
    "Pneumonia": 47,
    "Psoriasis": 50,
    "Typhoid": 50,
    "Varicose Veins": 50,
    "allergy": 50,
    "diabetes": 50,
    "drug reaction": 50,
    "gastroesophageal reflux disease": 48,
    "peptic ulcer disease": 50,
    "urinary tract infection": 50,
}
S2D_TEST = {"Dimorphic Hemorrhoids": 8, "Jaundice": 8}
S2D_TEST.update({label: 9 for label, n in S2D_DEDUPED.items() if n in (44, 46, 47)})
S2D_TEST.update({label: 10 for label, n in S2D_DEDUPED.items() if n >= 48})


def _s2d(shared_data: Path) -> Path:
    return shared_data / "symptom2disease" / "Symptom2Disease.csv"


def _dxy(shared_data: Path) -> Path:
    return shared_data / "zh_dxy_diagnosis" / "dxy_dialog_data_dialog_v2.txt"


def _dialogue(shared_data: Path) -> Path:
    return shared_data / "zh_med_dialogue_toyhom" / "sample_IM_5000-6000.csv"


def test_when_symptom2disease_loads_then_1200_rows_24_labels_50_each(shared_data: Path) -> None:
    ds = load_symptom2disease(_s2d(shared_data))
    assert len(ds) == 1200
    assert len(ds.label_counts) == 24
    assert set(ds.label_counts.values()) == {50}
    assert ds.labels[0] == "Psoriasis"
    assert ds.texts[0] == (
        "I have been experiencing a skin rash on my arms, legs, and torso for the past few "
        "weeks. It is red, itchy, and covered in dry, scaly patches."
    )
    assert ds.ids is not None
    assert ds.ids[:3] == ["0", "1", "2"]
    # The index column restarts every 300 rows: ids are not unique in this file.
    assert ds.ids[300] == "0"
    assert len(set(ds.ids)) == 300


def test_when_symptom2disease_is_deduplicated_then_47_exact_duplicates_go(
    shared_data: Path,
) -> None:
    result = deduplicate(load_symptom2disease(_s2d(shared_data)))
    assert result.n_before == 1200
    assert result.n_removed == 47
    assert len(result.dataset) == 1153
    assert result.n_conflicts == 0
    assert result.dataset.label_counts == dict(
        sorted(S2D_DEDUPED.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def test_when_deduped_symptom2disease_is_split_with_seed_0_then_counts_are_exact(
    shared_data: Path,
) -> None:
    ds = deduplicate(load_symptom2disease(_s2d(shared_data))).dataset
    train, test = stratified_split(ds, test_size=0.2, seed=0)
    assert len(test) == 231
    assert len(train) == 922
    assert test.label_counts == dict(sorted(S2D_TEST.items(), key=lambda kv: (-kv[1], kv[0])))
    for label, n in S2D_DEDUPED.items():
        assert train.label_counts[label] == n - S2D_TEST[label]
    again_train, again_test = stratified_split(ds, test_size=0.2, seed=0)
    assert again_test.texts == test.texts
    assert again_train.texts == train.texts


@pytest.mark.parametrize(("split", "counts"), [("train", KUAKE_TRAIN), ("dev", KUAKE_DEV)])
def test_when_kuake_qic_loads_then_counts_match(
    shared_data: Path, split: str, counts: dict[str, int]
) -> None:
    ds = load_cblue_classification(
        shared_data / "zh_cblue" / "KUAKE-QIC" / f"KUAKE-QIC_{split}.json"
    )
    assert len(ds) == sum(counts.values())
    assert ds.label_counts == counts
    assert ds.ids is not None
    assert ds.ids[0] == "s1"


def test_when_kuake_qic_first_rows_load_then_text_is_the_query(shared_data: Path) -> None:
    folder = shared_data / "zh_cblue" / "KUAKE-QIC"
    train = load_cblue_classification(folder / "KUAKE-QIC_train.json")
    dev = load_cblue_classification(folder / "KUAKE-QIC_dev.json")
    assert len(train) == 6931
    assert len(dev) == 1955
    assert (train.texts[0], train.labels[0]) == ("丰胸的方法有哪些", "治疗方案")
    assert (dev.texts[0], dev.labels[0]) == ("心肌缺血如何治疗与调养呢？", "治疗方案")


def test_when_chip_ctc_loads_then_44_labels_and_texts_are_stripped(shared_data: Path) -> None:
    folder = shared_data / "zh_cblue" / "CHIP-CTC"
    train = load_cblue_classification(folder / "CHIP-CTC_train.json")
    dev = load_cblue_classification(folder / "CHIP-CTC_dev.json")
    assert len(train) == 22962
    assert len(dev) == 7682
    assert len(train.label_counts) == 44
    assert set(dev.label_counts) == set(train.label_counts)
    assert list(train.label_counts.items())[:2] == [("Disease", 5127), ("Multiple", 4556)]
    assert train.label_counts["Ethical Audit"] == 12
    assert dev.label_counts["Ethnicity"] == 5
    assert train.texts[0] == "研究开始前30天内，接受过其他临床方案治疗；"
    assert train.labels[0] == "Therapy or Surgery"
    assert all(t == t.strip() for t in train.texts)


def test_when_chip_ctc_train_is_deduplicated_then_conflicts_are_counted(
    shared_data: Path,
) -> None:
    train = load_cblue_classification(shared_data / "zh_cblue" / "CHIP-CTC" / "CHIP-CTC_train.json")
    result = deduplicate(train)
    assert result.n_removed == 661
    assert result.n_conflicts == 6
    assert all(len(labels) > 1 for _, labels in result.conflicts)


@pytest.mark.parametrize("task", ["KUAKE-QIC", "CHIP-CTC"])
def test_when_cblue_test_split_is_loaded_then_error_points_to_dev(
    shared_data: Path, task: str
) -> None:
    with pytest.raises(DataFormatError, match=r"test split has no labels.*use the dev split"):
        load_cblue_classification(shared_data / "zh_cblue" / task / f"{task}_test.json")


def test_when_dialogue_csv_loads_then_7644_rows_and_department_counts(shared_data: Path) -> None:
    path = _dialogue(shared_data)
    assert detect_encoding(path) == "gb18030"
    ds = load_med_dialogue(path)
    assert len(ds) == 7644
    assert ds.label_counts == DEPARTMENTS
    assert ds.labels[0] == "心血管科"
    assert ds.texts[0] == (
        "高血压患者能吃党参吗？\n"
        "我有高血压这两天女婿来的时候给我拿了些党参泡水喝，您好高血压可以吃党参吗？"
    )


def test_when_dialogue_text_fields_are_chosen_then_only_they_are_joined(shared_data: Path) -> None:
    ds = load_med_dialogue(_dialogue(shared_data), text_fields=("title",))
    assert ds.texts[0] == "高血压患者能吃党参吗？"
    assert len(ds) == 7644


@pytest.mark.parametrize(
    ("split", "counts", "first_id"),
    [("train", DXY_TRAIN, "1979478"), ("test", DXY_TEST, "1988056")],
)
def test_when_dxy_split_loads_then_counts_and_diseases_match(
    shared_data: Path, split: str, counts: dict[str, int], first_id: str
) -> None:
    ds = load_dxy(_dxy(shared_data), split)
    assert len(ds) == {"train": 423, "test": 104}[split]
    assert ds.label_counts == counts
    assert ds.ids is not None
    assert ds.ids[0] == first_id


def test_when_dxy_train_loads_then_self_report_is_stripped(shared_data: Path) -> None:
    ds = load_dxy(_dxy(shared_data))
    assert ds.texts[0] == "小儿3岁，一直有点流清鼻涕。偶尔有点咳嗽。"
    assert ds.labels[0] in DXY_TRAIN


def test_when_dxy_split_is_unknown_then_error_lists_present_splits(shared_data: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"splits present: 'train', 'test'"):
        load_dxy(_dxy(shared_data), "dev")
