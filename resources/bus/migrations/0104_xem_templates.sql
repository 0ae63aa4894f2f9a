-- XEM chat templates (project and workspace scope; platform templates are files in prompts/xem/), the sub-plans
-- opened under them (request_subplan), and which template / sub-plan an invocation ran under.

-- One row per version: a new version is a new row, never an update. (scope, owner, name) is one template;
-- owner is the ODM project id (scope project) or the workspace name (scope workspace).
CREATE TABLE xem.chat_templates (
    scope           text NOT NULL CHECK (scope IN ('project', 'workspace')),
    owner           text NOT NULL CHECK (length(owner) BETWEEN 1 AND 64),
    name            text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,47}$'),
    version         integer NOT NULL CHECK (version >= 1),
    document        jsonb NOT NULL,      -- valid against resources/xem/chat_template.schema.json
    idempotency_key text UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    created_by      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, owner, name, version)
);
CREATE INDEX chat_templates_by_name ON xem.chat_templates (name);

-- A sub-loop's handle: a tool scope and an iteration cap; each invocation under it takes one iteration
-- (UPDATE ... WHERE used < max_iterations). Closing or expiry is recorded, never deleted.
CREATE TABLE xem.subplans (
    id               uuid PRIMARY KEY,
    workspace        text NOT NULL,
    template_name    text,
    template_scope   text CHECK (template_scope IN ('platform', 'project', 'workspace')),
    template_owner   text,
    template_version integer,
    tool_scope       text[] NOT NULL CHECK (cardinality(tool_scope) >= 1),
    max_iterations   integer NOT NULL CHECK (max_iterations BETWEEN 1 AND 1000),
    used             integer NOT NULL DEFAULT 0,
    idempotency_key  text UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    created_by       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    closed_at        timestamptz,
    close_reason     text CHECK (close_reason IN ('closed', 'expired')),
    close_note       text,
    CHECK (used BETWEEN 0 AND max_iterations),
    CHECK ((closed_at IS NULL) = (close_reason IS NULL))
);
CREATE INDEX subplans_open ON xem.subplans (expires_at) WHERE closed_at IS NULL;

ALTER TABLE xem.invocations
    ADD COLUMN template_name    text,
    ADD COLUMN template_scope   text CHECK (template_scope IN ('platform', 'project', 'workspace')),
    ADD COLUMN template_owner   text,
    ADD COLUMN template_version integer,
    ADD COLUMN session_ref      text,         -- the caller's session (the once_per_session approval cadence)
    ADD COLUMN subplan_id       uuid REFERENCES xem.subplans (id);
CREATE INDEX invocations_template_session ON xem.invocations (template_name, template_scope, template_owner, session_ref)
    WHERE session_ref IS NOT NULL;
