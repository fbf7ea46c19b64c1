"""Synthetic notes for scale tests, recombined from sentences of real public notes and cases.

The sentence pool is read once from the shared data folder: English patient descriptions
(Symptom2Disease), English nursing notes with surrogate PHI (PhysioNet deid), and Chinese
paediatric self-reports (DXY). Each note draws a language, then 2 to 6 sentences of that
language; the notes are written one at a time, so memory stays flat for any count, and the same
seed gives the same file.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from medsage.errors import EmptyInputError, InvalidInputError, MissingFileError
from medsage.settings import get_settings

SOURCES = {
    "symptom2disease": "symptom2disease/Symptom2Disease.csv",
    "physionet": "en_deid_physionet_nursing",
    "dxy": "zh_dxy_diagnosis/dxy_dialog_data_dialog_v2.txt",
}
ZH_SHARE = 0.3  # share of Chinese notes
SENTENCES_PER_NOTE = (2, 6)
MIN_SENTENCE_CHARS = 8


@dataclass(frozen=True)
class SentencePool:
    """Sentences by language ("en", "zh"), in a fixed order."""

    en: tuple[str, ...]
    zh: tuple[str, ...]


def sentence_pool(data_dir: str | Path | None = None) -> SentencePool:
    """Read and split the source notes once (needs the shared data folder)."""
    from medsage.datasets import load_dxy, load_physionet_deid, load_symptom2disease
    from medsage.text import split_sentences

    root = Path(data_dir) if data_dir is not None else get_settings().data_dir
    if root is None or not root.is_dir():
        raise MissingFileError(
            f"the shared data folder {'is not set' if root is None else f'{root} does not exist'}"
            "; pass --data-dir or set MEDSAGE_DATA_DIR to the folder holding symptom2disease/, "
            "en_deid_physionet_nursing/ and zh_dxy_diagnosis/"
        )
    for rel in SOURCES.values():
        if not (root / rel).exists():
            raise MissingFileError(f"{root / rel} not found: the sentence pool needs it")
    en_texts = list(load_symptom2disease(root / SOURCES["symptom2disease"]).texts)
    en_texts += [note.text for note in load_physionet_deid(root / SOURCES["physionet"])]
    zh_texts = list(load_dxy(root / SOURCES["dxy"], "train").texts)

    def pieces(texts: list[str]) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for text in texts:
            # strip(): split_sentences fails on a note ending "70. \n" (text/_sentences.py)
            for sentence in split_sentences(text.strip()):
                sentence = " ".join(sentence.split())
                if len(sentence) >= MIN_SENTENCE_CHARS:
                    seen.setdefault(sentence)
        return tuple(seen)

    pool = SentencePool(en=pieces(en_texts), zh=pieces(zh_texts))
    if not pool.en or not pool.zh:
        raise EmptyInputError(f"no sentences found under {root}")
    return pool


def synthetic_notes(pool: SentencePool, count: int, *, seed: int = 0) -> Iterator[dict[str, str]]:
    """`count` notes {id, text, lang}, deterministic for `seed`."""
    if count < 0:
        raise InvalidInputError(f"count must be >= 0, got {count}")
    rng = random.Random(seed)
    width = max(7, len(str(count)))
    low, high = SENTENCES_PER_NOTE
    for i in range(count):
        lang = "zh" if rng.random() < ZH_SHARE else "en"
        source = pool.zh if lang == "zh" else pool.en
        picked = [source[rng.randrange(len(source))] for _ in range(rng.randint(low, high))]
        yield {
            "id": f"note-{i:0{width}d}",
            "text": ("" if lang == "zh" else " ").join(picked),
            "lang": lang,
        }


def generate_notes(
    out: str | Path,
    count: int,
    *,
    seed: int = 0,
    data_dir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write `count` synthetic notes as JSONL to `out` (a temporary file renamed at the end)."""
    target = Path(out)
    pool = sentence_pool(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.partial")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            for i, note in enumerate(synthetic_notes(pool, count, seed=seed), 1):
                handle.write(json.dumps(note, ensure_ascii=False) + "\n")
                if progress is not None and (i % 10_000 == 0 or i == count):
                    progress(i, count)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
