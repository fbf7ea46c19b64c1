"""`segment_words` (jieba + medical dictionary) and `tokenize` (bag-of-words features)."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest

from medsage.errors import InvalidInputError
from medsage.text import normalize, segment_words, tokenize


def _lexicon_words() -> list[str]:
    lexicon = resources.files("medsage.resources").joinpath("lexicons/medical_zh.txt")
    return [line.split()[0] for line in lexicon.read_text("utf-8").splitlines() if line.strip()]


LEXICON = _lexicon_words()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("患者有2型糖尿病和高血压", ["患者", "有", "2型糖尿病", "和", "高血压"]),
        ("既往有1型糖尿病史", ["既往", "有", "1型糖尿病", "史"]),
        ("查糖化血红蛋白", ["查", "糖化血红蛋白"]),
        ("糖化血红蛋白7.2%", ["糖化血红蛋白", "7.2%"]),
        ("行胸部CT检查", ["行", "胸部CT", "检查"]),
        ("头颅CT示脑梗死", ["头颅CT", "示", "脑梗死"]),
        ("C反应蛋白升高", ["C反应蛋白", "升高"]),
        ("补充维生素D", ["补充", "维生素D"]),
        ("冠状动脉粥样硬化性心脏病", ["冠状动脉粥样硬化性心脏病"]),
        ("慢性阻塞性肺疾病急性加重", ["慢性阻塞性肺疾病", "急性", "加重"]),
        ("低密度脂蛋白胆固醇偏高", ["低密度脂蛋白胆固醇", "偏高"]),
        ("无明显诱因出现胸痛", ["无明显诱因", "出现", "胸痛"]),
        ("口服二甲双胍", ["口服", "二甲双胍"]),
        ("阿托伐他汀钙片", ["阿托伐他汀", "钙片"]),
        ("否认过敏史", ["否认", "过敏史"]),
        # Whitespace is dropped; punctuation and English come through as jieba gives them.
        ("患者 有 高血压", ["患者", "有", "高血压"]),
        ("Patient has T2DM.", ["Patient", "has", "T2DM", "."]),
        ("BP 160/100 mmHg", ["BP", "160", "/", "100", "mmHg"]),
        ("", []),
    ],
)
def test_when_text_is_segmented_then_words_are_exact(text: str, expected: list[str]) -> None:
    assert segment_words(text) == expected


@pytest.mark.parametrize("word", LEXICON)
def test_when_dictionary_term_is_segmented_in_context_then_it_stays_whole(word: str) -> None:
    assert segment_words(word) == [word]
    assert word in segment_words(f"患者{word}。")
    assert word in segment_words(f"无{word}史")


@pytest.mark.parametrize("word", LEXICON)
def test_when_dictionary_term_is_tokenized_then_it_stays_one_token(word: str) -> None:
    assert tokenize(word, lowercase=False) == [word]
    assert tokenize(word) == [word.lower()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BP 160/100 mmHg, HbA1c 7.2%!", ["bp", "160/100", "mmhg", "hba1c", "7.2%"]),
        (
            "血压：１６０／１００ｍｍＨｇ，ＨｂＡ１ｃ ７.２％",
            ["血压", "160/100", "mmhg", "hba1c", "7.2%"],
        ),
        ("血压160/100mmHg，HbA1c 7.2%", ["血压", "160/100", "mmhg", "hba1c", "7.2%"]),
        ("空腹血糖7.8mmol/L", ["空腹血糖", "7.8", "mmol/l"]),
        ("Cr 88 µmol/L; T 38.5°C", ["cr", "88", "µmol/l", "t", "38.5", "°c"]),
        ("glucose 5.6 mmol/L (fasting)", ["glucose", "5.6", "mmol/l", "fasting"]),
        ("Patient has T2DM.", ["patient", "has", "t2dm"]),
        ("non-small-cell lung cancer", ["non-small-cell", "lung", "cancer"]),
        ("patient's BP", ["patient's", "bp"]),
        ("患者有2型糖尿病和高血压", ["患者", "有", "2型糖尿病", "和", "高血压"]),
        ("12型糖尿病", ["12", "型", "糖尿病"]),
        ("行胸部CT检查", ["行", "胸部ct", "检查"]),
        ("胸部ct正常", ["胸部ct", "正常"]),
        ("C反应蛋白升高，HbA1c 7.2%", ["c反应蛋白", "升高", "hba1c", "7.2%"]),
        ("补充维生素D3", ["补充", "维生素", "d3"]),
        # Signs and punctuation are dropped, the numbers stay.
        ("+/- 2, >= 3.4", ["2", "3.4"]),
        ("-5 °C", ["5", "°c"]),
        ("。，！？()[]", []),
        ("", []),
    ],
)
def test_when_text_is_tokenized_then_tokens_are_exact(text: str, expected: list[str]) -> None:
    assert tokenize(normalize(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BP 160/100 mmHg, HbA1c 7.2%", ["BP", "160/100", "mmHg", "HbA1c", "7.2%"]),
        ("行胸部CT检查", ["行", "胸部CT", "检查"]),
        ("C反应蛋白 CRP 12 mg/L", ["C反应蛋白", "CRP", "12", "mg/L"]),
        ("Patient has T2DM", ["Patient", "has", "T2DM"]),
    ],
)
def test_when_lowercase_is_false_then_case_is_kept(text: str, expected: list[str]) -> None:
    assert tokenize(text, lowercase=False) == expected
    assert tokenize(text, lowercase=True) == [token.lower() for token in expected]


@pytest.mark.parametrize("func", [segment_words, tokenize])
@pytest.mark.parametrize("value", [None, 7, b"\xe8\x83\xb8"])
def test_when_text_is_not_str_then_invalid_input_error(func: Any, value: Any) -> None:
    with pytest.raises(InvalidInputError, match="expects a str"):
        func(value)
