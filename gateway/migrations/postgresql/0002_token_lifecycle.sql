-- API token lifecycle: an optional expiry and the last time a token was used (written at most
-- once a minute per token, see gateway/auth.py). Revocation uses the existing revoked_at.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
