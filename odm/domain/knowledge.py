"""Research tasks (§4.12B) and knowledge objects (§4.13): their commands and views, and the content-by-reference
rule (§14.3): content lives elsewhere (a URI plus its sha256 and size); only a small body may be inline."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, WithJsonSchema, field_validator, model_validator

from odm.domain.commands import PLAIN_LIST, Command, Refs
from odm.domain.types import IdemKey, KnowledgeType, LongText, OutputType, Ref, ShortText, Title
from odm.domain.views import Lifecycled

__all__ = ["INLINE_BODY_LIMIT", "ContentRef", "KnowledgeCreate", "KnowledgeDetail", "KnowledgeOut", "ResearchCreate",
           "ResearchDetail", "ResearchOutput", "ResearchOut", "Sha256"]

INLINE_BODY_LIMIT = 4096  # bytes of UTF-8; the database CHECK repeats it
_PLAIN = WithJsonSchema({"type": "string"})
ContentRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000,
                                              pattern=r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$"), _PLAIN]
Sha256 = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[0-9a-fA-F]{64}$"), _PLAIN]
Size = Annotated[int, Field(ge=0, le=2**62)]
Words = Annotated[list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]],
                  Field(max_length=50), PLAIN_LIST]


class ResearchCreate(Command):
    name: Title
    objective: LongText
    output_type: OutputType
    project_id: Ref | None = None
    ticket_id: Ref | None = None
    parent_task_id: Ref | None = None
    topic_ids: Refs = []
    source_classes: Words = []
    review_required: bool = False
    owner_runtime_id: Ref | None = None
    recurrence: ShortText | None = None
    destination_refs: Refs = []
    actor: Ref | None = None
    idempotency_key: IdemKey | None = None


class ResearchOutput(Command):
    """An output of a research task, by reference (the latest one is kept on the task)."""

    research_task_id: Ref
    content_ref: ContentRef
    content_sha256: Sha256
    content_size: Size
    summary: ShortText | None = None
    actor: Ref | None = None


class KnowledgeCreate(Command):
    type: KnowledgeType
    title: Title
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), _PLAIN]
    summary: ShortText = ""
    topics: Refs = []
    content_ref: ContentRef | None = None
    content_sha256: Sha256 | None = None
    content_size: Size | None = None
    content_type: Annotated[str, StringConstraints(max_length=200), _PLAIN] | None = None
    body: LongText | None = None
    version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), _PLAIN] = "1"
    research_task_id: Ref | None = None
    actor: Ref | None = None
    idempotency_key: IdemKey | None = None

    @field_validator("body")
    @classmethod
    def _small(cls, body: str | None) -> str | None:
        if body is not None and len(body.encode()) > INLINE_BODY_LIMIT:
            raise ValueError(f"{len(body.encode())} bytes inline is above the {INLINE_BODY_LIMIT}-byte limit; store "
                             "the content elsewhere and pass content_ref, content_sha256 and content_size instead")
        return body

    @model_validator(mode="after")
    def _by_reference(self) -> KnowledgeCreate:
        if self.body is None:
            missing = [n for n in ("content_ref", "content_sha256", "content_size") if getattr(self, n) is None]
            if missing:
                raise ValueError(f"{', '.join(missing)}: required (content is by reference: a URI, its sha256 and "
                                 f"size; or a body of at most {INLINE_BODY_LIMIT} bytes)")
        elif self.content_ref is not None:
            raise ValueError("content_ref: give either content_ref (with content_sha256 and content_size) or body, not both")
        else:
            raw = self.body.encode()
            if self.content_sha256 not in (None, hashlib.sha256(raw).hexdigest()):
                raise ValueError("content_sha256: does not match the sha256 of body; omit it to let the ODM compute it")
            if self.content_size not in (None, len(raw)):
                raise ValueError("content_size: does not match the size of body in bytes; omit it")
        return self

    def content(self) -> tuple[str, int]:
        """(sha256, size) of the content: computed for an inline body, as given for a reference."""
        if self.body is not None:
            raw = self.body.encode()
            return hashlib.sha256(raw).hexdigest(), len(raw)
        assert self.content_sha256 is not None and self.content_size is not None
        return self.content_sha256, self.content_size


class ResearchOut(Lifecycled):
    name: str
    output_type: str
    latest_output_ref: str | None


class ResearchDetail(ResearchOut):
    project_id: str | None
    ticket_id: str | None
    parent_task_id: str | None
    objective: str
    topic_ids: list[str]
    source_classes: list[str]
    review_required: bool
    owner_runtime_id: str | None
    recurrence: str | None
    destination_refs: list[str]
    latest_output_sha256: str | None
    latest_output_size: int | None
    latest_output_summary: str | None
    output_count: int
    knowledge_object_ids: list[str] = []
    schedule_ids: list[str] = []
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


class KnowledgeOut(Lifecycled):
    type: str
    title: str
    version: str


class KnowledgeDetail(KnowledgeOut):
    summary: str
    topics: list[str]
    source: str
    content_ref: str | None
    content_sha256: str
    content_size: int
    content_type: str | None
    inline_body: str | None
    research_task_id: str | None
    created_at: datetime
    updated_at: datetime
