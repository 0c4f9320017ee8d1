-- One row per incoming log row and recipient address (lower case), so a
-- mailbox user's rows are found through an index instead of a substring match
-- on the recipients' JSON text of every row: the mailbox user's dashboard and
-- log search read only its own rows. Outgoing rows are seen by their sender,
-- so they have no rows here. Kept by triggers as the log is written; a row's
-- recipients never change.
CREATE TABLE log_recipients (
    log_id BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (log_id, recipient)
);
CREATE INDEX log_recipients_recipient ON log_recipients (recipient, received_at, log_id);
INSERT OR IGNORE INTO log_recipients (log_id, recipient, received_at)
    SELECT log.id, LOWER(value), log.received_at FROM log, json_each(log.recipients) WHERE log.direction = 'incoming';
CREATE TRIGGER log_recipients_insert AFTER INSERT ON log WHEN new.direction = 'incoming' BEGIN
    INSERT OR IGNORE INTO log_recipients (log_id, recipient, received_at)
        SELECT new.id, LOWER(value), new.received_at FROM json_each(new.recipients);
END;
CREATE TRIGGER log_recipients_delete AFTER DELETE ON log BEGIN
    DELETE FROM log_recipients WHERE log_id = old.id;
END;

-- A trigram index of log senders, as 0019 made for subjects: a sender
-- substring search reads the index, not the whole log.
CREATE VIRTUAL TABLE log_sender_search USING fts5(sender, content = 'log', content_rowid = 'id', tokenize = 'trigram');
INSERT INTO log_sender_search (log_sender_search) VALUES ('rebuild');
CREATE TRIGGER log_sender_search_insert AFTER INSERT ON log BEGIN
    INSERT INTO log_sender_search (rowid, sender) VALUES (new.id, new.sender);
END;
CREATE TRIGGER log_sender_search_delete AFTER DELETE ON log BEGIN
    INSERT INTO log_sender_search (log_sender_search, rowid, sender) VALUES ('delete', old.id, old.sender);
END;
