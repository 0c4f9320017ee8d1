-- Every delivery attempt of a logged message (the log row's `delivery` column
-- keeps only the latest outcome): when, to which destination route, and what
-- came of it (`delivered`, `deferred`, `bounced`, ...) with the detail the
-- destination gave. Shown on the message's page of the web interface; kept as
-- long as the log itself (a few rows per delivered message).
CREATE TABLE delivery_attempts (
    id BIGSERIAL PRIMARY KEY,
    log_id BIGINT NOT NULL,
    attempted_at BIGINT NOT NULL,
    route TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX delivery_attempts_log_id ON delivery_attempts (log_id);

-- Log rows per hour (of received_at), direction and main class, kept by a
-- trigger as rows are written (a main class never changes afterwards): the
-- administrator's dashboard reads 720 rows for 30 days instead of a million.
CREATE TABLE log_counts (
    hour BIGINT NOT NULL,
    direction TEXT NOT NULL,
    main_class TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (hour, direction, main_class)
);
INSERT INTO log_counts (hour, direction, main_class, count)
    SELECT received_at / 3600000, direction, main_class, COUNT(*) FROM log GROUP BY received_at / 3600000, direction, main_class;
CREATE FUNCTION log_counts_add() RETURNS trigger AS $$
BEGIN
    INSERT INTO log_counts (hour, direction, main_class, count) VALUES (NEW.received_at / 3600000, NEW.direction, NEW.main_class, 1)
        ON CONFLICT (hour, direction, main_class) DO UPDATE SET count = log_counts.count + 1;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER log_counts_insert AFTER INSERT ON log FOR EACH ROW EXECUTE FUNCTION log_counts_add();


-- Incoming log rows per recipient domain, hour and main class, kept the same
-- way, for a domain administrator's dashboard (a message to two domains counts
-- once for each).
CREATE TABLE log_domain_counts (
    domain TEXT NOT NULL,
    hour BIGINT NOT NULL,
    main_class TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (domain, hour, main_class)
);
INSERT INTO log_domain_counts (domain, hour, main_class, count)
    SELECT domain, hour, main_class, COUNT(*) FROM (
        SELECT DISTINCT log.id, LOWER(regexp_replace(recipient, '^.*@', '')) AS domain, log.received_at / 3600000 AS hour, log.main_class
        FROM log, json_array_elements_text(log.recipients::json) AS recipient WHERE log.direction = 'incoming') AS per_domain
    GROUP BY domain, hour, main_class;
CREATE FUNCTION log_domain_counts_add() RETURNS trigger AS $$
BEGIN
    IF NEW.direction = 'incoming' THEN
        BEGIN
            INSERT INTO log_domain_counts (domain, hour, main_class, count)
                SELECT DISTINCT LOWER(regexp_replace(recipient, '^.*@', '')), NEW.received_at / 3600000, NEW.main_class, 1
                FROM json_array_elements_text(NEW.recipients::json) AS recipient
                ON CONFLICT (domain, hour, main_class) DO UPDATE SET count = log_domain_counts.count + 1;
        EXCEPTION WHEN OTHERS THEN
            -- A count is not worth a refused message (a recipient PostgreSQL's
            -- JSON cannot hold, say): the row is logged uncounted.
            NULL;
        END;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER log_domain_counts_insert AFTER INSERT ON log FOR EACH ROW EXECUTE FUNCTION log_domain_counts_add();
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
