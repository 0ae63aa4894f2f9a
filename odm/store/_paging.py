"""Opaque cursors for keyset pagination: the sort key of the last row, base64-encoded JSON."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from odm.errors import InvalidArgument

__all__ = ["decode_cursor", "encode_cursor"]


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> tuple[Any, ...] | None:
    """The key a cursor holds, or None for the first page.

    Raises:
        InvalidArgument: not a cursor this server handed out.
    """
    if cursor is None or cursor == "":
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, list) or len(key) != arity or not all(isinstance(k, (str, int)) for k in key):
        raise InvalidArgument("cursor is not one this server returned; pass next_cursor from the previous page, or omit it")
    return tuple(key)
