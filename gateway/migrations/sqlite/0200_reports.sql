-- Daily reports (gateway/reports.py, SQL in gateway/store/reports.py).

-- The first figures produced for a (day, scope) once that day was over: a later report that
-- differs says so. scope = a site code, or '*' for the whole city.
CREATE TABLE report_fingerprints (
    day          TEXT NOT NULL,                -- YYYY-MM-DD
    scope        TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,                -- SHA-256 of the canonical figures
    produced_at  TEXT NOT NULL,
    PRIMARY KEY (day, scope)
) WITHOUT ROWID;

-- When each device talked to the gateway, in 30-minute slots (Unix seconds, a multiple of 1800):
-- devices.last_seen_at keeps only the latest contact, and "which gates did not sync on day D"
-- needs the history. Slots of 30 minutes fall on the day boundary of every whole- and
-- half-hour time zone. Filled by the trigger below, so every path that touches a device counts;
-- a device's slots older than 40 days (longer than the entry retention) are dropped as it syncs.
CREATE TABLE device_syncs (
    device_id  TEXT NOT NULL,
    slot       INTEGER NOT NULL,
    PRIMARY KEY (device_id, slot)
) WITHOUT ROWID;

CREATE TRIGGER device_syncs_record AFTER UPDATE OF last_seen_at ON devices
WHEN NEW.last_seen_at IS NOT NULL AND strftime('%s', NEW.last_seen_at) IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO device_syncs (device_id, slot)
    VALUES (NEW.id, CAST(strftime('%s', NEW.last_seen_at) AS INTEGER) / 1800 * 1800);
    DELETE FROM device_syncs
    WHERE device_id = NEW.id AND slot < CAST(strftime('%s', NEW.last_seen_at) AS INTEGER) - 40 * 86400;
END;

-- The report counts a day's entries by site, decision and reason from this index alone
-- (received_at tells late uploads apart) without reading the table.
CREATE INDEX entries_report ON entries (scanned_ts, site, decision, reason, received_at);

-- Alerts are placed on the day their entry happened, so are raised (created) on or after it.
CREATE INDEX alerts_created ON alerts (created_at);
