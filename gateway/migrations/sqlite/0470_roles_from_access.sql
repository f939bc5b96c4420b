-- Roles are gateway/access.py's vocabulary (ROLES, checked by gateway/accounts.py and gateway/auth.py
-- before any write): the tables no longer repeat the list, so a new role (the resumption approver,
-- issue 14) and the roles after it need no table rebuild. SQLite cannot alter a CHECK: each table is
-- rebuilt (create, copy, drop, rename); `SELECT *` fails loudly if a column was added meanwhile.
-- The console sessions that point at accounts are kept aside and put back with the same ids.
CREATE TEMP TABLE kept_sessions AS SELECT * FROM web_sessions;
DELETE FROM web_sessions;

CREATE TABLE accounts_new (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,               -- scrypt (gateway/accounts.py)
    role          TEXT NOT NULL CHECK (role <> ''),
    created_at    TEXT NOT NULL,
    disabled_at   TEXT,
    scope         TEXT NOT NULL DEFAULT 'city',
    lang          TEXT NOT NULL DEFAULT 'zh-CN'
);
INSERT INTO accounts_new SELECT * FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_new RENAME TO accounts;

CREATE TABLE api_tokens_new (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,        -- SHA-256 of a 256-bit random token
    role          TEXT NOT NULL CHECK (role <> ''),
    label         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT,
    expires_at    TEXT,
    last_used_at  TEXT,
    scope         TEXT NOT NULL DEFAULT 'city'
);
INSERT INTO api_tokens_new SELECT * FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;

INSERT INTO web_sessions SELECT * FROM kept_sessions;
DROP TABLE kept_sessions;
