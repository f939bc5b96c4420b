-- PostgreSQL twin of sqlite/0513_checkpoint_chain.sql.
-- Checkpoint records hash-chained per device (issue 14 part 1, review): like a gate's entries, each
-- record carries seq, prev_hash and hash (keys/chain.py), checked at ingest. Records stored before
-- this migration keep NULL in all four columns: readable, reported, outside any chain.
ALTER TABLE checkpoint_records ADD COLUMN seq BIGINT;
ALTER TABLE checkpoint_records ADD COLUMN prev_hash TEXT;
ALTER TABLE checkpoint_records ADD COLUMN hash TEXT;
ALTER TABLE checkpoint_records ADD COLUMN chain_ok INTEGER;  -- 1 links, 0 broke the chain, NULL before it
CREATE INDEX checkpoint_records_chain ON checkpoint_records (device_id, seq);
