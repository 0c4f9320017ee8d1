-- Reputation-gated greylisting (sluice-core checks/greylisting.rs).
-- A triplet is a client network (IPv4 /24, IPv6 /64), an envelope sender and a
-- recipient, first seen at `first_seen` (ms since the epoch). `client_history`
-- holds, per client network, when mail from it was last accepted; `sender_history`
-- per network and sender domain, when mail from that domain with an SPF pass was
-- last accepted from it. Rows past their windows are deleted by retention.
CREATE TABLE greylist_triplets (
    triplet TEXT PRIMARY KEY,
    first_seen BIGINT NOT NULL
);
CREATE INDEX greylist_triplets_first_seen ON greylist_triplets (first_seen);
CREATE TABLE client_history (
    network TEXT PRIMARY KEY,
    last_accepted BIGINT NOT NULL
);
CREATE TABLE sender_history (
    network TEXT NOT NULL,
    sender_domain TEXT NOT NULL,
    last_accepted BIGINT NOT NULL,
    PRIMARY KEY (network, sender_domain)
);
