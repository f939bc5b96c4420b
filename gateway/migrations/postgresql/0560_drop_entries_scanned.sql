-- PostgreSQL twin of sqlite/0560_drop_entries_scanned.sql (the same statement).
-- entries_scanned (scanned_ts) is a prefix of entries_report (0490), which serves every read it served;
-- each uploaded entry paid an insert into both (#12, ingestion CPU: server CPU per entry).
DROP INDEX entries_scanned;
