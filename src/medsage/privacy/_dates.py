"""Parse a date found as PHI, shift it by whole days, and write it back in the same format.

Used by the `surrogate` operator so that intervals between a patient's dates survive
de-identification (all of a patient's dates move by the same number of days).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_MONTH_NUMBER = {m[:3]: i + 1 for i, m in enumerate(_MONTHS)} | {"sept": 9}
_ZH_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "O": 0}
_REFERENCE_YEAR = 2000  # a leap year, so "2/29" without a year is a valid day

Formatter = Callable[[dt.date], str]

_NUM = r"(\d{1,2})"
_YEAR = r"(\d{4}|'?\d{2})"
_MON = r"([A-Za-z]{3,9})\.?"


def _year(raw: str) -> int:
    raw = raw.lstrip("'")
    value = int(raw)
    if len(raw) == 2:  # two-digit years: 00-29 -> 2000s, else 1900s
        value += 2000 if value < 30 else 1900
    return value


def _fmt_year(template: str, year: int) -> str:
    if template.startswith("'"):
        return f"'{year % 100:02d}"
    return f"{year % 100:02d}" if len(template) == 2 else f"{year:04d}"


def _fmt_month_name(template: str, month: int) -> str:
    name = _MONTHS[month - 1]
    if len(template) <= 4 and template.lower() not in ("june", "july"):
        name = "sept" if template.lower() == "sept" and month == 9 else name[:3]
    if template.isupper():
        return name.upper()
    if template[0].isupper():
        return name.capitalize()
    return name


def _zh_number(raw: str) -> str:
    return "".join(str(_ZH_DIGITS[c]) if c in _ZH_DIGITS else c for c in raw)


def _zh_write(template: str, value: int, width: int) -> str:
    """Write `value` in the style of `template` (Arabic digits or 〇一二... characters)."""
    if any(c in _ZH_DIGITS for c in template):
        if width == 4:
            return "".join("〇一二三四五六七八九"[int(d)] for d in f"{value:04d}")
        tens, ones = divmod(value, 10)
        return (
            "" if tens == 0 else ("十" if tens == 1 else "〇一二三四五六七八九"[tens] + "十")
        ) + ("〇一二三四五六七八九"[ones] if ones else "")
    return f"{value:04d}" if width == 4 else _two(value, _pad(template))


def _zh_small(raw: str) -> int:
    """一 .. 三十一 or Arabic digits."""
    if raw.isdigit():
        return int(raw)
    if "十" in raw:
        tens, _, ones = raw.partition("十")
        return (_ZH_DIGITS[tens] if tens else 1) * 10 + (_ZH_DIGITS[ones] if ones else 0)
    return _ZH_DIGITS[raw]


_ZH_SMALL = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_ZH_YEAR = r"(\d{4}|[〇一二三四五六七八九零○]{4})"


def shift_date(text: str, days: int) -> str | None:
    """`text` (a whole date) moved by `days`, in its own format; None when not understood.

    >>> shift_date("7/22/93", -10)
    '7/12/93'
    >>> shift_date("2026年3月5日", 30)
    '2026年4月4日'
    >>> shift_date("Jul 22, 2023", 10)
    'Aug 1, 2023'
    """
    s = text.strip()
    for pattern, handler in _PATTERNS:
        m = pattern.fullmatch(s)
        if m is None:
            continue
        try:
            return handler(m, days)
        except (ValueError, KeyError, OverflowError):
            return None
    return None


def _shift(year: int, month: int, day: int, days: int) -> dt.date:
    return dt.date(year, month, day) + dt.timedelta(days=days)


def _pad(*fields: str) -> bool:
    """Zero-padded style: some two-digit field starts with 0 (07/22, 2026-03-15)."""
    return any(len(f) == 2 and f.startswith("0") for f in fields)


def _two(value: int, pad: bool) -> str:
    return f"{value:02d}" if pad else str(value)


def _mdy(m: re.Match[str], days: int) -> str:
    mo, sep, d, y = m.group(1), m.group(2), m.group(3), m.group(4)
    pad = _pad(mo, d)
    new = _shift(_year(y) if y else _REFERENCE_YEAR, int(mo), int(d), days)
    out = f"{_two(new.month, pad)}{sep}{_two(new.day, pad)}"
    return out + (f"{sep}{_fmt_year(y, new.year)}" if y else "")


def _ymd(m: re.Match[str], days: int) -> str:
    y, sep, mo, d = m.group(1), m.group(2), m.group(3), m.group(4)
    pad = _pad(mo, d)
    new = _shift(int(y), int(mo), int(d), days)
    return f"{new.year:04d}{sep}{_two(new.month, pad)}{sep}{_two(new.day, pad)}"


def _month_day_year(m: re.Match[str], days: int) -> str:
    mon, d, y = m["mon"], m["day"], m["year"]
    new = _shift(_year(y) if y else _REFERENCE_YEAR, _month(mon), int(d), days)
    day = _two(new.day, _pad(d)) + (_ordinal(new.day) if m["suffix"] else "")
    out = f"{_fmt_month_name(mon, new.month)}{m['dot'] or ''} {day}"
    return out + (f"{m['comma']} {_fmt_year(y, new.year)}" if y else "")


def _day_month_year(m: re.Match[str], days: int) -> str:
    d, sep, mon, sep2, y = m["day"], m["sep"], m["mon"], m["sep2"], m["year"]
    new = _shift(_year(y) if y else _REFERENCE_YEAR, _month(mon), int(d), days)
    out = f"{_two(new.day, _pad(d))}{sep}{_fmt_month_name(mon, new.month)}"
    return out + (f"{sep2}{_fmt_year(y, new.year)}" if y else "")


def _month_year(m: re.Match[str], days: int) -> str:
    mon, comma, y = m.group(1), m.group(2), m.group(3)
    new = _shift(_year(y), _month(mon), 15, days)
    return f"{_fmt_month_name(mon, new.month)}{comma} {_fmt_year(y, new.year)}"


def _year_only(m: re.Match[str], days: int) -> str:
    y = m.group(1)
    return _fmt_year(y, _shift(_year(y), 7, 1, days).year)


def _zh_full(m: re.Match[str], days: int) -> str:
    y, mo, d, tail = m.group(1), m.group(2), m.group(3), m.group(4)
    year = int(_zh_number(y)) if y else _REFERENCE_YEAR
    new = _shift(year, _zh_small(mo), _zh_small(d), days)
    out = f"{_zh_write(y, new.year, 4)}年" if y else ""
    return out + f"{_zh_write(mo, new.month, 2)}月{_zh_write(d, new.day, 2)}{tail}"


def _zh_month(m: re.Match[str], days: int) -> str:
    y, mo = m.group(1), m.group(2)
    new = _shift(int(_zh_number(y)), _zh_small(mo), 15, days)
    return f"{_zh_write(y, new.year, 4)}年{_zh_write(mo, new.month, 2)}月"


def _month(name: str) -> int:
    """Month number of an English month name or abbreviation (KeyError when not one)."""
    low = name.lower()
    if not any(m.startswith(low) for m in _MONTHS) and low != "sept":
        raise KeyError(name)
    return _MONTH_NUMBER[low[:3]]


def _ordinal(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str], int], str]]] = [
    (re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})"), _ymd),
    (re.compile(rf"{_NUM}([/.-]){_NUM}(?:\2{_YEAR})?"), _mdy),
    (
        re.compile(
            r"(?P<mon>[A-Za-z]{3,9})(?P<dot>\.)? ?(?P<day>\d{1,2})(?P<suffix>st|nd|rd|th)?"
            r"(?:(?P<comma>,?) (?P<year>\d{4}|'?\d{2}))?",
            re.I,
        ),
        _month_day_year,
    ),
    (
        re.compile(
            r"(?P<day>\d{1,2})(?P<sep>[ -])(?P<mon>[A-Za-z]{3,9})\.?"
            r"(?:(?P<sep2>[ ,-]+)(?P<year>\d{4}|'?\d{2}))?",
            re.I,
        ),
        _day_month_year,
    ),
    (re.compile(rf"{_MON}(,?) {_YEAR}", re.I), _month_year),
    (re.compile(r"(\d{4}|'\d{2})"), _year_only),
    (re.compile(rf"(?:{_ZH_YEAR}年)?{_ZH_SMALL}月{_ZH_SMALL}(日|号)"), _zh_full),
    (re.compile(rf"{_ZH_YEAR}年{_ZH_SMALL}月"), _zh_month),
]
