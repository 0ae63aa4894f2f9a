"""The unit of work on a real PostgreSQL: one transaction per use case, the three modes, retries."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import pytest

from servers.kernel.errors import Conflict
from servers.kernel.uow import UnitOfWork, Work


@dataclass
class Services:
    pool: asyncpg.Pool
    calls: int = 0


class ProbeWork(Work[Services]):
    async def insert(self, value: str) -> None:
        await self.conn.execute("INSERT INTO probe VALUES ($1)", value)


uow = UnitOfWork(ProbeWork, conflict="the probe changed concurrently; call again")


@uow.transaction
async def insert_then_fail(work: ProbeWork, value: str) -> None:
    await work.insert(value)
    raise ValueError("after the write")


@uow.statement
async def insert_then_fail_unwrapped(work: ProbeWork, value: str) -> None:
    await work.insert(value)
    raise ValueError("after the write")


@uow.read
async def insert_in_a_read(work: ProbeWork, value: str) -> None:
    await work.insert(value)


@uow.transaction
async def serialization_failure(work: ProbeWork) -> None:
    work.services.calls += 1
    raise asyncpg.SerializationError("could not serialize access")


@pytest.fixture
async def services(pg):
    pool = await asyncpg.create_pool(await pg.create("uow"), min_size=1, max_size=2)
    await pool.execute("CREATE TABLE probe (value text)")
    try:
        yield Services(pool)
    finally:
        await pool.close()


async def test_a_transactional_use_case_that_raises_writes_nothing(services):
    with pytest.raises(ValueError):
        await insert_then_fail(services, "a")
    assert await services.pool.fetchval("SELECT count(*) FROM probe") == 0


async def test_a_single_statement_use_case_keeps_its_statement_when_it_raises_afterwards(services):
    with pytest.raises(ValueError):
        await insert_then_fail_unwrapped(services, "a")
    assert await services.pool.fetchval("SELECT count(*) FROM probe") == 1


async def test_a_read_only_use_case_cannot_write(services):
    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        await insert_in_a_read(services, "a")


async def test_a_serialization_failure_is_retried_three_times_then_reported_as_conflict(services):
    with pytest.raises(Conflict, match="the probe changed concurrently"):
        await serialization_failure(services)
    assert services.calls == 3


def test_the_decorated_use_case_keeps_its_name_and_docstring():
    assert insert_then_fail.__name__ == "insert_then_fail"
