-- search_path safety: an unprivileged role puts functions and operators
-- whose names collide with what the store's SQL uses into its own schema
-- (first in its search_path, before pg_catalog), into public, and into its
-- temporary schema, plus temporary views named like the store's tables.
-- Every one of them counts its calls.  It then calls every ews_* function:
-- the store's functions pin search_path = pg_catalog, pg_temp and qualify
-- their SQL, so none of the traps may be called.  A control call from the
-- role's own SQL shows the traps do work where names are not pinned.
BEGIN;
SELECT plan(15);

CREATE ROLE sp_evil NOLOGIN;
CREATE ROLE sp_victim NOLOGIN;
-- as in a database created before PostgreSQL 15, anyone may create in public
GRANT CREATE ON SCHEMA public TO sp_evil;
CREATE SCHEMA sp_evil AUTHORIZATION sp_evil;
SELECT ews_create_mailbox('sp-victim@example.com', 'Victim', 'sp_victim') IS NOT NULL AS created \gset
SELECT ews_folder_id('sp-victim@example.com', 'inbox') AS victim_inbox \gset
SELECT ews_folder_id('sp-victim@example.com', 'drafts') AS victim_drafts \gset
SELECT item_id AS victim_item FROM ews_create_item(:'victim_inbox', E'Subject: victim\r\n\r\nbody\r\n'::bytea) \gset
SELECT folder_id AS victim_sub FROM ews_create_folder(:'victim_inbox', 'Sub') \gset

-- it uses mailboxes, and an administrator let it create its own
GRANT ews_user TO sp_evil;
GRANT EXECUTE ON FUNCTION ews_create_mailbox(text, text, regrole) TO sp_evil;
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
			CREATE FUNCTION %1$I.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN QUERY SELECT pg_catalog.unnest($1); END';
			CREATE FUNCTION %1$I.array_append(anyarray, anyelement) RETURNS anyarray LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN pg_catalog.array_append($1, $2); END';
			CREATE FUNCTION %1$I."coalesce"(anyelement, anyelement) RETURNS anyelement LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN $2; END';
			CREATE FUNCTION %1$I.substring(text, integer, integer) RETURNS text LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN pg_catalog.substr($1, $2, $3); END';
			CREATE FUNCTION %1$I.substring(bytea, integer, integer) RETURNS bytea LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN pg_catalog.substr($1, $2, $3); END';
			CREATE FUNCTION %1$I.length(text) RETURNS integer LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN 0; END';
			CREATE FUNCTION %1$I.length(bytea) RETURNS integer LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN 0; END';
			CREATE FUNCTION %1$I.octet_length(bytea) RETURNS integer LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN 0; END';
			CREATE FUNCTION %1$I.set_config(text, text, boolean) RETURNS text LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN $2; END';
			CREATE FUNCTION %1$I.current_setting(text) RETURNS text LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN ''''; END';
			CREATE FUNCTION %1$I.gen_random_uuid() RETURNS uuid LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN ''00000000-0000-0000-0000-000000000000''; END';
			CREATE FUNCTION %1$I.encode(bytea, text) RETURNS text LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN ''''; END';
			CREATE FUNCTION %1$I.decode(text, text) RETURNS bytea LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN ''''; END';
			CREATE FUNCTION %1$I.array_length(anyarray, integer) RETURNS integer LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN 0; END';
			CREATE FUNCTION %1$I.ne_text(text, text) RETURNS boolean LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN $1 OPERATOR(pg_catalog.<>) $2; END';
			CREATE FUNCTION %1$I.eq_regrole(regrole, regrole) RETURNS boolean LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN true; END';
			CREATE FUNCTION %1$I.eq_bool(boolean, boolean) RETURNS boolean LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN $1 OPERATOR(pg_catalog.=) $2; END';
			CREATE FUNCTION %1$I.agg_app(anyarray, anyelement) RETURNS anyarray LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN pg_catalog.array_append($1, $2); END';
			CREATE FUNCTION %1$I.max8(bigint, bigint) RETURNS bigint LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN pg_catalog.int8larger($1, $2); END';
			CREATE FUNCTION %1$I.sagg(text, text, text) RETURNS text LANGUAGE plpgsql AS
			  'BEGIN PERFORM pg_catalog.nextval(''sp_evil.hits''); RETURN pg_catalog.concat($1, $2, $3); END';
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
			CREATE OPERATOR %1$I.<> (leftarg = text, rightarg = text, function = %1$I.ne_text);
			CREATE OPERATOR %1$I.= (leftarg = regrole, rightarg = regrole, function = %1$I.eq_regrole);
			CREATE OPERATOR %1$I.= (leftarg = boolean, rightarg = boolean, function = %1$I.eq_bool);
			CREATE AGGREGATE %1$I.array_agg(anyelement) (sfunc = %1$I.agg_app, stype = anyarray);
			CREATE AGGREGATE %1$I.max(bigint) (sfunc = %1$I.max8, stype = bigint);
			CREATE AGGREGATE %1$I.string_agg(text, text) (sfunc = %1$I.sagg, stype = text);
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

-- the functions added since: MoveFolder and CopyFolder
INSERT INTO sp_evil.results (label, val) VALUES ('part 2', NULL);
SELECT ews_folder_id('sp-evil@example.com', 'inbox') AS evil_inbox,
       ews_folder_id('sp-evil@example.com', 'drafts') AS evil_drafts \gset
SELECT folder_id AS evil_mover FROM ews_create_folder(:'evil_inbox', 'Mover') \gset
INSERT INTO sp_evil.results (label, val)
	SELECT 'move_folder', m.response_code FROM ews_move_folder(:'evil_drafts', ARRAY[:'evil_mover']) m;
INSERT INTO sp_evil.results (label, val)
	SELECT 'copy_folder', c.response_code FROM ews_copy_folder(:'evil_inbox', ARRAY[:'evil_mover']) c;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim move_folder', m.response_code FROM ews_move_folder(:'victim_drafts', ARRAY[:'victim_sub']) m;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim copy_folder', c.response_code FROM ews_copy_folder(:'victim_drafts', ARRAY[:'victim_sub']) c;

-- CreateItem, ExportItems, UploadItems (each action)
SELECT c.item_id AS evil_item, c.response_code AS evil_item_code
  FROM ews_create_item(:'evil_inbox', E'From: a@example.com\r\nSubject: trap\r\nMessage-ID: <t@example.com>\r\n\r\nbody\r\n'::bytea) c \gset
INSERT INTO sp_evil.results (label, val) VALUES ('create_item', :'evil_item_code');
CREATE TABLE sp_evil.items (item_id text, change_key text, data bytea);
INSERT INTO sp_evil.items SELECT x.item_id, x.change_key, x.data FROM ews_export_items(ARRAY[:'evil_item']) x;
INSERT INTO sp_evil.results (label, val)
	SELECT 'export_items', x.response_code FROM ews_export_items(ARRAY[:'evil_item']) x;
INSERT INTO sp_evil.results (label, val)
	SELECT 'upload_items CreateNew', u.response_code FROM sp_evil.items x, ews_upload_items(ARRAY[:'evil_inbox'], ARRAY[x.data]) u;
INSERT INTO sp_evil.results (label, val)
	SELECT 'upload_items Update', u.response_code
	  FROM sp_evil.items x, ews_upload_items(ARRAY[:'evil_inbox'], ARRAY[x.data], ARRAY['Update'], ARRAY[x.item_id], ARRAY[x.change_key]) u;
INSERT INTO sp_evil.results (label, val)
	SELECT 'upload_items UpdateOrCreate', u.response_code
	  FROM sp_evil.items i, ews_export_items(ARRAY[i.item_id]) x,
	       ews_upload_items(ARRAY[:'evil_inbox'], ARRAY[i.data], ARRAY['UpdateOrCreate'], ARRAY[x.item_id], ARRAY[x.change_key]) u;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim export_items', x.response_code FROM ews_export_items(ARRAY[:'victim_item']) x;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim upload_items', u.response_code FROM sp_evil.items x, ews_upload_items(ARRAY[:'victim_inbox'], ARRAY[x.data]) u;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim create_item', c.response_code FROM ews_create_item(:'victim_inbox', 'Subject: x'::bytea) c;

-- FindItem and GetItem: a restriction that reads every kind of property
-- from the blob (the ews.prop_* functions), a sort order, and the victim's
\set restriction '<t:Or><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="item:Subject"/><t:Constant Value="TRAP"/></t:Contains><t:Exists><t:ExtendedFieldURI PropertyTag="0x1081" PropertyType="Integer"/></t:Exists><t:IsEqualTo><t:ExtendedFieldURI PropertyTag="0x10f3" PropertyType="String"/><t:FieldURIOrConstant><t:Constant Value="x"/></t:FieldURIOrConstant></t:IsEqualTo><t:IsEqualTo><t:ExtendedFieldURI PropertyTag="0x1081" PropertyType="Integer"/><t:FieldURIOrConstant><t:Constant Value="1"/></t:FieldURIOrConstant></t:IsEqualTo><t:IsEqualTo><t:ExtendedFieldURI PropertyTag="0x29" PropertyType="Boolean"/><t:FieldURIOrConstant><t:Constant Value="true"/></t:FieldURIOrConstant></t:IsEqualTo><t:IsLessThan><t:ExtendedFieldURI PropertyTag="0x3ff0" PropertyType="SystemTime"/><t:FieldURIOrConstant><t:Constant Value="2000-01-01T00:00:00Z"/></t:FieldURIOrConstant></t:IsLessThan><t:IsGreaterThan><t:ExtendedFieldURI PropertyTag="0x7ffe" PropertyType="Double"/><t:FieldURIOrConstant><t:Constant Value="1.5"/></t:FieldURIOrConstant></t:IsGreaterThan><t:IsEqualTo><t:ExtendedFieldURI PropertyTag="0xff9" PropertyType="Binary"/><t:FieldURIOrConstant><t:Constant Value="AAE="/></t:FieldURIOrConstant></t:IsEqualTo><t:IsEqualTo><t:ExtendedFieldURI PropertyTag="0x3a4d" PropertyType="StringArray"/><t:FieldURIOrConstant><t:Constant Value="x"/></t:FieldURIOrConstant></t:IsEqualTo></t:Or>'
INSERT INTO sp_evil.results (label, val)
	SELECT 'find_items', f.response_code || ' ' || f.subject
	  FROM ews_find_items(:'evil_inbox', restriction => :'restriction',
	                      sort_order => ARRAY['item:Subject DESC', '0x0E230003']) f;
INSERT INTO sp_evil.results (label, val)
	SELECT 'get_items', g.response_code || ' ' || g.subject FROM ews_get_items(ARRAY[:'evil_item']) g;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim find_items', f.response_code FROM ews_find_items(:'victim_inbox') f;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim get_items', g.response_code FROM ews_get_items(ARRAY[:'victim_item']) g;

-- ews_soap: one request of each operation, and ExchangeImpersonation
CREATE FUNCTION sp_evil.env(head text, body text) RETURNS text LANGUAGE sql AS $f$
	SELECT '<?xml version="1.0" encoding="utf-8"?>'
	    OPERATOR(pg_catalog.||) '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
	    OPERATOR(pg_catalog.||) ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"'
	    OPERATOR(pg_catalog.||) ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">'
	    OPERATOR(pg_catalog.||) '<soap:Header><t:RequestServerVersion Version="Exchange2016"/>' OPERATOR(pg_catalog.||) head
	    OPERATOR(pg_catalog.||) '</soap:Header><soap:Body>' OPERATOR(pg_catalog.||) body OPERATOR(pg_catalog.||) '</soap:Body></soap:Envelope>'
$f$;
CREATE FUNCTION sp_evil.soap(label text, head text, body text, mailbox text DEFAULT NULL) RETURNS void LANGUAGE sql AS $f$
	INSERT INTO sp_evil.results (label, val)
	SELECT label, s.status::text OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||)
	       (SELECT pg_catalog.string_agg(m[1], ' ') FROM pg_catalog.regexp_matches(s.response, 'ResponseCode[^>]*>([A-Za-z]+)<', 'g') m)
	  FROM ews_soap(sp_evil.env(head, body), mailbox) s
$f$;
CREATE FUNCTION sp_evil.fid(id text) RETURNS text LANGUAGE sql AS $f$
	SELECT pg_catalog.format('<t:FolderId Id="%s"/>', id)
$f$;
SELECT sp_evil.soap('soap GetFolder', '', '<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>'
	'<m:FolderIds><t:DistinguishedFolderId Id="inbox"/>' OPERATOR(pg_catalog.||) sp_evil.fid(:'evil_inbox')
	OPERATOR(pg_catalog.||) sp_evil.fid(:'victim_inbox') OPERATOR(pg_catalog.||) '</m:FolderIds></m:GetFolder>');
SELECT sp_evil.soap('soap FindFolder', '', pg_catalog.format('<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape>'
	'<m:ParentFolderIds>%s</m:ParentFolderIds></m:FindFolder>', sp_evil.fid(:'evil_inbox')));
SELECT sp_evil.soap('soap CreateFolder', '', pg_catalog.format('<m:CreateFolder><m:ParentFolderId>%s</m:ParentFolderId>'
	'<m:Folders><t:Folder><t:DisplayName>Soap</t:DisplayName></t:Folder><t:Folder><t:DisplayName>SOAP</t:DisplayName></t:Folder>'
	'</m:Folders></m:CreateFolder>', sp_evil.fid(:'evil_inbox')));
SELECT sp_evil.soap('soap MoveFolder', '', pg_catalog.format('<m:MoveFolder><m:ToFolderId><t:DistinguishedFolderId Id="junkemail"/></m:ToFolderId>'
	'<m:FolderIds>%s%s</m:FolderIds></m:MoveFolder>', sp_evil.fid(:'evil_mover'), sp_evil.fid(:'victim_sub')));
SELECT sp_evil.soap('soap CopyFolder', '', pg_catalog.format('<m:CopyFolder><m:ToFolderId>%s</m:ToFolderId>'
	'<m:FolderIds>%s%s</m:FolderIds></m:CopyFolder>', sp_evil.fid(:'evil_drafts'), sp_evil.fid(:'evil_mover'), sp_evil.fid(:'victim_sub')));
SELECT sp_evil.soap('soap DeleteFolder', '', pg_catalog.format('<m:DeleteFolder DeleteType="SoftDelete">'
	'<m:FolderIds>%s%s</m:FolderIds></m:DeleteFolder>', sp_evil.fid(:'evil_mover'), sp_evil.fid(:'victim_sub')));
SELECT sp_evil.soap('soap ExportItems', '', pg_catalog.format('<m:ExportItems><m:ItemIds><t:ItemId Id="%s"/><t:ItemId Id="%s"/></m:ItemIds></m:ExportItems>',
	:'evil_item', :'victim_item'));
SELECT sp_evil.soap('soap UploadItems', '', pg_catalog.format('<m:UploadItems><m:Items>'
	'<t:Item CreateAction="CreateNew"><t:ParentFolderId Id="%1$s"/><t:Data>%3$s</t:Data></t:Item>'
	'<t:Item CreateAction="Update"><t:ParentFolderId Id="%1$s"/><t:ItemId Id="%4$s" ChangeKey="%5$s"/><t:Data>%3$s</t:Data></t:Item>'
	'<t:Item CreateAction="CreateNew"><t:ParentFolderId Id="%2$s"/><t:Data>%3$s</t:Data></t:Item>'
	'</m:Items></m:UploadItems>', :'evil_inbox', :'victim_inbox',
	pg_catalog.translate(pg_catalog.encode(x.data, 'base64'), E'\n', ''), x.item_id, y.change_key))
  FROM sp_evil.items x, ews_export_items(ARRAY[:'evil_item']) y;
SELECT sp_evil.soap('soap ConvertId', '', pg_catalog.format('<m:ConvertId DestinationFormat="EwsId"><m:SourceIds>'
	'<t:AlternateId Format="EwsId" Id="%s" Mailbox="sp-evil@example.com"/></m:SourceIds></m:ConvertId>', :'evil_inbox'));
SELECT sp_evil.soap('soap FindItem', '', pg_catalog.format('<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape>'
	'<t:AdditionalProperties><t:ExtendedFieldURI PropertyTag="0x10f3" PropertyType="String"/></t:AdditionalProperties></m:ItemShape>'
	'<m:IndexedPageItemView MaxEntriesReturned="10" Offset="0" BasePoint="Beginning"/><m:Restriction>%s</m:Restriction>'
	'<m:SortOrder><t:FieldOrder Order="Ascending"><t:FieldURI FieldURI="item:Subject"/></t:FieldOrder></m:SortOrder>'
	'<m:ParentFolderIds>%s%s</m:ParentFolderIds></m:FindItem>', :'restriction', sp_evil.fid(:'evil_inbox'), sp_evil.fid(:'victim_inbox')));
SELECT sp_evil.soap('soap GetItem', '', pg_catalog.format('<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape>'
	'<t:IncludeMimeContent>true</t:IncludeMimeContent></m:ItemShape><m:ItemIds><t:ItemId Id="%s"/><t:ItemId Id="%s"/></m:ItemIds></m:GetItem>',
	:'evil_item', :'victim_item'));
SELECT sp_evil.soap('soap FindFolder restricted', '', pg_catalog.format('<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>'
	'<m:Restriction><t:Or><t:IsEqualTo><t:FieldURI FieldURI="folder:DisplayName"/><t:FieldURIOrConstant><t:Constant Value="child"/></t:FieldURIOrConstant></t:IsEqualTo>'
	'<t:Not><t:Exists><t:ExtendedFieldURI PropertyTag="0x3613" PropertyType="String"/></t:Exists></t:Not></t:Or></m:Restriction>'
	'<m:ParentFolderIds>%s</m:ParentFolderIds></m:FindFolder>', sp_evil.fid(:'evil_inbox')));
SELECT sp_evil.soap('soap impersonation of itself',
	'<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>SP-EVIL@example.com</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>',
	'<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="drafts"/></m:FolderIds></m:GetFolder>');
SELECT sp_evil.soap('soap impersonation of the victim',
	'<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>sp-victim@example.com</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>',
	'<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>');
SELECT sp_evil.soap('soap mailbox argument of the victim', '',
	'<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>',
	'sp-victim@example.com');
SELECT sp_evil.soap('soap distinguished folder of the victim', '',
	'<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:ParentFolderIds>'
	'<t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>sp-victim@example.com</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>'
	'</m:ParentFolderIds></m:FindFolder>');

-- scale-out: the one node function of the router's anyone may call (its own access)
SELECT m.mailbox_guid AS evil_guid FROM ews_list_mailboxes() m
 WHERE m.smtp_address OPERATOR(pg_catalog.=) 'sp-evil@example.com' \gset
INSERT INTO sp_evil.results (label, val)
	SELECT 'scaleout_reachable', ews_scaleout_reachable(ARRAY[:'evil_guid']::uuid[], NULL)::text
	       OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||)
	       ews_scaleout_reachable(ARRAY[pg_catalog.convert_from(pg_catalog.substr(pg_catalog.decode(:'victim_inbox', 'base64'), 5, 36),
	                                                         'UTF8')::uuid],
	                              ARRAY['sp-victim@example.com'])::text;

-- the administrators' functions, called by a superuser whose search_path
-- holds the traps (the role may not execute them)
RESET ROLE;
INSERT INTO sp_evil.results (label, val)
SELECT 'item_columns', (ews.item_columns(x.data)).item_class FROM sp_evil.items x;
INSERT INTO sp_evil.results (label, val)
SELECT 'trim_tombstones', t::text FROM ews_trim_tombstones(max_age => '100 years') t;
-- scale-out, node side (superusers only): a mailbox out and back in as a move does it
INSERT INTO sp_evil.results (label, val)
	SELECT 'scaleout catalog', pg_catalog.count(*)::text FROM ews_scaleout_catalog() c
	 WHERE c.function_name OPERATOR(pg_catalog.=) 'ews_soap';
INSERT INTO sp_evil.results (label, val)
	SELECT 'scaleout tables', ((SELECT pg_catalog.count(*) FROM ews_scaleout_mailbox_tables())
	       OPERATOR(pg_catalog.=) (SELECT pg_catalog.count(*) FROM ews_scaleout_tables() t WHERE t.holds_mailboxes))::text;
INSERT INTO sp_evil.results (label, val)
	SELECT 'scaleout mailboxes', m.smtp_address FROM ews_scaleout_mailboxes(ARRAY[:'evil_guid']::uuid[], NULL) m;
INSERT INTO sp_evil.results (label, val)
	SELECT 'scaleout links', COALESCE(pg_catalog.sum(l.row_count), 0)::text FROM ews_scaleout_links(:'evil_guid') l;
INSERT INTO sp_evil.results (label, val)
	SELECT 'scaleout sequences', pg_catalog.count(*)::text FROM ews_scaleout_sequences() q
	 WHERE q.sequence_name OPERATOR(pg_catalog.=) 'change_seq';
INSERT INTO sp_evil.results (label, val)
	SELECT 'scaleout advance', ews_scaleout_advance_sequences(ARRAY['change_seq'], ARRAY[1::bigint], 1000)::text;
INSERT INTO sp_evil.results (label, val)
	SELECT 'scaleout freeze', ews_scaleout_freeze(:'evil_guid', 1000)::text OPERATOR(pg_catalog.||) ' '
	       OPERATOR(pg_catalog.||) ews_scaleout_frozen(:'evil_guid')::text;
CREATE TEMP TABLE sp_dump AS
	SELECT t.table_name, e.row_data FROM ews_scaleout_tables() t,
	       ews_scaleout_export(:'evil_guid', t.table_name, NULL, 100000, 1000000000) e
	 WHERE t.holds_mailboxes;
CREATE TEMP TABLE sp_sums AS
	SELECT pg_catalog.array_agg(c ORDER BY c.table_name)::text AS before FROM ews_scaleout_checksum(:'evil_guid') c;
INSERT INTO sp_evil.results (label, val)
	SELECT 'scaleout delete', (ews_scaleout_delete(:'evil_guid') OPERATOR(pg_catalog.=)
	                           (SELECT pg_catalog.count(*) FROM sp_dump))::text;
INSERT INTO sp_evil.results (label, val)
	SELECT 'scaleout import', pg_catalog.sum(ews_scaleout_import(:'evil_guid', x.table_name, x.rows))::text
	  FROM (SELECT d.table_name, pg_catalog.array_agg(d.row_data) AS rows FROM sp_dump d GROUP BY d.table_name) x
	HAVING pg_catalog.sum(pg_catalog.cardinality(x.rows)) OPERATOR(pg_catalog.=) (SELECT pg_catalog.count(*) FROM sp_dump);
INSERT INTO sp_evil.results (label, val)
	SELECT 'scaleout checksum', (s.before OPERATOR(pg_catalog.=)
	       (SELECT pg_catalog.array_agg(c ORDER BY c.table_name)::text FROM ews_scaleout_checksum(:'evil_guid') c))::text
	  FROM sp_sums s;
INSERT INTO sp_evil.results (label, val)
	SELECT 'scaleout thaw', ews_scaleout_thaw(:'evil_guid')::text;
SET LOCAL ROLE sp_evil;

-- the item and folder writes: every operation's SQL twin and SOAP request,
-- on the role's own mailbox and on the victim's
INSERT INTO sp_evil.results (label, val) VALUES ('part 3', NULL);
SELECT folder_id AS evil_work FROM ews_create_folder(:'evil_inbox', 'Work') \gset
CREATE TABLE sp_evil.w AS SELECT c.* FROM ews_create_items(:'evil_work', ARRAY[
	'<t:Message><t:Subject>w1</t:Subject><t:Body BodyType="HTML">&lt;p&gt;x&lt;/p&gt;</t:Body><t:Importance>High</t:Importance>'
	'<t:ToRecipients><t:Mailbox><t:Name>N</t:Name><t:EmailAddress>n@example.com</t:EmailAddress></t:Mailbox></t:ToRecipients>'
	'<t:Categories><t:String>c</t:String></t:Categories><t:IsRead>true</t:IsRead>'
	'<t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="Common" PropertyId="34160" PropertyType="Integer"/><t:Value>1</t:Value></t:ExtendedProperty></t:Message>',
	NULL], ARRAY[NULL, convert_to(E'Subject: w2\r\nMessage-ID: <w2@example.com>\r\n\r\nx\r\n', 'UTF8')])
	WITH ORDINALITY c(item_id, change_key, response_class, response_code, message_text, mailbox_guid, n);
INSERT INTO sp_evil.results (label, val) SELECT 'create_items', pg_catalog.string_agg(response_code, ' ' ORDER BY n) FROM sp_evil.w;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim create_items', c.response_code FROM ews_create_items(:'victim_inbox', ARRAY['<t:Message/>']) c;
SELECT item_id AS w1 FROM sp_evil.w WHERE n = 1 \gset
SELECT item_id AS w2 FROM sp_evil.w WHERE n = 2 \gset
INSERT INTO sp_evil.results (label, val)
	SELECT 'update_items', pg_catalog.string_agg(u.response_code, ' ') FROM ews_update_items(ARRAY[:'w1', :'w2'], ARRAY[
	'<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>renamed</t:Subject></t:Message></t:SetItemField>'
	'<t:AppendToItemField><t:FieldURI FieldURI="message:CcRecipients"/><t:Message><t:CcRecipients><t:Mailbox>'
	'<t:EmailAddress>cc@example.com</t:EmailAddress></t:Mailbox></t:CcRecipients></t:Message></t:AppendToItemField>'
	'<t:SetItemField><t:FieldURI FieldURI="item:Body"/><t:Message><t:Body BodyType="Text">new body</t:Body></t:Message></t:SetItemField>',
	'<t:SetItemField><t:FieldURI FieldURI="item:Categories"/><t:Message><t:Categories><t:String>k</t:String></t:Categories></t:Message></t:SetItemField>'
	'<t:DeleteItemField><t:ExtendedFieldURI DistinguishedPropertySetId="Common" PropertyId="34160" PropertyType="Integer"/></t:DeleteItemField>'
	'<t:SetItemField><t:FieldURI FieldURI="message:IsRead"/><t:Message><t:IsRead>1</t:IsRead></t:Message></t:SetItemField>'],
	ARRAY[(SELECT change_key FROM sp_evil.w WHERE n = 1), (SELECT change_key FROM sp_evil.w WHERE n = 2)], 'NeverOverwrite') u;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim update_items', u.response_code FROM ews_update_items(ARRAY[:'victim_item'], ARRAY[
	'<t:DeleteItemField><t:FieldURI FieldURI="item:Subject"/></t:DeleteItemField>']) u;
INSERT INTO sp_evil.results (label, val)
	SELECT 'copy_items', c.response_code FROM ews_copy_items(:'evil_drafts', ARRAY[:'w1']) c;
INSERT INTO sp_evil.results (label, val)
	SELECT 'move_items', c.response_code FROM ews_move_items(:'evil_drafts', ARRAY[:'w2']) c;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim copy_items', c.response_code FROM ews_copy_items(:'evil_drafts', ARRAY[:'victim_item']) c;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim move_items', c.response_code FROM ews_move_items(:'victim_drafts', ARRAY[:'victim_item']) c;
INSERT INTO sp_evil.results (label, val)
	SELECT 'delete_items', pg_catalog.string_agg(d.response_code, ' ')
	  FROM (VALUES ('SoftDelete'), ('MoveToDeletedItems'), ('HardDelete')) t(dt),
	       LATERAL (SELECT item_id FROM ews_create_items(:'evil_work',
	                ARRAY[pg_catalog.format('<t:Message><t:Subject>%s</t:Subject></t:Message>', t.dt)])) c,
	       LATERAL ews_delete_items(ARRAY[c.item_id], t.dt) d;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim delete_items', d.response_code FROM ews_delete_items(ARRAY[:'victim_item']) d;
INSERT INTO sp_evil.results (label, val)
	SELECT 'update_folders', u.response_code FROM ews_update_folders(ARRAY[:'evil_work'], ARRAY[
	'<t:SetFolderField><t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>WORK</t:DisplayName></t:Folder></t:SetFolderField>'
	'<t:DeleteFolderField><t:FieldURI FieldURI="folder:FolderClass"/></t:DeleteFolderField>']) u;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim update_folders', u.response_code FROM ews_update_folders(ARRAY[:'victim_sub'], ARRAY[
	'<t:SetFolderField><t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>Mine</t:DisplayName></t:Folder></t:SetFolderField>']) u;
SELECT pg_catalog.count(*) FROM ews_create_folder(:'evil_work', 'Inner');
INSERT INTO sp_evil.results (label, val)
	SELECT 'empty_folders', pg_catalog.string_agg(e.response_code, ' ')
	  FROM (VALUES ('SoftDelete', true), ('HardDelete', true), ('MoveToDeletedItems', false)) t(dt, sub),
	       LATERAL ews_empty_folders(ARRAY[:'evil_work'], t.dt, t.sub) e;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim empty_folders', e.response_code FROM ews_empty_folders(ARRAY[:'victim_inbox']) e;
SELECT item_id AS w3 FROM ews_create_items(:'evil_work', ARRAY['<t:Message><t:Subject>soap</t:Subject></t:Message>']) \gset
SELECT sp_evil.soap('soap CreateItem', '', pg_catalog.format('<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId>%s</m:SavedItemFolderId>'
	'<m:Items><t:Message><t:MimeContent>U3ViamVjdDogeA0KDQp4DQo=</t:MimeContent><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0xe07" PropertyType="Integer"/>'
	'<t:Value>1</t:Value></t:ExtendedProperty></t:Message><t:Message><t:Subject>p</t:Subject><t:Body BodyType="Text">b</t:Body></t:Message></m:Items></m:CreateItem>',
	sp_evil.fid(:'evil_work')));
SELECT sp_evil.soap('soap CreateItem victim', '', pg_catalog.format('<m:CreateItem><m:SavedItemFolderId>%s</m:SavedItemFolderId>'
	'<m:Items><t:Message/></m:Items></m:CreateItem>', sp_evil.fid(:'victim_inbox')));
SELECT sp_evil.soap('soap UpdateItem', '', pg_catalog.format('<m:UpdateItem ConflictResolution="AlwaysOverwrite"><m:ItemChanges>'
	'<t:ItemChange><t:ItemId Id="%s"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>s</t:Subject>'
	'</t:Message></t:SetItemField></t:Updates></t:ItemChange><t:ItemChange><t:ItemId Id="%s"/><t:Updates><t:DeleteItemField>'
	'<t:FieldURI FieldURI="item:Subject"/></t:DeleteItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>', :'w3', :'victim_item'));
SELECT sp_evil.soap('soap CopyItem', '', pg_catalog.format('<m:CopyItem><m:ToFolderId>%s</m:ToFolderId><m:ItemIds><t:ItemId Id="%s"/>'
	'<t:ItemId Id="%s"/></m:ItemIds></m:CopyItem>', sp_evil.fid(:'evil_drafts'), :'w3', :'victim_item'));
SELECT sp_evil.soap('soap MoveItem', '', pg_catalog.format('<m:MoveItem><m:ToFolderId>%s</m:ToFolderId><m:ItemIds><t:ItemId Id="%s"/>'
	'<t:ItemId Id="%s"/></m:ItemIds></m:MoveItem>', sp_evil.fid(:'evil_drafts'), :'w3', :'victim_item'));
SELECT sp_evil.soap('soap DeleteItem', '', pg_catalog.format('<m:DeleteItem DeleteType="SoftDelete"><m:ItemIds><t:ItemId Id="%s"/>'
	'<t:ItemId Id="%s"/></m:ItemIds></m:DeleteItem>', (SELECT c.item_id FROM ews_create_items(:'evil_work', ARRAY['<t:Message/>']) c), :'victim_item'));
SELECT sp_evil.soap('soap UpdateFolder', '', pg_catalog.format('<m:UpdateFolder><m:FolderChanges><t:FolderChange>%s<t:Updates><t:SetFolderField>'
	'<t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>Work 2</t:DisplayName></t:Folder></t:SetFolderField></t:Updates></t:FolderChange>'
	'<t:FolderChange>%s<t:Updates><t:DeleteFolderField><t:FieldURI FieldURI="folder:FolderClass"/></t:DeleteFolderField></t:Updates></t:FolderChange>'
	'</m:FolderChanges></m:UpdateFolder>', sp_evil.fid(:'evil_work'), sp_evil.fid(:'victim_sub')));
SELECT sp_evil.soap('soap EmptyFolder', '', pg_catalog.format('<m:EmptyFolder DeleteType="MoveToDeletedItems" DeleteSubFolders="true"><m:FolderIds>%s%s'
	'</m:FolderIds></m:EmptyFolder>', sp_evil.fid(:'evil_work'), sp_evil.fid(:'victim_inbox')));

-- the functions added since: mailbox delegates, and acting for a user (last:
-- it lasts to the end of the transaction)
INSERT INTO sp_evil.results (label, val) VALUES ('part 4', NULL);
INSERT INTO sp_evil.results (label, val)
	SELECT 'add_delegate', ews_add_delegate('sp-evil@example.com', 'sp-victim@example.com', 'reviewer')::text;
INSERT INTO sp_evil.results (label, val)
	SELECT 'add_delegate again', ews_add_delegate('SP-EVIL@example.com', 'SP-victim@example.com', 'editor')::text;
INSERT INTO sp_evil.results (label, val)
	SELECT 'list_delegates', pg_catalog.string_agg(d.delegate OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) d.permission, ', ')
	  FROM ews_list_delegates('sp-evil@example.com') d;
INSERT INTO sp_evil.results (label, val)
	SELECT 'remove_delegate', ews_remove_delegate('sp-evil@example.com', 'sp-victim@example.com')::text;
INSERT INTO sp_evil.results (label, val)
	SELECT 'list_delegates after remove', pg_catalog.count(*)::text FROM ews_list_delegates('sp-evil@example.com') d;
INSERT INTO sp_evil.results (label, val) SELECT 'acting before', ews_acting_mailbox();
INSERT INTO sp_evil.results (label, val) SELECT 'act_as', ews_act_as('sp-evil@example.com')::text;
INSERT INTO sp_evil.results (label, val) SELECT 'acting', ews_acting_mailbox();
INSERT INTO sp_evil.results (label, val)
	SELECT 'acting get_folder', pg_catalog.string_agg(g.response_code, ' ')
	  FROM ews_get_folder(ARRAY[:'evil_inbox', :'victim_inbox']) g;
INSERT INTO sp_evil.results (label, val)
	SELECT 'acting list', pg_catalog.string_agg(l.smtp_address, ', ') FROM ews_list_mailboxes() l;
SELECT sp_evil.soap('acting soap GetFolder', '', '<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape>'
	'<m:FolderIds><t:DistinguishedFolderId Id="inbox"/>' OPERATOR(pg_catalog.||) sp_evil.fid(:'victim_inbox')
	OPERATOR(pg_catalog.||) '</m:FolderIds></m:GetFolder>');
SELECT sp_evil.soap('acting soap mailbox argument', '',
	'<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>',
	'sp-evil@example.com');

-- sync (issue 15), acting for the role's own mailbox
INSERT INTO sp_evil.results (label, val) VALUES ('part 5', NULL);
INSERT INTO sp_evil.results (label, val)
	SELECT 'sync_folder_items', pg_catalog.string_agg(DISTINCT s.response_code OPERATOR(pg_catalog.||) ' '
	       OPERATOR(pg_catalog.||) coalesce(s.change_type, 'end'), ', ' ORDER BY s.response_code OPERATOR(pg_catalog.||) ' '
	       OPERATOR(pg_catalog.||) coalesce(s.change_type, 'end'))
	  FROM ews_sync_folder_items(:'evil_inbox', NULL, 2, 'NormalAndAssociatedItems', ARRAY[:'evil_item']) s;
INSERT INTO sp_evil.results (label, val)
	SELECT 'sync_folder_items again', pg_catalog.string_agg(coalesce(s.change_type, 'end') OPERATOR(pg_catalog.||) ' '
	       OPERATOR(pg_catalog.||) s.response_code, ', ')
	  FROM (SELECT y.next_sync_state FROM ews_sync_folder_items(:'evil_inbox', NULL, 512) y
	         WHERE y.change_type IS NULL) x,
	       LATERAL ews_sync_folder_items(:'evil_inbox', x.next_sync_state) s;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim sync_folder_items', s.response_code FROM ews_sync_folder_items(:'victim_inbox') s;
INSERT INTO sp_evil.results (label, val)
	SELECT 'sync_folder_hierarchy', pg_catalog.string_agg(DISTINCT s.response_code OPERATOR(pg_catalog.||) ' '
	       OPERATOR(pg_catalog.||) coalesce(s.change_type, 'end'), ', ' ORDER BY s.response_code OPERATOR(pg_catalog.||) ' '
	       OPERATOR(pg_catalog.||) coalesce(s.change_type, 'end'))
	  FROM ews_sync_folder_hierarchy() s;
INSERT INTO sp_evil.results (label, val)
	SELECT 'victim sync_folder_hierarchy', s.response_code FROM ews_sync_folder_hierarchy(:'victim_inbox') s;
SELECT sp_evil.soap('soap SyncFolderHierarchy', '', pg_catalog.format('<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>Default'
	'</t:BaseShape></m:FolderShape><m:SyncFolderId>%s</m:SyncFolderId></m:SyncFolderHierarchy>', sp_evil.fid(:'evil_inbox')));
SELECT sp_evil.soap('soap SyncFolderHierarchy victim', '', pg_catalog.format('<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>Default'
	'</t:BaseShape></m:FolderShape><m:SyncFolderId>%s</m:SyncFolderId></m:SyncFolderHierarchy>', sp_evil.fid(:'victim_inbox')));

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
            WHERE label NOT IN ('control', 'hits after control', 'hits at end', 'inbox', 'create_folder')
              AND n < (SELECT n FROM sp_evil.results WHERE label = 'part 2')),
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
SELECT is((SELECT string_agg(label || '=' || coalesce(val, 'NULL'), '; ' ORDER BY n) FROM sp_evil.results
            WHERE n > (SELECT n FROM sp_evil.results WHERE label = 'part 2')
              AND n < (SELECT n FROM sp_evil.results WHERE label = 'part 3')),
          'move_folder=NoError; copy_folder=NoError; victim move_folder=ErrorNonExistentMailbox; '
          'victim copy_folder=ErrorNonExistentMailbox; create_item=NoError; export_items=NoError; '
          'upload_items CreateNew=NoError; upload_items Update=NoError; upload_items UpdateOrCreate=NoError; '
          'victim export_items=ErrorNonExistentMailbox; victim upload_items=ErrorNonExistentMailbox; '
          'victim create_item=ErrorNonExistentMailbox; find_items=NoError trap; find_items=NoError trap; get_items=NoError trap; '
          'victim find_items=ErrorNonExistentMailbox; victim get_items=ErrorNonExistentMailbox; '
          'soap GetFolder=200 NoError NoError ErrorNonExistentMailbox; '
          'soap FindFolder=200 NoError; soap CreateFolder=200 NoError ErrorFolderExists; '
          'soap MoveFolder=200 NoError ErrorNonExistentMailbox; soap CopyFolder=200 NoError ErrorNonExistentMailbox; '
          'soap DeleteFolder=200 NoError ErrorNonExistentMailbox; soap ExportItems=200 NoError ErrorNonExistentMailbox; '
          'soap UploadItems=200 NoError NoError ErrorNonExistentMailbox; soap ConvertId=200 NoError; '
          'soap FindItem=200 NoError ErrorNonExistentMailbox; soap GetItem=200 NoError ErrorNonExistentMailbox; '
          'soap FindFolder restricted=200 NoError; '
          'soap impersonation of itself=200 NoError; soap impersonation of the victim=500 ErrorNonExistentMailbox; '
          'soap mailbox argument of the victim=500 ErrorNonExistentMailbox; '
          'soap distinguished folder of the victim=200 ErrorNonExistentMailbox; scaleout_reachable=true false; '
          'item_columns=IPM.Note; trim_tombstones=(0,0); scaleout catalog=1; scaleout tables=true; scaleout mailboxes=sp-evil@example.com; '
          'scaleout links=0; scaleout sequences=1; scaleout advance=; scaleout freeze=true true; scaleout delete=true; '
          'scaleout import=' || (SELECT count(*) FROM sp_dump) || '; scaleout checksum=true; scaleout thaw=true',
          'MoveFolder, CopyFolder, the item functions and every ews_soap operation worked as usual, and gave no access to the victim');
SELECT is((SELECT string_agg(label || '=' || coalesce(val, 'NULL'), '; ' ORDER BY n) FROM sp_evil.results
            WHERE n > (SELECT n FROM sp_evil.results WHERE label = 'part 3')
              AND n < (SELECT n FROM sp_evil.results WHERE label = 'part 4')),
          'create_items=NoError NoError; victim create_items=ErrorNonExistentMailbox; update_items=NoError NoError; '
          'victim update_items=ErrorNonExistentMailbox; copy_items=NoError; move_items=NoError; '
          'victim copy_items=ErrorNonExistentMailbox; victim move_items=ErrorNonExistentMailbox; '
          'delete_items=NoError NoError NoError; victim delete_items=ErrorNonExistentMailbox; update_folders=NoError; '
          'victim update_folders=ErrorNonExistentMailbox; empty_folders=NoError NoError NoError; '
          'victim empty_folders=ErrorNonExistentMailbox; soap CreateItem=200 NoError NoError; '
          'soap CreateItem victim=200 ErrorNonExistentMailbox; soap UpdateItem=200 NoError ErrorNonExistentMailbox; '
          'soap CopyItem=200 NoError ErrorNonExistentMailbox; soap MoveItem=200 NoError ErrorNonExistentMailbox; '
          'soap DeleteItem=200 NoError ErrorNonExistentMailbox; soap UpdateFolder=200 NoError ErrorNonExistentMailbox; '
          'soap EmptyFolder=200 NoError ErrorNonExistentMailbox',
          'the item and folder writes, in SQL and through ews_soap, worked as usual, and gave no access to the victim');
SELECT is((SELECT string_agg(label || '=' || coalesce(val, 'NULL'), '; ' ORDER BY n) FROM sp_evil.results
            WHERE n > (SELECT n FROM sp_evil.results WHERE label = 'part 4')
              AND n < (SELECT n FROM sp_evil.results WHERE label = 'part 5')),
          'add_delegate=; add_delegate again=; list_delegates=sp-victim@example.com editor; remove_delegate=; '
          'list_delegates after remove=0; acting before=NULL; act_as=; acting=sp-evil@example.com; '
          'acting get_folder=NoError ErrorNonExistentMailbox; acting list=sp-evil@example.com; '
          'acting soap GetFolder=200 NoError ErrorNonExistentMailbox; acting soap mailbox argument=200 NoError',
          'the delegate functions, ews_act_as and the calls acting for a user worked as usual, and gave no access to the victim');
SELECT is((SELECT string_agg(label || '=' || coalesce(val, 'NULL'), '; ' ORDER BY n) FROM sp_evil.results
            WHERE n > (SELECT n FROM sp_evil.results WHERE label = 'part 5') AND label <> 'hits at end'),
          'sync_folder_items=NoError Create, NoError end; sync_folder_items again=end NoError; '
          'victim sync_folder_items=ErrorNonExistentMailbox; sync_folder_hierarchy=NoError Create, NoError end; '
          'victim sync_folder_hierarchy=ErrorNonExistentMailbox; soap SyncFolderHierarchy=200 NoError; '
          'soap SyncFolderHierarchy victim=200 ErrorNonExistentMailbox',
          'SyncFolderItems, SyncFolderHierarchy (SQL and SOAP) worked as usual, and gave no access to the victim');
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
SELECT is((SELECT count(*) || ' folders, ' || (SELECT count(*) FROM ews.item i WHERE i.mailbox_id = m.mailbox_id) || ' item, Sub in '
                  || (SELECT p.distinguished FROM ews.folder s JOIN ews.folder p ON p.mailbox_id = s.mailbox_id AND p.folder_id = s.parent_id
                       WHERE s.mailbox_id = m.mailbox_id AND s.display_name = 'Sub')
             FROM ews.mailbox m JOIN ews.folder f USING (mailbox_id)
            WHERE m.smtp_address = 'sp-victim@example.com' GROUP BY m.mailbox_id),
          (SELECT count(*) + 1 || ' folders, 1 item, Sub in inbox' FROM ews.folder f JOIN ews.mailbox m USING (mailbox_id)
            WHERE m.smtp_address = 'sp-evil@example.com' AND f.distinguished IS NOT NULL),
          'the victim''s mailbox is as it was: its default folders and Sub, one item, Sub not moved');
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
            WHERE d.refclassid = 'pg_extension'::regclass
              AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ews')
              AND (p.prosecdef OR NOT coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, pg_temp'])),
          0::bigint, 'every function of the extension pins search_path and none is SECURITY DEFINER');
-- pg_catalog.array_agg: the trap in public makes the bare name ambiguous
SELECT is((SELECT pg_catalog.array_agg(DISTINCT p.proname::text ORDER BY p.proname::text) FROM pg_proc p
              JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
            WHERE d.refclassid = 'pg_extension'::regclass
              AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ews')),
          ARRAY['ews_act_as', 'ews_acting_mailbox', 'ews_add_delegate', 'ews_copy_folder', 'ews_copy_items',
                'ews_create_folder', 'ews_create_item', 'ews_create_items', 'ews_create_mailbox', 'ews_delete_folder',
                'ews_delete_items', 'ews_drop_mailbox', 'ews_empty_folders', 'ews_export_items', 'ews_find_folder',
                'ews_find_items', 'ews_folder_id', 'ews_get_folder', 'ews_get_items', 'ews_grant',
                'ews_list_delegates', 'ews_list_mailboxes', 'ews_move_folder', 'ews_move_items', 'ews_remove_delegate',
                'ews_revoke', 'ews_scaleout_advance_sequences', 'ews_scaleout_catalog', 'ews_scaleout_checksum', 'ews_scaleout_delete',
                'ews_scaleout_export', 'ews_scaleout_freeze', 'ews_scaleout_frozen', 'ews_scaleout_import', 'ews_scaleout_links',
                'ews_scaleout_mailbox_tables', 'ews_scaleout_mailboxes', 'ews_scaleout_reachable', 'ews_scaleout_sequences', 'ews_scaleout_tables',
                'ews_scaleout_thaw', 'ews_soap', 'ews_sync_folder_hierarchy', 'ews_sync_folder_items', 'ews_trim_tombstones', 'ews_update_folders', 'ews_update_items', 'ews_upload_items',
                'item_columns', 'prop_bool', 'prop_bytea', 'prop_exists', 'prop_float8',
                'prop_int8', 'prop_text', 'prop_texts', 'prop_time'],
          'the functions called above are all the extension has (a new function must be added here and called above)');

SELECT * FROM finish();
ROLLBACK;
