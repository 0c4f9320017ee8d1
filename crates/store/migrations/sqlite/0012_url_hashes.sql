-- URL hash lists (Safe Browsing v4 local-database style): one row per full SHA-256
-- hash of a host-suffix/path-prefix expression, as 64 lower-case hex digits. `list`
-- is `phishing` or `malware`. An import replaces a whole list and bumps its row of
-- `url_hash_versions`, so every node notices the change and reloads.
CREATE TABLE url_hashes (
    list TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (list, hash)
);
CREATE TABLE url_hash_versions (
    list TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    imported_at INTEGER NOT NULL
);
