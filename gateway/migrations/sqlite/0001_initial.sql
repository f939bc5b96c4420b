-- qrgate gateway: the first schema. Times are ISO 8601 UTC text; *_ts columns are Unix seconds.

CREATE TABLE people (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL,
    document_type       TEXT NOT NULL,
    document_enc        BLOB NOT NULL,          -- AES-GCM (gateway/privacy.py)
    document_hmac       TEXT NOT NULL UNIQUE,   -- keyed hash of type + number: duplicates, look-ups
    document_masked     TEXT NOT NULL,
    document_last4      TEXT NOT NULL,          -- what the QR carries
    phone_enc           BLOB,
    phone_hmac          TEXT,
    phone_masked        TEXT,
    address             TEXT,
    community           TEXT,
    employer            TEXT,
    school              TEXT,
    origin              TEXT,
    left_origin_on      TEXT,
    arrived_on          TEXT,
    status              TEXT NOT NULL DEFAULT 'green' CHECK (status IN ('green', 'yellow', 'red')),
    quarantine_kind     TEXT CHECK (quarantine_kind IN ('home', 'central')),
    quarantine_start    TEXT,
    quarantine_end      TEXT,
    quarantine_ended_early INTEGER NOT NULL DEFAULT 0,
    cleared             INTEGER NOT NULL DEFAULT 0,
    cleared_at          TEXT,
    resident_token_hash TEXT UNIQUE,     -- SHA-256 of the resident link token
    resident_token_enc  BLOB,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX people_phone ON people (phone_hmac);
CREATE INDEX people_community ON people (community);

CREATE TABLE status_history (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    status      TEXT NOT NULL,
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    reason      TEXT
);
CREATE INDEX status_history_person ON status_history (person_id);

CREATE TABLE health_checks (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people (id),
    checked_at   TEXT NOT NULL,
    temperature  REAL NOT NULL,
    symptoms     TEXT NOT NULL,              -- JSON list of strings
    recorded_by  TEXT NOT NULL
);
CREATE INDEX health_checks_person ON health_checks (person_id, checked_at);

CREATE TABLE passes (
    serial          TEXT PRIMARY KEY,           -- 24 hex characters
    person_id       INTEGER NOT NULL REFERENCES people (id),
    state           TEXT NOT NULL CHECK (state IN ('live', 'revoked', 'lapsed')),
    kid             TEXT NOT NULL,
    qr_text         TEXT NOT NULL,
    claims          TEXT NOT NULL,              -- JSON form of keys.PassClaims
    issued_at       TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    revoked_at      TEXT,
    revoke_reason   TEXT,
    replaced_by     TEXT
);
-- at most one live pass per person, enforced by the database itself
CREATE UNIQUE INDEX passes_one_live ON passes (person_id) WHERE state = 'live';
CREATE INDEX passes_person ON passes (person_id, issued_at);

CREATE TABLE revocations (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT, -- the revocation list version: never reused
    serial      TEXT NOT NULL UNIQUE REFERENCES passes (serial),
    revoked_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

CREATE TABLE sites (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    policy      TEXT NOT NULL,                  -- keys.SitePolicy JSON form
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE enrolments (
    token_hash  TEXT PRIMARY KEY,
    site        TEXT NOT NULL REFERENCES sites (code),
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    device_id   TEXT
);

CREATE TABLE devices (
    id              TEXT PRIMARY KEY,
    site            TEXT NOT NULL REFERENCES sites (code),
    name            TEXT NOT NULL,
    credential_hash TEXT NOT NULL UNIQUE,
    enrolled_at     TEXT NOT NULL,
    disabled_at     TEXT,
    last_seen_at    TEXT
);

CREATE TABLE entries (
    id            TEXT PRIMARY KEY,
    device_id     TEXT NOT NULL REFERENCES devices (id),
    site          TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    scanned_at    TEXT NOT NULL,               -- as the scanner sent it
    scanned_ts    REAL NOT NULL,
    received_at   TEXT NOT NULL,
    serial        TEXT,
    text_hash     TEXT,
    decision      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    temperature   REAL,
    clock_offset  REAL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    chain_ok      INTEGER NOT NULL
);
CREATE INDEX entries_device_seq ON entries (device_id, seq);
CREATE INDEX entries_serial ON entries (serial, scanned_ts);
CREATE INDEX entries_scanned ON entries (scanned_ts);

CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    site        TEXT,
    device_id   TEXT,
    entry_id    TEXT,
    serial      TEXT,
    details     TEXT NOT NULL,                 -- JSON object
    dedupe_key  TEXT NOT NULL UNIQUE
);
CREATE INDEX alerts_kind ON alerts (kind, id);

CREATE TABLE audit (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    reason   TEXT,
    details  TEXT NOT NULL                     -- JSON object; never a full document or phone number
);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,          -- SHA-256 of a 256-bit random token
    role        TEXT NOT NULL CHECK (role IN ('admin', 'registrar', 'viewer')),
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,               -- scrypt (gateway/accounts.py)
    role          TEXT NOT NULL CHECK (role IN ('admin', 'registrar', 'viewer')),
    created_at    TEXT NOT NULL,
    disabled_at   TEXT
);

CREATE TABLE login_failures (
    key           TEXT PRIMARY KEY,            -- 'user:NAME' or 'ip:ADDRESS'
    failures      INTEGER NOT NULL,
    last_ts       REAL NOT NULL,
    locked_until  REAL NOT NULL
);
