"""The work graph: users, topics, hosts, projects + rosters, sprints, tickets, tasks, ideas,
discussion threads, ticket evolution and override records, counters and idempotency keys.

Every lifecycle-bearing table stores ``status`` and ``state``; ``status_state`` is generated from
them. Evolution and override records are append-only (triggers). The partial index
``tasks_claimable`` is what ``next_task`` walks; its predicate must list exactly the pairs the task
lifecycle lets a claim start from (a test checks it against ``odm.lifecycles``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

from resources.odm.sql_script import META, execute_script

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


LIFECYCLE = """
    status text NOT NULL, state text NOT NULL,
    status_state text GENERATED ALWAYS AS (status || '.' || state) STORED"""

PRIORITY = "CHECK ({col} IN ('low', 'normal', 'high', 'critical'))"

UPGRADE = f"""
CREATE SEQUENCE user_id_seq; CREATE SEQUENCE topic_id_seq; CREATE SEQUENCE host_id_seq;
CREATE SEQUENCE project_id_seq; CREATE SEQUENCE roster_binding_id_seq; CREATE SEQUENCE sprint_id_seq;
CREATE SEQUENCE idea_id_seq; CREATE SEQUENCE discussion_thread_id_seq; CREATE SEQUENCE evolution_id_seq;
CREATE SEQUENCE override_id_seq; CREATE SEQUENCE claim_token_seq;

CREATE TABLE counters (name text PRIMARY KEY, value bigint NOT NULL);
INSERT INTO counters (name, value) VALUES ('ticket', 1000);

CREATE TABLE idempotency_keys (
    scope text NOT NULL, key text NOT NULL, request_hash text NOT NULL, object_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

CREATE TABLE users (
    id text PRIMARY KEY DEFAULT 'user-' || nextval('user_id_seq'),
    name text NOT NULL UNIQUE, email text,
    role text NOT NULL CHECK (role IN ('founder', 'operator', 'reviewer', 'observer')),
    auth_accounts text[] NOT NULL DEFAULT '{{}}',
    is_primary boolean NOT NULL DEFAULT false,
    notification_channels text[] NOT NULL DEFAULT '{{}}'
        CHECK (notification_channels <@ ARRAY['sse', 'email', 'telegram', 'slack', 'webhook']),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),{META}
);
CREATE UNIQUE INDEX users_one_primary ON users (is_primary) WHERE is_primary;

CREATE TABLE topics (
    id text PRIMARY KEY DEFAULT 'topic-' || nextval('topic_id_seq'),
    name text NOT NULL, parent_topic_id text REFERENCES topics (id),
    taxonomy text[] NOT NULL DEFAULT '{{}}', description text NOT NULL DEFAULT '',{META}
);
CREATE INDEX topics_parent ON topics (parent_topic_id);
CREATE TABLE topic_relations (
    topic_id text NOT NULL REFERENCES topics (id), related_topic_id text NOT NULL REFERENCES topics (id),
    PRIMARY KEY (topic_id, related_topic_id), CHECK (topic_id <> related_topic_id)
);

CREATE TABLE hosts (
    id text PRIMARY KEY DEFAULT 'host-' || nextval('host_id_seq'),
    name text NOT NULL UNIQUE,
    role text NOT NULL CHECK (role IN ('control_plane', 'worker', 'hybrid', 'gpu', 'product')),
    ip_tailscale text, ip_public text, os text NOT NULL DEFAULT '', cpu_model text NOT NULL DEFAULT '',
    vcpus integer NOT NULL DEFAULT 0 CHECK (vcpus >= 0),
    ram_gb double precision NOT NULL DEFAULT 0 CHECK (ram_gb >= 0),
    ssd_gb double precision NOT NULL DEFAULT 0 CHECK (ssd_gb >= 0), gpu text,
    reserved_ram_gb double precision NOT NULL DEFAULT 0 CHECK (reserved_ram_gb >= 0),
    available_ram_gb double precision NOT NULL DEFAULT 0 CHECK (available_ram_gb >= 0),
    ram_per_agent_gb double precision NOT NULL DEFAULT 0 CHECK (ram_per_agent_gb >= 0),
    max_concurrent_agents integer NOT NULL DEFAULT 0 CHECK (max_concurrent_agents >= 0),
    active_agents integer NOT NULL DEFAULT 0 CHECK (active_agents >= 0),
    active_services text[] NOT NULL DEFAULT '{{}}',
    status text NOT NULL DEFAULT 'online' CHECK (status IN ('online', 'offline', 'degraded', 'maintenance')),
    commissioned_at timestamptz NOT NULL DEFAULT now(), decommissioned_at timestamptz,{META}
);

CREATE TABLE projects (
    id text PRIMARY KEY DEFAULT 'proj-' || nextval('project_id_seq'),
    name text NOT NULL, parent_project_id text REFERENCES projects (id),
    topics text[] NOT NULL DEFAULT '{{}}', description text NOT NULL DEFAULT '',
    start_date timestamptz NOT NULL DEFAULT now(), end_date timestamptz,
    lifecycle_phase text NOT NULL DEFAULT 'topic' CHECK (lifecycle_phase IN ('topic', 'research', 'blueprint',
        'review', 'planning', 'execution', 'integration', 'production', 'maintenance')),{LIFECYCLE},{META},
    search tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, name || ' ' || description)) STORED
);
CREATE INDEX projects_parent ON projects (parent_project_id);
CREATE INDEX projects_search ON projects USING gin (search);

CREATE TABLE project_agent_bindings (
    id text PRIMARY KEY DEFAULT 'bind-' || nextval('roster_binding_id_seq'),
    project_id text NOT NULL REFERENCES projects (id), agent_id text NOT NULL,
    roles text[] NOT NULL DEFAULT '{{}}',
    allocation text NOT NULL CHECK (allocation IN ('full_time', 'part_time', 'shared', 'on_demand')),
    is_project_orchestrator boolean NOT NULL DEFAULT false,
    joined_at timestamptz NOT NULL DEFAULT now(), left_at timestamptz,{META}
);
CREATE UNIQUE INDEX project_agent_bindings_current ON project_agent_bindings (project_id, agent_id) WHERE left_at IS NULL;
CREATE UNIQUE INDEX project_agent_bindings_one_orchestrator ON project_agent_bindings (project_id)
    WHERE left_at IS NULL AND is_project_orchestrator;

CREATE TABLE sprints (
    id text PRIMARY KEY DEFAULT 'spr-' || nextval('sprint_id_seq'),
    project_id text NOT NULL REFERENCES projects (id), name text NOT NULL,
    start_date timestamptz NOT NULL, end_date timestamptz NOT NULL,{LIFECYCLE},{META},
    CHECK (end_date >= start_date)
);
CREATE INDEX sprints_project ON sprints (project_id);

CREATE TABLE tickets (
    id text PRIMARY KEY, seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    project_id text NOT NULL REFERENCES projects (id), sprint_id text REFERENCES sprints (id),
    parent_ticket_id text REFERENCES tickets (id),
    topics text[] NOT NULL DEFAULT '{{}}', title text NOT NULL, description text NOT NULL DEFAULT '',
    priority text NOT NULL DEFAULT 'normal' {PRIORITY.format(col="priority")},
    required_model text, required_skills text[] NOT NULL DEFAULT '{{}}',{LIFECYCLE},
    plan_cost numeric CHECK (plan_cost >= 0), actual_cost numeric NOT NULL DEFAULT 0,
    plan_duration numeric CHECK (plan_duration >= 0), actual_duration numeric NOT NULL DEFAULT 0,
    task_counter integer NOT NULL DEFAULT 0, child_counter integer NOT NULL DEFAULT 0,
    historical boolean NOT NULL DEFAULT false,{META},
    search tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, title || ' ' || description)) STORED
);
CREATE INDEX tickets_project ON tickets (project_id, status_state);
CREATE INDEX tickets_sprint ON tickets (sprint_id);
CREATE INDEX tickets_parent ON tickets (parent_ticket_id);
CREATE INDEX tickets_search ON tickets USING gin (search);

CREATE TABLE tasks (
    id text PRIMARY KEY,
    ticket_id text NOT NULL REFERENCES tickets (id), project_id text NOT NULL REFERENCES projects (id),
    ticket_seq bigint NOT NULL, parent_task_id text REFERENCES tasks (id), sequence integer NOT NULL,
    title text NOT NULL, objective text NOT NULL, description text,
    assigned_agent_template_id text, assigned_runtime_id text, assigned_topic_ids text[] NOT NULL DEFAULT '{{}}',
    execution_mode text NOT NULL DEFAULT 'headless'
        CHECK (execution_mode IN ('headless', 'rc_attachable', 'scheduled', 'event_driven', 'interactive')),
    requires_human boolean NOT NULL DEFAULT false, requires_approval boolean NOT NULL DEFAULT false,
    allows_parallel_subwork boolean NOT NULL DEFAULT false,
    input_refs text[] NOT NULL DEFAULT '{{}}', output_refs text[] NOT NULL DEFAULT '{{}}',
    acceptance_criteria text[] NOT NULL DEFAULT '{{}}',
    priority text NOT NULL DEFAULT 'normal' {PRIORITY.format(col="priority")},
    priority_order smallint GENERATED ALWAYS AS (CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1
        WHEN 'normal' THEN 2 ELSE 3 END) STORED,
    risk_level text NOT NULL DEFAULT 'normal' {PRIORITY.format(col="risk_level")},
    plan_cost numeric CHECK (plan_cost >= 0), cost_cap numeric CHECK (cost_cap >= 0),
    actual_cost numeric NOT NULL DEFAULT 0,
    plan_duration_minutes numeric CHECK (plan_duration_minutes >= 0), actual_duration_minutes numeric NOT NULL DEFAULT 0,
    sla_due_at timestamptz, attempt_count integer NOT NULL DEFAULT 0, max_attempts integer CHECK (max_attempts > 0),
    spec_version integer NOT NULL DEFAULT 1, spec_snapshot jsonb,{LIFECYCLE},
    started_at timestamptz, completed_at timestamptz, state_changed_at timestamptz NOT NULL DEFAULT now(),
    claimed_by text, claim_token bigint, claimed_at timestamptz, claim_expires_at timestamptz,
    lease_seconds integer CHECK (lease_seconds > 0),{META},
    search tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig,
        title || ' ' || objective || ' ' || coalesce(description, ''))) STORED,
    CHECK ((claimed_by IS NULL) = (claim_expires_at IS NULL))
);
CREATE INDEX tasks_ticket ON tasks (ticket_id, sequence);
CREATE INDEX tasks_project ON tasks (project_id, status_state);
CREATE INDEX tasks_status_state ON tasks (status_state, id);
CREATE INDEX tasks_claimed_by ON tasks (claimed_by) WHERE claimed_by IS NOT NULL;
CREATE INDEX tasks_claim_expiry ON tasks (claim_expires_at) WHERE claimed_by IS NOT NULL AND status_state = 'execute.active';
CREATE INDEX tasks_claimable ON tasks (priority_order, ticket_seq, sequence)
    WHERE claimed_by IS NULL AND status_state IN ('ready.ready', 'execute.ready');
CREATE INDEX tasks_search ON tasks USING gin (search);

CREATE TABLE task_dependencies (
    task_id text NOT NULL REFERENCES tasks (id), depends_on_id text NOT NULL REFERENCES tasks (id),
    PRIMARY KEY (task_id, depends_on_id), CHECK (task_id <> depends_on_id)
);
CREATE INDEX task_dependencies_blocks ON task_dependencies (depends_on_id);

CREATE TABLE ticket_evolutions (
    id text PRIMARY KEY DEFAULT 'evo-' || nextval('evolution_id_seq'),
    source_ticket_id text NOT NULL REFERENCES tickets (id),
    action text NOT NULL CHECK (action IN ('split', 'spawn_subticket', 'merge', 'reassign', 'defer', 'cancel', 'revive')),
    target_ticket_ids text[] NOT NULL DEFAULT '{{}}', task_ids text[] NOT NULL DEFAULT '{{}}',
    reason text NOT NULL,
    initiated_by text NOT NULL CHECK (initiated_by IN ('human', 'orchestrator', 'governor', 'system')),
    details jsonb NOT NULL DEFAULT '{{}}',{META}
);
CREATE INDEX ticket_evolutions_source ON ticket_evolutions (source_ticket_id);
CREATE INDEX ticket_evolutions_targets ON ticket_evolutions USING gin (target_ticket_ids);

CREATE TABLE override_records (
    id text PRIMARY KEY DEFAULT 'ovr-' || nextval('override_id_seq'),
    scope_type text NOT NULL CHECK (scope_type IN ('task', 'agent_runtime', 'session', 'escalation_request',
        'module_route', 'policy', 'project', 'sprint', 'ticket', 'discussion_thread', 'idea')),
    scope_ref text NOT NULL, trigger_ref text,
    override_type text NOT NULL CHECK (override_type IN ('pause', 'resume', 'constrain', 'reroute', 'force_module',
        'force_surface', 'bypass', 'cancel')),
    reason text NOT NULL, issued_by text NOT NULL, approved_by text,
    prior_state_ref text, applied_change_ref text, override_params jsonb,
    effective_from timestamptz NOT NULL DEFAULT now(), effective_until timestamptz,
    revoked boolean NOT NULL DEFAULT false, revoked_by text, revoked_at timestamptz,
    expires_at timestamptz, resolved_at timestamptz,{META}
);
CREATE INDEX override_records_scope ON override_records (scope_type, scope_ref);

CREATE TABLE ideas (
    id text PRIMARY KEY DEFAULT 'idea-' || nextval('idea_id_seq'),
    title text NOT NULL, description text NOT NULL DEFAULT '', topic_id text REFERENCES topics (id),
    source text NOT NULL DEFAULT 'user' CHECK (source IN ('user', 'agent', 'dream', 'research', 'discussion', 'external')),
    raised_by_user_id text REFERENCES users (id), raised_by_agent_id text,{LIFECYCLE},
    ticket_id text REFERENCES tickets (id),
    last_reviewed_at timestamptz, next_review_at timestamptz,
    review_cycle text CHECK (review_cycle IN ('weekly', 'monthly', 'quarterly', 'on_demand')),
    priority text {PRIORITY.format(col="priority")}, context text,{META},
    search tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig,
        title || ' ' || description || ' ' || coalesce(context, ''))) STORED
);
CREATE INDEX ideas_status_review ON ideas (status_state, next_review_at);
CREATE INDEX ideas_search ON ideas USING gin (search);

CREATE TABLE discussion_threads (
    id text PRIMARY KEY DEFAULT 'thr-' || nextval('discussion_thread_id_seq'),
    project_id text REFERENCES projects (id), topic_ids text[] NOT NULL DEFAULT '{{}}',
    title text, summary text,
    thread_type text NOT NULL CHECK (thread_type IN ('intake', 'clarification', 'design', 'review', 'recovery', 'research')),
    opened_by text NOT NULL, participants text[] NOT NULL DEFAULT '{{}}',
    source_channel text CHECK (source_channel IN ('ui', 'rc', 'cli', 'api', 'imported')),
    linked_ticket_id text REFERENCES tickets (id), linked_task_id text REFERENCES tasks (id),
    linked_session_id text,{LIFECYCLE},
    transcript_ref text, context_bundle_ref text, closed_at timestamptz,{META},
    search tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig,
        coalesce(title, '') || ' ' || coalesce(summary, ''))) STORED
);
CREATE INDEX discussion_threads_project ON discussion_threads (project_id, status_state);
CREATE INDEX discussion_threads_search ON discussion_threads USING gin (search);

CREATE TABLE idea_threads (
    idea_id text NOT NULL REFERENCES ideas (id), thread_id text NOT NULL REFERENCES discussion_threads (id),
    PRIMARY KEY (idea_id, thread_id)
);
CREATE INDEX idea_threads_thread ON idea_threads (thread_id);

CREATE FUNCTION odm_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'object_not_in_prerequisite_state';
END $$;
CREATE TRIGGER ticket_evolutions_append_only BEFORE UPDATE OR DELETE ON ticket_evolutions
    FOR EACH ROW EXECUTE FUNCTION odm_append_only();

CREATE FUNCTION odm_override_revocation_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'override_records is append-only' USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF to_jsonb(NEW) - '{{revoked,revoked_by,revoked_at,resolved_at}}'::text[]
       IS DISTINCT FROM to_jsonb(OLD) - '{{revoked,revoked_by,revoked_at,resolved_at}}'::text[] THEN
        RAISE EXCEPTION 'override_records is append-only (only revocation may change)'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER override_records_append_only BEFORE UPDATE OR DELETE ON override_records
    FOR EACH ROW EXECUTE FUNCTION odm_override_revocation_only();
"""

TABLES = (
    "idea_threads", "discussion_threads", "ideas", "override_records", "ticket_evolutions", "task_dependencies",
    "tasks", "tickets", "sprints", "project_agent_bindings", "projects", "hosts", "topic_relations", "topics",
    "users", "idempotency_keys", "counters",
)
SEQUENCES = (
    "user_id_seq", "topic_id_seq", "host_id_seq", "project_id_seq", "roster_binding_id_seq", "sprint_id_seq",
    "idea_id_seq", "discussion_thread_id_seq", "evolution_id_seq", "override_id_seq", "claim_token_seq",
)


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE {table}")
    op.execute("DROP FUNCTION odm_append_only()")
    op.execute("DROP FUNCTION odm_override_revocation_only()")
    for sequence in SEQUENCES:
        op.execute(f"DROP SEQUENCE {sequence}")
