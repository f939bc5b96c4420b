-- Gate direction (issue #10): a device is enrolled for 'in', 'out' or 'both'; each entry says which
-- way it went. Passback and the shared-pass alert look only at entries going in.
ALTER TABLE enrolments ADD COLUMN direction TEXT NOT NULL DEFAULT 'both';
ALTER TABLE devices ADD COLUMN direction TEXT NOT NULL DEFAULT 'both';
ALTER TABLE entries ADD COLUMN direction TEXT;
