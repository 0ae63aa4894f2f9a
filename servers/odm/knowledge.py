"""odm-mcp Research tasks and knowledge objects (knowledge toolset); their lifecycle moves go through transition."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from odm.domain.knowledge import ContentRef, KnowledgeCreate, KnowledgeOut, ResearchCreate, ResearchOut, ResearchOutput, Sha256
from odm.domain.types import IdemKey, KnowledgeType, Limit, LongText, OutputType, Ref, ShortText, Title
from odm.domain.views import Page
from odm.services import knowledge
from servers.app import ToolGroup
from servers.odm._context import Refs, given, services

__all__ = ["create_knowledge_object", "create_research_task", "list_knowledge_objects", "list_research_tasks",
           "record_research_output"]

tools = ToolGroup()
KNOW = "knowledge"
Size = Annotated[int, Field(ge=0, le=2**62)]


@tools.tool(KNOW, title="Create research task", read_only=False, destructive=False, idempotent=False, open_world=False,
            scope="research")
async def create_research_task(ctx: Context, name: Title, objective: LongText, output_type: OutputType,
                               project_id: Ref | None = None, ticket_id: Ref | None = None,
                               parent_task_id: Ref | None = None, topic_ids: Refs = [], source_classes: Refs = [],
                               review_required: bool = False, owner_runtime_id: Ref | None = None,
                               recurrence: ShortText | None = None, destination_refs: Refs = [],
                               idempotency_key: IdemKey | None = None) -> ResearchOut:
    """Open a research task (create.draft); schedule it with schedule (execution toolset), move it with transition
    (kind research_task). Errors: [not_found], [idempotency_mismatch]."""
    return await knowledge.create_research_task(services(ctx), ResearchCreate(**given(
        name=name, objective=objective, output_type=output_type, project_id=project_id, ticket_id=ticket_id,
        parent_task_id=parent_task_id, topic_ids=topic_ids, source_classes=source_classes,
        review_required=review_required, owner_runtime_id=owner_runtime_id, recurrence=recurrence,
        destination_refs=destination_refs, idempotency_key=idempotency_key)))


@tools.tool(KNOW, title="Record research output", read_only=False, destructive=False, idempotent=True,
            open_world=False, scope="research")
async def record_research_output(ctx: Context, research_task_id: Ref, content_ref: ContentRef, content_sha256: Sha256,
                                 content_size: Size, summary: ShortText | None = None) -> ResearchOut:
    """Record a finding by reference (URI + sha256 + size) as the research task's latest output, while it executes
    or is in review. Errors: [not_found], [invalid_transition], [invalid_argument]."""
    return await knowledge.record_research_output(services(ctx), ResearchOutput(**given(
        research_task_id=research_task_id, content_ref=content_ref, content_sha256=content_sha256,
        content_size=content_size, summary=summary)))


@tools.tool(KNOW, title="List research tasks", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_research_tasks(ctx: Context, status_state: Ref | None = None, limit: Limit = 20,
                              cursor: str | None = None) -> Page[ResearchOut]:
    """Research tasks (compact), optionally in one status_state; details at odm://research/{id}."""
    return await knowledge.list_research_tasks(services(ctx), status_state=status_state, cursor=cursor, limit=limit)


@tools.tool(KNOW, title="Create knowledge object", read_only=False, destructive=False, idempotent=False,
            open_world=False, scope="research")
async def create_knowledge_object(ctx: Context, type: KnowledgeType, title: Title, source: ShortText,
                                  content_ref: ContentRef | None = None, content_sha256: Sha256 | None = None,
                                  content_size: Size | None = None, body: LongText | None = None,
                                  summary: ShortText = "", topics: Refs = [], content_type: Ref | None = None,
                                  version: Ref = "1", research_task_id: Ref | None = None,
                                  idempotency_key: IdemKey | None = None) -> KnowledgeOut:
    """Store a knowledge object (create.draft) by reference: content_ref + content_sha256 + content_size, or a body
    of at most 4096 bytes. Errors: [invalid_argument] (naming the field), [not_found], [idempotency_mismatch]."""
    return await knowledge.create_knowledge_object(services(ctx), KnowledgeCreate(**given(
        type=type, title=title, source=source, content_ref=content_ref, content_sha256=content_sha256,
        content_size=content_size, body=body, summary=summary, topics=topics, content_type=content_type,
        version=version, research_task_id=research_task_id, idempotency_key=idempotency_key)))


@tools.tool(KNOW, title="List knowledge objects", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_knowledge_objects(ctx: Context, type: KnowledgeType | None = None, status_state: Ref | None = None,
                                 research_task_id: Ref | None = None, limit: Limit = 20,
                                 cursor: str | None = None) -> Page[KnowledgeOut]:
    """Knowledge objects (compact) by type, status_state or research task; details at odm://knowledge/{id}."""
    return await knowledge.list_knowledge_objects(services(ctx), type_=type, status_state=status_state,
                                                  research_task_id=research_task_id, cursor=cursor, limit=limit)
