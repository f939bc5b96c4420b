-- PostgreSQL twin of sqlite/0490_entries_report_covering.sql: the day's scans of the daily report
-- can read entries_report alone (an index-only scan, where autovacuum has set the visibility map).
-- Plain key columns as on SQLite, not INCLUDE (...): measured on 1,000,000 entries both indexes are
-- 155 MB (B-tree suffix truncation already keeps the trailing columns out of the inner pages), so
-- the one definition serves both backends. PostgreSQL reads the table itself instead when the day
-- is most of it (bench_store's data: one day and a tenth); a deployment keeps 28 days (retention_days).
-- Rebuilding it holds off writes to entries while it builds (migrations run in one transaction,
-- so not CONCURRENTLY): gates keep their entries and upload them after the upgrade.
DROP INDEX entries_report;
CREATE INDEX entries_report ON entries (scanned_ts, site, decision, reason, received_at, direction, temperature, id);
