"""odm-mcp ``planning`` toolset, part 2: ideas, discussion threads, topics, users and hosts."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from odm.commands import HostRegister, IdeaCreate, ThreadCreate, TopicCreate, UserCreate
from odm.services import ideas, registry
from odm.types import (
    AgentId,
    HostRole,
    HostStatus,
    IdeaSource,
    IdemKey,
    Limit,
    LongText,
    Minutes,
    Name,
    NotificationChannel,
    Priority,
    Ref,
    ReviewCycle,
    ShortText,
    SourceChannel,
    Tags,
    ThreadType,
    Title,
    UserRole,
)
from odm.views import HostOut, IdeaOut, Page, ThreadOut, TicketOut, TopicOut, UserOut
from servers.app import ToolGroup
from servers.odm.tools import Refs, given, services

__all__ = ["tools"]

tools = ToolGroup()

PLAN = "planning"
Count = Annotated[int, Field(ge=0, le=100000)]
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


@tools.tool(PLAN, title="Create topic", read_only=False, destructive=False, idempotent=False, open_world=False)
async def create_topic(ctx: Context, name: Name, parent_topic_id: Ref | None = None, description: LongText = "",
                       taxonomy: Tags = [], related_topic_ids: Refs = [],
                       idempotency_key: IdemKey | None = None) -> TopicOut:
    """Create a topic in the tree (under parent_topic_id), related both ways to related_topic_ids. Errors: [not_found]."""
    return await registry.create_topic(services(ctx), TopicCreate(**given(
        name=name, parent_topic_id=parent_topic_id, description=description, taxonomy=taxonomy,
        related_topic_ids=related_topic_ids, idempotency_key=idempotency_key)))


@tools.tool(PLAN, title="List topics", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_topics(ctx: Context, parent_topic_id: Ref | None = None, limit: Limit = 200) -> Page[TopicOut]:
    """The children of parent_topic_id, or the top-level topics."""
    return Page[TopicOut](items=await registry.list_topics(services(ctx), parent_topic_id=parent_topic_id, limit=limit))


@tools.tool(PLAN, title="Create user", read_only=False, destructive=False, idempotent=False, open_world=False)
async def create_user(ctx: Context, name: Name, email: Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None,
                      role: UserRole = "operator", auth_accounts: Tags = [],
                      notification_channels: Annotated[list[NotificationChannel], Field(max_length=5)] = [],
                      idempotency_key: IdemKey | None = None) -> UserOut:
    """Add a human user (the primary one comes from XIOPRO_PRIMARY_USER). Errors: [conflict] name taken."""
    return await registry.create_user(services(ctx), UserCreate(**given(
        name=name, email=email, role=role, auth_accounts=auth_accounts, notification_channels=notification_channels,
        idempotency_key=idempotency_key)))


@tools.tool(PLAN, title="List users", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_users(ctx: Context) -> Page[UserOut]:
    """All users; is_primary marks the default decision maker."""
    return Page[UserOut](items=await registry.list_users(services(ctx)))


@tools.tool(PLAN, title="Register host", read_only=False, destructive=False, idempotent=True, open_world=False)
async def register_host(ctx: Context, name: Name, role: HostRole, status: HostStatus = "online", os: ShortText = "",
                        cpu_model: ShortText = "", vcpus: Count = 0, ram_gb: Minutes = 0, ssd_gb: Minutes = 0,
                        gpu: ShortText | None = None, reserved_ram_gb: Minutes = 0, available_ram_gb: Minutes = 0,
                        ram_per_agent_gb: Minutes = 0, max_concurrent_agents: Count = 0, active_agents: Count = 0,
                        active_services: Tags = [], ip_tailscale: Ref | None = None,
                        ip_public: Ref | None = None) -> HostOut:
    """Register a compute host, or update the host of that name (capacity, status)."""
    return await registry.register_host(services(ctx), HostRegister(**given(
        name=name, role=role, status=status, os=os, cpu_model=cpu_model, vcpus=vcpus, ram_gb=ram_gb, ssd_gb=ssd_gb,
        gpu=gpu, reserved_ram_gb=reserved_ram_gb, available_ram_gb=available_ram_gb, ram_per_agent_gb=ram_per_agent_gb,
        max_concurrent_agents=max_concurrent_agents, active_agents=active_agents, active_services=active_services,
        ip_tailscale=ip_tailscale, ip_public=ip_public)))


@tools.tool(PLAN, title="List hosts", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_hosts(ctx: Context) -> Page[HostOut]:
    """All registered hosts with their capacity."""
    return Page[HostOut](items=await registry.list_hosts(services(ctx)))


