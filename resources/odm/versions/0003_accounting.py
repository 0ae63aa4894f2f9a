"""Accounting: activities (append-only, monthly RANGE partitions on ``created_at``), their evaluations, the
cost and time ledgers, maintained actual cost/duration totals on task -> ticket -> sprint -> project, budgets
(soft/hard limits, warning threshold) with a generated ``budget_status``, and budget holds.

``odm_activity_partition(ts)`` creates the month partition holding ``ts`` if it is missing (advisory-locked,
so concurrent callers do not race); the migration creates this month's and next month's, odm-mcp checks them
at start and periodically. Activities allow exactly one controlled update: the completion of an open one
(``ended_at`` was NULL), which may set only ``ended_at``, ``duration_ms``, ``result_status``, ``output_ref``,
``artifact_refs``, ``error_code``, ``error_message``, ``retryable`` and ``updated_at``.

Ledgers and evaluations name their activity by (activity_id, activity_created_at) without a foreign key: a
key into the partitioned table costs a lookup per ledger row (two thirds of a batch's time, measured) and
would pin every partition (none could be detached for archival, §4.6.4); ledger rows are written by the
activity's own statement or transaction, evaluations after the service found the activity, and activities
are never deleted (append-only).

Revision ID: 0003
Revises: a001
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from resources.odm.sql_script import execute_script

revision = "0003"
down_revision = "a001"
branch_labels = None
depends_on = None

# budget_status (§7.4) of a ticket, sprint or project: over the hard limit = blocked (work on it pauses for a
# decision), over the soft limit or the plan = exceeded, at the warning threshold (default 80 %) of the soft
# limit (else plan, else hard limit) = warning.
SCOPE_STATUS = """CASE
    WHEN budget_hard_limit IS NOT NULL AND actual_cost > budget_hard_limit THEN 'blocked'
    WHEN (budget_soft_limit IS NOT NULL AND actual_cost > budget_soft_limit)
      OR (plan_cost IS NOT NULL AND actual_cost > plan_cost) THEN 'exceeded'
    WHEN actual_cost > 0 AND coalesce(budget_soft_limit, plan_cost, budget_hard_limit) IS NOT NULL
     AND actual_cost >= coalesce(budget_soft_limit, plan_cost, budget_hard_limit) * coalesce(budget_warning_pct, 80) / 100
        THEN 'warning'
    ELSE 'within_budget' END"""

# a task: over its cost_cap or plan = exceeded (crossing the cap pauses it), at 80 % of plan (else cap) = warning
TASK_STATUS = """CASE
    WHEN (cost_cap IS NOT NULL AND actual_cost > cost_cap) OR (plan_cost IS NOT NULL AND actual_cost > plan_cost)
        THEN 'exceeded'
    WHEN actual_cost > 0 AND coalesce(plan_cost, cost_cap) IS NOT NULL
     AND actual_cost >= coalesce(plan_cost, cost_cap) * 80 / 100 THEN 'warning'
    ELSE 'within_budget' END"""

# the columns the completion of an open activity may set (the only update activities allow)
COMPLETION = ("'{ended_at,duration_ms,result_status,output_ref,artifact_refs,error_code,error_message,retryable,"
              "updated_at}'::text[]")

BUDGET = """
    ADD COLUMN budget_soft_limit numeric CHECK (budget_soft_limit >= 0),
    ADD COLUMN budget_hard_limit numeric CHECK (budget_hard_limit >= 0),
    ADD COLUMN budget_warning_pct numeric CHECK (budget_warning_pct > 0 AND budget_warning_pct <= 100)"""

UPGRADE = f"""
CREATE SEQUENCE activity_id_seq; CREATE SEQUENCE evaluation_id_seq; CREATE SEQUENCE budget_hold_id_seq;

ALTER TABLE projects ADD COLUMN plan_cost numeric CHECK (plan_cost >= 0),
    ADD COLUMN actual_cost numeric NOT NULL DEFAULT 0, ADD COLUMN actual_duration_minutes numeric NOT NULL DEFAULT 0,
    ADD COLUMN cost_unknown_count integer NOT NULL DEFAULT 0,{BUDGET};
ALTER TABLE projects ADD COLUMN budget_status text GENERATED ALWAYS AS ({SCOPE_STATUS}) STORED;
ALTER TABLE sprints ADD COLUMN plan_cost numeric CHECK (plan_cost >= 0),
    ADD COLUMN actual_cost numeric NOT NULL DEFAULT 0, ADD COLUMN actual_duration_minutes numeric NOT NULL DEFAULT 0,
    ADD COLUMN cost_unknown_count integer NOT NULL DEFAULT 0,{BUDGET};
ALTER TABLE sprints ADD COLUMN budget_status text GENERATED ALWAYS AS ({SCOPE_STATUS}) STORED;
ALTER TABLE tickets ADD COLUMN cost_unknown_count integer NOT NULL DEFAULT 0,{BUDGET};
ALTER TABLE tickets ADD COLUMN budget_status text GENERATED ALWAYS AS ({SCOPE_STATUS}) STORED;
ALTER TABLE tasks ADD COLUMN cost_unknown_count integer NOT NULL DEFAULT 0,
    ADD COLUMN activity_count integer NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN budget_status text GENERATED ALWAYS AS ({TASK_STATUS}) STORED;
CREATE INDEX projects_budget ON projects (id) WHERE budget_status <> 'within_budget';
CREATE INDEX sprints_budget ON sprints (id) WHERE budget_status <> 'within_budget';
CREATE INDEX tickets_budget ON tickets (id) WHERE budget_status <> 'within_budget';
CREATE INDEX tasks_budget ON tasks (id) WHERE budget_status <> 'within_budget';

CREATE TABLE activities (
    id text NOT NULL, task_id text NOT NULL REFERENCES tasks (id),
    agent_runtime_id text NOT NULL, session_id text, execution_surface_id text,
    activity_type text NOT NULL CHECK (activity_type IN ('prompt', 'tool_call', 'file_change', 'code_exec', 'search',
        'retrieval', 'evaluation', 'escalation', 'approval', 'recovery', 'dream')),
    sequence integer NOT NULL,
    started_at timestamptz NOT NULL, ended_at timestamptz, duration_ms bigint CHECK (duration_ms >= 0),
    input_ref text, output_ref text, artifact_refs text[] NOT NULL DEFAULT '{{}}',
    provider text, model text, auth_mode text CHECK (auth_mode IN ('subscription', 'api_key', 'hybrid')),
    prompt_tokens bigint CHECK (prompt_tokens >= 0), completion_tokens bigint CHECK (completion_tokens >= 0),
    cached_tokens bigint CHECK (cached_tokens >= 0), total_tokens bigint CHECK (total_tokens >= 0),
    estimated_cost numeric CHECK (estimated_cost >= 0), actual_cost numeric CHECK (actual_cost >= 0),
    result_status text NOT NULL CHECK (result_status IN ('success', 'partial', 'failed', 'cancelled', 'blocked')),
    error_code text, error_message text, retryable boolean NOT NULL DEFAULT false,
    evaluation_ref text, metadata_ref text,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, created_at),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX activities_agent ON activities (agent_runtime_id, created_at);
CREATE INDEX activities_task ON activities (task_id, created_at);
CREATE INDEX activities_type ON activities (activity_type, created_at);

CREATE FUNCTION odm_activity_partition(at timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    first date := date_trunc('month', at AT TIME ZONE 'UTC')::date;
    name text := format('activities_%s', to_char(first, 'YYYY_MM'));
BEGIN
    IF to_regclass(name) IS NULL THEN
        PERFORM pg_advisory_xact_lock(1480134915);
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF activities FOR VALUES FROM (%L) TO (%L)', name,
                           (first::timestamp AT TIME ZONE 'UTC'), ((first + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
        END IF;
    END IF;
    RETURN name;
END $$;
SELECT odm_activity_partition(now());
SELECT odm_activity_partition(now() + interval '1 month');

CREATE FUNCTION odm_activity_completion_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'activities is append-only' USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF OLD.ended_at IS NOT NULL OR NEW.ended_at IS NULL
       OR to_jsonb(NEW) - {COMPLETION}
          IS DISTINCT FROM to_jsonb(OLD) - {COMPLETION} THEN
        RAISE EXCEPTION 'activities is append-only (only the completion of an open activity may change it)'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER activities_append_only BEFORE UPDATE OR DELETE ON activities
    FOR EACH ROW EXECUTE FUNCTION odm_activity_completion_only();

CREATE TABLE activity_evaluations (
    id text PRIMARY KEY DEFAULT 'eval-' || nextval('evaluation_id_seq'),
    activity_id text NOT NULL, activity_created_at timestamptz NOT NULL,
    success boolean, score double precision CHECK (score >= 0 AND score <= 1),
    confidence double precision CHECK (confidence >= 0 AND confidence <= 1),
    reviewer_type text NOT NULL CHECK (reviewer_type IN ('system', 'agent', 'human', 'governor', 'test_system')),
    reviewer_id text,
    findings text[] NOT NULL DEFAULT '{{}}', corrections text[] NOT NULL DEFAULT '{{}}',
    recommended_next_action text, quality_notes text, failure_reason text,
    retry_recommended boolean, human_correction_required boolean,
    evaluated_at timestamptz NOT NULL DEFAULT now(), created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activity_evaluations_activity ON activity_evaluations (activity_id);

CREATE TABLE cost_ledger (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activity_id text NOT NULL, activity_created_at timestamptz NOT NULL,
    agent_runtime_id text, task_id text, ticket_id text, sprint_id text, project_id text,
    provider text, model text,
    charge_type text NOT NULL CHECK (charge_type IN ('tokens', 'runtime', 'tool', 'storage', 'network', 'fixed')),
    quantity numeric NOT NULL CHECK (quantity >= 0), unit_cost numeric CHECK (unit_cost >= 0),
    amount numeric CHECK (amount >= 0), currency text NOT NULL DEFAULT 'USD',
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX cost_ledger_activity ON cost_ledger (activity_id);
CREATE INDEX cost_ledger_task ON cost_ledger (task_id, recorded_at);

CREATE TABLE time_ledger (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activity_id text NOT NULL, activity_created_at timestamptz NOT NULL,
    agent_runtime_id text, task_id text, ticket_id text,
    started_at timestamptz NOT NULL, ended_at timestamptz, duration_ms bigint CHECK (duration_ms >= 0),
    wait_reason text, recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX time_ledger_activity ON time_ledger (activity_id);
CREATE INDEX time_ledger_task ON time_ledger (task_id, recorded_at);
CREATE TRIGGER cost_ledger_append_only BEFORE UPDATE OR DELETE ON cost_ledger
    FOR EACH ROW EXECUTE FUNCTION odm_append_only();
CREATE TRIGGER time_ledger_append_only BEFORE UPDATE OR DELETE ON time_ledger
    FOR EACH ROW EXECUTE FUNCTION odm_append_only();
CREATE TRIGGER activity_evaluations_append_only BEFORE UPDATE OR DELETE ON activity_evaluations
    FOR EACH ROW EXECUTE FUNCTION odm_append_only();

CREATE TABLE budget_holds (
    id text PRIMARY KEY DEFAULT 'hold-' || nextval('budget_hold_id_seq'),
    task_id text NOT NULL REFERENCES tasks (id),
    scope_type text NOT NULL CHECK (scope_type IN ('task', 'ticket', 'sprint', 'project')),
    scope_id text NOT NULL, limit_kind text NOT NULL CHECK (limit_kind IN ('cost_cap', 'hard_limit')),
    limit_amount numeric NOT NULL, actual_cost numeric NOT NULL, activity_id text NOT NULL,
    prior_state text NOT NULL, escalation_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    released_at timestamptz, released_by text, release_ref text
);
CREATE UNIQUE INDEX budget_holds_open ON budget_holds (task_id) WHERE released_at IS NULL;
CREATE FUNCTION odm_budget_hold_release_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.released_at IS NOT NULL
       OR to_jsonb(NEW) - '{{released_at,released_by,release_ref,escalation_id}}'::text[]
          IS DISTINCT FROM to_jsonb(OLD) - '{{released_at,released_by,release_ref,escalation_id}}'::text[] THEN
        RAISE EXCEPTION 'budget_holds is append-only (only an open hold''s release may change it)'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER budget_holds_append_only BEFORE UPDATE OR DELETE ON budget_holds
    FOR EACH ROW EXECUTE FUNCTION odm_budget_hold_release_only();
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    for table in ("budget_holds", "time_ledger", "cost_ledger", "activity_evaluations", "activities"):
        op.execute(f"DROP TABLE {table}")
    for function in ("odm_budget_hold_release_only()", "odm_activity_completion_only()",
                     "odm_activity_partition(timestamptz)"):
        op.execute(f"DROP FUNCTION {function}")
    for table in ("projects", "sprints", "tickets", "tasks"):
        op.execute(f"DROP INDEX {table}_budget")
        op.execute(f"ALTER TABLE {table} DROP COLUMN budget_status")
    for table in ("projects", "sprints"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN plan_cost, DROP COLUMN actual_cost, "
                   "DROP COLUMN actual_duration_minutes")
    for table in ("projects", "sprints", "tickets"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN budget_soft_limit, DROP COLUMN budget_hard_limit, "
                   "DROP COLUMN budget_warning_pct, DROP COLUMN cost_unknown_count")
    op.execute("ALTER TABLE tasks DROP COLUMN cost_unknown_count, DROP COLUMN activity_count")
    for sequence in ("activity_id_seq", "evaluation_id_seq", "budget_hold_id_seq"):
        op.execute(f"DROP SEQUENCE {sequence}")
