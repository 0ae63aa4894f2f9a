"""ODM settings from ``XIOPRO_*`` variables: who the primary user is, how often expired claims are swept.

Read when the server starts (never at import).
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from odm.domain.types import UserRole

__all__ = ["OdmSettings"]


class OdmSettings(BaseSettings):
    """The primary user is the default decision maker (§4.0); it is configured, never hard-coded."""

    model_config = SettingsConfigDict(env_prefix="XIOPRO_", extra="ignore")

    primary_user: str = Field(default="operator", min_length=1, max_length=200,
                              description="name of the primary user (the default decision maker)")
    primary_user_email: str | None = Field(default=None, description="e-mail of the primary user")
    primary_user_role: UserRole = Field(default="founder", description="founder, operator, reviewer or observer")
    claim_sweep_interval_s: float = Field(default=5.0, gt=0, le=3600,
                                          description="seconds between sweeps returning expired claims to ready")

    partition_check_interval_s: float = Field(default=3600.0, gt=0, le=86400,
                                              description="seconds between checks that this and next month's "
                                                          "activity partitions exist")

    runtime_degraded_after_s: float = Field(default=90.0, gt=0, le=86400,
                                            description="an agent runtime silent this long (no Bus heartbeat) reads degraded")
    runtime_failed_after_s: float = Field(default=300.0, gt=0, le=86400,
                                          description="an agent runtime silent this long reads failed")

    @field_validator("primary_user", mode="after")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must name a person or role, not be blank")
        return value.strip()
