"""Wire frames: every kind round-trips; malformed, unknown or oversized frames are refused with a reason."""

from __future__ import annotations

import json
import uuid

import pytest

from xem.domain.manifest import Manifest, ToolSpec, WorkspaceSpec, manifest_hash
from xem.domain.protocol import (
    Ack,
    Cancel,
    Candidates,
    Dispatch,
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
    decode,
    encode,
    frame_id_of,
    new_trace_context,
)
from xem.errors import FrameRejected

MANIFEST = Manifest(manifest_version=1, workspaces=(WorkspaceSpec(name="ws", root="/srv"),),
                    tools=(ToolSpec(name="t", workspace="ws", description="d", input_schema={"type": "object"}, risk="read", timeout_s=5),))
REF = uuid.uuid4()
FRAMES = [
    Enroll(sender="a1", join_key="jwt", public_key="A" * 40, manifest=MANIFEST),
    EnrollOk(sender="router", agent="a1", lease_renewal_interval_ms=10_000),
    ManifestFrame(sender="a1", manifest=MANIFEST, manifest_hash=manifest_hash(MANIFEST)),
    ManifestRequest(sender="router", reason="drift"),
    Candidates(sender="a1", candidates=()),
    LeaseRenewal(sender="a1", manifest_hash="sha256:x", manifest_version=1, in_flight=(REF,)),
    LeaseOk(sender="router", ref=REF, lease_renewal_interval_ms=10_000),
    Ack(sender="router", ref=REF),
    Ping(sender="a1"),
    Dispatch(sender="router", invocation_id=REF, workspace="ws", tool="t", params={"x": 1}, risk="write"),
    Progress(sender="a1", invocation_id=REF, seq=0, stream="stdout", data="out"),
    Result(sender="a1", invocation_id=REF, status="succeeded", exit_code=0),
    Cancel(sender="router", invocation_id=REF),
    ErrorFrame(sender="router", ref=REF, code="invalid_argument", message="m"),
]


@pytest.mark.parametrize("frame", FRAMES, ids=lambda f: f.kind)
def test_every_frame_kind_round_trips_with_id_sender_version_and_trace_context(frame):
    data = encode(frame)
    raw = json.loads(data)
    assert raw["v"] == 1 and raw["kind"] == frame.kind and raw["id"] == str(frame.id) and raw["sender"] == frame.sender
    assert raw["trace_context"]["traceparent"].startswith("00-")
    assert decode(data) == frame


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"v": 2, "kind": "ping"}).encode(), "unsupported protocol version 2"),
        (json.dumps({"v": 1, "kind": "launch_missiles"}).encode(), "unknown frame kind"),
        (json.dumps({"v": 1, "kind": "ping"}).encode(), "malformed ping frame"),
        (encode(Ping(sender="a1"))[:-1] + b', "extra": 1}', "malformed ping frame"),
    ],
)
def test_malformed_frames_are_refused_with_a_reason(data, expected):
    with pytest.raises(FrameRejected) as caught:
        decode(data)
    assert expected in str(caught.value)
    assert caught.value.code == "invalid_argument"


def test_oversized_frame_is_refused_before_parsing():
    with pytest.raises(FrameRejected, match="exceeds the limit"):
        decode(encode(Progress(sender="a1", invocation_id=REF, seq=0, stream="stdout", data="x" * 2000)), max_bytes=1024)


def test_error_frame_can_refer_to_a_frame_that_failed_to_decode():
    frame = Ping(sender="a1")
    broken = json.dumps({**json.loads(encode(frame)), "sender": ""}).encode()
    with pytest.raises(FrameRejected):
        decode(broken)
    assert frame_id_of(broken) == frame.id
    assert frame_id_of(b"garbage") is None


def test_child_trace_context_keeps_the_trace_and_changes_the_span():
    parent = new_trace_context()
    child = parent.child()
    assert child.traceparent.split("-")[1] == parent.traceparent.split("-")[1]
    assert child.traceparent.split("-")[2] != parent.traceparent.split("-")[2]


def test_manifest_hash_ignores_the_version_and_follows_the_declared_tools():
    bumped = MANIFEST.model_copy(update={"manifest_version": 7})
    assert manifest_hash(bumped) == manifest_hash(MANIFEST)
    fewer = MANIFEST.model_copy(update={"tools": ()})
    assert manifest_hash(fewer) != manifest_hash(MANIFEST)
