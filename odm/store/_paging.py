"""Opaque cursors for keyset pagination: the suite's one cursor rule (``servers.kernel.cursors``)."""

from __future__ import annotations

from servers.kernel.cursors import decode_key as decode_cursor
from servers.kernel.cursors import encode_cursor

__all__ = ["decode_cursor", "encode_cursor"]
