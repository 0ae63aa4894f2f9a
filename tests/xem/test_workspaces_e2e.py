"""Workspaces through a real MCP client, a real router and real agents, operated with real ``xeroctl``: a chat
workspace lists and runs nothing; promoted and bound to three available models it opens (list_changed); a model
marked unavailable closes it within one notice and reopens it when available again; a workspace's scope is
enforced by the bridge and again by the agent."""

from __future__ import annotations

import json

from tests.xem.bridge import xem_client
from tests.xem.support import Mesh, wait_for
from tests.xem.test_bridge_e2e import Notices, enrolled, names, text
from xem import services


def ok(done) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def refused(done, code: str) -> str:
    assert done.returncode != 0 and f"[{code}] " in done.stderr, (done.returncode, done.stdout, done.stderr)
    return done.stderr


async def invoke(client, workspace: str, **extra):
    return await client.call_tool("invoke", {"workspace": workspace, "tool": "echo", "arguments": {"msg": "hi"}, **extra})


async def test_a_chat_workspace_opens_only_when_promoted_with_three_available_models_and_closes_when_one_goes(bus, mesh: Mesh):
    ok(mesh.xeroctl("workspaces", "create", "ops", "--kind", "chat", "--project", "P-1"))
    mesh.start_router()
    notices = Notices()
    async with xem_client(bus, message_handler=notices) as client:
        await enrolled(bus, mesh, workspace="ops")
        rows = await bus.pool.fetchval("SELECT count(*) FROM xem.invocations")

        # chat: knowledge only, its tools are neither listed nor invocable (by name or through the compact form)
        assert not {n for n in await names(client) if n.startswith("ops__")}
        listed = await client.call_tool("list_exec_tools", {"workspace": "ops"})
        assert listed.structured_content["items"] == []
        chat = await invoke(client, "ops")
        assert chat.is_error and text(chat).startswith("[forbidden] workspace ops is a chat workspace"), text(chat)
        assert "xeroctl workspaces promote ops" in text(chat)
        described = await client.call_tool("describe_exec_tool", {"workspace": "ops", "tool": "echo"})
        assert text(described).startswith("[forbidden] workspace ops is a chat workspace"), text(described)

        # bad input: a binding to an unknown model, nothing changes
        ok(mesh.xeroctl("models", "set", "m-plan", "m-exec", "m-ver", "--available", "--provider", "local"))
        stderr = refused(mesh.xeroctl("workspaces", "bind", "ops", "--planner", "m-plan", "--executor", "m-exec",
                                      "--verifier", "nope"), "not_found")
        assert "xeroctl models set nope --available" in stderr
        assert await bus.pool.fetchval("SELECT count(*) FROM xem.workspace_models WHERE workspace = 'ops'") == 0

        # promoted, but no models yet: still closed, and the call names the missing role
        ok(mesh.xeroctl("workspaces", "promote", "ops"))
        closed = await invoke(client, "ops")
        assert text(closed).startswith("[forbidden] workspace ops is closed: no planner model bound; bind one with "
                                       "`xeroctl workspaces bind ops --planner MODEL`"), text(closed)
        # a demotion is refused with the reason, nothing changes
        refused(mesh.xeroctl("workspaces", "promote", "ops", "--to", "chat"), "invalid_transition")
        assert await bus.pool.fetchval("SELECT kind FROM xem.workspaces WHERE name = 'ops'") == "operational"
        assert await bus.pool.fetchval("SELECT count(*) FROM xem.invocations") == rows

        notices.count = 0
        ok(mesh.xeroctl("workspaces", "bind", "ops", "--planner", "m-plan", "--executor", "m-exec", "--verifier", "m-ver"))
        await wait_for(lambda: notices.count > 0, what="tools/list_changed after the binding opened ops")
        assert {"ops__echo", "ops__wipe"} <= await names(client)
        ran = await client.call_tool("ops__echo", {"msg": "open", "idempotency_key": "ops-1"})
        assert ran.structured_content["state"] == "succeeded", text(ran)
        gated = await client.call_tool("ops__wipe", {"target": "t1"})
        assert text(gated).startswith("[approval_required] approval "), text(gated)
        approval = text(gated).split()[2]

        # one model unavailable: closed within one notice, every path refused with the missing role named
        notices.count = 0
        ok(mesh.xeroctl("models", "set", "m-ver", "--unavailable"))
        await wait_for(lambda: notices.count > 0, what="tools/list_changed after m-ver became unavailable")
        assert not {n for n in await names(client) if n.startswith("ops__")}
        rows = await bus.pool.fetchval("SELECT count(*) FROM xem.invocations")
        for answer in (await invoke(client, "ops"),
                       await invoke(client, "ops", idempotency_key="ops-1")):  # a replay is refused too
            assert text(answer).startswith("[forbidden] workspace ops is closed: verifier model m-ver unavailable; bind "
                                           "one with `xeroctl workspaces bind ops --verifier MODEL`"), text(answer)
        described = await client.call_tool("describe_exec_tool", {"workspace": "ops", "tool": "echo"})
        assert text(described).startswith("[forbidden] workspace ops is closed: verifier model m-ver"), text(described)
        assert await bus.pool.fetchval("SELECT count(*) FROM xem.invocations") == rows
        assert "closed" in ok(mesh.xeroctl("workspaces", "list"))
        # an approval given while it is closed does not dispatch: the call fails, naming why
        assert "is failed" in ok(mesh.xeroctl("approvals", "approve", approval))
        error = await bus.pool.fetchval("SELECT i.error FROM xem.invocations i JOIN xem.approvals a ON a.invocation_id = i.id "
                                        "WHERE a.id = $1::uuid", approval)
        assert error.startswith("[forbidden] approved, but workspace ops is closed: verifier model m-ver"), error
        assert not (mesh.workspace / "wipes.txt").exists()

        # available again: it reopens by itself
        notices.count = 0
        ok(mesh.xeroctl("models", "set", "m-ver", "--available"))
        await wait_for(lambda: notices.count > 0, what="tools/list_changed after m-ver came back")
        assert "ops__echo" in await names(client)
        again = await client.call_tool("ops__echo", {"msg": "again"})
        assert again.structured_content["state"] == "succeeded", text(again)


async def test_a_declared_workspace_without_a_record_is_created_closed_and_opens_with_the_three_xeroctl_commands(bus, mesh):
    mesh.start_router()
    notices = Notices()
    async with xem_client(bus, message_handler=notices) as client:
        await enrolled(bus, mesh, workspace="fresh")
        listing = ok(mesh.xeroctl("workspaces", "list"))
        assert "fresh" in listing and "operational closed" in listing and "xem-a" in listing, listing
        assert "fresh__echo" not in await names(client)
        closed = await invoke(client, "fresh")
        assert text(closed).startswith("[forbidden] workspace fresh is closed: no planner model bound"), text(closed)
        notices.count = 0
        mesh.open_workspace("fresh")
        await wait_for(lambda: notices.count > 0, what="tools/list_changed after fresh was opened")
        assert "fresh__echo" in await names(client)


async def test_the_workspace_scope_is_enforced_by_the_bridge_and_again_by_the_agent(bus, mesh):
    mesh.start_router()
    await enrolled(bus, mesh)
    ok(mesh.xeroctl("workspaces", "scope", "ws", "--path-prefix", "logs", "--pattern", "echo.msg=[a-z]+",
                    "--pattern", "target=[a-z]+"))
    async with xem_client(bus) as client:
        fine = await client.call_tool("ws__echo", {"msg": "hello", "path": "logs/a.txt"})
        assert fine.structured_content["state"] == "succeeded", text(fine)
        rows = await bus.pool.fetchval("SELECT count(*) FROM xem.invocations")
        for args, what in (({"msg": "hello", "path": "etc/passwd"}, "path='etc/passwd'"),
                           ({"msg": "hello", "path": "logs/../etc"}, "path='logs/../etc'"),
                           ({"msg": "Hello1"}, "msg='Hello1'")):
            answer = await client.call_tool("ws__echo", args)
            assert answer.is_error and text(answer).startswith(f"[forbidden] echo argument {what} is outside workspace ws's "
                                                               "scope"), text(answer)
            assert "xeroctl workspaces scope ws" in text(answer)
        assert await bus.pool.fetchval("SELECT count(*) FROM xem.invocations") == rows

    # a dispatch that bypasses the bridge carries the scope; the agent refuses it and runs nothing
    frame = await services.create_dispatch(bus.xem, "xem-a", "ws", "wipe", {"target": "BAD1"})
    assert frame.scope == {"path_prefixes": ["logs"], "patterns": {"echo.msg": "[a-z]+", "target": "[a-z]+"}}
    row = await wait_for(lambda: bus.pool.fetchrow("SELECT result FROM xem.dispatches WHERE id = $1 AND result IS NOT NULL",
                                                   frame.invocation_id), what="the agent's answer to the bypassing frame")
    result = json.loads(row["result"])
    assert result["status"] == "refused" and result["error"].startswith("[forbidden] wipe argument target='BAD1' is outside "
                                                                        "workspace ws's scope"), result
    assert "refused by the agent" in result["error"]
    assert not (mesh.workspace / "wipes.txt").exists()
    allowed = await services.create_dispatch(bus.xem, "xem-a", "ws", "wipe", {"target": "good"})
    await wait_for(lambda: bus.pool.fetchval("SELECT result IS NOT NULL FROM xem.dispatches WHERE id = $1",
                                             allowed.invocation_id), what="the allowed wipe")
    assert (mesh.workspace / "wipes.txt").read_text() == "good\n"
