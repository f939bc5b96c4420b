-- Resumption approval (复工审批, issue 14 part 3): a firm's or construction site's application with
-- the five items in place (五个到位), and the approver's decision. Approval writes the site's policy
-- (resumption_approved, open_from); this table is the record of who asked, who decided and why.
CREATE TABLE resumptions (
    id                  INTEGER PRIMARY KEY,
    site                TEXT NOT NULL REFERENCES sites (code),
    state               TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'refused')),
    items               TEXT NOT NULL,          -- JSON {item: {"done": true, "note": "..."}}, the five
    open_from           TEXT,                   -- the opening time asked for (ISO 8601), or null
    note                TEXT,
    applied_by          TEXT NOT NULL,          -- the actor, as in the audit log
    applied_at          TEXT NOT NULL,
    decided_by          TEXT,
    decided_at          TEXT,
    decision_reason     TEXT,
    approved_open_from  TEXT                    -- what approval wrote into the policy's open_from
);
-- one application waits at a time per site, enforced by the database itself
CREATE UNIQUE INDEX resumptions_one_pending ON resumptions (site) WHERE state = 'pending';
CREATE INDEX resumptions_site ON resumptions (site, id);
CREATE INDEX resumptions_state ON resumptions (state, id);
