"""Agent templates and runtimes through an MCP client: versions never rewritten, exactly one master (the database
refuses a second even under a race), the spawn policy (max_children, max_parallel_runs, parent_required) also under
concurrency, the runtime lifecycle and its health, the resources and the spawn_agent prompt."""

from __future__ import annotations

import json

import anyio
import anyio.lowlevel
import asyncpg
import pytest

from odm.domain.lifecycles import LIFECYCLES
from servers import odm
from tests.conftest import connect_client
from tests.odm.execution_support import surface, template
from tests.support.odm import call, data_fingerprint, fails

EXEC = "execution"


async def _read(client, uri: str):
    return json.loads((await client.read_resource(uri)).contents[0].text)


async def test_the_shipped_master_template_is_loaded_once_and_a_new_version_keeps_the_old(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=EXEC) as client:
        master = await _read(client, "odm://templates/000")
        v2 = await template(client, "000", is_master=True, roles=["orchestrator"], previous_version=1)
        listed = await _read(client, "odm://templates")
    async with connect_client(odm.SPEC, odm_settings, toolsets=EXEC) as client:  # a restart loads the files again
        again = await _read(client, "odm://templates")
    conn = await asyncpg.connect(odm_settings.odm_dsn)
    try:
        rows = await conn.fetch("SELECT version, name, roles FROM agent_templates WHERE agent_id = '000' ORDER BY version")
    finally:
        await conn.close()
    assert master["is_master"] and master["version"] == 1 and master["spawn_policy"]["max_parallel_runs"] == 1
    assert v2["version"] == 2 and v2["id"] != master["id"]
    assert [(r["version"], r["name"], list(r["roles"])) for r in rows] == [
        (1, "Master orchestrator", ["orchestrator", "governor"]), (2, "Template 000", ["orchestrator"])]
    assert [(t["agent_id"], t["version"]) for t in listed["items"]] == [("000", 2)] == \
        [(t["agent_id"], t["version"]) for t in again["items"]]


async def test_a_second_master_template_is_refused_naming_the_field_and_nothing_is_written(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=EXEC) as client:
        before = await data_fingerprint(odm_settings.odm_dsn)
        other = await fails(client, "create_agent_template", agent_id="001", name="Pretender", roles=["orchestrator"],
                            is_master=True)
        again = await fails(client, "create_agent_template", agent_id="000", name="Second", roles=["orchestrator"],
                            is_master=True)
        stale = await fails(client, "create_agent_template", agent_id="000", name="Second", roles=["orchestrator"],
                            is_master=True, previous_version=7)
        after = await data_fingerprint(odm_settings.odm_dsn)
    assert other.startswith("[invalid_argument] is_master: only agent 000 is the master template")
    assert again.startswith("[conflict] is_master: the master template exists (000 v1)")
    assert "previous_version=1" in again and stale.startswith("[conflict] is_master:")
    assert before == after


async def test_the_database_refuses_a_second_master_inserted_by_a_racing_transaction(odm_settings):
    first = await asyncpg.connect(odm_settings.odm_dsn)
    second = await asyncpg.connect(odm_settings.odm_dsn)
    insert = ("INSERT INTO agent_templates (agent_id, version, name, roles, is_master) "
              "VALUES ('000', 1, $1, '{orchestrator}', true)")
    outcome: list[BaseException] = []

    async def racer() -> None:
        try:
            async with second.transaction():
                await second.execute(insert, "two")
        except asyncpg.UniqueViolationError as exc:
            outcome.append(exc)

    try:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tx = first.transaction()
                await tx.start()
                await first.execute(insert, "one")
                tg.start_soon(racer)
                while not await first.fetchval(  # the racer waits on the first transaction's uncommitted row
                        "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'"):
                    await anyio.lowlevel.checkpoint()
                await tx.commit()
        masters = await first.fetch("SELECT name FROM agent_templates WHERE is_master")
    finally:
        await first.close()
        await second.close()
    assert [m["name"] for m in masters] == ["one"]
    assert len(outcome) == 1 and outcome[0].constraint_name == "agent_templates_one_master"


async def test_two_clients_publishing_the_next_master_version_at_once_one_wins_and_one_gets_conflict(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=EXEC) as a, \
            connect_client(odm.SPEC, odm_settings, toolsets=EXEC) as b:
        answers: list = []

        async def publish(client, name: str) -> None:
            result = await client.call_tool("create_agent_template", {
                "agent_id": "000", "name": name, "roles": ["orchestrator"], "is_master": True, "previous_version": 1})
            answers.append(result)

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                tg.start_soon(publish, a, "A")
                tg.start_soon(publish, b, "B")
        versions = await _read(a, "odm://templates/000")
    ok = [r for r in answers if not r.is_error]
    refused = [r.content[0].text for r in answers if r.is_error]
    assert len(ok) == 1 and len(refused) == 1 and refused[0].startswith("[conflict] is_master:")
    assert versions["version"] == 2 and versions["name"] == ok[0].structured_content["name"]


async def test_spawn_takes_the_templates_binding_and_links_parent_root_and_orchestrator(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=EXEC) as client:
        await template(client, "001", roles=["orchestrator"])
        await template(client, "002", default_provider="anthropic", default_model="claude-sonnet",
                       default_auth_method="oauth", default_auth_account="dev@struxio.ai")
        boss = await call(client, "spawn_runtime", agent_id="100", template="001")
        child = await call(client, "spawn_runtime", agent_id="101", template="002", parent_runtime_id="100",
                           model="claude-opus")
        grandchild = await call(client, "spawn_runtime", agent_id="102", template="002", parent_runtime_id="101")
        detail = await _read(client, "odm://runtimes/100")
    assert boss["runtime_kind"] == "orchestrator" and boss["status_state"] == "ready.ready"
    assert boss["health_state"] == "healthy" and boss["orchestrator_id"] is None
    assert (child["provider"], child["model"], child["auth_method"], child["auth_account"]) == (
        "anthropic", "claude-opus", "oauth", "dev@struxio.ai")
    assert (child["root_runtime_id"], child["orchestrator_id"], child["runtime_kind"]) == ("100", "100", "worker")
    assert (grandchild["root_runtime_id"], grandchild["orchestrator_id"]) == ("100", "100")
    assert detail["children"] == ["101"] and child["agent_id"] == "101"


async def test_spawn_limits_refuse_the_extra_child_the_extra_run_and_a_missing_parent_writing_nothing(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=EXEC) as client:
        await template(client, "001", roles=["orchestrator"], spawn_policy={"max_children": 2})
        await template(client, "002", spawn_policy={"parent_required": True})
        await template(client, "003", spawn_policy={"max_parallel_runs": 1})
        await call(client, "spawn_runtime", agent_id="100", template="001")
        for agent in ("101", "102"):
            await call(client, "spawn_runtime", agent_id=agent, template="002", parent_runtime_id="100")
        await call(client, "spawn_runtime", agent_id="110", template="003")
        before = await data_fingerprint(odm_settings.odm_dsn)
        third = await fails(client, "spawn_runtime", agent_id="103", template="002", parent_runtime_id="100")
        orphan = await fails(client, "spawn_runtime", agent_id="104", template="002")
        parallel = await fails(client, "spawn_runtime", agent_id="111", template="003")
        unknown = await fails(client, "spawn_runtime", agent_id="105", template="404")
        no_parent = await fails(client, "spawn_runtime", agent_id="106", template="002", parent_runtime_id="999")
        no_surface = await fails(client, "spawn_runtime", agent_id="107", template="001", execution_surface_id="srf-9")
        taken = await fails(client, "spawn_runtime", agent_id="110", template="001")
        after = await data_fingerprint(odm_settings.odm_dsn)
        await call(client, "transition_runtime", runtime_id="101", to="complete.cancelled")
        freed = await call(client, "spawn_runtime", agent_id="103", template="002", parent_runtime_id="100")
    assert third.startswith("[conflict] parent_runtime_id: runtime 100 already has 2 live children (101, 102)")
    assert "max_children=2" in third
    assert orphan.startswith("[invalid_argument] parent_runtime_id: template 002 requires a parent runtime")
    assert parallel.startswith("[conflict] template: 003 allows max_parallel_runs=1 and runs 110")
    assert unknown.startswith("[not_found] template: no agent template 404")
    assert no_parent.startswith("[not_found] parent_runtime_id: no agent runtime 999")
    assert no_surface.startswith("[not_found] execution_surface_id: no execution surface srf-9")
    assert taken.startswith("[conflict] agent_id: agent 110 already has a runtime")
    assert before == after and freed["parent_runtime_id"] == "100"


async def test_concurrent_spawns_under_one_parent_never_pass_max_children(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=EXEC) as a, \
            connect_client(odm.SPEC, odm_settings, toolsets=EXEC) as b:
        await template(a, "001", roles=["orchestrator"], spawn_policy={"max_children": 1})
        await template(a, "002")
        await call(a, "spawn_runtime", agent_id="100", template="001")
        results: list = []

        async def spawn(client, agent: str) -> None:
            results.append(await client.call_tool("spawn_runtime", {
                "agent_id": agent, "template": "002", "parent_runtime_id": "100"}))

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for client, agent in ((a, "101"), (b, "102"), (a, "103"), (b, "104")):
                    tg.start_soon(spawn, client, agent)
        detail = await _read(a, "odm://runtimes/100")
    assert sum(not r.is_error for r in results) == 1 and len(detail["children"]) == 1
    assert all(r.content[0].text.startswith("[conflict] parent_runtime_id:") for r in results if r.is_error)


@pytest.mark.parametrize("target, health", [("recover.ready", "recovering"), ("execute.blocked", "blocked"),
                                            ("execute.paused", "healthy")])
async def test_runtime_moves_follow_its_lifecycle_and_set_its_health(odm_settings, target, health):
    async with connect_client(odm.SPEC, odm_settings, toolsets=EXEC) as client:
        await template(client)
        await call(client, "spawn_runtime", agent_id="101", template="002")
        active = await call(client, "transition_runtime", runtime_id="101", to="execute.active")
        moved = await call(client, "transition_runtime", runtime_id="101", to=target, last_error="provider 529")
        listed = await _read(client, f"odm://runtimes?health={health}")
        lifecycle = await _read(client, "odm://lifecycles/runtime")
    assert active["status_state"] == "execute.active" and moved["status_state"] == target
    assert moved["health_state"] == health and moved["last_error"] == "provider 529"
    assert [r["id"] for r in listed["items"]] == ["101"]
    assert lifecycle["initial"] == "create.queued" and set(lifecycle["pairs"]) == set(LIFECYCLES["runtime"].pairs)


async def test_recovery_retries_on_a_switched_model_then_works_or_fails_terminally(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=EXEC) as client:
        await template(client, default_model="claude-sonnet")
        where = await surface(client)
        await call(client, "spawn_runtime", agent_id="101", template="002")
        await call(client, "transition_runtime", runtime_id="101", to="execute.active")
        await call(client, "transition_runtime", runtime_id="101", to="recover.ready", last_error="invalid output")
        retry = await call(client, "transition_runtime", runtime_id="101", to="recover.retry", model="claude-opus",
                           execution_surface_id=where["id"])
        back = await call(client, "transition_runtime", runtime_id="101", to="execute.active")
        await call(client, "transition_runtime", runtime_id="101", to="recover.ready")
        failed = await call(client, "transition_runtime", runtime_id="101", to="recover.failed", recoverable=False)
        refused = await fails(client, "transition_runtime", runtime_id="101", to="execute.active")
        switch = await fails(client, "transition_runtime", runtime_id="101", to="archive.archived", model="x")
    assert retry["health_state"] == "recovering" and retry["model"] == "claude-opus"
    assert retry["execution_surface_id"] == where["id"] and back["health_state"] == "healthy"
    assert failed["health_state"] == "failed" and failed["recoverable"] is False and failed["ended_at"] is not None
    assert refused.startswith("[invalid_transition] runtime 101 cannot go from recover.failed to execute.active; "
                              "allowed next: archive.archived")
    assert switch.startswith("[invalid_argument] model: a runtime switches model or surface")


async def test_spawn_agent_prompt_renders_the_template_its_limits_and_the_calls(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=EXEC) as client:
        await template(client, "002", spawn_policy={"parent_required": True, "max_children": 0},
                       default_provider="anthropic", default_model="claude-sonnet", responsibilities=["write code"])
        prompt = await client.get_prompt("spawn_agent", {"template": "002"})
        missing = await client.get_prompt("spawn_agent", {"template": "404"})
    text = prompt.messages[0].content.text
    assert "Template 002 v1" in text and "provider anthropic, model claude-sonnet" in text
    assert "parent required: yes; max_children per runtime: 0; max_parallel_runs: unlimited" in text
    assert 'spawn_runtime(agent_id=..., template="002"' in text and "It needs a parent" in text
    assert "[not_found] no agent template 404" in missing.messages[0].content.text


async def test_the_same_idempotency_key_returns_the_same_template_runtime_and_session(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=EXEC) as client:
        first = await template(client, "002", idempotency_key="tpl-k")
        again = await template(client, "002", idempotency_key="tpl-k")
        other = await fails(client, "create_agent_template", agent_id="002", name="Other", roles=["worker"],
                            idempotency_key="tpl-k")
        where = await surface(client)
        same_surface = await surface(client)
        clash = await fails(client, "register_surface", name="cc-1", type="codex", provider="openai",
                            auth_mode="api_key")
        spawned = await call(client, "spawn_runtime", agent_id="101", template="002", idempotency_key="rt-k")
        respawned = await call(client, "spawn_runtime", agent_id="101", template="002", idempotency_key="rt-k")
        opened = await call(client, "open_session", runtime_id="101", execution_surface_id=where["id"],
                            idempotency_key="ses-k")
        reopened = await call(client, "open_session", runtime_id="101", execution_surface_id=where["id"],
                              idempotency_key="ses-k")
        versions = await _read(client, "odm://templates/002")
    assert again["id"] == first["id"] and versions["version"] == 1
    assert other.startswith("[idempotency_mismatch]")
    assert same_surface["id"] == where["id"] and clash.startswith("[conflict] name: surface cc-1 is registered")
    assert respawned["id"] == spawned["id"] == "101" and reopened["id"] == opened["id"]
