-- Issue 14: who sees a quarantined message. Incoming mail is seen by its
-- recipients' audience; outgoing mail (authenticated submission) by its
-- sender's, as its log row is: the mailbox that sent it and the domain
-- administrators of the sender's domain, never its recipients (who may be
-- mailboxes of ours). Rows from before this migration take their log row's
-- direction.
ALTER TABLE quarantine ADD COLUMN direction TEXT NOT NULL DEFAULT 'incoming';
UPDATE quarantine SET direction = 'outgoing' WHERE log_id IN (SELECT id FROM log WHERE direction = 'outgoing');
