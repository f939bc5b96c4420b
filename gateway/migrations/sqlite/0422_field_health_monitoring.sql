-- Daily health monitoring (gateway/monitoring.py): whether a check was abnormal (at or above the
-- fever threshold, or a listed symptom) is decided once, when it is recorded, and kept with it.
ALTER TABLE health_checks ADD COLUMN abnormal INTEGER NOT NULL DEFAULT 0;
-- the checks of one day, for the daily report and the "not checked today" list
CREATE INDEX health_checks_day ON health_checks (checked_at, person_id);
