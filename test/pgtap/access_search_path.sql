-- search_path safety: an unprivileged role puts functions and operators
-- whose names collide with what the store's SQL uses into its own schema
-- (first in its search_path, before pg_catalog), into public, and into its
-- temporary schema, plus temporary views named like the store's tables.
-- Every one of them counts its calls.  It then calls every ews_* function:
-- the store's functions pin search_path = pg_catalog, pg_temp and qualify
-- their SQL, so none of the traps may be called.  A control call from the
-- role's own SQL shows the traps do work where names are not pinned.
BEGIN;
SELECT plan(9);

CREATE ROLE sp_evil NOLOGIN;
CREATE ROLE sp_victim NOLOGIN;
-- as in a database created before PostgreSQL 15, anyone may create in public
GRANT CREATE ON SCHEMA public TO sp_evil;
CREATE SCHEMA sp_evil AUTHORIZATION sp_evil;
SELECT ews_create_mailbox('sp-victim@example.com', 'Victim', 'sp_victim') IS NOT NULL AS created \gset
SELECT ews_folder_id('sp-victim@example.com', 'inbox') AS victim_inbox \gset

SET LOCAL ROLE sp_evil;
CREATE SEQUENCE sp_evil.hits;
CREATE TABLE sp_evil.results (n serial, label text, val text);

-- the traps, created in the role's schema, in public and in pg_temp
DO $do$
DECLARE
	s text;
BEGIN
	FOREACH s IN ARRAY ARRAY['sp_evil', 'public', 'pg_temp'] LOOP
		EXECUTE pg_catalog.format($f$
			CREATE FUNCTION %1$I.lower(text) RETURNS text LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN pg_catalog.lower($1); END';
			CREATE FUNCTION %1$I.pg_has_role(oid, oid, text) RETURNS boolean LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN true; END';
			CREATE FUNCTION %1$I.nextval(regclass) RETURNS bigint LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN 1; END';
			CREATE FUNCTION %1$I.now() RETURNS timestamptz LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN ''epoch''; END';
			CREATE FUNCTION %1$I.quote_ident(text) RETURNS text LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN ''sp_victim''; END';
			CREATE FUNCTION %1$I.cnt(bigint) RETURNS bigint LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN $1 OPERATOR(pg_catalog.+) 1; END';
			CREATE FUNCTION %1$I.eq_uuid(uuid, uuid) RETURNS boolean LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN $1 OPERATOR(pg_catalog.=) $2; END';
			CREATE FUNCTION %1$I.eq_text(text, text) RETURNS boolean LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN $1 OPERATOR(pg_catalog.=) $2; END';
			CREATE FUNCTION %1$I.eq_int8(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN $1 OPERATOR(pg_catalog.=) $2; END';
			CREATE FUNCTION %1$I.ne_int8(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN $1 OPERATOR(pg_catalog.<>) $2; END';
			CREATE FUNCTION %1$I.eq_oid(oid, oid) RETURNS boolean LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN $1 OPERATOR(pg_catalog.=) $2; END';
			CREATE FUNCTION %1$I.plus(bigint, integer) RETURNS bigint LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN $1 OPERATOR(pg_catalog.+) $2; END';
			CREATE FUNCTION %1$I.app(text[], text) RETURNS text[] LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN pg_catalog.array_append($1, $2); END';
			$f$, s);
		-- operators and aggregates cannot live in pg_temp
		CONTINUE WHEN s = 'pg_temp';
		EXECUTE pg_catalog.format($f$
			CREATE AGGREGATE %1$I.count(*) (sfunc = %1$I.cnt, stype = bigint, initcond = '0');
			CREATE OPERATOR %1$I.= (leftarg = uuid, rightarg = uuid, function = %1$I.eq_uuid);
			CREATE OPERATOR %1$I.= (leftarg = text, rightarg = text, function = %1$I.eq_text);
			CREATE OPERATOR %1$I.= (leftarg = bigint, rightarg = bigint, function = %1$I.eq_int8);
			CREATE OPERATOR %1$I.<> (leftarg = bigint, rightarg = bigint, function = %1$I.ne_int8);
			CREATE OPERATOR %1$I.= (leftarg = oid, rightarg = oid, function = %1$I.eq_oid);
			CREATE OPERATOR %1$I.+ (leftarg = bigint, rightarg = integer, function = %1$I.plus);
			CREATE OPERATOR %1$I.|| (leftarg = text[], rightarg = text, function = %1$I.app);
			$f$, s);
	END LOOP;
END
$do$;

-- temporary views named like the store's tables: reading one counts a hit
CREATE FUNCTION sp_evil.hit() RETURNS bigint LANGUAGE sql AS $$ SELECT pg_catalog.nextval('sp_evil.hits') $$;
CREATE TEMP VIEW mailbox AS SELECT sp_evil.hit() AS mailbox_id;
CREATE TEMP VIEW mailbox_grant AS SELECT sp_evil.hit() AS mailbox_id;
CREATE TEMP VIEW folder AS SELECT sp_evil.hit() AS mailbox_id;
CREATE TEMP VIEW item AS SELECT sp_evil.hit() AS mailbox_id;
CREATE TEMP VIEW local_id_seq AS SELECT sp_evil.hit() AS last_value;
CREATE TEMP VIEW change_seq AS SELECT sp_evil.hit() AS last_value;

SET LOCAL search_path = pg_temp, sp_evil, public, pg_catalog;

-- the control: in the role's own SQL the traps win over pg_catalog
INSERT INTO sp_evil.results (label, val) SELECT 'control', lower('X') || count(*) FROM (VALUES (1)) v;
INSERT INTO sp_evil.results (label, val) SELECT 'hits after control', last_value::text FROM sp_evil.hits;

-- every ews_* function, as the role, with the traps in place
INSERT INTO sp_evil.results (label, val)
	SELECT 'create_mailbox', (ews_create_mailbox('sp-evil@example.com', 'Evil') IS NOT NULL)::text;
INSERT INTO sp_evil.results (label, val)
	SELECT 'create_mailbox default owner', (ews_create_mailbox('sp-evil2@example.com') IS NOT NULL)::text;
INSERT INTO sp_evil.results (label, val)
	SELECT 'inbox', ews_folder_id('SP-EVIL@example.com', 'inbox');
INSERT INTO sp_evil.results (label, val)
	SELECT 'create_folder', c.response_code || ' ' || c.folder_id
	  FROM ews_create_folder(ews_folder_id('sp-evil@example.com', 'inbox'), 'Trap') c;
INSERT INTO sp_evil.results (label, val)
	SELECT 'create_folder child', c.response_code
	  FROM sp_evil.results r, ews_create_folder(pg_catalog.split_part(r.val, ' ', 2), 'Child') c
	 WHERE r.label OPERATOR(pg_catalog.=) 'create_folder';
INSERT INTO sp_evil.results (label, val)
	SELECT 'create_folder duplicate', c.response_code
	  FROM ews_create_folder(ews_folder_id('sp-evil@example.com', 'inbox'), 'TRAP') c;
INSERT INTO sp_evil.results (label, val)
	SELECT 'get_folder', g.response_code || ' ' || g.display_name
	  FROM ews_get_folder(ARRAY[ews_folder_id('sp-evil@example.com', 'inbox')]) g;
INSERT INTO sp_evil.results (label, val)
	SELECT 'find_folder deep', pg_catalog.string_agg(f.response_code || ' ' || f.display_name, ', ')
	  FROM ews_find_folder(ews_folder_id('sp-evil@example.com', 'inbox'), 'Deep') f;
INSERT INTO sp_evil.results (label, val)
	SELECT 'find_folder shallow', pg_catalog.string_agg(f.response_code || ' ' || f.display_name, ', ')
	  FROM ews_find_folder(ews_folder_id('sp-evil@example.com', 'msgfolderroot')) f;
INSERT INTO sp_evil.results (label, val)
	SELECT 'delete_folder soft', d.response_code
	  FROM sp_evil.results r, ews_delete_folder(ARRAY[pg_catalog.split_part(r.val, ' ', 2)], 'SoftDelete') d
	 WHERE r.label OPERATOR(pg_catalog.=) 'create_folder';
INSERT INTO sp_evil.results (label, val)
	SELECT 'delete_folder to deleted items', d.response_code
	  FROM sp_evil.results r, ews_delete_folder(ARRAY[pg_catalog.split_part(r.val, ' ', 2)], 'MoveToDeletedItems') d
	 WHERE r.label OPERATOR(pg_catalog.=) 'create_folder';
INSERT INTO sp_evil.results (label, val)
	SELECT 'delete_folder hard', d.response_code
	  FROM sp_evil.results r, ews_delete_folder(ARRAY[pg_catalog.split_part(r.val, ' ', 2)]) d
	 WHERE r.label OPERATOR(pg_catalog.=) 'create_folder';
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim get_folder', g.response_code FROM ews_get_folder(ARRAY[:'victim_inbox']) g;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim find_folder', f.response_code FROM ews_find_folder(:'victim_inbox') f;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim create_folder', c.response_code FROM ews_create_folder(:'victim_inbox', 'Mine') c;
INSERT INTO sp_evil.results (label, val)
	SELECT 'grant', ews_grant('sp-evil@example.com', 'sp_victim', 'delegate')::text;
INSERT INTO sp_evil.results (label, val)
	SELECT 'revoke', ews_revoke('sp-evil@example.com', 'sp_victim', 'delegate')::text;
INSERT INTO sp_evil.results (label, val)
	SELECT 'grant impersonate', ews_grant('sp-evil@example.com', 'sp_victim', 'impersonate')::text;
INSERT INTO sp_evil.results (label, val)
	SELECT 'list', pg_catalog.string_agg(l.smtp_address || ' ' || l.owner::text, ', ') FROM ews_list_mailboxes() l;
INSERT INTO sp_evil.results (label, val)
	SELECT 'drop', ews_drop_mailbox('sp-evil2@example.com')::text;
INSERT INTO sp_evil.results (label, val)
	SELECT 'list after drop', pg_catalog.string_agg(l.smtp_address, ', ') FROM ews_list_mailboxes() l;
INSERT INTO sp_evil.results (label, val) SELECT 'hits at end', last_value::text FROM sp_evil.hits;

RESET ROLE;
-- pg_catalog first: the traps in public must not catch pgTAP either
SET LOCAL search_path = pg_catalog, public;

SELECT is((SELECT val FROM sp_evil.results WHERE label = 'control'), 'x1',
          'control: the trap lower() and count(*) win in the role''s own SQL');
SELECT cmp_ok((SELECT val::bigint FROM sp_evil.results WHERE label = 'hits after control'), '>=', 2::bigint,
          'control: the traps counted those calls');
SELECT is((SELECT val FROM sp_evil.results WHERE label = 'hits at end'),
          (SELECT val FROM sp_evil.results WHERE label = 'hits after control'),
          'no trap was called by any ews_* function');
SELECT is((SELECT string_agg(label || '=' || coalesce(val, 'NULL'), '; ' ORDER BY n) FROM sp_evil.results
            WHERE label NOT IN ('control', 'hits after control', 'hits at end', 'inbox', 'create_folder')),
          'create_mailbox=true; create_mailbox default owner=true; create_folder child=NoError; '
          'create_folder duplicate=ErrorFolderExists; get_folder=NoError Inbox; find_folder deep=NoError Trap, NoError Child; '
          'find_folder shallow=NoError Calendar, NoError Contacts, NoError Conversation History, NoError Deleted Items, '
          'NoError Drafts, NoError Inbox, NoError Journal, NoError Junk Email, NoError Notes, NoError Outbox, '
          'NoError Sent Items, NoError Sync Issues, NoError Tasks; '
          'delete_folder soft=NoError; delete_folder to deleted items=NoError; delete_folder hard=NoError; '
          'victim get_folder=ErrorNonExistentMailbox; victim find_folder=ErrorNonExistentMailbox; '
          'victim create_folder=ErrorNonExistentMailbox; grant=; revoke=; grant impersonate=; '
          'list=sp-evil2@example.com sp_evil, sp-evil@example.com sp_evil; drop=; list after drop=sp-evil@example.com',
          'every ews_* function worked as usual, and the trap pg_has_role() gave no access to the victim');
SELECT is((SELECT val FROM sp_evil.results WHERE label = 'inbox'), ews_folder_id('sp-evil@example.com', 'inbox'),
          'ews_folder_id found the mailbox case-insensitively');
SELECT is((SELECT owner_role::text FROM ews.mailbox WHERE smtp_address = 'sp-evil2@example.com'), NULL,
          'the dropped mailbox is gone');
SELECT is((SELECT count(*) FROM ews.mailbox_grant g JOIN ews.mailbox m USING (mailbox_id)
            WHERE m.smtp_address = 'sp-evil@example.com' AND g.access_right = 'impersonate'), 1::bigint,
          'the grant was stored');
SELECT is((SELECT count(*) FROM ews.folder f JOIN ews.mailbox m USING (mailbox_id)
            WHERE m.smtp_address = 'sp-victim@example.com' AND f.display_name = 'Mine'), 0::bigint,
          'nothing was created in the victim''s mailbox');
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
            WHERE d.refclassid = 'pg_extension'::regclass
              AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ews')
              AND (p.prosecdef OR NOT coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, pg_temp'])),
          0::bigint, 'every function of the extension pins search_path and none is SECURITY DEFINER');

SELECT * FROM finish();
ROLLBACK;
