-- Bus: the append-only event log. Publishers take a transaction-scoped advisory lock, so ids are
-- committed in order and a reader paging with after_id never skips an event committed later.
CREATE TABLE public.events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic      text NOT NULL CHECK (topic ~ '^[a-z0-9][a-z0-9_.-]{0,127}$'),
    severity   text NOT NULL DEFAULT 'info' CHECK (severity IN ('debug', 'info', 'warning', 'error', 'critical')),
    source     text,
    payload    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_topic ON public.events (topic, id);

CREATE FUNCTION public.events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only' USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON public.events
    FOR EACH ROW EXECUTE FUNCTION public.events_append_only();
