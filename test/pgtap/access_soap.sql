-- Mailbox access through ews_soap: each operation for the owner, a delegate,
-- an impersonator (with and without ExchangeImpersonation), a delegate that
-- tries to impersonate (ErrorImpersonateUserDenied), a stranger, and an
-- admin.  A stranger's answers are the answers for a mailbox that does not
-- exist, and cost the same table reads.
BEGIN;
SELECT plan(78);

CREATE ROLE soapacc_owner NOLOGIN;
CREATE ROLE soapacc_delegate NOLOGIN;
CREATE ROLE soapacc_imp NOLOGIN;
CREATE ROLE soapacc_stranger NOLOGIN;
CREATE ROLE soapacc_admin NOLOGIN;
GRANT ews_admin TO soapacc_admin;
GRANT ews_user TO soapacc_owner, soapacc_delegate, soapacc_imp, soapacc_stranger;

SELECT ews_create_mailbox('soapacc-box@example.com', 'Box', 'soapacc_owner') AS box_guid \gset
SELECT ews_grant('soapacc-box@example.com', 'soapacc_delegate', 'delegate');
SELECT ews_grant('soapacc-box@example.com', 'soapacc_imp', 'impersonate');
SELECT ews_folder_id('soapacc-box@example.com', 'inbox') AS inbox \gset
SELECT folder_id AS sub FROM ews_create_folder(:'inbox', 'Sub') \gset
SELECT gen_random_uuid() AS ghost_guid \gset
SELECT encode(overlay(decode(:'inbox', 'base64') placing convert_to(:'ghost_guid', 'UTF8') from 5 for 36), 'base64')
	AS ghost \gset
SELECT set_config('soapacc.box', :'box_guid', true) IS NOT NULL AS s1,
       set_config('soapacc.ghost', :'ghost_guid', true) IS NOT NULL AS s2 \gset

-- an envelope; impersonate: the address ExchangeImpersonation names, or NULL
CREATE FUNCTION pg_temp.env(impersonate text, body text) RETURNS text LANGUAGE sql AS $f$
	SELECT '<?xml version="1.0" encoding="utf-8"?>'
	    || '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
	    || ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"'
	    || ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">'
	    || '<soap:Header><t:RequestServerVersion Version="Exchange2016"/>'
	    || coalesce('<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>' || impersonate
	                || '</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>', '')
	    || '</soap:Header><soap:Body>' || body || '</soap:Body></soap:Envelope>'
$f$;

-- ews_soap as a role: the HTTP status and the response codes in order,
-- e.g. '200 NoError', or 'ERROR <sqlstate>: <message>'
CREATE FUNCTION pg_temp.soap_as(r text, req text, mailbox text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	res text;
	st int;
	resp text;
BEGIN
	EXECUTE pg_catalog.format('SET LOCAL ROLE %I', r);
	BEGIN
		SELECT s.status, s.response INTO st, resp FROM ews_soap(req, mailbox) s;
		res := st || ' ' || coalesce((SELECT string_agg(m[1], ' ') FROM regexp_matches(resp, 'ResponseCode[^>]*>([A-Za-z]+)<', 'g') m), '-');
	EXCEPTION WHEN OTHERS THEN
		res := 'ERROR ' || SQLSTATE || ': ' || SQLERRM;
	END;
	RESET ROLE;
	RETURN res;
END
$f$;
-- the whole response as a role, GUIDs and addresses made neutral
CREATE FUNCTION pg_temp.soap_norm(r text, req text, mailbox text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	resp text;
BEGIN
	EXECUTE pg_catalog.format('SET LOCAL ROLE %I', r);
	SELECT s.status || ' ' || s.response INTO resp FROM ews_soap(req, mailbox) s;
	RESET ROLE;
	RETURN replace(replace(replace(replace(resp, current_setting('soapacc.box'), '<guid>'),
	                       current_setting('soapacc.ghost'), '<guid>'),
	               'soapacc-box@example.com', '<addr>'), 'soapacc-nobody@example.com', '<addr>');
END
$f$;

CREATE FUNCTION pg_temp.get_folder(id text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>'
	              '<m:FolderIds><t:FolderId Id="%s"/></m:FolderIds></m:GetFolder>', id)
$f$;
CREATE FUNCTION pg_temp.get_inbox_of(addr text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>'
	              '<m:FolderIds><t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>%s</t:EmailAddress>'
	              '</t:Mailbox></t:DistinguishedFolderId></m:FolderIds></m:GetFolder>', addr)
$f$;
CREATE FUNCTION pg_temp.get_inbox() RETURNS text LANGUAGE sql AS $f$
	SELECT '<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>'
	       '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>'
$f$;
CREATE FUNCTION pg_temp.find_folder(id text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>'
	              '<m:ParentFolderIds><t:FolderId Id="%s"/></m:ParentFolderIds></m:FindFolder>', id)
$f$;
CREATE FUNCTION pg_temp.create_folder(id text, name text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:CreateFolder><m:ParentFolderId><t:FolderId Id="%s"/></m:ParentFolderId>'
	              '<m:Folders><t:Folder><t:DisplayName>%s</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>', id, name)
$f$;
CREATE FUNCTION pg_temp.delete_folder(id text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds><t:FolderId Id="%s"/></m:FolderIds></m:DeleteFolder>', id)
$f$;

-- ---- GetFolder by id ----
SELECT is(pg_temp.soap_as(r, pg_temp.env(NULL, pg_temp.get_folder(:'inbox'))), '200 NoError', 'GetFolder for ' || r)
  FROM unnest(ARRAY['soapacc_owner', 'soapacc_delegate', 'soapacc_imp', 'soapacc_admin']) r;
SELECT is(pg_temp.soap_as('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_folder(:'inbox'))),
          '200 ErrorNonExistentMailbox', 'GetFolder: stranger gets ErrorNonExistentMailbox');
SELECT is(pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_folder(:'inbox'))),
          pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_folder(:'ghost'))),
          'GetFolder: stranger''s response is the response for a nonexistent GUID');

-- ---- GetFolder by DistinguishedFolderId with a Mailbox ----
SELECT is(pg_temp.soap_as(r, pg_temp.env(NULL, pg_temp.get_inbox_of('soapacc-box@example.com'))), '200 NoError',
          'GetFolder of another''s inbox by address for ' || r)
  FROM unnest(ARRAY['soapacc_owner', 'soapacc_delegate', 'soapacc_imp', 'soapacc_admin']) r;
SELECT is(pg_temp.soap_as('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_inbox_of('soapacc-box@example.com'))),
          '200 ErrorNonExistentMailbox', 'GetFolder by address: stranger gets ErrorNonExistentMailbox');
SELECT is(pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_inbox_of('soapacc-box@example.com'))),
          pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_inbox_of('soapacc-nobody@example.com'))),
          'GetFolder by address: stranger''s response is the response for a missing address');

-- ---- FindFolder ----
SELECT is(pg_temp.soap_as(r, pg_temp.env(NULL, pg_temp.find_folder(:'inbox'))), '200 NoError', 'FindFolder for ' || r)
  FROM unnest(ARRAY['soapacc_owner', 'soapacc_delegate', 'soapacc_imp', 'soapacc_admin']) r;
SELECT is(pg_temp.soap_as('soapacc_stranger', pg_temp.env(NULL, pg_temp.find_folder(:'inbox'))),
          '200 ErrorNonExistentMailbox', 'FindFolder: stranger gets ErrorNonExistentMailbox');
SELECT is(pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.find_folder(:'inbox'))),
          pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.find_folder(:'ghost'))),
          'FindFolder: stranger''s response is the response for a nonexistent GUID');

-- ---- CreateFolder ----
SELECT is(pg_temp.soap_as(r, pg_temp.env(NULL, pg_temp.create_folder(:'inbox', 'By ' || r))), '200 NoError',
          'CreateFolder for ' || r)
  FROM unnest(ARRAY['soapacc_owner', 'soapacc_delegate', 'soapacc_imp', 'soapacc_admin']) r;
SELECT is(pg_temp.soap_as('soapacc_stranger', pg_temp.env(NULL, pg_temp.create_folder(:'inbox', 'Evil'))),
          '200 ErrorNonExistentMailbox', 'CreateFolder: stranger gets ErrorNonExistentMailbox');
SELECT is(pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.create_folder(:'inbox', 'Evil'))),
          pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.create_folder(:'ghost', 'Evil'))),
          'CreateFolder: stranger''s response is the response for a nonexistent GUID');
SELECT is((SELECT string_agg(display_name, ', ' ORDER BY display_name) FROM ews_find_folder(:'inbox')),
          'By soapacc_admin, By soapacc_delegate, By soapacc_imp, By soapacc_owner, Sub',
          'CreateFolder: the allowed roles created their folders, the stranger nothing');

-- ---- DeleteFolder ----
SELECT is(pg_temp.soap_as(r, pg_temp.env(NULL, pg_temp.delete_folder(
              (SELECT folder_id FROM ews_find_folder(:'inbox') WHERE display_name = 'By ' || r)))),
          '200 NoError', 'DeleteFolder for ' || r)
  FROM unnest(ARRAY['soapacc_owner', 'soapacc_delegate', 'soapacc_imp', 'soapacc_admin']) r;
SELECT is(pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.delete_folder(:'sub'))),
          pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.delete_folder(
              encode(overlay(decode(:'sub', 'base64') placing convert_to(:'ghost_guid', 'UTF8') from 5 for 36), 'base64')))),
          'DeleteFolder: stranger''s response is the response for a nonexistent GUID');
SELECT is((SELECT string_agg(display_name, ', ') FROM ews_find_folder(:'inbox')), 'Sub',
          'DeleteFolder: Sub survived the stranger');

-- ---- ExportItems, UploadItems ----
SELECT item_id AS item FROM ews_create_item(:'inbox', E'From: a@example.com\r\nSubject: Access\r\n\r\nbody\r\n'::bytea) \gset
SELECT encode(data, 'base64') AS data64 FROM ews_export_items(ARRAY[:'item']) \gset
SELECT encode(overlay(decode(:'item', 'base64') placing convert_to(:'ghost_guid', 'UTF8') from 5 for 36), 'base64')
	AS ghost_item \gset
CREATE FUNCTION pg_temp.export_items(id text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:ExportItems><m:ItemIds><t:ItemId Id="%s"/></m:ItemIds></m:ExportItems>', id)
$f$;
CREATE FUNCTION pg_temp.upload_items(parent text, data text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:UploadItems><m:Items><t:Item CreateAction="CreateNew"><t:ParentFolderId Id="%s"/>'
	              '<t:Data>%s</t:Data></t:Item></m:Items></m:UploadItems>', parent, replace(data, E'\n', ''))
$f$;
CREATE FUNCTION pg_temp.items() RETURNS text LANGUAGE sql AS $f$
	SELECT count(*) || ' ' || coalesce(md5(string_agg(i::text, ',' ORDER BY mailbox_id, item_id)), '-') FROM ews.item i
$f$;
SELECT is(pg_temp.soap_as(r, pg_temp.env(NULL, pg_temp.export_items(:'item'))), '200 NoError', 'ExportItems for ' || r)
  FROM unnest(ARRAY['soapacc_owner', 'soapacc_delegate', 'soapacc_imp', 'soapacc_admin']) r;
SELECT is(pg_temp.soap_as(r, pg_temp.env(NULL, pg_temp.upload_items(:'inbox', :'data64'))), '200 NoError', 'UploadItems for ' || r)
  FROM unnest(ARRAY['soapacc_owner', 'soapacc_delegate', 'soapacc_imp', 'soapacc_admin']) r;
SELECT pg_temp.items() AS items_before \gset
SELECT is(pg_temp.soap_as('soapacc_stranger', pg_temp.env(NULL, pg_temp.export_items(:'item'))),
          '200 ErrorNonExistentMailbox', 'ExportItems: stranger gets ErrorNonExistentMailbox');
SELECT is(pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.export_items(:'item'))),
          replace(pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.export_items(:'ghost_item'))), :'ghost_item', :'item'),
          'ExportItems: stranger''s response is the response for a nonexistent GUID');
SELECT is(pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.upload_items(:'inbox', :'data64'))),
          pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.upload_items(:'ghost', :'data64'))),
          'UploadItems: stranger''s response is the response for a nonexistent GUID');
SELECT matches(pg_temp.soap_as('soapacc_stranger', pg_temp.env(NULL, pg_temp.upload_items(:'inbox', :'data64'))),
               'ErrorNonExistentMailbox', 'UploadItems: stranger gets ErrorNonExistentMailbox');
SELECT is(pg_temp.items(), :'items_before', 'ExportItems, UploadItems: the stranger changed no item');

-- ---- MoveFolder, CopyFolder ----
SELECT ews_folder_id('soapacc-box@example.com', 'drafts') AS drafts \gset
CREATE FUNCTION pg_temp.move_copy(op text, target text, id text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:%1$s><m:ToFolderId><t:FolderId Id="%2$s"/></m:ToFolderId>'
	              '<m:FolderIds><t:FolderId Id="%3$s"/></m:FolderIds></m:%1$s>', op, target, id)
$f$;
-- each role moves a folder of its own from the inbox into drafts, then copies it back
SELECT folder_id AS moved FROM ews_create_folder(:'inbox', 'Moved') \gset
SELECT is(pg_temp.soap_as(r, pg_temp.env(NULL, pg_temp.move_copy('MoveFolder', :'drafts', :'moved')))
          || ', ' || pg_temp.soap_as(r, pg_temp.env(NULL, pg_temp.move_copy('MoveFolder', :'inbox', :'moved'))),
          '200 NoError, 200 NoError', 'MoveFolder (there and back) for ' || r)
  FROM unnest(ARRAY['soapacc_owner', 'soapacc_delegate', 'soapacc_imp', 'soapacc_admin']) r;
-- and copies it into a folder of its own in drafts
CREATE TEMP TABLE copy_target AS
SELECT r, (SELECT folder_id FROM ews_create_folder(:'drafts', 'Into ' || r)) AS id
  FROM unnest(ARRAY['soapacc_owner', 'soapacc_delegate', 'soapacc_imp', 'soapacc_admin']) r;
SELECT is(pg_temp.soap_as(r, pg_temp.env(NULL, pg_temp.move_copy('CopyFolder', id, :'moved'))),
          '200 NoError', 'CopyFolder for ' || r)
  FROM copy_target;
SELECT is((SELECT string_agg(display_name, ', ') FROM ews_find_folder(:'drafts', 'Deep')),
          'Into soapacc_admin, Moved, Into soapacc_delegate, Moved, Into soapacc_imp, Moved, Into soapacc_owner, Moved',
          'MoveFolder, CopyFolder: the folder is back in the inbox, a copy in each role''s folder');
CREATE FUNCTION pg_temp.folders() RETURNS text LANGUAGE sql AS $f$
	SELECT count(*) || ' ' || md5(string_agg(f::text, ',' ORDER BY mailbox_id, folder_id)) FROM ews.folder f
$f$;
SELECT pg_temp.folders() AS folders_before \gset
SELECT is(pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.move_copy(op, :'drafts', :'sub'))),
          pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.move_copy(op, :'ghost',
              encode(overlay(decode(:'sub', 'base64') placing convert_to(:'ghost_guid', 'UTF8') from 5 for 36), 'base64')))),
          op || ': stranger''s response is the response for a nonexistent GUID')
  FROM unnest(ARRAY['MoveFolder', 'CopyFolder']) op;
SELECT is(pg_temp.soap_as('soapacc_stranger', pg_temp.env(NULL, pg_temp.move_copy(op, :'drafts', :'sub'))),
          '200 ErrorNonExistentMailbox', op || ': stranger gets ErrorNonExistentMailbox')
  FROM unnest(ARRAY['MoveFolder', 'CopyFolder']) op;
SELECT is(pg_temp.folders(), :'folders_before', 'MoveFolder, CopyFolder: the stranger changed no folder');

-- ---- ConvertId does not read the store: nothing to learn from it ----
SELECT is(pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, format(
              '<m:ConvertId DestinationFormat="EwsId"><m:SourceIds><t:AlternateId Format="EwsId" Id="%s" Mailbox="soapacc-box@example.com"/></m:SourceIds></m:ConvertId>', :'inbox'))),
          replace(pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, format(
              '<m:ConvertId DestinationFormat="EwsId"><m:SourceIds><t:AlternateId Format="EwsId" Id="%s" Mailbox="soapacc-nobody@example.com"/></m:SourceIds></m:ConvertId>', :'ghost'))),
              :'ghost', :'inbox'),
          'ConvertId: stranger gets the same answer for a mailbox and a missing one');

-- ---- ExchangeImpersonation ----
SELECT is(pg_temp.soap_as(r, pg_temp.env('soapacc-box@example.com', pg_temp.get_inbox())), '200 NoError',
          'impersonation allowed for ' || r)
  FROM unnest(ARRAY['soapacc_imp', 'soapacc_owner', 'soapacc_admin']) r;
SELECT is(pg_temp.soap_as('soapacc_delegate', pg_temp.env('soapacc-box@example.com', pg_temp.get_inbox())),
          '500 ErrorImpersonateUserDenied', 'impersonation without the impersonate grant: ErrorImpersonateUserDenied');
SELECT is(pg_temp.soap_as('soapacc_stranger', pg_temp.env('soapacc-box@example.com', pg_temp.get_inbox())),
          '500 ErrorNonExistentMailbox', 'impersonation by a stranger: ErrorNonExistentMailbox');
SELECT is(pg_temp.soap_norm('soapacc_stranger', pg_temp.env('soapacc-box@example.com', pg_temp.get_inbox())),
          pg_temp.soap_norm('soapacc_stranger', pg_temp.env('soapacc-nobody@example.com', pg_temp.get_inbox())),
          'impersonation by a stranger: the response for a missing address');
SELECT is(pg_temp.soap_as('soapacc_imp', pg_temp.env('soapacc-box@example.com',
              '<m:CreateFolder><m:ParentFolderId><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderId>'
              '<m:Folders><t:Folder><t:DisplayName>Impersonated</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>')),
          '200 NoError', 'the impersonator creates a folder in the impersonated mailbox''s inbox');
SELECT is((SELECT count(*) FROM ews_find_folder(:'inbox') WHERE display_name = 'Impersonated'), 1::bigint,
          'and it is there');
SELECT ews_revoke('soapacc-box@example.com', 'soapacc_imp', 'impersonate');
SELECT is(pg_temp.soap_as('soapacc_imp', pg_temp.env('soapacc-box@example.com', pg_temp.get_inbox())),
          '500 ErrorNonExistentMailbox', 'after the revoke the former impersonator is a stranger');
SELECT ews_grant('soapacc-box@example.com', 'soapacc_imp', 'delegate');
SELECT is(pg_temp.soap_as('soapacc_imp', pg_temp.env('soapacc-box@example.com', pg_temp.get_inbox())),
          '500 ErrorImpersonateUserDenied', 'a delegate grant does not allow impersonation');

-- ---- the mailbox argument of ews_soap ----
-- it makes the request act for that user, which only the owner, a role
-- with the impersonate grant and an admin may (soapacc_imp's grant was
-- revoked above): a delegate learns why, as for ExchangeImpersonation
SELECT is(pg_temp.soap_as(r, pg_temp.env(NULL, pg_temp.get_inbox()), 'soapacc-box@example.com'), '200 NoError',
          'the mailbox argument for ' || r)
  FROM unnest(ARRAY['soapacc_owner', 'soapacc_admin']) r;
SELECT is(pg_temp.soap_as('soapacc_delegate', pg_temp.env(NULL, pg_temp.get_inbox()), 'soapacc-box@example.com'),
          '500 ErrorImpersonateUserDenied', 'the mailbox argument for a delegate: ErrorImpersonateUserDenied');
SELECT is(pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_inbox()), 'soapacc-box@example.com'),
          pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_inbox()), 'soapacc-nobody@example.com'),
          'the mailbox argument: a stranger gets the response for a missing address');
SELECT matches(pg_temp.soap_as('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_inbox()), 'soapacc-box@example.com'),
               'ErrorNonExistentMailbox', 'the mailbox argument: which is ErrorNonExistentMailbox');

-- ---- comparable work: a stranger's impersonation of an existing mailbox
-- and of a missing address (and the mailbox argument) read the same tables
-- the same number of times, the grant lookups included, counted by this
-- transaction's table statistics ----
CREATE FUNCTION pg_temp.scans() RETURNS text LANGUAGE sql AS $f$
	SELECT string_agg(relname || '=' || (seq_scan + coalesce(idx_scan, 0)), ' ' ORDER BY relname)
	  FROM pg_stat_xact_user_tables WHERE schemaname = 'ews'
$f$;
CREATE FUNCTION pg_temp.scan_delta(r text, req text, mailbox text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	before text := pg_temp.scans();
	after text;
BEGIN
	PERFORM pg_temp.soap_as(r, req, mailbox);
	after := pg_temp.scans();
	RETURN (SELECT string_agg(a.k || '+' || (a.v::int - b.v::int), ' ' ORDER BY a.k)
	          FROM (SELECT split_part(x, '=', 1) k, split_part(x, '=', 2) v FROM unnest(string_to_array(after, ' ')) x) a
	          JOIN (SELECT split_part(x, '=', 1) k, split_part(x, '=', 2) v FROM unnest(string_to_array(before, ' ')) x) b
	            USING (k)
	         WHERE a.v <> b.v);
END
$f$;
SELECT is(pg_temp.scan_delta('soapacc_stranger', pg_temp.env('soapacc-box@example.com', pg_temp.get_inbox())),
          pg_temp.scan_delta('soapacc_stranger', pg_temp.env('soapacc-nobody@example.com', pg_temp.get_inbox())),
          'ExchangeImpersonation: the same table reads for a forbidden and a missing mailbox');
SELECT matches(pg_temp.scan_delta('soapacc_stranger', pg_temp.env('soapacc-nobody@example.com', pg_temp.get_inbox())),
               '^admin_role\+1 mailbox\+1 mailbox_grant\+[1-9]', 'ExchangeImpersonation: the missing address''s lookup includes the admin role and grant lookups');
SELECT is(pg_temp.scan_delta('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_inbox()), 'soapacc-box@example.com'),
          pg_temp.scan_delta('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_inbox()), 'soapacc-nobody@example.com'),
          'the mailbox argument: the same table reads for a forbidden and a missing mailbox');
SELECT is(pg_temp.scan_delta('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_folder(:'inbox'))),
          pg_temp.scan_delta('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_folder(:'ghost'))),
          'GetFolder by id: the same table reads for a forbidden and a missing mailbox');

SELECT * FROM finish();
ROLLBACK;
