"""The Override Record table (§4.12A): append-only, except its revocation fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text
from sqlmodel import Field

from odm.domain.models._columns import Metadata, jsonb, now_column, string, timestamp

__all__ = ["OVERRIDE_SCOPES", "OverrideRecord"]

# §4.12A scope types, plus the lifecycle kinds whose forced moves are recorded here.
OVERRIDE_SCOPES = ("task", "agent_runtime", "session", "escalation_request", "module_route", "policy",
                   "project", "sprint", "ticket", "discussion_thread", "idea", "research_task", "knowledge_object")


class OverrideRecord(Metadata, table=True):
    __tablename__ = "override_records"
    __table_args__ = (Index("override_records_scope", "scope_type", "scope_ref"),
                      Index("override_records_one_revocation", "revokes_id", unique=True,
                            postgresql_where="revokes_id IS NOT NULL"))

    id: str = string(nullable=False, primary_key=True)
    scope_type: str = string(nullable=False)
    scope_ref: str = string(nullable=False)
    trigger_ref: str | None = string()
    override_type: str = string(nullable=False)  # pause | resume | constrain | reroute | force_module | ... | cancel
    reason: str = string(nullable=False)
    issued_by: str = string(nullable=False)
    approved_by: str | None = string()
    prior_state_ref: str | None = string()
    applied_change_ref: str | None = string()
    override_params: dict[str, Any] | None = jsonb()
    effective_from: datetime = now_column()
    effective_until: datetime | None = timestamp()
    revoked: bool = False
    revoked_by: str | None = string()
    revoked_at: datetime | None = timestamp()
    expires_at: datetime | None = timestamp()
    resolved_at: datetime | None = timestamp()
    revokes_id: str | None = Field(default=None, sa_type=Text, foreign_key="override_records.id")  # a revocation record
