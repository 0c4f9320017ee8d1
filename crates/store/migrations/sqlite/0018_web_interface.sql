-- Every delivery attempt of a logged message (the log row's `delivery` column
-- keeps only the latest outcome): when, to which destination route, and what
-- came of it (`delivered`, `deferred`, `bounced`, ...) with the detail the
-- destination gave. Shown on the message's page of the web interface; kept as
-- long as the log itself (a few rows per delivered message).
CREATE TABLE delivery_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    log_id BIGINT NOT NULL,
    attempted_at BIGINT NOT NULL,
    route TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX delivery_attempts_log_id ON delivery_attempts (log_id);

-- The dashboard counts incoming messages per main class over a time range from
-- this index alone (no row is read): fast on a million rows.
CREATE INDEX log_direction_received_at_main_class ON log (direction, received_at, main_class);

-- Per-user API tokens: a bearer token acts as its user, with its role. Only the
-- SHA-256 of the token is kept (tokens are 256 random bits, so a plain hash is
-- enough: there is nothing to guess); the token itself is shown once.
CREATE TABLE api_tokens (
    hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX api_tokens_user_name ON api_tokens (user_name);
