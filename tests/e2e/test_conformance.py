"""The official MCP conformance suite (``@modelcontextprotocol/conformance``) against every server over
streamable HTTP: every applicable scenario passes, and what fails is exactly the list below, scenarios that
call the suite's own fixtures (``test_*`` tools and prompts, ``test://`` resources), which a real server
does not have."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import anyio
import pytest

from tests.conftest import script_env
from tests.e2e.test_inspector import SPECS, inspector  # noqa: F401 - the installed Inspector (and the suite)
from tests.support.net import running_server

# scenarios that need the conformance suite's own tools, prompts or resources
NEEDS_SUITE_FIXTURES = {
    "tools-call-simple-text", "tools-call-image", "tools-call-audio", "tools-call-embedded-resource",
    "tools-call-mixed-content", "tools-call-with-logging", "tools-call-error", "tools-call-with-progress",
    "tools-call-sampling", "tools-call-elicitation", "elicitation-sep1034-general", "elicitation-sep1330-general",
    "resources-read-text", "resources-read-binary", "resources-templates-read", "resources-subscribe",
    "resources-unsubscribe", "prompts-get-simple", "prompts-get-with-args", "prompts-get-embedded-resource",
    "prompts-get-with-image",
}
# what each of those scenarios must have failed on: the fixture it asked for (never our own defect)
_FIXTURE_WORDS = ("'test_", "test://", "Method not found", "only bus:// resources")
# scenarios every server must pass
APPLICABLE = {"server-initialize", "logging-set-level", "ping", "completion-complete", "tools-list", "resources-list",
              "prompts-list", "dns-rebinding-protection", "server-sse-multiple-streams"}


def _checks(out: Path) -> list[dict]:
    found = []
    for path in out.glob("*/checks.json"):
        scenario = re.sub(r"-\d{4}-\d\d-\d\dT.*$", "", path.parent.name.removeprefix("server-"))
        found += [{**check, "scenario": scenario} for check in json.loads(path.read_text())]
    return found


@pytest.mark.parametrize("server", sorted(SPECS))
async def test_the_conformance_suite_passes_every_applicable_scenario(inspector, server, suite_settings, tmp_path):  # noqa: F811
    env = script_env(XIOPRO_HOME=str(suite_settings.home), XIOPRO_BUS_DSN=suite_settings.bus_dsn,
                     XIOPRO_ODM_DSN=suite_settings.odm_dsn, XIOPRO_LOG_LEVEL="WARNING", XIOPRO_BUS_SCAN_ENABLED="false")
    async with running_server([sys.executable, "-m", f"servers.cli.{server}_mcp", "--toolsets", "all"], env) as url:
        done = await anyio.to_thread.run_sync(lambda: inspector.run_node(
            str(inspector.conformance), "server", "--url", url, "-o", str(tmp_path / "out"), timeout=300, cwd=tmp_path))
    checks = _checks(tmp_path / "out")
    assert checks, f"the conformance suite wrote no results:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    failed = {c["id"]: c.get("errorMessage", "") for c in checks if c["status"] not in ("SUCCESS", "INFO")}
    assert set(failed) == NEEDS_SUITE_FIXTURES, f"unexpected results: {sorted(set(failed) ^ NEEDS_SUITE_FIXTURES)}\n{failed}"
    assert all(any(word in message for word in _FIXTURE_WORDS) for message in failed.values()), failed
    passed = {c["scenario"] for c in checks if c["status"] == "SUCCESS"}
    assert APPLICABLE <= passed, f"applicable scenarios that did not pass: {sorted(APPLICABLE - passed)}"
