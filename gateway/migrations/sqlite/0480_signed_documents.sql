-- Signed documents served once (issue 12 part 5): each revocation index and part, site policy and
-- key set is signed once per version and kept here, so a bundle is assembled without signing and
-- every node serves the same bytes (the same ETag). Rows are immutable; old versions are pruned.
CREATE TABLE signed_documents (
    name        TEXT NOT NULL,      -- 'revocations/index', 'revocations/part/3a', 'policy/SITE', 'keyset'
    version     TEXT NOT NULL,      -- what it is a version of (gateway/documents.py)
    etag        TEXT NOT NULL,      -- SHA-256 of body, hex
    body        BLOB NOT NULL,      -- the signed document, as served
    meta        TEXT NOT NULL,      -- JSON: what the server needs without parsing body
    created_at  TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE INDEX signed_documents_etag ON signed_documents (etag);
