"""OpenTelemetry: the SDK's span per request is kept only when an OpenTelemetry SDK is configured."""

from __future__ import annotations

from mcp import Client
from mcp.server._otel import OpenTelemetryMiddleware
from opentelemetry import trace

from servers import bus
from servers.app import build_server, open_runtime
from servers.app import server as app


async def _span_layers_and_health(suite_settings) -> tuple[int, bool]:
    async with open_runtime(bus.SPEC, suite_settings) as runtime:
        server = build_server(bus.SPEC, runtime, bus.SPEC.tools.select(None))
        layers = sum(isinstance(m, OpenTelemetryMiddleware) for m in server.middleware)
        async with Client(server) as client:
            result = await client.call_tool("health", {})
    return layers, not result.is_error


async def test_request_spans_are_left_out_until_an_opentelemetry_sdk_is_configured(suite_settings):
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)  # the API alone, as installed
    assert await _span_layers_and_health(suite_settings) == (0, True)


async def test_request_spans_stay_when_a_tracer_provider_is_configured(suite_settings, monkeypatch):
    monkeypatch.setattr(app.trace, "get_tracer_provider", lambda: trace.NoOpTracerProvider())
    assert await _span_layers_and_health(suite_settings) == (1, True)
