"""Bus settings from the environment (``XIOPRO_BUS_*``, plus the suite-wide ``XIOPRO_PRIMARY_USER``)."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["BusSettings"]


class BusSettings(BaseSettings):
    """Intervals of liveness and of the attention-queue scanner; read in the server's lifespan."""

    model_config = SettingsConfigDict(env_prefix="XIOPRO_BUS_", extra="ignore", populate_by_name=True)

    stale_after_s: float = Field(default=90.0, gt=0, description="no heartbeat for this long: an agent is stale")
    offline_after_s: float = Field(default=300.0, gt=0, description="no heartbeat for this long: an agent is offline")
    ack_overdue_after_s: float = Field(default=900.0, gt=0, description="an unacknowledged ack_required message is overdue after this")
    capacity_stale_after_s: float = Field(default=300.0, gt=0, description="a host capacity report older than this cannot justify a spawn")
    scan_interval_s: float = Field(default=60.0, gt=0, description="attention-queue scan period")
    scan_enabled: bool = Field(default=True, description="run the periodic scan in this process")
    stale_task_after_s: float = Field(default=86400.0, gt=0, description="a task in progress longer than this needs attention")
    budget_warn_ratio: float = Field(default=0.8, gt=0, le=1, description="spent/planned ratio at which a budget needs attention")
    odm_timeout_s: float = Field(default=10.0, gt=0, description="how long one read of the ODM API may take")
    primary_user: str = Field(
        default="operator",  # the same default as the ODM's primary user; spec 4.14's example is "shai"
        min_length=1,
        max_length=200,
        validation_alias="XIOPRO_PRIMARY_USER",
        description="default assignee of attention-queue todos",
    )

    @field_validator("primary_user", mode="after")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must name a person or role, not be blank")
        return value.strip()

    @model_validator(mode="after")
    def _offline_after_stale(self) -> BusSettings:
        if self.offline_after_s <= self.stale_after_s:
            raise ValueError("XIOPRO_BUS_OFFLINE_AFTER_S must be greater than XIOPRO_BUS_STALE_AFTER_S")
        return self

    @property
    def scan_lease_ttl_s(self) -> float:
        """The scan leader keeps its lease across two missed cycles before another process takes over."""
        return max(2.5 * self.scan_interval_s, 1.0)
