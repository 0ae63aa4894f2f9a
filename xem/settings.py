"""XEM settings (``XIOPRO_XEM_*``): intervals, limits and back-off of the router and the agents."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["XemSettings"]


class XemSettings(BaseSettings):
    """Read by the router, the agent and xeroctl at start, never at import. Tests shorten the intervals."""

    model_config = SettingsConfigDict(env_prefix="XIOPRO_XEM_", extra="ignore")

    lease_renewal_interval_ms: int = Field(10_000, ge=10, description="how often an agent renews its lease")
    missed_renewals_offline: int = Field(3, ge=1, description="missed renewals after which an agent is offline")
    keyring_refresh_ms: int = Field(5_000, ge=10, description="router: reload enrolled keys at least this often")
    dispatch_resend_ms: int = Field(5_000, ge=10, description="router: resend an unacknowledged dispatch after this")
    frame_resend_ms: int = Field(5_000, ge=10, description="agent: resend an unacknowledged result/progress after this")
    reconnect_min_ms: int = Field(200, ge=1, description="agent: first back-off after an authentication failure")
    reconnect_max_ms: int = Field(10_000, ge=1, description="agent: longest back-off (jittered) between reconnects")
    max_frame_bytes: int = Field(1_048_576, ge=1024, description="router and agent: larger frames are refused")
    join_key_max_ttl_s: int = Field(7 * 86_400, ge=1, description="longest TTL a join key may be minted with")
    drop_audit_interval_s: int = Field(60, ge=0, description="router: at most one dropped-frame audit event per key in this window")
    call_wait_s: float = Field(60, ge=0, le=3600, description="xem-mcp: how long a tool call waits for its result before "
                               "answering with the invocation id (the work goes on)")
    idempotency_retention_s: int = Field(86_400, ge=1, description="how long an idempotency key returns its invocation")
    compact_above: int = Field(40, ge=0, description="xem-mcp: more exec tools than this are offered in the compact form")
    max_argument_bytes: int = Field(65_536, ge=256, le=524_288, description="largest canonical JSON of a call's arguments")
    output_limit_chars: int = Field(16_000, ge=256, description="xem-mcp: stdout/stderr characters in an answer (truncated)")
    odm_link: bool = Field(True, description="record a tool_call activity in ODM for every call with a task_id "
                           "(XIOPRO_ODM_URL, or an odm-mcp child over stdio)")
    odm_retry_s: float = Field(5, gt=0, description="xem-mcp: how often pending ODM activities are retried")
    odm_timeout_s: float = Field(10, gt=0, le=300, description="xem-mcp: how long one ODM call of the link may take")

    @property
    def lease_interval_s(self) -> float:
        return self.lease_renewal_interval_ms / 1000

    @property
    def offline_after_s(self) -> float:
        return self.lease_interval_s * self.missed_renewals_offline
