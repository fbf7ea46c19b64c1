"""Case analysis: findings, differential diagnosis, ICD-10 coding and term normalisation.

`analyze_case` gives a structured second opinion (never a final diagnosis): findings with
assertions, measurements, red-flag triage, a ranked differential fusing a classifier with
knowledge-grounded concept profiles, evidence, follow-up questions and ICD-10 codes.
"""

from __future__ import annotations

from medsage.diagnosis._case import Candidate, CaseReport, analyze_case, fuse
from medsage.diagnosis._html import case_report_html
from medsage.diagnosis._icd10 import Icd10Code, icd10_for, is_valid_code
from medsage.diagnosis._profiles import ConceptProfiles, build_knowledge, case_concepts
from medsage.diagnosis._red_flags import RedFlag, Triage, check_red_flags, triage

__all__ = [
    "Candidate",
    "CaseReport",
    "ConceptProfiles",
    "Icd10Code",
    "RedFlag",
    "Triage",
    "analyze_case",
    "build_knowledge",
    "case_concepts",
    "case_report_html",
    "check_red_flags",
    "fuse",
    "icd10_for",
    "is_valid_code",
    "triage",
]
