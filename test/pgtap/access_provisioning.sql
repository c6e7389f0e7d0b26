-- Provisioning: who may execute what (PUBLIC nothing, ews_user the user
-- functions, ews_admin everything), a plain login role cannot create a
-- mailbox nor reach the SOAP parser, the admin role is the one the install
-- recorded (not whatever role is called ews_admin), and the mailbox
-- delegate functions: who may call them and what they store.
BEGIN;
SELECT plan(40);

-- the extension's functions, as regprocedure
CREATE TEMP VIEW ext_func AS
SELECT p.oid::regprocedure AS f, p.proname::text AS name
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ews');

-- ---- EXECUTE ----
-- every function, also those added later: a new function states its EXECUTE
SELECT is((SELECT string_agg(name, ', ' ORDER BY name) FROM ext_func e, pg_proc p
            WHERE p.oid = e.f AND (p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0))),
          NULL, 'PUBLIC may execute no function of the extension');
CREATE TEMP TABLE user_func (name text);
INSERT INTO user_func VALUES
	('ews_act_as'), ('ews_acting_mailbox'), ('ews_add_delegate'), ('ews_copy_folder'), ('ews_copy_items'),
	('ews_create_folder'), ('ews_create_item'), ('ews_create_items'), ('ews_delete_folder'), ('ews_delete_items'),
	('ews_drop_mailbox'), ('ews_empty_folders'), ('ews_export_items'), ('ews_find_folder'), ('ews_find_items'),
	('ews_folder_id'), ('ews_get_folder'), ('ews_get_items'), ('ews_grant'), ('ews_list_delegates'),
	('ews_list_mailboxes'), ('ews_move_folder'), ('ews_move_items'), ('ews_remove_delegate'), ('ews_revoke'),
	('ews_scaleout_reachable'), ('ews_soap'), ('ews_sync_folder_hierarchy'), ('ews_sync_folder_items'), ('ews_update_folders'), ('ews_update_items'), ('ews_upload_items');
SELECT is((SELECT string_agg(name, ', ' ORDER BY name) FROM ext_func WHERE has_function_privilege('ews_user', f, 'EXECUTE')),
          (SELECT string_agg(name, ', ' ORDER BY name) FROM user_func),
          'ews_user may execute the user functions, and only those');
SELECT is((SELECT string_agg(name, ', ' ORDER BY name) FROM ext_func WHERE has_function_privilege('ews_admin', f, 'EXECUTE')),
          (SELECT string_agg(name, ', ' ORDER BY name) FROM (SELECT name FROM user_func UNION ALL SELECT 'ews_create_mailbox'
                                                             UNION ALL SELECT 'ews_trim_tombstones') u),
          'ews_admin may execute those, ews_create_mailbox and ews_trim_tombstones');
SELECT is((SELECT string_agg(e.name, ', ' ORDER BY e.name) FROM ext_func e, pg_proc p
            WHERE p.oid = e.f AND p.pronamespace = 'ews'::regnamespace
              AND EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee <> p.proowner)),
          NULL, 'the functions in schema ews (the store''s own) grant nobody anything');
SELECT is(has_function_privilege('ews_admin', 'ews_create_mailbox(text, text, regrole)', 'EXECUTE WITH GRANT OPTION'), true,
          'ews_admin may let other roles create mailboxes');

CREATE ROLE prov_login LOGIN;			-- a login role and nothing else
CREATE ROLE prov_user LOGIN IN ROLE ews_user;
CREATE ROLE prov_admin NOLOGIN IN ROLE ews_admin;
CREATE ROLE prov_owner NOLOGIN IN ROLE ews_user;
CREATE ROLE prov_delegate NOLOGIN IN ROLE ews_user;
CREATE ROLE prov_imp NOLOGIN IN ROLE ews_user;
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
SELECT is(pg_temp.as_role(r, $$SELECT ews_create_mailbox('prov-squat@example.com')$$),
          'ERROR 42501: permission denied for function ews_create_mailbox', r || ' cannot create a mailbox')
  FROM unnest(ARRAY['prov_login', 'prov_user']) r;
SELECT is((SELECT count(*) FROM ews.mailbox WHERE smtp_address = 'prov-squat@example.com'), 0::bigint, 'and none was made');
SELECT is(pg_temp.as_role('prov_login', $$SELECT status FROM ews_soap('<not even xml')$$),
          'ERROR 42501: permission denied for function ews_soap', 'a plain login role does not reach the SOAP parser');
SELECT is(pg_temp.as_role('prov_login', $$SELECT * FROM ews_list_mailboxes()$$),
          'ERROR 42501: permission denied for function ews_list_mailboxes', 'nor any other function');
SELECT is(pg_temp.as_role('prov_user', $$SELECT status FROM ews_soap('<not even xml')$$), '(500)', 'a member of ews_user does');
SELECT is(pg_temp.as_role('prov_admin', $$SELECT ews_create_mailbox('prov-box@example.com', 'Box', 'prov_owner') IS NOT NULL$$),
          '(t)', 'a member of ews_admin creates a mailbox for an owner');

-- ---- the admin role is the recorded one ----
SELECT is((SELECT role::text FROM ews.admin_role), 'ews_admin', 'ews.admin_role records ews_admin');
SELECT is((SELECT count(*) FROM ews.admin_role), 1::bigint, 'one row');
SELECT is((SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = 'ews_admin'),
          'administers every mailbox of the ews extension (made by CREATE EXTENSION ews)', 'ews_admin carries the mark');
SELECT is((SELECT rolcanlogin OR rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = r), false, r || ' cannot log in and has no privileged attributes')
  FROM unnest(ARRAY['ews_admin', 'ews_user']) r;
SAVEPOINT renamed;
ALTER ROLE ews_admin RENAME TO prov_renamed_admin;
CREATE ROLE ews_admin NOLOGIN;
CREATE ROLE prov_impostor NOLOGIN IN ROLE ews_admin, ews_user;
SELECT is(pg_temp.as_role('prov_impostor', 'SELECT smtp_address FROM ews_list_mailboxes() WHERE smtp_address LIKE ''prov-%'''), NULL,
          'a member of a new role called ews_admin is no admin');
SELECT is(pg_temp.as_role('prov_admin', 'SELECT smtp_address FROM ews_list_mailboxes() WHERE smtp_address LIKE ''prov-%'''),
          '(prov-box@example.com)', 'a member of the recorded role, renamed, still is');
ROLLBACK TO SAVEPOINT renamed;

-- ---- mailbox delegates: who may manage them ----
SELECT ews_create_mailbox('prov-alice@example.com', 'Alice', 'prov_owner') AS alice_guid \gset
SELECT ews_grant('prov-box@example.com', 'prov_delegate', 'delegate'), ews_grant('prov-box@example.com', 'prov_imp', 'impersonate');
SELECT is(pg_temp.as_role(r, $$SELECT ews_add_delegate('prov-box@example.com', 'prov-alice@example.com', 'reviewer')$$),
          'ERROR 42501: permission denied to manage mailbox "prov-box@example.com"', r || ' may not add delegates')
  FROM unnest(ARRAY['prov_delegate', 'prov_imp']) r;
SELECT is(pg_temp.as_role('prov_user', $$SELECT ews_add_delegate('prov-box@example.com', 'prov-alice@example.com', 'reviewer')$$),
          'ERROR 42704: mailbox "prov-box@example.com" does not exist', 'a stranger is told the mailbox does not exist');
SELECT is(replace(pg_temp.as_role('prov_user', $$SELECT * FROM ews_list_delegates('prov-box@example.com')$$), 'prov-box@', 'prov-nobody@'),
          pg_temp.as_role('prov_user', $$SELECT * FROM ews_list_delegates('prov-nobody@example.com')$$),
          'ews_list_delegates: a stranger gets the missing mailbox''s error');
SELECT is(pg_temp.as_role('prov_owner', $$SELECT ews_add_delegate('prov-box@example.com', 'prov-alice@example.com', 'owner')$$),
          'ERROR 22023: invalid delegate permission "owner"', 'an unknown permission is refused');
SELECT is(pg_temp.as_role('prov_user', $$SELECT ews_add_delegate('prov-nobody@example.com', 'prov-alice@example.com', 'Reviewer')$$),
          'ERROR 22023: invalid delegate permission "Reviewer"', 'before any mailbox is looked up');
SELECT is(pg_temp.as_role('prov_owner', $$SELECT ews_add_delegate('prov-box@example.com', 'PROV-BOX@example.com', 'editor')$$),
          'ERROR 22023: mailbox "prov-box@example.com" cannot be its own delegate', 'a mailbox cannot be its own delegate');
SELECT is(pg_temp.as_role('prov_owner', $$SELECT ews_add_delegate('prov-box@example.com', 'prov-nobody@example.com', 'editor')$$),
          'ERROR 42704: mailbox "prov-nobody@example.com" does not exist', 'the delegate must be a mailbox');
SELECT is(pg_temp.as_role('prov_owner', $$SELECT ews_add_delegate('prov-box@example.com', 'Prov-Alice@example.com', 'reviewer')$$),
          '("")', 'the owner adds alice as a reviewer (addresses case-insensitive)');
SELECT is(pg_temp.as_role('prov_admin', $$SELECT * FROM ews_list_delegates('prov-box@example.com')$$),
          '(prov-alice@example.com,reviewer)', 'an admin lists it');
SELECT is(pg_temp.as_role('prov_owner', $$SELECT ews_add_delegate('prov-box@example.com', 'prov-alice@example.com', 'reviewer'), ews_add_delegate('prov-box@example.com', 'prov-alice@example.com', 'editor')$$),
          '("","")', 'adding again is fine, and sets the permission');
SELECT is(pg_temp.as_role('prov_owner', $$SELECT * FROM ews_list_delegates('prov-box@example.com')$$),
          '(prov-alice@example.com,editor)', 'one grant, now editor');
SELECT is((SELECT count(*) || ' ' || bool_and(folder_id IS NULL) FROM ews.mailbox_delegate WHERE mailbox_id = (SELECT mailbox_id FROM ews.mailbox WHERE smtp_address = 'prov-box@example.com')),
          '1 true', 'stored once, for the whole mailbox (folder_id NULL)');
SELECT throws_ok(format($$INSERT INTO ews.mailbox_delegate (mailbox_id, delegate_id, folder_id, permission)
                          SELECT mailbox_id, %L, 7, 'reviewer' FROM ews.mailbox WHERE smtp_address = 'prov-box@example.com'$$, :'alice_guid'),
                 '23514', NULL, 'per-folder rows are a later step: the table refuses them for now');
SELECT is(pg_temp.as_role('prov_admin', $$SELECT ews_add_delegate('prov-alice@example.com', 'prov-box@example.com', 'reviewer')$$),
          '("")', 'an admin adds delegates to any mailbox');
SELECT is(pg_temp.as_role('prov_owner', $$SELECT ews_remove_delegate('prov-box@example.com', 'prov-alice@example.com'), ews_remove_delegate('prov-box@example.com', 'prov-alice@example.com')$$),
          '("","")', 'the owner removes it; removing again is a no-op');
SELECT is(pg_temp.as_role('prov_owner', $$SELECT count(*) FROM ews_list_delegates('prov-box@example.com')$$), '(0)', 'none left');
SELECT is(pg_temp.as_role('prov_delegate', $$SELECT ews_remove_delegate('prov-alice@example.com', 'prov-box@example.com')$$),
          'ERROR 42704: mailbox "prov-alice@example.com" does not exist', 'a stranger to alice cannot remove hers');
-- dropping either mailbox drops the grants between them
SELECT ews_add_delegate('prov-box@example.com', 'prov-alice@example.com', 'editor');
SELECT is((SELECT count(*) FROM ews.mailbox_delegate WHERE :'alice_guid' IN (mailbox_id::text, delegate_id::text)), 2::bigint, 'two grants involve alice');
SELECT ews_drop_mailbox('prov-alice@example.com');
SELECT is((SELECT count(*) FROM ews.mailbox_delegate WHERE :'alice_guid' IN (mailbox_id::text, delegate_id::text)), 0::bigint,
          'dropping alice''s mailbox dropped both');
-- delegate grants are not dumped away: the table is in the dump
SELECT is((SELECT 'ews.mailbox_delegate'::regclass = ANY (extconfig) AND NOT 'ews.admin_role'::regclass = ANY (extconfig)
             FROM pg_extension WHERE extname = 'ews'), true,
          'pg_dump saves ews.mailbox_delegate; ews.admin_role is made by the install script');

SELECT * FROM finish();
ROLLBACK;
