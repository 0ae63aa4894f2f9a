"""Who is calling, and may they: API-key principals on streamable HTTP, the local user on stdio, scope checks
per tool, and the audit of management calls and refusals.

Authentication happens before MCP (the SDK's bearer middleware with ``KeyVerifier``); what a principal may
see and call is decided here, per request: ``ScopeFilter`` (SDK middleware) leaves out of ``tools/list`` what
the key may not call, and ``refusal`` (used by the ``tools/call`` interceptor) answers ``[forbidden]``.
"""

from __future__ import annotations

import contextvars
import getpass
import logging
from collections.abc import Callable, Mapping
from typing import Any

from mcp.server.auth.provider import AccessToken
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from pydantic import BaseModel

from servers.runtime.keys import KEY_SCOPES, AuditLog, Keyring, Principal

__all__ = ["LOCAL", "KeyVerifier", "ScopeFilter", "audit", "principal_of", "refusal", "last_refusal"]

log = logging.getLogger("xiopro.auth")

# stdio, and HTTP with XIOPRO_HTTP_AUTH=none (loopback only): the local user, every scope
LOCAL = Principal(actor=f"local user {getpass.getuser()}", scopes=frozenset(KEY_SCOPES))

_refused: contextvars.ContextVar[str | None] = contextvars.ContextVar("xiopro_refused", default=None)


def last_refusal() -> str | None:
    """Why the key of the current HTTP request was refused (set by KeyVerifier), for the audit."""
    return _refused.get()


class KeyVerifier:
    """The SDK ``TokenVerifier`` over the keyring: a usable key becomes an AccessToken carrying its Principal."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    async def verify_token(self, token: str) -> AccessToken | None:
        verdict = await self.keyring.verify(token)
        if isinstance(verdict, str):
            _refused.set(verdict)
            return None
        return AccessToken(token="", client_id=verdict.key_id or "", scopes=sorted(verdict.scopes),
                           claims={"principal": verdict})


def principal_of(ctx: ServerRequestContext[Any, Any]) -> Principal:
    """The caller of this request: its key's Principal on HTTP with keys, else the local user."""
    request = ctx.request
    if request is None:
        return LOCAL
    user = request.scope.get("user") if hasattr(request, "scope") else None
    token = getattr(user, "access_token", None)
    if token is not None and token.claims and isinstance(token.claims.get("principal"), Principal):
        found: Principal = token.claims["principal"]
        return found
    return LOCAL  # no auth layer on this transport (stdio, or XIOPRO_HTTP_AUTH=none on loopback)


def refusal(principal: Principal, tool: str, scope: str) -> str | None:
    """The ``[forbidden]`` text when ``principal`` may not call ``tool`` (which needs ``scope``), else None."""
    if principal.allows(scope):
        return None
    has = ", ".join(sorted(principal.scopes)) or "none (read only)"
    return (f"[forbidden] {tool} needs an API key with scope {scope}; {principal.actor} has: {has}. "
            f"Ask an operator for a key with it (xeroctl keys create --name NAME --scope {scope})")


async def audit(runtime: Any, principal: Principal, action: str, outcome: str, *, target: str | None = None,
                detail: Mapping[str, Any] | None = None) -> None:
    """Write one audit record in the server's own database; a failure is logged, never raised to the caller."""
    try:
        await AuditLog(runtime.pool).write(server=runtime.spec.name, actor=principal.actor, action=action,
                                           outcome=outcome, target=target, detail=dict(detail or {}))
    except Exception as exc:  # the audit must not break the call it records; the log keeps the record
        log.warning("audit record not stored (%s): %s %s %s %s", type(exc).__name__, principal.actor, action, target, outcome)


class ScopeFilter:
    """SDK middleware: ``tools/list`` shows a key only the tools its scopes allow (reads need any key)."""

    def __init__(self, scope_of: Callable[[str], str | None]) -> None:
        self._scope_of = scope_of

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method != "tools/list":
            return result
        principal = principal_of(ctx)
        if principal.scopes >= frozenset(KEY_SCOPES):
            return result
        data = result.model_dump(mode="json", by_alias=True, exclude_none=True) if isinstance(result, BaseModel) else result
        if not isinstance(data, dict):
            return result
        data["tools"] = [t for t in data.get("tools", []) if principal.allows(self._scope_of(t["name"]) or "read")]
        return data
