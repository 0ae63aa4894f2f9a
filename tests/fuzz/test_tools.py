"""Every tool of every server, in every toolset, fuzzed through a real MCP client on a real database.

For each tool listed by ``tools/list`` (so tools added later are covered without new test code), hypothesis
draws arguments that follow its input schema and arguments that break it (wrong types, huge and odd
strings, NUL bytes, SQL and shell fragments, path traversal, deep nesting, unknown names). Every answer
must be a success, a ``[code]`` tool error with a known code other than ``internal``, or a JSON-RPC
invalid-params error; no answer may show a traceback, SQL, a DSN or a key. Afterwards the databases must
still hold what the suite promises (``CONSISTENCY``).

``pytest tests/fuzz --long`` draws many more examples (``XIOPRO_FUZZ_EXAMPLES`` sets the number).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import anyio
import anyio.from_thread
import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.shared.exceptions import MCPError

from servers import bus, odm, xem
from servers.kernel.errors import CODES
from tests.conftest import connect_client
from tests.fuzz.strategies import arguments, hostile_arguments

SPECS = {"bus": bus.SPEC, "odm": odm.SPEC, "xem": xem.SPEC}
_CODED = re.compile(r"^\[([a-z_]+)\] \S")
_LEAKS = re.compile(
    r"Traceback \(most recent|File \"/|asyncpg\.|syntax error at or near|duplicate key value violates|violates (foreign key|"
    r"check|unique|not-null) constraint|relation \"|pg_catalog|postgresql://|xio_[0-9a-f]{12}_|password authentication",
)

# What must hold in each database after any sequence of calls, whatever they were.
CONSISTENCY: dict[str, dict[str, str]] = {
    "odm": {
        "ticket numbers are gapless from 1001": """
            SELECT count(*) FROM (SELECT id::int AS n, row_number() OVER (ORDER BY id) AS i
                                  FROM tickets WHERE id ~ '^[0-9]{4}$' AND seq IS NOT NULL AND id::int >= 1001) t
            WHERE n <> 1000 + i""",
        "no two live claims share a fencing token": """
            SELECT count(*) FROM (SELECT claim_token FROM tasks WHERE claimed_by IS NOT NULL
                                  GROUP BY claim_token HAVING count(*) > 1) t""",
        "a claim always has its holder, token and expiry together": """
            SELECT count(*) FROM tasks
            WHERE (claimed_by IS NULL) <> (claim_expires_at IS NULL) OR (claimed_by IS NOT NULL AND claim_token IS NULL)""",
    },
    "bus": {
        "no linked object has two open todos": """
            SELECT count(*) FROM (SELECT 1 FROM user_todos WHERE status IN ('open', 'in_progress') AND linked_id IS NOT NULL
                                  GROUP BY linked_type, linked_id HAVING count(*) > 1) t""",
        "a lease has one holder and a token": "SELECT count(*) FROM leases WHERE holder IS NULL OR token IS NULL",
    },
}


def examples() -> int:
    return int(os.environ.get("XIOPRO_FUZZ_EXAMPLES", "0")) or 6


def check_answer(tool: str, outcome: Any, dsn_texts: list[str]) -> None:
    if isinstance(outcome, MCPError):
        assert outcome.error.code in (-32602, -32600), f"{tool}: protocol error {outcome.error.code} {outcome.error.message}"
        text = outcome.error.message
    else:
        text = " ".join(getattr(c, "text", "") for c in outcome.content)
        if outcome.is_error:
            match = _CODED.match(text)
            assert match and match[1] in CODES, f"{tool}: an error without a [code]: {text[:300]!r}"
            assert match[1] != "internal", f"{tool}: [internal] for some input: {text[:300]!r}"
        text += json.dumps(outcome.structured_content, default=str) if outcome.structured_content else ""
    leak = _LEAKS.search(text)
    assert leak is None, f"{tool}: the answer shows {leak[0]!r}: {text[:400]!r}"
    assert not any(d in text for d in dsn_texts), f"{tool}: the answer shows a DSN"


async def _seed(server: str, client: Client) -> tuple[str, ...]:
    """Some real objects, so that fuzzed ids sometimes name something that exists."""
    if server == "odm":
        project = (await client.call_tool("create_project", {"name": "fuzz"})).structured_content["id"]
        ticket = (await client.call_tool("create_ticket", {"project_id": project, "title": "t"})).structured_content["id"]
        task = (await client.call_tool("create_task", {"ticket_id": ticket, "title": "a", "objective": "o"})).structured_content
        await client.call_tool("next_task", {"agent_id": "101"})
        return (project, ticket, task["id"], "101", "user-1", "ready", "execute", "active")
    if server == "bus":
        for agent in ("001", "002"):
            await client.call_tool("register_agent", {"agent_id": agent, "role": "worker"})
        return ("001", "002", "go", "role:worker", "*", "alerts")
    return ("xem-a", "ws")


@pytest.mark.parametrize("server", sorted(SPECS))
async def test_every_tool_answers_any_input_with_a_result_or_a_coded_error_and_leaks_nothing(server, suite_settings):
    spec = SPECS[server]
    dsn_texts = [suite_settings.bus_dsn, suite_settings.odm_dsn]
    async with connect_client(spec, suite_settings, toolsets="all") as client:
        pool = await _seed(server, client)
        tools = (await client.list_tools()).tools
        assert tools, "tools/list is empty"
        calls = {"n": 0}

        async def call(name: str, args: dict[str, Any]) -> Any:
            calls["n"] += 1
            try:
                with anyio.fail_after(30):
                    return await client.call_tool(name, args)
            except MCPError as exc:
                return exc

        def fuzz_tool(name: str, schema: dict[str, Any]) -> None:
            @settings(max_examples=examples(), deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(args=st.one_of(arguments(schema, pool), hostile_arguments(schema)))
            def one(args: dict[str, Any]) -> None:
                check_answer(name, anyio.from_thread.run(call, name, args), dsn_texts)

            one()

        def fuzz() -> None:
            for tool in tools:
                fuzz_tool(tool.name, tool.input_schema)

        await anyio.to_thread.run_sync(fuzz)
        assert calls["n"] >= len(tools) * examples(), f"only {calls['n']} calls for {len(tools)} tools"
    for database, checks in CONSISTENCY.items():
        if database != spec.database:
            continue
        conn = await asyncpg.connect(suite_settings.dsn_for(database))
        try:
            broken = {name: n for name, sql in checks.items() if (n := await conn.fetchval(sql))}
        finally:
            await conn.close()
        assert broken == {}, f"{database} database inconsistent after fuzzing: {broken}"
