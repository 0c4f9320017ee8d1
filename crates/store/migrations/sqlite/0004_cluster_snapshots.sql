-- The cluster model as of learning row `covers`, so that old learning rows can be
-- deleted and a starting node need not replay every row ever written.
CREATE TABLE cluster_snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    covers INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    snapshot BLOB NOT NULL
);
