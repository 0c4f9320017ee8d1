-- Per-domain filtering settings as changed at run time through the API. `seed` is
-- the configuration file's version they were last seeded from: when the file's
-- changes, the file wins again.
CREATE TABLE domain_settings (
    name TEXT PRIMARY KEY,
    settings TEXT NOT NULL,
    seed TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
