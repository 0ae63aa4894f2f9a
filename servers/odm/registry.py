"""odm-mcp Topics, users and hosts (planning toolset)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from odm.domain.commands import (
    HostRegister,
    TopicCreate,
    UserCreate,
)
from odm.domain.types import (
    HostRole,
    HostStatus,
    IdemKey,
    Limit,
    LongText,
    Minutes,
    Name,
    NotificationChannel,
    Ref,
    ShortText,
    Tags,
    UserRole,
)
from odm.domain.views import (
    HostOut,
    Page,
    TopicOut,
    UserOut,
)
from odm.services import registry
from servers.app import ToolGroup
from servers.odm._context import Refs, given, services

__all__ = ["create_topic", "list_topics", "create_user", "list_users", "register_host", "list_hosts"]

tools = ToolGroup()
PLAN = "planning"


Count = Annotated[int, Field(ge=0, le=100000)]


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


@tools.tool(PLAN, title="Create user", read_only=False, destructive=False, idempotent=False, open_world=False,
            scope="management")
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
