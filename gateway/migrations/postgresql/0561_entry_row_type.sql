-- An uploaded batch of entries reaches PostgreSQL as one array of this type (gateway/db/postgresql.py,
-- insert_new with row_type): one parameter, one unnest, instead of 19 arrays of one column each. Measured
-- on a batch of 500 (#12, ingestion CPU): the gateway's encoding 5.4 -> 3.0-3.9 us per entry (asyncpg asks
-- of every array element whether it is a sub-array), the server's INSERT 15-17 -> 12 us per entry.
-- Its attributes are gateway/store/entries.py's COLUMNS, in order (checked at first use). A later column
-- of entries that uploads carry comes as a new type beside this one, not an ALTER of it, so a node not yet
-- upgraded keeps storing entries through the type it knows.
CREATE TYPE entry_row AS (
    id            TEXT,
    device_id     TEXT,
    site          TEXT,
    seq           BIGINT,
    scanned_at    TEXT,
    scanned_ts    DOUBLE PRECISION,
    received_at   TEXT,
    serial        TEXT,
    text_hash     TEXT,
    decision      TEXT,
    reason        TEXT,
    temperature   DOUBLE PRECISION,
    clock_offset  DOUBLE PRECISION,
    prev_hash     TEXT,
    hash          TEXT,
    chain_ok      INTEGER,
    gate_ts       DOUBLE PRECISION,
    time_flag     TEXT,
    direction     TEXT
);
