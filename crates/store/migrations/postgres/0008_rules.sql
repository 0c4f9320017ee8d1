-- The administrators' filtering rules: one row per rule. `scope` is `global`,
-- `domain:NAME` or `mailbox:ADDRESS`; `field`, `header` (field `header` only,
-- else empty), `operator`, `value` and `action` are validated by sluice-core
-- before they are stored. `revision` is one more than the largest revision in
-- the table whenever a rule is added or changed, so every node can tell a change
-- from (MAX(revision), COUNT(*)) alone.
CREATE TABLE rules (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    field TEXT NOT NULL,
    header TEXT NOT NULL,
    operator TEXT NOT NULL,
    value TEXT NOT NULL,
    action TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX rules_scope ON rules (scope);
