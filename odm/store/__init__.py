"""The odm database behind small classes, one per aggregate; ``OdmStores`` gathers them on one connection."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property

import asyncpg

from odm.store._base import Store
from odm.store._paging import decode_cursor, encode_cursor
from odm.store.activities import ActivityStore
from odm.store.budgets import BudgetStore, EvaluationStore
from odm.store.claims import ClaimStore
from odm.store.escalations import DecisionStore, EscalationStore
from odm.store.execution import RuntimeStore, SessionStore, SurfaceStore, TemplateStore
from odm.store.history import HistoryStore
from odm.store.idempotency import IdempotencyStore
from odm.store.knowledge import KnowledgeStore, ResearchStore, ScheduleStore
from odm.store.planning import IdeaStore, ThreadStore
from odm.store.projects import ProjectStore, RosterStore, SprintStore
from odm.store.records import EvolutionStore, OverrideStore
from odm.store.registry import HostStore, TopicStore, UserStore
from odm.store.report import ReportStore
from odm.store.search import SEARCHABLE, FeedStore, SearchStore
from odm.store.tasks import TaskStore
from odm.store.tickets import TicketStore

__all__ = ["SEARCHABLE", "OdmStores", "Store", "decode_cursor", "encode_cursor"]


class OdmStores:
    """The stores of one use case, all on the same connection and transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def now(self) -> datetime:
        """The database's clock (the transaction's start time inside a transaction)."""
        value: datetime = await self.conn.fetchval("SELECT now()")
        return value

    @cached_property
    def projects(self) -> ProjectStore:
        return ProjectStore(self.conn)

    @cached_property
    def roster(self) -> RosterStore:
        return RosterStore(self.conn)

    @cached_property
    def sprints(self) -> SprintStore:
        return SprintStore(self.conn)

    @cached_property
    def tickets(self) -> TicketStore:
        return TicketStore(self.conn)

    @cached_property
    def tasks(self) -> TaskStore:
        return TaskStore(self.conn)

    @cached_property
    def claims(self) -> ClaimStore:
        return ClaimStore(self.conn)

    @cached_property
    def evolutions(self) -> EvolutionStore:
        return EvolutionStore(self.conn)

    @cached_property
    def history(self) -> HistoryStore:
        return HistoryStore(self.conn)

    @cached_property
    def overrides(self) -> OverrideStore:
        return OverrideStore(self.conn)

    @cached_property
    def escalations(self) -> EscalationStore:
        return EscalationStore(self.conn)

    @cached_property
    def decisions(self) -> DecisionStore:
        return DecisionStore(self.conn)

    @cached_property
    def idempotency(self) -> IdempotencyStore:
        return IdempotencyStore(self.conn)

    @cached_property
    def ideas(self) -> IdeaStore:
        return IdeaStore(self.conn)

    @cached_property
    def threads(self) -> ThreadStore:
        return ThreadStore(self.conn)

    @cached_property
    def users(self) -> UserStore:
        return UserStore(self.conn)

    @cached_property
    def topics(self) -> TopicStore:
        return TopicStore(self.conn)

    @cached_property
    def hosts(self) -> HostStore:
        return HostStore(self.conn)

    @cached_property
    def search(self) -> SearchStore:
        return SearchStore(self.conn)

    @cached_property
    def report(self) -> ReportStore:
        return ReportStore(self.conn)

    @cached_property
    def feeds(self) -> FeedStore:
        return FeedStore(self.conn)

    @cached_property
    def activities(self) -> ActivityStore:
        return ActivityStore(self.conn)

    @cached_property
    def budgets(self) -> BudgetStore:
        return BudgetStore(self.conn)

    @cached_property
    def evaluations(self) -> EvaluationStore:
        return EvaluationStore(self.conn)

    @cached_property
    def research(self) -> ResearchStore:
        return ResearchStore(self.conn)

    @cached_property
    def knowledge(self) -> KnowledgeStore:
        return KnowledgeStore(self.conn)

    @cached_property
    def schedules(self) -> ScheduleStore:
        return ScheduleStore(self.conn)

    @cached_property
    def templates(self) -> TemplateStore:
        return TemplateStore(self.conn)

    @cached_property
    def surfaces(self) -> SurfaceStore:
        return SurfaceStore(self.conn)

    @cached_property
    def runtimes(self) -> RuntimeStore:
        return RuntimeStore(self.conn)

    @cached_property
    def sessions(self) -> SessionStore:
        return SessionStore(self.conn)
