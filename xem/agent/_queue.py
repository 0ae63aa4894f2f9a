"""The agent's dispatch queue: SQLite in WAL mode in the state directory.

* ``outbox``: every result/progress/manifest frame is stored here before it is sent and deleted
  only when the router acknowledges it; unacknowledged frames are resent (also after a restart).
  A mutating result is committed with ``synchronous=FULL`` (survives a power cut, not only a crash).
* ``inbox``: every dispatch received, by invocation id, so a resent dispatch is never run twice.
* ``kv``: small agent state (enrolled name, manifest hash and version, approved candidates).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

__all__ = ["Queue"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    frame_id TEXT PRIMARY KEY, kind TEXT NOT NULL, invocation_id TEXT, payload BLOB NOT NULL,
    created_at REAL NOT NULL, sent_at REAL);
CREATE TABLE IF NOT EXISTS inbox (
    invocation_id TEXT PRIMARY KEY, frame_id TEXT NOT NULL, payload BLOB NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('received', 'running', 'done', 'acked')), received_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Queue:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        existed = path.exists()
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        if not existed:
            path.chmod(0o600)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def _write(self, sql: str, args: tuple[Any, ...], *, full: bool = False) -> None:
        if full:
            self._db.execute("PRAGMA synchronous=FULL")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(sql, args)
            self._db.execute("COMMIT")
        finally:
            if full:
                self._db.execute("PRAGMA synchronous=NORMAL")

    # outbox
    def put(self, frame_id: uuid.UUID, kind: str, payload: bytes, *, invocation_id: uuid.UUID | None = None,
            durable: bool = False) -> None:
        """Store a frame before it is sent; ``durable`` (mutating results) commits with synchronous=FULL."""
        self._write("INSERT OR IGNORE INTO outbox (frame_id, kind, invocation_id, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                    (str(frame_id), kind, str(invocation_id) if invocation_id else None, payload, time.time()), full=durable)

    def mark_sent(self, frame_id: str) -> None:
        self._db.execute("UPDATE outbox SET sent_at = ? WHERE frame_id = ?", (time.time(), frame_id))

    def ack(self, frame_id: uuid.UUID) -> str | None:
        """Delete an acknowledged frame; returns the invocation id of an acknowledged result (else None)."""
        row = self._db.execute("SELECT kind, invocation_id FROM outbox WHERE frame_id = ?", (str(frame_id),)).fetchone()
        if row is None:
            return None
        self._db.execute("BEGIN IMMEDIATE")
        self._db.execute("DELETE FROM outbox WHERE frame_id = ?", (str(frame_id),))
        if row[0] == "result":
            self._db.execute("UPDATE inbox SET state = 'acked' WHERE invocation_id = ?", (row[1],))
        self._db.execute("COMMIT")
        return row[1] if row[0] == "result" else None

    def due(self, older_than_s: float) -> list[tuple[str, bytes]]:
        """Frames never sent, or sent more than ``older_than_s`` ago without an acknowledgement."""
        limit = time.time() - older_than_s
        return self._db.execute(
            "SELECT frame_id, payload FROM outbox WHERE sent_at IS NULL OR sent_at < ? ORDER BY created_at", (limit,)
        ).fetchall()

    def pending(self) -> list[tuple[str, str, bytes]]:
        return self._db.execute("SELECT frame_id, kind, payload FROM outbox ORDER BY created_at").fetchall()

    # inbox
    def receive(self, invocation_id: uuid.UUID, frame_id: uuid.UUID, payload: bytes) -> bool:
        """Record a dispatch; False if this invocation was received before (a resend: do not run it)."""
        cur = self._db.execute(
            "INSERT OR IGNORE INTO inbox (invocation_id, frame_id, payload, state, received_at) VALUES (?, ?, ?, 'received', ?)",
            (str(invocation_id), str(frame_id), payload, time.time()),
        )
        return cur.rowcount == 1

    def set_state(self, invocation_id: uuid.UUID, state: str) -> None:
        self._db.execute("UPDATE inbox SET state = ? WHERE invocation_id = ?", (state, str(invocation_id)))

    def finish(self, invocation_id: uuid.UUID, frame_id: uuid.UUID, payload: bytes, *, durable: bool) -> None:
        """Store the result frame and mark the invocation done in one transaction."""
        if durable:
            self._db.execute("PRAGMA synchronous=FULL")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT OR IGNORE INTO outbox (frame_id, kind, invocation_id, payload, created_at) "
                             "VALUES (?, 'result', ?, ?, ?)", (str(frame_id), str(invocation_id), payload, time.time()))
            self._db.execute("UPDATE inbox SET state = 'done' WHERE invocation_id = ?", (str(invocation_id),))
            self._db.execute("COMMIT")
        finally:
            if durable:
                self._db.execute("PRAGMA synchronous=NORMAL")

    def inbox(self, *states: str) -> list[tuple[str, bytes, str]]:
        marks = ",".join("?" * len(states))
        return self._db.execute(
            f"SELECT invocation_id, payload, state FROM inbox WHERE state IN ({marks}) ORDER BY received_at", states
        ).fetchall()

    def in_flight(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT invocation_id FROM inbox WHERE state <> 'acked'")]

    # kv
    def get(self, key: str) -> Any:
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set(self, key: str, value: Any) -> None:
        self._db.execute("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                         (key, json.dumps(value)))
