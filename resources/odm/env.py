"""Alembic environment of the odm database: asyncpg through SQLAlchemy, one advisory-locked transaction."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import odm.domain.models  # noqa: F401 - registers the table models on SQLModel.metadata

# Autogenerate compares against these models; tests/odm/test_models.py keeps them equal to what
# the migrations build.
target_metadata = SQLModel.metadata

_LOCK_KEY = 0x5849_0002  # one migrator at a time per database


def _sqlalchemy_url(dsn: str) -> str:
    scheme, rest = dsn.split("://", 1)
    return f"postgresql+asyncpg://{rest}"


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, transaction_per_migration=False)
    with context.begin_transaction():
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        context.run_migrations()


async def _run_online(dsn: str) -> None:
    engine = create_async_engine(_sqlalchemy_url(dsn), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def _run_offline() -> None:
    context.configure(url="postgresql://", target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    dsn = context.config.attributes.get("dsn")
    if not dsn:
        raise RuntimeError("run ODM migrations through `xeroctl db upgrade` (no DSN was passed to env.py)")
    asyncio.run(_run_online(dsn))
