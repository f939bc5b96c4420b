-- Passes in the order they were issued, the same on every backend (PostgreSQL has no rowid):
-- issued_at has seconds precision, and a pass reissued within the same second must still sort
-- after the one it replaced. Existing rows take their rowid; new rows get theirs from the trigger.
ALTER TABLE passes ADD COLUMN issued_order INTEGER;
UPDATE passes SET issued_order = rowid;
CREATE TRIGGER passes_issued_order AFTER INSERT ON passes WHEN NEW.issued_order IS NULL
BEGIN
    UPDATE passes SET issued_order = NEW.rowid WHERE rowid = NEW.rowid;
END;
