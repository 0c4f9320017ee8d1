-- Sender reputation (sluice-gateway reputation.rs, sluice-core checks/reputation.rs):
-- per sender (kind 'network': an IPv4 /24 or IPv6 /64; kind 'domain': an
-- authenticated domain) the mail accepted, refused, reported as spam and
-- released, each stored multiplied by 2^((t - 2026-01-01) / 14 days) so that
-- nodes add their batches with plain additions and the decayed count is the
-- stored one times 2^(-(now - 2026-01-01) / 14 days). `updated_ms` lets every
-- node read what changed since its last read. Rows whose decayed total falls
-- under one message are deleted by the retention sweep.
CREATE TABLE sender_reputation (
    kind TEXT NOT NULL,
    sender TEXT NOT NULL,
    accepted DOUBLE PRECISION NOT NULL,
    refused DOUBLE PRECISION NOT NULL,
    reported DOUBLE PRECISION NOT NULL,
    released DOUBLE PRECISION NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (kind, sender)
);
CREATE INDEX sender_reputation_updated ON sender_reputation (updated_ms);
-- Which senders a logged message counted for, so that a later report or
-- release moves its count (deleted with the training retention).
CREATE TABLE reputation_sources (
    log_id BIGINT PRIMARY KEY,
    network TEXT,
    domain TEXT,
    created_ms BIGINT NOT NULL
);
CREATE INDEX reputation_sources_created ON reputation_sources (created_ms);
