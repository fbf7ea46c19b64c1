"""Gold-standard loaders (the real PhysioNet corpus, MedSage JSONL) and the scorer."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from medsage.datasets import GoldNote, load_deid_jsonl, load_physionet_deid
from medsage.errors import DataFormatError, MissingFileError
from medsage.privacy import PHYSIONET_TYPES, PhiSpan, evaluate_deid, physionet_split


def test_when_physionet_loaded_then_all_notes_and_spans_match_their_text(
    shared_data: Path,
) -> None:
    notes = load_physionet_deid(shared_data / "en_deid_physionet_nursing")
    assert len(notes) == 2434
    assert sum(len(n.spans) for n in notes) == 1779
    assert len({n.patient_id for n in notes}) == 163
    types = Counter(t for n in notes for _, _, t in n.spans)
    assert types["HCPName"] == 593 and types["PTName"] == 54 and types["Location"] == 367
    first = notes[0]
    assert first.id == "1-1"
    assert first.text[48:55] == "CALVERT"
    # trailing blanks of five gold spans are trimmed
    assert all(not n.text[e - 1].isspace() for n in notes for _, e, _ in n.spans)


def test_when_physionet_split_then_patients_divide_by_parity(shared_data: Path) -> None:
    notes = load_physionet_deid(shared_data / "en_deid_physionet_nursing")
    dev, test = physionet_split(notes, "dev"), physionet_split(notes, "test")
    assert (len(dev), len(test)) == (1450, 984)
    assert {n.patient_id for n in dev}.isdisjoint({n.patient_id for n in test})
    assert sum(len(n.spans) for n in test) == 780


def test_when_physionet_folder_missing_then_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match=r"id\.text not found"):
        load_physionet_deid(tmp_path)


def test_when_jsonl_span_outside_text_then_line_named(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    row = {"id": "a", "text": "abc", "spans": [{"start": 1, "end": 9, "type": "NAME"}]}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"gold.jsonl:1: span 1-9 outside the text"):
        load_deid_jsonl(path)


def test_when_scored_then_span_and_token_numbers_are_exact() -> None:
    text = "John Smith saw Ann on 3/4 in Boston"
    #       0    5    10   15   20   25   30
    gold = GoldNote(
        "n1", "p1", text,
        ((0, 10, "NAME"), (15, 18, "NAME"), (22, 25, "DATE"), (29, 35, "ADDRESS")),
    )  # fmt: skip
    predicted = [
        PhiSpan(0, 4, "NAME", 0.9, "r"),  # "John": Smith leaks -> gold span 1 missed
        PhiSpan(15, 18, "NAME", 0.9, "r"),  # Ann
        PhiSpan(22, 25, "PHONE", 0.9, "r"),  # caught, but typed wrong
        PhiSpan(11, 14, "NAME", 0.9, "r"),  # "saw": a false positive
    ]
    result = evaluate_deid([gold], lambda _t: predicted)
    assert result.span_recall == 2 / 4
    assert result.span_precision == 3 / 4
    assert result.recall_by_type["NAME"] == {"n": 2, "recall": 0.5, "typed_recall": 0.5}
    assert result.recall_by_type["DATE"] == {"n": 1, "recall": 1.0, "typed_recall": 0.0}
    assert [m.text for m in result.missed] == ["John Smith", "Boston"]
    assert result.false_positives == [("saw", 1)]
    # tokens: John Smith saw Ann on 3 4 in Boston -> gold 6 (John Smith Ann 3 4 Boston)
    assert result.token_recall == 4 / 6
    assert result.token_precision == 4 / 5


def test_when_physionet_type_map_then_location_accepts_facility() -> None:
    text = "at GH today"
    gold = GoldNote("n", "1", text, ((3, 5, "Location"),))
    result = evaluate_deid(
        [gold], lambda _t: [PhiSpan(3, 5, "FACILITY", 0.9, "r")], type_map=PHYSIONET_TYPES
    )
    assert result.recall_by_type["Location"]["typed_recall"] == 1.0
