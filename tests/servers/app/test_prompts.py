"""Prompt templates from files become MCP prompts with their arguments and server-provided values."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.server import MCPServer

from servers.app.prompts import install_prompt, load_prompt

TEMPLATE = '''+++
name = "greet"
title = "Greet"
description = "Greet an agent by id."
[[arguments]]
name = "agent_id"
description = "who"
required = true
+++
Hello ${agent_id}; open todos: ${open_todos}. Costs $$0.
'''


@pytest.fixture
def prompt_dir(tmp_path):
    (tmp_path / "greet.md").write_text(TEMPLATE)
    return tmp_path


async def test_prompt_file_is_served_with_arguments_and_provider_values(prompt_dir, era):
    server = MCPServer("p")

    async def provider(ctx, args):
        return {"open_todos": "3"}

    install_prompt(server, "greet", provider, directory=prompt_dir)
    async with Client(server, mode=era) as client:
        listed = (await client.list_prompts()).prompts
        assert [(p.name, [a.name for a in p.arguments]) for p in listed] == [("greet", ["agent_id"])]
        result = await client.get_prompt("greet", {"agent_id": "007"})
    assert result.messages[0].content.text == "Hello 007; open todos: 3. Costs $0.\n"


def test_prompt_file_without_front_matter_is_rejected(tmp_path):
    (tmp_path / "bad.md").write_text("just a body")
    with pytest.raises(ValueError, match="front matter"):
        load_prompt("bad", tmp_path)
