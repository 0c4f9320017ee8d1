-- What reported spam looked like (match-set1 digests, match-set2 signatures,
-- contact addresses, UCEPP items: the fingerprints as JSON), in order; every node
-- applies the rows it has not applied yet to its in-memory index. `learn` is 1
-- for a report as spam (the fingerprints are added) and 0 for a release or a
-- report as not spam (what they match is forgotten). Rows go after the
-- retention, and beyond a size cap the oldest go first.
CREATE TABLE fingerprint_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at INTEGER NOT NULL,
    node TEXT NOT NULL,
    learn INTEGER NOT NULL,
    fingerprints BLOB NOT NULL
);
CREATE INDEX fingerprint_reports_created_at ON fingerprint_reports (created_at);
