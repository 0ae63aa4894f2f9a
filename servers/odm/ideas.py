"""odm-mcp Ideas and discussion threads (planning toolset)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from odm.domain.commands import (
    IdeaCreate,
    ThreadCreate,
)
from odm.domain.types import (
    AgentId,
    IdeaSource,
    IdemKey,
    Limit,
    LongText,
    Priority,
    Ref,
    ReviewCycle,
    SourceChannel,
    Tags,
    ThreadType,
    Title,
)
from odm.domain.views import (
    IdeaOut,
    Page,
    ThreadOut,
    TicketOut,
)
from odm.services import ideas
from servers.app import ToolGroup
from servers.odm._context import Refs, given, services

__all__ = [
    "create_idea",
    "list_ideas",
    "promote_idea",
    "create_thread",
    "link_idea_thread",
    "promote_thread",
    "list_threads",
]

tools = ToolGroup()
PLAN = "planning"


IdeaStatus = Annotated[list[Annotated[str, Field(pattern="^(new|under_discussion|approved|ticketed|deferred|rejected|archived)$")]],
                       Field(max_length=7)]


@tools.tool(PLAN, title="Create idea", read_only=False, destructive=False, idempotent=False, open_world=False)
async def create_idea(ctx: Context, title: Title, description: LongText = "", topic_id: Ref | None = None,
                      source: IdeaSource = "user", priority: Priority | None = None,
                      review_cycle: ReviewCycle | None = None, tags: Tags = [], context: LongText | None = None,
                      thread_ids: Refs = [], raised_by_agent_id: AgentId | None = None,
                      idempotency_key: IdemKey | None = None) -> IdeaOut:
    """Capture an idea (status new). Link discussion threads with thread_ids. Errors: [not_found], [idempotency_mismatch]."""
    return await ideas.create_idea(services(ctx), IdeaCreate(**given(
        title=title, description=description, topic_id=topic_id, source=source, priority=priority,
        review_cycle=review_cycle, tags=tags, context=context, thread_ids=thread_ids,
        raised_by_agent_id=raised_by_agent_id, idempotency_key=idempotency_key)))


@tools.tool(PLAN, title="List ideas", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_ideas(ctx: Context, status: IdeaStatus | None = None, due_for_review: bool = False,
                     limit: Limit = 20, cursor: str | None = None) -> Page[IdeaOut]:
    """List ideas by status; due_for_review=true gives new/deferred ones whose review date has come."""
    return await ideas.list_ideas(services(ctx), status=list(status) if status else None,
                                  due_for_review=due_for_review, cursor=cursor, limit=limit)


@tools.tool(PLAN, title="Promote idea", read_only=False, destructive=False, idempotent=False, open_world=False)
async def promote_idea(ctx: Context, idea_id: Ref, project_id: Ref, title: Title | None = None) -> TicketOut:
    """Turn an approved idea into a ticket of project_id; the idea becomes ticketed with ticket_id set.
    Errors: [invalid_transition] not approved, [not_found], [conflict] closed project."""
    return await ideas.promote_idea(services(ctx), idea_id, project_id, title)


@tools.tool(PLAN, title="Create discussion thread", read_only=False, destructive=False, idempotent=False, open_world=False)
async def create_thread(ctx: Context, thread_type: ThreadType, title: Title | None = None,
                        summary: LongText | None = None, project_id: Ref | None = None, topic_ids: Refs = [],
                        idea_ids: Refs = [], participants: Annotated[list[AgentId], Field(max_length=50)] = [],
                        source_channel: SourceChannel | None = None, linked_ticket_id: Ref | None = None,
                        linked_task_id: Ref | None = None, opened_by: AgentId | None = None,
                        idempotency_key: IdemKey | None = None) -> ThreadOut:
    """Open a discussion thread (create.active), linked to ideas (many-to-many), a ticket or a task.
    Errors: [not_found], [idempotency_mismatch]."""
    return await ideas.create_thread(services(ctx), ThreadCreate(**given(
        thread_type=thread_type, title=title, summary=summary, project_id=project_id, topic_ids=topic_ids,
        idea_ids=idea_ids, participants=participants, source_channel=source_channel,
        linked_ticket_id=linked_ticket_id, linked_task_id=linked_task_id, opened_by=opened_by,
        idempotency_key=idempotency_key)))


@tools.tool(PLAN, title="Link idea and thread", read_only=False, destructive=False, idempotent=True, open_world=False)
async def link_idea_thread(ctx: Context, idea_id: Ref, thread_id: Ref) -> IdeaOut:
    """Link an idea and a discussion thread (many-to-many). Errors: [not_found]."""
    return await ideas.link_idea_thread(services(ctx), idea_id, thread_id)


@tools.tool(PLAN, title="Promote thread", read_only=False, destructive=False, idempotent=False, open_world=False)
async def promote_thread(ctx: Context, thread_id: Ref, project_id: Ref | None = None,
                         title: Title | None = None) -> TicketOut:
    """Promote a thread in review.active into a ticket (of its project or project_id); it becomes complete.promoted.
    Errors: [invalid_transition] not in review, [invalid_argument] no project, [not_found]."""
    return await ideas.promote_thread(services(ctx), thread_id, project_id, title)


@tools.tool(PLAN, title="List discussion threads", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_threads(ctx: Context, project_id: Ref | None = None, status_state: Ref | None = None,
                       limit: Limit = 20, cursor: str | None = None) -> Page[ThreadOut]:
    """List discussion threads, by project or status_state."""
    return await ideas.list_threads(services(ctx), project_id=project_id, status_state=status_state, cursor=cursor,
                                    limit=limit)
