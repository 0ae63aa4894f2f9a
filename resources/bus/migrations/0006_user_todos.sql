-- Bus: the human attention queue (spec 4.14 User ToDo). The partial unique index is the dedup
-- guarantee: at most one open (open or in_progress) todo per linked object, even with several
-- scanners racing. completed_at is set exactly when the status is done or dismissed.
CREATE TABLE public.user_todos (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title        text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description  text,
    priority     text NOT NULL DEFAULT 'medium' CHECK (priority IN ('critical', 'high', 'medium', 'low')),
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'done', 'dismissed')),
    environment  text,
    linked_type  text CHECK (linked_type IN ('escalation', 'alert', 'agent', 'task', 'approval', 'budget')),
    linked_id    text,
    linked_url   text,
    assigned_to  text NOT NULL,
    created_by   text NOT NULL CHECK (length(btrim(created_by)) > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    sort_order   integer NOT NULL DEFAULT 0,
    CHECK ((status IN ('done', 'dismissed')) = (completed_at IS NOT NULL)),
    CHECK (linked_id IS NULL OR linked_type IS NOT NULL)
);
CREATE UNIQUE INDEX user_todos_open_link ON public.user_todos (linked_type, linked_id)
    WHERE status IN ('open', 'in_progress') AND linked_id IS NOT NULL;
CREATE INDEX user_todos_queue ON public.user_todos (status, priority, sort_order, created_at);
CREATE INDEX user_todos_link ON public.user_todos (linked_type, linked_id, completed_at);
