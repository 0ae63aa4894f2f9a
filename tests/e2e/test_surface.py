"""The MCP surface of every server in every toolset is the committed snapshot ``tests/e2e/surface.json``.

A change of any tool, resource, template or prompt definition fails here until the snapshot is
regenerated on purpose: ``XIOPRO_UPDATE_SURFACE=1 pytest tests/e2e/test_surface.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.support.surface import dump_surface, surface_json

SNAPSHOT = Path(__file__).with_name("surface.json")


async def test_the_mcp_surface_of_every_server_and_toolset_is_the_committed_snapshot(suite_settings):
    current = surface_json(await dump_surface(suite_settings))
    if os.environ.get("XIOPRO_UPDATE_SURFACE") == "1":
        SNAPSHOT.write_text(current)
    expected = json.loads(SNAPSHOT.read_text())
    got = json.loads(current)
    for server in expected:
        for listing in ("tools", "resource_templates", "resources", "prompts"):
            want = {d.get("name", d.get("uri")): d for d in expected[server]["all"][listing]}
            have = {d.get("name", d.get("uri")): d for d in got[server]["all"][listing]}
            changed = sorted(k for k in want.keys() | have.keys() if want.get(k) != have.get(k))
            assert not changed, f"{server} {listing} differ from tests/e2e/surface.json: {changed}"
        assert got[server]["toolsets"] == expected[server]["toolsets"], f"{server}: toolset membership changed"
    assert got == expected
