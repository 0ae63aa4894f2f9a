"""Errors the Bus raises; each carries a stable ``code`` that the MCP layer shows as ``[code] message``.

Hierarchy::

    Exception
    └── BusError                 code attribute; str() is the message a client may read
        ├── NotFound             not_found: no such agent, message, lease, todo, alert, host
        ├── InvalidArgument      invalid_argument: well-typed but unusable input
        ├── InvalidTransition    invalid_transition: a todo/alert cannot go to that status from here
        ├── Conflict             conflict: stale fencing token, a second open todo for one object, ...
        ├── LeaseHeld            lease_held: someone else holds the lease (``holder``, ``expires_at``)
        └── Unavailable          unavailable: a peer (the ODM server) cannot be reached

Messages say what to do next and never contain SQL, DSNs or tracebacks.
"""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "BusError",
    "Conflict",
    "InvalidArgument",
    "InvalidTransition",
    "LeaseHeld",
    "NotFound",
    "Unavailable",
]


class BusError(Exception):
    code = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(BusError):
    code = "not_found"


class InvalidArgument(BusError):
    code = "invalid_argument"


class InvalidTransition(BusError):
    code = "invalid_transition"


class Conflict(BusError):
    code = "conflict"


class LeaseHeld(BusError):
    code = "lease_held"

    def __init__(self, name: str, holder: str, expires_at: datetime) -> None:
        super().__init__(
            f"lease {name} is held by {holder} until {expires_at.isoformat(timespec='seconds')}; "
            "retry after that time, or read bus://leases/" + name
        )
        self.name = name
        self.holder = holder
        self.expires_at = expires_at


class Unavailable(BusError):
    code = "unavailable"
