"""Error codes, and the mapping of any failure to a ``[code] message`` a client may see.

Hierarchy::

    Exception
    └── SuiteError              a failure with a stable ``code`` from CODES; str() is client-safe
        ├── NotFound, InvalidArgument, InvalidTransition, Conflict, DependencyCycle, LeaseHeld,
        │   ApprovalRequired, ApprovalRejected, BudgetExceeded, IdempotencyMismatch, Ambiguous,
        │   Unauthorized, Forbidden, Unavailable
        │                       one class per shared code; bus/odm/xem raise these (their
        │                       ``errors`` modules re-export them) or subclass them
        │                       (Unavailable > FeedUnsupported, OdmAnswered: what the ODM client raises)
        └── StartupError        a console script cannot start; printed as one line, exit status 1 or 2

This module is the suite's shared kernel: every layer of every package may import it, and it
imports nothing of the suite.

Anything else is a defect: it is logged with its traceback under a short reference, and the
client sees only ``[internal] ... (ref XXXX)``. asyncpg connection failures become
``[unavailable]``. No traceback, SQL, DSN or secret is ever part of a client-visible message.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable

import asyncpg
from pydantic import ValidationError

__all__ = [
    "CODES",
    "Ambiguous",
    "ApprovalRejected",
    "ApprovalRequired",
    "BudgetExceeded",
    "Conflict",
    "DependencyCycle",
    "FeedUnsupported",
    "OdmAnswered",
    "Forbidden",
    "IdempotencyMismatch",
    "InvalidArgument",
    "InvalidTransition",
    "LeaseHeld",
    "NotFound",
    "StartupError",
    "SuiteError",
    "Unauthorized",
    "Unavailable",
    "describe_exception",
    "format_validation_error",
]

log = logging.getLogger("xiopro.errors")

CODES = frozenset(
    {
        "not_found",
        "invalid_argument",
        "invalid_transition",
        "conflict",
        "dependency_cycle",
        "lease_held",
        "approval_required",
        "approval_rejected",
        "budget_exceeded",
        "idempotency_mismatch",
        "ambiguous",
        "unauthorized",
        "forbidden",
        "unavailable",
        "internal",
    }
)


class SuiteError(Exception):
    """A failure with a stable ``code`` from CODES; ``str()`` is the message a client may read."""

    code: str = "internal"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        if code is not None:
            if code not in CODES:
                raise ValueError(f"unknown error code {code!r}")
            self.code = code
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(SuiteError):
    code = "not_found"


class InvalidArgument(SuiteError):
    code = "invalid_argument"


class InvalidTransition(SuiteError):
    code = "invalid_transition"


class Conflict(SuiteError):
    code = "conflict"


class DependencyCycle(SuiteError):
    code = "dependency_cycle"


class LeaseHeld(SuiteError):
    code = "lease_held"


class ApprovalRequired(SuiteError):
    code = "approval_required"


class ApprovalRejected(SuiteError):
    code = "approval_rejected"


class BudgetExceeded(SuiteError):
    code = "budget_exceeded"


class IdempotencyMismatch(SuiteError):
    code = "idempotency_mismatch"


class Ambiguous(SuiteError):
    code = "ambiguous"


class Unauthorized(SuiteError):
    code = "unauthorized"


class Forbidden(SuiteError):
    code = "forbidden"


class Unavailable(SuiteError):
    code = "unavailable"


class OdmAnswered(Unavailable):
    """The ODM server answered a tool call with an error; ``answered`` is the code it gave (None if it gave none)."""

    def __init__(self, message: str, *, answered: str | None) -> None:
        super().__init__(message)
        self.answered = answered


class FeedUnsupported(Unavailable):
    """The ODM server answers but offers no such feed (an older ODM); raised by ``servers.kernel.odm_client``."""


class StartupError(SuiteError):
    """A console script cannot start; ``line()`` is the single line it prints."""

    def __init__(self, code: str, message: str, *, exit_status: int = 1) -> None:
        super().__init__(message, code=code)
        self.exit_status = exit_status

    def line(self, program: str) -> str:
        return f"{program}: [{self.code}] {self.message}"


_UNAVAILABLE = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
    TimeoutError,
    FileNotFoundError,  # the server's Unix socket is gone while PostgreSQL restarts (the embedded cluster)
    # a connection PostgreSQL terminated mid-statement (shutdown): asyncpg's protocol state is left broken
    asyncpg.exceptions._base.InternalClientError,
)


def describe_exception(exc: BaseException, *, action: str) -> str:
    """The ``[code] message`` text for a failure of ``action`` (e.g. "tool create_task").

    Coded errors keep their message; everything else is logged here and reduced to a safe line.
    """
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code in CODES:
        return f"[{code}] {exc}"
    if isinstance(exc, ValidationError):
        return f"[invalid_argument] {format_validation_error(exc)}"
    if isinstance(exc, _UNAVAILABLE):
        log.warning("%s failed: database or peer unavailable: %s", action, type(exc).__name__)
        return "[unavailable] the database is not reachable right now; retry in a few seconds"
    ref = secrets.token_hex(3)
    log.error("%s failed unexpectedly (ref %s)", action, ref, exc_info=exc)
    return f"[internal] {action} failed unexpectedly (ref {ref}); the server log has details, retry or report it"


def format_validation_error(exc: ValidationError, *, prefix: Iterable[str] = ()) -> str:
    """One line per pydantic error, naming the argument and what it must be (never echoing values)."""
    parts: list[str] = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in (*prefix, *err["loc"])) or "arguments"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "is required"
        elif err["type"] == "extra_forbidden":
            msg = "is not an argument of this tool"
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts) + "; fix the arguments and call again"
