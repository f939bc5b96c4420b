-- The school file (一校一档, issue 14 part 4; directive §四 18–20): classes are the basic unit, each with
-- its class teacher (班主任), a console account of role teacher scoped to class:SCHOOL/CLASS
-- (gateway/access.py). A person belongs to at most one class of their own school, as a student or staff.
CREATE TABLE school_classes (
    school      TEXT NOT NULL,              -- the people's school code (people.school)
    code        TEXT NOT NULL,              -- the class, unique in its school (e.g. 3-2)
    name        TEXT NOT NULL,              -- 三年级二班
    grade       TEXT,
    teacher     TEXT,                       -- the class teacher's account username, or null
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (school, code)
);
ALTER TABLE people ADD COLUMN school_class TEXT;                -- a code of school_classes in people.school
ALTER TABLE people ADD COLUMN school_member TEXT;               -- student | staff
CREATE INDEX people_school_class ON people (school, school_class);
-- 落实专人负责每日体温检测: the named person who took the temperature (recorded_by is the account)
ALTER TABLE health_checks ADD COLUMN taken_by TEXT;
