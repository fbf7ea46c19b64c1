"""English facility and town recognizers.

Facilities: words before a facility word ("Holy Cross Hospital", "Keeley House", "Baltimore
Rehab"), a hospital abbreviation before a unit ("GH ER", "GBMC MICU"), the place after a
transfer ("transferred to Quartermain 2", "sent from GH"). Towns: the place after "lives in",
"from", "of", "in" when it is no ordinary or clinical word ("in Towson", "from Seattle").
"""

from __future__ import annotations

import re

from medsage.privacy._en_tokens import (
    Tokens,
    first_names,
    is_clinical,
    is_common,
    is_eponym,
    tokenize,
)
from medsage.privacy._recognizers_en_names import (
    CREDENTIALS,
    FUNCTION_WORDS,
    RELATIONS,
    TITLES,
    WEAK_TITLES,
)
from medsage.privacy._spans import ADDRESS, FACILITY, PhiSpan, Protected, Recognizer

_LANGUAGES = frozenset({"en"})

# Words that end a facility name.
FACILITY_WORDS = frozenset(
    """hospital hospitals hosp hospiatal hosptial hopital clinic infirmary sanitarium hospice
    healthcare""".split()
)
# Facility words that are also ordinary words: the name before them must look like a name
# (no common word, or capitalised in a mixed-case note): "Keeley House", not "tolerating house".
WEAK_FACILITY_WORDS = frozenset(
    "rehab rehabilitation house manor regional memorial adventist center ctr centre".split()
)
# "center" ends a facility name only after one of these ("Medical Center", "Med Ctr").
_CENTER_HEADS = frozenset("medical med health trauma cancer rehabilitation heart".split())
# Words that may not open a facility name: they describe, not name it ("cardiac rehab").
_FACILITY_PRE_STOP = frozenset(
    """outside local other another same this that the a an our their his her its acute chronic
    cardiac pulmonary pulm psych psychiatric physical inpatient outpatient in-patient out-patient
    subacute sub-acute nursing rehab private state community area nearby previous prior former
    new old home from to at in by for of with on and or via per was is left into back after
    before day night full open care transfer transferred admitted admission discharge
    discharged d/c dc return returned called per vna skilled long-term term short short-term
    assisted living group teaching university affiliated va veterans county city
    cardiology neurology oncology dermatology endocrinology gastroenterology nephrology
    pulmonology rheumatology urology hematology infectious pediatric paediatric pediatrics
    orthopedic orthopaedic surgical surgery medical medicine ent eye dental diabetes wound
    pain fertility sleep memory allergy vascular renal dialysis anticoagulation coumadin
    walk-in urgent primary specialty specialist""".split()
)
# Verbs of moving a patient: the place after them ("to X", "from X", "at X") is a facility.
_MOVE_WORDS = frozenset(
    """transfer transferred transfered transferring trans tx txd tx'd txfr xfer xferred
    admitted admit adm readmitted sent taken brought went go goes going arrived arrive
    return returned returning discharged medflight medflighted flown transported accepted
    screened seen presented presenting came come d/c'd dc'd followed""".split()
)
_PLACE_PREPS = frozenset({"to", "from", "at", "@", "into"})
# Words before a town: "lives in X", "from X", "of X" ("daughter Grace of Towson").
_TOWN_CUES = frozenset({"in", "from", "of", "near", "to"})
_STRONG_TOWN_CONTEXT = frozenset(
    """lives live living lived reside resides residing resident home moved moving vacation
    vacationing visiting travelled traveled trip born grew job works working church shelter
    relocated called phoned flew drove""".split()
)
# Hospital units after a hospital abbreviation ("GH ER", "GBMC MICU").
_UNITS = frozenset(
    """er ew ed icu micu sicu ccu csru nsicu picu nicu cath pacu or ward floor clinic lab""".split()
)
_FACILITY_TRIGGERS = FACILITY_WORDS | WEAK_FACILITY_WORDS | _UNITS | _PLACE_PREPS
# US state codes: a state alone is no PHI (HIPAA Safe Harbor keeps states).
_STATES = frozenset(
    """AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH
    NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR""".split()
)
_NOT_A_PLACE = FACILITY_WORDS | WEAK_FACILITY_WORDS | _UNITS
_WARD_NUMBER = re.compile(r"[ \t]?\d{1,2}\b")
# "St. Agnes", "ST. MARY'S", "St A.": a saint's name is a hospital name.
_SAINT = re.compile(r"\b(?:St|ST|Saint|SAINT)\.?[ \t]+(?:[A-Z]\b\.?|[A-Z][A-Za-z]+(?:'s|'S)?)")
_UNIVERSITY = re.compile(r"\b(?:U|Univ|University)\.?[ \t]+(?:of[ \t]+)?[A-Z][a-z]+\b")
_ACRONYM = re.compile(r"[A-Z]{2,5}\Z")
_TOKEN_GAP = re.compile(r"[ \t]{1,3}\Z|[ \t]*-[ \t]*\Z")
_PREP_GAP = re.compile(r"[ \t]{1,3}\Z|[ \t]*\(?[ \t]*\Z")


def _place_word(low: str) -> bool:
    """A word that may be part of a place name given strong context."""
    return (
        len(low) > 1
        and low not in TITLES
        and low not in WEAK_TITLES
        and low not in FUNCTION_WORDS
        and low not in RELATIONS
        and low not in CREDENTIALS
        and not is_clinical(low)
        and not is_eponym(low)
    )


def _rare_place_word(low: str) -> bool:
    return _place_word(low) and not is_common(low)


def _is_acronym(tokens: Tokens, i: int) -> bool:
    raw = tokens.raw[i]
    return bool(_ACRONYM.match(raw)) and raw not in _STATES and _place_word(tokens.low[i])


class FacilityRecognizer:
    """Hospitals, rehabs and nursing homes, by their names and by transfer context."""

    name = "en_facility"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        tokens = tokenize(text)
        low = tokens.low
        n = len(low)
        out: list[PhiSpan] = []
        mixed_case = not (text.isupper() or text.islower())
        for i in [i for i, w in enumerate(low) if w in _FACILITY_TRIGGERS]:
            word = low[i]
            weak = word in WEAK_FACILITY_WORDS
            if word in ("center", "ctr", "centre") and (i == 0 or low[i - 1] not in _CENTER_HEADS):
                weak = False
                word = ""
            if word in FACILITY_WORDS or weak:
                j = i
                while j > 0 and i - j < 3 and _TOKEN_GAP.fullmatch(tokens.gap(j - 1)):
                    prev = low[j - 1]
                    head = prev in _CENTER_HEADS and j == i  # "Medical" of "Medical Center"
                    if (prev in _FACILITY_PRE_STOP or not _place_word(prev)) and not head:
                        break
                    if (
                        weak
                        and not (
                            _rare_place_word(prev)
                            or (mixed_case and tokens.raw[j - 1][:1].isupper())
                        )
                        and not head
                    ):
                        break
                    j -= 1
                if j < i and not (j == i - 1 and low[j] in _CENTER_HEADS):
                    out.append(PhiSpan(tokens.starts[j], tokens.ends[i], FACILITY, 0.8, self.name))
            elif (
                word in _UNITS
                and i > 0
                and _TOKEN_GAP.fullmatch(tokens.gap(i - 1))
                and _is_acronym(tokens, i - 1)
                and low[i - 1] not in _UNITS
            ):
                out.append(_one(tokens, i - 1, FACILITY, 0.7, self.name))
            if word in _PLACE_PREPS and i + 1 < n and _moved(tokens, i):
                j = i + 1
                if low[j] == "the" and j + 1 < n:
                    j += 1
                if not _PREP_GAP.fullmatch(tokens.gap(j - 1)):
                    continue
                if low[j] in _NOT_A_PLACE or tokens.raw[j] in _STATES:
                    continue
                cased = (
                    not mixed_case
                    or tokens.raw[j][:1].isupper()
                    or _WARD_NUMBER.match(text, tokens.ends[j]) is not None
                )
                if (_rare_place_word(low[j]) and cased) or _is_acronym(tokens, j):
                    end = j
                    while end + 1 < n and end - j < 2 and _TOKEN_GAP.fullmatch(tokens.gap(end)):
                        if not _rare_place_word(low[end + 1]):
                            break
                        end += 1
                    out.append(
                        PhiSpan(tokens.starts[j], tokens.ends[end], FACILITY, 0.7, self.name)
                    )
        for m in _SAINT.finditer(text):
            word = m.group().split()[-1].lower().rstrip(".").removesuffix("'s")
            named = len(word) == 1 or word in first_names() or not is_common(word)
            if named and not is_clinical(word):
                out.append(PhiSpan(m.start(), m.end(), FACILITY, 0.7, self.name))
        for m in _UNIVERSITY.finditer(text):
            out.append(PhiSpan(m.start(), m.end(), FACILITY, 0.7, self.name))
        return out

    def protect(self, text: str) -> list[Protected]:
        return []


def _moved(tokens: Tokens, i: int) -> bool:
    """A moving verb within the three words before word `i`."""
    return any(tokens.low[k] in _MOVE_WORDS for k in range(max(0, i - 3), i))


def _one(tokens: Tokens, i: int, type_: str, score: float, name: str) -> PhiSpan:
    return PhiSpan(tokens.starts[i], tokens.ends[i], type_, score, name)


class TownRecognizer:
    """Towns and cities after "lives in", "from", "of", "in" ("lives in Towson")."""

    name = "en_town"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        tokens = tokenize(text)
        low = tokens.low
        n = len(low)
        out: list[PhiSpan] = []
        mixed_case = not (text.isupper() or text.islower())
        for i in [i for i, w in enumerate(low) if w in _TOWN_CUES]:
            if i + 1 >= n:
                continue
            if not _TOKEN_GAP.fullmatch(tokens.gap(i)):
                continue
            j = i + 1
            strong = any(low[k] in _STRONG_TOWN_CONTEXT for k in range(max(0, i - 6), i))
            raw = tokens.raw[j]
            capitalised = raw[:1].isupper() and not raw.isupper()
            if not _rare_place_word(low[j]):
                continue
            if not (strong or (mixed_case and capitalised)):
                continue
            end = j
            while end + 1 < n and end - j < 2 and _TOKEN_GAP.fullmatch(tokens.gap(end)):
                nxt = tokens.raw[end + 1]
                if not (_place_word(low[end + 1]) and nxt[:1].isupper() and mixed_case):
                    break
                end += 1
            out.append(PhiSpan(tokens.starts[j], tokens.ends[end], ADDRESS, 0.65, self.name))
        return out

    def protect(self, text: str) -> list[Protected]:
        return []


PLACE_RECOGNIZERS: list[Recognizer] = [FacilityRecognizer(), TownRecognizer()]
