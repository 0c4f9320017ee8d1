-- The administrators' allow and block lists: one row per entry. `kind` is `allow`
-- or `block`; `scope` is `global`, `domain:NAME` or `mailbox:ADDRESS`; `field` is
-- `sender`, `recipient`, `ip`, `helo` or `hostname`; `value` is in canonical form
-- (validated by sluice-core before it is stored). Ids are never reused, so every
-- node can tell a change from (MAX(id), COUNT(*)) alone.
CREATE TABLE list_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    unauthenticated INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX list_entries_kind_scope ON list_entries (kind, scope);
