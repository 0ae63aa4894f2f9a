"""SQLModel table models of the odm database (imported by Alembic's env.py for ``target_metadata``)."""

from .planning import DiscussionThread, Idea, IdeaThread
from .project import Project, ProjectAgentBinding, Sprint
from .records import OVERRIDE_SCOPES, OverrideRecord
from .registry import Host, Topic, TopicRelation, User
from .task import CLAIMABLE_PREDICATE, Task, TaskDependency
from .ticket import Counter, IdempotencyKey, Ticket, TicketEvolution

__all__ = [
    "CLAIMABLE_PREDICATE",
    "OVERRIDE_SCOPES",
    "Counter",
    "DiscussionThread",
    "Host",
    "IdempotencyKey",
    "Idea",
    "IdeaThread",
    "OverrideRecord",
    "Project",
    "ProjectAgentBinding",
    "Sprint",
    "Task",
    "TaskDependency",
    "Ticket",
    "TicketEvolution",
    "Topic",
    "TopicRelation",
    "User",
]
