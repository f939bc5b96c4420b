-- Holder binding (issue 13): a phone's public key per person, and the holder-bound pass issued to it.
-- A person may hold one live static pass (paper, QG1) and one live holder-bound pass (QG2) at once.

ALTER TABLE passes ADD COLUMN bound INTEGER NOT NULL DEFAULT 0;  -- 1: carries the phone key in cnf
DROP INDEX passes_one_live;
CREATE UNIQUE INDEX passes_one_live ON passes (person_id, bound) WHERE state = 'live';

CREATE TABLE holder_bindings (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    alg         TEXT NOT NULL CHECK (alg IN ('Ed25519', 'ES256')),
    public_key  TEXT NOT NULL,                -- hex: 32 bytes (Ed25519) or a 33-byte compressed P-256 point
    state       TEXT NOT NULL CHECK (state IN ('live', 'ended')),
    via         TEXT NOT NULL CHECK (via IN ('resident', 'console')),  -- who made it
    created_at  TEXT NOT NULL,
    ended_at    TEXT,
    ended_via   TEXT CHECK (ended_via IN ('resident', 'console')),
    end_reason  TEXT
);
-- one binding per person at a time, enforced by the database itself
CREATE UNIQUE INDEX holder_bindings_one_live ON holder_bindings (person_id) WHERE state = 'live';
CREATE INDEX holder_bindings_person ON holder_bindings (person_id, created_at);
