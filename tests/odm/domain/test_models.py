"""The SQLModel table models (Alembic's target_metadata) describe exactly what the migrations build."""

from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from odm.domain.lifecycles import LIFECYCLES
from odm.domain.models import CLAIMABLE_PREDICATE
from servers.runtime.database import Target, prepare_database


def _same_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    if isinstance(metadata_type, Text) and type(inspected_type).__name__ in ("TEXT", "VARCHAR"):
        return False
    return None  # let alembic decide


def _domain_only(obj, name, type_, reflected, compare_to):
    """The ODM's table models; audit_log belongs to the server layer (servers.runtime.keys.AuditLog), and the
    monthly partitions of activities are made at run time (odm_activity_partition)."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    name = getattr(table, "name", name)
    return name != "audit_log" and not re.fullmatch(r"activities_\d{4}_\d{2}", name or "")


async def test_table_models_match_the_migrated_schema(pg):
    target = Target("odm", await pg.create("odmmodels"), embedded=pg.embedded)
    await prepare_database(target)
    engine = create_async_engine(target.dsn.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": _same_type, "include_object": _domain_only}),
                    SQLModel.metadata
                )
            )
    finally:
        await engine.dispose()
    assert diff == []


def test_claim_index_predicate_lists_exactly_the_pairs_a_claim_starts_from():
    task = LIFECYCLES["task"]
    claimable = {p for p in task.pairs if "claim" in getattr(task.edges[p].get("execute.active"), "via", ())}
    listed = set(re.findall(r"'([a-z]+\.[a-z]+)'", CLAIMABLE_PREDICATE))
    assert listed == claimable
