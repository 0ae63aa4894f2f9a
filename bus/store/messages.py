"""messages and message_deliveries: send, inbox pages, acknowledgements, threads, receipts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import asyncpg

from bus.domain.messages import BODY_PREVIEW
from bus.store.changes import notify_sql

__all__ = ["InboxPage", "MessageStore"]

_ITEM = f"""
    m.id, m.thread_id, m.from_agent, m.subject, left(m.body, {BODY_PREVIEW}) AS body,
    length(m.body) > {BODY_PREVIEW} AS body_truncated, m.importance, m.ack_required, m.created_at,
    d.acked_at IS NOT NULL AS acked,
    (m.ack_required AND d.acked_at IS NULL AND m.created_at < now() - make_interval(secs => $2)) AS ack_overdue
"""


class InboxPage(NamedTuple):
    unread_total: int  # deliveries not yet acknowledged
    rows: list[asyncpg.Record]  # the page asked for


class MessageStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def thread_of(self, message_id: int) -> int | None:
        return await self.conn.fetchval("SELECT thread_id FROM messages WHERE id = $1", message_id)

    async def insert(
        self,
        from_agent: str,
        addressed_to: Sequence[str],
        recipients: Sequence[str],
        subject: str,
        body: str,
        importance: str,
        ack_required: bool,
        thread_id: int | None,
        notices: Sequence[str] = (),
    ) -> asyncpg.Record | None:
        """Insert the message, one delivery per recipient and the change ``notices``, in one statement, if
        the sender, every recipient and ``thread_id`` (any message of the thread) exist; else write nothing
        and return None. A new thread is rooted at the message."""
        return await self.conn.fetchrow(
            f"""
            WITH ok AS (
                SELECT NOT EXISTS (SELECT 1 FROM unnest($2::text || $8::text[]) AS a(id)
                                   WHERE NOT EXISTS (SELECT 1 FROM agent_registry r WHERE r.id = a.id))
                       AND ($1::bigint IS NULL OR EXISTS (SELECT 1 FROM messages WHERE id = $1)) AS ok
            ),
            new AS (SELECT nextval(pg_get_serial_sequence('public.messages', 'id')) AS id FROM ok WHERE ok.ok),
            message AS (
                INSERT INTO messages (id, thread_id, from_agent, addressed_to, subject, body, importance, ack_required)
                SELECT new.id, coalesce((SELECT thread_id FROM messages WHERE id = $1), new.id), $2, $3, $4, $5, $6, $7
                FROM new
                RETURNING id, thread_id, created_at
            ),
            deliveries AS (
                INSERT INTO message_deliveries (agent_id, message_id)
                SELECT r, message.id FROM message, unnest($8::text[]) AS r
            ),
            notified AS ({notify_sql("$9::text[]")} WHERE EXISTS (SELECT 1 FROM message))
            -- a SELECT CTE runs only when referenced, as below
            SELECT id, thread_id, created_at FROM message WHERE (SELECT count(*) FROM notified) >= 0
            """,
            thread_id, from_agent, list(addressed_to), subject, body, importance, ack_required, list(recipients),
            sorted(set(notices)),
        )

    async def inbox(
        self,
        agent_id: str,
        *,
        overdue_after_s: float,
        unread_only: bool,
        since: datetime | None,
        after_id: int | None,
        limit: int,
        mark_read: bool = True,
    ) -> InboxPage | None:
        """A page of the inbox, oldest first, with the unacknowledged total; marks the page read (first
        fetch) unless told not to. One statement; None if ``agent_id`` is not registered."""
        marking = """,
            marked AS (
                UPDATE message_deliveries SET read_at = now()
                WHERE agent_id = $1 AND message_id IN (SELECT id FROM page) AND read_at IS NULL
            )""" if mark_read else ""
        rows = await self.conn.fetch(
            f"""
            WITH agent AS (
                SELECT (SELECT count(*) FROM message_deliveries WHERE agent_id = $1 AND acked_at IS NULL) AS unread_total
                FROM agent_registry WHERE id = $1
            ),
            page AS (
                SELECT {_ITEM}
                FROM message_deliveries d JOIN messages m ON m.id = d.message_id
                WHERE d.agent_id = $1
                  AND (NOT $3::boolean OR d.acked_at IS NULL)
                  AND ($4::timestamptz IS NULL OR m.created_at > $4)
                  AND ($5::bigint IS NULL OR d.message_id > $5)
                ORDER BY d.message_id
                LIMIT $6
            ){marking}
            SELECT agent.unread_total, page.* FROM agent LEFT JOIN page ON true ORDER BY page.id
            """,
            agent_id, overdue_after_s, unread_only, since, after_id, limit,
        )
        if not rows:
            return None
        return InboxPage(rows[0]["unread_total"], [r for r in rows if r["id"] is not None])

    async def unread_count(self, agent_id: str) -> int:
        return await self.conn.fetchval(
            "SELECT count(*) FROM message_deliveries WHERE agent_id = $1 AND acked_at IS NULL", agent_id
        )

    async def deliveries(self, agent_id: str, message_ids: Sequence[int]) -> dict[int, bool]:
        """message id -> already acknowledged, for the ids delivered to ``agent_id``."""
        rows = await self.conn.fetch(
            "SELECT message_id, acked_at IS NOT NULL AS acked FROM message_deliveries "
            "WHERE agent_id = $1 AND message_id = ANY($2::bigint[]) ORDER BY message_id",
            agent_id, list(message_ids),
        )
        return {r["message_id"]: r["acked"] for r in rows}

    async def ack(self, agent_id: str, message_ids: Sequence[int]) -> list[int]:
        """Acknowledge the (distinct) ``message_ids`` if every one was delivered to ``agent_id``, else
        none; answers the ids this call acknowledged (not those acknowledged before)."""
        rows = await self.conn.fetch(
            """
            UPDATE message_deliveries SET acked_at = now(), read_at = coalesce(read_at, now())
            WHERE agent_id = $1 AND message_id = ANY($2::bigint[]) AND acked_at IS NULL
              AND (SELECT count(*) FROM message_deliveries WHERE agent_id = $1 AND message_id = ANY($2::bigint[]))
                  = cardinality($2::bigint[])
            RETURNING message_id
            """,
            agent_id, list(message_ids),
        )
        return sorted(r["message_id"] for r in rows)

    async def get(self, message_id: int) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT id, thread_id, from_agent, addressed_to, subject, body, importance, ack_required, created_at "
            "FROM messages WHERE id = $1",
            message_id,
        )

    async def receipts(self, message_id: int, overdue_after_s: float) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """
            SELECT d.agent_id, d.read_at, d.acked_at,
                   (m.ack_required AND d.acked_at IS NULL AND m.created_at < now() - make_interval(secs => $2)) AS ack_overdue
            FROM message_deliveries d JOIN messages m ON m.id = d.message_id
            WHERE d.message_id = $1 ORDER BY d.agent_id
            """,
            message_id, overdue_after_s,
        )

    async def thread(self, thread_id: int, after_id: int | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"""
            SELECT id, from_agent, addressed_to, subject, left(body, {BODY_PREVIEW}) AS body,
                   length(body) > {BODY_PREVIEW} AS body_truncated, importance, ack_required, created_at
            FROM messages WHERE thread_id = $1 AND ($2::bigint IS NULL OR id > $2) ORDER BY id LIMIT $3
            """,
            thread_id, after_id, limit,
        )

    async def overdue(
        self, overdue_after_s: float, from_agent: str | None, to_agent: str | None, after: tuple[int, str] | None, limit: int
    ) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """
            SELECT m.id AS message_id, d.agent_id, m.from_agent, m.subject, m.created_at,
                   extract(epoch FROM now() - m.created_at) - $1 AS overdue_by_s
            FROM messages m JOIN message_deliveries d ON d.message_id = m.id
            WHERE m.ack_required AND d.acked_at IS NULL AND m.created_at < now() - make_interval(secs => $1)
              AND ($2::text IS NULL OR m.from_agent = $2) AND ($3::text IS NULL OR d.agent_id = $3)
              AND ($4::bigint IS NULL OR (m.id, d.agent_id) > ($4, $5::text))
            ORDER BY m.id, d.agent_id LIMIT $6
            """,
            overdue_after_s, from_agent, to_agent, after[0] if after else None, after[1] if after else None, limit,
        )
