-- entries_scanned (scanned_ts), from 0001, is a prefix of entries_report (scanned_ts, site, decision, reason,
-- received_at, direction, temperature, id; 0490): every read it served (the retention purge's
-- scanned_ts < :ts, the entry search's newest first, a day's scans) the wider index serves too, and each
-- stored entry paid an insert into both: one of the five index inserts (each with its WAL record on
-- PostgreSQL) an uploaded entry cost (#12, ingestion CPU). Dropped on both backends, which keep the same
-- indexes.
DROP INDEX entries_scanned;
