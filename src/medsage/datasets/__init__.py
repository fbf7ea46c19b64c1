"""Loading, cleaning, splitting and writing labelled medical text data sets.

Loaders return a `TextDataset`; errors are `medsage.errors` exceptions whose messages say where
the problem is and how to fix it. Importing this package pulls in no heavy libraries.
"""

from __future__ import annotations

from medsage.datasets._augment import augment_clinical_wording
from medsage.datasets._cblue import load_cblue_classification
from medsage.datasets._dedupe import DedupeResult, deduplicate
from medsage.datasets._deid_gold import GoldNote, load_deid_jsonl, load_physionet_deid
from medsage.datasets._dialogue import load_med_dialogue
from medsage.datasets._dxy import load_dxy
from medsage.datasets._encoding import decode_bytes, detect_encoding, read_text_file
from medsage.datasets._export import fingerprint, write_dataset
from medsage.datasets._inputs import load_texts
from medsage.datasets._moleculenet import MOLECULENET, MoleculeDataset, load_moleculenet
from medsage.datasets._split import stratified_split
from medsage.datasets._symptom2disease import load_symptom2disease
from medsage.datasets._tabular import load_text_label
from medsage.datasets._types import TextDataset

__all__ = [
    "MOLECULENET",
    "DedupeResult",
    "GoldNote",
    "MoleculeDataset",
    "TextDataset",
    "augment_clinical_wording",
    "decode_bytes",
    "deduplicate",
    "detect_encoding",
    "fingerprint",
    "load_cblue_classification",
    "load_deid_jsonl",
    "load_dxy",
    "load_med_dialogue",
    "load_moleculenet",
    "load_physionet_deid",
    "load_symptom2disease",
    "load_text_label",
    "load_texts",
    "read_text_file",
    "stratified_split",
    "write_dataset",
]
