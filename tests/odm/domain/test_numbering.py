"""Identifier shapes: 4-digit tickets, tasks, sub-tickets, historical 3-digit tickets, prefixed ids."""

from __future__ import annotations

import asyncpg
import pytest

from odm.domain.numbering import (
    FIRST_TICKET,
    is_historical_ticket_id,
    kind_of_id,
    subticket_id,
    task_id,
    task_id_sql,
    ticket_id,
)


def test_new_tickets_start_at_1001_and_tasks_use_two_digit_dot_notation():
    assert ticket_id(FIRST_TICKET) == "1001"
    assert task_id("1001", 1) == "1001.01"
    assert task_id("1001", 100) == "1001.100"
    assert subticket_id("1001", 1) == "1001.1"
    assert task_id(subticket_id("1001", 2), 3) == "1001.2.03"
    with pytest.raises(ValueError):
        ticket_id(1000)


async def test_the_sql_task_id_expression_spells_ids_exactly_like_task_id(pg_server):
    cases = [("1001", n) for n in (1, 9, 10, 99, 100, 1000, 12345)] + [("1001.2", 3), ("069", 7)]
    conn = await asyncpg.connect(pg_server.admin_dsn)
    try:
        spelled = await conn.fetch(f"SELECT {task_id_sql('t', 's')} AS id FROM unnest($1::text[], $2::int[]) AS x(t, s)",
                                   [t for t, _ in cases], [n for _, n in cases])
    finally:
        await conn.close()
    assert [r["id"] for r in spelled] == [task_id(t, n) for t, n in cases]


@pytest.mark.parametrize(
    "value, kind",
    [
        ("1001", "ticket"), ("069", "ticket"), ("1001.1", "ticket"), ("1001.12.3", "ticket"),
        ("1001.01", "task"), ("069.02", "task"), ("1001.1.01", "task"), ("1001.10", None), ("1001.100", None),
        ("proj-3", "project"), ("spr-1", "sprint"), ("thr-9", "discussion_thread"), ("idea-2", "idea"),
        ("0999", None), ("12", None), ("proj-0", None), ("proj-x", None), ("zzz-1", None), ("", None), ("1001.", None),
    ],
)
def test_kind_of_id_tells_the_kind_by_shape(value, kind):
    assert kind_of_id(value) == kind


def test_only_three_digit_ids_are_historical():
    assert is_historical_ticket_id("069")
    assert not is_historical_ticket_id("1001")
    assert not is_historical_ticket_id("69")
