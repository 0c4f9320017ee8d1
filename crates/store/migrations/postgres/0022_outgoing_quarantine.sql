-- Who sees a quarantined message. Incoming mail is seen by its
-- recipients' audience; outgoing mail (authenticated submission) by its
-- sender's, as its log row is: the mailbox that sent it and the domain
-- administrators of the sender's domain, never its recipients (who may be
-- mailboxes of ours). Rows from before this migration take their log row's
-- direction.
ALTER TABLE quarantine ADD COLUMN direction TEXT NOT NULL DEFAULT 'incoming';
-- (Each quarantine row looks its log row up by id: the log may hold millions.)
UPDATE quarantine SET direction = 'outgoing'
    WHERE EXISTS (SELECT 1 FROM log WHERE log.id = quarantine.log_id AND log.direction = 'outgoing');
