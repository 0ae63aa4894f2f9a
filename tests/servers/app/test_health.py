"""The health tool of each server, through a real MCP client in both protocol eras."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from servers import VERSION, bus, odm, xem
from tests.conftest import connect_client

SPECS = {"bus": bus.SPEC, "odm": odm.SPEC, "xem": xem.SPEC}


@pytest.mark.parametrize("server", sorted(SPECS))
async def test_health_reports_version_database_revision_and_time(server, suite_settings, era):
    spec = SPECS[server]
    async with connect_client(spec, suite_settings, mode=era) as client:
        result = await client.call_tool("health", {})
    assert not result.is_error, result.content
    health = result.structured_content
    expected_db = urlsplit(suite_settings.dsn_for(spec.database)).path.strip("/")
    assert health["server"] == spec.name
    assert health["version"] == VERSION
    assert health["database"] == expected_db
    assert health["schema_name"] == spec.schema
    assert health["migration_revision"] == health["latest_revision"] is not None
    assert health["embedded"] is False
    server_time = datetime.fromisoformat(health["server_time"])
    assert abs((server_time - datetime.now(UTC)).total_seconds()) < 60


@pytest.mark.parametrize("server", sorted(SPECS))
async def test_default_tool_list_fits_in_16_kilobytes_with_honest_annotations(server, suite_settings):
    async with connect_client(SPECS[server], suite_settings) as client:
        tools = (await client.list_tools()).tools
    # the bytes on the wire: the SDK writes compact JSON
    payload = json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools], separators=(",", ":"))
    assert len(payload.encode()) <= 16 * 1024
    health = next(t for t in tools if t.name == "health")
    assert health.annotations.read_only_hint is True
    assert health.annotations.destructive_hint is False
    assert health.output_schema is not None and "server_time" in health.output_schema["properties"]
