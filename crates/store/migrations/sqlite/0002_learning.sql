-- What the statistical classifiers learned on any node (releases, reports, sluice train),
-- in order; every node replays the rows it has not applied yet.
CREATE TABLE token_deltas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at INTEGER NOT NULL,
    node TEXT NOT NULL,
    delta BLOB NOT NULL
);
CREATE INDEX messages_created_at ON messages (created_at);
