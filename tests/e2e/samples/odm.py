"""Inspector sample calls for every odm-mcp tool (see tests/e2e/samples/__init__.py)."""

from tests.e2e.samples import Sample

SAMPLES: dict[str, Sample] = {
    "health": Sample(),
}
