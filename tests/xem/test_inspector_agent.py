"""The MCP Inspector (a real third-party client, --strict) on xem-mcp with an agent's tools listed: the agent runs
the example configuration (resources/xem/agent.example.toml), and the default tools/list stays <= 16 KB."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from resources import resource_path
from tests.e2e.test_inspector import MAX_DEFAULT_TOOLS_LIST, inspect, inspector  # noqa: F401  (the fixture)
from tests.xem.support import _toml, wait_for

EXAMPLE = tomllib.loads(Path(resource_path("xem/agent.example.toml")).read_text())


async def test_the_inspector_strict_check_passes_with_the_example_agents_tools_listed(inspector, bus, mesh):  # noqa: F811
    mesh.start_router()
    config = json.loads(json.dumps(EXAMPLE))
    repo = mesh.tmp / "repo"
    repo.mkdir()
    config.update(name="xem-example", router=mesh.endpoint, router_public_key=mesh.router_key(),
                  state_dir=str(mesh.tmp / "state-example"), join_key=mesh.join_key(),
                  workspaces=[{"name": "repo", "root": str(repo)}], discovery={"clis": []})
    config.pop("join_key_file")
    for tool in config["tools"]:
        tool["params"] = {name: spec for name, spec in tool.get("params", {}).items()}
    path = mesh.tmp / "agent-example.toml"
    path.write_text(_toml(config))
    mesh.open_workspace("repo")  # workspaces fail closed: bind three available models first
    mesh.start_agent(path, "example")
    await wait_for(lambda: bus.pool.fetchval("SELECT state = 'online' FROM xem.agents WHERE name = 'xem-example'"),
                   what="the example agent to enroll")
    env = [part for key, value in {**mesh.env, "XIOPRO_LOG_LEVEL": "WARNING"}.items() if key.startswith("XIOPRO_")
           for part in ("-e", f"{key}={value}")]
    for era in ("legacy", "modern"):
        listed = await inspect(inspector, "--protocol-era", era, "--method", "tools/list", "--strict",
                               *env, "--", "xem-mcp", "--toolsets", "all")
        names = {t["name"] for t in listed["result"]["tools"]}
        manifest = await bus.pool.fetchval("SELECT manifest::text FROM xem.agents")
        assert {"repo__git_status", "repo__git_log"} <= names, manifest
    default = await inspect(inspector, "--method", "tools/list", *env, "--", "xem-mcp")
    size = len(json.dumps(default["result"]["tools"]).encode())
    assert size <= MAX_DEFAULT_TOOLS_LIST, f"xem-mcp default tools/list with the example agent is {size} bytes"
    called = await inspect(inspector, "--method", "tools/call", "--tool-name", "repo__git_log", "--tool-args-json",
                           json.dumps({"count": 3}), *env, "--", "xem-mcp")
    assert called["result"]["isError"] is False and called["result"]["structuredContent"]["tool"] == "repo__git_log"
