"""Running a migration's SQL script: one ``op.execute`` per statement (asyncpg prepares each one alone), split at
top-level semicolons, never inside a ``$$`` function body. Shared by the revisions in ``versions/``."""

from __future__ import annotations

from alembic import op

__all__ = ["META", "execute_script", "statements"]

# The shared metadata contract every ODM record carries (blueprint §12.2); a revision that adds a record table
# appends them with f"... {META})". Unchanged since 0002: a change here would rewrite every revision's table.
META = """
    created_by text, created_at timestamptz NOT NULL DEFAULT now(),
    updated_by text, updated_at timestamptz NOT NULL DEFAULT now(),
    notes text, tags text[] NOT NULL DEFAULT '{}', labels text[] NOT NULL DEFAULT '{}',
    source_system text, source_ref text, correlation_id text, idempotency_key text"""


def statements(script: str) -> list[str]:
    """``script`` split at top-level semicolons (not inside ``$$`` bodies)."""
    parts, current = [], ""
    for index, chunk in enumerate(script.split("$$")):
        if index % 2:  # inside a $$ ... $$ body
            current += f"$${chunk}$$"
            continue
        first, *rest = chunk.split(";")
        current += first
        for piece in rest:
            parts.append(current)
            current = piece
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def execute_script(script: str) -> None:
    for statement in statements(script):
        op.execute(statement)
