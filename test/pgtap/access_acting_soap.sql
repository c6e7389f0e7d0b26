-- Acting for a user, SOAP face.  A pooled role that may impersonate alice
-- and bob acts for alice in each of the three ways (ExchangeImpersonation,
-- ews_soap's mailbox argument, ews_act_as): every operation that names
-- bob's mailbox (FolderId, ItemId, t:Mailbox address; source and target;
-- each UploadItems action; ConvertId) answers exactly as for a mailbox that
-- does not exist, with the same table reads, and changes nothing.  With a
-- reviewer grant reads work, writes are ErrorAccessDenied and
-- EffectiveRights says Read only; with an editor grant writes work.  Two
-- ways that name different users are refused.
BEGIN;
SELECT plan(116);

CREATE ROLE soapx_web NOLOGIN IN ROLE ews_user;
CREATE ROLE soapx_owner NOLOGIN IN ROLE ews_user;
SELECT ews_create_mailbox('soapx-alice@example.com', 'Alice', 'soapx_owner') AS alice_guid \gset
SELECT ews_create_mailbox('soapx-bob@example.com', 'Bob', 'soapx_owner') AS bob_guid \gset
SELECT ews_grant('soapx-alice@example.com', 'soapx_web', 'impersonate'), ews_grant('soapx-bob@example.com', 'soapx_web', 'impersonate');
SELECT ews_folder_id('soapx-alice@example.com', 'inbox') AS a_inbox,
       ews_folder_id('soapx-bob@example.com', 'inbox') AS b_inbox, ews_folder_id('soapx-bob@example.com', 'drafts') AS b_drafts \gset
SELECT folder_id AS a_sub FROM ews_create_folder(:'a_inbox', 'A sub') \gset
SELECT folder_id AS b_sub FROM ews_create_folder(:'b_inbox', 'B sub') \gset
SELECT item_id AS a_item FROM ews_create_item(:'a_inbox', E'Subject: alice\r\n\r\nbody\r\n'::bytea) \gset
SELECT item_id AS b_item, change_key AS b_ck FROM ews_create_item(:'b_inbox', E'Subject: bob\r\n\r\nbody\r\n'::bytea) \gset
SELECT translate(encode(data, 'base64'), E'\n', '') AS data64 FROM ews_export_items(ARRAY[:'a_item']) \gset
SELECT gen_random_uuid() AS ghost_guid \gset
SELECT set_config('soapx.bob', :'bob_guid', true) IS NOT NULL AS s1,
       set_config('soapx.ghost', :'ghost_guid', true) IS NOT NULL AS s2 \gset
CREATE FUNCTION pg_temp.ghost(id text) RETURNS text LANGUAGE sql AS $f$
	SELECT encode(overlay(decode(id, 'base64') placing convert_to(current_setting('soapx.ghost'), 'UTF8') from 5 for 36), 'base64')
$f$;
SELECT pg_temp.ghost(:'b_inbox') AS g_inbox, pg_temp.ghost(:'b_sub') AS g_sub, pg_temp.ghost(:'b_item') AS g_item \gset
CREATE FUNCTION pg_temp.norm(t text) RETURNS text LANGUAGE sql AS $f$
	SELECT replace(replace(replace(replace(t, current_setting('soapx.bob'), '<guid>'), current_setting('soapx.ghost'), '<guid>'),
	               'soapx-bob@example.com', '<addr>'), 'soapx-nobody@example.com', '<addr>')
$f$;

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

-- ews_soap as role r acting for u in one way: 'header' (ExchangeImpersonation),
-- 'argument' (the mailbox argument), 'act_as' (ews_act_as first), or 'none';
-- in a subtransaction rolled back afterwards.  'status response', or
-- 'ERROR <state>: <text>'.  With chk: ' ; ' and chk's row, run after it as
-- the superuser in the same subtransaction.
CREATE FUNCTION pg_temp.soap(way text, u text, body text, r text DEFAULT 'soapx_web', chk text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	res text;
	res2 text;
BEGIN
	BEGIN
		EXECUTE pg_catalog.format('SET LOCAL ROLE %I', r);
		BEGIN
			IF way = 'act_as' THEN
				PERFORM ews_act_as(u);
			END IF;
			SELECT s.status || ' ' || s.response INTO res
			  FROM ews_soap(pg_temp.env(CASE WHEN way = 'header' THEN u END, body),
			                CASE WHEN way = 'argument' THEN u END) s;
		EXCEPTION WHEN OTHERS THEN
			res := 'ERROR ' || SQLSTATE || ': ' || SQLERRM;
		END;
		IF chk IS NOT NULL THEN
			RESET ROLE;
			EXECUTE chk INTO res2;
			res := res || ' ; ' || res2;
		END IF;
		RAISE EXCEPTION USING ERRCODE = 'EWSTU', MESSAGE = 'undo';
	EXCEPTION WHEN SQLSTATE 'EWSTU' THEN
		NULL;
	END;
	RETURN res;
END
$f$;
-- the HTTP status and the response codes in order
CREATE FUNCTION pg_temp.codes(resp text) RETURNS text LANGUAGE sql AS $f$
	SELECT split_part(resp, ' ', 1) || ' '
	    || coalesce((SELECT string_agg(m[1], ' ') FROM regexp_matches(resp, 'ResponseCode[^>]*>([A-Za-z]+)<', 'g') m), '-')
$f$;
CREATE FUNCTION pg_temp.rights(resp text) RETURNS text LANGUAGE sql AS $f$
	SELECT string_agg(m[1] || '=' || m[2], ' ') FROM regexp_matches(resp, '<t:(CreateAssociated|CreateContents|CreateHierarchy|Delete|Modify|Read|ViewPrivateItems)>([a-z]+)<', 'g') m
$f$;
CREATE FUNCTION pg_temp.bob_state() RETURNS text LANGUAGE sql AS $f$
	SELECT md5(coalesce((SELECT string_agg(f::text, ',' ORDER BY folder_id) FROM ews.folder f WHERE mailbox_id = current_setting('soapx.bob')::uuid), '')
	        || coalesce((SELECT string_agg(i::text, ',' ORDER BY item_id) FROM ews.item i WHERE mailbox_id = current_setting('soapx.bob')::uuid), ''))
$f$;
CREATE FUNCTION pg_temp.scans() RETURNS text LANGUAGE sql AS $f$
	SELECT string_agg(relname || '=' || (seq_scan + coalesce(idx_scan, 0)), ' ' ORDER BY relname)
	  FROM pg_stat_xact_user_tables WHERE schemaname = 'ews'
$f$;
CREATE FUNCTION pg_temp.soap_scans(way text, u text, body text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	before text := pg_temp.scans();
	after text;
BEGIN
	PERFORM pg_temp.soap(way, u, body);
	after := pg_temp.scans();
	RETURN (SELECT string_agg(a.k || '+' || (a.v::int - b.v::int), ' ' ORDER BY a.k)
	          FROM (SELECT split_part(x, '=', 1) k, split_part(x, '=', 2) v FROM unnest(string_to_array(after, ' ')) x) a
	          JOIN (SELECT split_part(x, '=', 1) k, split_part(x, '=', 2) v FROM unnest(string_to_array(before, ' ')) x) b
	            USING (k)
	         WHERE a.v <> b.v);
END
$f$;

-- the requests
CREATE FUNCTION pg_temp.fid(id text) RETURNS text LANGUAGE sql AS $f$ SELECT format('<t:FolderId Id="%s"/>', id) $f$;
CREATE FUNCTION pg_temp.get_folder(ref text, shape text DEFAULT 'Default') RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:GetFolder><m:FolderShape><t:BaseShape>%s</t:BaseShape></m:FolderShape><m:FolderIds>%s</m:FolderIds></m:GetFolder>', shape, ref)
$f$;
CREATE FUNCTION pg_temp.inbox_of(addr text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>%s</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>', addr)
$f$;
CREATE FUNCTION pg_temp.find_folder(ref text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape>'
	              '<m:ParentFolderIds>%s</m:ParentFolderIds></m:FindFolder>', ref)
$f$;
CREATE FUNCTION pg_temp.create_folder(parent text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:CreateFolder><m:ParentFolderId>%s</m:ParentFolderId>'
	              '<m:Folders><t:Folder><t:DisplayName>Evil</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>', parent)
$f$;
CREATE FUNCTION pg_temp.delete_folder(ref text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds>%s</m:FolderIds></m:DeleteFolder>', ref)
$f$;
CREATE FUNCTION pg_temp.move_copy(op text, target text, ref text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:%1$s><m:ToFolderId>%2$s</m:ToFolderId><m:FolderIds>%3$s</m:FolderIds></m:%1$s>', op, target, ref)
$f$;
CREATE FUNCTION pg_temp.export_items(id text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:ExportItems><m:ItemIds><t:ItemId Id="%s"/></m:ItemIds></m:ExportItems>', id)
$f$;
CREATE FUNCTION pg_temp.upload(action text, parent text, item text, ck text, data text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:UploadItems><m:Items><t:Item CreateAction="%s"><t:ParentFolderId Id="%s"/>%s<t:Data>%s</t:Data></t:Item></m:Items></m:UploadItems>',
	              action, parent, CASE WHEN item IS NOT NULL THEN format('<t:ItemId Id="%s" ChangeKey="%s"/>', item, ck) ELSE '' END, data)
$f$;
CREATE FUNCTION pg_temp.convert_id(id text, addr text) RETURNS text LANGUAGE sql AS $f$
	SELECT format('<m:ConvertId DestinationFormat="EwsId"><m:SourceIds><t:AlternateId Format="EwsId" Id="%s" Mailbox="%s"/></m:SourceIds></m:ConvertId>', id, addr)
$f$;

CREATE TEMP TABLE way (w text);
INSERT INTO way VALUES ('header'), ('argument'), ('act_as');

-- ---- acting for alice reaches alice ----
SELECT is(pg_temp.codes(pg_temp.soap(w, 'soapx-alice@example.com',
              pg_temp.get_folder('<t:DistinguishedFolderId Id="inbox"/>' || pg_temp.fid(:'a_inbox') || pg_temp.inbox_of('soapx-alice@example.com')))),
          '200 NoError NoError NoError', w || ': acting for alice, GetFolder of her inbox three ways')
  FROM way;
SELECT is(pg_temp.codes(pg_temp.soap(w, 'soapx-alice@example.com', pg_temp.upload('CreateNew', :'a_inbox', NULL, NULL, :'data64')
              )), '200 NoError', w || ': acting for alice, UploadItems into her inbox')
  FROM way;
SELECT is(pg_temp.rights(pg_temp.soap(w, 'soapx-alice@example.com', pg_temp.get_folder(pg_temp.fid(:'a_inbox'), 'AllProperties'))),
          'CreateAssociated=true CreateContents=true CreateHierarchy=true Delete=true Modify=true Read=true ViewPrivateItems=true',
          w || ': EffectiveRights in her own mailbox: everything')
  FROM way;

-- ---- bob's mailbox, named every way a request can, is a missing mailbox ----
SELECT pg_temp.bob_state() AS bob_before \gset
CREATE TEMP TABLE cases (label text, bob text, ghost text);
INSERT INTO cases VALUES
	('GetFolder by FolderId', pg_temp.get_folder(pg_temp.fid(:'b_inbox')), pg_temp.get_folder(pg_temp.fid(:'g_inbox'))),
	('GetFolder by t:Mailbox', pg_temp.get_folder(pg_temp.inbox_of('soapx-bob@example.com')), pg_temp.get_folder(pg_temp.inbox_of('soapx-nobody@example.com'))),
	('FindFolder', pg_temp.find_folder(pg_temp.fid(:'b_inbox')), pg_temp.find_folder(pg_temp.fid(:'g_inbox'))),
	('FindFolder by t:Mailbox', pg_temp.find_folder(pg_temp.inbox_of('soapx-bob@example.com')), pg_temp.find_folder(pg_temp.inbox_of('soapx-nobody@example.com'))),
	('CreateFolder parent', pg_temp.create_folder(pg_temp.fid(:'b_inbox')), pg_temp.create_folder(pg_temp.fid(:'g_inbox'))),
	('DeleteFolder', pg_temp.delete_folder(pg_temp.fid(:'b_sub')), pg_temp.delete_folder(pg_temp.fid(:'g_sub'))),
	('MoveFolder source', pg_temp.move_copy('MoveFolder', pg_temp.fid(:'a_inbox'), pg_temp.fid(:'b_sub')),
	                      pg_temp.move_copy('MoveFolder', pg_temp.fid(:'a_inbox'), pg_temp.fid(:'g_sub'))),
	('MoveFolder target', pg_temp.move_copy('MoveFolder', pg_temp.fid(:'b_inbox'), pg_temp.fid(:'a_sub')),
	                      pg_temp.move_copy('MoveFolder', pg_temp.fid(:'g_inbox'), pg_temp.fid(:'a_sub'))),
	('CopyFolder source', pg_temp.move_copy('CopyFolder', pg_temp.fid(:'a_inbox'), pg_temp.fid(:'b_sub')),
	                      pg_temp.move_copy('CopyFolder', pg_temp.fid(:'a_inbox'), pg_temp.fid(:'g_sub'))),
	('CopyFolder target', pg_temp.move_copy('CopyFolder', pg_temp.fid(:'b_inbox'), pg_temp.fid(:'a_sub')),
	                      pg_temp.move_copy('CopyFolder', pg_temp.fid(:'g_inbox'), pg_temp.fid(:'a_sub'))),
	('ExportItems', pg_temp.export_items(:'b_item'), pg_temp.export_items(:'g_item')),
	('UploadItems CreateNew', pg_temp.upload('CreateNew', :'b_inbox', NULL, NULL, :'data64'),
	                          pg_temp.upload('CreateNew', :'g_inbox', NULL, NULL, :'data64')),
	('UploadItems Update', pg_temp.upload('Update', :'b_inbox', :'b_item', :'b_ck', :'data64'),
	                       pg_temp.upload('Update', :'g_inbox', :'g_item', :'b_ck', :'data64')),
	('UploadItems UpdateOrCreate', pg_temp.upload('UpdateOrCreate', :'b_inbox', :'b_item', :'b_ck', :'data64'),
	                               pg_temp.upload('UpdateOrCreate', :'g_inbox', :'g_item', :'b_ck', :'data64')),
	('ConvertId', pg_temp.convert_id(:'b_inbox', 'soapx-bob@example.com'), pg_temp.convert_id(:'g_inbox', 'soapx-nobody@example.com'));
-- ids appear in some requests' echo: compare with bob's ids put back
SELECT is(pg_temp.norm(pg_temp.soap(w, 'soapx-alice@example.com', c.bob)),
          pg_temp.norm(pg_temp.soap(w, 'soapx-alice@example.com', c.ghost)),
          w || ': ' || c.label || ' of bob answers as for a missing mailbox')
  FROM way, cases c ORDER BY w, c.label;
SELECT is(pg_temp.codes(pg_temp.soap(w, 'soapx-alice@example.com', c.bob)), '200 ErrorNonExistentMailbox',
          w || ': ' || c.label || ' of bob is ErrorNonExistentMailbox')
  FROM way, cases c WHERE c.label IN ('GetFolder by t:Mailbox', 'ExportItems', 'UploadItems Update', 'ConvertId', 'MoveFolder target')
 ORDER BY w, c.label;
SELECT is(pg_temp.bob_state(), :'bob_before', 'nothing changed in bob''s mailbox');
SELECT is(pg_temp.soap_scans(w, 'soapx-alice@example.com', c.bob), pg_temp.soap_scans(w, 'soapx-alice@example.com', c.ghost),
          w || ': ' || c.label || ' of bob reads the tables a missing mailbox''s does')
  FROM way, cases c WHERE c.label IN ('GetFolder by FolderId', 'GetFolder by t:Mailbox') ORDER BY w, c.label;

-- ---- the three ways must agree ----
SELECT is(pg_temp.codes(pg_temp.soap('header', 'soapx-alice@example.com', pg_temp.get_folder(pg_temp.fid(:'a_inbox')), 'soapx_web')), '200 NoError',
          'ExchangeImpersonation alone');
SELECT is(pg_temp.codes(pg_temp.soap('act_as', 'soapx-alice@example.com', pg_temp.get_folder(pg_temp.fid(:'b_inbox')))),
          '200 ErrorNonExistentMailbox', 'ews_act_as alone narrows ews_soap too');
CREATE FUNCTION pg_temp.mixed(act_as text, header text, arg text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	res text;
BEGIN
	BEGIN
		SET LOCAL ROLE soapx_web;
		IF act_as IS NOT NULL THEN
			PERFORM ews_act_as(act_as);
		END IF;
		SELECT pg_temp.codes(s.status || ' ' || s.response) INTO res
		  FROM ews_soap(pg_temp.env(header, pg_temp.get_folder('<t:DistinguishedFolderId Id="inbox"/>')), arg) s;
		RAISE EXCEPTION USING ERRCODE = 'EWSTU', MESSAGE = 'undo';
	EXCEPTION WHEN SQLSTATE 'EWSTU' THEN
		NULL;
	END;
	RETURN res;
END
$f$;
SELECT is(pg_temp.mixed(a, h, m), want, label)
  FROM (VALUES
	(NULL, 'soapx-alice@example.com', 'soapx-bob@example.com', '500 ErrorImpersonateUserDenied', 'ExchangeImpersonation of alice with mailbox bob: refused'),
	(NULL, 'soapx-bob@example.com', 'soapx-alice@example.com', '500 ErrorImpersonateUserDenied', 'mailbox alice with ExchangeImpersonation of bob: refused'),
	('soapx-alice@example.com', NULL, 'soapx-bob@example.com', '500 ErrorImpersonateUserDenied', 'ews_act_as of alice, then mailbox bob: refused'),
	('soapx-alice@example.com', 'soapx-bob@example.com', NULL, '500 ErrorImpersonateUserDenied', 'ews_act_as of alice, then ExchangeImpersonation of bob: refused'),
	-- compared before any lookup: a name no mailbox has is refused the same way
	(NULL, 'soapx-alice@example.com', 'soapx-nobody@example.com', '500 ErrorImpersonateUserDenied', 'a second name no mailbox has: refused the same way'),
	('soapx-alice@example.com', 'SOAPX-ALICE@example.com', 'soapx-alice@EXAMPLE.com', '200 NoError', 'all three naming alice (in any case): fine')
  ) v(a, h, m, want, label);

-- ---- bob makes alice a reviewer ----
SELECT ews_add_delegate('soapx-bob@example.com', 'soapx-alice@example.com', 'reviewer');
SELECT is(pg_temp.codes(pg_temp.soap(w, 'soapx-alice@example.com',
              pg_temp.get_folder(pg_temp.fid(:'b_inbox') || pg_temp.inbox_of('soapx-bob@example.com')))),
          '200 NoError NoError', w || ': reviewer: GetFolder of bob''s inbox by id and by address')
  FROM way;
SELECT is(pg_temp.codes(pg_temp.soap(w, 'soapx-alice@example.com', pg_temp.export_items(:'b_item'))), '200 NoError',
          w || ': reviewer: ExportItems of bob''s item')
  FROM way;
SELECT is(pg_temp.rights(pg_temp.soap(w, 'soapx-alice@example.com', pg_temp.get_folder(pg_temp.fid(:'b_inbox'), 'AllProperties'))),
          'CreateAssociated=false CreateContents=false CreateHierarchy=false Delete=false Modify=false Read=true ViewPrivateItems=false',
          w || ': reviewer: EffectiveRights (GetFolder AllProperties): Read only')
  FROM way;
SELECT is(pg_temp.rights(pg_temp.soap('header', 'soapx-alice@example.com', pg_temp.find_folder(pg_temp.fid(:'b_inbox')))),
          'CreateAssociated=false CreateContents=false CreateHierarchy=false Delete=false Modify=false Read=true ViewPrivateItems=false',
          'reviewer: EffectiveRights of the folders FindFolder finds: Read only');
SELECT is(pg_temp.rights(pg_temp.soap('argument', 'soapx-alice@example.com',
              replace(pg_temp.get_folder(pg_temp.inbox_of('soapx-bob@example.com'), 'IdOnly'), '</t:BaseShape>',
                      '</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:EffectiveRights"/></t:AdditionalProperties>'))),
          'CreateAssociated=false CreateContents=false CreateHierarchy=false Delete=false Modify=false Read=true ViewPrivateItems=false',
          'reviewer: folder:EffectiveRights asked for by FieldURI, by address: Read only');
SELECT is(pg_temp.codes(pg_temp.soap('act_as', 'soapx-alice@example.com', b)), want, 'reviewer: ' || label)
  FROM (VALUES
	('CreateFolder', pg_temp.create_folder(pg_temp.fid(:'b_inbox')), '200 ErrorAccessDenied'),
	('DeleteFolder', pg_temp.delete_folder(pg_temp.fid(:'b_sub')), '200 ErrorAccessDenied'),
	('MoveFolder within bob''s', pg_temp.move_copy('MoveFolder', pg_temp.fid(:'b_drafts'), pg_temp.fid(:'b_sub')), '200 ErrorAccessDenied'),
	('CopyFolder within bob''s', pg_temp.move_copy('CopyFolder', pg_temp.fid(:'b_drafts'), pg_temp.fid(:'b_sub')), '200 ErrorAccessDenied'),
	('UploadItems CreateNew', pg_temp.upload('CreateNew', :'b_inbox', NULL, NULL, :'data64'), '200 ErrorAccessDenied'),
	('UploadItems Update', pg_temp.upload('Update', :'b_inbox', :'b_item', :'b_ck', :'data64'), '200 ErrorAccessDenied'),
	('UploadItems UpdateOrCreate', pg_temp.upload('UpdateOrCreate', :'b_inbox', :'b_item', :'b_ck', :'data64'), '200 ErrorAccessDenied'),
	('ConvertId', pg_temp.convert_id(:'b_inbox', 'soapx-bob@example.com'), '200 NoError')
  ) v(label, b, want);
SELECT is(pg_temp.soap('header', 'soapx-alice@example.com',
              pg_temp.create_folder(pg_temp.fid(:'b_inbox')) , 'soapx_web', 'SELECT pg_temp.bob_state()') ~ (' ; ' || pg_temp.bob_state() || '$'),
          true, 'reviewer: a refused CreateFolder changed nothing in bob''s mailbox');

-- ---- bob makes alice an editor ----
SELECT ews_add_delegate('soapx-bob@example.com', 'soapx-alice@example.com', 'editor');
SELECT is(pg_temp.codes(pg_temp.soap('header', 'soapx-alice@example.com', b)), '200 NoError', 'editor: ' || label)
  FROM (VALUES
	('CreateFolder', pg_temp.create_folder(pg_temp.fid(:'b_inbox'))),
	('DeleteFolder', pg_temp.delete_folder(pg_temp.fid(:'b_sub'))),
	('MoveFolder within bob''s', pg_temp.move_copy('MoveFolder', pg_temp.fid(:'b_drafts'), pg_temp.fid(:'b_sub'))),
	('CopyFolder within bob''s', pg_temp.move_copy('CopyFolder', pg_temp.fid(:'b_drafts'), pg_temp.fid(:'b_sub'))),
	('UploadItems CreateNew', pg_temp.upload('CreateNew', :'b_inbox', NULL, NULL, :'data64')),
	('UploadItems Update', pg_temp.upload('Update', :'b_inbox', :'b_item', :'b_ck', :'data64')),
	('UploadItems UpdateOrCreate', pg_temp.upload('UpdateOrCreate', :'b_inbox', :'b_item', :'b_ck', :'data64'))
  ) v(label, b);
SELECT is(pg_temp.rights(pg_temp.soap('argument', 'soapx-alice@example.com', pg_temp.get_folder(pg_temp.fid(:'b_inbox'), 'AllProperties'))),
          'CreateAssociated=true CreateContents=true CreateHierarchy=true Delete=true Modify=true Read=true ViewPrivateItems=false',
          'editor: EffectiveRights: everything but ViewPrivateItems');
SELECT is(pg_temp.soap('act_as', 'soapx-alice@example.com', pg_temp.create_folder(pg_temp.fid(:'b_inbox')), 'soapx_web',
              format('SELECT count(*) FROM ews.folder WHERE mailbox_id = %L AND display_name = %L', :'bob_guid', 'Evil')) ~ ' ; 1$',
          true, 'editor: the new folder is in bob''s mailbox');

-- ---- the removal takes effect at the next statement ----
SELECT ews_remove_delegate('soapx-bob@example.com', 'soapx-alice@example.com');
SELECT is(pg_temp.codes(pg_temp.soap(w, 'soapx-alice@example.com', pg_temp.get_folder(pg_temp.fid(:'b_inbox')))),
          '200 ErrorNonExistentMailbox', w || ': after the removal, bob''s inbox is a missing mailbox again')
  FROM way;

SELECT * FROM finish();
ROLLBACK;
