"""Learnings and fork points through a real MCP client, a real router and agent, and xeroctl."""

from __future__ import annotations

import json
import sys

from tests.xem.bridge import xem_client
from tests.xem.test_bridge_e2e import enrolled, text

# exit 3 for version "bad", or while ./fail-<version> exists in the workspace (the agent runs tools there)
DEPLOY_SCRIPT = "import os, sys; sys.exit(3 if sys.argv[1] == 'bad' or os.path.exists('fail-' + sys.argv[1]) else 0)"
DEPLOY = {"name": "deploy", "workspace": "ws", "description": "deploy a version", "risk": "destructive",
          "argv": [sys.executable, "-c", DEPLOY_SCRIPT, "{version}", "{signing}", "{api_token}"],
          "params": {"version": {"type": "string"}, "signing": {"type": "string", "secret": True},
                     "api_token": {"type": "string"}}}
ECHO = {"name": "echo", "workspace": "ws", "description": "print the arguments", "risk": "read",
        "argv": [sys.executable, "-c", "print('ok')", "{msg}"], "params": {"msg": {"type": "string"}}}


async def deploy(client, version: str, token: str, **extra):
    return await client.call_tool("ws__deploy", {"version": version, "signing": "s3cret-key", "api_token": token, **extra})


async def test_learnings_return_the_successful_parameter_sets_most_used_first_without_secrets_and_not_the_failed_one(bus, mesh):
    mesh.start_router()
    await enrolled(bus, mesh, tools=[ECHO, DEPLOY])
    assert mesh.xeroctl("approvals", "policy", "set", "ws", "--risk", "destructive", "--not-required").returncode == 0
    async with xem_client(bus) as client:
        for version, token in (("1.2", "tok-1"), ("1.2", "tok-2"), ("1.3", "tok-3")):
            done = await deploy(client, version, token)
            assert done.structured_content["state"] == "succeeded", text(done)
        failed = await deploy(client, "bad", "tok-4")
        assert failed.structured_content["state"] == "failed", text(failed)
        (mesh.workspace / "fail-1.3").write_text("")
        assert (await deploy(client, "1.3", "tok-5")).structured_content["state"] == "failed"

        learned = await client.call_tool("learnings", {"workspace": "ws", "tool": "deploy"})
        assert not learned.is_error, text(learned)
        items = learned.structured_content["items"]
        hidden = {"signing": "[redacted]", "api_token": "[redacted]"}
        assert [(i["params"], i["successes"], i["failures"], i["last_failed"]) for i in items] == [
            ({"version": "1.2", **hidden}, 2, 0, False),
            ({"version": "1.3", **hidden}, 1, 1, True),  # its last run failed: after the others, marked
        ]
        shown = await client.call_tool("get_invocation", {"id": failed.structured_content["id"]})
        assert shown.structured_content["arguments"] == {"version": "bad", **hidden}  # secrets stay with the agent
        assert failed.structured_content["arguments"] == {"version": "bad", **hidden}
        stored = await bus.pool.fetchval("SELECT string_agg(params::text, ' ') FROM xem.learnings")
        assert "s3cret" not in stored and "tok-" not in stored
        assert "bad" in stored  # the failed set is kept (counted) but never offered
        none = await client.call_tool("learnings", {"workspace": "ws", "tool": "nothing"})
        assert none.structured_content["items"] == []


async def test_a_destructive_call_leaves_a_fork_point_that_a_failed_run_names_and_xeroctl_lists(bus, mesh):
    mesh.start_router()
    await enrolled(bus, mesh, tools=[ECHO, DEPLOY])
    assert mesh.xeroctl("approvals", "policy", "set", "ws", "--risk", "destructive", "--not-required").returncode == 0
    async with xem_client(bus) as client:
        schema = {t.name: t.input_schema for t in (await client.list_tools()).tools}
        assert "branch_ref" in schema["ws__deploy"]["properties"]
        assert "branch_ref" not in schema["ws__echo"]["properties"]  # a read leaves no fork point
        read = await client.call_tool("ws__echo", {"msg": "hi"})
        assert read.structured_content["fork_point"] is None
        ok = await deploy(client, "2.0", "tok-a", branch_ref="chat-9/branch-1")
        assert ok.structured_content["fork_point"]["branch_ref"] == "chat-9/branch-1"
        assert ok.structured_content["next_step"] is None
        bad = await client.call_tool("invoke", {"workspace": "ws", "tool": "deploy", "branch_ref": "chat-9/branch-2",
                                                "arguments": {"version": "bad", "signing": "x", "api_token": "tok-b"}})
        answer = bad.structured_content
        assert answer["state"] == "failed" and answer["result"]["exit_code"] == 3, text(bad)
        fork = answer["fork_point"]
        assert fork["branch_ref"] == "chat-9/branch-2"
        assert f"roll back to fork point {fork['id']}" in answer["next_step"]
        assert "'chat-9/branch-2'" in answer["next_step"]
        again = await client.call_tool("get_invocation", {"id": answer["id"]})
        assert again.structured_content["fork_point"] == fork

    listed = mesh.xeroctl("invocations", "forks", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["tool"], r["state"], r["branch_ref"]) for r in rows] == [
        ("ws__deploy", "failed", "chat-9/branch-2"), ("ws__deploy", "succeeded", "chat-9/branch-1")]
    assert rows[0]["id"] == fork["id"] and rows[0]["invocation"] == answer["id"]
    assert rows[0]["arguments"] == {"version": "bad", "signing": "[redacted]", "api_token": "[redacted]"}
    human = mesh.xeroctl("invocations", "forks", "--workspace", "ws")
    assert fork["id"] in human.stdout and "branch chat-9/branch-2" in human.stdout
    assert mesh.xeroctl("invocations", "forks", "--workspace", "other").stdout == ""
