-- Jobs that must run on one gateway process at a time, however many serve one database (the
-- retention purge): the node holding an unexpired lease runs the job; it renews while it runs.
CREATE TABLE job_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,                 -- host:pid:random of the node
    expires_ts  DOUBLE PRECISION NOT NULL      -- Unix seconds
);
