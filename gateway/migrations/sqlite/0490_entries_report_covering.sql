-- The daily report's three scans of a day's entries (counts by site/decision/reason, temperatures
-- taken, directions) read one index without touching the table. Since #10/#14 they read direction
-- and temperature, and since 77665a7 each leaves out the entries a checkpoint person names
-- (NOT EXISTS on checkpoint_people.entry_id = entries.id), so it reads the entry's id too.
-- entries_report (0200) held none of these: SQLite fell back to entries_scanned plus a table
-- look-up per entry, and a city's million entries took 8-22 s instead of 2.8 s (docs/benchmarks.md).
-- The same columns as before, plus direction, temperature and id (an entry's id is TEXT, not the
-- rowid every SQLite index carries anyway). tests/reports/test_report_plans.py checks the plans.
DROP INDEX entries_report;
CREATE INDEX entries_report ON entries (scanned_ts, site, decision, reason, received_at, direction, temperature, id);
