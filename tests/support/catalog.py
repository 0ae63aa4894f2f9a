"""A PostgreSQL-version-independent description of a database's schema, to compare two databases."""

from __future__ import annotations

import asyncpg

__all__ = ["schema_fingerprint"]

# Migration bookkeeping is not part of the schema a snapshot describes.
_IGNORED_TABLES = ("schema_migrations", "alembic_version")

_QUERIES = {
    "schemas": """
        SELECT nspname FROM pg_namespace
        WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', 'public')
        ORDER BY 1""",
    "columns": """
        SELECT c.table_schema, c.table_name, c.column_name, c.data_type, c.udt_name, c.is_nullable,
               coalesce(c.column_default, ''), c.is_identity, c.is_generated, coalesce(c.generation_expression, '')
        FROM information_schema.columns c
        JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema') AND t.table_type = 'BASE TABLE'
          AND NOT c.table_name = ANY($1::text[])
        ORDER BY 1, 2, 3""",
    "constraints": """
        SELECT n.nspname, cl.relname, con.conname, pg_get_constraintdef(con.oid)
        FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT cl.relname = ANY($1::text[]) AND con.conparentid = 0
        ORDER BY 1, 2, 3""",
    "indexes": """
        SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND NOT tablename = ANY($1::text[])
        ORDER BY 1, 2, 3""",
    "views": """
        SELECT schemaname, viewname, definition FROM pg_views
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2""",
    "functions": """
        SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
        ORDER BY 1, 2, 3""",
    "triggers": """
        SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal AND NOT c.relispartition ORDER BY 1, 2, 3""",
    "types": """
        SELECT n.nspname, t.typname, t.typtype,
               coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e
                         WHERE e.enumtypid = t.oid), '')
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
          AND t.typtype IN ('e', 'd', 'c') AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid)
        ORDER BY 1, 2""",
    "partitions": """
        SELECT n.nspname, c.relname, pg_get_partkeydef(c.oid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'p' ORDER BY 1, 2""",
    "extensions": "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1",
}


async def schema_fingerprint(dsn: str) -> dict[str, list[tuple]]:
    """Schemas, columns, constraints, indexes, views, functions, triggers, types and extensions."""
    conn = await asyncpg.connect(dsn)
    try:
        result = {}
        # partitions of a partitioned table are made by month at run time; the partitioned table describes them
        partitions = [r["relname"] for r in await conn.fetch("SELECT relname FROM pg_class WHERE relispartition")]
        for name, sql in _QUERIES.items():
            args = ([*_IGNORED_TABLES, *partitions],) if "$1" in sql else ()
            result[name] = [tuple(row) for row in await conn.fetch(sql, *args)]
        return result
    finally:
        await conn.close()
