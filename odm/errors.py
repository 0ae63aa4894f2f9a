"""Errors the ODM raises: the suite's shared codes (re-exported from ``servers.kernel.errors``), and the
lifecycle table check.

Hierarchy::

    SuiteError (servers.kernel.errors)
    ├── NotFound               not_found: no such project/ticket/task/... (or wrong kind)
    ├── InvalidArgument        invalid_argument: a value the rules refuse (e.g. a 2nd nesting level)
    ├── InvalidTransition      invalid_transition: a status/state move the lifecycle table refuses
    ├── Conflict               conflict: stale claim token, closed parent, concurrent change
    ├── DependencyCycle        dependency_cycle: a depends_on edge would close a cycle
    └── IdempotencyMismatch    idempotency_mismatch: a key reused with different content
    LifecycleDefinitionError   (a ValueError) a lifecycle table is malformed: raised at import, never to a client

Messages say what to do next and never contain SQL or internals.
"""

from __future__ import annotations

from servers.kernel.errors import (
    Conflict,
    DependencyCycle,
    IdempotencyMismatch,
    InvalidArgument,
    InvalidTransition,
    NotFound,
    SuiteError,
)

__all__ = [
    "Conflict",
    "DependencyCycle",
    "IdempotencyMismatch",
    "InvalidArgument",
    "InvalidTransition",
    "LifecycleDefinitionError",
    "NotFound",
    "SuiteError",
]


class LifecycleDefinitionError(ValueError):
    """A lifecycle table names an unknown status/state, an invalid pair or an unreachable pair."""
