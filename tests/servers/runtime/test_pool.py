"""The servers' connection pool: a returned connection is clean although no reset statement is sent."""

from __future__ import annotations

from servers.runtime.database import Target, open_pool, prepare_database


async def test_a_connection_returned_inside_a_transaction_comes_back_rolled_back_without_its_locks(pg):
    target = Target("bus", pg.dsn(pg.new_name("bus")), embedded=pg.embedded)
    await prepare_database(target)
    pool = await open_pool(target, max_size=1)
    try:
        conn = await pool.acquire()
        pid = await conn.fetchval("SELECT pg_backend_pid()")
        await conn.execute("BEGIN")
        await conn.execute("CREATE TABLE left_open (x int)")
        await conn.execute("SELECT pg_advisory_xact_lock(4242)")
        await pool.release(conn)

        async with pool.acquire() as again:
            assert await again.fetchval("SELECT pg_backend_pid()") == pid  # the same session, reused
            assert not again.is_in_transaction()
            assert await again.fetchval("SELECT to_regclass('left_open')") is None
            assert await again.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()") == 0
    finally:
        await pool.close()
