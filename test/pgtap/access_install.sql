-- Installing and updating, as far as roles go.  ews_admin and ews_user are
-- cluster-wide and may exist before CREATE EXTENSION: a fresh install adopts
-- one only if it is safe (no login, no privileged attributes, no
-- memberships, no objects or privileges, and for ews_admin no members) or
-- marked by an earlier ews install; an update from 0.1 keeps the ews_admin
-- 0.1 used and makes every role that owns a mailbox or holds a grant a
-- member of ews_user, so that 0.1's deployments keep working.
--
-- Everything runs in this transaction: the extension is dropped, each
-- attempt made in a subtransaction that is rolled back, and the final
-- ROLLBACK puts the database and the cluster's roles back as they were.
BEGIN;
SELECT plan(21);

DROP EXTENSION ews;
-- the cluster's own roles out of the way: each case makes the ones it needs
ALTER ROLE ews_admin RENAME TO inst_saved_admin;
ALTER ROLE ews_user RENAME TO inst_saved_user;
SELECT 'administers every mailbox of the ews extension (made by CREATE EXTENSION ews)' AS admin_mark \gset

-- Run setup, then q; 'ok' or 'ERROR <state>: <message> / <detail>'; with
-- chk, ' ; ' and chk's row.  All in a subtransaction that is rolled back.
CREATE FUNCTION pg_temp.try(setup text, q text, chk text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	res text;
	res2 text;
	detail text;
BEGIN
	BEGIN
		IF setup IS NOT NULL THEN
			EXECUTE setup;
		END IF;
		BEGIN
			EXECUTE q;
			res := 'ok';
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
			res := 'ERROR ' || SQLSTATE || ': ' || SQLERRM || ' / ' || coalesce(detail, '');
		END;
		IF chk IS NOT NULL AND res = 'ok' THEN
			EXECUTE chk INTO res2;
			res := res || ' ; ' || coalesce(res2, 'NULL');
		END IF;
		RAISE EXCEPTION USING ERRCODE = 'EWSTU', MESSAGE = 'undo';
	EXCEPTION WHEN SQLSTATE 'EWSTU' THEN
		NULL;
	END;
	RETURN res;
END
$f$;
CREATE TABLE inst_table ();

-- ---- a fresh install: ews_admin ----
SELECT is(pg_temp.try(NULL, 'CREATE EXTENSION ews',
              $$SELECT (SELECT role::text FROM ews.admin_role) || ' ' || r.rolcanlogin || ' ' || shobj_description(r.oid, 'pg_authid')
                  FROM pg_roles r WHERE rolname = 'ews_admin'$$),
          'ok ; ews_admin false ' || :'admin_mark', 'no ews_admin yet: made NOLOGIN, recorded, marked');
SELECT is(pg_temp.try('CREATE ROLE ews_admin NOLOGIN', 'CREATE EXTENSION ews',
              $$SELECT (SELECT role::text FROM ews.admin_role) || ' ' || shobj_description('ews_admin'::regrole, 'pg_authid')$$),
          'ok ; ews_admin ' || :'admin_mark', 'a safe ews_admin (NOLOGIN, nothing else) is adopted, recorded and marked');
SELECT is(pg_temp.try('CREATE ROLE ews_admin NOLOGIN; COMMENT ON ROLE ews_admin IS ''the DBA''''s''', 'CREATE EXTENSION ews',
              $$SELECT shobj_description('ews_admin'::regrole, 'pg_authid')$$),
          'ok ; the DBA''s', 'a comment of its own is kept');
SELECT is(pg_temp.try(setup, 'CREATE EXTENSION ews'),
          'ERROR 42710: role "ews_admin" already exists and is not safe to adopt for ews / It ' || why || '. Its members would administer every mailbox.',
          'a pre-existing ews_admin that ' || why || ' is refused')
  FROM (VALUES
	('CREATE ROLE ews_admin LOGIN', 'can log in'),
	('CREATE ROLE ews_admin SUPERUSER', 'is a superuser, can log in'),
	('CREATE ROLE ews_admin NOLOGIN CREATEROLE', 'has CREATEROLE'),
	('CREATE ROLE ews_admin NOLOGIN CREATEDB BYPASSRLS', 'has CREATEDB, has BYPASSRLS'),
	('CREATE ROLE ews_admin NOLOGIN; CREATE ROLE inst_m1 LOGIN IN ROLE ews_admin; CREATE ROLE inst_m2 IN ROLE ews_admin', 'has members (inst_m1, inst_m2)'),
	('CREATE ROLE ews_admin NOLOGIN IN ROLE pg_read_all_data', 'is a member of (pg_read_all_data)'),
	('CREATE ROLE ews_admin NOLOGIN; GRANT SELECT ON inst_table TO ews_admin', 'owns objects or holds privileges in a database of this cluster')
  ) v(setup, why)
 WHERE setup NOT LIKE '%SUPERUSER%';
SELECT matches(pg_temp.try('CREATE ROLE ews_admin SUPERUSER', 'CREATE EXTENSION ews'),
               '^ERROR 42710: .* / It is a superuser\. ', 'a superuser ews_admin is refused');
SELECT is(pg_temp.try('CREATE ROLE ews_admin LOGIN', 'CREATE EXTENSION ews', NULL),
          pg_temp.try('CREATE ROLE ews_admin LOGIN', 'CREATE EXTENSION ews VERSION ''0.1''; ALTER EXTENSION ews UPDATE'),
          '0.1 and the update in one go are a fresh install too');
SELECT is(pg_temp.try(format('CREATE ROLE ews_admin LOGIN; COMMENT ON ROLE ews_admin IS %L; CREATE ROLE inst_m3 IN ROLE ews_admin', :'admin_mark'),
              'CREATE EXTENSION ews', 'SELECT role::text FROM ews.admin_role'),
          'ok ; ews_admin', 'a marked ews_admin (an ews install elsewhere in the cluster) is adopted with its members');
SELECT is(pg_temp.try('CREATE ROLE ews_admin LOGIN', 'CREATE EXTENSION ews', NULL),
          pg_temp.try('CREATE ROLE ews_admin LOGIN', 'CREATE EXTENSION ews', 'SELECT 1'),
          'a refused install leaves nothing behind to check');

-- ---- a fresh install: ews_user ----
SELECT is(pg_temp.try('CREATE ROLE ews_user NOLOGIN; CREATE ROLE inst_u IN ROLE ews_user', 'CREATE EXTENSION ews',
              $$SELECT has_function_privilege('inst_u', 'ews_soap(text, text)', 'EXECUTE')$$),
          'ok ; true', 'a safe ews_user with members is adopted: its members use mailboxes');
SELECT is(pg_temp.try('CREATE ROLE ews_user LOGIN', 'CREATE EXTENSION ews'),
          'ERROR 42710: role "ews_user" already exists and is not safe to adopt for ews / It can log in. Every role that uses a mailbox is made a member of it.',
          'an ews_user that can log in is refused');
SELECT is(pg_temp.try('CREATE ROLE ews_admin; CREATE ROLE ews_user IN ROLE ews_admin', 'CREATE EXTENSION ews'),
          'ERROR 42710: role "ews_admin" already exists and is not safe to adopt for ews / It has members (ews_user). Its members would administer every mailbox.',
          'an ews_user in ews_admin is refused (by ews_admin''s check)');
SELECT is(pg_temp.try('CREATE ROLE ews_user NOLOGIN IN ROLE pg_write_all_data', 'CREATE EXTENSION ews'),
          'ERROR 42710: role "ews_user" already exists and is not safe to adopt for ews / It is a member of (pg_write_all_data). Every role that uses a mailbox is made a member of it.',
          'an ews_user with memberships is refused');

-- ---- an update from 0.1 with data ----
-- 0.1 adopted any ews_admin: here one that can log in and has a member.
-- The update keeps it (its members administered every mailbox and still
-- do), and the roles that own mailboxes or hold grants keep working.
CREATE FUNCTION pg_temp.update_from_01() RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	res text := '';
	r record;
BEGIN
	BEGIN
		CREATE ROLE ews_admin LOGIN;
		CREATE ROLE inst_boss IN ROLE ews_admin;
		CREATE ROLE inst_owner; CREATE ROLE inst_delegate; CREATE ROLE inst_imp; CREATE ROLE inst_other;
		SELECT oid INTO r FROM pg_roles WHERE rolname = 'ews_admin';
		-- install 0.1 in a subtransaction of its own (a block with an
		-- exception clause), then use it
		BEGIN
			CREATE EXTENSION ews VERSION '0.1';
		EXCEPTION WHEN no_data_found THEN
			RAISE;
		END;
		-- 0.1's rows as its functions made them (a 0.2 library refuses to
		-- run against a 0.1 schema): a mailbox with root, msgfolderroot and
		-- inbox, and its grants
		INSERT INTO ews.mailbox (mailbox_id, smtp_address, display_name, owner_role)
			VALUES ('7b0c7f5e-4a43-4d4e-9d1e-0d0c7a7f3a01', 'inst-box@example.com', 'Box', 'inst_owner');
		INSERT INTO ews.folder (mailbox_id, folder_id, parent_id, display_name, folder_class, distinguished, change_number)
			VALUES ('7b0c7f5e-4a43-4d4e-9d1e-0d0c7a7f3a01', 1, NULL, 'Root', NULL, 'root', 1),
			       ('7b0c7f5e-4a43-4d4e-9d1e-0d0c7a7f3a01', 2, 1, 'Top of Information Store', NULL, 'msgfolderroot', 2),
			       ('7b0c7f5e-4a43-4d4e-9d1e-0d0c7a7f3a01', 3, 2, 'Inbox', 'IPF.Note', 'inbox', 3);
		PERFORM setval('ews.local_id_seq', 3), setval('ews.change_seq', 3);
		INSERT INTO ews.mailbox_grant (mailbox_id, grantee, access_right)
			VALUES ('7b0c7f5e-4a43-4d4e-9d1e-0d0c7a7f3a01', 'inst_delegate', 'delegate'),
			       ('7b0c7f5e-4a43-4d4e-9d1e-0d0c7a7f3a01', 'inst_imp', 'impersonate');
		SET CONSTRAINTS ALL IMMEDIATE;		-- the deferred parent check, as at 0.1's commit
		-- then, later, the update
		BEGIN
			ALTER EXTENSION ews UPDATE;
		EXCEPTION WHEN no_data_found THEN
			RAISE;
		END;
		res := (SELECT extversion FROM pg_extension WHERE extname = 'ews')
		    || '; admin ' || (SELECT (role::oid = r.oid)::text FROM ews.admin_role)
		    || '; ews_user members ' || (SELECT string_agg(x, ',' ORDER BY x) FROM unnest(ARRAY['inst_owner', 'inst_delegate', 'inst_imp', 'inst_other', 'inst_boss']) x
		                                   WHERE pg_has_role(x, 'ews_user', 'MEMBER'));
		SET LOCAL ROLE inst_delegate;
		res := res || '; delegate ' || (SELECT response_code FROM ews_get_folder(ARRAY[ews_folder_id('inst-box@example.com', 'inbox')]));
		SET LOCAL ROLE inst_imp;
		res := res || '; impersonator ' || (SELECT status FROM ews_soap('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">'
		    '<s:Header><t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>inst-box@example.com</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation></s:Header>'
		    '<s:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>'));
		SET LOCAL ROLE inst_owner;
		res := res || '; owner ' || (SELECT count(*) FROM ews_find_folder(ews_folder_id('inst-box@example.com', 'msgfolderroot')));
		SET LOCAL ROLE inst_boss;
		res := res || '; admin member ' || (SELECT string_agg(smtp_address, ',') FROM ews_list_mailboxes());
		RESET ROLE;
		RAISE EXCEPTION USING ERRCODE = 'EWSTU', MESSAGE = 'undo';
	EXCEPTION WHEN SQLSTATE 'EWSTU' THEN
		NULL;
	END;
	RETURN res;
END
$f$;
SET LOCAL client_min_messages = error;	-- the update warns that this ews_admin can log in
SELECT is(pg_temp.update_from_01(),
          '0.2; admin true; ews_user members inst_delegate,inst_imp,inst_owner; delegate NoError; impersonator 200; owner 1; admin member inst-box@example.com',
          'from 0.1: the same ews_admin, owners and grantees in ews_user, and each works as before');
RESET client_min_messages;

-- ---- a plain login role after the update: nothing ----
SELECT is(pg_temp.try('CREATE EXTENSION ews; CREATE ROLE inst_login LOGIN; SET LOCAL ROLE inst_login',
              $$SELECT ews_create_mailbox('inst-squat@example.com')$$),
          'ERROR 42501: permission denied for function ews_create_mailbox / ', 'a plain login role cannot create a mailbox');

-- ---- the whole install leaves both roles marked, NOLOGIN, and nothing else ----
SELECT is(pg_temp.try(NULL, 'CREATE EXTENSION ews',
              $$SELECT string_agg(r.rolname || ' ' || r.rolcanlogin || ' ' || (shobj_description(r.oid, 'pg_authid') LIKE '%made by CREATE EXTENSION ews)'), ', ' ORDER BY 1)
                  FROM pg_roles r WHERE r.rolname IN ('ews_admin', 'ews_user')$$),
          'ok ; ews_admin false true, ews_user false true', 'a fresh install makes ews_admin and ews_user, NOLOGIN and marked');
SELECT is(pg_temp.try(NULL, 'CREATE EXTENSION ews',
              $$SELECT count(*) FROM pg_auth_members m WHERE m.roleid IN ('ews_admin'::regrole, 'ews_user'::regrole) OR m.member IN ('ews_admin'::regrole, 'ews_user'::regrole)$$),
          'ok ; 0', 'and no memberships');

SELECT * FROM finish();
ROLLBACK;
