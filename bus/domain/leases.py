"""Named leases: one holder at a time, an expiry, and a fencing token that grows with every grant."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

__all__ = ["GO_LEASE", "Lease", "LeaseGrant", "LeaseRelease"]

GO_LEASE = "go"  # the well-known lease whose holder is the system master orchestrator


class LeaseGrant(BaseModel):
    name: str
    holder: str
    token: int = Field(description="fencing token: pass it to release_lease and to anything the lease guards")
    expires_at: datetime
    renewed: bool = Field(description="true when the holder already held the lease and only the expiry moved")


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
    released: bool = Field(description="true if this call ended a live grant; false if it had already expired or been released")
