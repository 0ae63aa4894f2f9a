"""Helpers for ODM tests: call a tool and get its structured answer or its error text; fingerprint the data."""

from __future__ import annotations

from typing import Any

import asyncpg
from mcp import Client

__all__ = ["ToolFailed", "call", "data_fingerprint", "fails"]


class ToolFailed(AssertionError):
    pass


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """The tool's structured result; raises ToolFailed with the error text if it failed."""
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        raise ToolFailed(f"{tool} failed: {result.content[0].text}")
    return result.structured_content


async def fails(client: Client, tool: str, **arguments: Any) -> str:
    """The error text of a call that must fail."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool} succeeded unexpectedly: {result.structured_content}"
    return result.content[0].text


async def data_fingerprint(dsn: str) -> dict[str, str]:
    """A digest of every row of every table (sequences excluded): equal digests = nothing changed. The audit log
    is left out: it records attempts, refused ones too (that is its job)."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = [r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'audit_log' ORDER BY 1")]
        return {t: await conn.fetchval(f'SELECT md5(coalesce(string_agg(x::text, \'|\' ORDER BY x::text), \'\')) FROM "{t}" x')
                for t in tables}
    finally:
        await conn.close()
