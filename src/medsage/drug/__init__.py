"""Drug discovery screening: molecules, filters, property models, screening.

`standardize` parses and standardises a SMILES (RDKit); `compute_properties`, `apply_rules` and
`find_alerts` give descriptors, drug-likeness rules and structural alerts; the similarity
functions give fingerprints, Tanimoto search, clustering and diversity picking; `screen` runs
the whole pipeline on a file with property models and writes ranked hits and a report.
"""

from __future__ import annotations

from medsage.drug._chem_lm import ChemLMConfig, finetune_chem_lm, pretrain_chem_lm
from medsage.drug._features import Featurizer
from medsage.drug._filters import (
    RULES,
    Alert,
    RuleResult,
    apply_rules,
    find_alerts,
    lipinski_violations,
)
from medsage.drug._models import PredictionArrays, PropertyModel, load_property_model
from medsage.drug._molecules import MoleculeRecord, StdMolecule, read_molecules, standardize
from medsage.drug._profile import MoleculeProfile, profile_record
from medsage.drug._properties import MolecularProperties, compute_properties, sa_score
from medsage.drug._screen import PropertyPredictor, RankingWeights, ScreenResult, screen
from medsage.drug._similarity import (
    butina_clusters,
    maccs_fingerprint,
    maxmin_pick,
    morgan_fingerprint,
    murcko_scaffold,
    similarity_search,
    top_k_similar,
)
from medsage.drug._splits import ScaffoldSplit, scaffold_split, write_chemprop_splits

__all__ = [
    "RULES",
    "Alert",
    "ChemLMConfig",
    "Featurizer",
    "MolecularProperties",
    "MoleculeProfile",
    "MoleculeRecord",
    "PredictionArrays",
    "PropertyModel",
    "PropertyPredictor",
    "RankingWeights",
    "RuleResult",
    "ScaffoldSplit",
    "ScreenResult",
    "StdMolecule",
    "apply_rules",
    "butina_clusters",
    "compute_properties",
    "find_alerts",
    "finetune_chem_lm",
    "lipinski_violations",
    "load_property_model",
    "maccs_fingerprint",
    "maxmin_pick",
    "morgan_fingerprint",
    "murcko_scaffold",
    "pretrain_chem_lm",
    "profile_record",
    "read_molecules",
    "sa_score",
    "scaffold_split",
    "screen",
    "similarity_search",
    "standardize",
    "top_k_similar",
    "write_chemprop_splits",
]
