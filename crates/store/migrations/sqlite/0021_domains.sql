-- Filtered domains added through the API or the web interface, beside the
-- configuration file's `[[domains]]` (a file domain of the same name wins).
-- `name` is lower case and validated as the file's; `destination` is the
-- `host:port` accepted mail is relayed to. A removed domain keeps its row with
-- `removed_at` set, so mail it accepted before and still queued is delivered to
-- the destination it had; adding the name again brings the row back.
-- `domain_versions` has one row whose `version` goes up with every change, so
-- every node can tell a change from one number.
CREATE TABLE domains (
    name TEXT PRIMARY KEY,
    destination TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    removed_by TEXT,
    removed_at BIGINT
);
CREATE TABLE domain_versions (
    id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO domain_versions (id, version) VALUES (1, 0);
