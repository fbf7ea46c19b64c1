"""English date and age recognizers.

Dates: 7/22, 10/6/93, 4-21-17, 2023-07-22, July 22, Jul 22nd 2023, 22-Jul-2023, "the 11th",
month names used as dates ("in Sept."), years after "in"/"since" or a past-history item (1992,
'92). Not dates: ratios and measurements (BP 120/80, 5/5 strength, 2/6 murmur, 10/10 pain, 1/2
NS), times (2130, 10:30) and durations. Ages: over 89 only (HIPAA Safe Harbor, 45 CFR
164.514(b)(2)(i)(C)).
"""

from __future__ import annotations

import re

from medsage.privacy._en_tokens import tokenize
from medsage.privacy._spans import AGE, DATE, PhiSpan, Protected

_LANGUAGES = frozenset({"en"})

_MONTH_NAMES = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_MONTH = rf"(?:{_MONTH_NAMES})"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_ORD = r"(?:st|nd|rd|th)"
_YEAR = r"(?:(?:19|20)\d{2}|'\d{2})"

# Numbers followed by these are measurements, ratios or doses, not dates.
_NOT_DATE_AFTER = re.compile(
    r"[ \t]*(?:strength|str\b|motor|power|grip|pain|murmur|sem\b|hsm\b|scale|of\b|ns\b|nss\b"
    r"|normal|mmhg|mg\b|mcg|ml\b|cc\b|l\b|lpm|%|units?\b|u\b|tabs?\b|pulses?|reflexes|dtr"
    r"|sec\b|cm\b|mm\b|inch|sys|dia|x\b|times|ratio|strenght|lb|kg|g\b|beats|breaths|bpm"
    r"|h\b|hr|hrs|hour|min|day|days|wk|week|weeks|mo\b|month|doses?|amp|vial|bag|tab|up\b"
    r"|peep|fio2|/\d)",
    re.IGNORECASE,
)
# ... and preceded by these.
_NOT_DATE_BEFORE = re.compile(
    r"\b(?:bp|b/p|abp|nbp|art|a-line|cuff|pap|pa|pas|strength|str|apgars?|grade|gr|murmur|pain"
    r"|i:e|ie|ratio|score|gcs|motor|power|sats?|vent|abg|x|rass|cam|bs|le|ue|rle|lle|rue|lue"
    r"|ext|extremities|of|scale|sbp|map|cvp|pad|ci|co|hr|psv|ps|cpap|bipap|simv|imv|a/c|peep"
    r"|settings?|flowby|trial|d5|d5w|rales|crackles|ipap|epap|vent|prvc|cmv)[ \t:=]*\Z",
    re.IGNORECASE,
)
# Ventilator settings near a bare "10/5" make it pressure support over PEEP, not a date.
_VENT_WINDOW = re.compile(r"peep|psv|\bps\b|cpap|bipap|fio2|\bvent|settings|\bwean|%|\btv\b", re.I)
# A bare "m-d" (no year) is a date only after these ("on 7-8"), since "3-4" is usually a range.
_DASH_DATE_CUE = re.compile(
    r"(?:on|dated|since|until|from|date|d/c|dc|admitted|adm)[ \t:]*\Z", re.I
)

_ISO = re.compile(r"(?<![\d/-])(?:19|20)\d{2}-(?:0?[1-9]|1[0-2])-" + _DAY + r"(?![\d/-])")
_ISO_HINT = re.compile(r"\d{4}-\d")
_NUMERIC = re.compile(
    r"(?<![\d/.:])(?<!\d-)(?<!\dx)(?P<m>0?[1-9]|1[0-2])(?P<sep>[/-])(?P<d>" + _DAY + r")"
    r"(?:(?P=sep)(?P<y>(?:19|20)\d{2}|\d{2})(?![\d]))?(?![\d]|/\d{3}|\.\d|:\d|-\d)"
)
_MONTH_YEAR_NUMERIC = re.compile(r"(?<![\d/.:-])(?:0?[1-9]|1[0-2])/(?:19|20)?\d{2}(?![\d/]|\.\d)")
# Month words are found by a word scan, then these are matched at (or just before) them.
_MONTH_WORDS = frozenset(
    """jan january feb february mar march apr april may jun june jul july aug august sep sept
    september oct october nov november dec december""".split()
)
_MONTH_FORWARD = re.compile(
    rf"{_MONTH}\.?[ \t]+{_DAY}{_ORD}?\b(?:,?[ \t]*{_YEAR}\b)?"
    rf"|{_MONTH}\.?,?[ \t]+(?:of[ \t]+)?{_YEAR}\b",
    re.IGNORECASE,
)
_DAY_BEFORE_MONTH = re.compile(rf"\b{_DAY}{_ORD}?(?:[ \t]+|-|[ \t]+of[ \t]+)\Z", re.IGNORECASE)
_YEAR_AFTER_MONTH = re.compile(rf"\.?(?:(?:,?[ \t]*|-){_YEAR}\b)?", re.IGNORECASE)
# A month name alone is a date in "in Sept.", "since March", "1->2 Nov, 96".
_MONTH_ALONE_CUE = re.compile(
    r"(?:\b(?:in|since|of|during|until|till|last|early|late|mid)[ \t]+|->\d?[ \t]*|\d[ \t]*)\Z",
    re.IGNORECASE,
)
_ORDINAL_HINT = re.compile(r"\d(?:st|nd|rd|th)\b", re.IGNORECASE)
_ORDINAL_DAY = re.compile(
    rf"\bthe[ \t]+(?P<day>{_DAY}{_ORD})\b(?![ \t]*(?:degree|time|day|dose|unit|round"
    rf"|set|bag|attempt|try|episode|floor|line|shift|of\b|and\b|step|ventricle|intercostal|ics"
    rf"|toe|finger|digit|rib|cranial|nerve|heart|sound|trimester|grade|week|hour|month|year))",
    re.IGNORECASE,
)
# Years: "in 1992", "since '92", "'92", "MI 1992", "CABG 81", "1980s".
_APOSTROPHE_YEAR = re.compile(
    r"(?<![\w'])'(?P<y>\d{2})(?![\d'%])|(?<![\w.])(?P<y2>\d{2})'(?![\w'])"
)
_YEAR_CUE = (
    r"in|since|year|yr|dx|dx'd|diagnosed|circa|is|mi|cabg"
    r"|cabgx\d|cva|ptca|pci|avr|mvr|redo|stent|stents|stented|ppm|aicd|tah|bso|chole"
    r"|cholecystectomy|appy|appendectomy|nephrectomy|mastectomy|lumpectomy|ablation|tia"
    r"|dvt|pe|chemo|xrt|surgery|repair|replacement|cath|angioplasty|pacer|pacemaker|hx"
    r"|hysterectomy|thr|tkr|orif|fx|fracture|amputation|transplant|ca|cancer|lap|turp"
)
_CUE_BEFORE = re.compile(
    rf"\b(?:{_YEAR_CUE})(?:[ \t]*x[ \t]*\d)?[ \t,:]+(?:in[ \t]+)?'?\Z", re.IGNORECASE
)
_FOUR_DIGIT_YEAR = re.compile(
    r"(?<![\d.:/-])(?P<y>(?:19[2-9]\d|20[0-2]\d)(?:'?s)?)(?![\d:/%-]|\.\d)",
    re.IGNORECASE,
)
_YEAR_CUE_WORDS = frozenset(_YEAR_CUE.split("|")) - {"in", "since", "is", "year", "yr", "circa"}
_TWO_DIGIT_AFTER_CUE = re.compile(
    r"(?:[ \t]*x[ \t]*\d)?[ \t]+(?:in[ \t]+)?(?P<y>\d{2})(?=[ \t]*(?:[,;)]|\.(?!\d)|and\b|&|$))",
    re.IGNORECASE | re.MULTILINE,
)
_UNIT_AFTER = re.compile(
    r"[ \t]*(?:cc|ml|mg|mcg|units?|u\b|kcal|cal|hrs?|h\b|am|pm|-|:|%|ms|mmhg|meq|gm|g\b|kg)",
    re.IGNORECASE,
)
# Clock times the year rule must leave alone: "at 1900", "@ 2000", "1930-0700".
_TIME_BEFORE = re.compile(r"(?:at|@|by|around|approx|about|since|until|till|to|->|-)[ \t]*\Z", re.I)

_AGE = re.compile(
    r"\b(?P<age>9\d|1[01]\d)[ \t]*(?:-[ \t]*)?(?:y\.?o\b\.?|y/o|yo\b|yr?s?[ \t-]*old|year[s]?"
    r"[ \t-]*old|years?\b|yrs?\b|y\b)"
    r"|\b(?:age|aged)[ \t:]*(?P<age2>9\d|1[01]\d)\b",
    re.IGNORECASE,
)


class EnglishDateRecognizer:
    """Dates in the common English and numeric formats (see the module docstring)."""

    name = "en_date"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        out: list[PhiSpan] = []
        name = self.name
        if _ISO_HINT.search(text):
            for m in _ISO.finditer(text):
                out.append(PhiSpan(m.start(), m.end(), DATE, 0.95, name))
        for m in _NUMERIC.finditer(text):
            score = _numeric_score(text, m)
            if score:
                out.append(PhiSpan(m.start(), m.end(), DATE, score, name))
        for m in _MONTH_YEAR_NUMERIC.finditer(text):
            before = _NOT_DATE_BEFORE.search(text, max(0, m.start() - 12), m.start())
            if not before and not _NOT_DATE_AFTER.match(text, m.end()):
                out.append(PhiSpan(m.start(), m.end(), DATE, 0.6, name))
        out.extend(_month_dates(text, name))
        ordinals = _ORDINAL_DAY.finditer(text) if _ORDINAL_HINT.search(text) else ()
        for m in ordinals:
            out.append(PhiSpan(m.start("day"), m.end("day"), DATE, 0.6, name))
        out.extend(_years(text, name))
        return out

    def protect(self, text: str) -> list[Protected]:
        return []


def _month_dates(text: str, name: str) -> list[PhiSpan]:
    out: list[PhiSpan] = []
    tokens = tokenize(text)
    for i in [i for i, w in enumerate(tokens.low) if w in _MONTH_WORDS]:
        start, end = tokens.starts[i], tokens.ends[i]
        month = tokens.low[i]
        forward = _MONTH_FORWARD.match(text, start)
        before = _DAY_BEFORE_MONTH.search(text, max(0, start - 12), start)
        if forward and not (month == "may" and _NOT_DATE_AFTER.match(text, forward.end())):
            out.append(PhiSpan(start, forward.end(), DATE, 0.85, name))
        elif before and month != "may":
            after = _YEAR_AFTER_MONTH.match(text, end)
            stop = after.end() if after else end
            out.append(PhiSpan(before.start(), stop, DATE, 0.85, name))
        elif _MONTH_ALONE_CUE.search(text, max(0, start - 12), start):
            dotted = text.startswith(".", end)
            # "may", "mar", ... alone are words unless written "Mar." or followed by a year
            ambiguous = month in ("may", "mar", "jan", "jun", "dec", "sep", "oct") and not dotted
            if ambiguous and (month == "may" or not text[end:].lstrip().startswith((",", "'"))):
                continue
            out.append(PhiSpan(start, end + dotted, DATE, 0.7, name))
    return out


def _numeric_score(text: str, m: re.Match[str]) -> float:
    if re.match(r"[ \t]*%", text[m.end() : m.end() + 3]):
        return 0.0  # "12/5/40%": rate, PEEP and FiO2
    if m.group("y"):
        return 0.9
    if _NOT_DATE_AFTER.match(text, m.end()):
        return 0.0
    month, day = int(m.group("m")), int(m.group("d"))
    if month < day <= 4:
        return 0.0  # 1/2, 1/3, 2/3, 3/4: fractions
    if day == 5 and _VENT_WINDOW.search(text, max(0, m.start() - 25), m.end() + 25):
        return 0.0
    if _NOT_DATE_BEFORE.search(text, max(0, m.start() - 14), m.start()):
        return 0.0
    if m.group("sep") == "-":
        return 0.75 if _DASH_DATE_CUE.search(text, max(0, m.start() - 12), m.start()) else 0.0
    if m.group("d") == "10" and re.search(r"pain|/10", text[max(0, m.start() - 20) : m.end() + 12]):
        return 0.0
    return 0.75


def _years(text: str, name: str) -> list[PhiSpan]:
    out: list[PhiSpan] = []
    for m in _APOSTROPHE_YEAR.finditer(text) if "'" in text else ():
        group = "y" if m.group("y") else "y2"
        if group == "y2" and not _CUE_BEFORE.search(text, max(0, m.start() - 24), m.start()):
            continue  # "HOB 30'" is degrees, "x 30'" minutes; "CVA 74'" is a year
        out.append(PhiSpan(m.start(group), m.end(group), DATE, 0.75, name))
    for m in _FOUR_DIGIT_YEAR.finditer(text):
        year = m.group("y")
        if _UNIT_AFTER.match(text, m.end()):
            continue
        digits = int(year[:4])
        clock_like = digits % 100 < 60 and digits <= 2359
        cue = _CUE_BEFORE.search(text, max(0, m.start() - 24), m.start())
        if cue is None and (
            clock_like or _TIME_BEFORE.search(text, max(0, m.start() - 10), m.start())
        ):
            continue
        out.append(PhiSpan(m.start("y"), m.end("y"), DATE, 0.7, name))
    tokens = tokenize(text)
    for i in [i for i, w in enumerate(tokens.low) if w in _YEAR_CUE_WORDS]:
        after = _TWO_DIGIT_AFTER_CUE.match(text, tokens.ends[i])
        if after:
            out.append(PhiSpan(after.start("y"), after.end("y"), DATE, 0.6, name))
    return out


class AgeOver89Recognizer:
    """Ages of 90 and over ("92 yo", "age 95"); younger ages are not PHI."""

    name = "en_age_over_89"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        out = []
        for m in _AGE.finditer(text):
            group = "age" if m.group("age") else "age2"
            out.append(PhiSpan(m.start(group), m.end(group), AGE, 0.9, self.name))
        return out

    def protect(self, text: str) -> list[Protected]:
        return []
