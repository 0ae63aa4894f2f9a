-- XEM invocations: one row per MCP tool call of an agent tool (created -> pending_approval -> dispatched ->
-- running -> succeeded | failed | rejected | timeout | cancelled | ambiguous), idempotency keys (unique by
-- constraint, with a retention), approval policies per workspace and risk, approval requests.
CREATE TABLE xem.invocations (
    id                 uuid PRIMARY KEY,   -- also the id of its xem.dispatches row once dispatched
    workspace          text NOT NULL,
    tool               text NOT NULL,
    arguments          jsonb NOT NULL,
    request_hash       text NOT NULL,      -- sha256 of the canonical (workspace, tool, arguments)
    risk               text NOT NULL CHECK (risk IN ('read', 'write', 'destructive', 'irreversible')),
    state              text NOT NULL CHECK (state IN ('created', 'pending_approval', 'dispatched', 'running', 'succeeded',
                                                      'failed', 'rejected', 'timeout', 'cancelled', 'ambiguous')),
    agent_name         text REFERENCES xem.agents (name),
    requested_agent    text,
    idempotency_key    text,
    task_id            text,
    caller             text,
    trace_context      jsonb NOT NULL,
    result             jsonb,              -- exit_code, stdout, stderr, truncated, duration_ms, status, error
    error              text,               -- why it ended without a result ([code] message)
    redispatches       integer NOT NULL DEFAULT 0,
    cancel_requested   boolean NOT NULL DEFAULT false,
    resolution         jsonb,              -- an operator's resolution of an ambiguous mutation
    late_result        boolean NOT NULL DEFAULT false,
    odm_state          text NOT NULL DEFAULT 'none' CHECK (odm_state IN ('none', 'pending', 'recorded')),
    odm_attempts       integer NOT NULL DEFAULT 0,
    odm_error          text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    dispatched_at      timestamptz,
    started_at         timestamptz,
    finished_at        timestamptz
);
CREATE INDEX invocations_by_state ON xem.invocations (state, created_at);
CREATE INDEX invocations_by_agent ON xem.invocations (agent_name) WHERE state IN ('dispatched', 'running');
CREATE INDEX invocations_odm_pending ON xem.invocations (updated_at) WHERE odm_state = 'pending';

-- The idempotency guarantee is this primary key: concurrent first uses of one key serialise on it.
CREATE TABLE xem.idempotency_keys (
    key           text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 255),
    -- deferred: the key is claimed first, in the transaction that then inserts the invocation
    invocation_id uuid NOT NULL REFERENCES xem.invocations (id) DEFERRABLE INITIALLY DEFERRED,
    request_hash  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);

CREATE TABLE xem.approval_policies (
    workspace   text NOT NULL,
    risk        text NOT NULL CHECK (risk IN ('read', 'write', 'destructive', 'irreversible')),
    required    boolean NOT NULL,
    sla_s       integer NOT NULL CHECK (sla_s > 0),
    escalation  text[] NOT NULL DEFAULT '{}',
    inline      boolean NOT NULL,
    updated_by  text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace, risk)
);

CREATE TABLE xem.approvals (
    id            uuid PRIMARY KEY,
    invocation_id uuid NOT NULL REFERENCES xem.invocations (id),
    level         integer NOT NULL DEFAULT 0,   -- 0: first approver; n: the n-th step of the escalation chain
    assignee      text,
    state         text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'timeout', 'escalated')),
    due_at        timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    decided_at    timestamptz,
    decided_by    text,
    reason        text,
    via           text,                          -- xeroctl | mcp | elicitation | sla
    CHECK ((state = 'pending') = (decided_at IS NULL))
);
-- one open request per invocation: the first decision wins
CREATE UNIQUE INDEX approvals_one_pending ON xem.approvals (invocation_id) WHERE state = 'pending';
CREATE INDEX approvals_due ON xem.approvals (due_at) WHERE state = 'pending';

-- a dispatch cancelled before it was sent never leaves the router
ALTER TABLE xem.dispatches DROP CONSTRAINT dispatches_state_check;
ALTER TABLE xem.dispatches ADD CONSTRAINT dispatches_state_check
    CHECK (state IN ('queued', 'sent', 'delivered', 'completed', 'ambiguous', 'cancelled'));
