"""Config discovery: candidates are reported at boot and bound only after an operator approves them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.xem.support import wait_for


async def test_discovered_candidates_are_bound_only_after_approval(bus, mesh):
    repos = mesh.tmp / "repos"
    (repos / "alpha" / ".git").mkdir(parents=True)
    (repos / "plain").mkdir()
    python_dir = str(Path(sys.executable).parent)
    mesh.start_router()
    config = mesh.agent_config(
        "a", "xem-a", mesh.join_key(),
        discovery={"git_roots": [str(repos)], "clis": [Path(sys.executable).name, "surely-not-installed-cli"]},
    )
    text = config.read_text().replace("[[tools]]", (
        '[[tools]]\nname = "pwd"\nworkspace = "git-alpha"\ndescription = "where am I"\nrisk = "read"\n'
        f'argv = ["{sys.executable}", "-c", "import os; print(os.getcwd())"]\n\n[[tools]]'), 1)
    config.write_text(text)
    mesh.env["PATH"] = python_dir + ":" + mesh.env.get("PATH", "")
    mesh.start_agent(config, "a")
    rows = await wait_for(lambda: bus.pool.fetch("SELECT candidate_id, kind, state FROM xem.candidates ORDER BY 1"),
                          what="the agent's candidates")
    assert [tuple(r) for r in rows] == [("cli-" + Path(sys.executable).name, "cli", "pending"), ("git-alpha", "git", "pending")]
    manifest = json.loads(await bus.pool.fetchval("SELECT manifest FROM xem.agents"))
    assert "pwd" not in {t["name"] for t in manifest["tools"]}  # not bound before approval
    listed = mesh.xeroctl("agents", "candidates", "list", "xem-a")
    assert "git-alpha" in listed.stdout and "pending" in listed.stdout
    done = mesh.xeroctl("agents", "candidates", "approve", "xem-a", "git-alpha")
    assert done.returncode == 0, done.stderr
    await wait_for(lambda: bus.pool.fetchval("SELECT manifest_version = 2 FROM xem.agents"), what="manifest version 2")
    manifest = json.loads(await bus.pool.fetchval("SELECT manifest FROM xem.agents"))
    assert {"name": "git-alpha", "kind": "git", "root": str(repos / "alpha")} in manifest["workspaces"]
    assert "pwd" in {t["name"] for t in manifest["tools"]}
    refused = mesh.xeroctl("agents", "candidates", "approve", "xem-a", "git-nope")
    assert refused.returncode != 0 and "[not_found]" in refused.stderr


async def test_an_enrolled_agents_malformed_or_unknown_frames_get_error_frames_and_the_router_keeps_serving(bus, mesh):
    import zmq
    import zmq.asyncio

    from xem.domain.manifest import Manifest
    from xem.domain.protocol import Enroll, Ping, decode, encode
    from xem.keyfiles import new_keypair

    mesh.start_router()
    public, secret = new_keypair()
    ctx = zmq.asyncio.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.curve_serverkey, sock.curve_publickey, sock.curve_secretkey = mesh.router_key().encode(), public, secret
    sock.linger = 0
    try:
        sock.connect(mesh.endpoint)
        await sock.send(encode(Enroll(sender="raw", join_key=mesh.join_key(), public_key=public.decode(),
                                      manifest=Manifest(manifest_version=1))))
        assert (await wait_for(sock.recv, what="enroll_ok")).find(b'"enroll_ok"') > 0
        for garbage, reason in [(b"\xff not json", "not JSON"), (b'{"v": 1, "kind": "launch"}', "unknown frame kind"),
                                (b'{"v": 9, "kind": "ping"}', "unsupported protocol version"),
                                (b'{"v": 1, "kind": "ping", "id": "x"}', "malformed ping")]:
            await sock.send(garbage)
            reply = decode(await wait_for(sock.recv, what="an error frame"))
            assert reply.kind == "error" and reply.code == "invalid_argument" and reason in reply.message
        ping = Ping(sender="raw")
        await sock.send(encode(ping))
        reply = decode(await wait_for(sock.recv, what="the ping's ack"))
        assert (reply.kind, reply.ref) == ("ack", ping.id)
    finally:
        sock.close()
        ctx.term()


async def test_a_changed_tool_set_bumps_the_manifest_version_and_the_router_refreshes_on_drift(bus, mesh):
    mesh.start_router()
    config = mesh.agent_config("a", "xem-a", mesh.join_key())
    agent = mesh.start_agent(config, "a")
    await wait_for(lambda: bus.pool.fetchval("SELECT manifest_version = 1 AND last_lease_at > enrolled_at FROM xem.agents"),
                   what="a renewal (the agent has recorded its enrollment)")
    agent.stop()
    config.write_text(config.read_text() + (
        f'\n[[tools]]\nname = "whoami"\nworkspace = "ws"\ndescription = "print the user"\nrisk = "read"\n'
        f'argv = ["{sys.executable}", "-c", "import getpass; print(getpass.getuser())"]\n'))
    mesh.start_agent(config, "a")
    await wait_for(lambda: bus.pool.fetchval("SELECT manifest_version = 2 FROM xem.agents"), what="manifest version 2")
    manifest = json.loads(await bus.pool.fetchval("SELECT manifest FROM xem.agents"))
    assert "whoami" in {t["name"] for t in manifest["tools"]}
    kinds = [r["kind"] for r in await bus.pool.fetch("SELECT kind FROM xem.audit_events ORDER BY id")]
    assert "manifest_drift" in kinds and kinds.index("manifest_drift") < kinds.index("manifest_refreshed")
    assert await bus.pool.fetchval("SELECT count(*) FROM xem.manifests") == 2  # both versions kept
