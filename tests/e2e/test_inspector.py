"""A real third-party client: the MCP Inspector CLI against every server, over stdio and streamable HTTP,
in both protocol eras. `tools/list --strict` must pass with every toolset, the default list must stay
≤16 KB, and every tool is called through the Inspector with its sample from tests/e2e/samples/."""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import anyio
import pytest

from servers import bus, odm, xem
from tests.conftest import script_env
from tests.e2e.samples import Sample
from tests.support.inspector import Inspector, ensure_inspector
from tests.support.net import running_server

SPECS = {"bus": bus.SPEC, "odm": odm.SPEC, "xem": xem.SPEC}
INSPECTOR_ERAS = ("legacy", "modern")
MAX_DEFAULT_TOOLS_LIST = 16 * 1024
TOOL_IS_ERROR = 5  # the Inspector CLI's exit status when a called tool returns isError: true


@pytest.fixture(scope="session")
def inspector() -> Inspector:
    return ensure_inspector()


def server_env(settings) -> dict[str, str]:
    return {"XIOPRO_HOME": str(settings.home), "XIOPRO_BUS_DSN": settings.bus_dsn,
            "XIOPRO_ODM_DSN": settings.odm_dsn, "XIOPRO_LOG_LEVEL": "WARNING"}


async def inspect(inspector: Inspector, *args: str) -> dict[str, Any]:
    """Run the Inspector CLI; its JSON answer (``result`` or ``error``), failing on strict-mode problems."""
    proc = await anyio.to_thread.run_sync(lambda: inspector.run("--cli", "--format", "json", *args, env=script_env()))
    if proc.returncode == TOOL_IS_ERROR:  # a tool answered isError: the result is on stdout (expected errors)
        answer = json.loads(proc.stdout)
        assert answer.get("result", {}).get("isError") is True, proc.stdout[-3000:]
        return answer
    assert proc.returncode == 0, f"inspector {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    if "--strict" in args:  # portability: zero warnings, not only zero errors
        warnings = [line for line in (proc.stderr + proc.stdout).splitlines() if line.startswith("Warning: ")]
        assert warnings == [], f"inspector --strict warns on {' '.join(args)}:\n" + (proc.stderr + proc.stdout)[-3000:]
    return json.loads(proc.stdout)


def stdio_target(settings, spec, *server_args: str) -> list[str]:
    env = [part for key, value in server_env(settings).items() for part in ("-e", f"{key}={value}")]
    return [*env, "--", spec.program, *server_args]


@pytest.mark.parametrize("era", INSPECTOR_ERAS)
@pytest.mark.parametrize("server", sorted(SPECS))
async def test_stdio_tools_list_passes_strict_and_health_answers(inspector, server, era, suite_settings):
    spec = SPECS[server]
    era_flag = ["--protocol-era", era]
    listed = await inspect(inspector, *era_flag, "--method", "tools/list", "--strict",
                           *stdio_target(suite_settings, spec, "--toolsets", "all"))
    assert "health" in {tool["name"] for tool in listed["result"]["tools"]}
    default = await inspect(inspector, *era_flag, "--method", "tools/list", *stdio_target(suite_settings, spec))
    size = len(json.dumps(default["result"]["tools"], separators=(",", ":")).encode())  # as on the wire
    assert size <= MAX_DEFAULT_TOOLS_LIST, f"{spec.program} default tools/list is {size} bytes"
    called = await inspect(inspector, *era_flag, "--method", "tools/call", "--tool-name", "health",
                           *stdio_target(suite_settings, spec))
    assert called["result"]["isError"] is False
    assert called["result"]["structuredContent"]["server"] == spec.name


@pytest.mark.parametrize("server", sorted(SPECS))
async def test_every_tool_answers_its_sample_through_the_inspector_over_http(inspector, server, suite_settings):
    samples: dict[str, Sample] = importlib.import_module(f"tests.e2e.samples.{server}").SAMPLES
    env = script_env(**server_env(suite_settings))
    async with running_server([sys.executable, "-m", f"servers.cli.{server}_mcp", "--toolsets", "all"], env) as url:
        for era in INSPECTOR_ERAS:
            listed = await inspect(inspector, "--protocol-era", era, "--method", "tools/list", "--strict", url)
        tools = {tool["name"] for tool in listed["result"]["tools"]}
        assert tools == set(samples), (
            f"tools without a sample in tests/e2e/samples/{server}.py: {sorted(tools - set(samples))}; "
            f"samples of tools that do not exist: {sorted(set(samples) - tools)}"
        )
        results: dict[str, dict[str, Any]] = {}
        for index, (name, sample) in enumerate(samples.items()):
            era = INSPECTOR_ERAS[index % 2]  # alternate eras so both carry real traffic
            args = json.dumps(_resolve(sample.args, results))
            answer = await inspect(inspector, "--protocol-era", era, "--method", "tools/call", "--tool-name", name,
                                   "--tool-args-json", args, url)
            result = answer.get("result")
            assert result is not None, f"{name}: {answer}"
            text = "".join(block.get("text", "") for block in result.get("content", []))
            if sample.expect == "ok":
                assert result["isError"] is False, f"{name} failed: {text}"
            else:
                assert result["isError"] is True and text.startswith(f"[{sample.expect}] "), f"{name}: {text}"
            results[name] = result.get("structuredContent") or {}


def _resolve(value: Any, results: dict[str, dict[str, Any]]) -> Any:
    """Replace "$ref:tool.field[.field]" strings with values from earlier structured results."""
    if isinstance(value, str) and value.startswith("$ref:"):
        tool, *path = value.removeprefix("$ref:").split(".")
        found: Any = results[tool]
        for key in path:
            found = found[int(key)] if isinstance(found, list) else found[key]
        return found
    if isinstance(value, dict):
        return {k: _resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, results) for v in value]
    return value
