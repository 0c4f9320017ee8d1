-- A trigram index of lower-cased log subjects, so the subject search
-- (`LOWER(subject) LIKE '%text%'`) for a rare piece of text reads the index, not
-- the whole log. pg_trgm ships with PostgreSQL and is a trusted extension (the
-- database's owner may create it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX log_subject_trigrams ON log USING gin (LOWER(subject) gin_trgm_ops);
