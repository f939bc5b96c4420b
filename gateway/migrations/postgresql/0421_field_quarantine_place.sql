-- PostgreSQL twin of sqlite/0421_field_quarantine_place.sql (the same statement).
-- Where a person is quarantined: the address of a central quarantine site (or the home address).
ALTER TABLE people ADD COLUMN quarantine_place TEXT;
