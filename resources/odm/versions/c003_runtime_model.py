"""Who works and where: Agent Templates (§4.7: versioned and append-only, exactly one master, agent 000, kept by a
partial unique index), Agent Runtimes (§4.8, id = the Bus agent id, §19.3), Execution Surfaces (§4.9) and Sessions
(§4.10, transcript by reference, §14.3); activities are found by session; an override record may revoke another
(runtime interventions, §10.5: the revocation is a new record, the original is never rewritten).

Revision ID: c003
Revises: c002
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from resources.odm.sql_script import META, execute_script

revision = "c003"
down_revision = "c002"
branch_labels = None
depends_on = None


LIVE = "status NOT IN ('complete', 'archive') AND status_state <> 'recover.failed'"
AUTH = "('oauth', 'api_key', 'litellm')"

UPGRADE = f"""
CREATE SEQUENCE agent_template_id_seq; CREATE SEQUENCE surface_id_seq; CREATE SEQUENCE session_id_seq;

CREATE TABLE agent_templates (
    id text PRIMARY KEY DEFAULT 'tpl-' || nextval('agent_template_id_seq'),
    agent_id text NOT NULL CHECK (agent_id ~ '^[0-9]{{3}}$'),
    version integer NOT NULL CHECK (version >= 1),
    name text NOT NULL CHECK (length(name) > 0),
    roles text[] NOT NULL DEFAULT '{{}}' CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['orchestrator', 'governor',
        'rule_steward', 'prompt_steward', 'module_steward', 'specialist', 'worker', 'interface']),
    is_master boolean NOT NULL DEFAULT false CHECK (is_master = (agent_id = '000')),
    description text NOT NULL DEFAULT '',
    topics text[] NOT NULL DEFAULT '{{}}', responsibilities text[] NOT NULL DEFAULT '{{}}',
    allowed_tools text[] NOT NULL DEFAULT '{{}}', required_skills text[] NOT NULL DEFAULT '{{}}',
    default_provider text, default_model text,
    default_auth_method text CHECK (default_auth_method IN {AUTH}), default_auth_account text,
    execution_modes text[] NOT NULL DEFAULT '{{}}' CHECK (execution_modes <@ ARRAY['headless', 'rc_attachable',
        'scheduled', 'event_driven', 'interactive']),
    parent_required boolean NOT NULL DEFAULT false,
    max_children integer CHECK (max_children >= 0), max_parallel_runs integer CHECK (max_parallel_runs >= 1),
    cost_priority text NOT NULL DEFAULT 'normal' CHECK (cost_priority IN ('low', 'normal', 'high', 'critical')),
    max_cost_per_run numeric CHECK (max_cost_per_run >= 0),
    preferred_cost_tier text CHECK (preferred_cost_tier IN ('economy', 'standard', 'premium')),
    status text NOT NULL DEFAULT 'ready', state text NOT NULL DEFAULT 'ready',
    status_state text GENERATED ALWAYS AS (status || '.' || state) STORED,{META}
);
-- the master's index first: of two masters racing, it is the one that refuses the second
CREATE UNIQUE INDEX agent_templates_one_master ON agent_templates (version) WHERE is_master;
CREATE UNIQUE INDEX agent_templates_version ON agent_templates (agent_id, version);
CREATE TRIGGER agent_templates_append_only BEFORE UPDATE OR DELETE ON agent_templates
    FOR EACH ROW EXECUTE FUNCTION odm_append_only();
CREATE TRIGGER agent_templates_no_truncate BEFORE TRUNCATE ON agent_templates
    FOR EACH STATEMENT EXECUTE FUNCTION odm_append_only();

CREATE TABLE execution_surfaces (
    id text PRIMARY KEY DEFAULT 'srf-' || nextval('surface_id_seq'),
    name text NOT NULL UNIQUE CHECK (length(name) > 0),
    type text NOT NULL CHECK (type IN ('claude_code', 'codex', 'gemini_cli', 'custom_cli', 'api_worker', 'local_model',
        'web_fallback')),
    provider text NOT NULL, node_id text,
    auth_mode text NOT NULL CHECK (auth_mode IN ('subscription', 'api_key', 'hybrid')),
    endpoint_ref text, workspace_ref text,
    supports_headless boolean NOT NULL DEFAULT false, supports_rc boolean NOT NULL DEFAULT false,
    supports_resume boolean NOT NULL DEFAULT false, supports_mcp boolean NOT NULL DEFAULT false,
    status text NOT NULL DEFAULT 'ready', state text NOT NULL DEFAULT 'ready',
    status_state text GENERATED ALWAYS AS (status || '.' || state) STORED,{META}
);

CREATE TABLE agent_runtimes (
    id text PRIMARY KEY CHECK (id ~ '^[0-9]{{3}}$'),
    agent_id text GENERATED ALWAYS AS (id) STORED,
    agent_template_id text NOT NULL REFERENCES agent_templates (id),
    runtime_kind text NOT NULL CHECK (runtime_kind IN ('orchestrator', 'specialist', 'worker', 'interface', 'system')),
    parent_runtime_id text REFERENCES agent_runtimes (id) CHECK (parent_runtime_id <> id),
    root_runtime_id text, orchestrator_id text,
    assigned_ticket_id text, assigned_task_id text, current_goal text,
    execution_surface_id text REFERENCES execution_surfaces (id), current_session_id text,
    provider text, model text, auth_method text CHECK (auth_method IN {AUTH}), auth_account text, api_key_ref text,
    litellm_model_id text, host_id text,
    status text NOT NULL, state text NOT NULL,
    status_state text GENERATED ALWAYS AS (status || '.' || state) STORED,
    health_state text NOT NULL DEFAULT 'healthy' CHECK (health_state IN ('healthy', 'degraded', 'blocked', 'failed',
        'recovering')),
    last_heartbeat_at timestamptz, started_at timestamptz, ended_at timestamptz,
    last_error text, recoverable boolean NOT NULL DEFAULT true,{META}
);
CREATE INDEX agent_runtimes_parent ON agent_runtimes (parent_runtime_id) WHERE {LIVE};
CREATE INDEX agent_runtimes_template ON agent_runtimes (agent_template_id);
CREATE INDEX agent_runtimes_health ON agent_runtimes (health_state, id);

CREATE TABLE sessions (
    id text PRIMARY KEY DEFAULT 'ses-' || nextval('session_id_seq'),
    agent_runtime_id text NOT NULL REFERENCES agent_runtimes (id),
    execution_surface_id text NOT NULL REFERENCES execution_surfaces (id),
    external_session_ref text, external_thread_ref text,
    status text NOT NULL, state text NOT NULL,
    status_state text GENERATED ALWAYS AS (status || '.' || state) STORED,
    opened_by text, context_snapshot_ref text,
    transcript_ref text, transcript_sha256 text CHECK (transcript_sha256 ~ '^[0-9a-f]{{64}}$'),
    transcript_bytes bigint CHECK (transcript_bytes >= 0),
    checkpoint_ref text, last_checkpoint_at timestamptz, last_activity_at timestamptz,
    resumable boolean NOT NULL DEFAULT false, rc_attachable boolean NOT NULL DEFAULT false,
    crash_count integer NOT NULL DEFAULT 0, last_error text, closed_at timestamptz,{META},
    CHECK ((transcript_ref IS NULL) = (transcript_sha256 IS NULL) AND (transcript_ref IS NULL) = (transcript_bytes IS NULL))
);
CREATE INDEX sessions_runtime ON sessions (agent_runtime_id, created_at);

CREATE INDEX activities_session ON activities (session_id, created_at) WHERE session_id IS NOT NULL;

ALTER TABLE override_records ADD COLUMN revokes_id text REFERENCES override_records (id);
ALTER TABLE override_records DROP CONSTRAINT override_records_override_type_check;
ALTER TABLE override_records ADD CONSTRAINT override_records_override_type_check CHECK (override_type IN ('pause',
    'resume', 'constrain', 'reroute', 'force_module', 'force_surface', 'bypass', 'cancel', 'revoke'));
ALTER TABLE override_records ADD CONSTRAINT override_records_revocation CHECK ((override_type = 'revoke') = (revokes_id IS NOT NULL));
CREATE UNIQUE INDEX override_records_one_revocation ON override_records (revokes_id) WHERE revokes_id IS NOT NULL;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    for statement in ("DROP INDEX override_records_one_revocation",
                      "ALTER TABLE override_records DROP CONSTRAINT override_records_revocation",
                      "ALTER TABLE override_records DROP CONSTRAINT override_records_override_type_check",
                      "ALTER TABLE override_records ADD CONSTRAINT override_records_override_type_check CHECK (override_type "
                      "IN ('pause', 'resume', 'constrain', 'reroute', 'force_module', 'force_surface', 'bypass', 'cancel'))",
                      "ALTER TABLE override_records DROP COLUMN revokes_id", "DROP INDEX activities_session",
                      "DROP TABLE sessions", "DROP TABLE agent_runtimes", "DROP TABLE execution_surfaces",
                      "DROP TABLE agent_templates", "DROP SEQUENCE session_id_seq", "DROP SEQUENCE surface_id_seq",
                      "DROP SEQUENCE agent_template_id_seq"):
        op.execute(statement)
