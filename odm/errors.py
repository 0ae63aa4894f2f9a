"""Errors the ODM raises; each carries a stable ``code`` the MCP layer shows as ``[code] message``.

Hierarchy::

    Exception
    ├── OdmError                   a refused request; ``code`` is one of the suite's error codes
    │   ├── NotFound               not_found: no such project/ticket/task/... (or wrong kind)
    │   ├── InvalidArgument        invalid_argument: a value the rules refuse (e.g. a 2nd nesting level)
    │   ├── InvalidTransition      invalid_transition: a status/state move the lifecycle table refuses
    │   ├── Conflict               conflict: stale claim token, closed parent, concurrent change
    │   ├── DependencyCycle        dependency_cycle: a depends_on edge would close a cycle
    │   └── IdempotencyMismatch    idempotency_mismatch: a key reused with different content
    └── LifecycleDefinitionError   a lifecycle table is malformed (raised at import, never to a client)

Messages say what to do next and never contain SQL or internals. This package does not
import ``servers``; the codes are the strings the suite defines in ``servers.errors.CODES``.
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "DependencyCycle",
    "IdempotencyMismatch",
    "InvalidArgument",
    "InvalidTransition",
    "LifecycleDefinitionError",
    "NotFound",
    "OdmError",
]


class OdmError(Exception):
    """A request the ODM refuses; ``str()`` is the client-visible message."""

    code = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(OdmError):
    code = "not_found"


class InvalidArgument(OdmError):
    code = "invalid_argument"


class InvalidTransition(OdmError):
    code = "invalid_transition"


class Conflict(OdmError):
    code = "conflict"


class DependencyCycle(OdmError):
    code = "dependency_cycle"


class IdempotencyMismatch(OdmError):
    code = "idempotency_mismatch"


class LifecycleDefinitionError(ValueError):
    """A lifecycle table names an unknown status/state, an invalid pair or an unreachable pair."""
