"""Training-data augmentation: patient wording of findings rewritten in clinical wording.

Sets like Symptom2Disease are written by patients ("I've been feeling feverish and my joints
ache"); clinicians write "febrile, arthralgia". A model that only saw the first misses the
second. `augment_clinical_wording` adds copies of the training texts in which every symptom or
sign that `medsage.text.find_findings` recognises is replaced by another clinical wording
(preferred or synonym) of the same concept from the packaged findings lexicon. Labels, groups
and negation cues are kept ("no fever" becomes "no pyrexia"); texts without a replaceable
finding get no copy.
"""

from __future__ import annotations

import numpy as np

from medsage.datasets._types import TextDataset
from medsage.errors import InvalidInputError

MAX_COPIES = 10
LANGS = ("en", "zh", "auto")


def augment_clinical_wording(
    data: TextDataset, copies: int = 1, *, seed: int = 0, lang: str = "en"
) -> TextDataset:
    """`data` followed by up to `copies` rewritten copies of each text (no duplicates).

    Args:
        data: the training set; labels, groups and ids are carried over (ids get "~aug1"...).
        copies: rewritten copies tried per text (1-10); identical ones are dropped.
        seed: the random choice of wordings.
        lang: "en", "zh" or "auto" (both), as in `medsage.text.find_findings`.

    Example:
        >>> ds = TextDataset(["I feel feverish with a headache, no rash"], ["flu"])
        >>> augment_clinical_wording(ds, seed=0).texts[1]
        'I feel high temperature with a cephalalgia, no exanthem'
    """
    if not 1 <= copies <= MAX_COPIES:
        raise InvalidInputError(f"copies must be between 1 and {MAX_COPIES}, got {copies}")
    if lang not in LANGS:
        raise InvalidInputError(f"lang must be one of {', '.join(LANGS)}; got {lang!r}")
    rng = np.random.default_rng(seed)
    seen = set(data.texts)
    rows: list[int] = []
    texts: list[str] = []
    suffixes: list[str] = []
    for row, text in enumerate(data.texts):
        made = 0
        for _ in range(copies):
            rewritten = rewrite_findings(text, rng, lang)
            if rewritten not in seen:
                made += 1
                seen.add(rewritten)
                rows.append(row)
                texts.append(rewritten)
                suffixes.append(f"~aug{made}")
    extra = data.subset(rows)
    return TextDataset(
        data.texts + texts,
        data.labels + extra.labels,
        None if data.groups is None else data.groups + (extra.groups or []),
        name=f"{data.name} + clinical wording" if data.name else "clinical wording",
        ids=None
        if data.ids is None
        else data.ids + [i + s for i, s in zip(extra.ids or [], suffixes, strict=True)],
    )


def rewrite_findings(text: str, rng: np.random.Generator, lang: str = "en") -> str:
    """`text` with each recognised finding replaced by a random other clinical wording."""
    from medsage.text import find_findings
    from medsage.text._findings import load_findings_lexicon
    from medsage.text._normalize import is_cjk
    from medsage.text._phrase_trie import phrase_key

    clinical = load_findings_lexicon().clinical
    pieces: list[str] = []
    last = 0
    for finding in find_findings(text, lang):
        language = "zh" if any(is_cjk(ch) for ch in finding.text) else "en"
        own = phrase_key(finding.text)
        wordings = _general_wordings(clinical, finding.concept, language)
        options = [w for w in wordings if phrase_key(w) != own]
        if not options:
            continue
        choice = options[int(rng.integers(len(options)))]
        if finding.text[:1].isupper() and language == "en":
            choice = choice[:1].upper() + choice[1:]
        pieces += [text[last : finding.start], choice]
        last = finding.end
    return "".join(pieces) + text[last:]


def _general_wordings(
    clinical: dict[str, dict[str, list[str]]], concept: str, lang: str
) -> list[str]:
    """The clinical wordings of `concept` that are not narrower than the preferred one, as far
    as the words show: "dry cough" and "下腹痛" contain "cough" and "腹痛", and "right lower
    quadrant pain" is two words longer than "abdominal pain"; copies with them would state a
    detail that the original did not."""
    import re

    from medsage.text._phrase_trie import phrase_key

    wordings = clinical.get(concept, {}).get(lang, [])
    if not wordings:
        return []
    preferred = phrase_key(wordings[0])

    def narrower(key: str) -> bool:
        if lang == "zh":
            return preferred in key or len(key) > len(preferred) + 2
        contains = re.search(rf"\b{re.escape(preferred)}\b", key) is not None
        return contains or len(key.split()) > len(preferred.split()) + 1

    return [w for w in wordings if phrase_key(w) == preferred or not narrower(phrase_key(w))]
