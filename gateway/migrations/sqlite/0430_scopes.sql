-- Scoped accounts and tokens (gateway/access.py): what a registrar or viewer reaches, as
-- 'city' or comma-separated kind:CODE (community, employer, school, site). Accounts and tokens
-- made before scopes existed reached the whole city, and keep doing so, visibly.
-- lang: the console language an account chose (zh-CN by default).
ALTER TABLE accounts ADD COLUMN scope TEXT NOT NULL DEFAULT 'city';
ALTER TABLE accounts ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh-CN';
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'city';

-- Who revoked a pass on purpose (the role): a pass an admin revoked is issued again only by an
-- admin; one a registrar revoked (a lost phone) a registrar may reissue (gateway/passes.py).
CREATE TABLE pass_revokers (
    serial  TEXT PRIMARY KEY REFERENCES passes (serial),
    role    TEXT NOT NULL
);
