"""xem-mcp's list_agents through a real MCP client, in both protocol eras."""


from __future__ import annotations

from servers import xem
from tests.conftest import connect_client
from xem import services
from xem.domain.keys import new_keypair
from xem.domain.manifest import Manifest, ToolSpec, WorkspaceSpec
from xem.domain.protocol import Enroll
from xem.keyfiles import join_secret


async def test_list_agents_pages_through_enrolled_agents_with_the_tools_each_declares(suite_settings, era):
    async with connect_client(xem.SPEC, suite_settings, mode=era) as client:
        empty = await client.call_tool("list_agents", {})
        assert not empty.is_error and empty.structured_content == {"items": [], "next_cursor": None}
        import asyncpg

        pool = await asyncpg.create_pool(suite_settings.bus_dsn, min_size=1, max_size=2)
        try:
            for name in ("a1", "a2", "a3"):
                key = new_keypair()[0].decode()
                manifest = Manifest(manifest_version=1, workspaces=(WorkspaceSpec(name="ops", root="/srv"),), tools=(
                    ToolSpec(name="disk_usage", workspace="ops", description="df", input_schema={"type": "object"},
                             risk="read", timeout_s=10),
                    ToolSpec(name="restart", workspace="ops", description="restart a unit", input_schema={"type": "object"},
                             risk="destructive", timeout_s=10))) if name == "a1" else Manifest(manifest_version=1)
                token, _ = await services.mint_join_key(services.XemServices(pool), suite_settings.home, "xem", 60, max_ttl_s=60)
                await services.enroll(services.XemServices(pool), join_secret(suite_settings.home),
                                      Enroll(sender=name, join_key=token, public_key=key, manifest=manifest), key)
        finally:
            await pool.close()
        first = (await client.call_tool("list_agents", {"limit": 2})).structured_content
        assert [a["name"] for a in first["items"]] == ["a1", "a2"] and first["next_cursor"]  # opaque
        assert first["items"][0]["state"] == "online" and first["items"][0]["key_fingerprints"][0].startswith("sha256:")
        assert first["items"][0]["tools"] == ["ops__disk_usage (read)", "ops__restart (destructive)"]
        assert first["items"][1]["tools"] == []
        rest = (await client.call_tool("list_agents", {"limit": 2, "cursor": first["next_cursor"]})).structured_content
        assert [a["name"] for a in rest["items"]] == ["a3"] and rest["next_cursor"] is None
        bad = await client.call_tool("list_agents", {"limit": 0})
        assert bad.is_error and bad.content[0].text.startswith("[invalid_argument]")
