"""Chinese recognizers: identity numbers, phones, dates, ages, record numbers, accounts, plates.

Names live in `_recognizers_zh_names`, addresses and facilities in `_recognizers_zh_places`.
Every pattern runs over a width-folded copy of the text (`_zh_text.fold`: "１３８" -> "138",
"：" -> ":"), which keeps offsets. `ZhClinicalTermRecognizer` finds nothing itself; it protects
clinical look-alikes (eponyms, drugs, doses, vital signs, bed numbers, departments).
"""

from __future__ import annotations

import datetime
import functools
import re

from medsage.privacy._recognizers_zh_names import ZhNameRecognizer
from medsage.privacy._recognizers_zh_places import ZhAddressRecognizer, ZhFacilityRecognizer
from medsage.privacy._spans import (
    ACCOUNT,
    AGE,
    DATE,
    NATIONAL_ID,
    PHONE,
    RECORD_ID,
    VEHICLE,
    PhiSpan,
    Protected,
    Recognizer,
    spans_from_matches,
    word_list,
)
from medsage.privacy._zh_text import fold

_ZH = frozenset({"zh"})


class _ZhPatternRecognizer:
    """Base: Chinese only, nothing protected."""

    name = "zh"
    languages = _ZH

    def find(self, text: str) -> list[PhiSpan]:
        return []

    def protect(self, text: str) -> list[Protected]:
        return []


# --- 身份证 (GB 11643-1999: 6-digit area, 8-digit birth date, 3-digit sequence, check digit)

# ISO 7064 MOD 11-2 weights and the check character for each remainder (GB 11643-1999).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}\s?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\s?\d{3}[0-9Xx](?![0-9A-Za-z])"
)
_ID_CONTEXT = re.compile(
    r"(?:身份证|居民身份证|证件|公民身份)(?:号码|号|编号)?\s*(?:[:#]|为|是)?\s*"
    r"(\d{17}[0-9Xx]|\d{15})(?![0-9A-Za-z])"
)
_PASSPORT = re.compile(
    r"(?:护照|港澳通行证|台胞证|回乡证|军官证|士兵证)(?:号码|号)?\s*(?:[:#]|为|是)?\s*"
    r"([A-Za-z]{1,2}\d{7,9})(?![0-9A-Za-z])"
)


def valid_id_card(number: str) -> bool:
    """True when an 18-character 身份证 number has a real birth date and a correct check digit."""
    digits = number.replace(" ", "").upper()
    if len(digits) != 18 or not digits[:17].isdigit():
        return False
    try:
        birth = datetime.date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    if not datetime.date(1880, 1, 1) <= birth <= datetime.date.today():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == digits[17]


class ZhIdCardRecognizer(_ZhPatternRecognizer):
    """身份证 numbers: valid ones anywhere; invalid ones only after a 身份证 label (lower score)."""

    name = "zh_id_card"

    def find(self, text: str) -> list[PhiSpan]:
        folded = fold(text)
        out = [
            PhiSpan(m.start(), m.end(), NATIONAL_ID, 0.95, self.name)
            for m in _ID_CARD.finditer(folded)
            if valid_id_card(m.group())
        ]
        out += spans_from_matches(_ID_CONTEXT.finditer(folded), NATIONAL_ID, 0.6, self.name, 1)
        out += spans_from_matches(_PASSPORT.finditer(folded), NATIONAL_ID, 0.85, self.name, 1)
        return out


# --- Phones

_PHONE = re.compile(
    r"(?=[\d(+])(?<![\d.])(?:"
    # mobile: 138 1234 5678, +86-138-1234-5678, (+86)13812345678
    r"(?:(?:\(\+?86\)|\+86|0086|86)[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}"
    # landline with area code: 010-12345678, (020)12345678, 0571-8765 4321, +86 571 8765 4321
    r"|(?:(?:\+|00)86[\s-]?(?:\(0?\d{2,3}\)|0?[1-9]\d{1,2})|\(0\d{2,3}\)|0[1-9]\d{1,2})"
    r"[\s-]?\d{3,4}[\s-]?\d{4}(?:\s?(?:转|-|ext\.?|x)\s?\d{1,5})?"
    # service numbers
    r"|[48]00[\s-]?\d{3}[\s-]?\d{4}"
    r")(?![\d])"
)
_PHONE_CONTEXT = re.compile(
    r"(?:电话|手机|座机|固话|联系方式|热线|传真|分机|Tel|TEL|tel|Phone|phone|Fax|FAX|fax|Mobile)"
    r"(?:号码|号)?\s*(?:[:#]|为|是)?\s*((?:\d[\s-]?){6,11}\d)(?![\d])"
)


class ZhPhoneRecognizer(_ZhPatternRecognizer):
    """Mobile (1[3-9] + 9 digits), landlines with an area code, numbers after 电话/手机."""

    name = "zh_phone"

    def find(self, text: str) -> list[PhiSpan]:
        folded = fold(text)
        out = spans_from_matches(_PHONE.finditer(folded), PHONE, 0.85, self.name)
        out += spans_from_matches(_PHONE_CONTEXT.finditer(folded), PHONE, 0.8, self.name, 1)
        return out


# --- Dates and ages

_Y = r"(?:19|20)\d{2}"
_M = r"(?:0?[1-9]|1[0-2])"
_D = r"(?:0?[1-9]|[12]\d|3[01])"
_CN_DIGIT = "〇零一二三四五六七八九"
_CN_M = r"(?:十[一二]?|[一二三四五六七八九])"
_CN_D = r"(?:三十一?|二?十[一二三四五六七八九]?|[一二三四五六七八九])"
_TIME = (
    r"(?:\s?(?:上午|下午|中午|凌晨|早上|早晨|晚上|傍晚|夜间|夜里)?\s?(?:[01]?\d|2[0-3])"
    r"(?::[0-5]\d(?::[0-5]\d)?|[时点](?:[0-5]?\d分|半|许)?))?"
)
# A second day or date after a range mark: "3月5日至8日", "2026.3.5-3.8".
_RANGE = rf"(?:\s?(?:至|到|~|-|—|－)\s?(?:(?:{_M}[-/.月])?{_D}[日号]?(?![\d])))?"
# Each pattern opens with a lookahead on its first character: re then skips ahead with a fast
# character-set scan instead of trying the whole pattern at every position (5x faster).
_DATE = re.compile(
    rf"(?=[\d{_CN_DIGIT}十])(?<![\d.])(?:"
    rf"(?:{_Y}|\d{{2}}(?=\s?年\s?{_M}\s?月\s?{_D}))\s?年\s?{_M}\s?月"
    rf"(?:\s?{_D}\s?[日号]|上旬|中旬|下旬|初|底|末|份)?{_TIME}{_RANGE}"
    rf"|{_Y}(?P<sep>[-/.])\s?{_M}(?P=sep)\s?{_D}(?![\d])(?:[T\s]?{_TIME}){_RANGE}"
    rf"|{_D}/{_M}/{_Y}|{_M}/{_D}/{_Y}"
    rf"|(?<![年\d])(?<![\d]\s){_M}\s?月\s?{_D}\s?[日号]{_TIME}{_RANGE}"
    rf"|[{_CN_DIGIT}]{{4}}年(?:{_CN_M}月(?:{_CN_D}[日号])?)?"
    rf"|(?<![{_CN_DIGIT}十个])(?<!一个){_CN_M}月{_CN_D}[日号]"
    rf")(?![\d])"
)
# Weaker forms: a year alone ("2020年"), year-month in digits ("2025-12"), month with a part
# ("3月份", "3月底"), compact "20260305".
_DATE_WEAK = re.compile(
    rf"(?=\d)(?<![\d.])(?:"
    rf"{_Y}\s?年(?![\d代龄级前后余来多间])"
    rf"|{_Y}[-/.]{_M}(?![\d]|[-/.]\d)"
    rf"|(?<![年\d]){_M}\s?月(?:份|初|中旬|上旬|下旬|底|末)"
    rf"|{_Y}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?![\d])"
    rf")"
)
_AGE = re.compile(
    r"(?=[\d九一])(?<![\d.])(?:9\d|1[0-2]\d)\s?(?:余|多)?\s?(?:周岁|岁半|岁|[yY](?![a-zA-Z]))"
    r"|(?:九十[一二三四五六七八九]?|一百(?:零[一二三四五六七八九]|[一二]十[一二三四五六七八九]?)?)"
    r"(?:余|多)?(?:周岁|岁)"
)
_AGE_CONTEXT = re.compile(r"(?:年龄|年纪|age|Age)\s*[:]?\s*((?:9\d|1[0-2]\d))(?![\d.])")


class ZhDateRecognizer(_ZhPatternRecognizer):
    """Calendar dates (2026年3月5日, 2026-03-05, 3月12日, 二〇二六年三月五日); not durations."""

    name = "zh_date"

    def find(self, text: str) -> list[PhiSpan]:
        folded = fold(text)
        out = spans_from_matches(_DATE.finditer(folded), DATE, 0.9, self.name)
        out += spans_from_matches(_DATE_WEAK.finditer(folded), DATE, 0.7, self.name)
        return out


class ZhAgeRecognizer(_ZhPatternRecognizer):
    """Ages over 89 (92岁, 九十五岁, 年龄: 93): HIPAA Safe Harbor keeps younger ages."""

    name = "zh_age"

    def find(self, text: str) -> list[PhiSpan]:
        folded = fold(text)
        out = spans_from_matches(_AGE.finditer(folded), AGE, 0.9, self.name)
        out += spans_from_matches(_AGE_CONTEXT.finditer(folded), AGE, 0.85, self.name, 1)
        return out


# --- Record numbers, accounts, plates

# 床号 (bed) is deliberately absent: a bed number does not identify a patient.
_RECORD_LABEL = (
    r"(?:住院流水号|住院号|病案号|病历号|门诊号|急诊号|门急诊号|医保卡号|医保号|医疗保险号|社保卡号"
    r"|社保号|就诊卡号|诊疗卡号|健康卡号|就诊号|登记号|档案号|病理号|影像号|检查号|放射号|X线号"
    r"|CT号|MR号|超声号|标本号|条码号|申请单号|流水号|患者ID|病人ID|ID号|PID|MRN|会员号|保单号"
    r"|执业证书编码|执业证书编号|执业证号|资格证书编号|资格证号|医师编号|工号|卡号"
    # report, sample and check-up numbers: 检验单号, 报告编号, 体检编号, 样本号
    r"|(?:检验|化验|检查|报告|申请|送检|体检|标本|样本|档案|病例|会员|订单|登记|就诊|住院|门诊)"
    r"(?:单编号|单号|编号|号))"
)
# Every character that opens a label alternative (a superset): the lookahead lets re skip
# ahead with a character-set scan.
_RECORD_FIRST = "".join(sorted(set(re.findall(r"(?<=[(|])[^?:|()]", _RECORD_LABEL))))
_RECORD = re.compile(
    rf"(?=[{_RECORD_FIRST}])"
    rf"{_RECORD_LABEL}(?:码)?(?:\s*[/、]\s*{_RECORD_LABEL}(?:码)?)*"
    r"\s*(?:[:#]|为|是|No\.?)?\s*(?P<id>(?=[A-Za-z\-]*\d)[A-Za-z0-9][A-Za-z0-9\-]{3,24})"
    r"(?![A-Za-z0-9])"
)
_QQ = re.compile(r"(?:QQ|qq|Qq|扣扣)\s*(?:号码|号)?\s*(?:[:]|为|是)?\s*(?P<id>[1-9]\d{4,11})(?!\d)")
_WECHAT = re.compile(
    r"(?:微信|WeChat|wechat|Wechat|weixin|VX|vx|wx|WX|微博|抖音|支付宝|钉钉)\s*(?:号码|号|ID|id)?"
    r"\s*(?:[:]|为|是)?\s*(?P<id>[A-Za-z@][-_A-Za-z0-9.@]{4,29}|\+?\d[\d\s-]{4,16}\d)"
    r"(?![A-Za-z0-9_])"
)
# A handle given in a WeChat exchange without its label: "加个微信吗？我的是 abc_123".
_WECHAT_REPLY = re.compile(
    r"(?:我的是|我的微信是|我的号是|我微信是|加我)\s*[:]?\s*"
    r"(?P<id>[A-Za-z][-_A-Za-z0-9]{4,29})(?![A-Za-z0-9_@.])"
)
_WECHAT_HINT = re.compile(r"微信|WeChat|wechat|weixin|VX|vx|wx|WX")
_BANK = re.compile(
    r"(?:银行卡|银行账户|银行帐户|账号|帐号)\s*(?:号码|号)?\s*[:]?\s*(\d[\d\s]{10,24}\d)"
)
_PLATE = re.compile(
    r"(?:[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z]"
    r"[·•.\s-]?(?=[A-HJ-NP-Z]*\d)[A-HJ-NP-Z0-9]{5,6})(?![A-Za-z0-9])"
)


class ZhRecordIdRecognizer(_ZhPatternRecognizer):
    """The number after 住院号, 病案号, 门诊号, 医保卡号, 就诊卡号... (not the label)."""

    name = "zh_record_id"

    def find(self, text: str) -> list[PhiSpan]:
        return spans_from_matches(_RECORD.finditer(fold(text)), RECORD_ID, 0.9, self.name, 1)


class ZhAccountRecognizer(_ZhPatternRecognizer):
    """QQ numbers, WeChat (and similar) handles, bank card numbers after their label."""

    name = "zh_account"

    def find(self, text: str) -> list[PhiSpan]:
        folded = fold(text)
        out = spans_from_matches(_QQ.finditer(folded), ACCOUNT, 0.9, self.name, 1)
        out += spans_from_matches(_WECHAT.finditer(folded), ACCOUNT, 0.9, self.name, 1)
        for m in _WECHAT_REPLY.finditer(folded):
            if _WECHAT_HINT.search(folded, max(0, m.start() - 40), m.start()):
                out.append(PhiSpan(m.start("id"), m.end("id"), ACCOUNT, 0.85, self.name))
        out += spans_from_matches(_BANK.finditer(folded), ACCOUNT, 0.85, self.name, 1)
        return out


class ZhPlateRecognizer(_ZhPatternRecognizer):
    """Licence plates: province character + letter + 5 (or 6, new energy) letters/digits."""

    name = "zh_plate"

    def find(self, text: str) -> list[PhiSpan]:
        return spans_from_matches(_PLATE.finditer(fold(text)), VEHICLE, 0.85, self.name)


# --- Clinical look-alikes

_PROTECT_SCORE = 0.9
_DOSE_UNIT = (
    r"(?:mg|mcg|μg|ug|ng|g|kg|ml|mL|L|IU|iu|U|u|万U|万单位|单位|mmol|mEq|毫克|克|毫升|微克|片|粒|"
    r"支|袋|滴|喷|揿|贴|丸|包|瓶)"
)
_MEASURE = re.compile(
    r"(?=[\dBb血])(?:"
    # doses with an optional rate: 100 mg qd, 0.5g/次, 5mg/kg, 2片 bid
    rf"(?<![\d.])\d{{1,5}}(?:\.\d+)?\s?{_DOSE_UNIT}(?:\s?/\s?(?:次|日|天|d|h|kg|min|分))?"
    r"(?:\s?(?:qd|bid|tid|qid|qn|qod|qw|prn|st|q\d+h|每日\d次|每天\d次))?(?![A-Za-z])"
    # blood pressure, pulse, temperature: 160/100 mmHg, 血压 160/100, 38.5℃, 88次/分
    r"|(?:血压|BP|bp)\s*[:]?\s*\d{2,3}\s?/\s?\d{2,3}(?:\s?(?:mmHg|mmhg|毫米汞柱))?"
    r"|\d{2,3}\s?/\s?\d{2,3}\s?(?:mmHg|mmhg|毫米汞柱)"
    r"|\d{2}(?:\.\d)?\s?(?:℃|°C|度)|\d{2,3}\s?次\s?/\s?分(?:钟)?"
    # menstrual history: 月经 5/28天, 经期 3-5/28-30
    r"|\d{1,2}(?:\s?[-~]\s?\d{1,2})?\s?(?:天)?\s?/\s?\d{2}(?:\s?[-~]\s?\d{2})?\s?天"
    # bed numbers and lab notation: 3床, 12床, 10^9/L
    r"|\d{1,4}\s?(?:床|号床)|\d+(?:\.\d+)?\s?[x×]\s?10\^?\d+\s?/\s?L"
    r")"
)


@functools.cache
def _clinical_terms() -> re.Pattern[str]:
    terms = sorted(word_list("zh_clinical_terms"), key=len, reverse=True)
    return re.compile("|".join(re.escape(t) for t in terms))


class ZhClinicalTermRecognizer(_ZhPatternRecognizer):
    """Protects look-alikes: eponyms, drug names, doses, vital signs, bed numbers, departments."""

    name = "zh_clinical_terms"

    def protect(self, text: str) -> list[Protected]:
        folded = fold(text)
        out = [
            Protected(m.start(), m.end(), _PROTECT_SCORE, "zh clinical term")
            for m in _clinical_terms().finditer(folded)
        ]
        out += [
            Protected(m.start(), m.end(), _PROTECT_SCORE, "zh measurement")
            for m in _MEASURE.finditer(folded)
        ]
        return out


RECOGNIZERS: list[Recognizer] = [
    ZhNameRecognizer(),
    ZhIdCardRecognizer(),
    ZhPhoneRecognizer(),
    ZhDateRecognizer(),
    ZhAgeRecognizer(),
    ZhRecordIdRecognizer(),
    ZhAccountRecognizer(),
    ZhPlateRecognizer(),
    ZhAddressRecognizer(),
    ZhFacilityRecognizer(),
    ZhClinicalTermRecognizer(),
]
