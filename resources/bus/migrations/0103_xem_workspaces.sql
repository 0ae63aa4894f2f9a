-- Workspaces as records (chat: knowledge only; operational: runs tools), the agents bound to them, their scope
-- (what their tools may touch), the model catalog (fed by operators and inference hosts) and each operational
-- workspace's three model bindings (planner, executor, verifier). project_id is an ODM project id by value (no
-- foreign key crosses the two databases). A workspace whose three models are not all bound and available is closed.
CREATE TABLE xem.workspaces (
    name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$'),
    kind text NOT NULL CHECK (kind IN ('chat', 'operational')),
    project_id text NULL CHECK (project_id IS NULL OR length(project_id) BETWEEN 1 AND 64),
    scope jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_by text NOT NULL DEFAULT 'operator',
    created_at timestamptz NOT NULL DEFAULT now(),
    promoted_at timestamptz NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE xem.workspace_agents (
    workspace text NOT NULL REFERENCES xem.workspaces (name) ON DELETE CASCADE,
    agent_name text NOT NULL REFERENCES xem.agents (name) ON DELETE CASCADE,
    bound_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace, agent_name)
);

CREATE TABLE xem.models (
    id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
    provider text NOT NULL DEFAULT 'unknown' CHECK (length(provider) BETWEEN 1 AND 64),
    available boolean NOT NULL,
    capabilities text[] NOT NULL DEFAULT '{}',
    reported_by text NOT NULL,
    detail text NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE xem.workspace_models (
    workspace text NOT NULL REFERENCES xem.workspaces (name) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('planner', 'executor', 'verifier')),
    model_id text NOT NULL REFERENCES xem.models (id),
    bound_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace, role)
);
CREATE INDEX workspace_models_model_idx ON xem.workspace_models (model_id);

-- The workspaces agents already declare get their records now (operational, bound to the declaring agents, no
-- models: closed until an operator binds three available models), as a manifest stored later would.
INSERT INTO xem.workspaces (name, kind, created_by)
SELECT DISTINCT t->>'workspace', 'operational', 'manifest'
FROM xem.agents a, jsonb_array_elements(coalesce(a.manifest->'tools', '[]'::jsonb)) t
WHERE t->>'workspace' ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$'
ON CONFLICT DO NOTHING;
INSERT INTO xem.workspace_agents (workspace, agent_name)
SELECT DISTINCT t->>'workspace', a.name
FROM xem.agents a, jsonb_array_elements(coalesce(a.manifest->'tools', '[]'::jsonb)) t
WHERE EXISTS (SELECT 1 FROM xem.workspaces w WHERE w.name = t->>'workspace')
ON CONFLICT DO NOTHING;

-- The dispatch frame carries the workspace's scope (as it was when the call was dispatched): the agent checks it
-- again before it runs anything.
ALTER TABLE xem.dispatches ADD COLUMN scope jsonb NULL;
