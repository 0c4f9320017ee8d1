-- How familiar the mail stream is to the global model, per node
-- (sluice-statistical familiarity.rs, sluice-gateway familiarity.rs): the median
-- share of known features over the node's last `messages` scored messages
-- (at most 1,000), saved every minute once it has seen 50. A node that starts,
-- and `sluice explain` / `classify` / `eval`, go by the figures of the nodes
-- updated within a day, weighted by their messages, until they have seen 50
-- messages of their own. One row per node; a node's row is replaced.
CREATE TABLE stream_familiarity (
    node_id TEXT PRIMARY KEY,
    median_share DOUBLE PRECISION NOT NULL,
    messages BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
