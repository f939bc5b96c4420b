-- Daily reports: the fevers of a day without reading every entry of it (a partial index: only
-- fever denials are in it, so it stays small and costs ingestion next to nothing).
CREATE INDEX entries_fever ON entries (scanned_ts) WHERE reason = 'fever';
