-- Mailbox access through ews_soap: each operation for the owner, a delegate,
-- an impersonator (with and without ExchangeImpersonation), a delegate that
-- tries to impersonate (ErrorImpersonateUserDenied), a stranger, and an
-- admin.  A stranger's answers are the answers for a mailbox that does not
-- exist.
-- Until the SOAP adapter is in the build, the file skips.
SELECT to_regprocedure('ews_soap(text,text)') IS NOT NULL AS has_soap \gset
\if :has_soap
BEGIN;
SELECT plan(47);

CREATE ROLE soapacc_owner NOLOGIN;
CREATE ROLE soapacc_delegate NOLOGIN;
CREATE ROLE soapacc_imp NOLOGIN;
CREATE ROLE soapacc_stranger NOLOGIN;
CREATE ROLE soapacc_admin NOLOGIN;
GRANT ews_admin TO soapacc_admin;

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
SELECT is(pg_temp.soap_as(r, pg_temp.env(NULL, pg_temp.get_inbox()), 'soapacc-box@example.com'), '200 NoError',
          'the mailbox argument for ' || r)
  FROM unnest(ARRAY['soapacc_owner', 'soapacc_delegate', 'soapacc_admin']) r;
SELECT is(pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_inbox()), 'soapacc-box@example.com'),
          pg_temp.soap_norm('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_inbox()), 'soapacc-nobody@example.com'),
          'the mailbox argument: a stranger gets the response for a missing address');
SELECT matches(pg_temp.soap_as('soapacc_stranger', pg_temp.env(NULL, pg_temp.get_inbox()), 'soapacc-box@example.com'),
               'ErrorNonExistentMailbox', 'the mailbox argument: which is ErrorNonExistentMailbox');

SELECT * FROM finish();
ROLLBACK;
\else
BEGIN;
SELECT plan(1);
SELECT skip('ews_soap is not in this build', 1);
SELECT * FROM finish();
ROLLBACK;
\endif
