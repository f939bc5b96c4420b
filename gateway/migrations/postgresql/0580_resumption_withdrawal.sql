-- PostgreSQL twin of sqlite/0580_resumption_withdrawal.sql: a resumption approval can be withdrawn
-- (关停, Kunshan directive of October 2020 §一 item 8): the state `withdrawn`, and who withdrew it,
-- when and why (the columns come last, as on SQLite).
ALTER TABLE resumptions DROP CONSTRAINT resumptions_state_check;
ALTER TABLE resumptions ADD CONSTRAINT resumptions_state_check
    CHECK (state IN ('pending', 'approved', 'refused', 'withdrawn'));
ALTER TABLE resumptions ADD COLUMN withdrawn_by TEXT;
ALTER TABLE resumptions ADD COLUMN withdrawn_at TEXT;
ALTER TABLE resumptions ADD COLUMN withdrawal_reason TEXT;
