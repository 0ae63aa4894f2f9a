"""The XEM services context and its unit of work (``servers.kernel.uow``): one use case, one unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from servers.kernel import uow as kernel_uow
from xem.domain.templates import TemplateLibrary
from xem.store import XemStores

__all__ = ["Work", "XemServices", "read_only", "single_statement", "transactional"]


@dataclass
class XemServices:
    """What every XEM use case runs with: the bus database (schema ``xem``), and the exec catalogs it built lately
    (keyed by the (agent, manifest hash) pairs each was built from; see ``invocations.catalog_of``)."""

    pool: asyncpg.Pool
    catalogs: dict[tuple[tuple[str, str], ...], Any] = field(default_factory=dict, repr=False, compare=False, kw_only=True)
    templates: TemplateLibrary = field(default_factory=TemplateLibrary)  # the schema and the platform templates


class Work(XemStores, kernel_uow.Work[XemServices]):
    """The stores of one use case plus the services it runs under."""

    def __init__(self, conn: asyncpg.Connection, services: XemServices) -> None:
        XemStores.__init__(self, conn)
        self.services = services


_uow = kernel_uow.UnitOfWork(Work, conflict="the XEM state changed concurrently; try again")
transactional = _uow.transaction
single_statement = _uow.statement
read_only = _uow.read
