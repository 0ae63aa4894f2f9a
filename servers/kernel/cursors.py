"""Opaque page cursors, one rule for every list tool of every server: the sort key of the last item, as
base64url JSON. A cursor this server did not hand out is ``[invalid_argument]`` with the same words
everywhere, never an empty page."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from servers.kernel.errors import InvalidArgument

__all__ = ["BAD_CURSOR", "decode_cursor", "decode_key", "encode_cursor"]

BAD_CURSOR = "cursor is not one this tool returned; pass next_cursor from the previous page, or omit it to start over"


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), separators=(",", ":"), default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, *types: type) -> tuple[Any, ...] | None:
    """The key a cursor holds (one value per type in ``types``: int or str), or None for the first page.

    Raises:
        InvalidArgument: not a cursor of this shape that this server returned.
    """
    if cursor is None or cursor == "":
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if (not isinstance(key, list) or len(key) != len(types)
            or not all(isinstance(v, t) and not (t is int and isinstance(v, bool)) for v, t in zip(key, types, strict=True))):
        raise InvalidArgument(BAD_CURSOR)
    return tuple(key)


def decode_key(cursor: str | None, arity: int) -> tuple[Any, ...] | None:
    """``decode_cursor`` for a key of ``arity`` strings or integers (any mix).

    Raises:
        InvalidArgument: not a cursor this server returned.
    """
    if cursor is None or cursor == "":
        return None
    for types in _mixes(arity):
        try:
            return decode_cursor(cursor, *types)
        except InvalidArgument:
            continue
    raise InvalidArgument(BAD_CURSOR)


def _mixes(arity: int) -> list[tuple[type, ...]]:
    out: list[tuple[type, ...]] = [()]
    for _ in range(arity):
        out = [(*m, t) for m in out for t in (str, int)]
    return out
