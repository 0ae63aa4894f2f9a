"""Research tasks (§4.12B, lifecycle §5.5.10), knowledge objects (§4.13, §5.5.7) with content by reference (§14.3),
the scheduler (§15: schedules and the occurrences handed out, unique per (schedule_id, due_at)), and the task timing
markers of §8.4 (queued_at, first_activity_at; set once by a trigger and by the activity path); forced moves of the
two new kinds may be recorded as override records.

Revision ID: c002
Revises: b001
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from resources.odm.sql_script import META, execute_script

revision = "c002"
down_revision = "b001"
branch_labels = None
depends_on = None


_SCOPES = ("'task', 'agent_runtime', 'session', 'escalation_request', 'module_route', 'policy', 'project', 'sprint', "
           "'ticket', 'discussion_thread', 'idea'")
_SCOPE_CHECK = "ALTER TABLE override_records DROP CONSTRAINT override_records_scope_type_check, ADD CONSTRAINT " \
               "override_records_scope_type_check CHECK (scope_type IN ({}))"

UPGRADE = f"""
CREATE SEQUENCE research_task_id_seq; CREATE SEQUENCE knowledge_object_id_seq; CREATE SEQUENCE schedule_id_seq;

CREATE TABLE research_tasks (
    id text PRIMARY KEY DEFAULT 'rt-' || nextval('research_task_id_seq'),
    project_id text REFERENCES projects (id), ticket_id text REFERENCES tickets (id),
    parent_task_id text REFERENCES tasks (id),
    name text NOT NULL, objective text NOT NULL,
    topic_ids text[] NOT NULL DEFAULT '{{}}', source_classes text[] NOT NULL DEFAULT '{{}}',
    output_type text NOT NULL CHECK (output_type IN ('digest', 'comparison', 'watchlist', 'synthesis', 'presentation',
        'candidate_scan')),
    review_required boolean NOT NULL DEFAULT false, owner_runtime_id text,
    recurrence text, destination_refs text[] NOT NULL DEFAULT '{{}}',
    latest_output_ref text, latest_output_sha256 text, latest_output_size bigint, latest_output_summary text,
    output_count integer NOT NULL DEFAULT 0,
    status text NOT NULL, state text NOT NULL,
    status_state text GENERATED ALWAYS AS (status || '.' || state) STORED,
    completed_at timestamptz,{META},
    search tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, name || ' ' || objective || ' '
        || coalesce(latest_output_summary, ''))) STORED
);
CREATE INDEX research_tasks_status_state ON research_tasks (status_state, id);
CREATE INDEX research_tasks_search ON research_tasks USING gin (search);

CREATE TABLE knowledge_objects (
    id text PRIMARY KEY DEFAULT 'ko-' || nextval('knowledge_object_id_seq'),
    type text NOT NULL CHECK (type IN ('rule', 'skill', 'document', 'blueprint', 'reflection', 'profile', 'log',
        'research_output')),
    title text NOT NULL, summary text NOT NULL DEFAULT '',
    topics text[] NOT NULL DEFAULT '{{}}', source text NOT NULL,
    content_ref text, content_sha256 text NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{{64}}$'),
    content_size bigint NOT NULL CHECK (content_size >= 0), content_type text,
    inline_body text CHECK (octet_length(inline_body) <= 4096),
    version text NOT NULL DEFAULT '1',
    research_task_id text REFERENCES research_tasks (id),
    status text NOT NULL, state text NOT NULL,
    status_state text GENERATED ALWAYS AS (status || '.' || state) STORED,{META},
    search tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, title || ' ' || summary || ' '
        || coalesce(inline_body, ''))) STORED,
    CHECK ((content_ref IS NULL) <> (inline_body IS NULL))
);
CREATE INDEX knowledge_objects_status_state ON knowledge_objects (status_state, id);
CREATE INDEX knowledge_objects_search ON knowledge_objects USING gin (search);
CREATE INDEX knowledge_objects_research ON knowledge_objects (research_task_id);

CREATE TABLE schedules (
    id text PRIMARY KEY DEFAULT 'sch-' || nextval('schedule_id_seq'),
    task_id text REFERENCES tasks (id), research_task_id text REFERENCES research_tasks (id),
    mode text NOT NULL CHECK (mode IN ('immediate', 'delayed', 'periodic', 'event_driven', 'idle_window')),
    run_at timestamptz, cron_expr text, timezone text NOT NULL DEFAULT 'UTC',
    dependency_event text, idle_policy_id text, max_delay_sec integer CHECK (max_delay_sec > 0),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'finished', 'cancelled')),
    next_due_at timestamptz, last_due_at timestamptz, handed_count integer NOT NULL DEFAULT 0,
    missed_count integer NOT NULL DEFAULT 0, cancel_reason text,{META},
    CHECK ((task_id IS NULL) <> (research_task_id IS NULL)),
    CHECK (mode <> 'periodic' OR cron_expr IS NOT NULL), CHECK (cron_expr IS NULL OR mode IN ('periodic', 'idle_window')),
    CHECK ((mode = 'event_driven') = (dependency_event IS NOT NULL))
);
CREATE INDEX schedules_due ON schedules (next_due_at, id) WHERE status = 'active' AND next_due_at IS NOT NULL;
CREATE INDEX schedules_task ON schedules (task_id);
CREATE INDEX schedules_research_task ON schedules (research_task_id);
CREATE INDEX schedules_event ON schedules (dependency_event) WHERE status = 'active' AND mode = 'event_driven';

CREATE TABLE schedule_occurrences (
    schedule_id text NOT NULL REFERENCES schedules (id), due_at timestamptz NOT NULL,
    handed_to text, handed_at timestamptz NOT NULL DEFAULT now(), missed integer NOT NULL DEFAULT 0,
    PRIMARY KEY (schedule_id, due_at)
);
CREATE INDEX schedule_occurrences_handed ON schedule_occurrences (handed_at);
CREATE TRIGGER schedule_occurrences_append_only BEFORE UPDATE OR DELETE ON schedule_occurrences
    FOR EACH ROW EXECUTE FUNCTION odm_append_only();

ALTER TABLE tasks ADD COLUMN queued_at timestamptz, ADD COLUMN first_activity_at timestamptz;

CREATE FUNCTION odm_task_markers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN  -- a state move never clears a marker (an explicit new value is still taken)
        NEW.queued_at := coalesce(NEW.queued_at, OLD.queued_at);
        NEW.started_at := coalesce(NEW.started_at, OLD.started_at);
        NEW.first_activity_at := coalesce(NEW.first_activity_at, OLD.first_activity_at);
    END IF;
    IF NEW.queued_at IS NULL AND (NEW.status, NEW.state) IN (('plan', 'queued'), ('ready', 'ready')) THEN
        NEW.queued_at := now();
    END IF;
    IF NEW.started_at IS NULL AND NEW.status = 'execute' AND NEW.state = 'active' THEN
        NEW.started_at := now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER tasks_markers BEFORE INSERT OR UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION odm_task_markers();

{_SCOPE_CHECK.format(_SCOPES + ", 'research_task', 'knowledge_object'")};
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    for statement in (_SCOPE_CHECK.format(_SCOPES), "DROP TRIGGER tasks_markers ON tasks", "DROP FUNCTION odm_task_markers()",
                      "ALTER TABLE tasks DROP COLUMN queued_at, DROP COLUMN first_activity_at",
                      "DROP TABLE schedule_occurrences", "DROP TABLE schedules", "DROP TABLE knowledge_objects",
                      "DROP TABLE research_tasks", "DROP SEQUENCE schedule_id_seq", "DROP SEQUENCE knowledge_object_id_seq",
                      "DROP SEQUENCE research_task_id_seq"):
        op.execute(statement)
