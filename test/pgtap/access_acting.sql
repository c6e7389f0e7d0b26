-- Acting for a user, SQL face (ews_act_as).  A pooled role that may
-- impersonate both alice and bob acts for alice: it reaches alice's mailbox,
-- and bob's only as far as bob's owner made alice a delegate.  Without a
-- delegate grant, bob's mailbox answers every function exactly as a mailbox
-- that does not exist (codes, texts, mailbox_guid, and the same table
-- reads), and nothing in it changes.  A reviewer reads and gets
-- ErrorAccessDenied for writes; an editor writes; a removed grant is gone
-- at the next statement.  Acting only ever narrows.
BEGIN;
SELECT plan(95);

CREATE ROLE actx_web NOLOGIN IN ROLE ews_user;		-- the pool: impersonate on alice and bob
CREATE ROLE actx_web2 NOLOGIN IN ROLE ews_user;	-- another pool: impersonate on alice only
CREATE ROLE actx_owner NOLOGIN IN ROLE ews_user;	-- owns both mailboxes
CREATE ROLE actx_delegate NOLOGIN IN ROLE ews_user;	-- a role-level delegate of alice
CREATE ROLE actx_stranger NOLOGIN IN ROLE ews_user;
CREATE ROLE actx_admin NOLOGIN IN ROLE ews_admin;

SELECT ews_create_mailbox('actx-alice@example.com', 'Alice', 'actx_owner') AS alice_guid \gset
SELECT ews_create_mailbox('actx-bob@example.com', 'Bob', 'actx_owner') AS bob_guid \gset
SELECT ews_grant('actx-alice@example.com', 'actx_web', 'impersonate'), ews_grant('actx-bob@example.com', 'actx_web', 'impersonate'),
       ews_grant('actx-alice@example.com', 'actx_web2', 'impersonate'),
       ews_grant('actx-alice@example.com', 'actx_delegate', 'delegate');
SELECT ews_folder_id('actx-alice@example.com', 'inbox') AS a_inbox, ews_folder_id('actx-alice@example.com', 'drafts') AS a_drafts,
       ews_folder_id('actx-bob@example.com', 'inbox') AS b_inbox, ews_folder_id('actx-bob@example.com', 'drafts') AS b_drafts \gset
SELECT folder_id AS a_sub FROM ews_create_folder(:'a_inbox', 'A sub') \gset
SELECT folder_id AS b_sub FROM ews_create_folder(:'b_inbox', 'B sub') \gset
SELECT item_id AS a_item FROM ews_create_item(:'a_inbox', E'Subject: alice\r\n\r\nbody\r\n'::bytea) \gset
SELECT item_id AS b_item, change_key AS b_ck FROM ews_create_item(:'b_inbox', E'Subject: bob\r\n\r\nbody\r\n'::bytea) \gset
CREATE TEMP TABLE blob AS SELECT data FROM ews_export_items(ARRAY[:'a_item']);
GRANT SELECT ON blob TO PUBLIC;
SELECT gen_random_uuid() AS ghost_guid \gset
SELECT set_config('actx.bob', :'bob_guid', true) IS NOT NULL AS s1,
       set_config('actx.ghost', :'ghost_guid', true) IS NOT NULL AS s2 \gset
-- an id of bob's with its GUID replaced by one no mailbox has
CREATE FUNCTION pg_temp.ghost(id text) RETURNS text LANGUAGE sql AS $f$
	SELECT encode(overlay(decode(id, 'base64') placing convert_to(current_setting('actx.ghost'), 'UTF8') from 5 for 36), 'base64')
$f$;
SELECT pg_temp.ghost(:'b_inbox') AS g_inbox, pg_temp.ghost(:'b_sub') AS g_sub, pg_temp.ghost(:'b_item') AS g_item \gset
CREATE FUNCTION pg_temp.norm(t text) RETURNS text LANGUAGE sql AS $f$
	SELECT replace(replace(replace(replace(t, current_setting('actx.bob'), '<guid>'), current_setting('actx.ghost'), '<guid>'),
	               'actx-bob@example.com', '<addr>'), 'actx-nobody@example.com', '<addr>')
$f$;

-- Run q as role r acting for u (ews_act_as), in a subtransaction that is
-- rolled back afterwards, so that the acting user (and whatever q wrote)
-- ends with it.  The rows as text joined by ' | ', or 'ERROR <state>: <text>';
-- with chk, then ' ; ' and the row of chk (or its error), run after q as a
-- statement of its own, still in the subtransaction, as the superuser or as
-- chk_role.
CREATE FUNCTION pg_temp.acting(r text, u text, q text, chk text DEFAULT NULL, chk_role text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	res text;
	res2 text;
BEGIN
	BEGIN
		EXECUTE pg_catalog.format('SET LOCAL ROLE %I', r);
		BEGIN
			IF u IS NOT NULL THEN
				PERFORM ews_act_as(u);
			END IF;
			EXECUTE pg_catalog.format('SELECT pg_catalog.string_agg(x::text, %L) FROM (%s) x', ' | ', q) INTO res;
		EXCEPTION WHEN OTHERS THEN
			res := 'ERROR ' || SQLSTATE || ': ' || SQLERRM;
		END;
		IF chk IS NOT NULL THEN
			IF chk_role IS NULL THEN
				RESET ROLE;
			ELSE
				EXECUTE pg_catalog.format('SET LOCAL ROLE %I', chk_role);
			END IF;
			BEGIN
				EXECUTE chk INTO res2;
			EXCEPTION WHEN OTHERS THEN
				res2 := 'ERROR ' || SQLSTATE || ': ' || SQLERRM;
			END;
			res := res || ' ; ' || res2;
		END IF;
		RAISE EXCEPTION USING ERRCODE = 'EWSTU', MESSAGE = 'undo';
	EXCEPTION WHEN SQLSTATE 'EWSTU' THEN
		NULL;
	END;
	RETURN res;
END
$f$;
-- bob's mailbox as it is: every folder and item row
CREATE FUNCTION pg_temp.bob_state() RETURNS text LANGUAGE sql AS $f$
	SELECT md5(coalesce((SELECT string_agg(f::text, ',' ORDER BY folder_id) FROM ews.folder f WHERE mailbox_id = current_setting('actx.bob')::uuid), '')
	        || coalesce((SELECT string_agg(i::text, ',' ORDER BY item_id) FROM ews.item i WHERE mailbox_id = current_setting('actx.bob')::uuid), '')
	        || coalesce((SELECT string_agg(d::text, ',') FROM ews.mailbox_delegate d WHERE mailbox_id = current_setting('actx.bob')::uuid), ''))
$f$;
-- the table reads of the acting call, from this transaction's statistics
CREATE FUNCTION pg_temp.scans() RETURNS text LANGUAGE sql AS $f$
	SELECT string_agg(relname || '=' || (seq_scan + coalesce(idx_scan, 0)), ' ' ORDER BY relname)
	  FROM pg_stat_xact_user_tables WHERE schemaname = 'ews'
$f$;
CREATE FUNCTION pg_temp.acting_scans(r text, u text, q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	before text := pg_temp.scans();
	after text;
BEGIN
	PERFORM pg_temp.acting(r, u, q);
	after := pg_temp.scans();
	RETURN (SELECT string_agg(a.k || '+' || (a.v::int - b.v::int), ' ' ORDER BY a.k)
	          FROM (SELECT split_part(x, '=', 1) k, split_part(x, '=', 2) v FROM unnest(string_to_array(after, ' ')) x) a
	          JOIN (SELECT split_part(x, '=', 1) k, split_part(x, '=', 2) v FROM unnest(string_to_array(before, ' ')) x) b
	            USING (k)
	         WHERE a.v <> b.v);
END
$f$;

-- ---- without acting, the pool reaches both mailboxes (0.1's rule, kept) ----
SELECT is(pg_temp.acting('actx_web', NULL, format('SELECT response_code FROM ews_get_folder(ARRAY[%L, %L])', :'a_inbox', :'b_inbox')),
          '(NoError) | (NoError)', 'without an acting user the pool reaches alice and bob');

-- ---- acting for alice: alice's mailbox ----
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', 'SELECT ews_acting_mailbox()'),
          '(actx-alice@example.com)', 'ews_acting_mailbox names the acting user');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', $$SELECT ews_folder_id('actx-alice@example.com', 'inbox')$$),
          format('(%s)', :'a_inbox'), 'acting for alice: ews_folder_id of alice');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', format(
              'SELECT g.response_code, f.n, c.response_code, e.response_code, u.response_code, i.response_code'
              '  FROM ews_get_folder(ARRAY[%1$L]) g,'
              '       (SELECT count(*) n FROM ews_find_folder(%1$L)) f,'
              '       ews_create_folder(%1$L, ''New'') c,'
              '       ews_export_items(ARRAY[%2$L]) e,'
              '       ews_upload_items(ARRAY[%1$L], ARRAY[(SELECT data FROM blob)]) u,'
              '       ews_create_item(%1$L, ''Subject: x''::bytea) i', :'a_inbox', :'a_item')),
          '(NoError,1,NoError,NoError,NoError,NoError)', 'acting for alice: reads and writes in alice''s mailbox');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', q), '(NoError)', 'acting for alice: ' || label || ' in alice''s mailbox')
  FROM (VALUES
	('MoveFolder', format('SELECT response_code FROM ews_move_folder(%L, ARRAY[%L])', :'a_drafts', :'a_sub')),
	('CopyFolder', format('SELECT response_code FROM ews_copy_folder(%L, ARRAY[%L])', :'a_drafts', :'a_sub')),
	('DeleteFolder', format('SELECT response_code FROM ews_delete_folder(ARRAY[%L])', :'a_sub'))
  ) v(label, q);
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', 'SELECT smtp_address FROM ews_list_mailboxes()'),
          '(actx-alice@example.com)', 'acting for alice: ews_list_mailboxes lists alice only');

-- ---- acting for alice: bob's mailbox is a missing one ----
SELECT pg_temp.bob_state() AS bob_before \gset
CREATE TEMP TABLE cases (label text, bob text, ghost text);
INSERT INTO cases VALUES
	('ews_folder_id', $$SELECT ews_folder_id('actx-bob@example.com', 'inbox')$$,
	                  $$SELECT ews_folder_id('actx-nobody@example.com', 'inbox')$$),
	('ews_get_folder', format('SELECT * FROM ews_get_folder(ARRAY[%L])', :'b_inbox'),
	                   format('SELECT * FROM ews_get_folder(ARRAY[%L])', :'g_inbox')),
	('ews_find_folder Deep', format('SELECT * FROM ews_find_folder(%L, ''Deep'')', :'b_inbox'),
	                         format('SELECT * FROM ews_find_folder(%L, ''Deep'')', :'g_inbox')),
	('ews_create_folder', format('SELECT * FROM ews_create_folder(%L, ''Evil'')', :'b_inbox'),
	                      format('SELECT * FROM ews_create_folder(%L, ''Evil'')', :'g_inbox')),
	('ews_delete_folder', format('SELECT response_class, response_code, message_text, mailbox_guid FROM ews_delete_folder(ARRAY[%L])', :'b_sub'),
	                      format('SELECT response_class, response_code, message_text, mailbox_guid FROM ews_delete_folder(ARRAY[%L])', :'g_sub')),
	('ews_move_folder source', format('SELECT * FROM ews_move_folder(%L, ARRAY[%L])', :'a_inbox', :'b_sub'),
	                           format('SELECT * FROM ews_move_folder(%L, ARRAY[%L])', :'a_inbox', :'g_sub')),
	('ews_move_folder target', format('SELECT * FROM ews_move_folder(%L, ARRAY[%L])', :'b_inbox', :'a_sub'),
	                           format('SELECT * FROM ews_move_folder(%L, ARRAY[%L])', :'g_inbox', :'a_sub')),
	('ews_copy_folder source', format('SELECT * FROM ews_copy_folder(%L, ARRAY[%L])', :'a_inbox', :'b_sub'),
	                           format('SELECT * FROM ews_copy_folder(%L, ARRAY[%L])', :'a_inbox', :'g_sub')),
	('ews_copy_folder target', format('SELECT * FROM ews_copy_folder(%L, ARRAY[%L])', :'b_inbox', :'a_sub'),
	                           format('SELECT * FROM ews_copy_folder(%L, ARRAY[%L])', :'g_inbox', :'a_sub')),
	('ews_export_items', format('SELECT response_class, response_code, message_text, mailbox_guid, data FROM ews_export_items(ARRAY[%L])', :'b_item'),
	                     format('SELECT response_class, response_code, message_text, mailbox_guid, data FROM ews_export_items(ARRAY[%L])', :'g_item')),
	('ews_upload_items CreateNew', format('SELECT * FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)])', :'b_inbox'),
	                               format('SELECT * FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)])', :'g_inbox')),
	('ews_upload_items Update', format('SELECT * FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[''Update''], ARRAY[%L], ARRAY[%L])', :'b_inbox', :'b_item', :'b_ck'),
	                            format('SELECT * FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[''Update''], ARRAY[%L], ARRAY[%L])', :'g_inbox', :'g_item', :'b_ck')),
	('ews_upload_items UpdateOrCreate', format('SELECT * FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[''UpdateOrCreate''], ARRAY[%L], ARRAY[%L])', :'b_inbox', :'b_item', :'b_ck'),
	                                    format('SELECT * FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[''UpdateOrCreate''], ARRAY[%L], ARRAY[%L])', :'g_inbox', :'g_item', :'b_ck')),
	-- bob's item named for an update in alice's folder: not there, whoever's it is
	('ews_upload_items Update, bob''s item into alice''s folder',
	     format('SELECT * FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[''Update''], ARRAY[%L], ARRAY[%L])', :'a_inbox', :'b_item', :'b_ck'),
	     format('SELECT * FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[''Update''], ARRAY[%L], ARRAY[%L])', :'a_inbox', :'g_item', :'b_ck')),
	('ews_create_item', format('SELECT * FROM ews_create_item(%L, ''Subject: x''::bytea)', :'b_inbox'),
	                    format('SELECT * FROM ews_create_item(%L, ''Subject: x''::bytea)', :'g_inbox')),
	('ews_grant', $$SELECT ews_grant('actx-bob@example.com', 'actx_stranger', 'delegate')$$,
	              $$SELECT ews_grant('actx-nobody@example.com', 'actx_stranger', 'delegate')$$),
	('ews_drop_mailbox', $$SELECT ews_drop_mailbox('actx-bob@example.com')$$,
	                     $$SELECT ews_drop_mailbox('actx-nobody@example.com')$$),
	('ews_add_delegate', $$SELECT ews_add_delegate('actx-bob@example.com', 'actx-alice@example.com', 'editor')$$,
	                     $$SELECT ews_add_delegate('actx-nobody@example.com', 'actx-alice@example.com', 'editor')$$),
	('ews_list_delegates', $$SELECT * FROM ews_list_delegates('actx-bob@example.com')$$,
	                       $$SELECT * FROM ews_list_delegates('actx-nobody@example.com')$$);
SELECT is(pg_temp.norm(pg_temp.acting('actx_web', 'actx-alice@example.com', bob)),
          pg_temp.norm(pg_temp.acting('actx_web', 'actx-alice@example.com', ghost)),
          'acting for alice: ' || label || ' of bob answers as for a missing mailbox')
  FROM cases ORDER BY label;
-- and that answer is a refusal, not something that happens to be equal
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', format('SELECT response_code, mailbox_guid FROM ews_get_folder(ARRAY[%L])', :'b_inbox')),
          format('(ErrorNonExistentMailbox,%s)', :'bob_guid'), 'acting for alice: bob''s inbox is ErrorNonExistentMailbox');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', $$SELECT ews_folder_id('actx-bob@example.com', 'inbox')$$),
          'ERROR 42704: mailbox "actx-bob@example.com" does not exist', 'acting for alice: bob''s address does not exist');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com',
              format('SELECT m.response_code, c.response_code FROM ews_move_folder(%1$L, ARRAY[%2$L]) m, ews_copy_folder(%1$L, ARRAY[%2$L]) c', :'b_inbox', :'a_sub')),
          '(ErrorNonExistentMailbox,ErrorNonExistentMailbox)', 'acting for alice: bob''s folder as a target is ErrorNonExistentMailbox');
SELECT is(pg_temp.bob_state(), :'bob_before', 'acting for alice changed nothing in bob''s mailbox');
-- the work is the same too: the grant and the delegate lookups run for a missing mailbox
SELECT is(pg_temp.acting_scans('actx_web', 'actx-alice@example.com', bob),
          pg_temp.acting_scans('actx_web', 'actx-alice@example.com', ghost),
          'acting for alice: ' || label || ' of bob reads the tables a missing mailbox''s does')
  FROM cases WHERE label IN ('ews_folder_id', 'ews_get_folder', 'ews_export_items', 'ews_upload_items CreateNew') ORDER BY label;
SELECT matches(pg_temp.acting_scans('actx_web', 'actx-alice@example.com', ghost),
               'mailbox_delegate\+[1-9]', 'a missing mailbox''s lookup includes the delegate lookup')
  FROM cases WHERE label = 'ews_get_folder';

-- ---- bob makes alice a reviewer ----
SELECT ews_add_delegate('actx-bob@example.com', 'actx-alice@example.com', 'reviewer');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', format(
              'SELECT g.response_code, f.n, e.response_code, length(e.data) > 0, ews_folder_id(''actx-bob@example.com'', ''drafts'') = %3$L'
              '  FROM ews_get_folder(ARRAY[%1$L]) g, (SELECT count(*) n FROM ews_find_folder(%1$L)) f,'
              '       ews_export_items(ARRAY[%2$L]) e', :'b_inbox', :'b_item', :'b_drafts')),
          '(NoError,1,NoError,t,t)', 'reviewer: alice reads bob''s folders and items');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', 'SELECT smtp_address FROM ews_list_mailboxes()'),
          '(actx-alice@example.com) | (actx-bob@example.com)', 'reviewer: ews_list_mailboxes lists bob''s too');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', format(
              'SELECT response_class, response_code, message_text FROM ews_create_folder(%L, ''Nope'')', :'b_inbox')),
          '(Error,ErrorAccessDenied,"Access is denied. Check credentials and try again.")', 'reviewer: CreateFolder is ErrorAccessDenied');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', q),
          '(ErrorAccessDenied)', 'reviewer: ' || label || ' is ErrorAccessDenied')
  FROM (VALUES
	('DeleteFolder', format('SELECT response_code FROM ews_delete_folder(ARRAY[%L])', :'b_sub')),
	('MoveFolder within bob''s', format('SELECT response_code FROM ews_move_folder(%L, ARRAY[%L])', :'b_drafts', :'b_sub')),
	('MoveFolder of bob''s folder into alice''s', format('SELECT response_code FROM ews_move_folder(%L, ARRAY[%L])', :'a_inbox', :'b_sub')),
	('CopyFolder into bob''s', format('SELECT response_code FROM ews_copy_folder(%L, ARRAY[%L])', :'b_drafts', :'b_sub')),
	('UploadItems CreateNew', format('SELECT response_code FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)])', :'b_inbox')),
	('UploadItems Update', format('SELECT response_code FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[''Update''], ARRAY[%L], ARRAY[%L])', :'b_inbox', :'b_item', :'b_ck')),
	('UploadItems UpdateOrCreate', format('SELECT response_code FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[''UpdateOrCreate''], ARRAY[%L], ARRAY[%L])', :'b_inbox', :'b_item', :'b_ck')),
	('CreateItem', format('SELECT response_code FROM ews_create_item(%L, ''Subject: x''::bytea)', :'b_inbox'))
  ) v(label, q);
-- a copy out of bob's mailbox only reads it: refused as any cross-mailbox copy
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', format('SELECT response_code FROM ews_copy_folder(%L, ARRAY[%L])', :'a_inbox', :'b_sub')),
          '(ErrorCrossMailboxMoveCopy)', 'reviewer: a copy of bob''s folder into alice''s is a cross-mailbox copy');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', $$SELECT ews_add_delegate('actx-bob@example.com', 'actx-alice@example.com', 'editor')$$),
          'ERROR 42501: permission denied to manage mailbox "actx-bob@example.com"', 'reviewer: alice cannot make herself an editor');
SELECT is(pg_temp.bob_state() <> :'bob_before', true, 'the grant is there');
SELECT pg_temp.bob_state() AS bob_reviewed \gset
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', format(
              'SELECT response_code FROM ews_create_folder(%L, ''Kept'') UNION ALL '
              'SELECT response_code FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)])', :'b_inbox', :'b_inbox'),
              'SELECT pg_temp.bob_state()'),
          '(ErrorAccessDenied) | (ErrorAccessDenied) ; ' || :'bob_reviewed', 'reviewer: refused writes changed nothing in bob''s mailbox');

-- ---- acting narrows: a pool that may not reach bob does not reach it through alice ----
SELECT is(pg_temp.acting('actx_web2', 'actx-alice@example.com', format('SELECT response_code FROM ews_get_folder(ARRAY[%L, %L])', :'a_inbox', :'b_inbox')),
          '(NoError) | (ErrorNonExistentMailbox)', 'a pool without a grant on bob: alice yes, bob no, though alice is bob''s reviewer');
SELECT is(pg_temp.norm(pg_temp.acting('actx_web2', 'actx-alice@example.com', format('SELECT * FROM ews_get_folder(ARRAY[%L])', :'b_inbox'))),
          pg_temp.norm(pg_temp.acting('actx_web2', 'actx-alice@example.com', format('SELECT * FROM ews_get_folder(ARRAY[%L])', :'g_inbox'))),
          'and its answer for bob is the answer for a missing mailbox');
-- an admin or the owner of both, acting for alice, has alice's rights
SELECT is(pg_temp.acting(r, 'actx-alice@example.com', format('SELECT response_code FROM ews_get_folder(ARRAY[%L]) UNION ALL SELECT response_code FROM ews_create_folder(%L, ''X'')', :'b_inbox', :'b_inbox')),
          '(NoError) | (ErrorAccessDenied)', r || ' acting for alice has alice''s rights in bob''s mailbox: read only')
  FROM unnest(ARRAY['actx_admin', 'actx_owner', 'postgres']) r;
SELECT is(pg_temp.acting(r, 'actx-alice@example.com', $$SELECT ews_create_mailbox('actx-new@example.com', NULL, 'actx_owner')$$),
          'ERROR 42501: permission denied to create a mailbox while acting for mailbox "actx-alice@example.com"',
          r || ' acting for a user cannot create mailboxes')
  FROM unnest(ARRAY['actx_admin', 'postgres']) r;
SELECT is(pg_temp.acting('actx_owner', 'actx-alice@example.com', $$SELECT ews_grant('actx-alice@example.com', 'actx_stranger', 'delegate'), ews_revoke('actx-alice@example.com', 'actx_stranger', 'delegate')$$),
          '("","")', 'the owner acting for alice still manages alice''s mailbox');
SELECT is(pg_temp.acting('actx_owner', 'actx-alice@example.com', $$SELECT ews_grant('actx-bob@example.com', 'actx_stranger', 'delegate')$$),
          'ERROR 42501: permission denied to manage mailbox "actx-bob@example.com"', 'but not bob''s, though it owns it');

-- ---- bob makes alice an editor ----
SELECT ews_add_delegate('actx-bob@example.com', 'actx-alice@example.com', 'editor');
SELECT is((SELECT string_agg(delegate || ' ' || permission, ', ') FROM ews_list_delegates('actx-bob@example.com')),
          'actx-alice@example.com editor', 'adding again changed the permission');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', q), '(NoError)', 'editor: ' || label)
  FROM (VALUES
	('CreateFolder', format('SELECT response_code FROM ews_create_folder(%L, ''By alice'')', :'b_inbox')),
	('MoveFolder within bob''s', format('SELECT response_code FROM ews_move_folder(%L, ARRAY[%L])', :'b_drafts', :'b_sub')),
	('CopyFolder within bob''s', format('SELECT response_code FROM ews_copy_folder(%L, ARRAY[%L])', :'b_drafts', :'b_sub')),
	('DeleteFolder', format('SELECT response_code FROM ews_delete_folder(ARRAY[%L], ''SoftDelete'')', :'b_sub')),
	('UploadItems CreateNew', format('SELECT response_code FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)])', :'b_inbox')),
	('UploadItems Update', format('SELECT response_code FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[''Update''], ARRAY[%L], ARRAY[%L])', :'b_inbox', :'b_item', :'b_ck')),
	('UploadItems UpdateOrCreate', format('SELECT response_code FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[''UpdateOrCreate''], ARRAY[%L], ARRAY[%L])', :'b_inbox', :'b_item', :'b_ck')),
	('CreateItem', format('SELECT response_code FROM ews_create_item(%L, ''Subject: x''::bytea)', :'b_inbox'))
  ) v(label, q);
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', format('SELECT response_code FROM ews_create_folder(%L, ''By alice'')', :'b_inbox'),
              format('SELECT count(*) FROM ews.folder WHERE mailbox_id = %L AND display_name = ''By alice''', :'bob_guid')),
          '(NoError) ; 1', 'editor: the new folder is in bob''s mailbox');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', $$SELECT * FROM ews_list_delegates('actx-bob@example.com')$$),
          'ERROR 42501: permission denied to manage mailbox "actx-bob@example.com"', 'editor: alice cannot list bob''s delegates');

-- ---- removing the grant takes effect at the next statement ----
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', format('SELECT response_code FROM ews_get_folder(ARRAY[%L])', :'b_inbox')),
          '(NoError)', 'before the removal: alice reads bob''s inbox');
SELECT ews_remove_delegate('actx-bob@example.com', 'actx-alice@example.com');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', format('SELECT response_code FROM ews_get_folder(ARRAY[%L])', :'b_inbox')),
          '(ErrorNonExistentMailbox)', 'the next statement: bob''s inbox is a missing mailbox again');
SELECT is(pg_temp.norm(pg_temp.acting('actx_web', 'actx-alice@example.com', format('SELECT * FROM ews_export_items(ARRAY[%L])', :'b_item'))),
          pg_temp.norm(pg_temp.acting('actx_web', 'actx-alice@example.com', format('SELECT * FROM ews_export_items(ARRAY[%L])', :'g_item'))),
          'after the removal, bob''s item answers as a missing mailbox''s');
SELECT is((SELECT count(*) FROM ews_list_delegates('actx-bob@example.com')), 0::bigint, 'ews_list_delegates: none left');

-- ---- who may act for alice ----
SELECT is(pg_temp.acting(r, 'ACTX-Alice@example.com', 'SELECT ews_acting_mailbox()'), '(ACTX-Alice@example.com)',
          r || ' may act for alice (address compared case-insensitively)')
  FROM unnest(ARRAY['actx_web', 'actx_owner', 'actx_admin']) r;
SELECT is(pg_temp.acting('actx_delegate', 'actx-alice@example.com', 'SELECT 1'),
          'ERROR 42501: permission denied to act for mailbox "actx-alice@example.com"', 'a role-level delegate may not act for alice, and learns why');
SELECT is(pg_temp.acting('actx_stranger', 'actx-alice@example.com', 'SELECT 1'),
          'ERROR 42704: mailbox "actx-alice@example.com" does not exist', 'a stranger is told alice does not exist');
SELECT is(pg_temp.norm(replace(pg_temp.acting('actx_stranger', 'actx-alice@example.com', 'SELECT 1'), 'actx-alice@', 'actx-nobody@')),
          pg_temp.norm(pg_temp.acting('actx_stranger', 'actx-nobody@example.com', 'SELECT 1')), 'exactly as for an address no mailbox has');
SELECT is(pg_temp.acting_scans('actx_stranger', 'actx-alice@example.com', 'SELECT 1'),
          pg_temp.acting_scans('actx_stranger', 'actx-nobody@example.com', 'SELECT 1'), 'with the same table reads');
SELECT is(pg_temp.acting('actx_web', NULL, 'SELECT ews_act_as(NULL)'),
          'ERROR 22004: mailbox must not be null', 'ews_act_as(NULL) is refused: acting cannot be turned off');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', $$SELECT ews_act_as('actx-bob@example.com')$$),
          'ERROR 55000: this transaction already acts for mailbox "actx-alice@example.com"', 'a second user in the transaction is refused');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', $$SELECT ews_act_as('actx-alice@example.com'), ews_acting_mailbox()$$),
          '("",actx-alice@example.com)', 'the same user again is fine');
-- every call checks again that the calling role may act for the user
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', format('SELECT set_config(''role'', ''actx_stranger'', true), (SELECT response_code FROM ews_get_folder(ARRAY[%L]))', :'a_inbox')),
          'ERROR 42704: mailbox "actx-alice@example.com" does not exist', 'after SET ROLE to a stranger, the next call is refused');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', format('SELECT set_config(''role'', ''actx_delegate'', true), (SELECT response_code FROM ews_get_folder(ARRAY[%L]))', :'a_inbox')),
          'ERROR 42501: permission denied to act for mailbox "actx-alice@example.com"', 'after SET ROLE to a role-level delegate, too');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com', format('SELECT set_config(''role'', ''actx_admin'', true), (SELECT string_agg(response_code, '' '') FROM ews_get_folder(ARRAY[%L, %L]))', :'a_inbox', :'b_inbox')),
          '(actx_admin,"NoError ErrorNonExistentMailbox")', 'after SET ROLE to an admin: still acting for alice, with her rights');
SELECT is(pg_temp.acting('actx_web', 'actx-alice@example.com',
              $$SELECT set_config('role', 'actx_owner', true), ews_revoke('actx-alice@example.com', 'actx_web', 'impersonate')::text$$,
              format('SELECT response_code FROM ews_get_folder(ARRAY[%L])', :'a_inbox'), 'actx_web'),
          '(actx_owner,"") ; ERROR 42704: mailbox "actx-alice@example.com" does not exist', 'once the impersonate grant is revoked (by the owner, acting for alice), the next statement is refused');

-- ---- the scope: the transaction, or the subtransaction that set it ----
SAVEPOINT scope;
SELECT ews_act_as('actx-alice@example.com');
SELECT is(ews_acting_mailbox(), 'actx-alice@example.com', 'set in a savepoint');
ROLLBACK TO SAVEPOINT scope;
SELECT is(ews_acting_mailbox(), NULL, 'gone when the savepoint rolls back');
SAVEPOINT scope2;
SELECT ews_act_as('actx-alice@example.com');
RELEASE SAVEPOINT scope2;
SELECT is(ews_acting_mailbox(), 'actx-alice@example.com', 'kept when the savepoint is released');
SELECT is((SELECT string_agg(response_code, ' ') FROM ews_get_folder(ARRAY[:'a_inbox', :'b_inbox'])),
          'NoError ErrorNonExistentMailbox', 'and every call acts for alice, the superuser''s too');
-- a setting cannot name the acting user
SELECT throws_ok($$SET ews.act_as = 'actx-bob@example.com'$$, '42602', NULL, 'no ews.* setting can be made up to name a user');
SELECT is(ews_acting_mailbox(), 'actx-alice@example.com', 'and the acting user is unchanged');

SELECT * FROM finish();
ROLLBACK;
