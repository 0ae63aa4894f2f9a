"""The audit log of the odm database: who did what, when (management calls, authentication failures),
never the key. Append-only, like the other durable records (``odm_append_only`` of revision 0002).

Revision ID: a001
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "a001"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE audit_log (
            id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at      timestamptz NOT NULL DEFAULT now(),
            server  text NOT NULL,
            actor   text NOT NULL,
            action  text NOT NULL,
            target  text,
            outcome text NOT NULL,
            detail  jsonb NOT NULL DEFAULT '{}'
        )""")
    op.execute("CREATE INDEX audit_log_at ON audit_log (at)")
    op.execute("""CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
                  FOR EACH ROW EXECUTE FUNCTION odm_append_only()""")


def downgrade() -> None:
    op.execute("DROP TABLE audit_log")
