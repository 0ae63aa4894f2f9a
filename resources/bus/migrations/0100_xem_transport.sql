-- XEM transport: enrolled agents and their CURVE keys, join keys, manifests, candidates,
-- dispatches and their results (deduplicated by frame id), audit events and alerts.
CREATE TABLE xem.join_keys (
    id           uuid PRIMARY KEY,
    role         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    consumed_at  timestamptz,
    consumed_by  text,           -- registration_name that used it
    consumed_key text            -- CURVE public key (Z85) that used it
);

CREATE TABLE xem.agents (
    name             text PRIMARY KEY,
    role             text NOT NULL DEFAULT 'xem',
    state            text NOT NULL CHECK (state IN ('online', 'offline', 'conflict_pill', 'revoked')),
    manifest         jsonb,
    manifest_hash    text,
    manifest_version integer,
    in_flight        jsonb NOT NULL DEFAULT '[]'::jsonb,
    enrolled_at      timestamptz NOT NULL DEFAULT now(),
    last_lease_at    timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE xem.agent_keys (
    public_key  text PRIMARY KEY CHECK (length(public_key) = 40),
    agent_name  text NOT NULL REFERENCES xem.agents (name),
    fingerprint text NOT NULL,
    status      text NOT NULL CHECK (status IN ('active', 'revoked')),
    join_key_id uuid REFERENCES xem.join_keys (id),
    enrolled_at timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX agent_keys_by_agent ON xem.agent_keys (agent_name);

CREATE TABLE xem.manifests (
    agent_name       text NOT NULL REFERENCES xem.agents (name),
    manifest_hash    text NOT NULL,
    manifest_version integer NOT NULL,
    manifest         jsonb NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_name, manifest_hash)
);

CREATE TABLE xem.candidates (
    agent_name    text NOT NULL REFERENCES xem.agents (name),
    candidate_id  text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('git', 'cli')),
    value         text NOT NULL,
    state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved')),
    discovered_at timestamptz NOT NULL DEFAULT now(),
    approved_at   timestamptz,
    PRIMARY KEY (agent_name, candidate_id)
);

CREATE TABLE xem.dispatches (
    id              uuid PRIMARY KEY,  -- the invocation id
    agent_name      text NOT NULL REFERENCES xem.agents (name),
    workspace       text NOT NULL,
    tool            text NOT NULL,
    params          jsonb NOT NULL,
    risk            text NOT NULL CHECK (risk IN ('read', 'write', 'destructive', 'irreversible')),
    frame_id        uuid NOT NULL UNIQUE,
    trace_context   jsonb NOT NULL,
    state           text NOT NULL CHECK (state IN ('queued', 'sent', 'delivered', 'completed', 'ambiguous')),
    result          jsonb,
    result_frame_id uuid UNIQUE,
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    delivered_at    timestamptz,
    completed_at    timestamptz
);
CREATE INDEX dispatches_open ON xem.dispatches (agent_name, state) WHERE state IN ('queued', 'sent', 'delivered');

CREATE TABLE xem.progress (
    frame_id      uuid PRIMARY KEY,
    invocation_id uuid NOT NULL REFERENCES xem.dispatches (id),
    seq           integer NOT NULL,
    stream        text NOT NULL,
    data          text NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX progress_by_invocation ON xem.progress (invocation_id, seq);

CREATE TABLE xem.audit_events (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    agent_name  text,
    public_key  text,
    kind        text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_by_agent ON xem.audit_events (agent_name, at);

CREATE TABLE xem.alerts (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    severity    text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    agent_name  text,
    kind        text NOT NULL,
    message     text NOT NULL,
    resolved_at timestamptz
);
