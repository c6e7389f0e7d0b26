-- Items round trip: export -> upload CreateNew -> export gives the same bytes
-- apart from the two store-maintained properties (PidTagLastModificationTime,
-- PidTagChangeKey), over items with every property type, empty strings,
-- non-ASCII text and a 10 MiB item; an update with an old change key is
-- refused and leaves the stored bytes as they were.
BEGIN;
\i test/blob_helpers.sql
SELECT plan(14);

SELECT ews_create_mailbox('tap-items@example.com', 'Items') IS NOT NULL AS created \gset
SELECT ews_folder_id('tap-items@example.com', 'inbox') AS inbox \gset
SELECT ews_folder_id('tap-items@example.com', 'drafts') AS drafts \gset

-- the source blobs, built in SQL independently of the C codec
CREATE TEMP TABLE src (n int PRIMARY KEY, blob bytea NOT NULL);
INSERT INTO src VALUES
	-- every property type; an empty string and an empty binary; non-ASCII
	-- text; the client's own values for the two store-maintained properties
	(1, pg_temp.blob(13,
		   pg_temp.prop(x'00170003'::bigint, pg_temp.le(-7, 4))					-- PT_LONG
		|| pg_temp.prop(x'001A001F'::bigint, 'IPM.Note')						-- PT_UNICODE
		|| pg_temp.prop(x'0037001F'::bigint, '')								-- empty string
		|| pg_temp.prop(x'0E060040'::bigint, pg_temp.le(pg_temp.filetime('2023-12-31 23:59:59+00'), 8)) -- PT_SYSTIME
		|| pg_temp.prop(x'0E070003'::bigint, pg_temp.le(1, 4))
		|| pg_temp.prop(x'0E1B000B'::bigint, '\x01')							-- PT_BOOLEAN
		|| pg_temp.prop(x'1000001F'::bigint, convert_to(E'Grüße, 日本語, 👋\r\n', 'UTF8'))
		|| pg_temp.prop(x'10090102'::bigint, '')								-- empty PT_BINARY
		|| pg_temp.prop(x'30080040'::bigint, pg_temp.le(1, 8))					-- replaced by the store
		|| pg_temp.prop(x'65E20102'::bigint, '\xdeadbeef')						-- replaced by the store
		|| pg_temp.prop(x'67480014'::bigint, pg_temp.le(-1234567890123, 8))	-- PT_I8
		|| pg_temp.prop(x'7FF10002'::bigint, pg_temp.le(-2, 2))				-- PT_SHORT
		|| pg_temp.prop(x'7FF2001F'::bigint, convert_to('Ωμέγα', 'UTF8')))),
	-- the least a blob can hold
	(2, pg_temp.blob(1, pg_temp.prop(x'001A001F'::bigint, 'IPM.Note'))),
	-- non-ASCII class and subject, a raw message
	(3, pg_temp.blob(3,
		   pg_temp.prop(x'001A001F'::bigint, convert_to('IPM.Note.Prüfung', 'UTF8'))
		|| pg_temp.prop(x'0037001F'::bigint, convert_to('Привет', 'UTF8'))
		|| pg_temp.prop(x'7E010102'::bigint, E'Subject: x\r\n\r\nbody\r\n'::bytea))),
	-- 10 MiB: every byte value, 40960 times
	(4, pg_temp.big_blob('IPM.Note', (SELECT string_agg(set_byte('\x00'::bytea, 0, i), '' ORDER BY i)
	                                    FROM generate_series(0, 255) i), 40960));

-- 1: upload
CREATE TEMP TABLE up1 AS
SELECT s.n, u.item_id, u.change_key, u.response_code
  FROM (SELECT array_agg(blob ORDER BY n) AS blobs FROM src) a,
       ews_upload_items(array_fill(:'inbox'::text, ARRAY[4]), a.blobs) WITH ORDINALITY u
  JOIN src s ON s.n = u.ordinality;
SELECT is((SELECT count(*) FROM up1 WHERE response_code = 'NoError'), 4::bigint, 'four items uploaded');

-- 2: export
CREATE TEMP TABLE e1 AS
SELECT u.n, x.item_id, x.change_key, x.data, x.response_code
  FROM (SELECT array_agg(item_id ORDER BY n) AS ids FROM up1) a,
       ews_export_items(a.ids) WITH ORDINALITY x
  JOIN up1 u ON u.n = x.ordinality;
SELECT is((SELECT count(*) FROM e1 JOIN up1 USING (n)
            WHERE e1.response_code = 'NoError' AND e1.item_id = up1.item_id AND e1.change_key = up1.change_key),
          4::bigint, 'exported in order with the ids and change keys the upload returned');
SELECT is((SELECT count(*) FROM e1 JOIN src USING (n) WHERE pg_temp.unstamped(e1.data) = pg_temp.unstamped(src.blob)),
          4::bigint, 'the export is the uploaded bytes apart from the store-maintained properties');
SELECT is((SELECT pg_temp.prop_value(data, x'65E20102'::bigint) = decode(change_key, 'base64')
                  AND pg_temp.le64(pg_temp.prop_value(data, x'30080040'::bigint)) > pg_temp.filetime('2020-01-01')
             FROM e1 WHERE n = 1), true,
          'the client''s PidTagChangeKey and PidTagLastModificationTime were replaced by the store''s');
SELECT is((SELECT length(data) FROM e1 WHERE n = 4), 10485760 + 40 + 32, 'the 10 MiB item is exported whole');

-- 3: upload the export as new items, export again
CREATE TEMP TABLE up2 AS
SELECT e.n, u.item_id, u.change_key, u.response_code
  FROM (SELECT array_agg(data ORDER BY n) AS blobs FROM e1) a,
       ews_upload_items(array_fill(:'drafts'::text, ARRAY[4]), a.blobs) WITH ORDINALITY u
  JOIN e1 e ON e.n = u.ordinality;
SELECT is((SELECT count(*) FROM up2 JOIN e1 USING (n)
            WHERE up2.response_code = 'NoError' AND up2.item_id <> e1.item_id),
          4::bigint, 'the export uploads again as four new items');
CREATE TEMP TABLE e2 AS
SELECT u.n, x.item_id, x.change_key, x.data, x.response_code
  FROM (SELECT array_agg(item_id ORDER BY n) AS ids FROM up2) a,
       ews_export_items(a.ids) WITH ORDINALITY x
  JOIN up2 u ON u.n = x.ordinality;
SELECT is((SELECT count(*) FROM e2 JOIN e1 USING (n)
            WHERE pg_temp.unstamped(e2.data) = pg_temp.unstamped(e1.data) AND length(e2.data) = length(e1.data)),
          4::bigint, 'round trip: the same bytes apart from the two store-maintained properties');
SELECT is((SELECT count(*) FROM e2 JOIN e1 USING (n) WHERE e2.data <> e1.data), 4::bigint,
          'and those two properties did change');
SELECT is((SELECT count(*) FROM e2 WHERE pg_temp.prop_value(data, x'65E20102'::bigint) = decode(change_key, 'base64')),
          4::bigint, 'PidTagChangeKey holds the bytes of the new ChangeKey');
SELECT is((SELECT array_agg(i.subject ORDER BY i.subject) FROM ews.item i JOIN ews.mailbox m USING (mailbox_id)
            WHERE m.smtp_address = 'tap-items@example.com' AND i.subject IS NOT NULL),
          ARRAY['', '', 'Привет', 'Привет'], 'subjects extracted as UTF-8, empty ones kept empty');

-- 4: an update with an old change key is refused; the bytes stay
SELECT item_id AS id1, change_key AS old_ck FROM up1 WHERE n = 2 \gset
SELECT change_key AS new_ck, response_code AS upd_code
  FROM ews_upload_items(ARRAY[:'inbox'], ARRAY[(SELECT blob FROM src WHERE n = 3)], ARRAY['Update'],
                        ARRAY[:'id1'], ARRAY[:'old_ck']) \gset
SELECT is(:'upd_code'::text, 'NoError', 'an update with the current change key succeeds');
SELECT data AS stored FROM ews_export_items(ARRAY[:'id1']) \gset
SELECT is((SELECT response_code FROM ews_upload_items(ARRAY[:'inbox'], ARRAY[(SELECT blob FROM src WHERE n = 2)],
                                                    ARRAY['Update'], ARRAY[:'id1'], ARRAY[:'old_ck'])),
          'ErrorIrresolvableConflict', 'an update with the old change key is refused');
SELECT is((SELECT data FROM ews_export_items(ARRAY[:'id1'])), :'stored'::bytea,
          'the refused update left the stored bytes as they were');
SELECT is((SELECT change_key FROM ews_export_items(ARRAY[:'id1'], ARRAY[:'old_ck'])), :'new_ck',
          'an export with the old change key returns the current one');

SELECT * FROM finish();
ROLLBACK;
