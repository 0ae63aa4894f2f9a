-- Bus: the latest capacity report of each host (spec 4.1B) and alerts (active -> acknowledged -> resolved).
CREATE TABLE public.host_capacity (
    host_id               text PRIMARY KEY CHECK (host_id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    ram_gb                double precision NOT NULL CHECK (ram_gb > 0),
    available_ram_gb      double precision NOT NULL CHECK (available_ram_gb >= 0 AND available_ram_gb <= ram_gb),
    reserved_ram_gb       double precision NOT NULL DEFAULT 0 CHECK (reserved_ram_gb >= 0 AND reserved_ram_gb <= ram_gb),
    ram_per_agent_gb      double precision NOT NULL CHECK (ram_per_agent_gb > 0),
    max_concurrent_agents integer CHECK (max_concurrent_agents >= 0),
    active_agents         integer NOT NULL CHECK (active_agents >= 0),
    active_services       text[] NOT NULL DEFAULT '{}',
    status                text NOT NULL DEFAULT 'online' CHECK (status IN ('online', 'offline', 'degraded', 'maintenance')),
    reported_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.alerts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    severity        text NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    detail          text,
    source          text,
    environment     text,
    dedup_key       text,
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'acknowledged', 'resolved')),
    occurrences     integer NOT NULL DEFAULT 1,
    raised_by       text NOT NULL,
    raised_at       timestamptz NOT NULL DEFAULT now(),
    last_raised_at  timestamptz NOT NULL DEFAULT now(),
    acknowledged_by text,
    acknowledged_at timestamptz,
    resolved_by     text,
    resolved_at     timestamptz,
    resolution      text,
    CHECK ((status = 'active') OR acknowledged_at IS NOT NULL OR resolved_at IS NOT NULL),
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
-- one unresolved alert per dedup key: raising it again counts an occurrence instead
CREATE UNIQUE INDEX alerts_open_dedup ON public.alerts (dedup_key) WHERE status <> 'resolved' AND dedup_key IS NOT NULL;
CREATE INDEX alerts_status ON public.alerts (status, id);
