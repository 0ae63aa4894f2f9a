"""The unit of work every package's services use: one use case = one function = one database round of work.

A use case is written as ``async def use_case(work: W, ...)`` and decorated by the package's
``UnitOfWork``; callers then call ``use_case(services, ...)`` with the package's services object
(anything with a ``pool``). The decorator acquires a connection, builds the package's ``Work`` on it
(its stores and the services) and runs the function in one of three modes:

* ``transaction``  BEGIN ... COMMIT; the whole use case commits or nothing does;
* ``statement``    no BEGIN/COMMIT round trips, for a use case whose writes are one statement
                   (atomic by itself; reads after it see its result);
* ``read``         a read-only REPEATABLE READ snapshot, for use cases that only read.

A deadlock or serialization failure is retried (three attempts), then reported as ``Conflict``.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar

import asyncpg

from servers.kernel.errors import Conflict

__all__ = ["HasPool", "UnitOfWork", "Work"]

P = ParamSpec("P")
R = TypeVar("R")
_RETRIES = 3


class HasPool(Protocol):
    pool: asyncpg.Pool


S = TypeVar("S", bound=HasPool)


class Work(Generic[S]):
    """One connection (inside the use case's transaction, if any) and the services it runs under;
    packages subclass it to add their stores as attributes."""

    def __init__(self, conn: asyncpg.Connection, services: S) -> None:
        self.conn = conn
        self.services = services


W = TypeVar("W", bound=Work[Any])


class UnitOfWork(Generic[S, W]):
    """The three decorators of one package, building its ``Work`` class."""

    def __init__(self, work: Callable[[asyncpg.Connection, S], W], *, conflict: str) -> None:
        self._work = work
        self._conflict = conflict  # the message of the Conflict after the last retry

    def transaction(self, fn: Callable[Concatenate[W, P], Awaitable[R]]) -> Callable[Concatenate[S, P], Awaitable[R]]:
        """Run the use case in one transaction.

        Raises:
            Conflict: the transaction lost to concurrent changes three times in a row.
        """
        return self._wrap(fn, mode="transaction")

    def statement(self, fn: Callable[Concatenate[W, P], Awaitable[R]]) -> Callable[Concatenate[S, P], Awaitable[R]]:
        """Run the use case on a connection without an explicit transaction (its write is one statement).

        Raises:
            Conflict: the statement lost to concurrent changes three times in a row.
        """
        return self._wrap(fn, mode="statement")

    def read(self, fn: Callable[Concatenate[W, P], Awaitable[R]]) -> Callable[Concatenate[S, P], Awaitable[R]]:
        """Run the use case in a read-only REPEATABLE READ snapshot."""
        return self._wrap(fn, mode="read")

    def _wrap(self, fn: Callable[Concatenate[W, P], Awaitable[R]], *, mode: str) -> Callable[Concatenate[S, P], Awaitable[R]]:
        build, conflict = self._work, self._conflict

        async def run(services: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            for attempt in range(1, _RETRIES + 1):
                try:
                    async with services.pool.acquire() as conn:
                        if mode == "statement":
                            return await fn(build(conn, services), *args, **kwargs)
                        if mode == "read":
                            async with conn.transaction(isolation="repeatable_read", readonly=True):
                                return await fn(build(conn, services), *args, **kwargs)
                        async with conn.transaction():
                            return await fn(build(conn, services), *args, **kwargs)
                except (asyncpg.DeadlockDetectedError, asyncpg.SerializationError):
                    if attempt == _RETRIES:
                        raise Conflict(conflict) from None
            raise AssertionError("unreachable")

        functools.update_wrapper(run, fn)  # name and docstring of the use case (not its signature)
        return run
