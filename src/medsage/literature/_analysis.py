"""Analysis of a document set: extractive summaries, sentence roles, publication trends.

The work lives in three modules, one idea each: `_summary` (LexRank + MMR with citations),
`_roles` (BACKGROUND / METHODS / RESULTS / CONCLUSIONS from structured abstracts) and
`_trends` (per-year counts, terms, MeSH, PNG plot). This module gathers their public names.
"""

from __future__ import annotations

from medsage.literature._roles import (
    ROLES,
    LabelledSentence,
    RoleClassifier,
    RoleExamples,
    role_examples,
    section_role,
    train_role_classifier,
)
from medsage.literature._summary import Reference, Summary, SummarySentence, summarize
from medsage.literature._trends import (
    Trends,
    mesh_frequencies,
    publications_per_year,
    term_frequencies,
    trends,
)

__all__ = [
    "ROLES",
    "LabelledSentence",
    "Reference",
    "RoleClassifier",
    "RoleExamples",
    "Summary",
    "SummarySentence",
    "Trends",
    "mesh_frequencies",
    "publications_per_year",
    "role_examples",
    "section_role",
    "summarize",
    "term_frequencies",
    "train_role_classifier",
    "trends",
]
