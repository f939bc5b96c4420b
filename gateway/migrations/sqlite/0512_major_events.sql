-- Major-event reports (重大事项报告, issue 14 part 5): made by rules from alerts and checkpoint hand-overs,
-- shown at once on the dashboards of the responsible scope and of admins, acknowledged, and in the daily report.
CREATE TABLE major_events (
    id               INTEGER PRIMARY KEY,
    rule             TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    created_ts       DOUBLE PRECISION NOT NULL,
    site             TEXT,                     -- the responsible scope: the site it happened at …
    community        TEXT,                     -- … and/or the community it is handed to
    source           TEXT NOT NULL,            -- alert:ID or handover:ID
    details          TEXT NOT NULL,            -- JSON, no full personal numbers
    dedupe_key       TEXT NOT NULL UNIQUE,
    acknowledged_at  TEXT,
    acknowledged_by  TEXT
);
CREATE INDEX major_events_created ON major_events (created_ts);
