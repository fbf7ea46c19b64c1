"""Find symptoms and signs in Chinese and English text, each with its ConText assertion.

The lexicon (package data `findings_lexicon.tsv`) maps clinical and lay wording to one concept id
per finding ("tummy ache", "肚子疼" -> abdominal_pain). Each language's surface forms are compiled
into one trie-shaped regular expression, so a single left-to-right pass finds the longest match
at each position. English matches whole words, ignores case, lets a space or hyphen stand for any
run of spaces or hyphens and allows a plural "s"/"es"; Chinese matches substrings. Both run on a
same-length folded copy of the text (full-width letters and punctuation become ASCII), so spans
are offsets into the caller's text. Every finding then gets its assertion from
`medsage.text._assertion` in one pass over the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final

from medsage.errors import DataFormatError, InvalidInputError, UnknownNameError
from medsage.text._assertion import Assertion, Trigger, assess_spans
from medsage.text._measurements import _fold
from medsage.text._phrase_trie import compile_phrases, phrase_key

__all__ = [
    "Finding",
    "FindingsLexicon",
    "concept_display_name",
    "find_findings",
    "finding_concepts",
    "load_findings_lexicon",
]

LEXICON_FILE: Final = "findings_lexicon.tsv"
LANGS: Final = ("auto", "zh", "en", "mixed")
KINDS: Final = ("preferred", "synonym", "lay")
_COLUMNS: Final = ("concept", "language", "surface", "kind")


@dataclass(frozen=True, slots=True)
class Finding:
    """A symptom or sign found in a text: `text == source[start:end]`."""

    text: str
    start: int
    end: int
    concept: str
    assertion: Assertion
    triggers: tuple[Trigger, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (the assertion as its string, triggers as dicts)."""
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "concept": self.concept,
            "assertion": str(self.assertion),
            "triggers": [t.to_dict() for t in self.triggers],
        }


@dataclass(frozen=True, slots=True)
class FindingsLexicon:
    """Surface forms by language (lower-cased for English) and display names by concept."""

    surfaces: dict[str, dict[str, str]]  # language -> phrase_key(surface) -> concept
    display: dict[str, dict[str, str]]  # concept -> language -> preferred surface
    # concept -> language -> clinical wordings (preferred first, then synonyms), as written
    clinical: dict[str, dict[str, list[str]]]


@lru_cache(maxsize=1)
def load_findings_lexicon() -> FindingsLexicon:
    """Read the packaged lexicon (cached)."""
    text = resources.files("medsage.resources").joinpath(LEXICON_FILE).read_text(encoding="utf-8")
    return parse_findings_lexicon(text.splitlines())


def parse_findings_lexicon(lines: Iterable[str]) -> FindingsLexicon:
    """Parse TSV lines (header first, `#` comments allowed); a surface form may name one concept."""
    rows = [line for line in lines if line.strip() and not line.startswith("#")]
    if not rows or tuple(rows[0].split("\t")) != _COLUMNS:
        raise DataFormatError("the findings lexicon must start with the header concept/language/…")
    surfaces: dict[str, dict[str, str]] = {"en": {}, "zh": {}}
    display: dict[str, dict[str, str]] = {}
    clinical: dict[str, dict[str, list[str]]] = {}
    for number, line in enumerate(rows[1:], start=2):
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) != len(_COLUMNS):
            raise DataFormatError(f"lexicon row {number} has {len(cells)} columns, expected 4")
        concept, language, surface, kind = cells
        if language not in surfaces or kind not in KINDS or not surface:
            raise DataFormatError(f"lexicon row {number} is malformed: {line!r}")
        key = phrase_key(surface)
        if surfaces[language].get(key, concept) != concept:
            raise DataFormatError(
                f"{language} surface {surface!r} names both {surfaces[language][key]} and {concept}"
            )
        surfaces[language][key] = concept
        names = display.setdefault(concept, {})
        if kind == "preferred":
            names[language] = surface
        if kind != "lay":
            wordings = clinical.setdefault(concept, {}).setdefault(language, [])
            wordings.insert(0 if kind == "preferred" else len(wordings), surface)
    return FindingsLexicon(surfaces, display, clinical)


def finding_concepts() -> dict[str, dict[str, str]]:
    """Every concept id with its display names: {"fever": {"en": "fever", "zh": "发热"}, ...}."""
    return {c: dict(names) for c, names in load_findings_lexicon().display.items()}


def concept_display_name(concept: str, lang: str = "en") -> str:
    """The preferred wording of `concept` in `lang` ("en" or "zh"), else in the other one."""
    names = load_findings_lexicon().display.get(concept)
    if names is None:
        raise UnknownNameError(f"unknown finding concept {concept!r}; see finding_concepts()")
    return names.get(lang) or next(iter(names.values()), concept)


# --- Matching


@lru_cache(maxsize=2)
def _pattern(language: str) -> re.Pattern[str]:
    surfaces = load_findings_lexicon().surfaces[language]
    if language == "en":
        return compile_phrases(surfaces, whole_words=True, plural=True)
    return compile_phrases(surfaces, whole_words=False)


def _concept(matched: str, language: str) -> str | None:
    table = load_findings_lexicon().surfaces[language]
    key = phrase_key(matched)
    if language == "zh":
        return table.get(key)
    for candidate in (key, key[:-2] if key.endswith("es") else "", key[:-1]):
        if candidate in table:
            return table[candidate]
    return None


def find_findings(text: str, lang: str = "auto") -> list[Finding]:
    """Find symptoms and signs in `text`, each with its span, concept id and assertion.

    Args:
        text: clinical text or a patient's question, Chinese, English or mixed, any width.
        lang: "auto" or "mixed" (both lexicons and rule sets), "zh" or "en" (that one only).

    Returns:
        Findings in text order, without overlaps (the longest match wins).

    Example:
        >>> [(f.text, f.concept, f.assertion.value) for f in find_findings("无发热，肚子疼2天")]
        [('发热', 'fever', 'negated'), ('肚子疼', 'abdominal_pain', 'present')]
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"find_findings expects a str, got {type(text).__name__}")
    if lang not in LANGS:
        raise InvalidInputError(f"lang must be one of {', '.join(LANGS)}; got {lang!r}")
    if not text:
        return []
    folded = _fold(text)
    languages = ("en", "zh") if lang in ("auto", "mixed") else (lang,)
    candidates: list[tuple[int, int, str]] = []
    for language in languages:
        for match in _pattern(language).finditer(folded):
            concept = _concept(match.group(), language)
            if concept is not None:
                candidates.append((match.start(), match.end(), concept))
    candidates.sort(key=lambda c: (c[0], c[0] - c[1]))
    kept: list[tuple[int, int, str]] = []
    for start, end, concept in candidates:
        if not kept or start >= kept[-1][1]:
            kept.append((start, end, concept))
    results = assess_spans(text, [(s, e) for s, e, _ in kept], lang)
    return [
        Finding(text[s:e], s, e, concept, result.assertion, result.triggers)
        for (s, e, concept), result in zip(kept, results, strict=True)
    ]
