"""Small inputs the jobs tests share: notes with invented PHI and a tiny tf-idf classifier."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

NAMES = ("Mary Hughes", "John Rossi", "Ann Lee", "Peter Brown")
PHONES = ("617-555-0142", "212-555-0199", "415-555-0100")


def make_notes(n: int) -> list[dict[str, Any]]:
    """`n` notes {id, text}: demo-style sentences with names, dates and phone numbers."""
    notes = []
    for i in range(n):
        name, phone = NAMES[i % len(NAMES)], PHONES[i % len(PHONES)]
        text = (
            f"Pt {name} seen by Dr. Rossi on {1 + i % 12}/{1 + i % 28}/2024 for cough and "
            f"fever of {i % 5 + 2} days; call {phone}."
        )
        notes.append({"id": f"n{i:05d}", "text": text})
    return notes


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Part and errors files of a job folder by name (the manifest and _SUCCESS left out)."""
    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.name.startswith(("part-", "errors-"))
    }


@pytest.fixture(scope="session")
def demo_cases() -> list[dict[str, Any]]:
    text = resources.files("medsage.resources.demo").joinpath("cases.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, demo_cases: list[dict[str, Any]]) -> Path:
    """A tf-idf classifier trained on the demo cases (a second or two)."""
    from medsage.models import TextClassifier

    folder = tmp_path_factory.mktemp("model") / "tfidf"
    clf = TextClassifier("tfidf", calibrate=False).fit(
        [c["text"] for c in demo_cases], [c["label"] for c in demo_cases]
    )
    clf.save(folder)
    return folder
