-- Mailbox access control: every SQL function for an owner, a delegate, an
-- impersonator, a stranger and an admin (a member of ews_admin).  A stranger
-- must learn nothing: for a mailbox it may not use it gets exactly what it
-- gets for a mailbox that does not exist (code, text, mailbox_guid).
BEGIN;
SELECT plan(91);

CREATE ROLE acc_owner NOLOGIN;
CREATE ROLE acc_delegate NOLOGIN;
CREATE ROLE acc_imp NOLOGIN;
CREATE ROLE acc_stranger NOLOGIN;
CREATE ROLE acc_admin NOLOGIN;
CREATE ROLE acc_member NOLOGIN;			-- inherits acc_delegate's grant
GRANT ews_admin TO acc_admin;
GRANT acc_delegate TO acc_member;
-- roles that use mailboxes may call the user functions
GRANT ews_user TO acc_owner, acc_delegate, acc_imp, acc_stranger;

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

SELECT ews_create_mailbox('acc-box@example.com', 'Box', 'acc_owner') AS box_guid \gset
SELECT ews_create_mailbox('acc-other@example.com', 'Other', 'acc_stranger') AS other_guid \gset
SELECT ews_folder_id('acc-box@example.com', 'inbox') AS inbox \gset
SELECT folder_id AS sub FROM ews_create_folder(:'inbox', 'Sub') \gset
SELECT ews_folder_id('acc-box@example.com', 'drafts') AS drafts \gset
SELECT gen_random_uuid() AS ghost_guid \gset
-- the inbox id with a GUID no mailbox has
SELECT encode(overlay(decode(:'inbox', 'base64') placing convert_to(:'ghost_guid', 'UTF8') from 5 for 36), 'base64')
	AS ghost \gset
SELECT encode(overlay(decode(:'sub', 'base64') placing convert_to(:'ghost_guid', 'UTF8') from 5 for 36), 'base64')
	AS ghost_sub \gset

-- a stranger's view of the box, with the GUID and address made neutral
CREATE FUNCTION pg_temp.norm(t text) RETURNS text LANGUAGE sql AS $f$
	SELECT replace(replace(replace(replace(t,
		(SELECT mailbox_id::text FROM ews.mailbox WHERE smtp_address = 'acc-box@example.com'), '<guid>'),
		current_setting('acc.ghost_guid'), '<guid>'),
		'acc-box@example.com', '<addr>'), 'acc-nobody@example.com', '<addr>')
$f$;
SELECT set_config('acc.ghost_guid', :'ghost_guid', true) IS NOT NULL AS set \gset

-- ---- setup grants as the owner ----
SELECT is(pg_temp.as_role('acc_owner', $$SELECT ews_grant('acc-box@example.com', 'acc_delegate', 'delegate')$$),
          '("")', 'owner grants delegate');
SELECT is(pg_temp.as_role('acc_owner', $$SELECT ews_grant('acc-box@example.com', 'acc_imp', 'impersonate')$$),
          '("")', 'owner grants impersonate');
SELECT is(pg_temp.as_role('acc_owner', $$SELECT ews_grant('acc-box@example.com', 'acc_delegate', 'delegate')$$),
          '("")', 'granting again is a no-op');
SELECT is((SELECT count(*) FROM ews.mailbox_grant WHERE mailbox_id = :'box_guid'), 2::bigint,
          'one row per grant');

-- ---- ews_folder_id ----
SELECT is(pg_temp.as_role(r, $$SELECT ews_folder_id('acc-box@example.com', 'inbox')$$), format('(%s)', :'inbox'),
          'ews_folder_id for ' || r)
  FROM unnest(ARRAY['acc_owner', 'acc_delegate', 'acc_imp', 'acc_admin', 'acc_member']) r;
SELECT is(pg_temp.as_role('acc_stranger', $$SELECT ews_folder_id('acc-box@example.com', 'inbox')$$),
          'ERROR 42704: mailbox "acc-box@example.com" does not exist', 'ews_folder_id: stranger is told it does not exist');
SELECT is(pg_temp.norm(pg_temp.as_role('acc_stranger', $$SELECT ews_folder_id('acc-box@example.com', 'inbox')$$)),
          pg_temp.norm(pg_temp.as_role('acc_stranger', $$SELECT ews_folder_id('acc-nobody@example.com', 'inbox')$$)),
          'ews_folder_id: stranger sees the same as for a missing mailbox');

-- ---- ews_get_folder ----
SELECT is(pg_temp.as_role(r, format('SELECT response_code, display_name FROM ews_get_folder(ARRAY[%L])', :'inbox')),
          '(NoError,Inbox)', 'ews_get_folder for ' || r)
  FROM unnest(ARRAY['acc_owner', 'acc_delegate', 'acc_imp', 'acc_admin', 'acc_member']) r;
SELECT is(pg_temp.as_role('acc_stranger', format('SELECT response_code, mailbox_guid FROM ews_get_folder(ARRAY[%L])', :'inbox')),
          format('(ErrorNonExistentMailbox,%s)', :'box_guid'), 'ews_get_folder: stranger gets ErrorNonExistentMailbox');
SELECT is(pg_temp.norm(pg_temp.as_role('acc_stranger', format('SELECT * FROM ews_get_folder(ARRAY[%L])', :'inbox'))),
          pg_temp.norm(pg_temp.as_role('acc_stranger', format('SELECT * FROM ews_get_folder(ARRAY[%L])', :'ghost'))),
          'ews_get_folder: stranger row is the row for a nonexistent GUID');

-- ---- ews_find_folder ----
SELECT is(pg_temp.as_role(r, format('SELECT response_code, display_name FROM ews_find_folder(%L)', :'inbox')),
          '(NoError,Sub)', 'ews_find_folder for ' || r)
  FROM unnest(ARRAY['acc_owner', 'acc_delegate', 'acc_imp', 'acc_admin']) r;
SELECT is(pg_temp.norm(pg_temp.as_role('acc_stranger', format('SELECT * FROM ews_find_folder(%L, ''Deep'')', :'inbox'))),
          pg_temp.norm(pg_temp.as_role('acc_stranger', format('SELECT * FROM ews_find_folder(%L, ''Deep'')', :'ghost'))),
          'ews_find_folder: stranger row is the row for a nonexistent GUID');
SELECT matches(pg_temp.as_role('acc_stranger', format('SELECT * FROM ews_find_folder(%L)', :'inbox')),
               'ErrorNonExistentMailbox', 'ews_find_folder: stranger gets ErrorNonExistentMailbox');

-- ---- ews_create_folder ----
SELECT is(pg_temp.as_role(r, format('SELECT response_code FROM ews_create_folder(%L, %L)', :'inbox', 'By ' || r)),
          '(NoError)', 'ews_create_folder for ' || r)
  FROM unnest(ARRAY['acc_owner', 'acc_delegate', 'acc_imp', 'acc_admin']) r;
SELECT is(pg_temp.norm(pg_temp.as_role('acc_stranger', format('SELECT * FROM ews_create_folder(%L, ''Evil'')', :'inbox'))),
          pg_temp.norm(pg_temp.as_role('acc_stranger', format('SELECT * FROM ews_create_folder(%L, ''Evil'')', :'ghost'))),
          'ews_create_folder: stranger row is the row for a nonexistent GUID');
SELECT is((SELECT count(*) FROM ews.folder WHERE mailbox_id = :'box_guid' AND display_name = 'Evil'), 0::bigint,
          'ews_create_folder: the stranger created nothing');

-- ---- ews_delete_folder ----
SELECT is(pg_temp.as_role(r, format('SELECT d.response_code FROM ews_find_folder(%L) f, ews_delete_folder(ARRAY[f.folder_id]) d WHERE f.display_name = %L',
                                    :'inbox', 'By ' || r)),
          '(NoError)', 'ews_delete_folder for ' || r)
  FROM unnest(ARRAY['acc_owner', 'acc_delegate', 'acc_imp', 'acc_admin']) r;
SELECT is(pg_temp.norm(pg_temp.as_role('acc_stranger', format('SELECT response_class, response_code, message_text, mailbox_guid FROM ews_delete_folder(ARRAY[%L])', :'sub'))),
          pg_temp.norm(pg_temp.as_role('acc_stranger', format('SELECT response_class, response_code, message_text, mailbox_guid FROM ews_delete_folder(ARRAY[%L])', :'ghost_sub'))),
          'ews_delete_folder: stranger row is the row for a nonexistent GUID');
SELECT is((SELECT response_code FROM ews_get_folder(ARRAY[:'sub'])), 'NoError', 'ews_delete_folder: Sub survived the stranger');

-- ---- comparable work: a stranger's lookup of an existing mailbox and of a
-- missing one read the same tables the same number of times (the grant
-- lookup included), counted by this transaction's table statistics ----
CREATE FUNCTION pg_temp.scans() RETURNS text LANGUAGE sql AS $f$
	SELECT string_agg(relname || '=' || (seq_scan + coalesce(idx_scan, 0)), ' ' ORDER BY relname)
	  FROM pg_stat_xact_user_tables WHERE schemaname = 'ews'
$f$;
CREATE FUNCTION pg_temp.scan_delta(r text, q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	before text := pg_temp.scans();
	after text;
BEGIN
	PERFORM pg_temp.as_role(r, q);
	after := pg_temp.scans();
	RETURN (SELECT string_agg(a.k || '+' || (a.v::int - b.v::int), ' ' ORDER BY a.k)
	          FROM (SELECT split_part(x, '=', 1) k, split_part(x, '=', 2) v FROM unnest(string_to_array(after, ' ')) x) a
	          JOIN (SELECT split_part(x, '=', 1) k, split_part(x, '=', 2) v FROM unnest(string_to_array(before, ' ')) x) b
	            USING (k)
	         WHERE a.v <> b.v);
END
$f$;
SELECT is(pg_temp.scan_delta('acc_stranger', format('SELECT * FROM ews_get_folder(ARRAY[%L])', :'inbox')),
          pg_temp.scan_delta('acc_stranger', format('SELECT * FROM ews_get_folder(ARRAY[%L])', :'ghost')),
          'by id: the same table reads for a forbidden and a missing mailbox');
SELECT matches(pg_temp.scan_delta('acc_stranger', format('SELECT * FROM ews_get_folder(ARRAY[%L])', :'ghost')),
               'mailbox_grant\+[1-9]', 'by id: the missing mailbox''s lookup includes the grant lookup');
SELECT is(pg_temp.scan_delta('acc_stranger', $$SELECT ews_folder_id('acc-box@example.com', 'inbox')$$),
          pg_temp.scan_delta('acc_stranger', $$SELECT ews_folder_id('acc-nobody@example.com', 'inbox')$$),
          'by address: the same table reads for a forbidden and a missing mailbox');

-- ---- ews_move_folder / ews_copy_folder ----
SELECT is(pg_temp.as_role(r, format(
              'SELECT c.response_code, m.response_code FROM ews_create_folder(%L, %L) n,'
              ' ews_copy_folder(%L, ARRAY[n.folder_id]) c, ews_move_folder(%L, ARRAY[n.folder_id]) m',
              :'inbox', 'Moved by ' || r, :'sub', :'drafts')),
          '(NoError,NoError)', 'ews_copy_folder and ews_move_folder for ' || r)
  FROM unnest(ARRAY['acc_owner', 'acc_delegate', 'acc_imp', 'acc_admin']) r;
SELECT is(pg_temp.norm(pg_temp.as_role('acc_stranger', format(
              'SELECT response_class, response_code, message_text, mailbox_guid FROM ews_move_folder(%L, ARRAY[%L])', :'inbox', :'sub'))),
          pg_temp.norm(pg_temp.as_role('acc_stranger', format(
              'SELECT response_class, response_code, message_text, mailbox_guid FROM ews_move_folder(%L, ARRAY[%L])', :'ghost', :'ghost_sub'))),
          'ews_move_folder: stranger row is the row for a nonexistent GUID');
SELECT is(pg_temp.norm(pg_temp.as_role('acc_stranger', format(
              'SELECT response_class, response_code, message_text, mailbox_guid FROM ews_copy_folder(%L, ARRAY[%L])', :'inbox', :'sub'))),
          pg_temp.norm(pg_temp.as_role('acc_stranger', format(
              'SELECT response_class, response_code, message_text, mailbox_guid FROM ews_copy_folder(%L, ARRAY[%L])', :'ghost', :'ghost_sub'))),
          'ews_copy_folder: stranger row is the row for a nonexistent GUID');
SELECT matches(pg_temp.as_role('acc_stranger', format('SELECT response_code FROM ews_move_folder(%L, ARRAY[%L])', :'inbox', :'sub')),
               'ErrorNonExistentMailbox', 'ews_move_folder: stranger gets ErrorNonExistentMailbox');
SELECT is((SELECT parent_folder_id FROM ews_get_folder(ARRAY[:'sub'])), :'inbox',
          'ews_move_folder: Sub stayed where it was');

-- ---- ews_list_mailboxes ----
SELECT is(pg_temp.as_role(r, 'SELECT smtp_address, owner FROM ews_list_mailboxes()'),
          '(acc-box@example.com,acc_owner)', 'ews_list_mailboxes for ' || r)
  FROM unnest(ARRAY['acc_owner', 'acc_delegate', 'acc_imp', 'acc_member']) r;
SELECT is(pg_temp.as_role('acc_stranger', 'SELECT smtp_address FROM ews_list_mailboxes()'),
          '(acc-other@example.com)', 'ews_list_mailboxes: the stranger sees only its own mailbox');
SELECT is(pg_temp.as_role('acc_admin', 'SELECT smtp_address FROM ews_list_mailboxes() WHERE smtp_address LIKE ''acc-%'''),
          '(acc-box@example.com) | (acc-other@example.com)', 'ews_list_mailboxes: admin sees all');
SELECT is(pg_temp.as_role('acc_stranger', 'SELECT mailbox_guid::text FROM ews_list_mailboxes()'),
          format('(%s)', :'other_guid'), 'ews_list_mailboxes: GUIDs are the mailboxes''');

-- ---- ews_grant / ews_revoke: who may ----
SELECT is(pg_temp.as_role(r, $$SELECT ews_grant('acc-box@example.com', 'acc_stranger', 'delegate')$$),
          'ERROR 42501: permission denied to manage mailbox "acc-box@example.com"', 'ews_grant: refused for ' || r)
  FROM unnest(ARRAY['acc_delegate', 'acc_imp', 'acc_member']) r;
SELECT is(pg_temp.as_role(r, $$SELECT ews_revoke('acc-box@example.com', 'acc_delegate', 'delegate')$$),
          'ERROR 42501: permission denied to manage mailbox "acc-box@example.com"', 'ews_revoke: refused for ' || r)
  FROM unnest(ARRAY['acc_delegate', 'acc_imp']) r;
SELECT is(pg_temp.norm(pg_temp.as_role('acc_stranger', $$SELECT ews_grant('acc-box@example.com', 'acc_stranger', 'delegate')$$)),
          pg_temp.norm(pg_temp.as_role('acc_stranger', $$SELECT ews_grant('acc-nobody@example.com', 'acc_stranger', 'delegate')$$)),
          'ews_grant: stranger gets the missing-mailbox error');
SELECT is(pg_temp.as_role('acc_stranger', $$SELECT ews_grant('acc-box@example.com', 'acc_stranger', 'delegate')$$),
          'ERROR 42704: mailbox "acc-box@example.com" does not exist', 'ews_grant: which is "does not exist"');
SELECT is(pg_temp.norm(pg_temp.as_role('acc_stranger', $$SELECT ews_revoke('acc-box@example.com', 'acc_delegate', 'delegate')$$)),
          pg_temp.norm(pg_temp.as_role('acc_stranger', $$SELECT ews_revoke('acc-nobody@example.com', 'acc_delegate', 'delegate')$$)),
          'ews_revoke: stranger gets the missing-mailbox error');
SELECT is(pg_temp.as_role('acc_stranger', $$SELECT ews_grant('acc-box@example.com', 'acc_stranger', 'owner')$$),
          pg_temp.as_role('acc_stranger', $$SELECT ews_grant('acc-nobody@example.com', 'acc_stranger', 'owner')$$),
          'ews_grant: an unknown right is refused before the mailbox is looked up');
SELECT matches(pg_temp.as_role('acc_owner', $$SELECT ews_grant('acc-box@example.com', 'acc_stranger', 'Delegate')$$),
               '^ERROR 22023: invalid access right "Delegate"', 'ews_grant: unknown right raises 22023');
SELECT is((SELECT count(*) FROM ews.mailbox_grant WHERE mailbox_id = :'box_guid'), 2::bigint,
          'refused grants and revokes changed nothing');
SELECT is(pg_temp.as_role('acc_admin', $$SELECT ews_grant('acc-box@example.com', 'acc_stranger', 'delegate')$$),
          '("")', 'ews_grant: admin may');
SELECT is(pg_temp.as_role('acc_stranger', format('SELECT response_code FROM ews_get_folder(ARRAY[%L])', :'inbox')),
          '(NoError)', 'the grant gives the former stranger access');
SELECT is(pg_temp.as_role('acc_admin', $$SELECT ews_revoke('acc-box@example.com', 'acc_stranger', 'delegate')$$),
          '("")', 'ews_revoke: admin may');
SELECT is(pg_temp.as_role('acc_owner', $$SELECT ews_revoke('acc-box@example.com', 'acc_delegate', 'delegate')$$),
          '("")', 'ews_revoke: owner may');
SELECT is(pg_temp.as_role('acc_owner', $$SELECT ews_revoke('acc-box@example.com', 'acc_delegate', 'delegate')$$),
          '("")', 'ews_revoke: revoking again is a no-op');
SELECT is(pg_temp.as_role(r, format('SELECT response_code FROM ews_get_folder(ARRAY[%L])', :'inbox')),
          '(ErrorNonExistentMailbox)', 'after the revoke, no access for ' || r)
  FROM unnest(ARRAY['acc_stranger', 'acc_delegate', 'acc_member']) r;
SELECT is(pg_temp.as_role('acc_delegate', 'SELECT smtp_address FROM ews_list_mailboxes()'), NULL,
          'after the revoke, the former delegate lists nothing');

-- ---- ews_create_mailbox: administrators only ----
SELECT is(pg_temp.as_role(r, $$SELECT ews_create_mailbox('acc-new@example.com', NULL, 'acc_owner') IS NOT NULL$$),
          'ERROR 42501: permission denied for function ews_create_mailbox',
          'ews_create_mailbox for the owner refused for ' || r)
  FROM unnest(ARRAY['acc_stranger', 'acc_delegate', 'acc_imp']) r;
SELECT is(pg_temp.as_role('acc_owner', $$SELECT ews_create_mailbox('acc-own@example.com') IS NOT NULL$$),
          'ERROR 42501: permission denied for function ews_create_mailbox',
          'ews_create_mailbox: an owner may not create even its own');
SELECT is(pg_temp.as_role('acc_admin', $$SELECT ews_create_mailbox('acc-new@example.com', NULL, 'acc_owner') IS NOT NULL$$),
          '(t)', 'ews_create_mailbox: admin creates for the owner');
-- an admin may let a role create mailboxes (for the roles it is a member of)
SET LOCAL ROLE acc_admin;
GRANT EXECUTE ON FUNCTION ews_create_mailbox(text, text, regrole) TO acc_owner;
RESET ROLE;
SELECT is((SELECT a.grantor::regrole::text FROM pg_proc p, aclexplode(p.proacl) a
            WHERE p.oid = 'ews_create_mailbox(text, text, regrole)'::regprocedure AND a.grantee = 'acc_owner'::regrole),
          'ews_admin', 'ews_create_mailbox: a member of ews_admin may grant EXECUTE on it (as ews_admin)');
SELECT is(pg_temp.as_role('acc_owner', $$SELECT ews_create_mailbox('acc-own@example.com') IS NOT NULL$$),
          '(t)', 'ews_create_mailbox: a role the admin let creates its own');
SELECT is(pg_temp.as_role('acc_owner', $$SELECT ews_create_mailbox('acc-own2@example.com', NULL, 'acc_delegate') IS NOT NULL$$),
          'ERROR 42501: permission denied to create a mailbox owned by role "acc_delegate"',
          'ews_create_mailbox: but not one for a role it is not a member of');
SELECT is((SELECT owner_role::text FROM ews.mailbox WHERE smtp_address = 'acc-own@example.com'), 'acc_owner',
          'ews_create_mailbox: the default owner is the calling role');

-- ---- ews_drop_mailbox ----
SELECT is(pg_temp.norm(pg_temp.as_role('acc_stranger', $$SELECT ews_drop_mailbox('acc-box@example.com')$$)),
          pg_temp.norm(pg_temp.as_role('acc_stranger', $$SELECT ews_drop_mailbox('acc-nobody@example.com')$$)),
          'ews_drop_mailbox: stranger gets the missing-mailbox error');
SELECT is(pg_temp.as_role('acc_imp', $$SELECT ews_drop_mailbox('acc-box@example.com')$$),
          'ERROR 42501: permission denied to manage mailbox "acc-box@example.com"', 'ews_drop_mailbox: refused for the impersonator');
SELECT is((SELECT count(*) FROM ews.mailbox WHERE smtp_address = 'acc-box@example.com'), 1::bigint,
          'ews_drop_mailbox: the refused drops changed nothing');
SELECT is(pg_temp.as_role('acc_owner', $$SELECT ews_drop_mailbox('acc-own@example.com')$$), '("")',
          'ews_drop_mailbox: owner drops its own');
SELECT is(pg_temp.as_role('acc_admin', $$SELECT ews_drop_mailbox('ACC-BOX@example.com')$$), '("")',
          'ews_drop_mailbox: admin drops another''s (address compared case-insensitively)');
SELECT is((SELECT count(*) FROM ews.mailbox WHERE mailbox_id = :'box_guid')
        + (SELECT count(*) FROM ews.folder WHERE mailbox_id = :'box_guid')
        + (SELECT count(*) FROM ews.item WHERE mailbox_id = :'box_guid')
        + (SELECT count(*) FROM ews.mailbox_grant WHERE mailbox_id = :'box_guid'), 0::bigint,
          'ews_drop_mailbox: mailbox, folders, items and grants are gone');
SELECT is(pg_temp.as_role('acc_owner', format('SELECT response_code, mailbox_guid FROM ews_get_folder(ARRAY[%L])', :'inbox')),
          format('(ErrorNonExistentMailbox,%s)', :'box_guid'), 'ews_drop_mailbox: its ids now name no mailbox');
SELECT is(pg_temp.as_role('acc_owner', $$SELECT ews_drop_mailbox('acc-own@example.com')$$),
          'ERROR 42704: mailbox "acc-own@example.com" does not exist', 'ews_drop_mailbox: dropping twice fails');

SELECT * FROM finish();
ROLLBACK;
