"""A knowledge base built once from the curated demo knowledge (both languages)."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsage.consult import Consultant, KnowledgeBase, curated_documents


@pytest.fixture(scope="session")
def demo_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    kb = KnowledgeBase(tmp_path_factory.mktemp("kb"))
    kb.add(curated_documents())
    return kb


@pytest.fixture
def consultant(demo_kb: KnowledgeBase, tmp_path: Path) -> Consultant:
    return Consultant(demo_kb, conversations=tmp_path / "conversations.sqlite3")
