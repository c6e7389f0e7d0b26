-- Mailbox access control for the item functions (ews_export_items,
-- ews_upload_items with CreateNew, Update and UpdateOrCreate,
-- ews_create_item) for an owner, a delegate, an impersonator, an admin and a
-- stranger.  The allowed roles succeed; a stranger gets exactly the row it
-- gets for a mailbox GUID that does not exist (code, text, mailbox_guid, no
-- id, no data), and nothing is written: ews.item is byte for byte the same.
BEGIN;
SELECT plan(38);

CREATE ROLE acci_owner NOLOGIN;
CREATE ROLE acci_delegate NOLOGIN;
CREATE ROLE acci_imp NOLOGIN;
CREATE ROLE acci_stranger NOLOGIN;
CREATE ROLE acci_admin NOLOGIN;
GRANT ews_admin TO acci_admin;
GRANT ews_user TO acci_owner, acci_delegate, acci_imp, acci_stranger;

-- Run a query as a role; its rows as text joined by ' | ' (NULL for none),
-- or 'ERROR <sqlstate>: <message>'.
CREATE FUNCTION pg_temp.as_role(r text, q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	res text;
BEGIN
	EXECUTE pg_catalog.format('SET LOCAL ROLE %I', r);
	BEGIN
		EXECUTE pg_catalog.format('SELECT pg_catalog.string_agg(x::text, %L) FROM (%s) x', ' | ', q) INTO res;
	EXCEPTION WHEN OTHERS THEN
		res := 'ERROR ' || SQLSTATE || ': ' || SQLERRM;
	END;
	RESET ROLE;
	RETURN res;
END
$f$;

SELECT ews_create_mailbox('acci-box@example.com', 'Box', 'acci_owner') AS box_guid \gset
SELECT ews_grant('acci-box@example.com', 'acci_delegate', 'delegate');
SELECT ews_grant('acci-box@example.com', 'acci_imp', 'impersonate');
SELECT ews_folder_id('acci-box@example.com', 'inbox') AS inbox \gset
SELECT gen_random_uuid() AS ghost_guid \gset
SELECT set_config('acci.box', :'box_guid', true) IS NOT NULL AS s1,
       set_config('acci.ghost', :'ghost_guid', true) IS NOT NULL AS s2 \gset
-- an id with its mailbox GUID replaced by one no mailbox has
CREATE FUNCTION pg_temp.ghost(id text) RETURNS text LANGUAGE sql AS $f$
	SELECT encode(overlay(decode(id, 'base64') placing convert_to(current_setting('acci.ghost'), 'UTF8') from 5 for 36), 'base64')
$f$;
-- the two GUIDs made neutral
CREATE FUNCTION pg_temp.norm(t text) RETURNS text LANGUAGE sql AS $f$
	SELECT replace(replace(t, current_setting('acci.box'), '<guid>'), current_setting('acci.ghost'), '<guid>')
$f$;
-- ews.item as it is: rows and a digest of every byte
CREATE FUNCTION pg_temp.items() RETURNS text LANGUAGE sql AS $f$
	SELECT count(*) || ' ' || coalesce(md5(string_agg(i::text, ',' ORDER BY mailbox_id, item_id)), '-') FROM ews.item i
$f$;

CREATE TEMP TABLE msg AS SELECT E'From: a@example.com\r\nSubject: Access\r\nMessage-ID: <acc@example.com>\r\n\r\nbody\r\n'::bytea AS mime;
GRANT SELECT ON msg TO PUBLIC;
-- the item every role reads and updates, and its blob (valid for upload)
SELECT item_id AS item FROM ews_create_item(:'inbox', (SELECT mime FROM msg)) \gset
CREATE TEMP TABLE blob AS SELECT data FROM ews_export_items(ARRAY[:'item']);
GRANT SELECT ON blob TO PUBLIC;
SELECT pg_temp.ghost(:'inbox') AS ghost_inbox, pg_temp.ghost(:'item') AS ghost_item \gset
SELECT change_key AS ck FROM ews_export_items(ARRAY[:'item']) \gset

-- ---- the allowed roles ----
SELECT is(pg_temp.as_role(r, format('SELECT item_id = %L, response_code, length(data) = (SELECT length(data) FROM blob) FROM ews_export_items(ARRAY[%L])',
                                    :'item', :'item')),
          '(t,NoError,t)', 'ews_export_items for ' || r)
  FROM unnest(ARRAY['acci_owner', 'acci_delegate', 'acci_imp', 'acci_admin']) r;
SELECT is(pg_temp.as_role(r, format('SELECT response_code FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)])', :'inbox')),
          '(NoError)', 'ews_upload_items CreateNew for ' || r)
  FROM unnest(ARRAY['acci_owner', 'acci_delegate', 'acci_imp', 'acci_admin']) r;
-- Update with the item's current change key, read in the same statement
SELECT is(pg_temp.as_role(r, format(
              'SELECT u.item_id = %L, u.response_code FROM ews_export_items(ARRAY[%L]) x,'
              ' ews_upload_items(ARRAY[%L], ARRAY[x.data], ARRAY[''Update''], ARRAY[x.item_id], ARRAY[x.change_key]) u',
              :'item', :'item', :'inbox')),
          '(t,NoError)', 'ews_upload_items Update for ' || r)
  FROM unnest(ARRAY['acci_owner', 'acci_delegate', 'acci_imp', 'acci_admin']) r;
SELECT is(pg_temp.as_role(r, format(
              'SELECT u.item_id = %L, u.response_code FROM ews_export_items(ARRAY[%L]) x,'
              ' ews_upload_items(ARRAY[%L], ARRAY[x.data], ARRAY[''UpdateOrCreate''], ARRAY[x.item_id], ARRAY[x.change_key]) u',
              :'item', :'item', :'inbox')),
          '(t,NoError)', 'ews_upload_items UpdateOrCreate for ' || r)
  FROM unnest(ARRAY['acci_owner', 'acci_delegate', 'acci_imp', 'acci_admin']) r;
SELECT is(pg_temp.as_role(r, format('SELECT response_code FROM ews_create_item(%L, (SELECT mime FROM msg))', :'inbox')),
          '(NoError)', 'ews_create_item for ' || r)
  FROM unnest(ARRAY['acci_owner', 'acci_delegate', 'acci_imp', 'acci_admin']) r;
SELECT is((SELECT count(*) FROM ews.item WHERE mailbox_id = :'box_guid'), 9::bigint,
          'the allowed roles'' items are there: the first one, four uploads, four created');

-- ---- the stranger: every answer is the answer for a nonexistent GUID ----
SELECT pg_temp.items() AS before \gset
SELECT change_key AS ck FROM ews_export_items(ARRAY[:'item']) \gset

SELECT is(pg_temp.as_role('acci_stranger', format('SELECT response_code, mailbox_guid FROM ews_export_items(ARRAY[%L])', :'item')),
          format('(ErrorNonExistentMailbox,%s)', :'box_guid'), 'ews_export_items: stranger gets ErrorNonExistentMailbox');
SELECT is(pg_temp.norm(pg_temp.as_role('acci_stranger', format(
              'SELECT change_key, data, response_class, response_code, message_text, mailbox_guid FROM ews_export_items(ARRAY[%L], ARRAY[%L])', :'item', :'ck'))),
          pg_temp.norm(pg_temp.as_role('acci_stranger', format(
              'SELECT change_key, data, response_class, response_code, message_text, mailbox_guid FROM ews_export_items(ARRAY[%L], ARRAY[%L])', :'ghost_item', :'ck'))),
          'ews_export_items: stranger row is the row for a nonexistent GUID');
SELECT is(pg_temp.as_role('acci_stranger', format('SELECT data FROM ews_export_items(ARRAY[%L])', :'item')),
          '()', 'ews_export_items: no data for the stranger');

-- each upload action, with the real ids and change key against ghost ones
SELECT is(pg_temp.norm(pg_temp.as_role('acci_stranger', format(
              'SELECT * FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[%L], ARRAY[%L], ARRAY[%L])',
              :'inbox', a, :'item', :'ck'))),
          pg_temp.norm(pg_temp.as_role('acci_stranger', format(
              'SELECT * FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[%L], ARRAY[%L], ARRAY[%L])',
              :'ghost_inbox', a, :'ghost_item', :'ck'))),
          'ews_upload_items ' || a || ': stranger row is the row for a nonexistent GUID')
  FROM unnest(ARRAY['CreateNew', 'Update', 'UpdateOrCreate']) a;
SELECT is(pg_temp.as_role('acci_stranger', format(
              'SELECT item_id, change_key, response_code FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[%L], ARRAY[%L], ARRAY[%L])',
              :'inbox', a, :'item', :'ck')),
          '(,,ErrorNonExistentMailbox)', 'ews_upload_items ' || a || ': stranger gets ErrorNonExistentMailbox and no id')
  FROM unnest(ARRAY['CreateNew', 'Update', 'UpdateOrCreate']) a;
-- UpdateOrCreate without an item id creates: also refused
SELECT is(pg_temp.norm(pg_temp.as_role('acci_stranger', format(
              'SELECT * FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[''UpdateOrCreate''])', :'inbox'))),
          pg_temp.norm(pg_temp.as_role('acci_stranger', format(
              'SELECT * FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[''UpdateOrCreate''])', :'ghost_inbox'))),
          'ews_upload_items UpdateOrCreate without an id: stranger row is the row for a nonexistent GUID');
-- the stranger's own mailbox as the parent, the victim's item as the one to update
SELECT ews_create_mailbox('acci-stranger@example.com', 'Stranger', 'acci_stranger') IS NOT NULL AS s3 \gset
SELECT ews_folder_id('acci-stranger@example.com', 'inbox') AS stranger_inbox \gset
SELECT is(pg_temp.as_role('acci_stranger', format(
              'SELECT response_code FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[''Update''], ARRAY[%L], ARRAY[%L])',
              :'stranger_inbox', :'item', :'ck')),
          '(ErrorItemNotFound)', 'ews_upload_items Update into its own folder: the victim''s item is not found there');
SELECT is(pg_temp.as_role('acci_stranger', format(
              'SELECT response_code, item_id = %L FROM ews_upload_items(ARRAY[%L], ARRAY[(SELECT data FROM blob)], ARRAY[''UpdateOrCreate''], ARRAY[%L], ARRAY[%L])',
              :'item', :'stranger_inbox', :'item', :'ck')),
          '(NoError,f)', 'ews_upload_items UpdateOrCreate into its own folder: a new item of its own, not the victim''s');
SELECT is(pg_temp.norm(pg_temp.as_role('acci_stranger', format('SELECT * FROM ews_create_item(%L, (SELECT mime FROM msg))', :'inbox'))),
          pg_temp.norm(pg_temp.as_role('acci_stranger', format('SELECT * FROM ews_create_item(%L, (SELECT mime FROM msg))', :'ghost_inbox'))),
          'ews_create_item: stranger row is the row for a nonexistent GUID');
SELECT is(pg_temp.as_role('acci_stranger', format('SELECT item_id, response_code, mailbox_guid FROM ews_create_item(%L, (SELECT mime FROM msg))', :'inbox')),
          format('(,ErrorNonExistentMailbox,%s)', :'box_guid'), 'ews_create_item: stranger gets ErrorNonExistentMailbox');
SELECT is((SELECT count(*) || ' ' || coalesce(md5(string_agg(i::text, ',' ORDER BY mailbox_id, item_id)), '-')
             FROM ews.item i WHERE mailbox_id <> (SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = 'acci-stranger@example.com')),
          :'before', 'nothing the stranger did changed an item outside its own mailbox');

-- a revoked delegate is a stranger again
SELECT ews_revoke('acci-box@example.com', 'acci_delegate', 'delegate');
SELECT is(pg_temp.as_role('acci_delegate', format('SELECT response_code FROM ews_export_items(ARRAY[%L])', :'item')),
          '(ErrorNonExistentMailbox)', 'after the revoke, ews_export_items refuses the former delegate');
SELECT is(pg_temp.as_role('acci_delegate', format('SELECT response_code FROM ews_create_item(%L, (SELECT mime FROM msg))', :'inbox')),
          '(ErrorNonExistentMailbox)', 'after the revoke, ews_create_item refuses the former delegate');

SELECT * FROM finish();
ROLLBACK;
