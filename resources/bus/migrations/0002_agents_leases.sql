-- Bus: the agent registry (liveness is computed from last_heartbeat_at at read time) and named
-- leases with fencing tokens. bus.agent_registry.id is the ODM agent id by convention only.
CREATE TABLE public.agent_registry (
    id                text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$'),
    role              text NOT NULL,
    registration_name text,
    host_id           text,
    capabilities      text[] NOT NULL DEFAULT '{}',
    reported_status   text NOT NULL DEFAULT 'online' CHECK (reported_status IN ('online', 'error', 'offline')),
    status_since      timestamptz NOT NULL DEFAULT now(),
    in_flight         text[] NOT NULL DEFAULT '{}',
    note              text,
    registered_at     timestamptz NOT NULL DEFAULT now(),
    last_heartbeat_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_registry_role ON public.agent_registry (role);

-- A lease is held while now() < expires_at. Release sets expires_at to now() and keeps the last
-- holder and token, so the next grant's token is always larger than every earlier one.
CREATE TABLE public.leases (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_.:-]{0,127}$'),
    holder      text NOT NULL,
    token       bigint NOT NULL CHECK (token > 0),
    acquired_at timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    released_at timestamptz
);
