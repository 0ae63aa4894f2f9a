"""What the router does with each decoded frame from an agent whose key is known; returns the replies.

A ``None`` from a service means the key may no longer speak (revoked a moment ago, or speaking
for another name): the frame is dropped without a reply.
"""

from __future__ import annotations

import logging
from typing import Any

from xem import services
from xem.domain.protocol import (
    ROUTER_SENDER,
    Ack,
    Candidates,
    Enroll,
    EnrollOk,
    ErrorFrame,
    LeaseOk,
    LeaseRenewal,
    ManifestFrame,
    ManifestRequest,
    Ping,
    Progress,
    Result,
)
from xem.errors import EnrollmentRefused
from xem.settings import XemSettings

__all__ = ["DROP", "Handlers"]

log = logging.getLogger("xiopro.xem.router")
DROP = None


def _ack(frame: Any) -> Ack:
    return Ack(sender=ROUTER_SENDER, ref=frame.id, trace_context=frame.trace_context.child())


def _error(frame: Any, code: str, message: str, reason: str = "") -> ErrorFrame:
    return ErrorFrame(sender=ROUTER_SENDER, ref=frame.id, code=code, reason=reason, message=message,
                      trace_context=frame.trace_context.child())


class Handlers:
    def __init__(self, xem: services.XemServices, settings: XemSettings, join_secret: bytes) -> None:
        self.xem = xem
        self.settings = settings
        self.join_secret = join_secret

    async def handle(self, frame: Any, key: str) -> list[Any] | None:
        method = getattr(self, f"on_{frame.kind}", None)
        if method is None:
            return [_error(frame, "invalid_argument", f"agents do not send {frame.kind} frames", "unexpected_kind")]
        return await method(frame, key)

    async def on_ping(self, frame: Ping, key: str) -> list[Any]:
        return [_ack(frame)]

    async def on_enroll(self, frame: Enroll, key: str) -> list[Any]:
        try:
            outcome = await services.enroll(self.xem, self.join_secret, frame, key)
        except EnrollmentRefused as refusal:
            log.warning("refused enrollment of %s: %s (%s)", frame.sender, refusal.reason, refusal)
            await services.record_refusal(self.xem, frame, key, refusal)
            return [_error(frame, refusal.code, str(refusal), refusal.reason)]
        log.info("enrolled %s (%s)", outcome.agent, outcome.state)
        return [EnrollOk(sender=ROUTER_SENDER, agent=outcome.agent, state=outcome.state,
                         lease_renewal_interval_ms=self.settings.lease_renewal_interval_ms,
                         approved_candidates=outcome.approved_candidates, trace_context=frame.trace_context.child())]

    async def on_lease_renewal(self, frame: LeaseRenewal, key: str) -> list[Any] | None:
        outcome = await services.renew(self.xem, key, frame)
        if outcome is None:
            return DROP
        replies: list[Any] = [LeaseOk(sender=ROUTER_SENDER, ref=frame.id, state=outcome.state,
                                      approved_candidates=outcome.approved_candidates,
                                      lease_renewal_interval_ms=self.settings.lease_renewal_interval_ms,
                                      trace_context=frame.trace_context.child())]
        if outcome.manifest_refresh:
            replies.append(ManifestRequest(sender=ROUTER_SENDER, reason="manifest_hash differs from the stored manifest",
                                           trace_context=frame.trace_context.child()))
        return replies

    async def on_manifest(self, frame: ManifestFrame, key: str) -> list[Any] | None:
        return DROP if await services.store_manifest(self.xem, key, frame) is None else [_ack(frame)]

    async def on_candidates(self, frame: Candidates, key: str) -> list[Any] | None:
        return DROP if await services.store_candidates(self.xem, key, frame) is None else [_ack(frame)]

    async def on_ack(self, frame: Ack, key: str) -> list[Any] | None:
        delivered = await services.mark_delivered(self.xem, key, frame.sender, frame.ref)
        return DROP if delivered is None else []

    async def on_result(self, frame: Result, key: str) -> list[Any] | None:
        outcome = await services.record_result(self.xem, key, frame)
        return self._stored(frame, outcome, "result")

    async def on_progress(self, frame: Progress, key: str) -> list[Any] | None:
        outcome = await services.record_progress(self.xem, key, frame)
        return self._stored(frame, outcome, "progress")

    def _stored(self, frame: Any, outcome: str | None, what: str) -> list[Any] | None:
        if outcome is None:
            return DROP
        if outcome == "unknown":
            return [_error(frame, "not_found", f"no invocation {frame.invocation_id} was dispatched to {frame.sender}; "
                           f"the {what} is discarded", "unknown_invocation")]
        if outcome == "duplicate":
            log.info("duplicate %s frame %s for %s acknowledged again", what, frame.id, frame.invocation_id)
        return [_ack(frame)]
