"""Realistic, consistent replacements for PHI (the `surrogate` operator).

A replacement is drawn from a random generator seeded with HMAC(secret, patient, type, the
normalised original): the same name in any of a patient's notes gets the same surrogate, and
without the secret nobody can recompute the mapping. Dates move by one per-patient number of
days (`date_offset`), so intervals between a patient's dates survive.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import random
import re

from medsage.privacy import _spans as t
from medsage.privacy._dates import shift_date
from medsage.text._normalize import is_cjk

MAX_SHIFT_DAYS = 365  # dates move back by 1..365 days

# Fictional fillers. English names are drawn from the package name lists when present.
_EN_FIRST = "Alex Jordan Taylor Morgan Casey Riley Jamie Avery Quinn Parker Drew Robin".split()
_EN_LAST = "Miller Carter Bennett Hayes Foster Griffin Russell Porter Sullivan Wallace".split()
_ZH_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
_ZH_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉宁欣悦晨浩宇"
_EN_STREETS = "Maple Oak Cedar Elm Pine Lake Hill Park River Willow".split()
_EN_STREET_KINDS = "Street Avenue Road Lane Drive Court".split()
_EN_TOWNS = "Fairview Riverton Greenfield Milford Oakdale Lakewood Brookside Ashford".split()
_ZH_PROVINCES = "江苏省 浙江省 山东省 河南省 四川省 湖北省 湖南省 福建省".split()
_ZH_CITIES = "青山市 白河市 临江市 安平市 东阳市 南溪市 北川市 西岭市".split()
_ZH_DISTRICTS = "新华区 和平区 建设区 长安区 城南区 城北区".split()
_ZH_ROADS = "人民路 解放路 建设路 中山路 文化路 学府路 光明街 幸福街".split()
_ZH_FACILITY_KINDS = (
    "社区卫生服务中心", "妇幼保健院", "人民医院", "中医院", "卫生院", "诊所", "医院",
)  # fmt: skip
_EN_FACILITY_KINDS = (
    "Medical Center", "Nursing Home", "Hospital", "Clinic", "Rehab", "Health Center",
)  # fmt: skip
_ID_CARD_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CARD_CHECK = "10X98765432"
_ZH_AGE = re.compile(r"[一二三四五六七八九十百零〇]+岁")


def keyed_rng(secret: bytes, *parts: str) -> random.Random:
    """A generator seeded by HMAC-SHA256(secret, parts): same inputs, same draws."""
    digest = hmac.new(secret, "\x1f".join(parts).encode("utf-8"), hashlib.sha256).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def date_offset(secret: bytes, patient: str) -> int:
    """Days (negative, -365..-1) that every date of `patient` moves by."""
    return -(keyed_rng(secret, "date-offset", patient).randrange(MAX_SHIFT_DAYS) + 1)


def surrogate(phi_type: str, original: str, secret: bytes, patient: str) -> str:
    """A realistic stand-in for `original` of PHI type `phi_type`."""
    if phi_type == t.DATE:
        return shift_date(original, date_offset(secret, patient)) or _date_fallback(original)
    key = re.sub(r"\s+", " ", original.strip().casefold())
    rng = keyed_rng(secret, patient, phi_type, key)
    zh = any(is_cjk(ch) for ch in original)
    maker = _MAKERS.get(phi_type, _reshape)
    return maker(original, rng, zh)


def _date_fallback(original: str) -> str:
    return "[DATE]"


def _reshape(original: str, rng: random.Random, zh: bool = False) -> str:
    """Same shape: each digit becomes a digit, each letter a letter of the same case."""
    out = []
    for ch in original:
        if ch.isdigit() and ch.isascii():
            out.append(str(rng.randrange(10)))
        elif ch.isascii() and ch.isalpha():
            letter = chr(ord("a") + rng.randrange(26))
            out.append(letter.upper() if ch.isupper() else letter)
        else:
            out.append(ch)
    return "".join(out)


def _name(original: str, rng: random.Random, zh: bool) -> str:
    if zh:
        given = "".join(rng.choice(_ZH_GIVEN) for _ in range(max(1, min(2, len(original) - 1))))
        return rng.choice(_ZH_SURNAMES) + (given if len(original) > 1 else "")
    words = original.split()
    first, last = _en_names()
    out = []
    for i, word in enumerate(words):
        letters = word.rstrip(".")
        if len(letters) == 1:  # an initial
            new = chr(ord("A") + rng.randrange(26)) + word[1:]
        else:
            pool = last if i == len(words) - 1 else first
            new = rng.choice(pool)
        out.append(_same_case(word, new))
    return " ".join(out)


@functools.cache
def _en_names() -> tuple[list[str], list[str]]:
    """First and last names to draw from: the package lists, else a short built-in list."""
    try:
        first = sorted(w.capitalize() for w in t.word_list("en_first_names"))
        last = sorted(w.capitalize() for w in t.word_list("en_last_names"))
    except FileNotFoundError:
        return _EN_FIRST, _EN_LAST
    return first or _EN_FIRST, last or _EN_LAST


def _same_case(template: str, word: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template.islower():
        return word.lower()
    return word


def _age(original: str, rng: random.Random, zh: bool) -> str:
    # HIPAA Safe Harbor: ages over 89 are aggregated into one category, "90 or older".
    if zh:
        return "90岁以上" if ("岁" in original or _ZH_AGE.search(original)) else "90以上"
    return re.sub(r"\d+", "90+", original, count=1) if re.search(r"\d", original) else "90+"


def _address(original: str, rng: random.Random, zh: bool) -> str:
    if zh:
        if original.isdigit():  # a postal code
            return _reshape(original, rng)
        return (
            rng.choice(_ZH_PROVINCES) + rng.choice(_ZH_CITIES) + rng.choice(_ZH_DISTRICTS)
            + rng.choice(_ZH_ROADS) + f"{rng.randrange(1, 300)}号"
        )  # fmt: skip
    if re.fullmatch(r"\d{5}(-\d{4})?", original.strip()):
        return _reshape(original, rng)
    if re.match(r"\d", original):
        street = f"{rng.randrange(1, 999)} {rng.choice(_EN_STREETS)} {rng.choice(_EN_STREET_KINDS)}"
        return _same_case(original, street)
    return _same_case(original, rng.choice(_EN_TOWNS))


def _facility(original: str, rng: random.Random, zh: bool) -> str:
    if zh:
        kind = next((k for k in _ZH_FACILITY_KINDS if original.endswith(k)), "医院")
        return rng.choice(_ZH_CITIES) + ("第一" if kind == "人民医院" else "") + kind
    low = original.lower()
    kind = next((k for k in _EN_FACILITY_KINDS if low.endswith(k.lower())), "")
    name = rng.choice(_EN_TOWNS) + (f" {kind}" if kind else "")
    return _same_case(original, name)


def _phone(original: str, rng: random.Random, zh: bool) -> str:
    new = _reshape(original, rng)
    digits = re.sub(r"\D", "", original)
    if len(digits) == 11 and digits.startswith("1"):  # a Chinese mobile: keep 1 + 3..9
        first = original.index("1")
        new = new[:first] + "1" + str(rng.randrange(3, 10)) + new[first + 2 :]
    return new


def _national_id(original: str, rng: random.Random, zh: bool) -> str:
    body = original.strip()
    if re.fullmatch(r"\d{17}[\dXx]", body):  # 身份证: keep a valid birth date and checksum
        digits = f"{rng.randrange(110000, 659999)}{rng.randrange(1940, 2020)}"
        digits += f"{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(1000):03d}"
        total = sum(int(d) * w for d, w in zip(digits, _ID_CARD_WEIGHTS, strict=True))
        return digits + _ID_CARD_CHECK[total % 11]
    if re.fullmatch(r"\d{3}-?\d{2}-?\d{4}", body):  # SSN: area 9xx is never issued
        new = _reshape(body, rng)
        return "9" + new[1:]
    return _reshape(original, rng)


def _email(original: str, rng: random.Random, zh: bool) -> str:
    return f"user{rng.randrange(10000, 99999)}@example.org"


def _url(original: str, rng: random.Random, zh: bool) -> str:
    return f"https://example.org/{rng.randrange(16**6):06x}"


def _ip(original: str, rng: random.Random, zh: bool) -> str:
    if ":" in original:  # IPv6 documentation prefix (RFC 3849)
        return f"2001:db8::{rng.randrange(16**4):x}"
    return f"192.0.2.{rng.randrange(1, 255)}"  # TEST-NET-1 (RFC 5737)


def _vehicle(original: str, rng: random.Random, zh: bool) -> str:
    if zh and original and is_cjk(original[0]):
        return rng.choice("京沪浙苏粤川鲁豫") + _reshape(original[1:], rng)
    return _reshape(original, rng)


_MAKERS = {
    t.NAME: _name,
    t.AGE: _age,
    t.ADDRESS: _address,
    t.FACILITY: _facility,
    t.PHONE: _phone,
    t.NATIONAL_ID: _national_id,
    t.EMAIL: _email,
    t.URL: _url,
    t.IP_ADDRESS: _ip,
    t.VEHICLE: _vehicle,
}
