-- The console's Today page (issue 11 part 8) lists open alerts: a worker who has dealt with one
-- marks it handled (audited as alert.handle); it stays in the alert list and the daily report.
ALTER TABLE alerts ADD COLUMN handled_at TEXT;
ALTER TABLE alerts ADD COLUMN handled_by TEXT;
CREATE INDEX alerts_open ON alerts (handled_at, id);
