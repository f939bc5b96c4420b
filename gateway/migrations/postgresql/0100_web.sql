-- qrgate web console sessions (owned by web/). A session is found by the SHA-256 of its cookie;
-- the role is read from accounts on every request, so a role change or a disabled account counts at once.

CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
