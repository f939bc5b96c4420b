-- Entries are placed at their corrected time (gateway/ingest.py): scanned_ts is the gate's time plus
-- the gate's measured clock offset at the decision. gate_ts keeps the gate's raw clock (scanned_at
-- keeps the text as sent); time_flag says when the placement is a guess:
--   offset_unknown  the gate had no measured offset: placed by its raw clock
--   implausible     the corrected time was older than the retention period (a gate without a
--                   real-time clock, or a clock years off): placed at the receipt time instead
ALTER TABLE entries ADD COLUMN gate_ts REAL;
ALTER TABLE entries ADD COLUMN time_flag TEXT;
