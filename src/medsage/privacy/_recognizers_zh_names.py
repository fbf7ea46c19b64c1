"""Chinese person names: a surname (package data `zh_surnames`) next to a context word.

A name is looked for right after a cue ("患者", "家属", "主治医师:", "之子") or right before a
title ("先生", "主任", "护士"; "李主任" gives the surname alone). The given name is one or two
characters: the second is kept unless it starts a word that usually follows a name
(`zh_name_followers`: 因, 于, 今日, 主诉...) or is an unusual given-name character followed by
more text. A candidate that starts a common word ("高血压", "白细胞", "方案": `zh_name_stopwords`
plus the non-name words of jieba's dictionary) is rejected unless a label with a colon
("姓名:", "签名:") makes a name certain.
"""

from __future__ import annotations

import functools
import logging
import re

from medsage.privacy._spans import NAME, PhiSpan, Protected, word_list
from medsage.privacy._zh_text import fold, is_cjk

_LOG = logging.getLogger(__name__)
_ZH = frozenset({"zh"})

# Cues before a name. Longer cues come first in the regex, so "患者姓名" wins over "患者".
_BEFORE = (
    "患者姓名 病人姓名 患儿姓名 姓名 患者 病人 患儿 病员 伤者 孕妇 产妇 就诊人 "
    "就诊者 受检者 被检者 家属 联系人 紧急联系人 监护人 代理人 委托人 陪护人 陪护 "
    "护工 签名 签字 医师签名 医生签名 护士签名 家属签名 患者签名 主治医师 主治医生 "
    "住院医师 住院医生 主任医师 副主任医师 主管医师 主管医生 管床医生 管床医师 "
    "经治医师 经治医生 上级医师 上级医生 接诊医师 接诊医生 值班医师 值班医生 "
    "会诊医师 会诊医生 手术医师 术者 主刀 一助 二助 麻醉医师 麻醉师 记录者 记录人 "
    "书写者 书写人 审核者 审核人 审核医师 报告医师 报告者 报告人 检查者 检查医师 "
    "操作者 随访人 随访者 随访医生 回访人 咨询者 问诊医生 答复医生 责任医生 家庭医生 "
    "签约医生 申请医生 开单医生 送检医生 医师 医生 大夫 护士 责任护士 护士长 护师 "
    "主管护师 药师 技师 其夫 其妻 其子 其女 其父 其母 丈夫 妻子 儿子 女儿 父亲 母亲 "
    "爱人 配偶 老伴 孙子 孙女 外孙 之子 之女 之夫 之妻 之父 之母 哥哥 姐姐 弟弟 妹妹 "
    "朋友 同事 邻居 介绍人 病友 指导老师 带教老师 助手 陪同人 陪同者 主刀医生 转诊医生 "
    "检验者 检验人 检验医师 检验师 校对者 校对人 复核者 复核人 核对者 核对人 "
    "操作人 操作员 执行者 执行人 "
    "签发者 签发医师 录入者 录入人 采样人 采集者 送检者 交班护士 接班护士 交班者 接班者 "
    "参会人员 参会者 出席者 主持人 辅导员 班主任 司机 驾驶员 乘客 保姆 室友 同学 房东 "
    "我叫 我是 本人 致电 名叫 叫做 中文名 名字叫 名字是 化名"
).split()
# Kinship words: the name after them may be a minority or transliterated name with no Han
# surname ("丈夫阿苏拉哈"), taken whole when 3-4 characters end at a pause.
_RELATIONS = (
    "丈夫 妻子 儿子 女儿 父亲 母亲 爸爸 妈妈 爱人 配偶 老伴 孙子 孙女 外孙 外孙女 哥哥 姐姐 "
    "弟弟 妹妹 祖父 祖母 外祖父 外祖母 爷爷 奶奶 外公 外婆 姥姥 姥爷 伯父 伯母 叔叔 婶婶 舅舅 "
    "舅妈 姑姑 姑父 姨妈 姨父 侄子 侄女 侄孙 侄孙女 外甥 外甥女 儿媳 女婿 孙媳 公公 婆婆 岳父 "
    "岳母 继父 继母 养父 养母 堂兄 堂弟 堂姐 堂妹 表哥 表弟 表姐 表妹 兄弟 姐妹 其夫 其妻 其子 "
    "其女 其父 其母 之子 之女 之夫 之妻 之父 之母"
).split()
# Labels that announce a name only with a colon ("审核：沈洁", not "审核通过").
_COLON_ONLY = "审核 检验 校对 复核 核对 操作 执行 签发 参会 出席 交班 接班 记录 报告 录入".split()
_BEFORE = list(dict.fromkeys(_BEFORE + _RELATIONS + _COLON_ONLY))
# Titles after a name: "张先生", "李主任", "王芳护士".
_AFTER = (
    "先生 女士 小姐 老师 医生 医师 护士长 护士 护师 主任 教授 大夫 院长 科长 阿姨 叔叔 师傅 同志 "
    "之子 之女 之妻 之夫 之父 之母 夫妇 家属 老人 同学 博士 副主任医师 主任医师 主治医师 住院医师 "
    "副主任 副教授 副院长 主管护师 护理员 药师 技师"
).split()
_BEFORE_RE = re.compile(
    "(?P<cue>" + "|".join(sorted(_BEFORE, key=len, reverse=True)) + r")"
    r"\)?\s*(?P<colon>:)?\s*(?:为|是|叫)?\s*"
)
# Speakers in dialogues ("医生: 张口看看"): a colon after them does not announce a name.
_SPEAKERS = frozenset(
    "患者 病人 患儿 医生 医师 大夫 护士 家属 咨询者 问诊医生 答复医生 病友 朋友".split()
)
_AFTER_RE = re.compile("|".join(sorted(_AFTER, key=len, reverse=True)))
# A further name in a list: "家属张三、李四", "张三和李四".
_LIST_RE = re.compile(r"\s*(?:、|和|与|及|,)\s*")
# Characters that cannot open a given name ("患者张某", "张氏", "王因...", "李主任").
_G1_STOP = frozenset("因于诉述称的是为等和与及在入出今昨自男女岁年某氏姓先医护主教您你我他她它们,")
# Characters that look like surnames but here are function words ("和王主任": 和 is not
# the name); a shorter reading is preferred when one exists.
_LEADING_FUNCTION = frozenset(
    "和向时从于经有后能都那来过通相查应代信原利空养益法公国文广东师满居步易古容连习充别温农"
    "尚边寿双阴全车谷山封家曲及与同跟被将把对给让叫请由在为是告示知报诉前邀找问答陪等"
)
# What may follow a name that is also a common word: punctuation or a clear verb.
_PAUSE = frozenset(",.;:、，。；：)（(）因诉于今昨入出男女")
# Pauses after a full name ("刘志刚，电话"), and follower characters that never end one.
_PAUSE_AFTER = frozenset(",.;:、，。；：)（(） \n")
_NOT_FINAL = frozenset("因于今昨入出诉述称的之是为等和与及同跟现已来去说有无先女男年岁住经行")
# Characters of clinical words that no surname-less name run holds ("患高血压").
_NOT_IN_RUN = frozenset("患病症炎痛血癌瘤伤疮疹肿瘫健故逝亡孕")
_SCORE_STRONG, _SCORE_CUE, _SCORE_TITLE, _SCORE_SURNAME = 0.9, 0.85, 0.8, 0.75


@functools.cache
def _surnames() -> tuple[frozenset[str], frozenset[str]]:
    """(single-character surnames, compound surnames)."""
    words = word_list("zh_surnames")
    return (
        frozenset(w for w in words if len(w) == 1),
        frozenset(w for w in words if len(w) == 2),
    )


@functools.cache
def _followers() -> tuple[frozenset[str], frozenset[str]]:
    """(single characters, words) that usually follow a name."""
    words = word_list("zh_name_followers")
    return frozenset(w for w in words if len(w) == 1), frozenset(w for w in words if len(w) > 1)


@functools.cache
def _stopwords() -> frozenset[str]:
    """Common words that start with a surname: package list plus jieba's non-name words."""
    return _jieba_words()[0] | word_list("zh_name_stopwords")


@functools.cache
def _words_ending_in_surname() -> frozenset[str]:
    """Common two-character words that end with a surname character ("责任", "夜班", "谢谢")."""
    return _jieba_words()[1]


@functools.cache
def _common_words() -> frozenset[str]:
    """Common words of 2-4 characters (jieba's dictionary, person names left out)."""
    return _jieba_words()[2] | word_list("zh_name_stopwords")


@functools.cache
def _jieba_words() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    singles, compounds = _surnames()
    words: set[str] = set()
    ending: set[str] = set()
    common: set[str] = set()
    try:
        import jieba

        with jieba.dt.get_dict_file() as handle:
            for raw in handle:
                fields = raw.decode("utf-8").split()
                if len(fields) < 3 or not 2 <= len(fields[0]) <= 4:
                    continue
                word, freq, tag = fields[0], int(fields[1]), fields[2]
                if freq < 50:  # rare words would only hide real names
                    continue
                if len(word) == 2 and word[1] in singles:
                    ending.add(word)
                # nr/nrfg/nrt are person names
                if tag.startswith("nr") or word in compounds:
                    continue
                common.add(word)
                if word[0] in singles or word[:2] in compounds:
                    words.add(word)
    except (ImportError, OSError, ValueError) as exc:  # jieba is optional here
        _LOG.debug("jieba dictionary unavailable for name stopwords: %s", exc)
    return frozenset(words), frozenset(ending), frozenset(common)


def _surname_len(text: str, i: int) -> int:
    singles, compounds = _surnames()
    if text[i : i + 2] in compounds:
        return 2
    return 1 if text[i : i + 1] in singles else 0


def _starts_word(text: str, i: int, words: frozenset[str]) -> bool:
    return text[i : i + 2] in words or text[i : i + 3] in words or text[i : i + 4] in words


def _given_end(text: str, i: int) -> int:
    """End of a given name starting at `i` (one or two characters); `i` when there is none."""
    follow_chars, follow_words = _followers()
    given = word_list("zh_given_chars")
    n = len(text)
    if i >= n or not is_cjk(text[i]) or text[i] in _G1_STOP or _starts_word(text, i, follow_words):
        return i
    j = i + 1
    if j >= n or not is_cjk(text[j]) or text[j] in _G1_STOP:
        return j
    if text[j] in follow_chars:
        # "刘志刚，": a usual given-name character before a pause is still part of the name
        after = text[j + 1 : j + 2]
        pause = not after or after in _PAUSE_AFTER
        return j + 1 if pause and text[j] in given and text[j] not in _NOT_FINAL else j
    if _starts_word(text, j, follow_words):
        return j
    after = text[j + 1 : j + 2]
    boundary = not after or not is_cjk(after) or after in follow_chars
    if text[j] in given or boundary or _starts_word(text, j + 1, follow_words):
        return j + 1
    return j


_RELATION_SET = frozenset(_RELATIONS)
_COLON_ONLY_SET = frozenset(_COLON_ONLY)
# What follows a record's patient: sex, age, a record number or a bed ("，女，32岁").
_DEMOGRAPHIC = re.compile(
    r"(?=[,(\s])(?<=[\u4e00-\u9fff])(?:,\s*[男女](?=[,.;:()\s。；]|$)"
    r"|,\s*(?:\d{1,3}|[一二三四五六七八九十百零]{1,4})\s*(?:周岁|岁)"
    r"|[,(]\s*(?:住院号|病案号|门诊号|就诊卡号|病历号)|\s+\d{1,3}\s*床)"
)
_AFTER_BED = re.compile(r"(?=\d)(?<![\d.])\d{1,3}\s*床\s+")
# The end of a record header ("出院小结：", "复诊记录 2026年3月3日：") and a comma after a
# date ("2026年3月30日，"); line starts are found with str.find.
_HEADER = re.compile(
    r"(?=[记小病门会日随交报])(?:记录|小结|病历|病程|门诊|会诊|日志|随访|交班|报告)[^\n:]{0,24}:\s*"
)
_DATE_COMMA = re.compile(r"[\d日号],\s*(?=[\u4e00-\u9fff])")
_DEPARTMENT = re.compile(r"科(?=[\u4e00-\u9fff])")
_LIST_PAUSE = frozenset("、,.;:)(。；\n ")
# Words that never open a patient run before "，男" ("患者", "产妇"...): the cue words.
_ROLE_WORDS = frozenset(_BEFORE) | frozenset("男性 女性 男孩 女孩 老人 小孩 新生儿 孕妇".split())
# Verbs that follow a name opening a record ("姚倩复诊", "林小梅服用").
_RECORD_VERBS = frozenset("复诊 服用 口服 通过 本人 来诊 来院 就诊 自述 自诉 诉 因 于 今日".split())


def _starts_follower(text: str, i: int) -> bool:
    return any(text[i : i + k] in _RECORD_VERBS for k in (1, 2))


def _is_name_run(text: str, s: int, e: int) -> bool:
    """True when `text[s:e]` (2-4 CJK characters standing alone) reads as a name."""
    run = text[s:e]
    if any(run[:k] in _ROLE_WORDS for k in range(2, len(run) + 1)):
        return False
    sur = _surname_len(text, s)
    if sur and 1 <= e - s - sur <= 2:
        return not _starts_word(text, s, word_list("zh_name_stopwords"))
    return _unsurnamed_end(text, s, e - s, strict=False) == e


def _unsurnamed_end(text: str, i: int, min_len: int, strict: bool = True) -> int:
    """End of a name with no Han surname ("吉克阿依"): `min_len`-4 characters up to a pause,
    none of them a function or disease character and the run not a common word; `i` when
    none. `strict` (no sex or age after it) also rejects a run holding a 3-4 character word
    ("父亲患高血压") or opening with a two-character one."""
    j = i
    follow_chars = _followers()[0]
    while j < len(text) and j - i < 5 and is_cjk(text[j]):
        if text[j] in follow_chars or text[j] in _G1_STOP or text[j] in _NOT_IN_RUN:
            return i
        j += 1
    if not min_len <= j - i <= 4 or (j < len(text) and text[j] not in _LIST_PAUSE):
        return i
    common = _common_words()
    run = text[i:j]
    if run in common:
        return i
    if strict:
        windows = {run[a:b] for a in range(len(run)) for b in range(a + 3, len(run) + 1)}
        if windows & common or (len(run) == 3 and run[:2] in common):
            return i
    return j


class ZhNameRecognizer:
    """Person names next to a cue (患者, 医师, 家属, 之子, 姓名:) or before a title (先生, 主任)."""

    name = "zh_name"
    languages = _ZH

    def find(self, text: str) -> list[PhiSpan]:
        folded = fold(text)
        out: list[PhiSpan] = []
        cue_words: dict[int, int] = {}  # end -> start of each cue word ("开单医生")
        for m in _BEFORE_RE.finditer(folded):
            cue = m.group("cue")
            colon = m.group("colon") is not None
            cue_words[m.start() + len(cue)] = m.start()
            if cue in _COLON_ONLY_SET:
                if colon:  # a colon makes the label a name slot, yet stopwords still apply
                    self._names_after(folded, m.end(), False, out)
                continue
            strong = colon and cue not in _SPEAKERS
            before = len(out)
            self._names_after(folded, m.end(), strong, out)
            if len(out) == before and cue in _RELATION_SET:
                end = _unsurnamed_end(folded, m.end(), 3)
                if end > m.end():
                    out.append(PhiSpan(m.end(), end, NAME, _SCORE_CUE, self.name))
        for m in _AFTER_RE.finditer(folded):
            if cue_words.get(m.end(), m.end()) < m.start():
                continue  # the title ends a cue word: "开单医生", "交班护士"
            span = self._name_before(folded, m.start())
            if span is not None:
                out.append(span)
        self._demographic_names(folded, out)
        self._record_start_names(folded, out)
        self._department_names(folded, out)
        return out

    def _demographic_names(self, text: str, out: list[PhiSpan]) -> None:
        """A run of 2-4 characters standing alone before "，男", "，92岁", "，住院号", " 38床".

        A record often opens with the patient: "王秀英，九十二岁", "李娜，女，32岁",
        "朱红梅　38床"; the run is also taken after a bed number ("15床 钱淑芬，96岁").
        """
        for m in _DEMOGRAPHIC.finditer(text):
            a = m.start()
            s = a
            while s > 0 and a - s < 5 and is_cjk(text[s - 1]):
                s -= 1
            if not 2 <= a - s <= 4 or (s > 0 and text[s - 1].isdigit()):
                continue
            if _is_name_run(text, s, a):
                out.append(PhiSpan(s, a, NAME, _SCORE_CUE, self.name))
        for m in _AFTER_BED.finditer(text):
            s = m.end()
            e = s
            while e < len(text) and e - s < 5 and is_cjk(text[e]):
                e += 1
            if 2 <= e - s <= 4 and _surname_len(text, s) and _is_name_run(text, s, e):
                out.append(PhiSpan(s, e, NAME, _SCORE_CUE, self.name))

    def _record_start_names(self, text: str, out: list[PhiSpan]) -> None:
        """A name opening a line or a record header ("门诊记录：郑海，", "姚倩复诊") before a
        verb that usually follows a name ("复诊", "服用", "通过", "本人", "因")."""
        starts = [(0, False)]
        at = text.find("\n")
        while at >= 0:
            starts.append((at + 1, False))
            at = text.find("\n", at + 1)
        starts += [(m.end(), True) for m in _HEADER.finditer(text)]
        starts += [(m.end(), False) for m in _DATE_COMMA.finditer(text)]
        for i, header in starts:
            while i < len(text) and text[i] in " \t":
                i += 1
            sur = _surname_len(text, i)
            if not sur or _starts_word(text, i, _stopwords()):
                continue
            end = _given_end(text, i + sur)
            if end <= i + sur:
                continue
            if end - i - sur == 2 and _starts_follower(text, end - 1):
                end -= 1  # "姚倩复诊": 复 opens the verb
            after = text[end : end + 1]
            if (header and after in (",", "(")) or _starts_follower(text, end):
                out.append(PhiSpan(i, end, NAME, _SCORE_CUE, self.name))

    def _department_names(self, text: str, out: list[PhiSpan]) -> None:
        """A name right after a department and before a pause: "肿瘤内科许文涛、放疗科贺兰"."""
        for m in _DEPARTMENT.finditer(text):
            i = m.end()
            if not is_cjk(text[m.start() - 1 : m.start()] or "a"):
                continue
            end = self._name_at(text, i, False)
            if end > i and (end == len(text) or text[end] in _LIST_PAUSE):
                out.append(PhiSpan(i, end, NAME, _SCORE_CUE, self.name))

    def protect(self, text: str) -> list[Protected]:
        return []

    def _names_after(self, text: str, i: int, strong: bool, out: list[PhiSpan]) -> None:
        """The name at `i` after a cue, then any further names listed after it."""
        while True:
            end = self._name_at(text, i, strong)
            if end <= i:
                return
            score = _SCORE_STRONG if strong else _SCORE_CUE
            out.append(PhiSpan(i, end, NAME, score, self.name))
            sep = _LIST_RE.match(text, end)
            if sep is None or text[sep.start() : sep.end()].strip() == ",":
                return
            i, strong = sep.end(), False

    @staticmethod
    def _name_at(text: str, i: int, strong: bool) -> int:
        """End of the name starting at `i`, or `i` when there is none."""
        if text[i : i + 1] in ("小", "老", "阿") and _surname_len(text, i + 1):
            # "护士小王", "家属老李"
            k = i + 1 + _surname_len(text, i + 1)
            nxt = text[k : k + 1]
            follow_chars, follow_words = _followers()
            if (
                not nxt
                or not is_cjk(nxt)
                or nxt in follow_chars
                or _starts_word(text, k, follow_words)
            ):
                return k
        sur = _surname_len(text, i)
        if not sur:
            if not strong:
                return i
            # a label makes a name certain even with a rare surname: take 2-3 CJK characters
            j = i
            while j < len(text) and j - i < 4 and is_cjk(text[j]):
                j += 1
            return j if 2 <= j - i <= 3 else i
        if not strong and _starts_word(text, i, word_list("zh_name_stopwords")):
            return i
        end = _given_end(text, i + sur)
        if not strong and text[i] in _LEADING_FUNCTION and sur == 1:
            # "患者于术后", "父亲有高血压": a function word, unless a usual given name follows
            given_chars = word_list("zh_given_chars")
            if not all(c in given_chars for c in text[i + 1 : end]):
                return i
            if _starts_word(text, i + 1, _stopwords()):
                return i
        # a general word ("黄海", "文静") is still a name when a name-like pause follows
        pause = text[end : end + 1] in _PAUSE and end - i == sur + 1
        if not strong and not pause and _starts_word(text, i, _jieba_words()[0]):
            return i
        return end if end > i + sur else i

    def _name_before(self, text: str, title: int) -> PhiSpan | None:
        """The name right before a title at `title` ("张三先生", "李主任")."""
        stop = _stopwords()
        given_chars = word_list("zh_given_chars")
        best: tuple[int, float] | None = None
        for length in (4, 3, 2, 1):
            start = title - length
            if start < 0:
                continue
            cand = text[start:title]
            if not all(map(is_cjk, cand)):
                continue
            sur = _surname_len(text, start)
            given = cand[sur:]
            if not sur or len(given) > 2 or (length == 4 and sur != 2):
                continue
            if any(c not in given_chars for c in given) or _starts_word(text, start, stop):
                continue
            if length > 1 and text[start - 1 : start + 1] in _words_ending_in_surname():
                continue  # "谢谢方医生": 谢 closes 谢谢
            if length == 1 and (
                cand in _LEADING_FUNCTION or text[start - 1 : title] in _words_ending_in_surname()
            ):
                continue
            if best is not None and cand[0] in _LEADING_FUNCTION:
                continue
            if cand[0] in _LEADING_FUNCTION and best is None:
                # keep it only if no shorter reading works
                best = (start, _SCORE_SURNAME if not given else _SCORE_TITLE)
                continue
            score = _SCORE_SURNAME if not given else _SCORE_TITLE
            return PhiSpan(start, title, NAME, score, self.name)
        if best is None:
            return None
        return PhiSpan(best[0], title, NAME, best[1], self.name)
