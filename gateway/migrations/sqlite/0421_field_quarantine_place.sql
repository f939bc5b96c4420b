-- Where a person is quarantined: the address of a central quarantine site (or the home address).
ALTER TABLE people ADD COLUMN quarantine_place TEXT;
