"""The agent's link recreates its socket with back-off after the router refuses a handshake
(libzmq does not retry an authentication failure by itself)."""

from __future__ import annotations

import anyio
import zmq
import zmq.asyncio

from tests.support.wait import wait_for
from xem.agent._link import Link
from xem.domain.keys import new_keypair
from xem.router._zap import ZAP_ENDPOINT


async def test_after_refused_handshakes_the_link_reconnects_and_its_frames_get_through(tmp_path):
    server_public, server_secret = new_keypair()
    public, secret = new_keypair()
    ctx = zmq.asyncio.Context()
    zap = ctx.socket(zmq.REP)
    zap.bind(ZAP_ENDPOINT)
    router = ctx.socket(zmq.ROUTER)
    router.curve_server, router.curve_publickey, router.curve_secretkey = True, server_public, server_secret
    router.zap_domain = b"test"
    endpoint = f"ipc://{tmp_path}/r.ipc"
    router.bind(endpoint)
    refusals = 2
    link = Link(endpoint, server_public, public, secret, backoff_min_s=0.02, backoff_max_s=0.1, max_bytes=65536)
    received: list[bytes] = []

    async def zap_handler() -> None:
        nonlocal refusals
        while True:
            version, request_id, *_ = await zap.recv_multipart()
            status = b"400" if refusals > 0 else b"200"
            refusals -= 1
            await zap.send_multipart([version, request_id, status, b"", b"user", b""])

    async def on_connect() -> None:
        await link.send(b"hello")

    async def on_frame(data: bytes) -> None:
        received.append(data)

    try:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                tg.start_soon(zap_handler)
                tg.start_soon(link.run, on_frame, on_connect)
                rid, payload = await router.recv_multipart()
                assert payload == b"hello" and refusals < 0  # two refusals, then an accepted third handshake
                await router.send_multipart([rid, b"welcome"])
                await wait_for(lambda: received, what="the router's reply to reach the link")
                tg.cancel_scope.cancel()
        assert received == [b"welcome"]
    finally:
        router.close(0)
        zap.close(0)
        link.close()
        ctx.term()


async def test_a_wrong_router_key_is_reported_with_a_hint(tmp_path, caplog):
    server_public, server_secret = new_keypair()
    public, secret = new_keypair()
    ctx = zmq.asyncio.Context()
    router = ctx.socket(zmq.ROUTER)
    router.curve_server, router.curve_publickey, router.curve_secretkey = True, server_public, server_secret
    endpoint = f"ipc://{tmp_path}/r.ipc"
    router.bind(endpoint)
    wrong = new_keypair()[0]
    link = Link(endpoint, wrong, public, secret, backoff_min_s=0.02, backoff_max_s=0.1, max_bytes=65536)

    async def nothing(*_: object) -> None:
        return None

    try:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                tg.start_soon(link.run, nothing, nothing)
                await wait_for(lambda: "check router_public_key" in caplog.text, what="the wrong-key hint in the log")
                tg.cancel_scope.cancel()
        assert "xeroctl agents router-key" in caplog.text
    finally:
        router.close(0)
        link.close()
        ctx.term()
