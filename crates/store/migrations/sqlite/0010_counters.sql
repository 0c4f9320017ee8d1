-- Counters shared by every node of a cluster (connection rate limits; later
-- greylisting and dictionary-attack counts): one row per name and fixed window.
-- `window_start` is the window's start in seconds since the epoch. Nodes add
-- their counts in batches (sluice-gateway counters.rs); rows of past windows are
-- deleted by the retention sweep.
CREATE TABLE counters (
    name TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (name, window_start)
);
CREATE INDEX counters_window_start ON counters (window_start);
