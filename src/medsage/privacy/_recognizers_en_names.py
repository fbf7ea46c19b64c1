"""English person-name recognizers: titles, relatives, signatures and the census name lists.

Each decides on lower-cased words (see `_en_tokens`): a word after a title ("Dr", "Mr") or a
relative ("son", "wife") is a name unless it is a function or clinical word; a word before a
credential ("RN", "MD") is a name when it is in the name lists or no common English word; a bare
word is a name only when it is in the name lists and neither a common nor a clinical word.
"""

from __future__ import annotations

import re

from medsage.privacy._en_tokens import (
    Tokens,
    any_names,
    first_names,
    in_name_lists,
    is_clinical,
    is_common,
    is_eponym,
    last_names,
    tokenize,
)
from medsage.privacy._spans import NAME, PhiSpan, Protected, Recognizer

_LANGUAGES = frozenset({"en"})

# Titles before a person's name. "ms"/"mr" also abbreviate mental status, morphine sulfate and
# mitral regurgitation, so after them only a word that cannot be ordinary English is a name.
TITLES = frozenset(
    "dr dr's drs doctor doc prof professor mister madam np".split()
)  # fmt: skip
WEAK_TITLES = frozenset("mr mrs ms miss mr's mrs's ms's".split())
# Relatives and proxies: the word after them ("son Bill", "daughter, Susan") is a name.
RELATIONS = frozenset(
    """son sons daughter daughters dtr dtrs dau wife wifes husband husbands hsb hus hubby sister
    sisters sis brother brothers bro mother mom mum father dad niece nieces nephew nephews aunt
    uncle cousin grandson grandsons granddaughter granddaughters grandaughter grandaughters
    grandchild grandmother grandfather grandma grandpa stepson stepdaughter fiance fiancee
    girlfriend boyfriend partner friend neighbor neighbour proxy hcp spokesperson guardian
    caregiver sil dil ex""".split()
)
# Staff roles: the word after them is a name when it is in the name lists ("caseworker Leona").
ROLES = frozenset(
    """social family coping caseworker casemanager sw chaplain housestaff intern resident fellow
    attending nurse therapist coordinator liaison""".split()
)
# Credentials after a name in a signature ("Mary Hulse, RN").
CREDENTIALS = frozenset("rn rrt crt np md pa lpn cna msw licsw lcsw rd rph pharmd slp ot".split())
# Words that follow a title or relative but are not names.
FUNCTION_WORDS = frozenset(
    """a an the and or but nor to in into at on of off for with w by from is was are were be been
    being has had have having will would may might can could should shall must do does did done
    not no yes aware notified called call calls calling paged page pages informed updated update
    re who whom whose which that this these those there here then than also just only said says
    states stated state about regarding ordered order orders office team service services note
    notes please if as so up out over via per all any each both other another same some such his
    her hers him he she they them their our we us you your my me i it its am pm h hr hrs x
    today tonight tomorrow yesterday now still again already aware informed made make makes
    asked spoke spoken talked talk talking visited visit visiting phoned phone came come comes
    went go goes going left leave called updated""".split()
)
_ALL_TITLES = TITLES | WEAK_TITLES
# Words before an initial that make "X. Word" a person ("reported to D. Phyl").
_INITIAL_CUES = frozenset("to by per with and w".split())
_RELATION_OR_ROLE = RELATIONS | ROLES
_INITIAL_GAP = re.compile(r"\.?[ \t]*\Z|\.?[ \t]*\n?[ \t]*\Z")
_TITLE_GAP = re.compile(r"[.:]?[ \t]{0,3}\Z|\.?[ \t]{0,3}\n[ \t]*\Z")
_SPACE_GAP = re.compile(r"[ \t]{1,3}\Z|\.[ \t]{0,2}\Z")
_LIST_GAP = re.compile(r"[ \t]*(?:,|&|/)[ \t]*\Z")
_RELATION_GAP = re.compile(r"[ \t]*[,:;\-(]*[ \t-]*\Z")
_SIGNATURE_GAP = re.compile(r"[ \t]*,?[ \t]*\Z")
_RN = re.compile(r"R\.\s?N\b\.?", re.IGNORECASE)


def _blocked(low: str) -> bool:
    return (
        low in FUNCTION_WORDS
        or low in TITLES
        or low in WEAK_TITLES
        or low in RELATIONS
        or low in CREDENTIALS
        or is_clinical(low)
    )


def _loose(low: str) -> bool:
    """A name right after a strong cue: any non-function word in the name lists or not common."""
    return len(low) > 1 and not _blocked(low) and (in_name_lists(low) or not is_common(low))


def _strict(low: str) -> bool:
    """A name with weak support: a word that is not ordinary English."""
    return len(low) > 1 and not _blocked(low) and not is_common(low) and not is_eponym(low)


def _is_initial(tokens: Tokens, i: int) -> bool:
    raw = tokens.raw[i]
    if len(raw) != 1 or not raw.isalpha():
        return False
    gap = tokens.gap(i)
    return gap.startswith(".") or (raw.isupper() and raw != "I" and gap[:1] in (" ", "\t"))


def _continue_run(tokens: Tokens, i: int, limit: int = 2) -> int:
    """Extend a name that ends with word `i` by following surname words or initials."""
    n = len(tokens.low)
    end = i
    for _ in range(limit):
        j = end + 1
        if j >= n or not _SPACE_GAP.fullmatch(tokens.gap(end)):
            break
        low = tokens.low[j]
        prev = tokens.low[end]
        if _is_initial(tokens, j) and j + 1 < n and _loose(tokens.low[j + 1]):
            end = j + 1
        elif _strict(low) or (prev in first_names() and low in last_names() and not _blocked(low)):
            end = j
        else:
            break
    return end


def _list_members(tokens: Tokens, i: int, accept: frozenset[str] | None = None) -> list[int]:
    """Names joined to the name ending at word `i` by ",", "and", "&": "Drs X and Y"."""
    out: list[int] = []
    n = len(tokens.low)
    end = i
    while end + 1 < n:
        j = end + 1
        if tokens.low[j] == "and" and tokens.gap(end).strip() == "":
            j += 1
        elif not _LIST_GAP.fullmatch(tokens.gap(end)):
            break
        if (
            j >= n
            or _blocked(tokens.low[j])
            or not (_strict(tokens.low[j]) or (accept is not None and tokens.low[j] in accept))
        ):
            break
        last = _continue_run(tokens, j)
        out.extend(range(j, last + 1))
        end = last
    return out


def _span(tokens: Tokens, a: int, b: int, score: float, name: str) -> PhiSpan:
    return PhiSpan(tokens.starts[a], tokens.ends[b], NAME, score, name)


class TitleNameRecognizer:
    """Names after titles: "Dr. Vasquez", "dr mary anderson", "Mr. Nicholson", "Drs X and Y"."""

    name = "en_name_title"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        tokens = tokenize(text)
        low = tokens.low
        out: list[PhiSpan] = []
        for i in [i for i, w in enumerate(low) if w in _ALL_TITLES]:
            word = low[i]
            strong = word in TITLES
            if not (strong or word in WEAK_TITLES) or i + 1 >= len(low):
                continue
            if word in ("np", "doc") and tokens.raw[i].islower() and not text.islower():
                continue
            if not _TITLE_GAP.fullmatch(tokens.gap(i)):
                continue
            j = i + 1
            start = j
            raw = tokens.raw[j]
            if len(raw) == 1 and raw.isupper():
                # "Dr. L. Ruuska", "Mr I", "Ms S. Care": an initial, then perhaps a surname
                k = j + 1
                surname = k < len(low) and _SPACE_GAP.fullmatch(tokens.gap(j)) and _loose(low[k])
                if surname and (strong or _strict(low[k]) or _strong_name(low[k])):
                    end = _continue_run(tokens, k)
                    out.append(_span(tokens, j, end, 0.9, self.name))
                    continue
                out.append(_span(tokens, j, j, 0.85, self.name))
                continue
            if strong or word != "ms":
                ok = _loose(low[j])
            else:
                ok = _strict(low[j]) or _strong_name(low[j])
            if not ok:
                continue
            end = _continue_run(tokens, j)
            out.append(_span(tokens, start, end, 0.9, self.name))
            members = _list_members(tokens, end, any_names())
            out.extend(_span(tokens, k, k, 0.85, self.name) for k in members)
        return out

    def protect(self, text: str) -> list[Protected]:
        return []


def _strong_name(low: str) -> bool:
    return in_name_lists(low) and not is_common(low) and not _blocked(low)


class RelationNameRecognizer:
    """Names of relatives and staff: "son Bill", "daughter, Susan Smith", "Hank (son)"."""

    name = "en_name_relation"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        tokens = tokenize(text)
        low = tokens.low
        n = len(low)
        out: list[PhiSpan] = []
        firsts = first_names()
        cues = [
            i
            for i, w in enumerate(low)
            if w in _RELATION_OR_ROLE or ("-" in w and w.split("-", 1)[0] in RELATIONS)
        ]
        for i in cues:
            word = low[i]
            head = word.split("-", 1)[0]
            relation = head in RELATIONS or word.replace("-", "") in ("inlaw",)
            role = word in ROLES
            if not (relation or role):
                continue
            rest = word[len(head) + 1 :] if "-" in word else ""
            if relation and rest and not rest.startswith("in"):
                # "DAUGHTER-KRISSY": the name is glued to the relative
                if rest in firsts or not is_common(rest):
                    a = tokens.starts[i] + len(head) + 1
                    out.append(PhiSpan(a, tokens.ends[i], NAME, 0.85, self.name))
                continue
            j = i + 1
            # "son in law Bill", "daughter-in-law Rita"
            while j + 1 < n and low[j] == "in" and low[j + 1] == "law":
                j += 2
            if j >= n or not _RELATION_GAP.fullmatch(tokens.gap(j - 1)):
                continue
            cand = low[j]
            if relation:
                ok = (cand in firsts and cand not in FUNCTION_WORDS) or _strict(cand)
            else:
                ok = _strong_name(cand) or (cand in firsts and not _blocked(cand))
            if ok:
                end = _continue_run(tokens, j)
                out.append(_span(tokens, j, end, 0.85, self.name))
                members = _list_members(tokens, end, firsts)
                out.extend(_span(tokens, k, k, 0.8, self.name) for k in members)
            # "Hank Przybylo (son)": the name before a parenthesised relation
            if relation and i >= 1 and tokens.gap_before(i).strip() == "(":
                k = i - 1
                while k >= 0 and i - k <= 3 and (_loose(low[k]) or _is_initial(tokens, k)):
                    if k < i - 1 and not _SPACE_GAP.fullmatch(tokens.gap(k)):
                        break
                    k -= 1
                if k < i - 1:
                    out.append(_span(tokens, k + 1, i - 1, 0.8, self.name))
        return out

    def protect(self, text: str) -> list[Protected]:
        return []


class SignatureNameRecognizer:
    """Names signed before a credential: "Mary Hulse, RN", "Q. Lander RRT", "J. Chang PA"."""

    name = "en_name_signature"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        tokens = tokenize(text)
        low = tokens.low
        out: list[PhiSpan] = []
        for k in [k for k, w in enumerate(low) if w in CREDENTIALS or w == "r"]:
            word = low[k]
            if word in CREDENTIALS:
                after = tokens.gap(k).lstrip()
                if word == "pa" and after[:1].isdigit():
                    continue
            elif not (word == "r" and _RN.match(text, tokens.starts[k])):
                continue
            if k == 0 or not _SIGNATURE_GAP.fullmatch(tokens.gap(k - 1)):
                continue
            j = k - 1
            names = 0
            while j >= 0 and k - j <= 3:
                if _is_initial(tokens, j):
                    pass
                elif _loose(low[j]):
                    names += 1
                else:
                    break
                if j < k - 1 and not _SPACE_GAP.fullmatch(tokens.gap(j)):
                    break
                j -= 1
            if names:
                first = j + 1
                # a lone common surname needs a first name or initial before it ("Art White")
                if k - first == 1 and is_common(low[first]):
                    continue
                out.append(_span(tokens, first, k - 1, 0.85, self.name))
        return out

    def protect(self, text: str) -> list[Protected]:
        return []


class DictionaryNameRecognizer:
    """Census first and last names that are neither common English nor clinical words."""

    name = "en_name_dictionary"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        tokens = tokenize(text)
        low = tokens.low
        out: list[PhiSpan] = []
        firsts = first_names()
        mixed_case = not (text.isupper() or text.islower())
        names = any_names()
        cands = [
            i
            for i, w in enumerate(low)
            if (w in names or ("-" in w and in_name_lists(w))) and len(w) > 2
        ]
        done = -1
        for i in cands:
            word = low[i]
            if i <= done or is_common(word) or _blocked(word) or is_eponym(word):
                continue
            score = 0.7 if word in firsts else 0.6
            if word not in firsts and not _case_supports(tokens, i, mixed_case):
                continue
            start = i
            if i > 0 and _is_initial(tokens, i - 1):
                start = i - 1
            end = _continue_run(tokens, i)
            out.append(_span(tokens, start, end, score, self.name))
            done = end
        return out

    def protect(self, text: str) -> list[Protected]:
        return []


def _case_supports(tokens: Tokens, i: int, mixed_case: bool) -> bool:
    """In a mixed-case note a surname is written with a capital; elsewhere case tells nothing."""
    return not mixed_case or tokens.raw[i][:1].isupper()


class InitialNameRecognizer:
    """An initial and a surname: "W. Marotta", "q. lander", "J. Yi"."""

    name = "en_name_initial"
    languages = _LANGUAGES

    def find(self, text: str) -> list[PhiSpan]:
        tokens = tokenize(text)
        low = tokens.low
        out: list[PhiSpan] = []
        for i in [i for i, r in enumerate(tokens.raw[:-1]) if len(r) == 1]:
            raw = tokens.raw[i]
            if len(raw) != 1 or not tokens.gap(i).startswith(". ") or len(tokens.gap(i)) > 3:
                continue
            if raw == "I" or (raw.islower() and not text.islower()):
                continue
            before = text[tokens.starts[i] - 1 : tokens.starts[i]]
            if before and not (before.isspace() or before in "(,;:/&"):
                continue  # "80'S." or "VS." is no initial
            nxt = low[i + 1]
            cued = tokens.low[i - 1] in _INITIAL_CUES if i > 0 else False
            if (in_name_lists(nxt) and not is_common(nxt) and not _blocked(nxt)) or (
                cued and _strict(nxt)
            ):
                end = _continue_run(tokens, i + 1, limit=1)
                out.append(_span(tokens, i, end, 0.7, self.name))
        return out

    def protect(self, text: str) -> list[Protected]:
        return []


NAME_RECOGNIZERS: list[Recognizer] = [
    InitialNameRecognizer(),
    TitleNameRecognizer(),
    RelationNameRecognizer(),
    SignatureNameRecognizer(),
    DictionaryNameRecognizer(),
]
