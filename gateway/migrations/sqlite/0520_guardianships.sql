-- Family passes (issue 14 part 2): a guardian's resident page holds the passes of the people in their
-- care. One row per guardian and dependant, with the dependant's consent as it was given (by whom, how,
-- when) and the account that recorded it; ended_at when the care ends (kept: the record of who could
-- see whose pass, and when).
CREATE TABLE guardianships (
    id            INTEGER PRIMARY KEY,
    guardian_id   INTEGER NOT NULL REFERENCES people (id),
    dependant_id  INTEGER NOT NULL REFERENCES people (id),
    consent_by    TEXT NOT NULL CHECK (consent_by IN ('dependant', 'legal_guardian')),
    consent_how   TEXT NOT NULL CHECK (consent_how IN ('in_person', 'signed_paper', 'phone')),
    consent_at    TEXT NOT NULL,          -- when the consent was given (ISO 8601)
    note          TEXT,
    recorded_by   TEXT NOT NULL,          -- the actor, as in the audit log
    recorded_at   TEXT NOT NULL,
    ended_at      TEXT,
    ended_by      TEXT,
    end_reason    TEXT,
    CHECK (guardian_id <> dependant_id)
);
-- one active care per pair, enforced by the database itself
CREATE UNIQUE INDEX guardianships_one_active ON guardianships (guardian_id, dependant_id) WHERE ended_at IS NULL;
CREATE INDEX guardianships_guardian ON guardianships (guardian_id, id);
CREATE INDEX guardianships_dependant ON guardianships (dependant_id, id);
