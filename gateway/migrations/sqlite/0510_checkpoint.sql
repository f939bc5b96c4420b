-- Road checkpoints (issue 14 part 1): each vehicle stopped and each person in it, and the hand-overs
-- (key-area people) and referrals (fevers) they give to the destination township and community.
CREATE TABLE checkpoint_records (
    id              TEXT PRIMARY KEY,          -- the device's UUID: uploads are idempotent on it
    device_id       TEXT NOT NULL REFERENCES devices (id),
    site            TEXT NOT NULL REFERENCES sites (code),
    recorded_at     TEXT NOT NULL,             -- the device's clock, as sent
    recorded_ts     DOUBLE PRECISION NOT NULL, -- corrected by the device's clock offset when known
    received_at     TEXT NOT NULL,
    plate           TEXT,                      -- normalised ('鄂A12345'); NULL on foot
    plate_province  TEXT,                      -- GB/T 2260 province code of the plate's character
    vehicle_kind    TEXT NOT NULL,
    direction       TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    origin          TEXT,                      -- 6-digit GB/T 2260 code of where the vehicle comes from
    township        TEXT NOT NULL,             -- destination 区镇/办事处
    community       TEXT NOT NULL,             -- destination community (a console scope)
    people          INTEGER NOT NULL
);
CREATE INDEX checkpoint_records_site ON checkpoint_records (site, recorded_ts);

CREATE TABLE checkpoint_people (
    id               INTEGER PRIMARY KEY,
    record_id        TEXT NOT NULL REFERENCES checkpoint_records (id),
    position         INTEGER NOT NULL,
    role             TEXT NOT NULL,
    name             TEXT,
    serial           TEXT,                     -- the pass shown, if any
    document_type    TEXT,
    document_enc     BLOB,                     -- AES-GCM like people.document_enc
    document_hmac    TEXT,
    document_masked  TEXT,
    resident         INTEGER,                  -- declared by the guard when nothing else tells
    temperature      DOUBLE PRECISION NOT NULL,
    decision         TEXT NOT NULL CHECK (decision IN ('allow', 'deny')),
    reason           TEXT NOT NULL,
    key_area         TEXT,                     -- JSON list of what links them to a key area, or NULL
    fever            INTEGER NOT NULL DEFAULT 0,
    person_id        INTEGER REFERENCES people (id),
    UNIQUE (record_id, position)
);

CREATE TABLE handovers (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('handover', 'referral')),
    record_id        TEXT NOT NULL REFERENCES checkpoint_records (id),
    checkpoint_person_id INTEGER NOT NULL REFERENCES checkpoint_people (id),
    person_id        INTEGER REFERENCES people (id),
    site             TEXT NOT NULL,
    township         TEXT NOT NULL,
    community        TEXT NOT NULL,
    basis            TEXT NOT NULL,            -- JSON: key-area links, or the fever reading
    transport        TEXT CHECK (transport IN ('own_car', 'ambulance_120')),
    clinic           TEXT,
    state            TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'transferred', 'closed')),
    created_at       TEXT NOT NULL,
    created_ts       DOUBLE PRECISION NOT NULL,
    ack_due_ts       DOUBLE PRECISION NOT NULL,
    close_due_ts     DOUBLE PRECISION NOT NULL,
    acknowledged_at  TEXT,
    acknowledged_by  TEXT,
    transferred_at   TEXT,
    transferred_by   TEXT,
    place            TEXT,                     -- the central observation point or clinic taken to
    closed_at        TEXT,
    closed_by        TEXT,
    note             TEXT,
    UNIQUE (checkpoint_person_id, kind)
);
CREATE INDEX handovers_community ON handovers (community, state, id);
CREATE INDEX handovers_created ON handovers (created_ts);
