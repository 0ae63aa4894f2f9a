"""The ``health`` tool every server offers: version, database, migration revision and server time."""

from __future__ import annotations

from datetime import datetime

from mcp.server.mcpserver import Context
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field

from servers.app.registry import ToolDef
from servers.kernel.errors import Unavailable
from servers.kernel.version import VERSION

__all__ = ["HEALTH", "Health", "read_health"]


class Health(BaseModel):
    server: str = Field(description="MCP server name")
    version: str = Field(description="xiopro-mcp version")
    database: str = Field(description="PostgreSQL database this server uses")
    schema_name: str = Field(description="schema holding this server's tables")
    migration_revision: str | None = Field(description="migration the database is at")
    latest_revision: str = Field(description="newest migration this code ships")
    embedded: bool = Field(description="true when the database is the embedded cluster")
    server_time: datetime = Field(description="the database server's clock (UTC)")


async def read_health(runtime) -> Health:
    """Ask the database for its clock, name and migration state.

    Raises:
        Unavailable: if the server's schema has gone missing.
    """
    from servers.runtime.migrations import migrator_for

    async with runtime.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT now() AS now, current_database() AS db, to_regnamespace($1) IS NOT NULL AS has_schema",
            runtime.spec.schema,
        )
        status = await migrator_for(runtime.spec.database).status(conn)
    if not row["has_schema"]:
        raise Unavailable(f"schema {runtime.spec.schema} is missing; run `xeroctl db upgrade`")
    return Health(
        server=runtime.spec.name,
        version=VERSION,
        database=row["db"],
        schema_name=runtime.spec.schema,
        migration_revision=status.current,
        latest_revision=status.latest,
        embedded=runtime.target.embedded,
        server_time=row["now"],
    )


async def health(ctx: Context) -> Health:
    """This server's version, database, migration revision and clock: is it up? Errors: [unavailable]."""
    return await read_health(ctx.request_context.lifespan_context)


HEALTH = ToolDef(
    "health", health, "default", "Server health",
    ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                    open_world_hint=False),
)
