"""The bus database behind small classes, one per aggregate; ``BusStores`` gathers them on one connection.

SQL is written out with bound parameters; no store opens the use case's transaction (the unit of work in
``bus.services._work`` does). ODM facts come through the ODM server's MCP API
(``servers.kernel.odm_client``), never its database.
"""

from __future__ import annotations

from functools import cached_property

import asyncpg

from bus.store.agents import AgentStore
from bus.store.alerts import AlertStore
from bus.store.capacity import CapacityStore
from bus.store.changes import ChangeStore
from bus.store.events import EventStore
from bus.store.leases import LeaseStore
from bus.store.messages import MessageStore
from bus.store.names import NameStore
from bus.store.todos import TodoStore
from bus.store.xem_approvals import XemApprovalStore

__all__ = ["BusStores"]


class BusStores:
    """The stores of one use case, all on the same connection (and its transaction, if any)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    @cached_property
    def agents(self) -> AgentStore:
        return AgentStore(self.conn)

    @cached_property
    def messages(self) -> MessageStore:
        return MessageStore(self.conn)

    @cached_property
    def leases(self) -> LeaseStore:
        return LeaseStore(self.conn)

    @cached_property
    def events(self) -> EventStore:
        return EventStore(self.conn)

    @cached_property
    def capacity(self) -> CapacityStore:
        return CapacityStore(self.conn)

    @cached_property
    def alerts(self) -> AlertStore:
        return AlertStore(self.conn)

    @cached_property
    def todos(self) -> TodoStore:
        return TodoStore(self.conn)

    @cached_property
    def names(self) -> NameStore:
        return NameStore(self.conn)

    @cached_property
    def changes(self) -> ChangeStore:
        """Change notices (pg_notify on ``servers.kernel.channels.BUS_CHANGES``), sent at commit."""
        return ChangeStore(self.conn)

    @cached_property
    def xem_approvals(self) -> XemApprovalStore:
        return XemApprovalStore(self.conn)
