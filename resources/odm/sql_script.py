"""Running a migration's SQL script: one ``op.execute`` per statement (asyncpg prepares each one alone), split at
top-level semicolons, never inside a ``$$`` function body. Shared by the revisions in ``versions/``."""

from __future__ import annotations

from alembic import op

__all__ = ["execute_script", "statements"]


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
