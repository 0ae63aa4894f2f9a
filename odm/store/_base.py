"""Helpers every store uses: a connection holder and INSERT/UPDATE built from allow-listed column names."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql
from sqlmodel import SQLModel

__all__ = ["Store", "column_types", "writable_columns"]


@cache
def column_types(model: type[SQLModel]) -> dict[str, str]:
    """PostgreSQL type of every column of a table model (``{"plan_cost": "NUMERIC", ...}``)."""
    table = model.__table__  # type: ignore[attr-defined]
    return {c.name: c.type.compile(dialect=postgresql.dialect()) for c in table.columns}


@cache
def writable_columns(model: type[SQLModel]) -> frozenset[str]:
    """Columns of a table model that may be written (not generated, not identity)."""
    table = model.__table__  # type: ignore[attr-defined]
    return frozenset(c.name for c in table.columns if c.computed is None and c.identity is None)


class Store:
    """Queries of one aggregate on one connection (inside the caller's transaction)."""

    table: str
    model: type[SQLModel]

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    def _checked(self, values: Mapping[str, Any]) -> list[str]:
        columns = list(values)
        unknown = set(columns) - writable_columns(self.model)
        if unknown:
            raise ValueError(f"{self.table}: not writable: {sorted(unknown)}")
        return columns

    def _typed(self, columns: list[str], first: int) -> str:
        """``$first::TYPE, ...`` for ``columns``: parameters typed where the statement cannot infer
        them (an INSERT ... SELECT)."""
        types = column_types(self.model)
        return ", ".join(f"${i}::{types[c]}" for i, c in enumerate(columns, start=first))

    async def insert(self, **values: Any) -> asyncpg.Record:
        columns = self._checked(values)
        placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
        sql = f"INSERT INTO {self.table} ({', '.join(columns)}) VALUES ({placeholders}) RETURNING *"
        return await self.conn.fetchrow(sql, *values.values())

    async def update(self, key: str, **values: Any) -> asyncpg.Record | None:
        """Set ``values`` (and ``updated_at``) on the row with id ``key``; returns the new row."""
        columns = self._checked(values)
        sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))
        sql = f"UPDATE {self.table} SET {sets}{', ' if sets else ''}updated_at = now() WHERE id = $1 RETURNING *"
        return await self.conn.fetchrow(sql, key, *values.values())

    async def get(self, key: str, *, lock: bool = False) -> asyncpg.Record | None:
        """The row with id ``key`` (locked FOR UPDATE if asked), or None."""
        return await self.conn.fetchrow(f"SELECT * FROM {self.table} WHERE id = $1{' FOR UPDATE' if lock else ''}", key)
