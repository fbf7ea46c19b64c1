"""`analyze_case`: a structured, explained second opinion on a free-text case.

Steps: (optionally) de-identify the text; find findings with assertions and measurements;
triage with red-flag rules (which fire whatever the classifier says); rank a differential by
fusing the classifier's calibrated probabilities with the knowledge-grounded score of the
findings (`ConceptProfiles`), with evidence for and against each candidate; propose follow-up
questions when the leader is not clear; code each diagnosis in ICD-10.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medsage.diagnosis._profiles import ConceptProfiles, case_concepts
from medsage.errors import InvalidInputError
from medsage.text import Finding, detect_language, find_findings, find_measurements

if TYPE_CHECKING:
    from medsage.models import TextClassifier

MAX_CASE_CHARS = 100_000  # a case, not a record: longer inputs get a clear error
DEFAULT_K = 5
# Weight of the knowledge-grounded score in the fused log-probability (0 = classifier only).
# Chosen on our out-of-style development cases (benchmarks/diagnosis.py), never on a test split.
DEFAULT_KNOWLEDGE_WEIGHT = 0.4
# Follow-up questions are asked when the leader is below this probability or this margin.
CONFIDENT_PROBABILITY = 0.6
CONFIDENT_MARGIN = 0.2
MAX_QUESTIONS = 3
SUPPORT_RATE = 0.25  # a present finding this frequent in a diagnosis supports it
RARE_RATE = 0.05  # a present finding this rare in a diagnosis argues against it

DISCLAIMER = {
    "en": (
        "This is decision support, not a diagnosis. A qualified clinician must assess the "
        "patient. In an emergency, call your local emergency number (e.g. 911/112) now."
    ),
    "zh": (
        "本结果仅供辅助参考，不构成诊断，请由执业医师评估。如有紧急情况，请立即拨打 120 急救电话。"
    ),
}


@dataclass
class Candidate:
    """One diagnosis of the differential."""

    label: str
    probability: float
    classifier_probability: float | None
    knowledge_probability: float | None
    icd10: dict[str, str] | None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    against: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CaseReport:
    """Everything `analyze_case` found; `to_dict()` is the documented JSON schema."""

    text: str
    language: str
    findings: list[Finding]
    measurements: list[dict[str, Any]]
    triage: dict[str, Any]
    differential: list[Candidate]
    follow_up_questions: list[str]
    warnings: list[str]
    phi_removed: int
    disclaimer: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "medsage-case-report/1",
            "language": self.language,
            "text": self.text,
            "phi_removed": self.phi_removed,
            "findings": [
                {
                    "text": f.text,
                    "span": [f.start, f.end],
                    "assertion": f.assertion,
                    "concept": f.concept,
                }
                for f in self.findings
            ],
            "measurements": self.measurements,
            "triage": self.triage,
            "differential": [asdict(c) for c in self.differential],
            "follow_up_questions": self.follow_up_questions,
            "warnings": self.warnings,
            "disclaimer": self.disclaimer,
        }


def analyze_case(
    text: str,
    *,
    model: TextClassifier | str | Path | None = None,
    knowledge: ConceptProfiles | str | Path | None = None,
    lang: str = "auto",
    k: int = DEFAULT_K,
    knowledge_weight: float = DEFAULT_KNOWLEDGE_WEIGHT,
    deidentify: bool = True,
) -> CaseReport:
    """Analyse one case (zh or en).

    Args:
        model: a trained classifier (or its bundle folder); its labels are the differential.
        knowledge: concept profiles (or their JSON file), e.g. from `build_knowledge`; with a
            model, only the model's labels are scored.
        knowledge_weight: 0..1, the knowledge-grounded share of the fused ranking.
        deidentify: replace PHI with type tags before anything else (the report then holds
            only the de-identified text).
    Without a model or knowledge, findings, measurements and triage still work; the
    differential is empty.
    """
    _check(text, k, knowledge_weight, lang)
    warnings: list[str] = []
    phi_removed = 0
    if deidentify:
        from medsage.privacy import Deidentifier

        result = Deidentifier(lang="auto").anonymize(text)
        text, phi_removed = result.text, len(result.spans)
    language = detect_language(text) if lang == "auto" else lang
    report_lang = "zh" if language in ("zh", "mixed") else "en"
    findings = find_findings(text)
    measurements = find_measurements(text)
    from medsage.diagnosis._red_flags import triage

    triaged = triage(text, findings=findings, measurements=measurements)
    classifier = _load_model(model)
    profiles = ConceptProfiles.load(knowledge) if isinstance(knowledge, str | Path) else knowledge
    present, denied = case_concepts(findings)
    differential: list[Candidate] = []
    questions: list[str] = []
    if classifier is None and profiles is None:
        warnings.append("no model or knowledge given: the differential is empty")
    elif not present and not denied:
        warnings.append(
            "no symptoms or signs were recognised in the text, so no differential is given"
        )
    else:
        differential = _rank(text, classifier, profiles, present, denied, k, knowledge_weight)
        if profiles is not None:
            _add_evidence(differential, profiles, findings)
            questions = _follow_up(differential, profiles, present | denied, report_lang)
        if classifier is not None and classifier.backend == "tfidf":
            _add_tokens(differential, classifier, text)
    return CaseReport(
        text, language, findings, [m.to_dict() for m in measurements], triaged.to_dict(),
        differential, questions, warnings, phi_removed, DISCLAIMER[report_lang],
    )  # fmt: skip


def _check(text: object, k: int, weight: float, lang: str) -> None:
    if not isinstance(text, str):
        raise InvalidInputError(f"a case must be a str, got {type(text).__name__}")
    if not text.strip():
        raise InvalidInputError("the case text is empty: describe the symptoms and findings")
    if len(text) > MAX_CASE_CHARS:
        raise InvalidInputError(
            f"the case is {len(text):,} characters; the limit is {MAX_CASE_CHARS:,}. Give the "
            "relevant part of the record (complaint, history, examination, results)"
        )
    if k < 1:
        raise InvalidInputError(f"k must be >= 1, got {k}")
    if not 0.0 <= weight <= 1.0:
        raise InvalidInputError(f"knowledge_weight must be in [0, 1], got {weight}")
    if lang not in ("auto", "en", "zh"):
        raise InvalidInputError(f"lang must be auto, en or zh, got {lang!r}")


def _load_model(model: TextClassifier | str | Path | None) -> TextClassifier | None:
    if model is None or not isinstance(model, str | Path):
        return model
    from medsage.models import TextClassifier

    return TextClassifier.load(model)


def fuse(
    classifier: dict[str, float] | None, knowledge: dict[str, float] | None, weight: float
) -> dict[str, float]:
    """Weighted geometric mean of the two distributions, renormalised.

    >>> fuse({"a": 0.8, "b": 0.2}, {"a": 0.2, "b": 0.8}, 0.5)
    {'a': 0.5, 'b': 0.5}
    """
    if classifier is None or knowledge is None:
        only = classifier if classifier is not None else knowledge
        assert only is not None
        return dict(only)
    logs = {
        label: (1 - weight) * math.log(max(p, 1e-12))
        + weight * math.log(max(knowledge.get(label, 0.0), 1e-12))
        for label, p in classifier.items()
    }
    top = max(logs.values())
    weights = {label: math.exp(v - top) for label, v in logs.items()}
    total = sum(weights.values())
    return {label: round(w / total, 6) for label, w in weights.items()}


def _rank(
    text: str,
    classifier: TextClassifier | None,
    profiles: ConceptProfiles | None,
    present: set[str],
    denied: set[str],
    k: int,
    weight: float,
) -> list[Candidate]:
    clf: dict[str, float] | None = None
    if classifier is not None:
        proba = classifier.predict_proba([text])[0]
        clf = {label: float(p) for label, p in zip(classifier.classes_, proba, strict=True)}
    kb: dict[str, float] | None = None
    if profiles is not None:
        kb = profiles.probabilities(present, denied)
        if clf is not None:  # the differential's labels are exactly the model's labels
            kb = {label: kb.get(label, 0.0) for label in clf}
            total = sum(kb.values()) or 1.0
            kb = {label: p / total for label, p in kb.items()}
    fused = fuse(clf, kb, weight)
    from medsage.diagnosis._icd10 import icd10_for

    ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
    out = []
    for label, p in ranked:
        code = icd10_for(label)
        out.append(
            Candidate(
                label,
                p,
                None if clf is None else round(clf[label], 6),
                None if kb is None else round(kb.get(label, 0.0), 6),
                None if code is None else {"code": code.code, "title": code.title},
            )
        )
    return out


def _add_evidence(
    differential: Sequence[Candidate], profiles: ConceptProfiles, findings: Sequence[Finding]
) -> None:
    for candidate in differential:
        for f in findings:
            rate = profiles.rate(candidate.label, f.concept)
            item = {"text": f.text, "span": [f.start, f.end], "concept": f.concept,
                    "assertion": f.assertion, "rate": round(rate, 3)}  # fmt: skip
            if f.assertion == "present" and rate >= SUPPORT_RATE:
                candidate.evidence.append({"kind": "finding", **item})
            elif (f.assertion == "present" and rate <= RARE_RATE) or (
                f.assertion == "negated" and rate >= SUPPORT_RATE
            ):
                candidate.against.append({"kind": "finding", **item})


def _add_tokens(differential: Sequence[Candidate], classifier: TextClassifier, text: str) -> None:
    """Words the tf-idf classifier weighs for each candidate (cheap for a linear model)."""
    from medsage.models import explain

    proba = [float(p) for p in classifier.predict_proba([text])[0]]
    for candidate in differential:
        words = explain(classifier, text, label=candidate.label, proba=proba).words
        top = sorted((w for w in words if w.score > 0), key=lambda w: -w.score)[:5]
        candidate.evidence.extend(
            # words of the normalised text the linear model weighs for this label
            {"kind": "token", "text": w.word, "score": round(w.score, 4)}
            for w in top
        )


def _follow_up(
    differential: Sequence[Candidate], profiles: ConceptProfiles, asked: set[str], lang: str
) -> list[str]:
    """Questions on the findings that best separate the leading candidates."""
    if len(differential) < 2:
        return []
    first, second = differential[0], differential[1]
    if (
        first.probability >= CONFIDENT_PROBABILITY
        and first.probability - second.probability >= CONFIDENT_MARGIN
    ):
        return []
    from medsage.text._findings import concept_display_name, finding_concepts

    leaders = [c.label for c in differential[:3]]
    scored = []
    for concept in finding_concepts():
        if concept in asked:
            continue
        rates = [profiles.rate(label, concept) for label in leaders]
        spread = max(rates) - min(rates)
        if spread >= 0.2:
            scored.append((spread, concept))
    scored.sort(key=lambda item: (-item[0], item[1]))
    template = "是否有{}？" if lang == "zh" else "Is there {}?"
    return [template.format(concept_display_name(c, lang)) for _, c in scored[:MAX_QUESTIONS]]
