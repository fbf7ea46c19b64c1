"""What a consultation message asks: language, question type, vagueness and pushback.

Question types follow MedQuAD's (Ben Abacha and Demner-Fushman 2019, BMC Bioinformatics 20:511,
Table 2), merged where MedQuAD splits hairs: information, symptoms, causes, treatment,
prevention, diagnosis ("exams and tests"), outlook, side_effects, inheritance, frequency.
Cue words are ours; each type lists English stems and Chinese words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medsage.errors import EmptyInputError, InvalidInputError
from medsage.literature._tokens import analyze
from medsage.text._language import detect_language

MAX_MESSAGE_CHARS = 5_000

# Order matters: the first type whose cue is present wins (side effects before treatment, so
# "side effects of metformin treatment" is side_effects).
QTYPE_CUES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "side_effects",
        ("side effect", "adverse", "reaction to", "safe to take", "interact"),
        ("副作用", "不良反应", "相互作用", "能一起吃", "能同时"),
    ),
    (
        "symptoms",
        ("symptom", "sign of", "signs of", "feel like", "what does", "look like"),
        ("症状", "表现", "征兆", "迹象"),
    ),
    (
        "causes",
        ("cause", "why do", "why does", "why am", "why is", "reason", "risk factor"),
        ("原因", "为什么", "怎么引起", "引起", "诱因", "病因"),
    ),
    (
        "prevention",
        ("prevent", "avoid getting", "reduce the risk", "vaccin"),
        ("预防", "避免", "防止", "疫苗"),
    ),
    (
        "diagnosis",
        ("diagnos", "test for", "tests", "exam", "screening", "how do i know"),
        ("诊断", "检查", "化验", "确诊", "筛查"),
    ),
    (
        "outlook",
        ("outlook", "prognosis", "life expectancy", "curable", "go away", "survival"),
        ("预后", "能治好", "能好吗", "寿命", "会好吗", "能活"),
    ),
    (
        "treatment",
        (
            "treat",
            "cure",
            "medicine",
            "medication",
            "drug",
            "therapy",
            "what can i do",
            "how to get rid",
            "remedy",
            "manage",
            "dose",
            "take for",
        ),
        ("治疗", "怎么办", "吃什么药", "用药", "药物", "怎么治", "治好", "缓解", "剂量"),
    ),
    ("inheritance", ("inherit", "hereditary", "genetic", "passed down"), ("遗传", "基因")),
    (
        "frequency",
        ("how common", "how many people", "prevalence", "incidence"),
        ("发病率", "多常见", "患病率"),
    ),
)

# Words that carry no topic: a message made only of these is too vague to search.
_GENERIC_EN = frozenset(
    "feel feeling felt unwel unwell sick ill bad not good well help pleas please what should "
    "do doe i me my am is are can you tell know anyth anything someth something wrong "
    "worri worried happen happening today now right okay ok hi hello doctor doc question "
    "need advic advice hurt hurts pain ach ache problem issu issue thing thank thanks great "
    "normal bodi body weird strang strange serious have has medicin medicine take fine lately "
    "recent recently look check".split()
)
_GENERIC_ZH = frozenset(
    "我 不 舒服 难受 不舒服 怎么办 怎么 办 帮 帮帮 帮帮我 医生 你好 请问 有点 感觉 觉得 "
    "问题 一下 什么 该 应该 吗 呢 啊 了 的 好 不好 身体 今天 现在 咨询 问 怪怪的 怪怪 这个 正常 "
    "看看 最近 状态 不太好 吃 药 药好 病 病了 什么病 我家 家人 人病 严重 要紧 看".split()
)

# Insisting on a claim against the answer just given.
_PUSHBACK = re.compile(
    r"\b(but i (read|heard|think|know|saw)|i('m| am) (sure|certain|positive)|you('re| are) wrong|"
    r"(that|it)('s| is| has been) (wrong|not true|proven)|isn'?t it true|everyone knows|"
    r"my (friend|neighbou?r|mother|mum|mom) (said|says|always)|are you sure|admit it|come on|"
    r"surely|i still (think|believe)|no,? (i read|it (does|is|can))|i don'?t need)\b"
    r"|可是我(听说|看到|觉得)|我听说|你说错|不对|明明|难道不是|大家都说|我确定|我肯定|还是觉得|"
    r"老人说|对的吧|没问题吧|根本|就行了",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QuestionInfo:
    """The language ("zh" or "en"), type, topic words, and whether the message is too vague
    to answer or pushes back on the previous answer."""

    language: str
    qtype: str
    topic_terms: tuple[str, ...]
    vague: bool
    pushback: bool


def check_message(text: object) -> str:
    """The message, stripped; raises on a non-string, empty or huge message."""
    if not isinstance(text, str):
        raise InvalidInputError(f"the question must be text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise EmptyInputError("the question is empty; type what you would like to ask")
    if len(stripped) > MAX_MESSAGE_CHARS:
        raise InvalidInputError(
            f"the question has {len(stripped):,} characters; the limit is {MAX_MESSAGE_CHARS:,}. "
            "Ask one question at a time, in a few sentences."
        )
    return stripped


def message_language(text: str, default: str = "en") -> str:
    """ "zh" when the message is mostly Chinese (or mixed), "en" when English, else `default`."""
    lang = detect_language(text)
    if lang in ("zh", "mixed"):
        return "zh"
    return "en" if lang == "en" else default


def question_type(text: str) -> str:
    """The first type in `QTYPE_CUES` with a cue in `text`, else "information"."""
    lowered = text.lower()
    for qtype, cues_en, cues_zh in QTYPE_CUES:
        if any(c in lowered for c in cues_en) or any(c in text for c in cues_zh):
            return qtype
    return "information"


def topic_terms(text: str) -> tuple[str, ...]:
    """Search terms of `text` that name a topic (not generic words like 'unwell' or '不舒服')."""
    return tuple(t for t in analyze(text) if t not in _GENERIC_EN and t not in _GENERIC_ZH)


def understand(text: str, default_language: str = "en") -> QuestionInfo:
    """Language, type, topic words, vagueness and pushback of one message."""
    message = check_message(text)
    terms = topic_terms(message)
    return QuestionInfo(
        language=message_language(message, default_language),
        qtype=question_type(message),
        topic_terms=terms,
        vague=not terms,
        pushback=_PUSHBACK.search(message) is not None,
    )
