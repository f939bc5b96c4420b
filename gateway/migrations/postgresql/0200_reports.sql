-- Daily reports (gateway/reports.py, SQL in gateway/store/reports.py). Twin of sqlite/0200_reports.sql.

CREATE TABLE report_fingerprints (
    day          TEXT NOT NULL,
    scope        TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    produced_at  TEXT NOT NULL,
    PRIMARY KEY (day, scope)
);

-- When each device talked to the gateway, in 30-minute slots (Unix seconds, a multiple of 1800),
-- filled by the trigger below as on SQLite; slots older than 40 days are dropped as a device syncs.
CREATE TABLE device_syncs (
    device_id  TEXT NOT NULL,
    slot       BIGINT NOT NULL,
    PRIMARY KEY (device_id, slot)
);

CREATE FUNCTION device_syncs_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    seen BIGINT;
BEGIN
    IF NEW.last_seen_at IS NULL OR NEW.last_seen_at IS NOT DISTINCT FROM OLD.last_seen_at THEN
        RETURN NEW;
    END IF;
    BEGIN
        seen := floor(extract(epoch FROM NEW.last_seen_at::timestamptz));
    EXCEPTION WHEN others THEN
        RETURN NEW;  -- not a time: nothing to record (SQLite's strftime gives NULL alike)
    END;
    INSERT INTO device_syncs (device_id, slot) VALUES (NEW.id, seen / 1800 * 1800)
    ON CONFLICT (device_id, slot) DO NOTHING;
    DELETE FROM device_syncs WHERE device_id = NEW.id AND slot < seen - 40 * 86400;
    RETURN NEW;
END;
$$;

CREATE TRIGGER device_syncs_record AFTER UPDATE OF last_seen_at ON devices
FOR EACH ROW EXECUTE FUNCTION device_syncs_record();

CREATE INDEX entries_report ON entries (scanned_ts, site, decision, reason, received_at);
CREATE INDEX alerts_created ON alerts (created_at);
