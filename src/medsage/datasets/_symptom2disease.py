"""Symptom2Disease: 1,200 English symptom descriptions, 24 diseases x 50."""

from __future__ import annotations

from medsage.datasets._encoding import PathLike
from medsage.datasets._tabular import load_text_label
from medsage.datasets._types import TextDataset


def load_symptom2disease(path: PathLike) -> TextDataset:
    """Load `Symptom2Disease.csv` (columns `index,label,text`); ids come from `index`.

    The file holds exact duplicate texts: deduplicate before splitting. Its `index` column
    restarts at 0 every 300 rows, so ids are not unique across the file.
    """
    ds = load_text_label(path, text_col="text", label_col="label", id_col="index")
    return TextDataset(
        texts=ds.texts, labels=ds.labels, groups=None, name="symptom2disease", ids=ds.ids
    )
