"""De-identification gold standards: the PhysioNet nursing-note corpus and MedSage JSONL sets.

Both load into `GoldNote`s: a note's text and its annotated PHI spans (start, end, type).

PhysioNet (Neamatullah et al. 2008; `id.text` + `id-phi.phrase`): records are
``START_OF_RECORD=P||||N||||`` + newline + text + ``||||END_OF_RECORD``; each phrase line is
``P N start end type words...`` with offsets into the text after the header's newline. Five
gold spans end on a trailing blank; they are trimmed.

JSONL: one note per line, ``{"id", "patient_id", "text", "spans": [{"start", "end", "type"}]}``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from medsage.datasets._encoding import read_text_file
from medsage.errors import DataFormatError, EmptyInputError, MissingFileError

_RECORD = re.compile(
    r"START_OF_RECORD=(\d+)\|\|\|\|(\d+)\|\|\|\|\n(.*?)\|\|\|\|END_OF_RECORD", re.S
)


@dataclass(frozen=True)
class GoldNote:
    """One annotated note. `spans` are (start, end, type) with `text[start:end]` the PHI."""

    id: str
    patient_id: str
    text: str
    spans: tuple[tuple[int, int, str], ...]


def load_physionet_deid(folder: str | Path) -> list[GoldNote]:
    """The PhysioNet deid gold standard (2,434 nursing notes, 1,779 PHI spans)."""
    root = Path(folder)
    text_file, phrase_file = root / "id.text", root / "id-phi.phrase"
    for f in (text_file, phrase_file):
        if not f.is_file():
            raise MissingFileError(f"{f} not found: expected the PhysioNet deid files in {root}")
    notes = {
        (p, n): body for p, n, body in _RECORD.findall(read_text_file(text_file))
    }  # fmt: skip
    if not notes:
        raise DataFormatError(f"{text_file}: no START_OF_RECORD ... END_OF_RECORD records")
    spans: dict[tuple[str, str], list[tuple[int, int, str]]] = {key: [] for key in notes}
    for number, line in enumerate(read_text_file(phrase_file).splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 5 or not (fields[2].isdigit() and fields[3].isdigit()):
            raise DataFormatError(f"{phrase_file}:{number}: expected 'rec note start end type'")
        key = (fields[0], fields[1])
        if key not in notes:
            raise DataFormatError(f"{phrase_file}:{number}: no record {key[0]} note {key[1]}")
        start, end = int(fields[2]), int(fields[3])
        body = notes[key]
        while end > start and body[end - 1].isspace():
            end -= 1
        spans[key].append((start, end, fields[4]))
    return [
        GoldNote(f"{p}-{n}", p, body, tuple(sorted(spans[(p, n)])))
        for (p, n), body in notes.items()
    ]


def load_deid_jsonl(path: str | Path) -> list[GoldNote]:
    """A MedSage JSONL gold set; checks every span against its text."""
    source = Path(path)
    if not source.is_file():
        raise MissingFileError(f"{source} not found")
    out: list[GoldNote] = []
    for number, line in enumerate(read_text_file(source).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text = row["text"]
            spans = tuple(
                sorted((int(s["start"]), int(s["end"]), str(s["type"])) for s in row["spans"])
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise DataFormatError(
                f"{source}:{number}: expected a JSON object with text and spans "
                f"[{{start, end, type}}] ({exc})"
            ) from None
        for start, end, _ in spans:
            if not 0 <= start < end <= len(text):
                raise DataFormatError(f"{source}:{number}: span {start}-{end} outside the text")
        out.append(
            GoldNote(str(row.get("id", number)), str(row.get("patient_id", "")), text, spans)
        )
    if not out:
        raise EmptyInputError(f"{source} holds no notes")
    return out
