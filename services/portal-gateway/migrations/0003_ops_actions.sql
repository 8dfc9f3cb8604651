-- Every operator action on the broker (replay, discard), with who did it and what it hit.
CREATE TABLE ops_actions (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor_id uuid NOT NULL,
    actor_username text NOT NULL,
    action text NOT NULL CHECK (action IN ('replay', 'discard')),
    queue text NOT NULL,
    -- The dead letter chosen, or NULL when the action applied to the whole queue.
    message_key text,
    affected integer NOT NULL,
    message_keys text[] NOT NULL DEFAULT '{}',
    outcome text NOT NULL DEFAULT 'ok',
    detail text
);
CREATE INDEX ops_actions_at ON ops_actions (at DESC);
