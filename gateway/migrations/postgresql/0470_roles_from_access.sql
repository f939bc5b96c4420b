-- PostgreSQL twin of sqlite/0470_roles_from_access.sql. Roles are gateway/access.py's vocabulary
-- (ROLES, checked before any write): the tables no longer repeat the list, so a new role (the
-- resumption approver, issue 14) needs no schema change.
ALTER TABLE accounts DROP CONSTRAINT accounts_role_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_role_check CHECK (role <> '');
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role <> '');
