"""The sub-plan iteration counter on a real PostgreSQL: concurrent takes never pass the cap."""

from __future__ import annotations

import uuid

import anyio

from servers.xem.template_files import load_library
from xem import services
from xem.store.subplans import SubplanStore


async def test_ten_concurrent_takes_of_a_three_iteration_subplan_get_exactly_three(bus):
    svc = services.XemServices(bus.pool, load_library())
    view = await services.request_subplan(svc, "ws", template=None, tools=["echo"], max_iterations=3)
    got: list[int | None] = []

    async def take() -> None:
        async with bus.pool.acquire() as conn:
            got.append(await SubplanStore(conn).take(uuid.UUID(view.id), "ws"))

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(take)
    assert sorted(n for n in got if n is not None) == [1, 2, 3] and got.count(None) == 7
    assert (await services.get_subplan(svc, uuid.UUID(view.id))).used == 3
    closed = await services.close_subplan(svc, uuid.UUID(view.id), note="done")
    assert closed.close_reason == "closed" and closed.closed_at is not None
    async with bus.pool.acquire() as conn:
        assert await SubplanStore(conn).take(uuid.UUID(view.id), "ws") is None
