"""Errors the Bus raises: the suite's shared codes (re-exported from ``servers.kernel.errors``) and the one
Bus-specific refusal that carries data.

Hierarchy::

    SuiteError (servers.kernel.errors)
    ├── NotFound             not_found: no such agent, message, lease, todo, alert, host
    ├── InvalidArgument      invalid_argument: well-typed but unusable input
    ├── InvalidTransition    invalid_transition: a todo/alert cannot go to that status from here
    ├── Conflict             conflict: stale fencing token, a second open todo for one object, ...
    ├── LeaseHeld            lease_held: someone else holds the lease
    │   └── LeaseHeldBy      ... naming the holder and the expiry (``holder``, ``expires_at``)
    └── Unavailable          unavailable: a peer (the ODM server) cannot be reached
        └── FeedUnsupported  the ODM server does not offer that feed (yet)

Messages say what to do next and never contain SQL, DSNs or tracebacks.
"""

from __future__ import annotations

from datetime import datetime

from servers.kernel.errors import (
    Conflict,
    FeedUnsupported,
    InvalidArgument,
    InvalidTransition,
    LeaseHeld,
    NotFound,
    SuiteError,
    Unavailable,
)

__all__ = [
    "Conflict",
    "FeedUnsupported",
    "InvalidArgument",
    "InvalidTransition",
    "LeaseHeld",
    "LeaseHeldBy",
    "NotFound",
    "SuiteError",
    "Unavailable",
]


class LeaseHeldBy(LeaseHeld):
    def __init__(self, name: str, holder: str, expires_at: datetime) -> None:
        super().__init__(
            f"lease {name} is held by {holder} until {expires_at.isoformat(timespec='seconds')}; "
            "retry after that time, or read bus://leases/" + name
        )
        self.name = name
        self.holder = holder
        self.expires_at = expires_at
