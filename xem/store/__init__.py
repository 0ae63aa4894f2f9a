"""asyncpg queries on the bus database, schema ``xem`` (and the XEM rows of the Bus agent registry); one class
per aggregate on a caller's connection. The services own the transactions; these classes only run SQL with
bound parameters. ``XemStores`` holds them all on one connection.
"""

from __future__ import annotations

from functools import cached_property

import asyncpg

from xem.store.agents import AgentKey, AgentStore
from xem.store.approvals import ApprovalStore
from xem.store.audit import AuditStore
from xem.store.bus_alerts import BusAlertStore
from xem.store.bus_registry import BusRegistryStore
from xem.store.dispatches import DispatchStore
from xem.store.invocations import InvocationStore
from xem.store.join_keys import JoinKeyStore
from xem.store.learnings import LearningStore
from xem.store.subplans import SubplanStore
from xem.store.templates import TemplateStore
from xem.store.workspaces import ModelStore, WorkspaceStore

__all__ = ["AgentKey", "AgentStore", "ApprovalStore", "AuditStore", "BusAlertStore", "BusRegistryStore", "DispatchStore",
           "InvocationStore", "JoinKeyStore", "LearningStore", "ModelStore", "SubplanStore", "TemplateStore", "WorkspaceStore",
           "XemStores"]


class XemStores:
    """The stores of one use case, all on the same connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    @cached_property
    def agents(self) -> AgentStore:
        return AgentStore(self.conn)

    @cached_property
    def audit(self) -> AuditStore:
        return AuditStore(self.conn)

    @cached_property
    def dispatches(self) -> DispatchStore:
        return DispatchStore(self.conn)

    @cached_property
    def join_keys(self) -> JoinKeyStore:
        return JoinKeyStore(self.conn)

    @cached_property
    def registry(self) -> BusRegistryStore:
        return BusRegistryStore(self.conn)

    @cached_property
    def invocations(self) -> InvocationStore:
        return InvocationStore(self.conn)

    @cached_property
    def approvals(self) -> ApprovalStore:
        return ApprovalStore(self.conn)

    @cached_property
    def bus_alerts(self) -> BusAlertStore:
        return BusAlertStore(self.conn)

    @cached_property
    def learnings(self) -> LearningStore:
        return LearningStore(self.conn)

    @cached_property
    def workspaces(self) -> WorkspaceStore:
        return WorkspaceStore(self.conn)

    @cached_property
    def models(self) -> ModelStore:
        return ModelStore(self.conn)

    @cached_property
    def templates(self) -> TemplateStore:
        return TemplateStore(self.conn)

    @cached_property
    def subplans(self) -> SubplanStore:
        return SubplanStore(self.conn)
