"""The Bus unit of work: what every use case runs with (``BusServices``), and the three decorators.

``transactional`` (BEGIN ... COMMIT), ``single_statement`` (no BEGIN/COMMIT: the use case's write is one
statement, atomic by itself) and ``read_only`` (a read-only REPEATABLE READ snapshot) come from
``servers.kernel.uow``; a decorated use case takes ``Work`` (the stores on one connection, and the
services) and is called with the ``BusServices``. This is the only services module that touches a
connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg
from anyio.abc import TaskGroup

from bus.settings import BusSettings
from bus.store import BusStores
from bus.store.listener import ChangeHub
from servers.kernel import uow as kernel_uow
from servers.kernel.odm_client import OdmGateway

if TYPE_CHECKING:  # both modules build on this one
    from bus.services.push import UriSubscriptions
    from bus.services.scanner import Scanner

__all__ = ["BusServices", "Work", "read_only", "single_statement", "transactional"]


@dataclass
class BusServices:
    """What every Bus use case runs with; ``runtime.services`` of bus-mcp (``bus.bootstrap`` builds it).

    ``changes`` fans this process's LISTEN notices out, ``push`` holds the legacy resource subscribers,
    ``background`` is the task group of the process's background work, ``scanner`` the attention scan's state.
    """

    pool: asyncpg.Pool
    settings: BusSettings
    odm: OdmGateway
    changes: ChangeHub
    background: TaskGroup
    push: UriSubscriptions
    scanner: Scanner


class Work(BusStores, kernel_uow.Work[BusServices]):
    """The stores of one use case on its connection, plus the services it runs under."""

    def __init__(self, conn: asyncpg.Connection, services: BusServices) -> None:
        BusStores.__init__(self, conn)
        self.services = services

    @property
    def settings(self) -> BusSettings:
        return self.services.settings


_uow = kernel_uow.UnitOfWork(Work, conflict="the bus changed concurrently; call again")
transactional = _uow.transaction  # one transaction per use case
single_statement = _uow.statement  # checks are reads, the write is one statement
read_only = _uow.read  # a read-only REPEATABLE READ snapshot
