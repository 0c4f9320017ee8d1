-- Outgoing mail (authenticated submission). A queue entry of a message an
-- authenticated user submitted is marked `outgoing`: delivery prepares it for the
-- next hop (`gateway::delivery::outgoing::prepare_outgoing`: DKIM signing, BATV)
-- and routes recipients outside our domains through the smarthost when one is set.
ALTER TABLE queue ADD COLUMN outgoing INTEGER NOT NULL DEFAULT 0;

-- The auth log: what happened to SMTP AUTH that an admin must see, one row per
-- event (a brute-force lockout beginning), never one per attempt. `scope` is
-- `client` or `user`: what was locked out.
CREATE TABLE auth_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    node TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    username TEXT NOT NULL,
    event TEXT NOT NULL,
    scope TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX auth_log_at ON auth_log (at);
