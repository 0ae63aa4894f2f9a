"""SQLModel table models of the odm database (imported by Alembic's env.py for ``target_metadata``)."""

from odm.domain.models.accounting import Activity, ActivityEvaluation, BudgetHold, CostLedgerEntry, TimeLedgerEntry
from odm.domain.models.escalation import OPEN_ESCALATION_PREDICATE, EscalationRequest, HumanDecision
from odm.domain.models.execution import LIVE_RUNTIME_PREDICATE, AgentRuntime, AgentTemplate, ExecutionSurface, Session
from odm.domain.models.knowledge import KnowledgeObject, ResearchTask, Schedule, ScheduleOccurrence
from odm.domain.models.planning import DiscussionThread, Idea, IdeaThread
from odm.domain.models.project import Project, ProjectAgentBinding, Sprint
from odm.domain.models.records import OVERRIDE_SCOPES, OverrideRecord
from odm.domain.models.registry import Host, Topic, TopicRelation, User
from odm.domain.models.task import CLAIMABLE_PREDICATE, Task, TaskDependency
from odm.domain.models.ticket import Counter, IdempotencyKey, Ticket, TicketEvolution

__all__ = [
    "CLAIMABLE_PREDICATE",
    "LIVE_RUNTIME_PREDICATE",
    "OPEN_ESCALATION_PREDICATE",
    "OVERRIDE_SCOPES",
    "Activity",
    "AgentRuntime",
    "AgentTemplate",
    "ActivityEvaluation",
    "BudgetHold",
    "CostLedgerEntry",
    "Counter",
    "DiscussionThread",
    "EscalationRequest",
    "ExecutionSurface",
    "Host",
    "HumanDecision",
    "IdempotencyKey",
    "Idea",
    "IdeaThread",
    "KnowledgeObject",
    "OverrideRecord",
    "Project",
    "ResearchTask",
    "Schedule",
    "ScheduleOccurrence",
    "Session",
    "ProjectAgentBinding",
    "Sprint",
    "Task",
    "TimeLedgerEntry",
    "TaskDependency",
    "Ticket",
    "TicketEvolution",
    "Topic",
    "TopicRelation",
    "User",
]
