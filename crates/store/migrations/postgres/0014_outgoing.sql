-- Outgoing mail (authenticated submission). A queue entry of a message an
-- authenticated user submitted is marked `outgoing`: delivery prepares it for the
-- next hop (`gateway::delivery::outgoing::prepare_outgoing`: DKIM signing, BATV)
-- and routes recipients outside our domains through the smarthost when one is set.
ALTER TABLE queue ADD COLUMN outgoing BIGINT NOT NULL DEFAULT 0;
