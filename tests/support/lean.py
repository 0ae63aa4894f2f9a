"""A minimal MCP client for benchmarks: one 2026-07-28 POST per tool call, nothing else.

The SDK's ``mcp.Client`` is a full client (task groups, streams, pydantic models of every
message); on a 2-core machine it can spend more CPU per call than the server it measures. This
client speaks the same protocol (per-request ``_meta`` envelope, routing headers, JSON or SSE
answers) as one HTTP/1.1 POST per call on a kept-alive asyncio connection, so a benchmark can show
what the server costs with the client's share kept small. It is a measuring tool only: no
sessions, no subscriptions, no TLS, one request at a time per client.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from itertools import count
from typing import Any
from urllib.parse import urlsplit

VERSION = "2026-07-28"
_META = {
    "io.modelcontextprotocol/protocolVersion": VERSION,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "xiopro-bench-lean", "version": "1"},
}


@dataclass(frozen=True)
class LeanResult:
    structured_content: Any
    is_error: bool
    text: str


class LeanClient:
    """``async with LeanClient(url) as c: await c.call_tool(name, arguments)``."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
        self._ids = count(1)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> LeanClient:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._writer is not None:
            self._writer.close()

    async def call(self, method: str, params: dict[str, Any], *, name: str | None = None) -> dict[str, Any]:
        """One JSON-RPC request; returns its ``result`` or raises on a JSON-RPC error."""
        assert self._reader is not None and self._writer is not None, "use: async with LeanClient(url)"
        request_id = next(self._ids)
        body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method,
                           "params": {**params, "_meta": _META}}).encode()
        head = (f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                "Accept: application/json, text/event-stream\r\nContent-Type: application/json\r\n"
                f"MCP-Protocol-Version: {VERSION}\r\nMcp-Method: {method}\r\n"
                + (f"Mcp-Name: {name}\r\n" if name is not None else "")
                + f"Content-Length: {len(body)}\r\n\r\n")
        self._writer.write(head.encode() + body)
        content_type, payload = await self._response()
        message = _answer(content_type, payload, request_id)
        if "error" in message:
            raise RuntimeError(f"{method}: {message['error']}")
        return message["result"]

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> LeanResult:
        result = await self.call("tools/call", {"name": name, "arguments": arguments}, name=name)
        text = "".join(c.get("text", "") for c in result.get("content", []))
        return LeanResult(result.get("structuredContent"), bool(result.get("isError")), text)

    async def _response(self) -> tuple[str, bytes]:
        reader = self._reader
        assert reader is not None
        status = (await reader.readuntil(b"\r\n")).split(b" ", 2)
        headers: dict[str, str] = {}
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            key, _, value = line.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                chunks.append((await reader.readexactly(size + 2))[:-2])
            await reader.readuntil(b"\r\n")
            payload = b"".join(chunks)
        else:
            payload = await reader.readexactly(int(headers.get("content-length", "0")))
        if status[1] not in (b"200", b"202"):
            raise RuntimeError(f"HTTP {status[1].decode()}: {payload[:500].decode(errors='replace')}")
        return headers.get("content-type", ""), payload


def _answer(content_type: str, payload: bytes, request_id: int) -> dict[str, Any]:
    if content_type.startswith("text/event-stream"):
        for line in payload.decode().splitlines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("id") == request_id:
                    return message
        raise RuntimeError(f"no answer to request {request_id} in the event stream")
    return json.loads(payload)


def process_cpu_seconds(pid: int) -> float:
    """User+system CPU seconds a process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
