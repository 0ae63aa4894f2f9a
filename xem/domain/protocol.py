"""Wire frames between the router and the agents: versioned pydantic models serialised as JSON.

Every frame carries ``v`` (protocol version), ``kind``, a unique ``id``, the ``sender``'s
registration_name (``router`` for the router) and a W3C ``trace_context``. ``decode`` turns
bytes into a frame or raises FrameRejected naming what is wrong; it never raises anything else.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from xem.domain.manifest import NAME_PATTERN, Candidate, Manifest, Risk
from xem.errors import FrameRejected

__all__ = [
    "PROTOCOL_VERSION", "Ack", "Cancel", "Candidates", "Dispatch", "Enroll", "EnrollOk", "ErrorFrame", "Frame",
    "LeaseOk", "LeaseRenewal", "ManifestFrame", "ManifestRequest", "Ping", "Progress", "Result", "TraceContext",
    "decode", "encode", "new_trace_context",
]

PROTOCOL_VERSION = 1
ROUTER_SENDER = "router"
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
AgentName = Annotated[str, Field(pattern=NAME_PATTERN)]


class TraceContext(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    traceparent: str = Field(pattern=_TRACEPARENT.pattern)
    tracestate: str = Field("", max_length=512)

    def child(self) -> TraceContext:
        """Same trace, new span (what a hop that forwards work should send)."""
        version, trace_id, _, flags = self.traceparent.split("-")
        return TraceContext(traceparent=f"{version}-{trace_id}-{secrets.token_hex(8)}-{flags}", tracestate=self.tracestate)


def new_trace_context() -> TraceContext:
    return TraceContext(traceparent=f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01")


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1  # PROTOCOL_VERSION
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    sender: str = Field(min_length=1, max_length=48)
    trace_context: TraceContext = Field(default_factory=new_trace_context)
    sent_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class Enroll(_Frame):
    kind: Literal["enroll"] = "enroll"
    sender: AgentName
    join_key: str = Field(max_length=4096)
    public_key: str = Field(min_length=40, max_length=40, description="the agent's CURVE public key, Z85")
    role: Literal["xem"] = "xem"
    manifest: Manifest
    candidates: tuple[Candidate, ...] = ()


class EnrollOk(_Frame):
    kind: Literal["enroll_ok"] = "enroll_ok"
    agent: AgentName
    state: str = "online"
    lease_renewal_interval_ms: int
    approved_candidates: tuple[str, ...] = ()


class ManifestFrame(_Frame):
    kind: Literal["manifest"] = "manifest"
    manifest: Manifest
    manifest_hash: str


class ManifestRequest(_Frame):
    kind: Literal["manifest_request"] = "manifest_request"
    reason: str = ""


class Candidates(_Frame):
    kind: Literal["candidates"] = "candidates"
    candidates: tuple[Candidate, ...]


class LeaseRenewal(_Frame):
    kind: Literal["lease_renewal"] = "lease_renewal"
    manifest_hash: str
    manifest_version: int
    in_flight: tuple[uuid.UUID, ...] = ()


class LeaseOk(_Frame):
    kind: Literal["lease_ok"] = "lease_ok"
    ref: uuid.UUID
    state: str = "online"
    approved_candidates: tuple[str, ...] = ()
    lease_renewal_interval_ms: int


class Ack(_Frame):
    kind: Literal["ack"] = "ack"
    ref: uuid.UUID


class Ping(_Frame):
    """A no-op the router acknowledges without touching the database (liveness and benchmarks)."""

    kind: Literal["ping"] = "ping"


class Dispatch(_Frame):
    kind: Literal["dispatch"] = "dispatch"
    invocation_id: uuid.UUID
    workspace: str
    tool: str
    params: dict[str, Any] = Field(default_factory=dict)
    risk: Risk
    scope: dict[str, Any] | None = Field(None, description="the workspace's scope; the agent checks it again")


class Progress(_Frame):
    kind: Literal["progress"] = "progress"
    invocation_id: uuid.UUID
    seq: int = Field(ge=0)
    stream: Literal["stdout", "stderr"]
    data: str


class Result(_Frame):
    kind: Literal["result"] = "result"
    invocation_id: uuid.UUID
    # cancelled: a cancel arrived before the tool started (no effect); killed: stopped by a cancel while it ran
    status: Literal["succeeded", "failed", "timed_out", "refused", "interrupted", "cancelled", "killed"]
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    truncated: bool = False
    duration_ms: int = 0
    error: str | None = None
    mutating: bool = False


class Cancel(_Frame):
    kind: Literal["cancel"] = "cancel"
    invocation_id: uuid.UUID


class ErrorFrame(_Frame):
    kind: Literal["error"] = "error"
    ref: uuid.UUID | None = None
    code: str
    reason: str = ""
    message: str


Frame = Annotated[
    Enroll | EnrollOk | ManifestFrame | ManifestRequest | Candidates | LeaseRenewal | LeaseOk | Ack | Ping | Dispatch | Progress
    | Result | Cancel | ErrorFrame,
    Field(discriminator="kind"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Frame)
KINDS = frozenset(m.model_fields["kind"].default for m in Frame.__origin__.__args__)  # type: ignore[attr-defined]


def encode(frame: _Frame) -> bytes:
    return frame.model_dump_json().encode()


def decode(data: bytes, *, max_bytes: int = 1_048_576) -> Any:
    """The frame in ``data``.

    Raises:
        FrameRejected: too large, not JSON, unknown version or kind, or fields that do not validate.
    """
    if len(data) > max_bytes:
        raise FrameRejected(f"frame of {len(data)} bytes exceeds the limit of {max_bytes}", code="invalid_argument")
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise FrameRejected("frame is not JSON") from None
    if not isinstance(raw, dict):
        raise FrameRejected("frame is not a JSON object")
    if raw.get("v") != PROTOCOL_VERSION:
        raise FrameRejected(f"unsupported protocol version {raw.get('v')!r}; this router speaks {PROTOCOL_VERSION}")
    if raw.get("kind") not in KINDS:
        raise FrameRejected(f"unknown frame kind {str(raw.get('kind'))[:32]!r}")
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc'][1:])) or 'frame'}: {e['msg']}" for e in exc.errors()[:3])
        raise FrameRejected(f"malformed {raw['kind']} frame ({where})") from None


def frame_id_of(data: bytes) -> uuid.UUID | None:
    """Best-effort id of a frame that failed to decode, so the error frame can refer to it."""
    try:
        return uuid.UUID(str(json.loads(data).get("id")))
    except Exception:
        return None
