-- One row per incoming log row and recipient address (lower case), so a
-- mailbox user's rows are found through an index instead of a substring match
-- on the recipients' JSON text of every row: the mailbox user's dashboard and
-- log search read only its own rows. Outgoing rows are seen by their sender,
-- so they have no rows here. Kept by a trigger as the log is written; a row's
-- recipients never change.
CREATE TABLE log_recipients (
    log_id BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (log_id, recipient)
);
CREATE INDEX log_recipients_recipient ON log_recipients (recipient, received_at, log_id);
INSERT INTO log_recipients (log_id, recipient, received_at)
    SELECT DISTINCT log.id, LOWER(recipient), log.received_at
    FROM log, json_array_elements_text(log.recipients::json) AS recipient WHERE log.direction = 'incoming';
CREATE FUNCTION log_recipients_add() RETURNS trigger AS $$
BEGIN
    IF NEW.direction = 'incoming' THEN
        BEGIN
            INSERT INTO log_recipients (log_id, recipient, received_at)
                SELECT DISTINCT NEW.id, LOWER(recipient), NEW.received_at FROM json_array_elements_text(NEW.recipients::json) AS recipient
                ON CONFLICT DO NOTHING;
        EXCEPTION WHEN OTHERS THEN
            -- As for log_domain_counts: a recipient PostgreSQL's JSON cannot
            -- hold (an escaped NUL) is no user's address; the row is logged.
            NULL;
        END;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER log_recipients_insert AFTER INSERT ON log FOR EACH ROW EXECUTE FUNCTION log_recipients_add();
CREATE FUNCTION log_recipients_remove() RETURNS trigger AS $$
BEGIN
    DELETE FROM log_recipients WHERE log_id = OLD.id;
    RETURN OLD;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER log_recipients_delete AFTER DELETE ON log FOR EACH ROW EXECUTE FUNCTION log_recipients_remove();

-- A trigram index of lower-cased senders, as 0019 made for subjects: a sender
-- substring search (`LOWER(sender) LIKE '%text%'`) reads the index.
CREATE INDEX log_sender_trigrams ON log USING gin (LOWER(sender) gin_trgm_ops);
