-- A person at a road checkpoint who showed a pass is also an entry in the gate's log (scanner/gate.py):
-- the checkpoint person names that entry, so the daily report counts them once, as a checkpoint
-- person, not a second time among the entries (docs/checkpoint.md, docs/reports.md). NULL: no pass
-- shown, or a record from before this migration.
ALTER TABLE checkpoint_people ADD COLUMN entry_id TEXT;
CREATE INDEX checkpoint_people_entry ON checkpoint_people (entry_id) WHERE entry_id IS NOT NULL;
