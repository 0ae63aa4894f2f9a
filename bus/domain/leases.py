"""Named leases: one holder at a time, an expiry, and a fencing token that grows with every grant."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

__all__ = ["GO_LEASE", "Lease", "LeaseGrant", "LeaseRelease"]

GO_LEASE = "go"  # the well-known lease whose holder is the system master orchestrator


class LeaseGrant(BaseModel):
    name: str
    holder: str
    token: int
    expires_at: datetime
    renewed: bool


class Lease(BaseModel):
    name: str
    held: bool = Field(description="true while the lease is held (not expired, not released)")
    holder: str | None = Field(description="current holder, or the last one when not held")
    token: int = Field(description="token of the current (or last) grant; the next grant gets a larger one")
    acquired_at: datetime
    expires_at: datetime


class LeaseRelease(BaseModel):
    name: str
    holder: str
    token: int
    released: bool  # false when the grant had already expired or been released
