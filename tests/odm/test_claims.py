"""next_task claims: atomic under concurrency (over HTTP), fencing tokens, renewal, expiry, release."""

from __future__ import annotations

import anyio
import asyncpg
from mcp import Client

from odm.store.claims import ClaimStore
from servers import odm
from tests.conftest import connect_client
from tests.support.http import serve_http
from tests.support.odm import call, fails
from tests.support.wait import wait_for


async def _expire_claims(dsn: str) -> None:
    """Make every lease end now (instead of waiting for it)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("UPDATE tasks SET claim_expires_at = now() - interval '1 second' WHERE claimed_by IS NOT NULL")
    finally:
        await conn.close()


async def test_twenty_concurrent_callers_over_http_claim_each_of_100_tasks_exactly_once(odm_settings, era):
    async with serve_http(odm.SPEC, odm_settings) as url:
        async with Client(url, mode=era) as setup:
            project = await call(setup, "create_project", name="P")
            ticket = await call(setup, "create_ticket", project_id=project["id"], title="T")
        async with connect_client(odm.SPEC, odm_settings) as seeder:  # in-process seeding is quicker
            for i in range(100):
                await call(seeder, "create_task", ticket_id=ticket["id"], title=f"t{i}", objective="o")
        claims: list[tuple[str, int]] = []
        empty: list[str] = []

        async def worker(n: int) -> None:
            async with Client(url, mode=era) as client:
                for round_ in range(6):  # 20 x 6 = 120 calls for 100 tasks
                    answer = await call(client, "next_task", agent_id=f"w{n}-r{round_}")
                    if answer["task"] is None:
                        empty.append(f"w{n}")
                    else:
                        claims.append((answer["task"]["id"], answer["claim_token"]))

        with anyio.fail_after(180):
            async with anyio.create_task_group() as tg:
                for n in range(20):
                    tg.start_soon(worker, n)
    ids = [task for task, _ in claims]
    assert len(ids) == 100 and len(set(ids)) == 100
    assert set(ids) == {f"{ticket['id']}.{i:02d}" for i in range(1, 101)}
    assert len({token for _, token in claims}) == 100
    assert len(empty) == 20


async def test_every_claim_gets_a_larger_token_and_calling_again_renews_the_same_claim(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era) as client:
        project = await call(client, "create_project", name="P")
        ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
        for i in range(2):
            await call(client, "create_task", ticket_id=ticket["id"], title=f"t{i}", objective="o")
        first = await call(client, "next_task", agent_id="a", lease_seconds=60)
        second = await call(client, "next_task", agent_id="b")
        renewed = await call(client, "next_task", agent_id="a", lease_seconds=600)
        started = await client.read_resource(f"odm://tickets/{ticket['id']}")
    assert first["task"]["id"] == "1001.01" and second["task"]["id"] == "1001.02"
    assert second["claim_token"] > first["claim_token"]
    assert renewed["renewed"] and renewed["task"]["id"] == "1001.01" and renewed["claim_token"] == first["claim_token"]
    assert renewed["lease_expires_at"] > first["lease_expires_at"]
    assert '"status_state":"execute.active"' in started.contents[0].text  # the first claim started the ticket


async def test_an_expired_claim_returns_to_ready_and_the_old_token_is_refused(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        project = await call(client, "create_project", name="P")
        ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
        task = await call(client, "create_task", ticket_id=ticket["id"], title="t", objective="o")
        old = await call(client, "next_task", agent_id="slow")
        await _expire_claims(odm_settings.odm_dsn)
        expired = await fails(client, "update_task", id=task["id"], claim_token=old["claim_token"], title="mine")
        new = await call(client, "next_task", agent_id="fast")
        stale = await fails(client, "transition", kind="task", id=task["id"], status="complete", state="completed",
                            claim_token=old["claim_token"])
        ok = await call(client, "update_task", id=task["id"], claim_token=new["claim_token"], title="theirs")
        done = await call(client, "transition", kind="task", id=task["id"], status="complete", state="completed",
                          claim_token=new["claim_token"])
    assert expired.startswith("[conflict]") and "expired" in expired
    assert new["task"]["id"] == task["id"] and new["claim_token"] > old["claim_token"] and not new["renewed"]
    assert stale.startswith("[conflict]") and f"claim token {old['claim_token']}" in stale and "held by fast" in stale
    assert ok["spec_version"] == 2 and done["status_state"] == "complete.completed"


async def test_the_sweeper_returns_expired_claims_to_ready_without_any_call(odm_settings, monkeypatch):
    monkeypatch.setenv("XIOPRO_CLAIM_SWEEP_INTERVAL_S", "0.05")
    async with connect_client(odm.SPEC, odm_settings) as client:
        project = await call(client, "create_project", name="P")
        ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
        await call(client, "create_task", ticket_id=ticket["id"], title="t", objective="o")
        await call(client, "next_task", agent_id="gone")
        await _expire_claims(odm_settings.odm_dsn)

        async def ready_feed() -> str | None:
            feed = await client.read_resource("odm://feeds/tasks?status_state=ready.ready")
            text = feed.contents[0].text
            return text if '"1001.01"' in text else None

        text = await wait_for(ready_feed, what="the sweeper to return 1001.01 to ready", within=10)
    assert '"claimed_by": null' in text


async def test_next_task_picks_by_priority_then_ticket_then_sequence_and_filters_by_project(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        p1 = await call(client, "create_project", name="P1")
        p2 = await call(client, "create_project", name="P2")
        t1 = await call(client, "create_ticket", project_id=p1["id"], title="T1")
        t2 = await call(client, "create_ticket", project_id=p2["id"], title="T2")
        await call(client, "create_task", ticket_id=t1["id"], title="low", objective="o", priority="low")
        await call(client, "create_task", ticket_id=t1["id"], title="normal", objective="o")
        await call(client, "create_task", ticket_id=t2["id"], title="critical", objective="o", priority="critical")
        ready = await client.read_resource(f"odm://ready?project_id={p1['id']}")
        in_p1 = await call(client, "next_task", agent_id="a", project_id=p1["id"])
        anywhere = await call(client, "next_task", agent_id="b")
        last = await call(client, "next_task", agent_id="c")
        unknown = await fails(client, "next_task", agent_id="d", project_id="proj-99")
    assert '"1001.02"' in ready.contents[0].text and '"1002.01"' not in ready.contents[0].text
    assert in_p1["task"]["id"] == "1001.02"
    assert anywhere["task"]["id"] == "1002.01"
    assert last["task"]["id"] == "1001.01"
    assert unknown.startswith("[not_found]") and "proj-99" in unknown


async def test_released_claims_return_running_tasks_to_ready_and_renewal_extends_leases(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="claims") as client:
        project = await call(client, "create_project", name="P")
        ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
        await call(client, "create_task", ticket_id=ticket["id"], title="t", objective="o")
        claim = await call(client, "next_task", agent_id="a")
        renewed = await call(client, "renew_claims", agent_id="a", lease_seconds=900)
        released = await call(client, "release_claims", agent_id="a")
        again = await call(client, "next_task", agent_id="b")
    assert renewed["task_ids"] == [claim["task"]["id"]] and released["task_ids"] == [claim["task"]["id"]]
    assert again["task"]["id"] == claim["task"]["id"] and again["claim_token"] > claim["claim_token"]



async def test_renewal_without_a_lease_length_extends_each_claim_by_its_own_lease(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="claims") as client:
        project = await call(client, "create_project", name="P")
        ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
        await call(client, "create_task", ticket_id=ticket["id"], title="t", objective="o")
        await call(client, "next_task", agent_id="a", lease_seconds=3600)
        renewed = await call(client, "renew_claims", agent_id="a")
    conn = await asyncpg.connect(odm_settings.odm_dsn)
    try:
        row = await conn.fetchrow("SELECT lease_seconds, extract(epoch FROM claim_expires_at - now()) AS left_s FROM tasks")
    finally:
        await conn.close()
    assert renewed["task_ids"] == ["1001.01"]
    assert row["lease_seconds"] == 3600 and 3000 < row["left_s"] <= 3600


async def test_the_cached_generic_claim_plan_looks_up_the_callers_claims_by_claimer_not_by_expiry(odm_settings):
    """PostgreSQL switches a prepared statement to its generic plan after five runs. With live claims spread
    over many agents, that plan once found the caller's claims by walking every live claim through the
    expiry index (6 ms a claim with 10k live claims instead of under 2)."""
    conn = await asyncpg.connect(odm_settings.odm_dsn)
    try:
        await conn.execute("""
            INSERT INTO projects (name, status, state) VALUES ('p', 'execute', 'active');
            INSERT INTO tickets (id, project_id, title, status, state) VALUES ('1001', 'proj-1', 't', 'execute', 'active');
            INSERT INTO tasks (id, ticket_id, project_id, ticket_seq, sequence, title, objective, status, state,
                               claimed_by, claim_token, claim_expires_at)
                SELECT '1001.' || lpad(s::text, 5, '0'), '1001', 'proj-1', 1, s, 't', 'o',
                       CASE s % 10 WHEN 0 THEN 'ready' WHEN 1 THEN 'plan' WHEN 2 THEN 'execute' ELSE 'complete' END,
                       CASE s % 10 WHEN 0 THEN 'ready' WHEN 1 THEN 'queued' WHEN 2 THEN 'active' ELSE 'completed' END,
                       CASE WHEN s % 10 = 2 THEN 'agent-' || s % 997 END, CASE WHEN s % 10 = 2 THEN s END,
                       CASE WHEN s % 10 = 2 THEN now() + interval '1 day' END
                FROM generate_series(1, 50000) s;
            ANALYZE tasks;
            SET plan_cache_mode = force_generic_plan;
        """)
        plans = {}
        for name, project in (("any", None), ("in_project", "proj-1")):
            await conn.execute(f"PREPARE claim_{name}(text, text, float8) AS {ClaimStore.claim_statement(project)}")
            rows = await conn.fetch(f"EXPLAIN EXECUTE claim_{name}('agent-1', {'NULL' if project is None else repr(project)}, 300)")
            plans[name] = "\n".join(r[0] for r in rows)
    finally:
        await conn.close()
    for name, plan in plans.items():
        renewal = plan.split("CTE candidate")[0]
        assert "tasks_claimed_by" in renewal and "tasks_claim_expiry" not in renewal, f"{name}:\n{plan}"
