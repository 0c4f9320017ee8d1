-- A trigram index of log subjects (FTS5, external content: the text stays in
-- `log`), so a subject search for a rare piece of text finds its rows without
-- reading the whole log. Kept in step by triggers; a subject is never changed.
CREATE VIRTUAL TABLE log_subject_search USING fts5(subject, content = 'log', content_rowid = 'id', tokenize = 'trigram');
INSERT INTO log_subject_search (log_subject_search) VALUES ('rebuild');
CREATE TRIGGER log_subject_search_insert AFTER INSERT ON log BEGIN
    INSERT INTO log_subject_search (rowid, subject) VALUES (new.id, new.subject);
END;
CREATE TRIGGER log_subject_search_delete AFTER DELETE ON log BEGIN
    INSERT INTO log_subject_search (log_subject_search, rowid, subject) VALUES ('delete', old.id, old.subject);
END;
