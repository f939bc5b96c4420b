-- Key epidemic areas (重点疫区) as data that admins edit (gateway/key_areas.py): a GB/T 2260
-- region-code prefix counts for arrivals from from_day until until_day (inclusive; NULL: open).
-- Seeded with the directive's one area: Hubei (42), from the day it was closed off.
CREATE TABLE key_areas (
    prefix      TEXT PRIMARY KEY,
    from_day    TEXT NOT NULL,                 -- YYYY-MM-DD
    until_day   TEXT,                          -- YYYY-MM-DD or NULL
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
);
INSERT INTO key_areas (prefix, from_day, until_day, updated_at, updated_by)
VALUES ('42', '2020-01-24', NULL, '2020-01-24T00:00:00+00:00', 'migration');
