"""Idempotency keys: the first request with a key owns it; a replay finds the object it created."""

from __future__ import annotations

from odm.errors import IdempotencyMismatch
from odm.store._base import Store

__all__ = ["IdempotencyStore"]


class IdempotencyStore(Store):
    async def begin(self, scope: str, key: str, fingerprint: str) -> str | None:
        """None if this request owns ``key`` now (create, then ``bind``); else the id created earlier.

        A concurrent request with the same key waits here until the first one commits or rolls back.

        Raises:
            IdempotencyMismatch: the key was used with different content.
        """
        inserted = await self.conn.fetchval(
            """INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)
               ON CONFLICT DO NOTHING RETURNING true""",
            scope, key, fingerprint,
        )
        if inserted:
            return None
        row = await self.conn.fetchrow(
            "SELECT request_hash, object_id FROM idempotency_keys WHERE scope = $1 AND key = $2", scope, key
        )
        if row["request_hash"] != fingerprint:
            raise IdempotencyMismatch(
                f"idempotency_key {key!r} was already used for a different {scope.removeprefix('create_')}; "
                "use a new key for a new object, or resend the original content"
            )
        return row["object_id"]

    async def bind(self, scope: str, key: str, object_id: str) -> None:
        await self.conn.execute(
            "UPDATE idempotency_keys SET object_id = $3 WHERE scope = $1 AND key = $2", scope, key, object_id
        )
