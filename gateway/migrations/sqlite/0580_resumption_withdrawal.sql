-- A resumption approval can be withdrawn (关停, Kunshan directive of October 2020 §一 item 8): the
-- state `withdrawn`, and who withdrew it, when and why. SQLite cannot alter a CHECK: the table is
-- rebuilt (create, copy, drop, rename) with every row and id kept, as 0470 did; `SELECT *` fails
-- loudly if a column was added meanwhile. Nothing references resumptions, so no other table moves.
CREATE TABLE resumptions_new (
    id                  INTEGER PRIMARY KEY,
    site                TEXT NOT NULL REFERENCES sites (code),
    state               TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'refused', 'withdrawn')),
    items               TEXT NOT NULL,          -- JSON {item: {"done": true, "note": "..."}}, the five
    open_from           TEXT,                   -- the opening time asked for (ISO 8601), or null
    note                TEXT,
    applied_by          TEXT NOT NULL,          -- the actor, as in the audit log
    applied_at          TEXT NOT NULL,
    decided_by          TEXT,
    decided_at          TEXT,
    decision_reason     TEXT,
    approved_open_from  TEXT,                   -- what approval wrote into the policy's open_from
    withdrawn_by        TEXT,                   -- the approval withdrawn: by whom (the audit's actor)
    withdrawn_at        TEXT,
    withdrawal_reason   TEXT
);
INSERT INTO resumptions_new SELECT *, NULL, NULL, NULL FROM resumptions;
DROP TABLE resumptions;
ALTER TABLE resumptions_new RENAME TO resumptions;
-- the indexes went with the old table: the same ones again
CREATE UNIQUE INDEX resumptions_one_pending ON resumptions (site) WHERE state = 'pending';
CREATE INDEX resumptions_site ON resumptions (site, id);
CREATE INDEX resumptions_state ON resumptions (state, id);
