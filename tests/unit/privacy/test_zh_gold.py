"""The Chinese development gold set and the look-alike table, through the default analyzer.

`deid_zh_gold.jsonl` (76 invented notes, 418 spans) is development data: the floors below are
the scores reached on it, rounded down, so a change that loses recall or precision fails here.
A separate held-out set measures how the rules generalise; it is not read by any test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsage.datasets import load_deid_jsonl
from medsage.privacy import evaluate_deid
from medsage.privacy._defaults import default_analyzer

DATA = Path(__file__).resolve().parents[2] / "data"
DEV_RECALL = 0.99  # measured 1.000 (was 0.876 before the record-start and kinship rules)
DEV_PRECISION = 0.99  # measured 0.993

# Look-alike lines still marked by the English recognizers (owned elsewhere): reason shown on
# failure so the owner sees why.
KNOWN_EN_FAILURES = {
    "CHA2DS2-VASc": "en_name_dictionary takes 'CHA' (a census surname) from the score name",
    "cardiology clinic": "en_facility takes a generic 'cardiology clinic' as a FACILITY",
}


def test_when_zh_dev_gold_scored_then_recall_and_precision_hold() -> None:
    notes = load_deid_jsonl(DATA / "deid_zh_gold.jsonl")
    analyzer = default_analyzer()
    result = evaluate_deid(notes, analyzer.analyze)
    missed = [(m.note, m.type, m.text) for m in result.missed]
    assert result.span_recall >= DEV_RECALL, missed
    assert result.span_precision >= DEV_PRECISION, result.false_positives


def _lookalikes() -> list[dict[str, str]]:
    lines = (DATA / "deid_lookalikes.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("row", _lookalikes(), ids=lambda r: r["text"][:24])
def test_when_lookalike_line_then_no_span(row: dict[str, str]) -> None:
    text = row["text"]
    spans = default_analyzer().analyze(text)
    found = [(text[s.start : s.end], s.type, s.recognizer) for s in spans]
    reason = next((why for key, why in KNOWN_EN_FAILURES.items() if key in text), "")
    assert found == [], f"{row.get('lang')} {row.get('kind')}: {found} {reason}".strip()
