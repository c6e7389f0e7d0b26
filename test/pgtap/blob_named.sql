-- The blob format of 0.2 through the store: an item with named properties
-- (numeric and string names, one non-ASCII), every 0.2 fixed-size type and
-- the multi-valued form of every type, built in SQL independently of the C
-- codec (test/blob_helpers.sql), uploads and exports as the same bytes apart
-- from the two store-maintained properties, through the SQL face and through
-- ews_soap (UploadItems, ExportItems).  A blob breaking each rule of 0.2 is
-- refused with ErrorCorruptData naming the failure and its byte, and nothing
-- is written.
BEGIN;
\i test/blob_helpers.sql
SELECT plan(33);

SELECT ews_create_mailbox('tap-named@example.com', 'Named') IS NOT NULL AS created \gset
SELECT ews_folder_id('tap-named@example.com', 'inbox') AS inbox \gset
SELECT ews_folder_id('tap-named@example.com', 'drafts') AS drafts \gset

\set ps_public '''00020329-0000-0000-C000-000000000046'''
\set psetid_common '''00062008-0000-0000-C000-000000000046'''
\set ps_headers '''00020386-0000-0000-C000-000000000046'''

CREATE TEMP TABLE src (blob bytea NOT NULL);
INSERT INTO src SELECT pg_temp.blob(25,
	   pg_temp.prop(x'001A001F'::bigint, 'IPM.Note')
	|| pg_temp.prop(x'0037001F'::bigint, convert_to('Named and multi-valued', 'UTF8'))
	-- the 0.2 fixed-size types
	|| pg_temp.prop(x'60000004'::bigint, '\x0000c03f')						-- PT_FLOAT 1.5
	|| pg_temp.prop(x'60010005'::bigint, '\x000000000000f8bf')				-- PT_DOUBLE -1.5
	|| pg_temp.prop(x'60020006'::bigint, pg_temp.le(123450000, 8))			-- PT_CURRENCY 12345.0000
	|| pg_temp.prop(x'60030007'::bigint, '\x0000000080f9e540')				-- PT_APPTIME 45004.0
	|| pg_temp.prop(x'6004000A'::bigint, pg_temp.le(x'80004005'::bigint, 4))	-- PT_ERROR E_FAIL
	|| pg_temp.prop(x'60050048'::bigint, pg_temp.guid(:ps_public))			-- PT_CLSID
	-- the multi-valued form of every type, an empty list among them
	|| pg_temp.mv(x'61001002'::bigint, ARRAY[pg_temp.le(1, 2), pg_temp.le(-1, 2)])
	|| pg_temp.mv(x'61011003'::bigint, ARRAY[pg_temp.le(7, 4), pg_temp.le(-7, 4)])
	|| pg_temp.mv(x'61021004'::bigint, ARRAY['\x0000803f'::bytea])
	|| pg_temp.mv(x'61031005'::bigint, ARRAY[]::bytea[])
	|| pg_temp.mv(x'61041006'::bigint, ARRAY[pg_temp.le(1, 8), pg_temp.le(2, 8)])
	|| pg_temp.mv(x'61051007'::bigint, ARRAY['\x0000000080f9e540'::bytea])
	|| pg_temp.mv(x'6106100A'::bigint, ARRAY[pg_temp.le(0, 4)])
	|| pg_temp.mv(x'6107100B'::bigint, ARRAY['\x01', '\x00', '\x01']::bytea[])
	|| pg_temp.mv(x'61081014'::bigint, ARRAY[pg_temp.le(-5, 8)])
	|| pg_temp.mv(x'6109101F'::bigint, ARRAY['a'::bytea, ''::bytea, convert_to('Grüße 日本 🎉', 'UTF8')])
	|| pg_temp.mv(x'610A1040'::bigint, ARRAY[pg_temp.le(pg_temp.filetime('2024-02-29 12:00:00+00'), 8)])
	|| pg_temp.mv(x'610B1048'::bigint, ARRAY[pg_temp.guid(:ps_public), pg_temp.guid(:psetid_common)])
	|| pg_temp.mv(x'610C1102'::bigint, ARRAY[''::bytea, '\x00ff'::bytea])
	-- named properties, ids local to the blob
	|| pg_temp.prop(x'8000000B'::bigint, '\x01')
	|| pg_temp.mv(x'8001101F'::bigint, ARRAY['red'::bytea, 'blue'::bytea])
	|| pg_temp.prop(x'80020003'::bigint, pg_temp.le(5, 4))
	|| pg_temp.prop(x'80030102'::bigint, '\xcafe'),
	ARRAY[pg_temp.name_lid(x'8000000B'::bigint, :psetid_common, x'8570'::bigint),
	      pg_temp.name_str(x'8001101F'::bigint, :ps_public, 'Keywords'),
	      pg_temp.name_str(x'80020003'::bigint, :ps_public, convert_to('Ωμέγα', 'UTF8')),
	      pg_temp.name_str(x'80030102'::bigint, :ps_headers, 'x-custom-header')]);

-- 1-5: SQL face, upload, export, upload the export, export again
CREATE TEMP TABLE up1 AS
SELECT u.* FROM src, ews_upload_items(ARRAY[:'inbox'], ARRAY[src.blob]) u;
SELECT is((SELECT response_code FROM up1), 'NoError', 'a blob with named and multi-valued properties uploads');
CREATE TEMP TABLE e1 AS
SELECT x.* FROM up1, ews_export_items(ARRAY[up1.item_id]) x;
SELECT is((SELECT pg_temp.unstamped(data) FROM e1), (SELECT pg_temp.unstamped(blob) FROM src),
          'the export is the uploaded bytes apart from the store-maintained properties');
SELECT is((SELECT get_byte(data, 6) || ' ' || encode(substring(data FROM 13 FOR pg_temp.props_start(data) - 12), 'hex') FROM e1),
          (SELECT get_byte(blob, 6) || ' ' || encode(substring(blob FROM 13 FOR pg_temp.props_start(blob) - 12), 'hex') FROM src),
          'flag bit 0 and the named-property table are exported byte for byte, local ids as uploaded');
SELECT is((SELECT pg_temp.prop_value(data, x'65E20102'::bigint) = decode(change_key, 'base64')
                  AND pg_temp.le32(data, 8) = 27 FROM e1), true,
          'the store stamped its two properties (27 properties now)');
CREATE TEMP TABLE up2 AS
SELECT u.* FROM e1, ews_upload_items(ARRAY[:'drafts'], ARRAY[e1.data]) u;
CREATE TEMP TABLE e2 AS
SELECT x.* FROM up2, ews_export_items(ARRAY[up2.item_id]) x;
SELECT is((SELECT pg_temp.unstamped(data) FROM e2), (SELECT pg_temp.unstamped(blob) FROM src),
          'the export uploads again and exports the same bytes');

-- 6-7: the same through ews_soap
CREATE FUNCTION pg_temp.env(body text) RETURNS text LANGUAGE sql AS $f$
	SELECT '<?xml version="1.0" encoding="utf-8"?>'
	    || '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
	    || ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"'
	    || ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">'
	    || '<soap:Header><t:RequestServerVersion Version="Exchange2016"/></soap:Header>'
	    || '<soap:Body>' || body || '</soap:Body></soap:Envelope>'
$f$;
CREATE TEMP TABLE soap_up AS
SELECT s.response FROM src, ews_soap(pg_temp.env(format(
	'<m:UploadItems><m:Items><t:Item CreateAction="CreateNew"><t:ParentFolderId Id="%s"/>'
	'<t:Data>%s</t:Data></t:Item></m:Items></m:UploadItems>', :'inbox', encode(src.blob, 'base64')))) s;
SELECT ok((SELECT response ~ 'ResponseClass="Success"' AND response ~ '<m:ResponseCode>NoError<' FROM soap_up),
          'UploadItems (SOAP) of the blob succeeds');
CREATE TEMP TABLE soap_ex AS
SELECT decode((regexp_match(s.response, '<m:Data>([^<]*)</m:Data>'))[1], 'base64') AS data
  FROM soap_up, ews_soap(pg_temp.env(format(
	'<m:ExportItems><m:ItemIds><t:ItemId Id="%s"/></m:ItemIds></m:ExportItems>',
	(regexp_match(soap_up.response, ':ItemId Id="([^"]+)"'))[1]))) s;
SELECT is((SELECT pg_temp.unstamped(data) FROM soap_ex), (SELECT pg_temp.unstamped(blob) FROM src),
          'ExportItems (SOAP) returns the uploaded bytes apart from the store-maintained properties');

-- 8-30: a blob breaking each rule, refused with ErrorCorruptData naming the failure and its byte
SELECT md5(string_agg(i::text, ',' ORDER BY mailbox_id, item_id)) AS before_md5, count(*) AS before_count
  FROM ews.item i \gset
\set cls 'pg_temp.prop(x''001A001F''::bigint, ''IPM.Note'')'
\set e1 'pg_temp.name_str(x''8001001F''::bigint, ''00020329-0000-0000-C000-000000000046'', ''a'')'
\set p1 'pg_temp.prop(x''8001001F''::bigint, ''x'')'
CREATE TEMP TABLE bad (n int, what text, blob bytea, want text);
INSERT INTO bad VALUES
	(1, 'a reserved flag bit (bit 1)',
	 pg_temp.blob_raw(3, 2, pg_temp.le(1, 4) || :e1, :cls || :p1),
	 'reserved flags are not zero at byte 6'),
	(2, 'flag bit 0 with an empty table',
	 pg_temp.blob_raw(1, 1, pg_temp.le(0, 4), :cls),
	 'named-property table is flagged but empty at byte 12'),
	(3, 'a table count that cannot fit',
	 pg_temp.blob_raw(1, 1, pg_temp.le(2, 4) || :e1, :cls),
	 'named-property count does not fit in the blob or exceeds 8192 at byte 12'),
	(4, 'a name longer than the blob',
	 pg_temp.blob_raw(1, 2, pg_temp.le(1, 4) || pg_temp.le(x'8001001F'::bigint, 4) || pg_temp.guid(:ps_public)
	                        || '\x01'::bytea || pg_temp.le(200, 4) || 'a'::bytea, :cls || :p1),
	 'named-property entry runs past the end of the blob at byte 37'),
	(5, 'an entry below 0x8000',
	 pg_temp.blob(2, :cls || pg_temp.prop(x'7FFF0003'::bigint, pg_temp.le(1, 4)),
	              ARRAY[pg_temp.name_lid(x'7FFF0003'::bigint, :ps_public, 1)]),
	 'named-property entry has a property id below 0x8000 at byte 16'),
	(6, 'entries out of tag order',
	 pg_temp.blob(3, :cls || pg_temp.prop(x'80010003'::bigint, pg_temp.le(1, 4)) || pg_temp.prop(x'80020003'::bigint, pg_temp.le(2, 4)),
	              ARRAY[pg_temp.name_lid(x'80020003'::bigint, :ps_public, 2), pg_temp.name_lid(x'80010003'::bigint, :ps_public, 1)]),
	 'named-property entries not in ascending tag order at byte 41'),
	(7, 'two entries for one id',
	 pg_temp.blob(3, :cls || pg_temp.prop(x'80010003'::bigint, pg_temp.le(1, 4)) || pg_temp.prop(x'8001001F'::bigint, 'x'),
	              ARRAY[pg_temp.name_lid(x'80010003'::bigint, :ps_public, 1), pg_temp.name_lid(x'8001001F'::bigint, :ps_public, 2)]),
	 'two named-property entries for one property id at byte 41'),
	(8, 'kind 2',
	 pg_temp.blob(2, :cls || pg_temp.prop(x'80010003'::bigint, pg_temp.le(1, 4)),
	              ARRAY[overlay(pg_temp.name_lid(x'80010003'::bigint, :ps_public, 1) placing '\x02' from 21 for 1)]),
	 'named-property kind is neither 0 (numeric) nor 1 (string) at byte 36'),
	(9, 'an empty name',
	 pg_temp.blob(2, :cls || pg_temp.prop(x'80010003'::bigint, pg_temp.le(1, 4)),
	              ARRAY[pg_temp.name_str(x'80010003'::bigint, :ps_public, '')]),
	 'named-property name is empty at byte 37'),
	(10, 'a name of 127 characters',
	 pg_temp.blob(2, :cls || pg_temp.prop(x'80010003'::bigint, pg_temp.le(1, 4)),
	              ARRAY[pg_temp.name_str(x'80010003'::bigint, :ps_public, convert_to(repeat('n', 127), 'UTF8'))]),
	 'named-property name is longer than 126 UTF-16 code units at byte 37'),
	(11, 'a NUL in a name',
	 pg_temp.blob(2, :cls || pg_temp.prop(x'80010003'::bigint, pg_temp.le(1, 4)),
	              ARRAY[pg_temp.name_str(x'80010003'::bigint, :ps_public, '\x610062')]),
	 'named-property name contains a NUL byte at byte 42'),
	(12, 'a name that is not UTF-8',
	 pg_temp.blob(2, :cls || pg_temp.prop(x'80010003'::bigint, pg_temp.le(1, 4)),
	              ARRAY[pg_temp.name_str(x'80010003'::bigint, :ps_public, '\x61c3')]),
	 'named-property name is not valid UTF-8 at byte 42'),
	(13, 'the same (GUID, LID) twice',
	 pg_temp.blob(3, :cls || pg_temp.prop(x'80010003'::bigint, pg_temp.le(1, 4)) || pg_temp.prop(x'80020003'::bigint, pg_temp.le(2, 4)),
	              ARRAY[pg_temp.name_lid(x'80010003'::bigint, :ps_public, 7), pg_temp.name_lid(x'80020003'::bigint, :ps_public, 7)]),
	 'the same name twice in the named-property table at byte 41'),
	(14, 'the same (GUID, name) twice',
	 pg_temp.blob(3, :cls || pg_temp.prop(x'80010003'::bigint, pg_temp.le(1, 4)) || pg_temp.prop(x'80020003'::bigint, pg_temp.le(2, 4)),
	              ARRAY[pg_temp.name_str(x'80010003'::bigint, :ps_public, 'Keywords'), pg_temp.name_str(x'80020003'::bigint, :ps_public, 'Keywords')]),
	 'the same name twice in the named-property table at byte 49'),
	(15, 'an entry no property uses',
	 pg_temp.blob(1, :cls, ARRAY[pg_temp.name_lid(x'80010003'::bigint, :ps_public, 1)]),
	 'named-property entry that no property uses at byte 16'),
	(16, 'an entry whose type is not the property''s',
	 pg_temp.blob(2, :cls || pg_temp.prop(x'8001001F'::bigint, 'x'), ARRAY[pg_temp.name_lid(x'80010003'::bigint, :ps_public, 1)]),
	 'named-property entry that no property uses at byte 16'),
	(17, 'a named property without a table',
	 pg_temp.blob(2, :cls || pg_temp.prop(x'80010003'::bigint, pg_temp.le(1, 4))),
	 'named property (id 0x8000 or above) without a named-property entry at byte 28'),
	(18, 'a named property without an entry beside one with',
	 pg_temp.blob(3, :cls || pg_temp.prop(x'80010003'::bigint, pg_temp.le(1, 4)) || pg_temp.prop(x'80020003'::bigint, pg_temp.le(2, 4)),
	              ARRAY[pg_temp.name_lid(x'80020003'::bigint, :ps_public, 2)]),
	 'named property (id 0x8000 or above) without a named-property entry at byte 57'),
	(19, 'a multi-valued count past the end',
	 pg_temp.blob(2, :cls || pg_temp.le(x'61001003'::bigint, 4) || pg_temp.le(3, 4) || pg_temp.le(1, 4) || pg_temp.le(2, 4)),
	 'multi-valued property count does not fit in the blob at byte 32'),
	(20, 'a multi-valued string value that is not UTF-8',
	 pg_temp.blob(2, :cls || pg_temp.mv(x'6100101F'::bigint, ARRAY['ok'::bytea, '\xc328'::bytea])),
	 'string property is not valid UTF-8 at byte 46'),
	(21, 'a multi-valued boolean value 2',
	 pg_temp.blob(2, :cls || pg_temp.mv(x'6100100B'::bigint, ARRAY['\x01'::bytea, '\x02'::bytea])),
	 'boolean property is neither 0 nor 1 at byte 37'),
	(22, 'a multi-valued binary value past the end',
	 pg_temp.blob(2, :cls || pg_temp.le(x'61001102'::bigint, 4) || pg_temp.le(1, 4) || pg_temp.le(9, 4) || '\x0102'::bytea),
	 'property runs past the end of the blob at byte 36'),
	(23, 'a type no blob has (PT_OBJECT)',
	 pg_temp.blob(2, :cls || pg_temp.le(x'6100000D'::bigint, 4) || pg_temp.le(0, 8)),
	 'unknown property type at byte 28');
SELECT is(u.response_code || ' ' || coalesce(u.item_id, '-') || ' ' || u.message_text,
          'ErrorCorruptData - The item data is corrupt: ' || b.want || '.', b.what || ' is refused')
  FROM bad b, LATERAL ews_upload_items(ARRAY[:'inbox'], ARRAY[b.blob]) u
 ORDER BY b.n;

-- 31: nothing was written by any of them
SELECT is((SELECT md5(string_agg(i::text, ',' ORDER BY mailbox_id, item_id)) || ' ' || count(*) FROM ews.item i),
          :'before_md5' || ' ' || :'before_count', 'the refused blobs wrote nothing');

-- 32-33: an item 0.1 stored with an id from 0x8000 up (0.1 took it as a plain tag) is no
-- valid upload now, but the store still reads it (ews.item_columns, which the update from
-- 0.1 runs over every stored item)
SELECT pg_temp.blob(3, :cls || pg_temp.prop(x'0037001F'::bigint, 'legacy') || pg_temp.prop(x'80010003'::bigint, pg_temp.le(1, 4)))
	AS legacy \gset
SELECT is((SELECT response_code || ' ' || message_text FROM ews_upload_items(ARRAY[:'inbox'], ARRAY[:'legacy'::bytea])),
          'ErrorCorruptData The item data is corrupt: named property (id 0x8000 or above) without a named-property entry at byte 42.',
          'a 0.1 blob with an unnamed id from 0x8000 up is refused as an upload');
SELECT is((SELECT item_class || ' ' || subject FROM ews.item_columns(:'legacy'::bytea)), 'IPM.Note legacy',
          'but the columns of such a stored blob are still derived (the upgrade from 0.1)');

SELECT * FROM finish();
ROLLBACK;
