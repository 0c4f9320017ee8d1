-- Messages kept for delivery or quarantine; raw bytes as received (with our Received: header).
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    raw BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- One row per SMTP transaction outcome (and per refused recipient at SMTP time).
CREATE TABLE log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id TEXT,
    received_at BIGINT NOT NULL,
    direction TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    helo TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    main_class TEXT NOT NULL,
    sub_class TEXT NOT NULL,
    error_class TEXT,
    extra_class TEXT NOT NULL,
    score DOUBLE PRECISION,
    reply TEXT NOT NULL,
    action TEXT NOT NULL,
    quarantine_id TEXT,
    delivery TEXT
);
CREATE INDEX log_received_at ON log (received_at);

CREATE TABLE quarantine (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages (id),
    log_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    main_class TEXT NOT NULL,
    sub_class TEXT NOT NULL,
    released_at BIGINT,
    released_by TEXT
);
CREATE INDEX quarantine_created_at ON quarantine (created_at);

-- Outgoing deliveries: one row per message and destination route.
CREATE TABLE queue (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages (id),
    log_id BIGINT,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    route TEXT NOT NULL,
    is_bounce BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    last_error TEXT,
    locked_until BIGINT NOT NULL,
    -- The node holding the lease, so a restarted node takes back its own at once.
    lease_owner TEXT
);
CREATE INDEX queue_next_attempt_at ON queue (next_attempt_at);
