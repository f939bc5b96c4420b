-- SQLite twin of postgresql/0561_entry_row_type.sql: nothing to do. PostgreSQL receives an uploaded
-- batch as one array of a row type; SQLite, in process, inserts it row by row from one prepared
-- statement (gateway/db/sqlite.py, insert_rows) and has no types to declare.
SELECT 1;
