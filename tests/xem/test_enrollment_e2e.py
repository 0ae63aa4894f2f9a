"""Enrollment, keys and the conflict pill with a real router process, real agents and real CURVE sockets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import zmq
import zmq.asyncio
from zmq.utils.monitor import parse_monitor_message

from tests.xem.support import Mesh, wait_for
from xem import services
from xem.domain.keys import fingerprint, new_keypair
from xem.domain.manifest import Manifest
from xem.domain.protocol import Enroll, LeaseRenewal, Ping, decode, encode


async def _agent_row(bus, name):
    return await bus.pool.fetchrow("SELECT * FROM xem.agents WHERE name = $1", name)


async def test_an_agent_enrolls_with_a_fresh_join_key_and_its_tools_appear_in_the_stored_manifest(bus, mesh):
    mesh.start_router()
    mesh.start_agent(mesh.agent_config("a", "xem-a", mesh.join_key()), "a")
    row = await wait_for(lambda: _agent_row(bus, "xem-a"), what="the agent to enroll")
    manifest = json.loads(row["manifest"])
    assert {t["name"] for t in manifest["tools"]} == {"echo", "gate"}
    assert {t["name"]: t["risk"] for t in manifest["tools"]} == {"echo": "read", "gate": "write"}
    assert row["state"] == "online" and row["manifest_version"] == 1
    listed = mesh.xeroctl("agents", "list")
    assert "xem-a" in listed.stdout and "online" in listed.stdout
    first = row["last_lease_at"]
    await wait_for(lambda: bus.pool.fetchval("SELECT last_lease_at > $1 FROM xem.agents", first), what="a lease renewal")


@pytest.mark.parametrize("case", ["reused", "expired", "wrong_role"])
async def test_a_reused_expired_or_other_role_join_key_is_refused_and_the_agent_says_why(bus, mesh, case):
    mesh.start_router()
    if case == "reused":
        key = mesh.join_key()
        mesh.start_agent(mesh.agent_config("first", "xem-first", key), "first")
        await wait_for(lambda: _agent_row(bus, "xem-first"), what="the first agent to enroll")
    elif case == "expired":
        # minted (and recorded) ten seconds ago with a five-second TTL: no waiting for it to expire
        key, _ = await services.mint_join_key(bus.xem, bus.home, "xem", 5, max_ttl_s=60,
                                              now=datetime.now(UTC) - timedelta(seconds=10))
    else:
        key = mesh.join_key(role="xim")
    agent = mesh.start_agent(mesh.agent_config("b", "xem-b", key), "b")
    assert await agent.exit_status() == 1
    assert f"enrollment refused ({case})" in agent.text()
    assert await _agent_row(bus, "xem-b") is None
    assert await bus.pool.fetchval("SELECT details->>'reason' FROM xem.audit_events WHERE kind = 'enroll_refused'") == case


async def _dealer(mesh: Mesh, public: bytes, secret: bytes) -> tuple[zmq.asyncio.Context, zmq.asyncio.Socket]:
    ctx = zmq.asyncio.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.curve_serverkey = mesh.router_key().encode()
    sock.curve_publickey, sock.curve_secretkey = public, secret
    sock.linger = 0
    return ctx, sock


async def test_a_client_with_an_unknown_curve_key_gets_no_frame_through(bus, mesh):
    mesh.start_router()
    public, secret = new_keypair()
    ctx, sock = await _dealer(mesh, public, secret)
    try:
        sock.connect(mesh.endpoint)
        for frame in (Ping(sender="intruder"), LeaseRenewal(sender="intruder", manifest_hash="x", manifest_version=1)):
            await sock.send(encode(frame))
        await wait_for(lambda: bus.pool.fetchval(
            "SELECT count(*) >= 2 FROM xem.audit_events WHERE kind = 'frame_dropped' AND public_key = $1", public.decode()),
            what="the router to drop both frames")
        assert await sock.poll(0) == 0  # nothing came back
        assert await bus.pool.fetchval("SELECT count(*) FROM xem.agents") == 0
        # The one thing an unknown key may do is present a join key; a bad one is refused with a reason.
        await sock.send(encode(Enroll(sender="intruder", join_key="forged", public_key=public.decode(),
                                      manifest=Manifest(manifest_version=1))))
        reply = decode(await sock.recv())
        assert (reply.kind, reply.reason) == ("error", "malformed")
    finally:
        sock.close()
        ctx.term()


async def test_a_revoked_agents_next_frame_is_dropped_and_its_key_refused_at_the_handshake(bus, mesh):
    mesh.start_router()
    mesh.start_agent(mesh.agent_config("a", "xem-a", mesh.join_key()), "a")
    await wait_for(lambda: _agent_row(bus, "xem-a"), what="the agent to enroll")
    done = mesh.xeroctl("agents", "recover", "xem-a", "--revoke-all")
    assert done.returncode == 0, done.stderr
    await wait_for(lambda: bus.pool.fetchval(
        "SELECT count(*) FROM xem.audit_events WHERE kind = 'frame_dropped' AND agent_name = 'xem-a'"),
        what="the revoked agent's next frame to be dropped")
    assert (await _agent_row(bus, "xem-a"))["state"] == "revoked"
    keys = (mesh.tmp / "state-a" / "keys" / "agent.key_secret").read_text()
    public = keys.split('public-key = "')[1][:40].encode()
    secret = keys.split('secret-key = "')[1][:40].encode()
    ctx, sock = await _dealer(mesh, public, secret)
    monitor = sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_SUCCEEDED)
    try:
        sock.connect(mesh.endpoint)
        event = parse_monitor_message(await wait_for(monitor.recv_multipart, what="the handshake outcome"))
        assert event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH
    finally:
        sock.disable_monitor()
        monitor.close()
        sock.close()
        ctx.term()


async def test_two_keys_claiming_one_name_are_both_in_conflict_pill_until_recover_keeps_one(bus, mesh):
    mesh.start_router()
    first = mesh.start_agent(mesh.agent_config("one", "xem-twin", mesh.join_key()), "one")
    await wait_for(lambda: _agent_row(bus, "xem-twin"), what="the first agent to enroll")
    second = mesh.start_agent(mesh.agent_config("two", "xem-twin", mesh.join_key()), "two")
    await wait_for(lambda: bus.pool.fetchval("SELECT state = 'conflict_pill' FROM xem.agents WHERE name = 'xem-twin'"),
                   what="the conflict pill")
    await wait_for(lambda: anyio_true("conflict_pill" in first.text() and "conflict_pill" in second.text()),
                   what="both agents to log the conflict pill")
    assert await bus.pool.fetchval("SELECT count(*) FROM xem.alerts WHERE kind = 'conflict_pill' AND resolved_at IS NULL") == 1
    prints = [r["fingerprint"] for r in await bus.pool.fetch("SELECT fingerprint FROM xem.agent_keys ORDER BY enrolled_at")]
    done = mesh.xeroctl("agents", "recover", "xem-twin", "--keep-key", prints[0])
    assert done.returncode == 0, done.stderr
    assert prints[1] in done.stdout
    await wait_for(lambda: bus.pool.fetchval("SELECT state = 'online' FROM xem.agents WHERE name = 'xem-twin'"),
                   what="the kept agent to be online again")
    await wait_for(lambda: bus.pool.fetchval(
        "SELECT count(*) FROM xem.audit_events WHERE kind = 'frame_dropped' AND details->>'fingerprint' = $1", prints[1]),
        what="the other key's frames to be dropped")
    assert fingerprint(first_key(mesh, "one")) == prints[0]


def first_key(mesh: Mesh, label: str) -> str:
    text = (mesh.tmp / f"state-{label}" / "keys" / "agent.key").read_text()
    return text.split('public-key = "')[1][:40]


async def anyio_true(value: bool) -> bool:
    return value
