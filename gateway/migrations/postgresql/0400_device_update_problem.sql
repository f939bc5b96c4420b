-- PostgreSQL twin of sqlite/0400_device_update_problem.sql (the same statements).
-- A gate that cannot use the bundles it receives says why at its next contact
-- (POST /api/v1/devices/status); the console and the daily report show "cannot update: REASON".
ALTER TABLE devices ADD COLUMN update_problem TEXT;
ALTER TABLE devices ADD COLUMN update_problem_at TEXT;
