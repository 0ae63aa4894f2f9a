"""XEM router: no-op round trip vs a raw CURVE DEALER/ROUTER echo; router CPU with 200 agents renewing."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import asyncpg
import psutil
import zmq
import zmq.asyncio

from bench._common import Figure, bench_database, free_port, print_report, summarize
from servers.runtime.database import Target, prepare_database
from xem import services
from xem.domain.keys import new_keypair
from xem.domain.manifest import Manifest, ToolSpec, WorkspaceSpec, manifest_hash
from xem.domain.protocol import Enroll, LeaseRenewal, Ping, decode, encode
from xem.keyfiles import load_or_create_keypair, router_keys_dir

MANIFEST = Manifest(manifest_version=1, workspaces=(WorkspaceSpec(name="ws", root="/srv"),),
                    tools=(ToolSpec(name="noop", workspace="ws", description="no-op", risk="read", timeout_s=5,
                                    input_schema={"type": "object"}),))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench xem", description=__doc__)
    parser.add_argument("--calls", type=int, default=2000, help="round trips per measurement (default 2000)")
    parser.add_argument("--agents", type=int, default=200, help="simulated agents renewing (default 200)")
    parser.add_argument("--interval", type=float, default=10.0, help="renewal interval in seconds (default 10)")
    parser.add_argument("--window", type=float, default=60.0, help="seconds of router CPU measured (default 60)")
    parser.add_argument("--skip-renewals", action="store_true", help="only the round trip")
    parser.add_argument("--echo-server", metavar="ENDPOINT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.echo_server:
        asyncio.run(_echo_server(args.echo_server, Path(os.environ["BENCH_KEYS"])))
        return 0
    anyio.run(_bench, args)
    return 0


async def _echo_server(endpoint: str, keys: Path) -> None:
    """The baseline: a raw asyncio CURVE ROUTER that sends every message straight back (no ZAP, no JSON)."""
    public, secret = load_or_create_keypair(keys, "echo")
    ctx = zmq.asyncio.Context()
    sock = ctx.socket(zmq.ROUTER)
    sock.curve_server, sock.curve_publickey, sock.curve_secretkey = True, public, secret
    sock.bind(endpoint)
    while True:
        await sock.send_multipart(await sock.recv_multipart())


def _dealer(ctx: zmq.asyncio.Context, server_key: bytes, endpoint: str, keys: tuple[bytes, bytes]) -> zmq.asyncio.Socket:
    sock = ctx.socket(zmq.DEALER)
    sock.curve_serverkey = server_key
    sock.curve_publickey, sock.curve_secretkey = keys
    sock.linger = 0
    sock.connect(endpoint)
    return sock


@asynccontextmanager
async def _process(argv: list[str], env: dict[str, str]) -> AsyncIterator[subprocess.Popen]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("XIOPRO_")} | env
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(argv, env=full, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()


async def _round_trips(sock: zmq.asyncio.Socket, calls: int, make: object) -> list[float]:
    samples = []
    for i in range(calls + 20):
        payload = make()  # type: ignore[operator]
        started = time.perf_counter()
        await sock.send(payload)
        await sock.recv()
        if i >= 20:  # warm-up excluded
            samples.append(time.perf_counter() - started)
    return samples


async def _enroll(pool: asyncpg.Pool, home: Path, ctx: zmq.asyncio.Context, router_key: bytes, endpoint: str,
                  name: str) -> zmq.asyncio.Socket:
    public, secret = new_keypair()
    token, _ = await services.mint_join_key(services.XemServices(pool), home, "xem", 600, max_ttl_s=3600)
    sock = _dealer(ctx, router_key, endpoint, (public, secret))
    await sock.send(encode(Enroll(sender=name, join_key=token, public_key=public.decode(), manifest=MANIFEST)))
    reply = decode(await sock.recv())
    if reply.kind != "enroll_ok":
        raise RuntimeError(f"enrollment of {name} failed: {reply}")
    return sock


async def _bench(args: argparse.Namespace) -> None:
    with bench_database() as db:
        dsn = await db.create("xem")
        home = db.home / "home"
        try:
            await prepare_database(Target("bus", dsn, embedded=db.embedded))
            pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
            router_port, echo_port = free_port(), free_port()
            router_ep, echo_ep = f"tcp://127.0.0.1:{router_port}", f"tcp://127.0.0.1:{echo_port}"
            env = {"XIOPRO_HOME": str(home), "XIOPRO_BUS_DSN": dsn, "XIOPRO_LOG_LEVEL": "WARNING",
                   "XIOPRO_XEM_LEASE_RENEWAL_INTERVAL_MS": str(int(args.interval * 1000)), "BENCH_KEYS": str(db.home / "echo")}
            router_key = load_or_create_keypair(router_keys_dir(home), "router")[0]
            echo_key = load_or_create_keypair(db.home / "echo", "echo")[0]
            ctx = zmq.asyncio.Context()
            async with _process([sys.executable, "-m", "servers.cli.xem_router", "--bind", router_ep], env) as router, \
                    _process([sys.executable, "-m", "bench", "xem", "--echo-server", echo_ep], env):
                agent = await _enroll(pool, home, ctx, router_key, router_ep, "bench-rt")
                echo = _dealer(ctx, echo_key, echo_ep, new_keypair())
                ping = lambda: encode(Ping(sender="bench-rt"))  # noqa: E731 - a fresh frame (new id) per call
                routed: list[float] = []
                raw: list[float] = []
                for _ in range(10):  # interleaved blocks: machine noise falls on both alike
                    routed += await _round_trips(agent, args.calls // 10, ping)
                    raw += await _round_trips(echo, args.calls // 10, ping)
                figures = summarize("router ping->ack (ZAP key, JSON frame, key ring)", routed, raw)
                figures += summarize("raw CURVE DEALER/ROUTER echo", raw)
                print_report(f"xem round trip: {args.calls} sequential no-op frames over CURVE on loopback TCP", figures,
                             ["ratio = router p-value / raw echo p-value, same run (goal <= 3x)"])
                agent.close()
                echo.close()
                if not args.skip_renewals:
                    await _renewals(args, pool, home, ctx, router_key, router_ep, router.pid)
            ctx.term()
            await pool.close()
        finally:
            await db.drop(dsn)


async def _renewals(args: argparse.Namespace, pool: asyncpg.Pool, home: Path, ctx: zmq.asyncio.Context,
                    router_key: bytes, endpoint: str, router_pid: int) -> None:
    socks = [await _enroll(pool, home, ctx, router_key, endpoint, f"bench-{i:03d}") for i in range(args.agents)]
    digest = manifest_hash(MANIFEST)
    acked = [0]

    async def agent(i: int, sock: zmq.asyncio.Socket, stop_at: float) -> None:
        await anyio.sleep(args.interval * i / len(socks))  # spread the renewals evenly, as real agents drift
        while time.monotonic() < stop_at:
            await sock.send(encode(LeaseRenewal(sender=f"bench-{i:03d}", manifest_hash=digest, manifest_version=1)))
            reply = decode(await sock.recv())
            acked[0] += reply.kind == "lease_ok"
            await anyio.sleep(args.interval)

    router = psutil.Process(router_pid)
    async with anyio.create_task_group() as tg:
        stop_at = time.monotonic() + args.interval + args.window
        for i, sock in enumerate(socks):
            tg.start_soon(agent, i, sock, stop_at)
        await anyio.sleep(args.interval)  # every agent renewing before the window opens
        cpu0, wall0, acked0 = sum(router.cpu_times()[:2]), time.monotonic(), acked[0]
        await anyio.sleep(args.window)
        cpu1, wall1, acked1 = sum(router.cpu_times()[:2]), time.monotonic(), acked[0]
    for sock in socks:
        sock.close()
    share = (cpu1 - cpu0) / (wall1 - wall0) * 100
    rate = (acked1 - acked0) / (wall1 - wall0)
    print_report(
        f"xem renewals: {args.agents} agents every {args.interval:g}s, router CPU over {wall1 - wall0:.0f}s",
        [Figure("router CPU (user+sys) share of one core", share, "%", goal="< 10%"),
         Figure("renewals acknowledged per second", rate, "/s", goal=f"~{args.agents / args.interval:g}/s")],
        ["each renewal: key check, one transaction (lease, drift check, in-flight reconcile, Bus registry heartbeat)",
         "plus housekeeping (offline sweep, key-ring reload, due dispatches) every few seconds"],
    )
