"""The MCP surface of every server in every toolset: ``tools/list``, ``resources/templates/list``,
``resources/list`` and ``prompts/list``, as one canonical JSON document.

``python -m tests.support.surface > surface.json`` dumps it on a throwaway embedded cluster (or
``XIOPRO_TEST_DSN``); ``tests/e2e/test_surface.py`` compares it with the committed snapshot
``tests/e2e/surface.json`` so that a change of the surface is always a deliberate one.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from mcp import Client

__all__ = ["dump_surface", "surface_json"]


def _specs() -> dict[str, Any]:
    from servers import bus, odm, xem

    return {"bus": bus.SPEC, "odm": odm.SPEC, "xem": xem.SPEC}


async def _listing(client: Client) -> dict[str, Any]:
    tools = await client.list_tools()
    templates = await client.list_resource_templates()
    resources = await client.list_resources()
    prompts = await client.list_prompts()

    def plain(items: list[Any]) -> list[dict[str, Any]]:
        # by name: the order of a listing carries no meaning, each entry's definition does
        dumped = [item.model_dump(mode="json", by_alias=True, exclude_none=True) for item in items]
        return sorted(dumped, key=lambda d: (d.get("name", ""), d.get("uri", d.get("uriTemplate", ""))))

    return {
        "tools": plain(tools.tools),
        "resource_templates": plain(templates.resource_templates),
        "resources": plain(resources.resources),
        "prompts": plain(prompts.prompts),
    }


async def dump_surface(settings: Any) -> dict[str, Any]:
    """Per server: the full listings with ``--toolsets all`` and the tool names of each toolset.

    Each listing is read in both protocol eras; where the eras differ, both are kept (``by_era``).
    """
    from servers.app import build_server, open_runtime

    out: dict[str, Any] = {}
    for name, spec in _specs().items():
        entry: dict[str, Any] = {"toolsets": {}}
        async with open_runtime(spec, settings) as runtime:
            for toolsets in [*spec.tools.toolsets, "all"]:
                server = build_server(spec, runtime, spec.tools.select(toolsets))
                by_era = {}
                for mode in ("legacy", "2026-07-28"):
                    async with Client(server, mode=mode) as client:
                        by_era[mode] = await _listing(client)
                listing = by_era["legacy"] if by_era["legacy"] == by_era["2026-07-28"] else {"by_era": by_era}
                if toolsets == "all":
                    entry["all"] = listing
                else:
                    entry["toolsets"][toolsets] = (
                        sorted(t["name"] for t in listing["tools"]) if "tools" in listing else listing
                    )
        out[name] = entry
    return out


def surface_json(surface: dict[str, Any]) -> str:
    return json.dumps(surface, indent=1, sort_keys=True) + "\n"


async def _main() -> None:
    import asyncpg

    from servers.app import ServerSpec  # noqa: F401 - fail early if the package is not importable
    from servers.runtime.embedded import EmbeddedCluster
    from servers.runtime.settings import SuiteSettings
    from tests.support.pg import TestPostgres, external_dsn

    with tempfile.TemporaryDirectory(prefix="xiopro-surface-") as home:
        dsn = external_dsn()
        cluster = None
        if dsn is None:
            cluster = EmbeddedCluster(Path(home))
            cluster.acquire()
            dsn = cluster.dsn("postgres")
        try:
            pg = TestPostgres(dsn, embedded=cluster is not None)
            settings = SuiteSettings(home=Path(home) / "home", bus_dsn=pg.dsn(pg.new_name("bus")),
                                     odm_dsn=pg.dsn(pg.new_name("odm")), odm_url="http://127.0.0.1:9/mcp",
                                     log_level="WARNING")
            try:
                sys.stdout.write(surface_json(await dump_surface(settings)))
            finally:
                await pg.drop_all()
        finally:
            if cluster is not None:
                cluster.release()
        del asyncpg


if __name__ == "__main__":
    import anyio

    anyio.run(_main)
