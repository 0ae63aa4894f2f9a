-- Scoped API keys for streamable HTTP (all three servers read them here) and the audit log of this
-- database (authentication failures, management calls). A key is never stored: secret_hash is the
-- SHA-256 of the whole key (high-entropy random tokens need no slow hash), compared in constant time.
CREATE TABLE public.api_keys (
    id           text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{12}$'),
    name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    scopes       text[] NOT NULL CHECK (scopes <@ ARRAY['execution', 'management', 'research', 'inference']::text[]),
    secret_hash  bytea NOT NULL CHECK (length(secret_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    replaced_by  text REFERENCES public.api_keys (id) DEFERRABLE INITIALLY DEFERRED,  -- set as the new key is inserted
    last_used_at timestamptz
);
-- one usable key per name: rotation revokes (or expires) the old one as it mints the new one
CREATE UNIQUE INDEX api_keys_one_active_name ON public.api_keys (name) WHERE revoked_at IS NULL AND replaced_by IS NULL;

CREATE TABLE public.audit_log (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    server  text NOT NULL,
    actor   text NOT NULL,
    action  text NOT NULL,
    target  text,
    outcome text NOT NULL,
    detail  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON public.audit_log (at);

-- append-only: the audit trail is never rewritten
CREATE FUNCTION public.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON public.audit_log
    FOR EACH ROW EXECUTE FUNCTION public.audit_log_append_only();
