"""Value types shared by commands and MCP tool signatures: enums as ``Literal`` and bounded strings/numbers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, WithJsonSchema

__all__ = [
    "AgentId", "Allocation", "Cost", "EvolutionAction", "ExecutionMode", "HostRole", "HostStatus", "IdeaSource",
    "KnowledgeType", "OutputType", "ScheduleMode",
    "DEFAULT_LEASE_SECONDS", "IdemKey", "InitiatedBy", "Kind", "LeaseSeconds", "Limit", "LifecyclePhase", "LongText", "Minutes", "Name",
    "NotificationChannel", "Priority", "Ref", "ReviewCycle", "ShortText", "SourceChannel", "Tag", "Tags",
    "ThreadType", "Title", "UserRole",
]

Kind = Literal["project", "sprint", "ticket", "task", "discussion_thread", "idea", "research_task", "knowledge_object"]
Priority = Literal["low", "normal", "high", "critical"]
ExecutionMode = Literal["headless", "rc_attachable", "scheduled", "event_driven", "interactive"]
EvolutionAction = Literal["split", "spawn_subticket", "merge", "reassign", "defer", "cancel", "revive"]
InitiatedBy = Literal["human", "orchestrator", "governor", "system"]
LifecyclePhase = Literal["topic", "research", "blueprint", "review", "planning", "execution", "integration",
                         "production", "maintenance"]
Allocation = Literal["full_time", "part_time", "shared", "on_demand"]
UserRole = Literal["founder", "operator", "reviewer", "observer"]
NotificationChannel = Literal["sse", "email", "telegram", "slack", "webhook"]
HostRole = Literal["control_plane", "worker", "hybrid", "gpu", "product"]
HostStatus = Literal["online", "offline", "degraded", "maintenance"]
IdeaSource = Literal["user", "agent", "dream", "research", "discussion", "external"]
ReviewCycle = Literal["weekly", "monthly", "quarterly", "on_demand"]
ThreadType = Literal["intake", "clarification", "design", "review", "recovery", "research"]
SourceChannel = Literal["ui", "rc", "cli", "api", "imported"]
OutputType = Literal["digest", "comparison", "watchlist", "synthesis", "presentation", "candidate_scan"]
KnowledgeType = Literal["rule", "skill", "document", "blueprint", "reflection", "profile", "log", "research_output"]
ScheduleMode = Literal["immediate", "delayed", "periodic", "event_driven", "idle_window"]

# Texts and ids are checked (lengths) but advertised as plain strings: the default toolset's tools/list must stay
# within 16 KB, and a refusal names the limit ([invalid_argument] ... at most N characters).
_PLAIN = WithJsonSchema({"type": "string"})
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _PLAIN]
Name = Title
ShortText = Annotated[str, StringConstraints(max_length=2000), _PLAIN]
LongText = Annotated[str, StringConstraints(max_length=20000), _PLAIN]
# Ids are checked (1-64 characters) but advertised as plain strings: they are many, and short.
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), WithJsonSchema({"type": "string"})]
AgentId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), _PLAIN]
IdemKey = Annotated[str, StringConstraints(min_length=1, max_length=200), WithJsonSchema({"type": "string"})]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Tags = Annotated[list[Tag], Field(max_length=50)]
Cost = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Minutes = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Limit = Annotated[int, Field(ge=1, le=200)]
LeaseSeconds = Annotated[int, Field(ge=5, le=86400)]
DEFAULT_LEASE_SECONDS = 300  # a claim's lease when nobody says otherwise
