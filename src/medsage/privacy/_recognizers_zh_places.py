"""Chinese addresses and facilities (hospitals, clinics, nursing homes).

Both work from a suffix backwards: a regex finds "医院", "市", "路12号"..., and the name is the
run of CJK characters (and digits) before it, up to a stop character such as 在, 于, 至 or 住
(`_zh_text.scan_left`). An address is a chain of adjacent parts (省 市 区 县 镇 乡 村 路 号 栋
单元 室, 小区 names) reported as one span when it is specific enough: two parts or more, a road
with a number, an estate name, a known place (package data `zh_places`) or a residence cue
(家住, 住址, 籍贯...) before it.
"""

from __future__ import annotations

import functools
import re

from medsage.privacy._spans import ADDRESS, FACILITY, PhiSpan, Protected, word_list
from medsage.privacy._zh_text import STOP_LEFT, fold, is_cjk, scan_left

_ZH = frozenset({"zh"})

# --- Facilities

_FACILITY_SUFFIX = re.compile(
    r"(?:社区卫生服务中心|社区卫生服务站|卫生服务中心|疾病预防控制中心|妇幼保健院|妇幼保健计划生育服务中心"
    r"|人民医院|中医医院|中西医结合医院|中医院|医院|卫生院|卫生室|卫生所|诊所|门诊部|医务室|保健院"
    r"|疗养院|养老院|敬老院|护理院|福利院|康复中心|医疗中心|医学中心|体检中心|急救中心|疾控中心"
    r"|血站|大药房|药房|药店)"
    r"(?:[\u4e00-\u9fff]{2,4}?(?:院区|分院))?"
)
_FACILITY_LIMIT = 20


@functools.cache
def _generic_facility_words() -> re.Pattern[str]:
    words = sorted(word_list("zh_facility_generic"), key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in words))


def _named_prefix(prefix: str, generic: re.Pattern[str]) -> bool:
    """A facility prefix that names one place although its words look generic: a known
    place first ("中山市..."), or a university before 附属 ("中山大学附属第三医院")."""
    if _place_at(prefix, 0) and prefix[: _place_at(prefix, 0)] not in _ambiguous_places():
        return True
    head, sep, _ = prefix.partition("附属")
    return bool(sep) and head.endswith(("大学", "学院")) and len(generic.sub("", head)) >= 1


class ZhFacilityRecognizer:
    """Named hospitals and clinics, place prefix included (杭州市第一人民医院 is one span).

    "当地医院", "县人民医院", "三甲医院" and other generic mentions are not reported.
    """

    name = "zh_facility"
    languages = _ZH

    def find(self, text: str) -> list[PhiSpan]:
        folded = fold(text)
        generic = _generic_facility_words()
        out = []
        for m in _FACILITY_SUFFIX.finditer(folded):
            start = scan_left(folded, m.start(), _FACILITY_LIMIT)
            prefix = folded[start : m.start()]
            if len(generic.sub("", prefix)) >= 2 or _named_prefix(prefix, generic):
                out.append(PhiSpan(start, m.end(), FACILITY, 0.85, self.name))
        return out

    def protect(self, text: str) -> list[Protected]:
        return []


# --- Addresses

_ADMIN = "特别行政区|自治区|自治州|自治县|自治旗|街道|社区|省|市|区|县|旗|镇|乡|村|屯"
_ROAD = "大街|大道|胡同|路|街|巷|道"
_ESTATE = "小区|新村|家园|花园|公寓|大厦|花苑|公馆|苑"
_NUMBERED = r"号楼|号院|栋|幢|座|单元|层|楼|室|户|号|弄|组"
_PART_FIRST = "".join(sorted({w[0] for w in f"{_ADMIN}|{_ROAD}|{_ESTATE}".split("|")}))
_PART = re.compile(
    rf"(?=[\d{_PART_FIRST}])(?:(?P<num>\d+(?:[-之]\d+)?\s?(?:{_NUMBERED}))"
    # a crossing: 珞喻路与鲁磨路交叉口
    rf"|(?P<cross>(?:{_ROAD})(?:与|和|交)[\u4e00-\u9fff]{{1,6}}?(?:{_ROAD})"
    r"(?:交叉口|交叉路口|十字路口|路口|交汇处|交界处))"
    rf"|(?P<road>(?:{_ROAD})(?:[一二三四五六七八九十\d]{{1,3}}段)?)(?=\s?\d+(?:[-之]\d+)?\s?[号弄])"
    rf"|(?P<estate>{_ESTATE})"
    # 镇痛/镇静, 区域, 市场, 社区获得性... are not places
    rf"|(?P<admin>{_ADMIN})(?![痛静定吐域场略力获]))"
)
_NAME_LIMIT = 6
# Single-character suffixes need a name of at least two characters ("西湖区", not "病区").
_MIN_NAME = {"admin": 2, "road": 1, "cross": 1, "estate": 2, "num": 0}
# A bare room number after a building part: "2 座 1703", "3 单元 401".
_ROOM = re.compile(r"\s?\d{3,5}(?![\d.\-/])")
_BUILDING_END = ("栋", "幢", "座", "单元", "号楼")
_CUE = re.compile(
    r"(?:家庭住址|家住|住址|现住址|现住|住在|居住在|居住于|居住地|现居住地|现居|联系地址|通讯地址|地址"
    r"|户籍地址|户籍所在地|户口所在地|户籍地|户籍|籍贯|出生地|出生于|老家|暂住|住于|来自|系)"
    r"\s*[:]?\s*"
)
# Cues that also introduce non-places ("来自外院", "系高血压"): a known place must follow.
_WEAK_CUES = ("来自", "系", "出生于", "老家")
_MOVE = re.compile(r"(?:在|去|到|从|赴|回|返回|前往|回到)")
_GENERIC_PLACE = frozenset(
    {"农村", "本地", "当地", "本市", "城市", "城里", "郊区", "乡下", "外地", "附近", "市区"}
)
_POSTCODE = re.compile(r"(?:邮编|邮政编码)\s*[:]?\s*(\d{6})(?!\d)")
_RUN_END = frozenset(",.;:!?()，。；：！？（）、\n\r\t ")


def _places() -> frozenset[str]:
    return word_list("zh_places")


def _ambiguous_places() -> frozenset[str]:
    return word_list("zh_places_ambiguous")


def _place_at(text: str, i: int) -> int:
    """Length of the known place name starting at `i` (longest), 0 when none."""
    places = _places()
    for k in (5, 4, 3, 2):
        if text[i : i + k] in places:
            return k
    return 0


class ZhAddressRecognizer:
    """Addresses: admin-unit chains, roads with numbers, estates, cue + place, postal codes."""

    name = "zh_address"
    languages = _ZH

    def find(self, text: str) -> list[PhiSpan]:
        folded = fold(text)
        cue_ends: set[int] = set()
        strong_ends: set[int] = set()
        for m in _CUE.finditer(folded):
            cue_ends.add(m.end())
            if not m.group().rstrip(": ").endswith(_WEAK_CUES):
                strong_ends.add(m.end())
        out = self._chains(folded, cue_ends, strong_ends)
        out += self._bare_places(folded, cue_ends)
        out += [
            PhiSpan(m.start(1), m.end(1), ADDRESS, 0.85, self.name)
            for m in _POSTCODE.finditer(folded)
        ]
        return out

    def protect(self, text: str) -> list[Protected]:
        return []

    def _chains(self, text: str, cue_ends: set[int], strong_ends: set[int]) -> list[PhiSpan]:
        """Adjacent address parts joined into chains; specific chains become spans."""
        places = _places()
        chains: list[tuple[int, int, int, bool]] = []  # start, end, parts, specific
        for m in _PART.finditer(text):
            kind = m.lastgroup or "num"
            last = chains[-1] if chains else None
            floor = last[1] if last is not None else 0
            if kind == "num":
                start = m.start()
            else:
                start = scan_left(text, m.start(), _NAME_LIMIT, floor, digits=kind != "admin")
                name = text[start : m.start()]
                adjacent = last is not None and start == last[1] and kind != "admin"
                if len(name) < _MIN_NAME[kind] and not adjacent:
                    continue
            specific = kind in ("road", "cross", "estate") or (
                kind == "admin" and text[start : m.start()] in places
            )
            # one character between two parts (a space, or 于 in "赣州市于都县") still joins them
            joined = last is not None and (
                start == last[1]
                or (
                    start == last[1] + 1
                    and (text[last[1]] == " " or (kind == "admin" and is_cjk(text[last[1]])))
                )
            )
            if joined and last is not None:
                chains[-1] = (last[0], m.end(), last[2] + 1, last[3] or specific)
            else:
                chains.append((start, m.end(), 1, specific))
        out = []
        for start, end, parts, specific in chains:
            if text.endswith(_BUILDING_END, start, end):
                room = _ROOM.match(text, end)
                end = room.end() if room else end
            # a cue ending inside the run ("现居杭州市": 居 ends the cue, not the place)
            start = next((k for k in range(start, min(start + 3, end)) if k in cue_ends), start)
            cued = start in cue_ends
            if cued and text[start:end] in _GENERIC_PLACE:
                continue
            if parts >= 2 or specific or cued:
                end = self._extend_cued(text, start, end) if cued else end
                score = 0.85 if (parts >= 2 or cued) else 0.75
                out.append(PhiSpan(start, end, ADDRESS, score, self.name))
        # A cue with no recognised part after it: take the short run that follows ("家住东阳").
        chain_starts = {c[0] for c in chains}
        for cue_end in strong_ends - chain_starts:
            end = cue_end
            while end < len(text) and end - cue_end < 12 and text[end] not in _RUN_END:
                end += 1
            run = text[cue_end:end]
            if 2 <= len(run) <= 8 and run not in _GENERIC_PLACE and all(map(is_cjk, run)):
                out.append(PhiSpan(cue_end, end, ADDRESS, 0.6, self.name))
        return out

    @staticmethod
    def _extend_cued(text: str, start: int, end: int) -> int:
        """After a cue, the address runs on to the next punctuation (at most 40 characters)."""
        stop = end
        while stop < len(text) and stop - start < 40 and text[stop] not in _RUN_END:
            if text[stop] in STOP_LEFT:
                break
            stop += 1
        return stop if any(ch.isdigit() for ch in text[end:stop]) else end

    def _bare_places(self, text: str, cue_ends: set[int]) -> list[PhiSpan]:
        """Known places without a unit after a residence cue or a verb of movement."""
        out = []
        ambiguous = _ambiguous_places()
        move_ends = {m.end() for m in _MOVE.finditer(text)}
        for i in sorted(cue_ends | move_ends):
            k = _place_at(text, i)
            if not k:
                continue
            end = i + k
            # "浙江杭州": a second place right after the first
            k2 = _place_at(text, end)
            end += k2
            if i not in cue_ends and text[i:end] in ambiguous:
                continue
            out.append(PhiSpan(i, end, ADDRESS, 0.7, self.name))
        return out
