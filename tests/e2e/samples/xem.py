"""Inspector sample calls for every xem-mcp tool (see tests/e2e/samples/__init__.py)."""

from tests.e2e.samples import Sample

SAMPLES: dict[str, Sample] = {
    "health": Sample(),
    "list_agents": Sample({"limit": 5}),
}
