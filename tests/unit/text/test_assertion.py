"""ConText assertion (`assert_span`) on a table of Chinese and English clinical sentences.

The table was written before the trigger rules, from clinical reading of each sentence (what a
clinician would record for the patient), not from what the rules happen to output. The rows
marked "held out" were written after the rules and added without changing any rule; two of them
fail (an uncertainty cue about the *cause* of a finding is read as doubt about the finding, a
known ConText limitation). The acceptance bar is >= 95% correct per language; the failures are
listed when it is not met. Each row: sentence, the finding (its first occurrence is the span),
expected assertion.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from medsage.errors import InvalidInputError
from medsage.text import Assertion, assert_span
from medsage.text._assertion import explain_span
from medsage.text._normalize import is_cjk

EN_TABLE: list[tuple[str, str, str]] = [
    ("Patient denies chest pain.", "chest pain", "negated"),
    ("No fever.", "fever", "negated"),
    ("She reports a fever of 39 C since yesterday.", "fever", "present"),
    ("Denies fever, chills, nausea, vomiting, or abdominal pain.", "abdominal pain", "negated"),
    ("No cough but has a sore throat.", "sore throat", "present"),
    ("No cough but has a sore throat.", "cough", "negated"),
    ("The rash is possibly related to the new antibiotic.", "rash", "present"),
    ("Chest pain, rule out myocardial infarction.", "Chest pain", "present"),
    ("Question of mild jaundice on exam.", "jaundice", "uncertain"),
    ("Suspected pneumonia, chest film pending.", "pneumonia", "uncertain"),
    ("History of asthma as a child.", "asthma", "historical"),
    ("He has a history of migraine.", "migraine", "historical"),
    ("No history of seizures.", "seizures", "negated"),
    ("Her mother suffers from migraines.", "migraines", "family"),
    ("Family history of diabetes in father.", "diabetes", "family"),
    ("Father has no history of heart disease.", "heart disease", "family"),
    ("His brother also gets nosebleeds.", "nosebleeds", "family"),
    ("My mom has high blood pressure and I have been getting headaches.", "headaches", "present"),
    ("My mom has high blood pressure and I have been getting headaches.", "high blood", "family"),
    ("I have had a tummy ache since last night.", "tummy ache", "present"),
    ("I've been throwing up all morning.", "throwing up", "present"),
    ("I don't have any fever.", "fever", "negated"),
    ("I haven't been coughing much.", "coughing", "negated"),
    ("There is no swelling in my legs.", "swelling", "negated"),
    ("I'm not sure if I have a fever.", "fever", "uncertain"),
    ("Could this be diabetes? I feel thirsty all the time.", "thirsty", "present"),
    ("Do you have any chest pain?", "chest pain", "uncertain"),
    ("Return to the ED if chest pain recurs.", "chest pain", "uncertain"),
    ("Abdominal pain without nausea.", "nausea", "negated"),
    ("Abdominal pain without nausea.", "Abdominal pain", "present"),
    ("Ambulating without difficulty; reports dizziness on standing.", "dizziness", "present"),
    ("No significant change in his chronic cough.", "cough", "present"),
    ("Not only headache but also blurred vision.", "headache", "present"),
    ("Gram negative rods in urine; patient has dysuria.", "dysuria", "present"),
    ("Previous episodes of chest pain resolved with rest.", "chest pain", "historical"),
    ("She had chickenpox in childhood.", "chickenpox", "historical"),
    ("Status post appendectomy, now with right lower quadrant pain.", "right lower", "present"),
    ("Past medical history: hypertension, hyperlipidemia.", "hyperlipidemia", "historical"),
    ("The palpitations are probably due to anxiety.", "palpitations", "present"),
    ("Likely viral; mild sore throat and runny nose.", "runny nose", "present"),
    ("Rash is absent.", "Rash", "negated"),
    ("Murphy sign negative.", "Murphy sign", "negated"),
    ("Wheezing was not heard.", "Wheezing", "negated"),
    ("The patient is not experiencing any shortness of breath.", "shortness", "negated"),
    ("Denies headache; however, reports blurry vision.", "blurry vision", "present"),
    ("Negative for vomiting or diarrhea.", "diarrhea", "negated"),
    ("No evidence of jaundice.", "jaundice", "negated"),
    ("Grandfather died of a heart attack.", "heart attack", "family"),
    ("Her sister had no seizures.", "seizures", "family"),
    ("Symptoms include fatigue and joint pain.", "joint pain", "present"),
    ("He complains of severe itching all over his body.", "itching", "present"),
    ("I cannot stop sneezing.", "sneezing", "present"),
    ("The itching is not getting better.", "itching", "present"),
    ("Nausea has not improved despite ondansetron.", "Nausea", "present"),
    ("Monitor for fever overnight.", "fever", "uncertain"),
    ("? appendicitis, RLQ tenderness.", "appendicitis", "uncertain"),
    ("I have had a headache for 3 days.", "headache", "present"),
    ("He never had chest pain before.", "chest pain", "negated"),
    ("I used to get heartburn a lot.", "heartburn", "historical"),
    ("Free of seizures for two years.", "seizures", "negated"),
    ("Denies any history of palpitations.", "palpitations", "negated"),
    ("Sister with a similar rash.", "rash", "family"),
    ("My son has had a fever since Monday.", "fever", "present"),
    ("Patient presents with cough and fever, no chest pain.", "chest pain", "negated"),
    ("Patient presents with cough and fever, no chest pain.", "cough", "present"),
    ("Possible early cellulitis of the left leg.", "cellulitis", "uncertain"),
    # held out
    ("He denies nausea and reports mild headache.", "headache", "present"),
    ("No rash, no itching.", "itching", "negated"),
    ("Patient has a cough without sputum.", "sputum", "negated"),
    ("Pain is not relieved by rest.", "Pain", "present"),
    ("Rule out pulmonary embolism given the shortness of breath.", "shortness", "present"),
    ("Her father had a stroke at 60.", "stroke", "family"),
    ("I think I might have the flu.", "flu", "uncertain"),
    ("Prior episodes of syncope, none in the last year.", "syncope", "historical"),
    ("She is afebrile and denies dysuria.", "dysuria", "negated"),
    ("Any blood in your stool?", "blood in your stool", "uncertain"),
    ("Denies recent weight loss or night sweats.", "night sweats", "negated"),
    ("Fever and chills for two days.", "chills", "present"),
    ("If the swelling gets worse, come back.", "swelling", "uncertain"),
    ("Patient's sister has asthma.", "asthma", "family"),
    ("No dizziness when standing, but palpitations at night.", "palpitations", "present"),
    ("Cannot rule out early appendicitis.", "appendicitis", "uncertain"),
]

ZH_TABLE: list[tuple[str, str, str]] = [
    ("患者否认胸痛。", "胸痛", "negated"),
    ("无发热、咳嗽、咳痰。", "咳痰", "negated"),
    ("无发热，咳嗽3天。", "咳嗽", "present"),
    ("发热3天，伴咳嗽、咳痰。", "咳痰", "present"),
    ("无明显诱因出现腹痛，伴恶心呕吐。", "腹痛", "present"),
    ("腹痛伴恶心，无呕吐。", "呕吐", "negated"),
    ("腹痛伴恶心，无呕吐。", "恶心", "present"),
    ("我孩子今天发烧了，还拉肚子。", "拉肚子", "present"),
    ("最近肚子疼得厉害。", "肚子疼", "present"),
    ("不发烧，就是有点咳嗽。", "咳嗽", "present"),
    ("不发烧，就是有点咳嗽。", "发烧", "negated"),
    ("没有头晕。", "头晕", "negated"),
    ("没怎么咳嗽，但是嗓子疼。", "嗓子疼", "present"),
    ("没怎么咳嗽，但是嗓子疼。", "咳嗽", "negated"),
    ("疑似肺炎，需进一步检查。", "肺炎", "uncertain"),
    ("考虑上呼吸道感染可能。", "上呼吸道感染", "uncertain"),
    ("是否有胸闷？", "胸闷", "uncertain"),
    ("有无心悸、气短？", "气短", "uncertain"),
    ("既往有高血压病史10年。", "高血压", "historical"),
    ("既往曾有胃痛。", "胃痛", "historical"),
    ("否认高血压、糖尿病病史。", "糖尿病", "negated"),
    ("母亲有糖尿病。", "糖尿病", "family"),
    ("家族史：父亲患高血压。", "高血压", "family"),
    ("我妈最近经常头晕。", "头晕", "family"),
    ("父亲无高血压。", "高血压", "family"),
    ("其母有偏头痛史。", "偏头痛", "family"),
    ("小时候得过哮喘。", "哮喘", "historical"),
    ("三年前曾出现黑便。", "黑便", "historical"),
    ("现病史：患者3天前出现腹痛。", "腹痛", "present"),
    ("查体：墨菲征阴性。", "墨菲征", "negated"),
    ("双下肢无水肿。", "水肿", "negated"),
    ("未见皮疹。", "皮疹", "negated"),
    ("未诉头痛。", "头痛", "negated"),
    ("咳嗽未缓解。", "咳嗽", "present"),
    ("高热不退。", "高热", "present"),
    ("不停地咳嗽。", "咳嗽", "present"),
    ("四肢无力，食欲差。", "食欲差", "present"),
    ("晚上睡不着，没胃口。", "没胃口", "present"),
    ("不排除阑尾炎。", "阑尾炎", "uncertain"),
    ("胸痛待查。", "胸痛", "present"),
    ("有点胸闷，好像还有点心慌。", "心慌", "uncertain"),
    ("如出现胸痛，请及时就诊。", "胸痛", "uncertain"),
    ("无胸痛，但有胸闷。", "胸闷", "present"),
    ("无明显胸痛。", "胸痛", "negated"),
    ("腹痛不明显。", "腹痛", "negated"),
    ("否认发热、盗汗及体重减轻。", "体重减轻", "negated"),
    ("以往常有偏头痛发作，目前无头晕。", "偏头痛", "historical"),
    ("以往常有偏头痛发作，目前无头晕。", "头晕", "negated"),
    ("其父有糖尿病，患者本人无多饮多尿。", "多尿", "negated"),
    ("宝宝咳嗽两天了。", "咳嗽", "present"),
    ("奶奶也有高血压，我最近也头疼。", "头疼", "present"),
    ("双肺呼吸音清，未闻及干湿啰音。", "干湿啰音", "negated"),
    ("无恶心、呕吐，无腹泻。", "腹泻", "negated"),
    ("咽痛伴发热，体温最高39℃。", "发热", "present"),
    ("无痛性血尿2天。", "血尿", "present"),
    ("患者无法入睡。", "无法入睡", "present"),
    ("已排除肺栓塞。", "肺栓塞", "negated"),
    ("乏力，未再发热。", "发热", "negated"),
    ("担心是不是心脏病。", "心脏病", "uncertain"),
    ("会不会是胃炎？", "胃炎", "uncertain"),
    ("曾经有过胸痛，现在没有了。", "胸痛", "historical"),
    ("腹泻好转，无腹痛。", "腹泻", "present"),
    ("腹泻好转，无腹痛。", "腹痛", "negated"),
    ("患者３天前无明显诱因出现发热，最高３９．５℃。", "发热", "present"),
    ("偶有头晕，无黑矇及晕厥。", "晕厥", "negated"),
    ("偶有头晕，无黑矇及晕厥。", "头晕", "present"),
    # held out
    ("患者诉头痛，无恶心。", "头痛", "present"),
    ("无咳嗽咳痰。", "咳痰", "negated"),
    ("孩子没有拉肚子，但有点吐。", "拉肚子", "negated"),
    ("伴有乏力、纳差。", "纳差", "present"),
    ("其兄患有哮喘。", "哮喘", "family"),
    ("不伴胸痛、心悸。", "心悸", "negated"),
    ("疑诊急性胰腺炎。", "急性胰腺炎", "uncertain"),
    ("既往体健，否认肝炎病史。", "肝炎", "negated"),
    ("头晕2年，加重3天。", "头晕", "present"),
    ("腹部无压痛、反跳痛。", "反跳痛", "negated"),
    ("怀疑是过敏引起的皮疹。", "皮疹", "present"),
    ("半年前曾有一次晕厥。", "晕厥", "historical"),
    ("我爸最近老咳嗽。", "咳嗽", "family"),
    ("体温正常，无寒战。", "寒战", "negated"),
    ("最近总是失眠，不知道是不是焦虑。", "焦虑", "uncertain"),
    ("双下肢轻度水肿。", "水肿", "present"),
]

ACCURACY_BAR = 0.95


def _language(sentence: str) -> str:
    return "zh" if any(is_cjk(ch) for ch in sentence) else "en"


def _failures(table: list[tuple[str, str, str]]) -> list[str]:
    failures = []
    for sentence, finding, expected in table:
        start = sentence.index(finding)
        got = assert_span(sentence, start, start + len(finding))
        if got != expected:
            failures.append(f"{sentence!r} [{finding}]: expected {expected}, got {got}")
    return failures


def test_when_table_written_then_it_has_enough_rows_per_language() -> None:
    assert len(EN_TABLE) >= 30
    assert len(ZH_TABLE) >= 30
    assert all(_language(s) == "en" for s, _, _ in EN_TABLE)
    assert all(_language(s) == "zh" for s, _, _ in ZH_TABLE)
    assert all(e in {a.value for a in Assertion} for _, _, e in EN_TABLE + ZH_TABLE)


def test_when_table_asserted_then_known_failures_only() -> None:
    # Exact, so that a rule change that fixes or breaks a row shows up here.
    assert _failures(EN_TABLE + ZH_TABLE) == [
        "'Rule out pulmonary embolism given the shortness of breath.' [shortness]: "
        "expected present, got uncertain",
        "'怀疑是过敏引起的皮疹。' [皮疹]: expected present, got uncertain",
    ]


def test_when_table_asserted_then_at_least_95_percent_correct() -> None:
    table = EN_TABLE + ZH_TABLE
    failures = _failures(table)
    accuracy = 1 - len(failures) / len(table)
    assert accuracy >= ACCURACY_BAR, f"accuracy {accuracy:.3f}; failures:\n" + "\n".join(failures)


@pytest.mark.parametrize("table", [EN_TABLE, ZH_TABLE], ids=["en", "zh"])
def test_when_one_language_asserted_then_at_least_95_percent_correct(
    table: list[tuple[str, str, str]],
) -> None:
    failures = _failures(table)
    accuracy = 1 - len(failures) / len(table)
    assert accuracy >= ACCURACY_BAR, f"accuracy {accuracy:.3f}; failures:\n" + "\n".join(failures)


def test_when_assertion_compared_then_it_equals_its_string() -> None:
    assert Assertion.NEGATED == "negated"
    assert [a.value for a in Assertion] == [
        "present",
        "negated",
        "uncertain",
        "historical",
        "family",
    ]


def test_when_family_and_negation_both_fire_then_family_wins_and_both_are_explained() -> None:
    text = "Mother had no diabetes."
    start = text.index("diabetes")
    result = explain_span(text, start, start + len("diabetes"))
    assert result.assertion == Assertion.FAMILY
    assert [(t.text, t.category) for t in result.triggers] == [
        ("Mother", "FAMILY"),
        ("no", "NEGATED"),
    ]


def test_when_negation_in_previous_sentence_then_it_does_not_reach() -> None:
    text = "No fever. Cough for three days."
    start = text.index("Cough")
    assert assert_span(text, start, start + 5) == Assertion.PRESENT


def test_when_zh_negation_lists_items_then_comma_ends_its_scope() -> None:
    text = "无发热、畏寒，咳嗽3天。"
    spans = {word: text.index(word) for word in ("发热", "畏寒", "咳嗽")}
    got = {w: assert_span(text, s, s + len(w), lang="zh") for w, s in spans.items()}
    assert got == {"发热": "negated", "畏寒": "negated", "咳嗽": "present"}


def test_when_trigger_inside_the_span_then_it_is_ignored() -> None:
    text = "四肢无力伴头晕。"
    assert assert_span(text, 0, 4) == Assertion.PRESENT


def test_when_full_width_text_then_offsets_are_the_original_ones() -> None:
    text = "ＮＯ ＦＥＶＥＲ。"
    result = explain_span(text, 3, 8)
    assert result.assertion == Assertion.NEGATED
    assert [(t.text, t.start, t.end) for t in result.triggers] == [("ＮＯ", 0, 2)]


@pytest.mark.parametrize(
    ("start", "end", "lang"),
    [(-1, 2, "auto"), (3, 2, "auto"), (0, 99, "auto"), (0, 2, "fr")],
)
def test_when_span_or_lang_invalid_then_invalid_input_error(
    start: int, end: int, lang: str
) -> None:
    with pytest.raises(InvalidInputError):
        assert_span("No fever.", start, end, lang=lang)


@pytest.mark.shared_data
def test_when_dxy_patient_answers_asserted_then_they_match_the_slot_labels(
    shared_data: Path,
) -> None:
    # DXY dialogues label each asked-about symptom True/False; the patient's answer ("孩子没有
    # 打喷嚏", "宝宝有过呕吐") must come out present/negated accordingly.
    path = shared_data / "zh_dxy_diagnosis" / "dxy_dialog_data_dialog_v2.txt"
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        records += ast.literal_eval(line.split("@", 1)[1])
    total = correct = 0
    for record in records:
        dialog = record["dialog"]
        for turn in dialog[2::2]:  # the patient's answers
            for symptom, value in record["goal"]["implicit_inform_slots"].items():
                if symptom in turn and isinstance(value, bool):
                    start = turn.index(symptom)
                    got = assert_span(turn, start, start + len(symptom), lang="zh")
                    total += 1
                    correct += got == ("present" if value else "negated")
    assert total >= 700
    assert correct / total >= 0.98, f"{correct}/{total}"
