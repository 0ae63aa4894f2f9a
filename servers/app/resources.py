"""What every server's resources share: failures as ``[code] message`` resource errors."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from servers.kernel.errors import NotFound, describe_exception

__all__ = ["resource_errors"]

_F = TypeVar("_F", bound=Callable[..., Awaitable[Any]])


def resource_errors(fn: _F) -> _F:
    """Turn any failure into a ``[code] message`` resource error (``describe_exception``; not_found as the
    -32602 variant): coded errors as they are, anything else without its details."""

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await fn(*args, **kwargs)
        except Exception as exc:
            text = describe_exception(exc, action=f"resource {fn.__name__}")
            raise (ResourceNotFoundError(text) if isinstance(exc, NotFound) else ResourceError(text)) from None

    return wrapper  # type: ignore[return-value]
