"""The one way other servers reach the ODM (the Bus's feeds and claim renewals, the XEM bridge's activities): an
MCP client of the ODM server (never its database), over streamable HTTP at ``XIOPRO_ODM_URL``, or over stdio to
an ``odm-mcp`` child of the caller's own (``XIOPRO_ODM_URL=stdio``, the default).

``OdmGateway`` is where the ODM is (``XIOPRO_ODM_URL``) and how long a read may take; ``session()``
connects. Feeds are resource templates ``odm://feeds/<name>{?...}`` answering ``{"items": [...],
"next_cursor": ...}``; ``OdmSession.feed`` follows the cursor to the end. Every failure becomes
``servers.kernel.errors.Unavailable`` (``FeedUnsupported`` when this ODM does not offer the feed), with a
reason safe to show an operator. The MCP SDK loads only where this module is imported.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import anyio
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import TextResourceContents

from servers.kernel.errors import FeedUnsupported, OdmAnswered, Unavailable

_CODE = re.compile(r"^\[([a-z_]+)\] ")

__all__ = ["STDIO", "FeedUnsupported", "OdmGateway", "OdmSession", "open_odm", "safe_url"]

log = logging.getLogger("xiopro.odm_client")

PAGE_LIMIT = 1000  # the feeds' maximum page
MAX_PAGES = 1000  # a runaway cursor must not keep a scan forever


def safe_url(url: str) -> str:
    """The URL without credentials, for messages."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else ""))) if parts.hostname else url


def _innermost(exc: BaseException) -> BaseException:
    """The first leaf of an exception group (the SDK client's task groups wrap what its body raised)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _reason(exc: BaseException) -> str:
    exc = _innermost(exc)
    text = (str(exc).strip().splitlines() or [""])[0][:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class OdmSession:
    def __init__(self, client: Client, url: str, templates: frozenset[str], timeout_s: float) -> None:
        self._client = client
        self.url = url
        self.templates = templates
        self._timeout_s = timeout_s

    def offers(self, feed: str) -> bool:
        prefix = f"odm://feeds/{feed}"
        return any(t == prefix or t.startswith(prefix + "{") for t in self.templates)

    async def read_json(self, uri: str) -> Any:
        """Raises: Unavailable."""
        try:
            with anyio.fail_after(self._timeout_s):
                result = await self._client.read_resource(uri)
            content = result.contents[0]
            if not isinstance(content, TextResourceContents):
                raise TypeError("the resource is a blob, not JSON text")
            return json.loads(content.text)
        except Exception as exc:
            raise Unavailable(f"reading {uri.split('?')[0]} from the ODM at {safe_url(self.url)} failed ({_reason(exc)})") from None

    async def call_tool(self, tool: str, /, **arguments: Any) -> dict[str, Any]:
        """The structured answer of the ODM tool ``tool``.

        Raises:
            Unavailable: the call failed or timed out; OdmAnswered (an Unavailable) when the ODM answered an error (its
            ``[code] message`` kept, the code in ``answered``).
        """
        try:
            with anyio.fail_after(self._timeout_s):
                result = await self._client.call_tool(tool, arguments)
        except Exception as exc:
            raise Unavailable(f"calling {tool} on the ODM at {safe_url(self.url)} failed ({_reason(exc)})") from None
        if result.is_error:
            text = " ".join(getattr(c, "text", "") for c in result.content).strip()[:300]
            code = _CODE.match(text)
            raise OdmAnswered(f"{tool} on the ODM at {safe_url(self.url)} answered: {text or 'an error'}",
                              answered=code.group(1) if code else None)
        return result.structured_content or {}

    async def feed(self, feed: str, **filters: str | int) -> list[dict[str, Any]]:
        """Every item of ``odm://feeds/<feed>`` matching ``filters`` (all pages).

        Raises:
            FeedUnsupported: this ODM does not offer the feed.
            Unavailable: a page could not be read.
        """
        if not self.offers(feed):
            raise FeedUnsupported(f"the ODM at {safe_url(self.url)} does not offer odm://feeds/{feed} yet")
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            query = {k: v for k, v in filters.items() if v is not None} | {"limit": PAGE_LIMIT}
            if cursor is not None:
                query["cursor"] = cursor
            uri = f"odm://feeds/{feed}?" + "&".join(f"{k}={quote(str(v), safe=',.:-_')}" for k, v in query.items())
            page = await self.read_json(uri)
            if not isinstance(page, dict) or not isinstance(page.get("items"), list):
                raise Unavailable(f"odm://feeds/{feed} answered without an items list")
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items
        raise Unavailable(f"odm://feeds/{feed} did not end after {MAX_PAGES} pages")


@asynccontextmanager
async def open_odm(url: str, timeout_s: float, api_key: str | None = None, *, who: str = "the Bus") -> AsyncIterator[OdmSession]:
    """A session with the ODM server at ``url`` (presenting ``api_key`` as its bearer key, when the ODM serves
    HTTP with keys); every network step is bounded by ``timeout_s``.

    Raises:
        Unavailable: the server cannot be reached or does not answer as an MCP server.
    """
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(timeout_s), headers=headers) as http:
        transport = streamable_http_client(url, http_client=http, terminate_on_close=False)
        ready = False
        try:
            async with Client(transport, mode="auto", cache=None, read_timeout_seconds=timeout_s) as client:
                listed = await client.list_resource_templates()
                ready = True
                yield OdmSession(client, url, frozenset(t.uri_template for t in listed.resource_templates), timeout_s)
        except Exception as exc:
            if isinstance(inner := _innermost(exc), Unavailable):
                raise inner from None  # what a session call raised, out of the client's task groups
            if ready:
                raise
            status = getattr(getattr(_innermost(exc), "response", None), "status_code", None)
            if status in (401, 403):
                raise Unavailable(f"the ODM at {safe_url(url)} refused {who} (HTTP {status}); set XIOPRO_ODM_API_KEY to a "
                                  "key with scope execution (xeroctl keys create --name bus --scope execution)") from None
            raise Unavailable(f"the ODM at {safe_url(url)} is unreachable ({_reason(exc)})") from None


STDIO = "stdio"  # XIOPRO_ODM_URL=stdio (the default): the caller runs its own odm-mcp child over stdio
_CHILD = [sys.executable, "-m", "servers.cli.odm_mcp", "--toolsets", "claims,accounting"]


class OdmGateway:
    """The ODM server of this process (``who``: the Bus, the XEM bridge): its URL (None when none is configured,
    ``stdio`` for a child of its own) and the time one read may take."""

    def __init__(self, url: str | None, timeout_s: float, api_key: str | None = None,
                 child_env: dict[str, str] | None = None, *, who: str = "the Bus") -> None:
        self.url = url
        self.who = who
        self._child_env = child_env  # the environment of the stdio child (the caller's home and ODM database)
        self.timeout_s = timeout_s
        self._api_key = api_key  # never shown: not in messages, not in repr
        self._child: OdmSession | None = None
        self._child_ready = anyio.Event()
        self._child_error = "the ODM child process is starting"

    @property
    def configured(self) -> bool:
        return self.url is not None

    @property
    def over_stdio(self) -> bool:
        return self.url == STDIO

    def session(self) -> AbstractAsyncContextManager[OdmSession]:
        """A session with the ODM server (``open_odm``, or the running child over stdio).

        Raises:
            Unavailable: no ODM URL is configured, or the server cannot be reached.
        """
        if self.url is None:
            raise Unavailable("no ODM URL is configured (XIOPRO_ODM_URL)")
        if self.over_stdio:
            return self._child_session()
        return open_odm(self.url, self.timeout_s, self._api_key, who=self.who)

    @asynccontextmanager
    async def _child_session(self) -> AsyncIterator[OdmSession]:
        with anyio.move_on_after(self.timeout_s):
            await self._child_ready.wait()
        if self._child is None:
            raise Unavailable(f"{self.who}'s own odm-mcp (stdio) is not running: {self._child_error}")
        yield self._child

    async def run_child(self) -> None:
        """Keep an ``odm-mcp --toolsets claims,accounting`` child running over stdio (restarted with back-off if it dies),
        on the same environment (XIOPRO_HOME, XIOPRO_ODM_DSN); for ``XIOPRO_ODM_URL=stdio``."""
        delay = 1.0
        while True:
            try:
                params = StdioServerParameters(command=_CHILD[0], args=_CHILD[1:], env=self._child_env or dict(os.environ))
                async with Client(params, mode="legacy", read_timeout_seconds=self.timeout_s) as client:
                    listed = await client.list_resource_templates()
                    self._child = OdmSession(client, "odm-mcp (stdio)",
                                             frozenset(t.uri_template for t in listed.resource_templates), self.timeout_s)
                    self._child_ready.set()
                    delay = 1.0
                    log.info("odm-mcp child ready over stdio")
                    await anyio.sleep_forever()
            except Exception as exc:  # the child died or would not start: retry, the caller keeps working
                self._child_error = _reason(exc)
                log.warning("%s's odm-mcp child stopped (%s); restarting in %.0fs", self.who, self._child_error, delay)
            finally:
                self._child = None
                self._child_ready = anyio.Event()
            await anyio.sleep(delay)
            delay = min(delay * 2, 60)
