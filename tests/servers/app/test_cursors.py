"""One cursor rule for every list tool of every server (found by its ``cursor`` argument in ``tools/list``, so
later tools are covered): a cursor the server did not hand out is the same ``[invalid_argument]``, never an
empty page."""

from __future__ import annotations

import importlib
import re

import pytest

from servers import bus, odm, xem
from servers.kernel.cursors import BAD_CURSOR
from tests.conftest import connect_client

SPECS = {"bus": bus.SPEC, "odm": odm.SPEC, "xem": xem.SPEC}


@pytest.mark.parametrize("server", sorted(SPECS))
async def test_every_list_tool_refuses_a_foreign_cursor_with_the_same_words(server, suite_settings):
    samples = importlib.import_module(f"tests.e2e.samples.{server}").SAMPLES
    async with connect_client(SPECS[server], suite_settings, toolsets="all") as client:
        tools = {t.name: t for t in (await client.list_tools()).tools if "cursor" in t.input_schema.get("properties", {})}
        paged = sorted(tools)
        answers = {}
        for name in paged:
            props = tools[name].input_schema["properties"]
            # an id an earlier sample would have made: any value of the right type (the cursor is checked first)
            args = {k: (1 if props.get(k, {}).get("type") == "integer" else "1001")
                    if isinstance(v, str) and v.startswith("$ref:") else v for k, v in samples[name].args.items()}
            result = await client.call_tool(name, {**args, "cursor": "zzz"})
            answers[name] = result.content[0].text if result.is_error else f"ok: {result.structured_content}"
    assert paged, "no list tool takes a cursor"
    wrong = {n: a for n, a in answers.items() if not re.match(rf"^\[invalid_argument\] (\w+: )?{re.escape(BAD_CURSOR)}", a)}
    assert wrong == {}
