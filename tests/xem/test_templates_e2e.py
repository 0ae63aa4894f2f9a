"""Chat templates as MCP prompts and their enforcement, through a real MCP client on xem-mcp with a real router and
agent: resolution workspace > project > platform by name, versions, the tool set, the approval cadences, bad input."""

from __future__ import annotations

import json
import re

import anyio
import pytest
from mcp.shared.exceptions import MCPError

from tests.e2e.test_inspector import MAX_DEFAULT_TOOLS_LIST
from tests.xem.bridge import xem_client
from tests.xem.support import _toml, wait_for
from tests.xem.templates_support import PromptNotices, add_workspace, template
from tests.xem.test_approvals_e2e import wipes
from tests.xem.test_bridge_e2e import enrolled, text
from tests.xem.test_inspector_agent import EXAMPLE

APPROVAL = re.compile(r"approval ([0-9a-f-]{36}) pending")


async def first_text(client, name: str, arguments: dict[str, str]) -> str:
    return (await client.get_prompt(name, arguments)).messages[0].content.text


async def test_prompts_get_resolves_workspace_over_project_over_platform_and_the_template_tool_set_is_enforced(bus, mesh):
    mesh.start_router()
    await enrolled(bus, mesh)
    await add_workspace(bus, "ws", "p1")
    await add_workspace(bus, "ws2", "p1")
    await add_workspace(bus, "ws3", None)
    notices = PromptNotices()
    async with xem_client(bus, toolsets="all", message_handler=notices) as client:
        listed = {p.name: p for p in (await client.list_prompts()).prompts}
        assert {"incident_triage", "safe_deploy", "disk_cleanup"} <= set(listed)
        args = {a.name: a.required for a in listed["disk_cleanup"].arguments}
        assert args == {"workspace": True, "target_free": False}

        project = await client.call_tool("create_template", {"scope": "project", "owner": "p1", "document": template(
            "disk_cleanup", "PROJECT", ["echo"])})
        assert not project.is_error, text(project)
        own = await client.call_tool("create_template", {"scope": "workspace", "owner": "ws", "document": template(
            "disk_cleanup", "WORKSPACE", ["echo", "wipe"], "every_destructive")})
        assert own.structured_content["ref"] == "disk_cleanup@1", text(own)
        await wait_for(lambda: notices.count > 0, what="prompts/list_changed after the new templates")

        assert (await first_text(client, "disk_cleanup", {"workspace": "ws"})).startswith("WORKSPACE: work in ws.")
        assert (await first_text(client, "disk_cleanup", {"workspace": "ws2"})).startswith("PROJECT: work in ws2.")
        platform = await first_text(client, "disk_cleanup", {"workspace": "ws3", "target_free": "30%"})
        assert "at least 30% free" in platform and "disk_cleanup@1 (platform)" in platform
        assert "disk_cleanup@1 (platform)" in await first_text(client, "disk_cleanup", {"workspace": "elsewhere"})
        rendered = await client.get_prompt("incident_triage", {"workspace": "ws3", "symptom": "502s since 14:05"})
        assert "502s since 14:05" in rendered.messages[0].content.text and "sev3" in rendered.messages[0].content.text
        assert len(rendered.messages) == 2 and "request_subplan" in rendered.messages[1].content.text
        resolved = json.loads((await client.read_resource("xem://templates/disk_cleanup?workspace=ws2")).contents[0].text)
        assert (resolved["scope"], resolved["owner"], resolved["ref"]) == ("project", "p1", "disk_cleanup@1")
        every = json.loads((await client.read_resource("xem://templates/disk_cleanup")).contents[0].text)
        assert sorted(v["scope"] for v in every["variants"]) == ["platform", "project", "workspace"]
        with pytest.raises(MCPError) as unknown:
            await client.get_prompt("disk_cleanup", {"workspace": "bad name!"})
        assert unknown.value.error.code == -32602
        with pytest.raises(MCPError) as missing:
            await client.get_prompt("incident_triage", {"workspace": "ws3"})
        assert missing.value.error.code == -32602 and "symptom" in missing.value.error.message

        # a tool outside the template's set: [forbidden] naming the template and its tools, nothing written
        before = await bus.pool.fetchval("SELECT count(*) FROM xem.invocations")
        refused = await client.call_tool("ws__tick", {"n": 1, "template": "disk_cleanup"})
        assert refused.is_error and text(refused).startswith("[forbidden] template disk_cleanup@1 (workspace ws)"), text(refused)
        assert "allows only echo, wipe" in text(refused)
        via_invoke = await client.call_tool("invoke", {"workspace": "ws", "tool": "tick", "arguments": {"n": 1},
                                                       "template": "disk_cleanup"})
        assert text(via_invoke).startswith("[forbidden] "), text(via_invoke)
        assert await bus.pool.fetchval("SELECT count(*) FROM xem.invocations") == before

        ran = await client.call_tool("ws__echo", {"msg": "hi", "template": "disk_cleanup"})
        assert ran.structured_content["state"] == "succeeded", text(ran)
        row = await bus.pool.fetchrow("SELECT template_name, template_scope, template_owner, template_version "
                                      "FROM xem.invocations WHERE id = $1::uuid", ran.structured_content["id"])
        assert tuple(row) == ("disk_cleanup", "workspace", "ws", 1)
        assert ran.structured_content["template"] == "disk_cleanup@1 (workspace ws)"

        # every_destructive: a destructive call asks even though the workspace policy says none
        await client.call_tool("approval_policy", {"workspace": "ws", "risk": "destructive", "required": False})
        gated = await client.call_tool("ws__wipe", {"target": "t1", "template": "disk_cleanup"})
        assert text(gated).startswith("[approval_required] "), text(gated)
        free = await client.call_tool("ws__wipe", {"target": "t2"})
        assert free.structured_content["state"] == "succeeded", text(free)

        # version 2 (once_per_session) never overwrites version 1; name@1 pins the old one
        v2 = await client.call_tool("create_template", {"scope": "workspace", "owner": "ws", "document": template(
            "disk_cleanup", "WORKSPACE v2", ["echo", "wipe"], "once_per_session")})
        assert v2.structured_content["ref"] == "disk_cleanup@2", text(v2)
        assert await bus.pool.fetchval("SELECT document->>'approval_cadence' FROM xem.chat_templates WHERE scope = "
                                       "'workspace' AND name = 'disk_cleanup' AND version = 1") == "every_destructive"
        first = await client.call_tool("ws__wipe", {"target": "s1", "template": "disk_cleanup"})
        approval = APPROVAL.search(text(first)).group(1)
        decided = await client.call_tool("decide_approval", {"id": approval, "decision": "approved"})
        assert not decided.is_error, text(decided)
        await wait_for(lambda: "s1" in wipes(mesh), what="the approved wipe to run")
        second = await client.call_tool("ws__wipe", {"target": "s2", "template": "disk_cleanup"})
        assert second.structured_content["state"] == "succeeded", text(second)  # the session has its approval
        pinned = await client.call_tool("ws__wipe", {"target": "s3", "template": "disk_cleanup@1"})
        assert text(pinned).startswith("[approval_required] "), text(pinned)
        assert wipes(mesh) == ["t2", "s1", "s2"]
        async with xem_client(bus) as other:  # another session asks again
            third = await other.call_tool("ws__wipe", {"target": "s4", "template": "disk_cleanup"})
            assert text(third).startswith("[approval_required] "), text(third)


async def test_the_2026_era_hears_prompts_list_changed_when_a_template_gets_a_new_version(bus):
    async with xem_client(bus, mode="2026-07-28", toolsets="all") as client, \
            client.listen(prompts_list_changed=True) as sub:
        before = {p.name for p in (await client.list_prompts()).prompts}
        made = await client.call_tool("create_template", {"scope": "project", "owner": "p1",
                                                          "document": template("night_watch", "NIGHT", ["echo"])})
        assert not made.is_error, text(made)
        with anyio.fail_after(20):
            await sub.__anext__()
        after = {p.name for p in (await client.list_prompts()).prompts}
    assert "night_watch" not in before and after == before | {"night_watch"}


async def test_a_template_that_fails_its_schema_or_rules_is_refused_with_the_field_and_nothing_is_stored(bus):
    async with xem_client(bus, toolsets="all") as client:
        schema = json.loads((await client.read_resource("xem://templates/schema")).contents[0].text)
        assert schema["properties"]["approval_cadence"]["enum"] == ["every_destructive", "once_per_session", "per_policy"]
        bad = [
            (template("x", "X", ["echo"], "whenever"), "approval_cadence"),
            ({**template("x", "X", ["echo"]), "colour": "red"}, "colour"),
            ({k: v for k, v in template("x", "X", ["echo"]).items() if k != "allowed_tools"}, "allowed_tools"),
            (template("x", "X", ["echo"], sub_agentic_tool_scope=["wipe"]), "sub_agentic_tool_scope"),
            ({**template("x", "X", ["echo"]), "system_prompt": "use ${nope}"}, "nope"),
            ({**template("x", "X", ["echo"]), "version": 4}, "version"),
        ]
        for document, field in bad:
            result = await client.call_tool("create_template", {"scope": "project", "owner": "p1", "document": document})
            assert result.is_error and text(result).startswith("[invalid_argument] template ") and field in text(result), \
                text(result)
        wrong_scope = await client.call_tool("create_template", {"scope": "platform", "owner": "p1",
                                                                 "document": template("x", "X", ["echo"])})
        assert wrong_scope.is_error and text(wrong_scope).startswith("[invalid_argument] "), text(wrong_scope)
        assert await bus.pool.fetchval("SELECT count(*) FROM xem.chat_templates") == 0

        made = {"scope": "project", "owner": "p1", "document": template("x", "X", ["echo"]), "idempotency_key": "k1"}
        once = await client.call_tool("create_template", made)
        again = await client.call_tool("create_template", made)
        assert once.structured_content == again.structured_content
        other = await client.call_tool("create_template", {**made, "document": template("x", "Y", ["echo"])})
        assert text(other).startswith("[idempotency_mismatch] "), text(other)
        assert await bus.pool.fetchval("SELECT count(*) FROM xem.chat_templates") == 1
        listed = await client.call_tool("list_templates", {"name": "x"})
        assert [(i["scope"], i["owner"], i["ref"]) for i in listed.structured_content["items"]] == [("project", "p1", "x@1")]


async def test_xeroctl_templates_create_list_show_and_refuse_a_bad_file(bus, mesh):
    good, bad = mesh.tmp / "good.json", mesh.tmp / "bad.json"
    good.write_text(json.dumps(template("safe_deploy", "OURS", ["deploy*"], "once_per_session")))
    bad.write_text(json.dumps({"name": "safe_deploy", "description": "no prompt"}))
    refused = mesh.xeroctl("templates", "create", str(bad), "--project", "p1")
    assert refused.returncode != 0 and "[invalid_argument] template" in refused.stderr, refused.stderr
    assert await bus.pool.fetchval("SELECT count(*) FROM xem.chat_templates") == 0
    made = mesh.xeroctl("templates", "create", str(good), "--project", "p1")
    assert made.returncode == 0 and "safe_deploy@1 (project p1)" in made.stdout, made.stderr
    await add_workspace(bus, "deploys", "p1")
    listed = mesh.xeroctl("templates", "list", "--name", "safe_deploy", "--json")
    assert [json.loads(line)["scope"] for line in listed.stdout.splitlines()] == ["platform", "project"], listed.stderr
    shown = json.loads(mesh.xeroctl("templates", "show", "safe_deploy", "--workspace", "deploys").stdout)
    assert (shown["scope"], shown["ref"], shown["document"]["approval_cadence"]) == ("project", "safe_deploy@1",
                                                                                     "once_per_session")
    elsewhere = json.loads(mesh.xeroctl("templates", "show", "safe_deploy", "--workspace", "other").stdout)
    assert elsewhere["scope"] == "platform"


async def test_the_default_tools_list_with_agent_tools_templates_and_workspaces_stays_within_16_kb(bus, mesh):
    mesh.start_router()
    config = json.loads(json.dumps(EXAMPLE))  # the example agent, as the Inspector's 16 KB test runs it
    repo = mesh.tmp / "repo"
    repo.mkdir()
    config.update(name="xem-example", router=mesh.endpoint, router_public_key=mesh.router_key(),
                  state_dir=str(mesh.tmp / "state-example"), join_key=mesh.join_key(),
                  workspaces=[{"name": "repo", "root": str(repo)}], discovery={"clis": []})
    config.pop("join_key_file")
    path = mesh.tmp / "agent-example.toml"
    path.write_text(_toml(config))
    mesh.start_agent(path, "example")
    await wait_for(lambda: bus.pool.fetchval("SELECT state = 'online' FROM xem.agents WHERE name = 'xem-example'"),
                   what="the example agent to enroll")
    for name in ("repo", "ws2", "ops"):
        await add_workspace(bus, name, "p1")
    async with xem_client(bus, toolsets="all") as admin:
        for scope, owner in (("project", "p1"), ("workspace", "repo"), ("workspace", "ops")):
            made = await admin.call_tool("create_template", {"scope": scope, "owner": owner, "document": template(
                "incident_triage", owner.upper(), ["git_*"], sub_agentic_max_iterations=3)})
            assert not made.is_error, text(made)
    async with xem_client(bus) as client:
        listed = await client.list_tools()
        names = {t.name for t in listed.tools}
        assert {"repo__git_status", "invoke"} <= names and not {"create_template", "request_subplan"} & names
        assert "template" in next(t for t in listed.tools if t.name == "repo__git_status").input_schema["properties"]
        wire = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed.tools]
        size = len(json.dumps(wire, separators=(",", ":")).encode())
        per = sorted((len(json.dumps(w, separators=(",", ":"))), w["name"]) for w in wire)
        print(f"default tools/list: {size} bytes")
        assert size <= MAX_DEFAULT_TOOLS_LIST, f"default tools/list is {size} bytes: {per}"
