-- What the bridge learns from invocations and what it keeps to roll back to.
-- Learnings: one row per (workspace, tool, redacted parameter set) with its successes and failures, so a planner
-- can ask for known-good parameters (most used first); secrets are redacted before a set is stored or hashed.
CREATE TABLE xem.learnings (
    workspace          text NOT NULL,
    tool               text NOT NULL,
    params_key         text NOT NULL,      -- sha256 of the canonical redacted parameter set
    params             jsonb NOT NULL,     -- the redacted parameter set
    successes          integer NOT NULL DEFAULT 0 CHECK (successes >= 0),
    failures           integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_success_at    timestamptz,
    last_failure_at    timestamptz,
    last_invocation_id uuid,
    PRIMARY KEY (workspace, tool, params_key)
);
CREATE INDEX learnings_known_good ON xem.learnings (workspace, tool, successes DESC) WHERE successes > 0;

-- the arguments with their secrets redacted, by the schema the call was validated against; null when nothing was
-- redacted (then they are the arguments): what learnings count, without reading the manifest again per result
ALTER TABLE xem.invocations ADD COLUMN arguments_redacted jsonb;

-- auto-fork-branch: before a destructive or irreversible invocation can be dispatched, the point a caller's
-- conversation can roll back to (its declared branch/session reference, the arguments, the time).
CREATE TABLE xem.fork_points (
    id            uuid PRIMARY KEY,
    invocation_id uuid NOT NULL UNIQUE REFERENCES xem.invocations (id) ON DELETE CASCADE,
    workspace     text NOT NULL,
    tool          text NOT NULL,
    risk          text NOT NULL CHECK (risk IN ('destructive', 'irreversible')),
    arguments     jsonb NOT NULL,     -- redacted like learnings
    branch_ref    text CHECK (length(branch_ref) <= 200),
    caller        text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fork_points_recent ON xem.fork_points (created_at DESC);
