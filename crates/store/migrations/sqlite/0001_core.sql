-- Messages kept for delivery or quarantine; raw bytes as received (with our Received: header).
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    raw BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- One row per SMTP transaction outcome (and per refused recipient at SMTP time).
CREATE TABLE log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT,
    received_at INTEGER NOT NULL,
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
    score REAL,
    reply TEXT NOT NULL,
    action TEXT NOT NULL,
    quarantine_id TEXT,
    delivery TEXT
);
CREATE INDEX log_received_at ON log (received_at);

CREATE TABLE quarantine (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages (id),
    log_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    main_class TEXT NOT NULL,
    sub_class TEXT NOT NULL,
    released_at INTEGER,
    released_by TEXT
);
CREATE INDEX quarantine_created_at ON quarantine (created_at);

-- Outgoing deliveries: one row per message and destination route.
CREATE TABLE queue (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages (id),
    log_id INTEGER,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    route TEXT NOT NULL,
    is_bounce INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    locked_until INTEGER NOT NULL,
    -- The node holding the lease, so a restarted node takes back its own at once.
    lease_owner TEXT
);
CREATE INDEX queue_next_attempt_at ON queue (next_attempt_at);
