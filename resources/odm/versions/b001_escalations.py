"""Escalation Requests (§4.11, lifecycle §5.5.5) and Human Decisions (§4.12): a decision is immutable
(``odm_append_only``), one deciding decision per escalation (a partial unique index: postponements may come
first), at most one open escalation per task; tasks carry the constraints human decisions attached to them.

Revision ID: b001
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from resources.odm.sql_script import META, execute_script

revision = "b001"
down_revision = "0003"
branch_labels = None
depends_on = None


OPEN = "state IN ('queued', 'waiting', 'active')"

UPGRADE = f"""
CREATE SEQUENCE escalation_id_seq; CREATE SEQUENCE decision_id_seq;

ALTER TABLE tasks ADD COLUMN constraints text[] NOT NULL DEFAULT '{{}}';

CREATE TABLE escalation_requests (
    id text PRIMARY KEY DEFAULT 'esc-' || nextval('escalation_id_seq'),
    agent_runtime_id text, session_id text,
    ticket_id text REFERENCES tickets (id), task_id text REFERENCES tasks (id), activity_id text,
    trigger_type text NOT NULL CHECK (trigger_type IN ('requires_human', 'requires_approval', 'ambiguity', 'failure',
        'manual', 'budget')),
    urgency text NOT NULL DEFAULT 'normal' CHECK (urgency IN ('low', 'normal', 'high', 'critical')),
    summary text NOT NULL CHECK (length(summary) > 0),
    questions text[] NOT NULL DEFAULT '{{}}', options text[] NOT NULL DEFAULT '{{}}',
    recommended_option text CHECK (recommended_option IS NULL OR recommended_option = ANY (options)),
    context_bundle_ref text,
    allowed_decisions text[] NOT NULL DEFAULT '{{}}' CHECK (allowed_decisions <@ ARRAY['answer', 'approve', 'reject',
        'redirect', 'constrain', 'postpone']),
    task_resume_from text, due_at timestamptz,
    status text NOT NULL, state text NOT NULL,
    status_state text GENERATED ALWAYS AS (status || '.' || state) STORED,
    resolved_at timestamptz,{META}
);
CREATE INDEX escalation_requests_status_state ON escalation_requests (status_state, created_at);
CREATE INDEX escalation_requests_task ON escalation_requests (task_id);
CREATE INDEX escalation_requests_created ON escalation_requests (created_at);
CREATE UNIQUE INDEX escalation_requests_one_open_per_task ON escalation_requests (task_id) WHERE {OPEN};
CREATE INDEX escalation_requests_due ON escalation_requests (due_at) WHERE due_at IS NOT NULL AND {OPEN};

CREATE TABLE human_decisions (
    id text PRIMARY KEY DEFAULT 'dec-' || nextval('decision_id_seq'),
    escalation_request_id text NOT NULL REFERENCES escalation_requests (id),
    decision_type text NOT NULL CHECK (decision_type IN ('answer', 'approve', 'reject', 'redirect', 'constrain',
        'postpone')),
    selected_option text, message text, constraints text[] NOT NULL DEFAULT '{{}}',
    applies_to_runtime_id text, applies_to_task_id text, task_resumed_to text, postponed_until timestamptz,
    {META.replace("created_by text,", "created_by text NOT NULL CHECK (length(created_by) > 0),", 1).lstrip()},
    CHECK ((decision_type = 'postpone') = (postponed_until IS NOT NULL))
);
CREATE INDEX human_decisions_escalation ON human_decisions (escalation_request_id, created_at);
CREATE INDEX human_decisions_created ON human_decisions (created_at);
CREATE INDEX human_decisions_task ON human_decisions (applies_to_task_id);
CREATE UNIQUE INDEX human_decisions_one_final ON human_decisions (escalation_request_id) WHERE decision_type <> 'postpone';
CREATE TRIGGER human_decisions_append_only BEFORE UPDATE OR DELETE ON human_decisions
    FOR EACH ROW EXECUTE FUNCTION odm_append_only();
CREATE TRIGGER human_decisions_no_truncate BEFORE TRUNCATE ON human_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION odm_append_only();
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    for statement in ("DROP TABLE human_decisions", "DROP TABLE escalation_requests",
                      "ALTER TABLE tasks DROP COLUMN constraints", "DROP SEQUENCE decision_id_seq",
                      "DROP SEQUENCE escalation_id_seq"):
        op.execute(statement)
