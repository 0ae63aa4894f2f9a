"""The service context: pool + settings + primary user, one transaction per use case, shared lookups."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Concatenate, ParamSpec, TypeVar

import asyncpg

from ..errors import Conflict, NotFound
from ..numbering import kind_of_id
from ..settings import OdmSettings
from ..store import Tx

__all__ = ["OdmServices", "Work", "dec", "dumps", "jsonish", "need", "single_statement", "transactional"]

P = ParamSpec("P")
R = TypeVar("R")
_RETRIES = 3
_JSON_COLUMNS = ("spec_snapshot", "details", "override_params")


@dataclass
class OdmServices:
    """What every use case runs with; ``runtime.services`` of odm-mcp."""

    pool: asyncpg.Pool
    settings: OdmSettings
    primary_user_id: str


class Work(Tx):
    """The stores of one transaction plus the services it runs under."""

    def __init__(self, conn: asyncpg.Connection, services: OdmServices) -> None:
        super().__init__(conn)
        self.services = services

    def actor(self, given: str | None) -> str:
        """Who acts: the caller if it said, else the configured primary user."""
        return given or self.services.primary_user_id


def transactional(fn: Callable[Concatenate[Work, P], Awaitable[R]]) -> Callable[Concatenate[OdmServices, P], Awaitable[R]]:
    """Run the use case ``fn(work, ...)`` in one transaction, retried on deadlock/serialization failure.

    Raises:
        Conflict: the transaction lost to concurrent changes three times in a row.
    """
    return _retried(fn, explicit=True)


def single_statement(fn: Callable[Concatenate[Work, P], Awaitable[R]]) -> Callable[Concatenate[OdmServices, P], Awaitable[R]]:
    """Like :func:`transactional` for a use case whose writes are one statement (atomic by itself):
    no BEGIN/COMMIT round trips. Reads after that statement see its result.

    Raises:
        Conflict: the statement lost to concurrent changes three times in a row.
    """
    return _retried(fn, explicit=False)


def _retried(fn: Callable[Concatenate[Work, P], Awaitable[R]], *, explicit: bool) -> Callable[Concatenate[OdmServices, P], Awaitable[R]]:
    @functools.wraps(fn)
    async def run(services: OdmServices, *args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, _RETRIES + 1):
            try:
                async with services.pool.acquire() as conn:
                    if not explicit:
                        return await fn(Work(conn, services), *args, **kwargs)
                    async with conn.transaction():
                        return await fn(Work(conn, services), *args, **kwargs)
            except (asyncpg.DeadlockDetectedError, asyncpg.SerializationError):
                if attempt == _RETRIES:
                    raise Conflict("the work graph changed concurrently; call again") from None
        raise AssertionError("unreachable")

    return run


def need(row: asyncpg.Record | None, kind: str, key: str) -> asyncpg.Record:
    """``row`` or NotFound naming what ``key`` looks like if it is the wrong kind of id."""
    if row is not None:
        return row
    looks = kind_of_id(key)
    hint = f"; {key} looks like a {looks.replace('_', ' ')} id" if looks not in (None, kind) else ""
    listing = {"task": "list_tasks", "ticket": "list_tickets", "project": "list_projects"}.get(kind)
    then = f" (find ids with search or {listing})" if listing else ""
    raise NotFound(f"no {kind.replace('_', ' ')} {key}{hint}{then}")


def dec(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def jsonish(row: asyncpg.Record) -> dict[str, Any]:
    """The row as a dict with its jsonb columns decoded."""
    data = dict(row)
    for column in _JSON_COLUMNS:
        if isinstance(data.get(column), str):
            data[column] = json.loads(data[column])
    return data


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str)

