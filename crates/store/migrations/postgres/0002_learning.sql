-- What the statistical classifiers learned on any node (releases, reports, sluice train),
-- in order; every node replays the rows it has not applied yet.
CREATE TABLE token_deltas (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at BIGINT NOT NULL,
    node TEXT NOT NULL,
    delta BYTEA NOT NULL
);
CREATE INDEX messages_created_at ON messages (created_at);
