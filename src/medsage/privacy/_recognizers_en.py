"""English recognizers: names, dates, ages over 89, phone and fax, SSN, record numbers,
addresses, ZIP codes, facilities, vehicle plates; and the clinical look-alikes they must leave
alone (eponyms such as "Parkinson disease", Apgar scores, measurements such as "BP 120/80").

Names and places live in `_recognizers_en_names` / `_recognizers_en_places`, dates and ages in
`_recognizers_en_dates`; this module holds the number-shaped PHI and gathers `RECOGNIZERS`.
"""

from __future__ import annotations

import re

from medsage.privacy._en_tokens import tokenize
from medsage.privacy._recognizers_en_dates import AgeOver89Recognizer, EnglishDateRecognizer
from medsage.privacy._recognizers_en_names import NAME_RECOGNIZERS
from medsage.privacy._recognizers_en_places import PLACE_RECOGNIZERS
from medsage.privacy._spans import (
    ADDRESS,
    NATIONAL_ID,
    PHONE,
    RECORD_ID,
    VEHICLE,
    PhiSpan,
    Protected,
    Recognizer,
    spans_from_matches,
)

_LANGUAGES = frozenset({"en"})

# North American numbers: (410) 555-1234, 410-555-1234, 410 555 1234, +1 410.555.1234.
_PHONE = re.compile(
    r"(?<![\d/.])(?<!\d-)(?:\+?1[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]{0,2}\d{3}[ .-]\d{4}(?![\d/]|\.\d)"
)
# "(301 273 45166)": three groups in parentheses, however split.
_PHONE_GROUPED = re.compile(r"(?<=\()\d{3}[ .-]\d{3}[ .-]\d{4,5}(?=\))")
# Short numbers after a phone word: pager 54321, ext 4-1234, cell# 555-1234.
_PHONE_HINT = re.compile(r"\d{3}[ .-]\d{4}")
_PHONE_CUES = frozenset(
    """pager pgr pg beeper bpr beep ext extension tel telephone phone ph cell cellphone mobile
    fax home work office call contact""".split()
)
_PHONE_CONTEXT = re.compile(
    r"(?:pager|pgr|pg|beeper|bpr|beep|ext|extension|tel|telephone|phone|ph|cell|cellphone"
    r"|mobile|fax|home|work|office|call|contact)\b[ \t]*(?:(?:[:#=]|no\.?|number|num)[ \t]*){0,3}"
    r"(?P<n>\d{3}[ .-]\d{4}|\d-?\d{4}|\d{5})(?![\d/:]|\.\d|[ \t]*(?:mg|ml|cc|units?|%|am|pm))",
    re.IGNORECASE,
)
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_SSN_HINT = re.compile(r"\d-\d\d-\d")
_SSN_CUES = frozenset({"ssn", "ss", "social"})
_SSN_CONTEXT = re.compile(
    r"(?:ssn|ss#|ss[ \t]*no|social[ \t]+security(?:[ \t]+(?:number|no|#))?)[ \t.:#]*"
    r"(?P<n>\d{3}[ -]?\d{2}[ -]?\d{4})\b",
    re.IGNORECASE,
)
# Record numbers are only found next to a word that says what they are.
_RECORD_CUES = frozenset(
    """mrn mr medical record unit acct account member subscriber policy insurance medicaid
    medicare license licence lic dea npi ref reference confirmation claim case patient pt id
    hospital""".split()
)
_RECORD = re.compile(
    r"(?:mrn|mr[ \t]*#|medical[ \t]+record(?:[ \t]+(?:number|no|num))?|record[ \t]*(?:#|no"
    r"|number)|unit[ \t]*(?:#|no|number)|acct|account(?:[ \t]+(?:number|no))?|member"
    r"(?:[ \t]+id)?|subscriber(?:[ \t]+id)?|policy|insurance(?:[ \t]+id)?|medicaid|medicare"
    r"|licen[cs]e|lic|dea|npi|ref|reference|confirmation|claim|case[ \t]+(?:#|no|number)"
    r"|patient[ \t]+id|pt[ \t]+id|id[ \t]*#|hospital[ \t]+(?:#|no|number))"
    r"[ \t.]*(?:#|no\.?|number|num)?[ \t]*[:#=]?[ \t]*"
    r"(?P<n>(?=[A-Za-z0-9-]*\d)[A-Za-z]{0,3}-?\d[A-Za-z0-9-]{2,})",
    re.IGNORECASE,
)
_STATE_ABBREVIATIONS = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ"
    " NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR"
)
_STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia"
    "|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts"
    "|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey"
    "|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania"
    "|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington"
    "|West Virginia|Wisconsin|Wyoming|Puerto Rico"
)
_ZIP = re.compile(
    rf"(?:\b(?:{'|'.join(_STATE_ABBREVIATIONS.split())})\.?,?|\b(?:{_STATE_NAMES}),?"
    r"|\bzip(?:[ \t]*code)?[ \t:#]*)[ \t]+(?P<n>\d{5}(?:-\d{4})?)\b"
)
_STREET_SUFFIX = (
    r"St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Drive|Dr|Ln|Lane|Ct|Court|Way|Pl|Place|Ter"
    r"|Terrace|Pkwy|Parkway|Hwy|Highway|Cir|Circle|Sq|Square|Pike|Trail|Row"
)
# "19 Clover St.", "1200 N. Charles Street", "12 OAK RD": a house number, capitalised words
# and a street suffix (capitals keep "2 units PRBC" or "3 mg po" out).
_STREET = re.compile(
    r"\b\d{1,5}[A-Za-z]?[ \t]+(?:[NSEW]\.?[ \t]+)?(?:[A-Z][A-Za-z'-]+[ \t]+){1,3}"
    rf"(?:{_STREET_SUFFIX}|{_STREET_SUFFIX.upper()})\b\.?"
    r"(?:,?[ \t]*(?:apt|apartment|unit|suite|ste|#)\.?[ \t]*#?[ \t]*\w+)?"
)
_STREET_SUFFIXES = frozenset(_STREET_SUFFIX.split("|")) | frozenset(
    _STREET_SUFFIX.upper().split("|")
)
_ZIP_CUES = (
    frozenset(_STATE_ABBREVIATIONS.split())
    | frozenset(w for name in _STATE_NAMES.split("|") for w in name.split()[-1:])
    | {"zip", "Zip", "ZIP"}
)
_PO_BOX = re.compile(r"\bP\.?[ \t]?O\.?[ \t]+Box[ \t]+\d+\b", re.IGNORECASE)
_PLATE_CUES = frozenset("license licence plate tag registration".split())
_PLATE = re.compile(
    r"(?:licen[cs]e[ \t]+plate|plate|tag|registration)(?:[ \t]+(?:number|no|#))?[ \t.:#]*"
    r"(?P<n>(?=[A-Z0-9 -]*\d)[A-Z0-9]{2,4}[ -]?[A-Z0-9]{2,4})\b",
    re.IGNORECASE,
)


def _anchored(text: str, cues: frozenset[str], pattern: re.Pattern[str]) -> list[re.Match[str]]:
    """Matches of `pattern` that start at a cue word (a word scan, then anchored matches)."""
    tokens = tokenize(text)
    found = (pattern.match(text, tokens.starts[i]) for i, w in enumerate(tokens.low) if w in cues)
    return [m for m in found if m is not None]


class PhoneRecognizer:
    """Phone, fax and pager numbers."""

    name = "en_phone"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        out: list[PhiSpan] = []
        if _PHONE_HINT.search(text):
            out += spans_from_matches(_PHONE.finditer(text), PHONE, 0.85, self.name)
            out += spans_from_matches(_PHONE_GROUPED.finditer(text), PHONE, 0.85, self.name)
        context = _anchored(text, _PHONE_CUES, _PHONE_CONTEXT)
        out += spans_from_matches(context, PHONE, 0.8, self.name, 1)
        return out

    def protect(self, text: str) -> list[Protected]:
        return []


class SsnRecognizer:
    """US Social Security numbers (valid area and group numbers, or next to "SSN")."""

    name = "en_ssn"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        out: list[PhiSpan] = []
        if _SSN_HINT.search(text):
            out += spans_from_matches(_SSN.finditer(text), NATIONAL_ID, 0.9, self.name)
        context = _anchored(text, _SSN_CUES, _SSN_CONTEXT)
        out += spans_from_matches(context, NATIONAL_ID, 0.95, self.name, 1)
        return out

    def protect(self, text: str) -> list[Protected]:
        return []


class RecordNumberRecognizer:
    """Medical record, account, member, policy and licence numbers, by the word before them."""

    name = "en_record_number"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        return spans_from_matches(
            _anchored(text, _RECORD_CUES, _RECORD), RECORD_ID, 0.85, self.name, 1
        )

    def protect(self, text: str) -> list[Protected]:
        return []


class StreetAddressRecognizer:
    """Street addresses, PO boxes and ZIP codes (after a state or "zip")."""

    name = "en_address"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        words = tokenize(text).vocabulary
        out: list[PhiSpan] = []
        if not words.isdisjoint(_STREET_SUFFIXES):
            out += spans_from_matches(_STREET.finditer(text), ADDRESS, 0.85, self.name)
        if not words.isdisjoint(("Box", "box", "BOX")):
            out += spans_from_matches(_PO_BOX.finditer(text), ADDRESS, 0.85, self.name)
        if not words.isdisjoint(_ZIP_CUES):
            out += spans_from_matches(_ZIP.finditer(text), ADDRESS, 0.8, self.name, 1)
        return out

    def protect(self, text: str) -> list[Protected]:
        return []


class VehiclePlateRecognizer:
    """Licence plates next to "plate", "tag" or "registration"."""

    name = "en_vehicle_plate"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        plates = _anchored(text, _PLATE_CUES, _PLATE)
        return spans_from_matches(plates, VEHICLE, 0.85, self.name, 1)

    def protect(self, text: str) -> list[Protected]:
        return []


# Clinical look-alikes: an eponym with its disease or device word, Apgar scores, ratios that
# belong to an exam finding. A veto at 0.8 beats dictionary and bare-date guesses, not a name
# after a title ("Dr. Parkinson", 0.9) nor a full date (0.9).
_EPONYM_PHRASE = re.compile(
    r"(?:parkinson|graves|hodgkin|non-hodgkin|alzheimer|crohn|cushing|addison|bell|barrett"
    r"|hashimoto|raynaud|wilson|paget|huntington|lou[ \t]+gehrig|guillain[ -]barr[eé]|marfan"
    r"|kawasaki|sjogren|wegener|wernicke|korsakoff|tourette|down|asperger|ménière|meniere"
    r"|kaposi|burkitt|ewing|wilms|hirschsprung|duchenne|bright|pott|reiter|still|whipple"
    r"|zenker|mallory[ -]weiss|cheyne[ -]stokes|kussmaul|murphy|babinski|homan|trendelenburg"
    r"|valsalva|foley|swan[ -]ganz|hickman|groshong|jackson[ -]pratt|miami[ -]j|glasgow"
    r"|apgar|doppler|levine|nissen|roux[ -]en[ -]y|hartmann|whipple|epley|heimlich|bovie"
    r"|salem|yankauer|sengstaken[ -]blakemore|pleurevac|pleurovac|ambu)(?:'s|s'|s|')?"
    r"(?:[ \t]+(?:disease|syndrome|lymphoma|sarcoma|tumou?r|sign|signs|palsy|phenomenon|ulcer"
    r"|esophagus|thyroiditis|catheter|cath|line|tube|sump|drain|bag|collar|boots?|score|scale"
    r"|coma|test|maneuver|manoeuvre|reflex|position|procedure|fundoplication|pouch|triad"
    r"|respirations?|breathing|criteria|classification|disorder|dementia|law|type|grade"
    r"|suction|pump|device|pulses?|study|studies|ultrasound|exam|needle|diverticulum|prep))\b",
    re.IGNORECASE,
)
_APGAR = re.compile(
    r"\bapgars?(?:[ \t]+scores?)?[ \t:]*(?:of[ \t]+)?\d{1,2}(?:[ \t]*(?:/|,|and|&)[ \t]*\d{1,2})*",
    re.IGNORECASE,
)
_EXAM_CUES = frozenset(
    "bp b nbp abp strength grade gr i ie murmur sem pain motor power grip gcs rass".split()
)
_EXAM_AFTER_CUE = re.compile(r"(?:/p|:e)?[ \t:=]*\d{1,3}[ \t]*[/:][ \t]*\d{1,3}", re.IGNORECASE)
_EXAM_RATIO = re.compile(
    r"(?<!\d)\d{1,2}[ \t]*/[ \t]*(?:5|6|10)[ \t]+(?:strength|str|strenght|motor|power|grip"
    r"|murmur|sem|hsm|holosystolic|systolic|diastolic|pain|scale|score)\b"
    r"|\b[0-9][ \t]*/[ \t]*[0-9][ \t]+(?:ns|nss|tab|tabs|amp)\b",
    re.IGNORECASE,
)


_EPONYM_HEADS = frozenset(
    """parkinson graves hodgkin non alzheimer crohn cushing addison bell barrett hashimoto
    raynaud wilson paget huntington lou guillain marfan kawasaki sjogren wegener wernicke
    korsakoff tourette down asperger meniere kaposi burkitt ewing wilms hirschsprung duchenne
    bright pott reiter still whipple zenker mallory cheyne kussmaul murphy babinski homan
    trendelenburg valsalva foley swan hickman groshong jackson miami glasgow apgar doppler
    levine nissen roux hartmann epley heimlich bovie salem yankauer sengstaken pleurevac
    pleurovac ambu""".split()
)


_LOOKALIKE_TRIGGERS = (
    _EPONYM_HEADS
    | {h + "s" for h in _EPONYM_HEADS}
    | {h + "'s" for h in _EPONYM_HEADS}
    | _EXAM_CUES
    | {"apgar", "apgars"}
)


class ClinicalLookalikeRecognizer:
    """Finds nothing; protects eponyms, Apgar scores and exam ratios from other recognizers."""

    name = "en_clinical_lookalike"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        return []

    def protect(self, text: str) -> list[Protected]:
        tokens = tokenize(text)
        out: list[Protected] = []
        cues = [
            i
            for i, w in enumerate(tokens.low)
            if w in _LOOKALIKE_TRIGGERS or ("-" in w and w.split("-", 1)[0] in _EPONYM_HEADS)
        ]
        for i in cues:
            word = tokens.low[i]
            head = word.split("-", 1)[0].split("'", 1)[0]
            if head in _EPONYM_HEADS or head.rstrip("s") in _EPONYM_HEADS:
                m = _EPONYM_PHRASE.match(text, tokens.starts[i])
                if m:
                    out.append(Protected(m.start(), m.end(), 0.8, "eponym"))
            elif word in _EXAM_CUES:
                m = _EXAM_AFTER_CUE.match(text, tokens.ends[i])
                if m:
                    out.append(Protected(tokens.starts[i], m.end(), 0.8, "exam ratio"))
            if word in ("apgar", "apgars"):
                m = _APGAR.match(text, tokens.starts[i])
                if m:
                    out.append(Protected(m.start(), m.end(), 0.8, "apgar"))
        out += [
            Protected(m.start(), m.end(), 0.8, "exam ratio") for m in _EXAM_RATIO.finditer(text)
        ]
        return out


RECOGNIZERS: list[Recognizer] = [
    *NAME_RECOGNIZERS,
    EnglishDateRecognizer(),
    AgeOver89Recognizer(),
    PhoneRecognizer(),
    SsnRecognizer(),
    RecordNumberRecognizer(),
    StreetAddressRecognizer(),
    VehiclePlateRecognizer(),
    *PLACE_RECOGNIZERS,
    ClinicalLookalikeRecognizer(),
]
