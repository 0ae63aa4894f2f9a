"""The xem-mcp hub on a real LISTEN connection: a waiter that arms after a notice came still learns of it."""

from __future__ import annotations

import uuid

import anyio

from servers.kernel import channels
from tests.support.wait import wait_for
from xem.watch import _HEARD, Hub


async def test_the_hub_remembers_the_last_state_announced_for_the_latest_invocations(bus):
    hub = Hub()
    async with anyio.create_task_group() as tg:
        tg.start_soon(hub.run, bus.pool)
        with anyio.fail_after(30):
            await hub.listening.wait()
        assert hub.generation == 1
        first = str(uuid.uuid4())
        for state in ("dispatched", "running", "succeeded"):
            await bus.pool.execute("SELECT pg_notify($1, $2)", channels.XEM_INVOCATIONS, f"{first}:{state}")
        await bus.pool.execute("SELECT pg_notify($1, $2)", channels.XEM_PROGRESS, first)  # progress is not a state
        await wait_for(lambda: hub.heard(first) == "succeeded", what="the last state of the first invocation heard")
        assert hub.heard(str(uuid.uuid4())) is None
        last = str(uuid.uuid4())
        await bus.pool.execute(
            "SELECT pg_notify($1, gen_random_uuid()::text || ':succeeded') FROM generate_series(1, $2)",
            channels.XEM_INVOCATIONS, _HEARD)
        await bus.pool.execute("SELECT pg_notify($1, $2)", channels.XEM_INVOCATIONS, f"{last}:failed")
        await wait_for(lambda: hub.heard(last) == "failed", what="the notice after the burst heard")
        assert hub.heard(first) is None  # the oldest is forgotten: the memory stays bounded
        tg.cancel_scope.cancel()
