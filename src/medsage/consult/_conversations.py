"""Conversation turns stored in a SQLite file, so a chat survives a restart.

Each turn keeps the user's message, the query that was searched (the topic anchor for
follow-ups and pushback) and the answer as JSON. Messages are personal data: the file lives
under `$MEDSAGE_HOME` and is never logged.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from medsage.errors import InvalidInputError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL,
    turn INTEGER NOT NULL,
    message TEXT NOT NULL,
    query TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (conversation_id, turn)
)
"""
# Who a conversation belongs to (the web service lets each user see only their own).
_OWNERS = """
CREATE TABLE IF NOT EXISTS owners (
    conversation_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Turn:
    turn: int
    message: str
    query: str
    answer: dict[str, Any]


class ConversationStore:
    """Turns per conversation id in one SQLite file (created on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)
            db.execute(_OWNERS)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    def history(self, conversation_id: str) -> list[Turn]:
        _check_id(conversation_id)
        with self._connect() as db:
            rows = db.execute(
                "SELECT turn, message, query, answer_json FROM turns "
                "WHERE conversation_id = ? ORDER BY turn",
                (conversation_id,),
            ).fetchall()
        return [Turn(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def append(self, conversation_id: str, message: str, query: str, answer: dict[str, Any]) -> int:
        """Store one turn in one transaction; returns its number (1 for the first)."""
        _check_id(conversation_id)
        with self._connect() as db:
            row = db.execute(
                "SELECT COALESCE(MAX(turn), 0) FROM turns WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()
            turn = int(row[0]) + 1
            db.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                (
                    conversation_id, turn, message, query,
                    json.dumps(answer, ensure_ascii=False),
                    datetime.now(UTC).isoformat(timespec="seconds"),
                ),
            )  # fmt: skip
        return turn

    def claim(self, conversation_id: str, owner: str) -> bool:
        """Give an unowned conversation to `owner`; True when `owner` now owns it."""
        _check_id(conversation_id)
        with self._connect() as db:
            db.execute("INSERT OR IGNORE INTO owners VALUES (?, ?)", (conversation_id, owner))
            row = db.execute(
                "SELECT owner FROM owners WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
        return bool(row and row[0] == owner)

    def owned_by(self, owner: str) -> list[dict[str, Any]]:
        """The conversations of `owner`: id, number of turns and the first message."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT o.conversation_id, COUNT(t.turn), MIN(t.created_at), "
                "(SELECT message FROM turns f WHERE f.conversation_id = o.conversation_id "
                "ORDER BY f.turn LIMIT 1) FROM owners o LEFT JOIN turns t "
                "ON t.conversation_id = o.conversation_id WHERE o.owner = ? "
                "GROUP BY o.conversation_id ORDER BY MIN(t.created_at) DESC",
                (owner,),
            ).fetchall()
        return [{"id": r[0], "turns": r[1], "started": r[2], "first_message": r[3]} for r in rows]


def _check_id(conversation_id: str) -> None:
    if not isinstance(conversation_id, str) or not (1 <= len(conversation_id) <= 64):
        raise InvalidInputError(
            f"conversation_id must be a string of 1-64 characters, got {conversation_id!r}"
        )
