"""What the analysis engine finds: `PhiSpan`, the PHI types, and the recognizer interface.

A recognizer looks at a text and proposes spans (`find`) and, optionally, protected ranges
(`protect`): clinical look-alikes such as "Parkinson disease" or "Apgar 9" that no other
recognizer may claim with a lower score. The engine (`_analyzer.Analyzer`) runs every
recognizer for the text's languages, applies the protected ranges, resolves overlaps and drops
spans under the score threshold.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any, Protocol

# The PHI types. `tag` writes them as [NAME], [DATE], ...
NAME = "NAME"  # people: patients, relatives, clinicians (names and initials)
DATE = "DATE"  # dates and years tied to a person; not durations ("3 days")
AGE = "AGE"  # ages over 89 (HIPAA Safe Harbor); younger ages are not PHI
PHONE = "PHONE"  # phone and fax numbers
EMAIL = "EMAIL"
URL = "URL"
IP_ADDRESS = "IP_ADDRESS"
NATIONAL_ID = "NATIONAL_ID"  # SSN, 身份证
RECORD_ID = "RECORD_ID"  # MRN, account, member, licence numbers; 住院号, 病案号, 门诊号, 医保卡号
ADDRESS = "ADDRESS"  # street addresses, ZIP codes, towns and cities; 省/市/区/路/号
FACILITY = "FACILITY"  # hospitals, clinics, nursing homes; 医院, 卫生院, 诊所
VEHICLE = "VEHICLE"  # licence plates
ACCOUNT = "ACCOUNT"  # QQ, WeChat and other online handles

PHI_TYPES = (
    NAME, DATE, AGE, PHONE, EMAIL, URL, IP_ADDRESS, NATIONAL_ID, RECORD_ID, ADDRESS, FACILITY,
    VEHICLE, ACCOUNT,
)  # fmt: skip


@dataclass(frozen=True, order=True)
class PhiSpan:
    """One piece of protected health information: `text[start:end]` is of PHI `type`.

    `score` is the recognizer's confidence in [0, 1]; `recognizer` names who found it.
    """

    start: int
    end: int
    type: str
    score: float
    recognizer: str

    def to_dict(self, text: str | None = None) -> dict[str, Any]:
        """A JSON-ready dict; with the source `text`, also the covered string."""
        out = asdict(self)
        if text is not None:
            out["text"] = text[self.start : self.end]
        return out


@dataclass(frozen=True)
class Protected:
    """A range no other recognizer may claim with a score at or below `score` (a veto)."""

    start: int
    end: int
    score: float
    reason: str


class Recognizer(Protocol):
    """Finds PHI of one or more types in one or more languages."""

    name: str
    languages: frozenset[str]  # subset of {"en", "zh"}; both for language-neutral patterns

    def find(self, text: str) -> list[PhiSpan]:
        """Candidate PHI spans (offsets into `text`)."""
        ...

    def protect(self, text: str) -> list[Protected]:
        """Ranges that must stay (clinical look-alikes); most recognizers return []."""
        ...


@functools.cache
def word_list(name: str) -> frozenset[str]:
    """A package-data word list (`resources/privacy/NAME.txt`): one entry per line, lower-cased.

    Blank lines and lines starting with "#" are skipped.
    """
    source = resources.files("medsage.resources").joinpath(f"privacy/{name}.txt")
    lines = source.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def spans_from_matches(
    matches: Iterable[re.Match[str]],
    type_: str,
    score: float,
    recognizer: str,
    group: int | str = 0,
) -> list[PhiSpan]:
    """PhiSpans from regex matches (the whole match, or one group of it)."""
    return [
        PhiSpan(m.start(group), m.end(group), type_, score, recognizer)
        for m in matches
        if m.end(group) > m.start(group)
    ]
