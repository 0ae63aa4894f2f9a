"""Failed tool calls read `[code] message` with a next step, and never leak internals (both eras)."""

from __future__ import annotations

import logging
from typing import Literal

import asyncpg
import pytest
from mcp.shared.exceptions import MCPError

from servers import bus, odm
from servers.app import ServerSpec, ToolGroup, ToolRegistry
from servers.kernel.errors import NotFound
from tests.conftest import connect_client

tools = ToolGroup()
_flags = dict(read_only=True, destructive=False, idempotent=True, open_world=False)


class DomainRefusal(Exception):
    """A package's own exception: any exception with a known ``code`` is shown as-is."""

    code = "invalid_transition"


@tools.tool(title="Raise a coded error", **_flags)
async def refuse(kind: Literal["suite", "domain"]) -> str:
    """Fail with a coded error."""
    if kind == "suite":
        raise NotFound("task 1001.01 does not exist; call search to find it")
    raise DomainRefusal("task 1001.02 cannot go from create.draft to complete.completed; allowed next: plan.draft")


@tools.tool(title="Crash", **_flags)
async def crash() -> str:
    """Fail with an unexpected exception whose text must stay on the server."""
    raise RuntimeError("SELECT secret FROM credentials WHERE dsn='postgresql://app:hunter2@db/odm'")


@tools.tool(title="Lose the database", **_flags)
async def lose_database() -> str:
    """Fail as if PostgreSQL went away mid-call."""
    raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation")


@tools.tool(title="Typed arguments", **_flags)
async def typed(count: int, priority: Literal["low", "normal", "high"] = "normal") -> str:
    """Accept typed arguments."""
    return f"{count}:{priority}"


SPEC = ServerSpec(
    program="probe-mcp", name="xiopro-probe", title="probe", database="bus", schema="public",
    instructions="probe", tools=ToolRegistry({"default": "error probes"}, [tools]), default_port=0,
)


# Clients are opened inside each test: an async fixture that yields inside the client's task group
# would be torn down in another task than the one that entered it.


def text_of(result) -> str:
    assert result.is_error
    return result.content[0].text


async def test_coded_errors_reach_the_client_verbatim_with_their_code(suite_settings, era):
    async with connect_client(SPEC, suite_settings, mode=era) as client:
        assert text_of(await client.call_tool("refuse", {"kind": "suite"})) == (
            "[not_found] task 1001.01 does not exist; call search to find it"
        )
        assert text_of(await client.call_tool("refuse", {"kind": "domain"})).startswith(
            "[invalid_transition] task 1001.02 cannot go from create.draft"
        )


async def test_unexpected_exception_is_internal_with_a_reference_and_no_detail(suite_settings, era, caplog):
    async with connect_client(SPEC, suite_settings, mode=era) as client:
        with caplog.at_level(logging.ERROR, logger="xiopro.errors"):
            text = text_of(await client.call_tool("crash", {}))
        assert text.startswith("[internal] tool crash failed unexpectedly (ref ")
        assert "SELECT" not in text and "hunter2" not in text and "Traceback" not in text
        ref = text.split("(ref ")[1][:6]
        assert any(ref in record.getMessage() for record in caplog.records), "the log must carry the same reference"


async def test_lost_database_connection_is_unavailable_with_a_retry_hint(suite_settings, era):
    async with connect_client(SPEC, suite_settings, mode=era) as client:
        assert text_of(await client.call_tool("lose_database", {})).startswith("[unavailable] ")


async def test_wrong_argument_types_name_the_argument_without_echoing_values(suite_settings, era):
    async with connect_client(SPEC, suite_settings, mode=era) as client:
        text = text_of(await client.call_tool("typed", {"count": "many", "priority": "urgent"}))
        assert text.startswith("[invalid_argument] typed: ")
        assert "count:" in text and "priority:" in text
        assert "many" not in text and "urgent" not in text.split("priority:")[0]
        assert text.endswith("fix the arguments and call again")


async def test_missing_and_unknown_arguments_are_invalid_argument(suite_settings, era):
    async with connect_client(SPEC, suite_settings, mode=era) as client:
        text = text_of(await client.call_tool("typed", {}))
        assert "count: is required" in text
        text = text_of(await client.call_tool("typed", {"count": 1, "priorty": "high"}))
        assert text.startswith("[invalid_argument] typed: priorty is not an argument of this tool")
        assert "count, priority" in text


async def test_an_unknown_tool_is_a_protocol_error_invalid_params_pointing_at_tools_list(suite_settings, era):
    async with connect_client(SPEC, suite_settings, mode=era) as client:
        with pytest.raises(MCPError) as caught:
            await client.call_tool("no_such_tool", {})
    assert caught.value.error.code == -32602
    assert "no tool named 'no_such_tool'" in caught.value.error.message and "tools/list" in caught.value.error.message


@pytest.mark.parametrize("spec", [bus.SPEC, odm.SPEC], ids=["bus", "odm"])
async def test_real_servers_answer_an_unknown_tool_and_an_unknown_prompt_with_invalid_params(suite_settings, era, spec):
    async with connect_client(spec, suite_settings, mode=era) as client:
        with pytest.raises(MCPError) as tool:
            await client.call_tool("delete_everything", {})
        with pytest.raises(MCPError) as prompt:
            await client.get_prompt("no_such_prompt", {})
    assert tool.value.error.code == prompt.value.error.code == -32602
    assert "prompts/list" in prompt.value.error.message


async def test_a_nul_character_in_any_string_argument_is_invalid_argument_naming_where(suite_settings, era):
    async with connect_client(SPEC, suite_settings, mode=era) as client:
        text = text_of(await client.call_tool("refuse", {"kind": "su\u0000ite"}))
        assert text.startswith("[invalid_argument] refuse: kind: must not contain NUL characters")


async def test_a_nul_character_deep_in_a_real_tool_is_refused_before_the_database_sees_it(suite_settings):
    from servers import odm

    async with connect_client(odm.SPEC, suite_settings) as client:
        text = text_of(await client.call_tool("create_project", {"name": "a\u0000b"}))
        assert text.startswith("[invalid_argument] create_project: name: must not contain NUL")
        text = text_of(await client.call_tool("search", {"query": "x", "kinds": ["task", "id\u0000ea"]}))
        assert text.startswith("[invalid_argument] search: kinds[1]: must not contain NUL")
