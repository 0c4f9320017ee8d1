-- The cluster model as of learning row `covers`, so that old learning rows can be
-- deleted and a starting node need not replay every row ever written.
CREATE TABLE cluster_snapshots (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    covers BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    snapshot BYTEA NOT NULL
);
