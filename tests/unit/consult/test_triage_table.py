"""Triage of patients' and carers' messages: every emergency of the tables gets the emergency level.

Four tables, each written by an author independent of the rules (field "emergency" is the label):
tests/data/consult/triage_messages.jsonl (46 emergencies, 46 ordinary questions, en + zh);
tests/data/consult/triage_heldout.jsonl (40 and 40; held out for round 1 of the rules, measured
once with 13 emergencies missed, then used for round 2); tests/data/consult/triage_heldout2.jsonl
(50 and 50; held out for round 2, measured once with 17 emergencies missed and 1 ordinary message
flagged, then used for round 3); tests/data/consult/triage_heldout3.jsonl (50 and 50; held out
for round 3, measured once with 13 emergencies missed and 2 ordinary messages flagged, then used
for round 4). Issue 8 asks that every emergency gets the emergency answer and ordinary questions
do not, so the counts are exact, and a failure lists every message that was misjudged.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsage.diagnosis import triage

TABLES = Path(__file__).parents[2] / "data" / "consult"
# table file -> (emergencies, ordinary messages) it holds
SIZES = {
    "triage_messages.jsonl": (46, 46),
    "triage_heldout.jsonl": (40, 40),
    "triage_heldout2.jsonl": (50, 50),
    "triage_heldout3.jsonl": (50, 50),
}


def _rows(table: str) -> list[dict[str, object]]:
    with (TABLES / table).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _misjudged(table: str, emergency: bool) -> list[str]:
    wrong = []
    for row in _rows(table):
        if row["emergency"] is not emergency:
            continue
        result = triage(str(row["text"]))
        if (result.level == "emergency") is not emergency:
            rules = ",".join(flag.rule_id for flag in result.rules) or "-"
            wrong.append(f"{row['id']} [{result.level}; {rules}] {row['text']}")
    return wrong


@pytest.mark.parametrize("table", sorted(SIZES))
def test_when_a_table_is_read_then_it_holds_its_emergencies_and_ordinary_messages(
    table: str,
) -> None:
    rows = _rows(table)
    counts = (
        sum(r["emergency"] is True for r in rows),
        sum(r["emergency"] is False for r in rows),
    )
    assert counts == SIZES[table]
    assert {r["lang"] for r in rows} == {"en", "zh"}


@pytest.mark.parametrize("table", sorted(SIZES))
def test_when_an_emergency_message_is_triaged_then_every_one_is_emergency(table: str) -> None:
    missed = _misjudged(table, emergency=True)
    assert missed == [], f"{len(missed)} emergencies not triaged emergency:\n" + "\n".join(missed)


@pytest.mark.parametrize("table", sorted(SIZES))
def test_when_an_ordinary_message_is_triaged_then_none_is_emergency(table: str) -> None:
    flagged = _misjudged(table, emergency=False)
    assert flagged == [], f"{len(flagged)} ordinary messages triaged emergency:\n" + "\n".join(
        flagged
    )


def test_when_the_untouched_fifth_table_is_triaged_then_the_measured_misses_are_as_recorded() -> (
    None
):
    """triage_heldout4.jsonl was written after round 3 by an author who never saw the rules or
    the other tables, and never used to change them: it measures the rules on wording they have
    not seen. Round 3 caught 39 of its 50 emergencies (1 of 50 ordinary messages flagged);
    round 4 catches 41 (1 flagged). Update these numbers, and benchmarks/README.md, when the
    rules change; do not fit the rules to this table."""
    rows = _rows("triage_heldout4.jsonl")
    assert (sum(r["emergency"] is True for r in rows), len(rows)) == (50, 100)
    assert {r["lang"] for r in rows} == {"en", "zh"}
    assert (len(_misjudged("triage_heldout4.jsonl", emergency=True)),
            len(_misjudged("triage_heldout4.jsonl", emergency=False))) == (9, 1)  # fmt: skip
