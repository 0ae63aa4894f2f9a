"""XEM use cases on a real PostgreSQL: enrollment, conflict pill and recovery, renewals, results once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from servers.kernel import channels
from servers.runtime.database import Target, open_pool
from tests.support.wait import wait_for
from xem import services
from xem.domain.joinkeys import mint_join_key as mint_unrecorded
from xem.domain.keys import fingerprint, new_keypair
from xem.domain.manifest import Manifest, ToolSpec, WorkspaceSpec, manifest_hash
from xem.domain.protocol import Enroll, LeaseRenewal, ManifestFrame, Result
from xem.domain.scope import Scope
from xem.errors import AgentStateError, EnrollmentRefused, ParameterRefused
from xem.keyfiles import join_secret

TOOL = ToolSpec(name="echo", workspace="ws", description="echo", risk="write", timeout_s=5,
                input_schema={"type": "object", "properties": {"msg": {"type": "string"}}, "required": ["msg"],
                              "additionalProperties": False})
MANIFEST = Manifest(manifest_version=1, workspaces=(WorkspaceSpec(name="ws", root="/srv"),), tools=(TOOL,))


async def _enroll(bus, name="a1", *, key=None, role="xem", token=None):
    key = key or new_keypair()[0].decode()
    if token is None:
        token, _ = await services.mint_join_key(bus.xem, bus.home, role, 60, max_ttl_s=3600)
    frame = Enroll(sender=name, join_key=token, public_key=key, manifest=MANIFEST)
    return key, await services.enroll(bus.xem, join_secret(bus.home), frame, key), token


async def test_enrollment_with_a_fresh_join_key_stores_the_manifest_and_the_key(bus):
    key, outcome, _ = await _enroll(bus)
    assert outcome.state == "online"
    row = await bus.pool.fetchrow("SELECT manifest_hash, manifest_version, state FROM xem.agents WHERE name = 'a1'")
    assert row["manifest_hash"] == manifest_hash(MANIFEST) and row["manifest_version"] == 1
    assert (await services.load_keyring(bus.xem)) == {key: ("a1", "active")}
    assert [a.fingerprints for a in await services.list_agents(bus.xem)] == [(fingerprint(key),)]


async def test_a_join_key_is_usable_once_but_its_own_agent_may_present_it_again(bus):
    key, _, token = await _enroll(bus)
    _, again, _ = await _enroll(bus, key=key, token=token)  # the enroll_ok was lost: same agent, same key
    assert again.state == "online"
    with pytest.raises(EnrollmentRefused) as caught:
        await _enroll(bus, "a2", token=token)
    assert caught.value.reason == "reused"


@pytest.mark.parametrize("case", ["expired", "wrong_role", "unknown", "bad_signature"])
async def test_bad_join_keys_are_refused_and_change_nothing(bus, case):
    secret = join_secret(bus.home)
    if case == "expired":
        token, _ = await services.mint_join_key(bus.xem, bus.home, "xem", 10, max_ttl_s=60,
                                                now=datetime.now(UTC) - timedelta(seconds=20))
    elif case == "wrong_role":
        token, _ = await services.mint_join_key(bus.xem, bus.home, "xim", 60, max_ttl_s=60)
    elif case == "unknown":
        token, _ = mint_unrecorded(secret, "xem", 60)
    else:
        token, _ = mint_unrecorded(b"z" * 32, "xem", 60)
    with pytest.raises(EnrollmentRefused) as caught:
        await _enroll(bus, token=token)
    assert caught.value.reason == case
    assert await bus.pool.fetchval("SELECT count(*) FROM xem.agents") == 0
    assert await bus.pool.fetchval("SELECT count(*) FROM xem.join_keys WHERE consumed_at IS NOT NULL") == 0


async def test_two_keys_claiming_one_name_put_the_agent_in_conflict_pill_until_recovered(bus):
    first, _, _ = await _enroll(bus)
    second, outcome, _ = await _enroll(bus)
    assert outcome.state == "conflict_pill"
    with pytest.raises(AgentStateError, match="conflict_pill"):
        await services.create_dispatch(bus.xem, "a1", "ws", "echo", {"msg": "x"})
    assert await bus.pool.fetchval("SELECT count(*) FROM xem.alerts WHERE kind = 'conflict_pill' AND resolved_at IS NULL") == 1
    assert await bus.pool.fetchval("SELECT count(*) FROM xem.audit_events WHERE kind = 'conflict_pill'") == 1
    revoked = await services.recover(bus.xem, "a1", keep_key=fingerprint(first))
    assert revoked == [fingerprint(second)]
    assert await services.load_keyring(bus.xem) == {first: ("a1", "active"), second: ("a1", "revoked")}
    assert await services.renew(bus.xem, second, LeaseRenewal(sender="a1", manifest_hash="x", manifest_version=1)) is None
    lease = await services.renew(bus.xem, first, LeaseRenewal(sender="a1", manifest_hash=manifest_hash(MANIFEST), manifest_version=1))
    assert lease.state == "online" and not lease.manifest_refresh
    assert await bus.pool.fetchval("SELECT count(*) FROM xem.alerts WHERE resolved_at IS NULL") == 0
    await services.create_dispatch(bus.xem, "a1", "ws", "echo", {"msg": "x"})


async def test_recover_refuses_a_key_the_agent_does_not_have(bus):
    await _enroll(bus)
    with pytest.raises(AgentStateError) as caught:
        await services.recover(bus.xem, "a1", keep_key="sha256:0000")
    assert caught.value.code == "not_found"
    with pytest.raises(AgentStateError) as caught:
        await services.recover(bus.xem, "nobody", revoke_all=True)
    assert caught.value.code == "not_found"


async def test_a_renewal_with_another_manifest_hash_records_drift_and_asks_for_a_refresh(bus):
    key, _, _ = await _enroll(bus)
    lease = await services.renew(bus.xem, key, LeaseRenewal(sender="a1", manifest_hash="sha256:other", manifest_version=2))
    assert lease.manifest_refresh
    assert await bus.pool.fetchval("SELECT count(*) FROM xem.audit_events WHERE kind = 'manifest_drift'") == 1
    newer = MANIFEST.model_copy(update={"manifest_version": 2, "tools": ()})
    await services.store_manifest(bus.xem, key, ManifestFrame(sender="a1", manifest=newer, manifest_hash=manifest_hash(newer)))
    row = await bus.pool.fetchrow("SELECT manifest_version, manifest_hash FROM xem.agents")
    assert (row["manifest_version"], row["manifest_hash"]) == (2, manifest_hash(newer))


async def test_a_key_speaking_for_another_name_is_not_heard(bus):
    key, _, _ = await _enroll(bus)
    await _enroll(bus, "a2")
    assert await services.renew(bus.xem, key, LeaseRenewal(sender="a2", manifest_hash="x", manifest_version=1)) is None


async def test_a_result_resent_by_the_agent_is_recorded_once(bus):
    key, _, _ = await _enroll(bus)
    dispatch = await services.create_dispatch(bus.xem, "a1", "ws", "echo", {"msg": "x"})
    result = Result(sender="a1", invocation_id=dispatch.invocation_id, status="succeeded", exit_code=0, stdout="x\n")
    assert await services.record_result(bus.xem, key, result) == "recorded"
    assert await services.record_result(bus.xem, key, result) == "duplicate"
    other = Result(sender="a1", invocation_id=uuid.uuid4(), status="succeeded")
    assert await services.record_result(bus.xem, key, other) == "unknown"
    row = await bus.pool.fetchrow("SELECT state, result_frame_id FROM xem.dispatches")
    assert (row["state"], row["result_frame_id"]) == ("completed", result.id)


async def test_a_claimed_dispatch_is_sent_once_until_its_resend_time_and_an_unsent_one_is_queued_again(bus):
    await _enroll(bus)
    await _enroll(bus, "a2")
    first = await services.create_dispatch(bus.xem, "a1", "ws", "echo", {"msg": "1"})
    second = await services.create_dispatch(bus.xem, "a1", "ws", "echo", {"msg": "2"})
    await services.create_dispatch(bus.xem, "a2", "ws", "echo", {"msg": "other agent"})
    claimed = await services.claim_dispatches(bus.xem, ["a1"], 60)
    assert [(agent, f.invocation_id) for agent, f in claimed] == [("a1", first.invocation_id), ("a1", second.invocation_id)]
    assert await services.claim_dispatches(bus.xem, ["a1"], 60) == []  # a second router claims nothing to send twice
    await services.unsend(bus.xem, second.invocation_id)  # its connection was gone
    again = await services.claim_dispatches(bus.xem, ["a1"], 60)
    assert [f.invocation_id for _, f in again] == [second.invocation_id] and again[0][1].id == second.id
    rows = await bus.pool.fetch("SELECT agent_name, state, attempts FROM xem.dispatches ORDER BY created_at")
    assert [tuple(r) for r in rows] == [("a1", "sent", 1), ("a1", "sent", 1), ("a2", "queued", 0)]
    assert [f.invocation_id for _, f in await services.claim_dispatches(bus.xem, ["a1"], 0)] == [
        first.invocation_id, second.invocation_id]  # unacknowledged past the resend time: sent again, same frames


async def test_an_acknowledged_dispatch_is_delivered_once_and_only_its_own_agents_key_may_acknowledge_it(bus):
    key, _, _ = await _enroll(bus)
    other_key, _, _ = await _enroll(bus, "a2")
    dispatch = await services.create_dispatch(bus.xem, "a1", "ws", "echo", {"msg": "x"})
    assert await services.mark_delivered(bus.xem, other_key, "a1", dispatch.id) is None  # speaking for another name
    assert await services.mark_delivered(bus.xem, other_key, "a2", dispatch.id) is False  # not one of a2's dispatches
    assert await bus.pool.fetchval("SELECT state FROM xem.dispatches") == "queued"
    assert await services.mark_delivered(bus.xem, key, "a1", dispatch.id) is True
    assert await services.mark_delivered(bus.xem, key, "a1", dispatch.id) is False  # a repeated ack changes nothing
    assert await bus.pool.fetchval("SELECT state FROM xem.dispatches") == "delivered"


async def test_an_interrupted_mutation_becomes_ambiguous(bus):
    key, _, _ = await _enroll(bus)
    dispatch = await services.create_dispatch(bus.xem, "a1", "ws", "echo", {"msg": "x"})
    await services.record_result(bus.xem, key, Result(sender="a1", invocation_id=dispatch.invocation_id,
                                                       status="interrupted", mutating=True))
    assert await bus.pool.fetchval("SELECT state FROM xem.dispatches") == "ambiguous"


async def test_dispatch_parameters_are_checked_against_the_stored_manifest(bus):
    await _enroll(bus)
    with pytest.raises(ParameterRefused):
        await services.create_dispatch(bus.xem, "a1", "ws", "echo", {"msg": "x", "extra": "--rm"})
    with pytest.raises(AgentStateError) as caught:
        await services.create_dispatch(bus.xem, "a1", "ws", "nope", {})
    assert caught.value.code == "not_found"


async def test_agents_silent_for_three_intervals_become_offline_and_come_back_on_renewal(bus):
    key, _, _ = await _enroll(bus)
    await bus.pool.execute("UPDATE xem.agents SET last_lease_at = now() - interval '31 seconds'")
    assert await services.mark_offline(bus.xem, 30) == ["a1"]
    lease = await services.renew(bus.xem, key, LeaseRenewal(sender="a1", manifest_hash=manifest_hash(MANIFEST), manifest_version=1))
    assert lease.state == "online"
    assert await bus.pool.fetchval("SELECT state FROM xem.agents") == "online"
    assert await bus.pool.fetchval("SELECT count(*) FROM xem.audit_events WHERE kind = 'offline'") == 1


async def test_enrolled_agents_appear_in_the_bus_agent_registry_with_role_xem(bus):
    key, _, _ = await _enroll(bus)
    row = await bus.pool.fetchrow("SELECT * FROM public.agent_registry WHERE id = 'a1'")
    assert (row["role"], row["registration_name"], row["reported_status"]) == ("xem", "a1", "online")
    assert row["capabilities"] == ["ws__echo"]
    invocation = str(uuid.uuid4())
    await services.renew(bus.xem, key, LeaseRenewal(sender="a1", manifest_hash=manifest_hash(MANIFEST), manifest_version=1,
                                                     in_flight=(uuid.UUID(invocation),)))
    assert await bus.pool.fetchval("SELECT in_flight FROM public.agent_registry WHERE id = 'a1'") == [invocation]
    await _enroll(bus)  # a second key: conflict_pill is an error the Bus shows
    row = await bus.pool.fetchrow("SELECT reported_status, note FROM public.agent_registry WHERE id = 'a1'")
    assert row["reported_status"] == "error" and "conflict_pill" in row["note"]


async def test_a_bus_agent_of_another_role_with_the_same_name_is_left_alone(bus):
    await bus.pool.execute("INSERT INTO public.agent_registry (id, role) VALUES ('a1', 'orchestrator')")
    await _enroll(bus)
    assert await bus.pool.fetchval("SELECT role FROM public.agent_registry WHERE id = 'a1'") == "orchestrator"


async def test_a_result_settles_its_invocation_and_counts_its_learning_once_and_a_pre_migration_one_the_same(bus):
    read = ToolSpec(name="look", workspace="ws", description="look", risk="read", timeout_s=5, input_schema=TOOL.input_schema)
    key = new_keypair()[0].decode()
    token, _ = await services.mint_join_key(bus.xem, bus.home, "xem", 60, max_ttl_s=3600)
    await services.enroll(bus.xem, join_secret(bus.home), Enroll(
        sender="a1", join_key=token, public_key=key, manifest=MANIFEST.model_copy(update={"tools": (read,)})), key)
    other_key, _, _ = await _enroll(bus, "a2")
    heard: list[str] = []

    def hear(*args: object) -> None:
        heard.append(str(args[3]))

    async with bus.pool.acquire() as listener:
        await listener.add_listener(channels.XEM_INVOCATIONS, hear)

        async def started() -> uuid.UUID:
            begun = await services.start_invocation(bus.xem, services.CallRequest("ws", "look", {"msg": "hi"}),
                                                    retention_s=60, max_argument_bytes=10_000)
            (_, frame), = await services.claim_dispatches(bus.xem, ["a1"], 60)
            assert await services.mark_delivered(bus.xem, key, "a1", frame.id) is True
            return uuid.UUID(begun.invocation.id)

        first = await started()
        done = Result(sender="a1", invocation_id=first, status="succeeded", exit_code=0, stdout="hi\n")
        assert await services.record_result(bus.xem, other_key, done) is None  # another agent's key speaking for a1
        assert await services.record_result(bus.xem, other_key, done.model_copy(update={"sender": "a2"})) == "unknown"
        assert await bus.pool.fetchval("SELECT state FROM xem.invocations WHERE id = $1", first) == "running"
        assert await services.record_result(bus.xem, key, done) == "recorded"
        assert await services.record_result(bus.xem, key, done) == "duplicate"  # resent from the agent's queue
        view = await services.get_invocation(bus.xem, first, output_limit=1000)
        assert (view.state, view.result.exit_code, view.result.stdout, view.error) == ("succeeded", 0, "hi\n", None)
        assert view.finished_at is not None
        assert await bus.pool.fetchval("SELECT state FROM xem.dispatches WHERE id = $1", first) == "completed"

        second = await started()
        await bus.pool.execute("UPDATE xem.invocations SET params_key = NULL WHERE id = $1", second)  # created before 0106
        failed = Result(sender="a1", invocation_id=second, status="failed", exit_code=3, error="exit 3")
        assert await services.record_result(bus.xem, key, failed) == "recorded"
        assert (await services.get_invocation(bus.xem, second, output_limit=1000)).state == "failed"

        await wait_for(lambda: f"{second}:failed" in heard, what="the failed invocation announced", within=10, every=0.01)
        await listener.remove_listener(channels.XEM_INVOCATIONS, hear)
    assert heard.count(f"{first}:succeeded") == 1
    rows = await bus.pool.fetch("SELECT params, successes, failures, last_invocation_id FROM xem.learnings")
    assert [(r["params"], r["successes"], r["failures"], r["last_invocation_id"]) for r in rows] == [
        ('{"msg": "hi"}', 1, 1, second)]  # one parameter set: both paths key it alike


async def test_a_call_without_approval_is_read_in_one_statement_and_written_in_one_with_its_dispatch_and_both_notices(bus):
    read = ToolSpec(name="look", workspace="ws", description="look", risk="read", timeout_s=5, input_schema=TOOL.input_schema)
    for name in ("a1", "a2"):
        key = new_keypair()[0].decode()
        token, _ = await services.mint_join_key(bus.xem, bus.home, "xem", 60, max_ttl_s=3600)
        await services.enroll(bus.xem, join_secret(bus.home), Enroll(
            sender=name, join_key=token, public_key=key, manifest=MANIFEST.model_copy(update={"tools": (read,)})), key)
    await services.set_scope(bus.xem, "ws", Scope(patterns={"msg": "h.*"}))
    heard: list[tuple[str, str]] = []
    sent: list[str] = []
    pool = await open_pool(Target("bus", bus.dsn, embedded=False), max_size=1)  # as the servers open theirs
    xem = services.XemServices(pool)
    try:
        async with bus.pool.acquire() as listener:
            def hear(*args: object) -> None:
                heard.append((str(args[2]), str(args[3])))

            for channel in (channels.XEM_INVOCATIONS, channels.XEM_DISPATCH):
                await listener.add_listener(channel, hear)
            async with pool.acquire() as conn:
                conn.add_query_logger(lambda q: sent.append(q.query))
            first = await services.start_invocation(xem, services.CallRequest("ws", "look", {"msg": "hi"}),
                                                    retention_s=60, max_argument_bytes=10_000)
            sent.clear()  # the first call built the catalog from the manifests; the next finds it cached
            second = await services.start_invocation(xem, services.CallRequest("ws", "look", {"msg": "ho"}),
                                                     retention_s=60, max_argument_bytes=10_000)
            assert len(sent) == 2, sent  # the context, then the invocation with its dispatch: no BEGIN, no COMMIT
            await wait_for(lambda: len(heard) == 4, what="the four notices")
            for channel in (channels.XEM_INVOCATIONS, channels.XEM_DISPATCH):
                await listener.remove_listener(channel, hear)
    finally:
        await pool.close()
    assert (first.invocation.state, first.invocation.agent, second.invocation.agent) == ("dispatched", "a1", "a2")  # least in flight
    assert first.invocation.dispatched_at is not None and first.invocation.arguments == {"msg": "hi"}
    row = await bus.pool.fetchrow(
        "SELECT d.agent_name, d.params, d.scope, d.state, d.trace_context = i.trace_context AS same_trace, d.frame_id "
        "FROM xem.dispatches d JOIN xem.invocations i USING (id) WHERE d.id = $1", uuid.UUID(first.invocation.id))
    assert (row["agent_name"], row["params"], row["state"], row["same_trace"]) == ("a1", '{"msg": "hi"}', "queued", True)
    assert row["scope"] == '{"patterns": {"msg": "h.*"}, "path_prefixes": []}' and row["frame_id"] is not None
    assert sorted(heard) == sorted([(channels.XEM_INVOCATIONS, f"{first.invocation.id}:dispatched"), (channels.XEM_DISPATCH, "a1"),
                                    (channels.XEM_INVOCATIONS, f"{second.invocation.id}:dispatched"), (channels.XEM_DISPATCH, "a2")])
