-- Filtering settings at three scopes: `global` (name ''), `domain` (its name) and
-- `mailbox` (an address). `settings` holds only the keys set at that scope (JSON);
-- `seed` is the configuration file's version they were last seeded from ('' for
-- scopes only the API sets): when the file's changes, the file wins again.
-- Replaces `domain_settings`, whose rows held every key and so would hide the
-- global defaults; domains are seeded again from the file on the next start.
CREATE TABLE scoped_settings (
    scope TEXT NOT NULL,
    name TEXT NOT NULL,
    settings TEXT NOT NULL,
    seed TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (scope, name)
);
DROP TABLE domain_settings;
