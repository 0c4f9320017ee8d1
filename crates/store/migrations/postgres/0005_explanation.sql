-- Every finding of a transaction, the lookups made for it and the decision path
-- (JSON, see `Explanation`), so `GET /api/v1/logs/{id}` can explain a decision.
ALTER TABLE log ADD COLUMN explanation TEXT NOT NULL DEFAULT '{}';
