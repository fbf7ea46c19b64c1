"""Red flags and triage: a table of emergencies and look-alikes in Chinese and English.

The table was written before the rules were tuned. Every emergency must be flagged with the
expected rule; no negated, historical or family mention may fire any rule; triage levels are
exact.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

from medsage.diagnosis._red_flag_rules import load_message_context, parse_message_context
from medsage.diagnosis._red_flags import (
    LEVELS,
    AbnormalMeasurement,
    RedFlagRule,
    abnormal_measurements,
    check_red_flags,
    load_red_flag_rules,
    parse_red_flag_rules,
    rule_concepts,
    triage,
)
from medsage.errors import DataFormatError, InvalidInputError
from medsage.text import find_findings, find_measurements
from medsage.text._assertion import load_context_rules
from medsage.text._findings import finding_concepts

# --- The table: (text, expected rule id) for emergencies

EMERGENCIES_EN: list[tuple[str, str]] = [
    ("crushing chest pain spreading to my left arm and sweating", "acute_coronary_syndrome"),
    (
        "Chest tightness radiating to the jaw with nausea and a cold sweat for 30 minutes",
        "acute_coronary_syndrome",
    ),
    ("face drooping, slurred speech", "stroke_fast"),
    (
        "Sudden weakness on one side of the body and trouble speaking since this morning",
        "stroke_fast",
    ),
    ("throat swelling after peanuts, can't breathe", "anaphylaxis"),
    ("Stung by a bee, now hives all over and wheezing", "anaphylaxis"),
    ("Severe shortness of breath, lips turning blue", "severe_breathing_difficulty"),
    ("SpO2 86% on room air, breathless", "severe_breathing_difficulty"),
    ("Oxygen saturation 85%", "severe_breathing_difficulty"),
    ("Vomiting blood since this morning", "upper_gi_bleeding"),
    ("Black tarry stools for two days and dizzy", "upper_gi_bleeding"),
    ("I want to kill myself", "suicidal_intent"),
    (
        "I don't want to live anymore, I have been thinking of ending my life",
        "suicidal_intent",
    ),
    (
        "Fever 39.5, stiff neck and a rash that does not fade under a glass",
        "meningitis_signs",
    ),
    ("worst headache of my life, sudden", "thunderclap_headache"),
    ("Sudden explosive headache while lifting weights, then vomiting", "thunderclap_headache"),
    ("8 weeks pregnant with lower abdominal pain and vaginal bleeding", "early_pregnancy_bleeding"),
    ("BP 210/130 with headache", "hypertensive_emergency"),
    ("Blood pressure 190/125 mmHg, chest pain and blurred vision", "hypertensive_emergency"),
    ("Blood sugar 2.2 mmol/L, confused and sweating", "severe_hypoglycaemia"),
    ("Diabetic, found unresponsive, glucose 40 mg/dL", "severe_hypoglycaemia"),
    ("Fever and chills, temp 39.2, RR 26, BP 85/50, confused", "sepsis_high_risk"),
    ("Feels feverish, heart rate 135 bpm, mottled skin", "sepsis_high_risk"),
    # Patients' and carers' wording (added with the rules for issue 8, triage of messages).
    ("my neighbour is unconscious on the floor", "unresponsive"),
    ("my brother swallowed about 20 of his sleeping pills", "poisoning_overdose"),
    ("the gash on his arm keeps pumping blood, we can't stop the bleeding", "severe_bleeding"),
    ("burned by hot oil, big blisters across her whole arm", "severe_burn"),
    ("a sweet got stuck in her throat and she can't cough or speak", "choking"),
    ("we have a gas heater on and both of us have headaches and feel dizzy", "carbon_monoxide"),
    ("fell off his bike, hit his head and keeps throwing up", "head_injury_red_flags"),
    ("bitten by a rattlesnake on the ankle", "venomous_snakebite"),
    ("she has been fitting for 6 minutes", "prolonged_seizure"),
    ("our 10 day old baby feels hot, temperature 38.1", "infant_fever_under_3_months"),
    # Round 2 of the message rules (issue 8): held-out misses and the patterns around them.
    ("out of nowhere I went blind in my right eye", "stroke_fast"),
    (
        "all of a sudden the room is spinning, i can't walk straight and i'm seeing double",
        "stroke_fast",
    ),
    (
        "she is 60, her jaw and left arm ache, cold sweat and she feels sick",
        "acute_coronary_syndrome",
    ),
    (
        "used my inhaler 8 times and it's not helping, can barely say a sentence",
        "severe_breathing_difficulty",
    ),
    ("my 2 year old drank vodka and is very drowsy", "poisoning_overdose"),
    (
        "we ate wild mushrooms we picked in the woods and now we are all vomiting",
        "poisoning_overdose",
    ),
    ("wrote my goodbye letters and got the rope", "suicidal_intent"),
    ("working in the sun all day, now he is confused and not sweating", "heat_stroke"),
    ("36 weeks pregnant and bleeding heavily", "antepartum_haemorrhage"),
    ("my waters broke and the cord is hanging out", "cord_prolapse"),
    ("34 weeks pregnant, bad headache and seeing flashing lights", "pre_eclampsia_signs"),
    ("coughing up spoonfuls of blood", "massive_haemoptysis"),
    ("pulled my son out of the pool, he is coughing and very sleepy", "drowning"),
    ("sudden severe pain in my left testicle and I feel sick", "testicular_torsion"),
    ("got an electric shock from a socket and now my heart is racing", "electric_shock"),
    ("my tongue is swelling up and I can't swallow", "airway_swelling"),
    (
        "my 8 month old has diarrhoea, no wet nappies since morning and she is floppy",
        "infant_dehydration",
    ),
    ("sudden severe stomach pain and I fainted", "acute_abdomen"),
    ("type 1 diabetic, vomiting all night and breathing fast and deep", "diabetic_ketoacidosis"),
    ("splashed oven cleaner in my eye", "chemical_eye_injury"),
    ("found my grandad outside in the snow, confused and stopped shivering", "hypothermia"),
    (
        "motorbike accident, his leg is bent at a weird angle and he cant move his legs",
        "major_trauma",
    ),
    ("my brother has a knife and keeps threatening to kill the neighbours", "danger_to_others"),
    (
        "flew back from a long-haul flight, swollen calf, suddenly short of breath",
        "pulmonary_embolism",
    ),
    ("sudden tearing pain in my chest going through to my back", "aortic_dissection"),
    ("my 2 year old is floppy and her skin is mottled", "seriously_ill_child"),
    ("my son swallowed a button battery an hour ago but seems fine", "poisoning_overdose"),
    ("he has been fitting for 5-6 mins now", "prolonged_seizure"),
    (
        "6 weeks pregnant, sharp pain low on one side and i nearly fainted",
        "early_pregnancy_bleeding",
    ),
]

EMERGENCIES_ZH: list[tuple[str, str]] = [
    ("胸口压榨样疼痛，向左臂放射，出冷汗", "acute_coronary_syndrome"),
    ("胸痛半小时，伴大汗淋漓", "acute_coronary_syndrome"),
    ("口角歪斜，说话不清", "stroke_fast"),
    ("突发左侧肢体无力，言语不清2小时", "stroke_fast"),
    ("吃了海鲜后喉咙肿，喘不上气", "anaphylaxis"),
    ("输青霉素后全身起风团，呼吸困难，血压下降", "anaphylaxis"),
    ("呼吸困难，嘴唇发紫", "severe_breathing_difficulty"),
    ("血氧饱和度 85%，气促", "severe_breathing_difficulty"),
    ("吐血", "upper_gi_bleeding"),
    ("黑便3天，头晕乏力", "upper_gi_bleeding"),
    ("不想活了", "suicidal_intent"),
    ("最近一直想自杀，已经写好遗书", "suicidal_intent"),
    ("发热39.5℃，颈项强直，皮肤出现瘀点，压之不褪色", "meningitis_signs"),
    ("突发剧烈头痛，是一生中最严重的头痛", "thunderclap_headache"),
    ("孕8周，下腹痛伴阴道流血", "early_pregnancy_bleeding"),
    ("怀孕了，肚子疼，还有阴道出血", "early_pregnancy_bleeding"),
    ("血压 200/125 mmHg，剧烈头痛伴视物模糊", "hypertensive_emergency"),
    ("血糖 2.1 mmol/L 意识模糊", "severe_hypoglycaemia"),
    ("糖尿病患者昏迷，血糖1.8mmol/L", "severe_hypoglycaemia"),
    ("高热寒战，体温39.8℃，呼吸30次/分，血压85/50mmHg，神志不清", "sepsis_high_risk"),
    ("邻居倒在楼道里，喊不醒", "unresponsive"),
    ("他一口气吃了三十多片安定", "poisoning_overdose"),
    ("腿上的伤口血止不住，纱布都湿透了", "severe_bleeding"),
    ("被火烧伤，脸上焦黑", "severe_burn"),
    ("老人吃汤圆噎住了，说不出话", "choking"),
    ("卫生间燃气热水器洗澡，人晕倒了", "carbon_monoxide"),
    ("从床上摔下来磕到头，吐了好几次", "head_injury_red_flags"),
    ("下地干活被蛇咬了", "venomous_snakebite"),
    ("老公癫痫发作，一直不停，已经六分钟了", "prolonged_seizure"),
    ("新生儿，体温38.2℃", "infant_fever_under_3_months"),
    ("妈妈左眼突然什么都看不见了", "stroke_fast"),
    ("奶奶突然天旋地转，走路往一边倒，看东西重影", "stroke_fast"),
    ("哮喘犯了，喷了好几次都不管用，话都说不完整", "severe_breathing_difficulty"),
    ("孩子偷喝了白酒，现在软绵绵的叫不太醒", "poisoning_overdose"),
    ("吃了自己采的野蘑菇，现在上吐下泻", "poisoning_overdose"),
    ("我已经写好遗书了，绳子也买好了", "suicidal_intent"),
    ("爷爷在太阳底下干活，现在说胡话，身上滚烫不出汗", "heat_stroke"),
    ("怀孕八个月，下面流了好多血", "antepartum_haemorrhage"),
    ("孕39周破水了，看到脐带掉出来了", "cord_prolapse"),
    ("孕35周，头很痛，眼前冒金星，脸和手突然肿了", "pre_eclampsia_signs"),
    ("咳了好几口鲜血", "massive_haemoptysis"),
    ("孩子掉进河里呛水了，救上来后一直咳，脸色发白", "drowning"),
    ("儿子突然说蛋蛋疼得厉害，还吐了", "testicular_torsion"),
    ("爸爸触电了，现在胸口疼，心慌", "electric_shock"),
    ("舌头突然肿了，咽不下东西", "airway_swelling"),
    ("宝宝拉肚子一天了，尿布一上午都是干的，软绵绵的", "infant_dehydration"),
    ("肚子突然剧痛，肚子硬得像木板", "acute_abdomen"),
    ("糖尿病人，吐了一天，呼吸又深又快，有烂苹果味", "diabetic_ketoacidosis"),
    ("洗衣服的时候84消毒液溅到眼睛里了", "chemical_eye_injury"),
    ("老人在外面冻了一夜，叫他反应很慢", "hypothermia"),
    ("骑电动车被货车撞了，腿变形了，下半身没知觉", "major_trauma"),
    ("我弟拿着刀说要砍死他爸，说有人要害他", "danger_to_others"),
    ("坐了十几个小时飞机，小腿肿痛，突然喘不上气", "pulmonary_embolism"),
    ("突然胸背部撕裂样疼痛，满头大汗", "aortic_dissection"),
    ("宝宝8个月，皮肤发花，呼吸很急促", "seriously_ill_child"),
    ("孩子把纽扣电池吞了，看着没什么事", "poisoning_overdose"),
    ("孩子抽筋了，翻白眼，已经五六分钟了", "prolonged_seizure"),
    ("停经六周，右下腹剧痛，肛门坠胀", "early_pregnancy_bleeding"),
]

# --- Look-alikes: (text, exact triage level, exact set of rule ids that fire)

LOOK_ALIKES_EN: list[tuple[str, str, frozenset[str]]] = [
    ("no chest pain, no sweating", "routine", frozenset()),
    ("Denies chest pain, shortness of breath or vomiting blood", "routine", frozenset()),
    ("Denies melena or hematemesis", "routine", frozenset()),
    ("history of stroke 5 years ago", "routine", frozenset()),
    (
        "History of facial droop and slurred speech after a stroke 5 years ago",
        "routine",
        frozenset(),
    ),
    ("father had a heart attack", "routine", frozenset()),
    (
        "My mother had chest pain radiating to her arm before her heart attack",
        "routine",
        frozenset(),
    ),
    ("No fever, no neck stiffness, no rash", "routine", frozenset()),
    ("No suicidal thoughts, mood is good", "routine", frozenset()),
    ("Not pregnant. Lower abdominal pain during my period", "routine", frozenset()),
    ("Headache for three days, not sudden, not severe", "routine", frozenset()),
    ("BP 150/95, mild headache", "routine", frozenset()),
    ("Blood sugar 4.5 mmol/L, feeling a bit tired", "routine", frozenset()),
    ("runny nose and sneezing for 2 days", "self_care", frozenset()),
    ("Mild sore throat and a stuffy nose", "self_care", frozenset()),
    ("BP 190/110, no headache, no chest pain, no blurred vision", "urgent", frozenset()),
    ("Temperature 39.4 °C and sore throat", "urgent", frozenset()),
    (
        "Chest pain when I press on my ribs, no sweating, no shortness of breath",
        "urgent",
        frozenset({"chest_pain"}),
    ),
    ("what should i do if my toddler swallows a battery?", "routine", frozenset()),
    ("my calf is sore after football, no breathing problems", "routine", frozenset()),
    ("my leg is cramping for 10 minutes and won't stop", "routine", frozenset()),
    (
        "my 3 month old has blue hands after bath but is feeding well and alert",
        "routine",
        frozenset(),
    ),
]

LOOK_ALIKES_ZH: list[tuple[str, str, frozenset[str]]] = [
    ("无胸痛", "routine", frozenset()),
    ("否认黑便", "routine", frozenset()),
    ("无胸痛、胸闷，无出汗", "routine", frozenset()),
    ("否认呕血、黑便", "routine", frozenset()),
    ("既往脑梗病史5年，目前无口角歪斜", "routine", frozenset()),
    ("父亲有心梗病史，曾胸痛", "routine", frozenset()),
    ("否认自杀念头", "routine", frozenset()),
    ("无发热，无颈项强直", "routine", frozenset()),
    ("未怀孕，痛经3天", "routine", frozenset()),
    ("10年前曾呕血", "routine", frozenset()),
    ("无呼吸困难，指脉氧 98%", "routine", frozenset()),
    ("血压 150/90 mmHg，偶有头晕", "routine", frozenset()),
    ("血糖 3.8 mmol/L，无不适", "routine", frozenset()),
    ("流鼻涕、打喷嚏2天", "self_care", frozenset()),
    ("有点鼻塞，流清涕", "self_care", frozenset()),
    ("体温39.3℃，咳嗽", "urgent", frozenset()),
    ("胸痛，按压时加重，无出汗，无气促", "urgent", frozenset({"chest_pain"})),
    ("我去年有一阵子老想死，现在好多了，想问药要吃多久", "routine", frozenset()),
    ("我哥以前拿刀吓唬过人，现在吃药控制得很好", "routine", frozenset()),
    ("腿抽筋五分钟了还没停", "routine", frozenset()),
    ("从去年开始胸口疼，爬楼更明显", "urgent", frozenset({"chest_pain"})),
]

# Added after the first run, from probing beyond the table: a stopped breath, a negation inside
# the gap of a phrase, and the policy on questions (uncertain symptoms count, disease names not).
AFTER_FIRST_RUN: list[tuple[str, str, frozenset[str]]] = [
    (
        "She suddenly collapsed and is not breathing",
        "emergency",
        frozenset({"severe_breathing_difficulty"}),
    ),
    ("老人突然倒地，没有呼吸", "emergency", frozenset({"severe_breathing_difficulty"})),
    ("没有呼吸困难", "routine", frozenset()),
    ("胸部无疼痛", "routine", frozenset()),
    ("Sudden onset, not severe headache", "routine", frozenset()),
    (
        "Is chest pain with sweating serious?",
        "emergency",
        frozenset({"acute_coronary_syndrome", "chest_pain"}),
    ),
    ("What is the risk of anaphylaxis with penicillin?", "routine", frozenset()),
    ("昨晚呕吐了两次，吐出来的是胃内容物，没有血", "routine", frozenset()),
    ("没有想过自杀", "routine", frozenset()),
]

# Added with the message rules (issue 8): a relative's mention counts as the case unless it is
# family history; hypotheticals and general questions count nothing.
MESSAGES: list[tuple[str, str, frozenset[str]]] = [
    ("my dad's face is drooping right now", "emergency", frozenset({"stroke_fast"})),
    ("我妈刚才突然嘴歪了", "emergency", frozenset({"stroke_fast"})),
    (
        "My mum had a stroke last year and now her face is drooping again",
        "emergency",
        frozenset({"stroke_fast"}),
    ),
    ("My mum had a stroke last year; what diet helps?", "routine", frozenset()),
    ("家族史：父亲胸痛后猝死", "routine", frozenset()),
    ("What should I do if my child swallows a whole bottle of pills?", "routine", frozenset()),
    ("万一孩子误吞了纽扣电池怎么办", "routine", frozenset()),
    ("What are the warning signs of a stroke, like a drooping face?", "routine", frozenset()),
    ("如何识别中风？比如嘴歪、说话不清", "routine", frozenset()),
    ("Years ago I took an overdose; I am well now", "routine", frozenset()),
    ("my baby is 4 months old with a temperature of 38", "routine", frozenset()),
    ("I burnt my finger on the oven, a small red mark", "routine", frozenset()),
]

# Round 2 (issue 8): look-alikes of the new rules; none may be an emergency.
ROUND_2: list[tuple[str, str, frozenset[str]]] = [
    (
        "I'm 30 weeks pregnant and my feet swell in the evening, is that normal?",
        "routine",
        frozenset(),
    ),
    (
        "had pre-eclampsia in my last pregnancy, what are my chances this time?",
        "routine",
        frozenset(),
    ),
    ("how do you treat heat stroke?", "routine", frozenset()),
    ("my son nearly drowned two years ago, now he's afraid of swimming", "routine", frozenset()),
    ("got a small shock changing a light bulb, felt a tingle, fine now", "routine", frozenset()),
    (
        "my 3 year old has a tummy bug, vomited twice, still drinking and peeing fine",
        "routine",
        frozenset(),
    ),
    ("i'm type 1 diabetic and my ketones were 0.3, glucose 12, feel fine", "routine", frozenset()),
    (
        "coughed up a bit of blood after a coughing fit, just a streak",
        "urgent",
        frozenset({"haemoptysis"}),
    ),
    ("the room spins for a few seconds when I roll over in bed", "routine", frozenset()),
    ("my jaw aches from grinding my teeth", "routine", frozenset()),
    ("I drank too much wine last night and threw up", "routine", frozenset()),
    ("wrote my letters to family for christmas", "routine", frozenset()),
    ("got some shampoo in my eye, it stings, rinsed it", "routine", frozenset()),
    ("went cold water swimming this morning, felt great", "routine", frozenset()),
    ("孕晚期头痛正常吗？没有视力问题", "routine", frozenset()),
    ("孩子学游泳呛了几口水，现在玩得好好的", "routine", frozenset()),
    ("嗓子肿痛三天了，咽东西有点疼", "routine", frozenset()),
    ("宝宝拉肚子两天，精神还好，尿也正常", "routine", frozenset()),
    ("孩子发烧，手脚冰凉，精神还可以", "routine", frozenset()),
    ("野生菌怎么做才安全？", "routine", frozenset()),
    ("糖尿病十年了，最近血糖有点高，12点几，没有不舒服", "routine", frozenset()),
    ("破水了要马上去医院吗？还没有宫缩，没有其他不舒服", "routine", frozenset()),
    ("天太热了，有点头晕乏力，喝了点水好多了", "routine", frozenset()),
    ("没有尿频尿急", "routine", frozenset()),
]

# Round 4 (issue 8): the classic patterns of the fourth table's misses in other wordings (not
# the table's sentences): word order, adverbs in a phrase, bare temperature readings, lay names,
# a child and someone else's tablets, and a negation that belongs to a symptom.
ROUND_4_EMERGENCIES: list[tuple[str, str]] = [
    (
        "my husband's mouth has suddenly dropped on one side and he keeps using the wrong words",
        "stroke_fast",
    ),
    ("mum's smile is kind of lopsided and her speech came out all garbled", "stroke_fast"),
    ("外婆嘴角突然有点歪，舌头发硬，说话不利索", "stroke_fast"),
    (
        "feels like a heavy weight pressing on my chest and it's going down my left arm, sweating",
        "acute_coronary_syndrome",
    ),
    ("my chest feels like it's in a vice, i'm clammy and feel sick", "acute_coronary_syndrome"),
    ("胸口像压了一块大石头，喘不上气，出了一身冷汗", "acute_coronary_syndrome"),
    (
        "grandad is 78, has indigestion he can't shift, cold sweat and feels breathless",
        "acute_coronary_syndrome",
    ),
    ("my 3 week old has 38.4 in his ear and is very sleepy", "infant_fever_under_3_months"),
    ("宝宝出生18天，腋下38.3度，不太吃奶", "infant_fever_under_3_months"),
    (
        "vomited something that looks like coffee grounds and my poo is jet black, I feel faint",
        "upper_gi_bleeding",
    ),
    ("吐出来像咖啡渣似的，拉的大便是黑的，头晕", "upper_gi_bleeding"),
    ("got battery fluid in my eye at work, it's burning", "chemical_eye_injury"),
    ("装修的时候石灰水溅到眼睛里了", "chemical_eye_injury"),
    (
        "my grandad has a chest infection and now he's confused and his heart is racing",
        "sepsis_high_risk",
    ),
    (
        "she has a kidney infection, she's not making sense and her skin is blotchy",
        "sepsis_high_risk",
    ),
    ("i keep thinking about stepping in front of a train", "suicidal_intent"),
    ("我想从江桥上跳下去，今晚就动手", "suicidal_intent"),
    ("孩子从滑梯上摔下来，后脑勺磕到地上，吐了两次", "head_injury_red_flags"),
    (
        "banged his head on the kerb, knocked out for a few seconds, headache getting worse",
        "head_injury_red_flags",
    ),
    ("my toddler got hold of my blood pressure tablets, not sure how many", "poisoning_overdose"),
    ("孩子翻出奶奶的药盒，吃了几粒降压药", "poisoning_overdose"),
    ("刚下飞机，小腿发紧，突然喘不过气", "pulmonary_embolism"),
    (
        "flew in from Dubai this morning, my calf is achy and I suddenly can't catch my breath",
        "pulmonary_embolism",
    ),
    ("got zapped by a socket, now my chest feels tight and heart is skipping", "electric_shock"),
    ("工人摸到电线被电晕了，醒了以后说心慌", "electric_shock"),
    (
        "he worked in a hot warehouse all day, he's burning up, stopped sweating and is delirious",
        "heat_stroke",
    ),
    ("爷爷在温室里干活，身上滚烫不出汗，说话语无伦次", "heat_stroke"),
]

ROUND_4: list[tuple[str, str, frozenset[str]]] = [
    (
        "saw a news story about a boy who swallowed a battery, how do I childproof?",
        "routine",
        frozenset(),
    ),
    ("看到新闻说有人被雷劈了，打雷时怎么避免？", "routine", frozenset()),
    ("我妈脑梗后遗症，左手一直没劲，怎么康复", "routine", frozenset()),
    ("my 2 year old takes his own amoxicillin, he swallowed the dose fine", "routine", frozenset()),
    ("I'm 55, I have heartburn after spicy food, no sweating", "routine", frozenset()),
    ("糖尿病十年了，胃有点胀，想问吃什么好", "routine", frozenset()),
    ("it was 38 degrees today, how do I keep my baby cool?", "routine", frozenset()),
    ("flew home from spain last week, feel jet lagged", "routine", frozenset()),
    ("we went to the bridge to look at the view, lovely day", "routine", frozenset()),
    (
        "is it normal that my gran's words get mixed up when she is tired? she has dementia",
        "routine",
        frozenset(),
    ),
    ("孩子发烧38.5度，精神还好，吃喝正常", "routine", frozenset()),
    ("he is not making sense, no chest pain", "routine", frozenset()),
]

NOT_FIRING_ASSERTIONS = ("negated", "historical", "family")


def _ids(text: str) -> set[str]:
    return {flag.rule_id for flag in check_red_flags(text)}


# --- The table


def test_when_the_table_is_counted_then_it_holds_at_least_50_cases_20_per_language() -> None:
    zh = len(EMERGENCIES_ZH) + len(LOOK_ALIKES_ZH)
    en = len(EMERGENCIES_EN) + len(LOOK_ALIKES_EN)
    assert zh >= 20
    assert en >= 20
    assert zh + en >= 50


@pytest.mark.parametrize(("text", "rule_id"), EMERGENCIES_EN + EMERGENCIES_ZH + ROUND_4_EMERGENCIES)
def test_when_an_emergency_is_described_then_triage_is_emergency_with_its_rule(
    text: str, rule_id: str
) -> None:
    result = triage(text)
    assert result.level == "emergency"
    assert rule_id in {flag.rule_id for flag in result.rules}


@pytest.mark.parametrize(
    ("text", "level", "rule_ids"),
    (LOOK_ALIKES_EN + LOOK_ALIKES_ZH + AFTER_FIRST_RUN + MESSAGES + ROUND_2 + ROUND_4),
)
def test_when_a_look_alike_is_described_then_triage_level_and_rules_are_exact(
    text: str, level: str, rule_ids: frozenset[str]
) -> None:
    result = triage(text)
    assert (result.level, {flag.rule_id for flag in result.rules}) == (level, set(rule_ids))


def test_when_every_emergency_rule_is_counted_then_each_has_a_case_in_both_languages() -> None:
    emergency_ids = {r.rule_id for r in load_red_flag_rules() if r.level == "emergency"}
    assert {rule for _, rule in EMERGENCIES_EN} == emergency_ids
    assert {rule for _, rule in EMERGENCIES_ZH} == emergency_ids


@pytest.mark.parametrize(("text", "level", "rule_ids"), LOOK_ALIKES_EN + LOOK_ALIKES_ZH)
def test_when_a_mention_is_negated_historical_or_family_then_no_evidence_cites_it(
    text: str, level: str, rule_ids: frozenset[str]
) -> None:
    blocked = [
        (f.start, f.end) for f in find_findings(text) if f.assertion in NOT_FIRING_ASSERTIONS
    ]
    for flag in check_red_flags(text):
        for item in flag.evidence:
            assert not any(s < item.end and item.start < e for s, e in blocked), (flag, item)


# --- Output shape


def test_when_a_rule_fires_then_evidence_is_the_matched_text_with_offsets() -> None:
    text = "crushing chest pain spreading to my left arm and sweating"
    flag = next(f for f in check_red_flags(text) if f.rule_id == "acute_coronary_syndrome")
    assert [(e.text, text[e.start : e.end]) for e in flag.evidence] == [
        (e.text, e.text) for e in flag.evidence
    ]
    assert {e.text for e in flag.evidence} == {"chest pain", "spreading to my left arm", "sweating"}
    assert flag.level == "emergency"
    assert flag.title == "Possible heart attack (acute coronary syndrome)"
    assert "911" in flag.advice
    assert "NICE CG95" in flag.source


def test_when_phrases_overlap_then_evidence_is_one_merged_span() -> None:
    flag = next(
        f
        for f in check_red_flags("怀孕6周，少量阴道出血")
        if f.rule_id.startswith("early_pregnancy")
    )
    assert [(e.text, e.start, e.end) for e in flag.evidence] == [
        ("怀孕6周", 0, 4),
        ("阴道出血", 7, 11),
    ]


def test_when_the_text_is_chinese_then_title_and_advice_are_chinese() -> None:
    flag = next(f for f in check_red_flags("吐血") if f.rule_id == "upper_gi_bleeding")
    assert flag.title == "疑似上消化道出血"
    assert "120" in flag.advice
    assert flag.to_dict()["evidence"] == [{"text": "吐血", "start": 0, "end": 2}]


def test_when_lang_is_given_then_it_chooses_the_language_of_titles() -> None:
    flags = check_red_flags("吐血", lang="zh")
    assert flags[0].title == "疑似上消化道出血"
    assert check_red_flags("vomiting blood", lang="zh") == []


def test_when_findings_and_measurements_are_given_then_they_are_used_as_passed() -> None:
    text = "BP 210/130 with headache"
    # Without the headache finding only the measurement remains: urgent, not an emergency.
    result = triage(text, findings=[], measurements=find_measurements(text))
    assert result.level == "urgent"
    assert result.rules == []
    assert [a.kind for a in result.abnormal] == ["systolic_bp", "diastolic_bp"]


def test_when_triage_is_serialised_then_the_dict_is_json_ready() -> None:
    data = triage("BP 210/130 with headache").to_dict()
    text = json.dumps(data, ensure_ascii=False)
    assert data["level"] == "emergency"
    assert '"rule_id": "hypertensive_emergency"' in text


def test_when_the_text_is_empty_then_routine_and_nothing_fires() -> None:
    assert triage("").level == "routine"
    assert check_red_flags("") == []


def test_when_the_input_is_not_a_str_then_invalid_input_error() -> None:
    with pytest.raises(InvalidInputError, match="str"):
        check_red_flags(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="lang"):
        triage("chest pain", lang="fr")


# --- Abnormal measurements


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SpO2 91%", [("spo2", "low", 92.0)]),
        ("SpO2 92%", []),
        ("BP 180/100", [("systolic_bp", "high", 180.0)]),
        ("BP 170/120", [("diastolic_bp", "high", 120.0)]),
        ("BP 88/50", [("systolic_bp", "low", 90.0)]),
        ("Temperature 39.0 °C", [("temperature", "high", 39.0)]),
        ("Temperature 38.9 °C", []),
        ("体温35.0℃", [("temperature", "low", 35.0)]),
        ("heart rate 131 bpm", [("heart_rate", "high", 131.0)]),
        ("heart rate 130 bpm", []),
        ("心率38次/分", [("heart_rate", "low", 40.0)]),
        ("RR 25", [("respiratory_rate", "high", 25.0)]),
        ("血糖 2.9 mmol/L", [("glucose", "low", 3.0)]),
        ("血糖 35 mmol/L", [("glucose", "high", 33.3)]),
    ],
)
def test_when_a_measurement_crosses_a_threshold_then_it_is_flagged_with_it(
    text: str, expected: list[tuple[str, str, float]]
) -> None:
    found = abnormal_measurements(find_measurements(text))
    assert [(a.kind, a.flag, a.threshold) for a in found] == expected
    assert all(isinstance(a, AbnormalMeasurement) and a.source for a in found)


# --- The data file


def test_when_the_rules_are_read_then_every_concept_exists_in_the_findings_lexicon() -> None:
    missing = sorted(rule_concepts() - set(finding_concepts()))
    assert missing == []
    assert len(rule_concepts()) >= 20


def test_when_the_rules_are_read_then_each_has_a_source_titles_and_advice_in_both_languages() -> (
    None
):
    rules = load_red_flag_rules()
    assert len({r.rule_id for r in rules}) == len(rules)
    assert sum(r.level == "emergency" for r in rules) == 41
    for rule in rules:
        assert rule.level in LEVELS[:2]
        assert rule.source.strip()
        assert all(rule.titles[lang] and rule.advice[lang] for lang in ("en", "zh"))


def test_when_the_rules_round_trip_through_dicts_then_they_are_unchanged() -> None:
    raw = json.loads(
        resources.files("medsage.resources")
        .joinpath("diagnosis/red_flags.json")
        .read_text(encoding="utf-8")
    )
    rules = parse_red_flag_rules(raw)
    assert [r.to_dict() for r in rules] == raw["rules"]
    assert all(isinstance(r, RedFlagRule) for r in rules)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"level": "soon"}, "level"),
        ({"when": {"finding": "no_such_concept"}}, "no_such_concept"),
        ({"when": {"measure": "spo2", "op": "~", "value": 90}}, "op"),
        ({"when": {"measure": "pulse", "op": "<", "value": 90}}, "pulse"),
        ({"when": {"phrase": {"en": ["(unclosed"]}}}, "regex"),
        ({"when": {"all_of": []}}, "empty"),
        ({"source": ""}, "source"),
    ],
)
def test_when_a_rule_is_malformed_then_data_format_error_names_the_problem(
    broken: dict[str, object], message: str
) -> None:
    rule: dict[str, object] = {
        "id": "demo",
        "level": "urgent",
        "title_en": "Demo",
        "title_zh": "示例",
        "advice_en": "See a doctor",
        "advice_zh": "就医",
        "source": "A guideline",
        "when": {"finding": "fever"},
    }
    rule.update(broken)
    with pytest.raises(DataFormatError, match=message):
        parse_red_flag_rules({"rules": [rule]})


def test_when_the_message_context_is_malformed_then_data_format_error_names_the_key() -> None:
    with pytest.raises(DataFormatError, match="general_question"):
        parse_message_context({"general_question": {"fr": ["x"]}})
    with pytest.raises(DataFormatError, match="relative_now"):
        parse_message_context({"relative_now": {"en": ["(unclosed"]}})
    with pytest.raises(DataFormatError, match="hypothetical"):
        parse_message_context({"hypothetical": "if"})


def test_when_the_packaged_message_context_is_read_then_every_trigger_is_a_context_rule() -> None:
    context = load_message_context()
    triggers = {rule.trigger for rule in load_context_rules()}
    assert sorted((context.hypothetical | context.family_history) - triggers) == []
    assert len(context.general_question) >= 10


def test_when_a_negation_belongs_to_a_symptom_then_it_does_not_reach_the_next_mention() -> None:
    text = "chest infection, he's not making sense and his skin looks blotchy"
    flag = next(f for f in check_red_flags(text) if f.rule_id == "sepsis_high_risk")
    assert [e.text for e in flag.evidence] == ["chest infection", "skin looks blotchy"]
    assert load_message_context().negated_symptom
    assert parse_message_context({}).negated_symptom == ()


def test_when_an_english_phrase_has_an_optional_space_then_both_spellings_match() -> None:
    assert _ids("bitten by a snake, snakebite on his ankle") >= {"venomous_snakebite"}
    assert _ids("3 week old, 38.1C") == {"infant_fever_under_3_months"}
    assert _ids("3 week old, 38.1 C") == {"infant_fever_under_3_months"}
