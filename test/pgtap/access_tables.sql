-- Direct table access: no application role, not even a mailbox owner or a
-- member of ews_admin, may read or change the store's tables and sequences
-- except through the ews_* functions.  So nobody can build a folder cycle,
-- move a distinguished folder or read another mailbox by editing rows.  Two
-- layers: schema ews is closed to PUBLIC, and the tables and sequences have
-- no grants but their owner's; the second layer is tested with the first
-- one opened.  Every relation in schema ews is checked, so a new table is
-- covered without changing this file.
BEGIN;
SELECT plan(13);

CREATE ROLE tbl_app NOLOGIN;
CREATE ROLE tbl_owner NOLOGIN;
CREATE ROLE tbl_admin NOLOGIN;
CREATE ROLE tbl_usage NOLOGIN;
GRANT ews_admin TO tbl_admin;
GRANT ews_user TO tbl_app, tbl_owner, tbl_usage;
SELECT ews_create_mailbox('tbl-box@example.com', 'Tables', 'tbl_owner') IS NOT NULL AS created \gset

-- the SQLSTATE of a statement run as a role, or 'ok'
CREATE FUNCTION pg_temp.state_as(r text, q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	res text := 'ok';
BEGIN
	EXECUTE pg_catalog.format('SET LOCAL ROLE %I', r);
	BEGIN
		EXECUTE q;
	EXCEPTION WHEN OTHERS THEN
		res := SQLSTATE;
	END;
	RESET ROLE;
	RETURN res;
END
$f$;

-- each statement an application could try, for each table and sequence
CREATE TEMP TABLE attempt AS
SELECT c.oid::regclass::text AS rel, s.op, s.stmt
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'ews'
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = 1
  CROSS JOIN LATERAL (VALUES
	('SELECT',   format('SELECT * FROM %s', c.oid::regclass)),
	('INSERT',   format('INSERT INTO %s DEFAULT VALUES', c.oid::regclass)),
	('UPDATE',   format('UPDATE %s SET %I = %I', c.oid::regclass, a.attname, a.attname)),
	('DELETE',   format('DELETE FROM %s', c.oid::regclass)),
	('TRUNCATE', format('TRUNCATE %s', c.oid::regclass))
  ) s(op, stmt)
 WHERE c.relkind IN ('r', 'p')
UNION ALL
SELECT c.oid::regclass::text, s.op, s.stmt
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'ews'
  CROSS JOIN LATERAL (VALUES
	('SELECT',  format('SELECT * FROM %s', c.oid::regclass)),
	('nextval', format('SELECT nextval(%L)', c.oid::regclass)),
	('setval',  format('SELECT setval(%L, 1)', c.oid::regclass))
  ) s(op, stmt)
 WHERE c.relkind = 'S';

SELECT cmp_ok((SELECT count(DISTINCT rel) FROM attempt), '>=', 8::bigint,
              'at least the six tables and two sequences are tried');

-- what did not fail with insufficient_privilege, per role
CREATE FUNCTION pg_temp.not_refused(r text) RETURNS text LANGUAGE sql AS $f$
	SELECT string_agg(rel || ' ' || op || ': ' || st, ', ' ORDER BY rel, op)
	  FROM (SELECT rel, op, pg_temp.state_as(r, stmt) AS st FROM attempt) x
	 WHERE st <> '42501'
$f$;

SELECT is(pg_temp.not_refused('tbl_app'), NULL, 'an application role is refused every read and write');
SELECT is(pg_temp.not_refused('tbl_owner'), NULL, 'a mailbox owner is refused every read and write');
SELECT is(pg_temp.not_refused('tbl_admin'), NULL, 'a member of ews_admin is refused every read and write');
SELECT is(pg_temp.not_refused('ews_admin'), NULL, 'ews_admin itself is refused every read and write');

-- the second layer: with USAGE on the schema the tables still refuse
GRANT USAGE ON SCHEMA ews TO tbl_usage;
SELECT is(pg_temp.not_refused('tbl_usage'), NULL, 'with USAGE on schema ews, the tables and sequences still refuse');
SELECT is(pg_temp.state_as('tbl_app', 'SELECT 1 FROM ews.mailbox'), '42501', 'the first layer: schema ews is closed');
SELECT is((SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a
            WHERE c.relnamespace = 'ews'::regnamespace AND a.grantee <> c.relowner), 0::bigint,
          'no relation in schema ews grants anything to anyone but its owner');
SELECT is((SELECT count(*) FROM aclexplode((SELECT nspacl FROM pg_namespace WHERE nspname = 'ews')) a
            WHERE a.grantee <> (SELECT nspowner FROM pg_namespace WHERE nspname = 'ews')
              AND a.grantee <> 'tbl_usage'::regrole), 0::bigint,
          'schema ews grants nothing to anyone but its owner (and this test''s role)');

-- the tables are untouched and the functions still work for the owner
SELECT is((SELECT count(*) FROM ews.folder f JOIN ews.mailbox m USING (mailbox_id)
            WHERE m.smtp_address = 'tbl-box@example.com'), 23::bigint, 'the mailbox still has its 23 folders');
SELECT is((SELECT last_value FROM ews.local_id_seq) > 1, true, 'local_id_seq was not reset');
SELECT is(pg_temp.state_as('tbl_owner', format('SELECT * FROM ews_create_folder(%L, %L)',
                                                ews_folder_id('tbl-box@example.com', 'inbox'), 'Allowed')),
          'ok', 'the owner changes its mailbox through the functions');
SELECT is((SELECT count(*) FROM ews.folder WHERE display_name = 'Allowed'), 1::bigint,
          'and the change is there');

SELECT * FROM finish();
ROLLBACK;
