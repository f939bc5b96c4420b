-- The daily contact log (§四 19: 指定专人每天对接联系): for a person not yet back, who contacted
-- them, when, how, and what they said of their state of mind, health and travel plans.
CREATE TABLE contact_logs (
    id            INTEGER PRIMARY KEY,
    person_id     INTEGER NOT NULL REFERENCES people (id),
    contacted_at  TEXT NOT NULL,              -- ISO 8601 with offset
    recorded_by   TEXT NOT NULL,              -- the account, as in the audit log
    caller        TEXT NOT NULL,              -- who made the contact (a name)
    channel       TEXT NOT NULL,              -- phone | wechat | visit | other
    note          TEXT NOT NULL,              -- what was said
    health        TEXT,
    plans         TEXT
);
CREATE INDEX contact_logs_person ON contact_logs (person_id, contacted_at);
CREATE INDEX contact_logs_day ON contact_logs (contacted_at, person_id);
