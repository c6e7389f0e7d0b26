-- items: UploadItems (CreateNew, Update, UpdateOrCreate), ExportItems, counts
\set ECHO none
\i test/blob_helpers.sql
\set ECHO all
SET timezone = 'UTC';
-- the local id (store id) an EWS id carries: its last 8 bytes, big-endian
CREATE FUNCTION pg_temp.local_id(id text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
	SELECT ('x' || encode(substring(decode(id, 'base64') FROM 45 FOR 8), 'hex'))::bit(64)::bigint
$$;
SELECT ews_create_mailbox('items@example.com', 'Items') IS NOT NULL AS created;
SELECT ews_folder_id('items@example.com', 'inbox') AS inbox \gset
SELECT ews_folder_id('items@example.com', 'drafts') AS drafts \gset
SELECT ews_folder_id('alice@example.com', 'inbox') AS alice_inbox \gset
SELECT folder_id AS sub, change_key AS sub_ck FROM ews_create_folder(:'inbox', 'Sub') \gset

-- blobs built in SQL (test/blob_helpers.sql): a read message with every
-- extracted property, an unread one, an associated one
SELECT pg_temp.blob(5,
         pg_temp.prop(x'001A001F'::bigint, 'IPM.Note')
      || pg_temp.prop(x'0037001F'::bigint, convert_to('Grüße aus Köln', 'UTF8'))
      || pg_temp.prop(x'0E060040'::bigint, pg_temp.le(pg_temp.filetime('2024-05-01 12:00:00.1234567+00'), 8))
      || pg_temp.prop(x'0E070003'::bigint, pg_temp.le(1, 4))
      || pg_temp.prop(x'1035001F'::bigint, '<m1@example.com>')) AS b_read \gset
SELECT pg_temp.blob(2,
         pg_temp.prop(x'001A001F'::bigint, 'IPM.Note')
      || pg_temp.prop(x'0037001F'::bigint, 'unread')) AS b_unread \gset
SELECT pg_temp.blob(1, pg_temp.prop(x'001A001F'::bigint, 'IPM.Configuration.Test')) AS b_assoc \gset

-- CreateNew: one row per element, in order; any ItemId sent is ignored
SELECT item_id IS NOT NULL AS has_id, change_key IS NOT NULL AS has_ck,
       response_class, response_code, message_text, mailbox_guid
  FROM ews_upload_items(ARRAY[:'inbox', :'inbox', :'inbox'],
                        ARRAY[:'b_read', :'b_unread', :'b_assoc']::bytea[],
                        NULL, ARRAY[NULL, :'inbox', NULL], NULL, ARRAY[false, false, true])
  WITH ORDINALITY ORDER BY ordinality;
-- the extracted columns
SELECT item_class, subject, size, received_at, is_read, is_associated, length(blob) = size AS size_is_blob
  FROM ews.item i JOIN ews.mailbox m USING (mailbox_id)
 WHERE m.smtp_address = 'items@example.com' ORDER BY item_id;
-- counts: associated items are not counted; read flag from PidTagMessageFlags
SELECT total_count, unread_count FROM ews_get_folder(ARRAY[:'inbox']);

-- ids of the uploaded items, from a second CreateNew batch we keep
SELECT item_id AS i1, change_key AS ck1 FROM ews_upload_items(ARRAY[:'sub'], ARRAY[:'b_read'::bytea]) \gset
SELECT item_id AS i2, change_key AS ck2 FROM ews_upload_items(ARRAY[:'sub'], ARRAY[:'b_unread'::bytea]) \gset
SELECT total_count, unread_count FROM ews_get_folder(ARRAY[:'sub']);

-- export: the stored bytes; apart from the two store-maintained properties
-- they are the uploaded bytes, and PidTagChangeKey holds the ChangeKey's bytes
SELECT item_id = :'i1' AS same_id, change_key = :'ck1' AS same_ck,
       pg_temp.unstamped(data) = pg_temp.unstamped(:'b_read'::bytea) AS same_bytes,
       pg_temp.unstamped(data) <> pg_temp.unstamped(:'b_unread'::bytea) AS differs_from_other,
       length(pg_temp.unstamped(data)) AS unstamped_len,
       length(data) - length(:'b_read'::bytea) AS grown_by,
       pg_temp.prop_value(data, x'65E20102'::bigint) = decode(change_key, 'base64') AS ck_property,
       abs(pg_temp.le64(pg_temp.prop_value(data, x'30080040'::bigint)) - pg_temp.filetime(now()))
         < 600000000 AS modified_now,
       response_class, response_code, message_text, mailbox_guid
  FROM ews_export_items(ARRAY[:'i1']);
-- the CRC of an export is right: it uploads again
SELECT response_code FROM ews_upload_items(ARRAY[:'drafts'], ARRAY(SELECT data FROM ews_export_items(ARRAY[:'i1'])));

-- a batch mixing good and bad ids, in order, duplicates included
SELECT encode(overlay(decode(:'i1', 'base64') placing '\x7fffffffffffffff'::bytea from 45 for 8), 'base64')
       AS missing_item \gset
SELECT encode(overlay(decode(:'i1', 'base64') placing convert_to('00000000-0000-4000-8000-000000000000', 'UTF8')
                      from 5 for 36), 'base64') AS no_mailbox_item \gset
SELECT ordinality, item_id = :'i1' AS is_i1, item_id = :'i2' AS is_i2, length(data) > 0 AS has_data,
       response_class, response_code, message_text, mailbox_guid
  FROM ews_export_items(ARRAY[:'i1', 'garbage', :'inbox', :'i2', :'missing_item', :'no_mailbox_item', :'i1', NULL, ''])
  WITH ORDINALITY ORDER BY ordinality;
-- change keys: an old well-formed item change key is accepted and the
-- current one returned; a folder's change key or one that does not decode is not
SELECT ordinality, change_key = :'ck2' AS current_ck, response_code, message_text
  FROM ews_export_items(ARRAY[:'i2', :'i2', :'i2', :'i2', :'i2'],
                        ARRAY[:'ck2', 'CQAAAAEAAAAAAAAA', :'sub_ck', 'not a change key', NULL])
  WITH ORDINALITY ORDER BY ordinality;
-- programming errors
SELECT * FROM ews_export_items(NULL);
SELECT * FROM ews_export_items(ARRAY[:'i1'], ARRAY['a', 'b']);
SELECT count(*) FROM ews_export_items('{}');

-- Update: the id stays, the change key changes, the bytes are replaced;
-- the read flag change shows in the folder's unread count
SELECT pg_temp.blob(3,
         pg_temp.prop(x'001A001F'::bigint, 'IPM.Note')
      || pg_temp.prop(x'0037001F'::bigint, 'now read')
      || pg_temp.prop(x'0E070003'::bigint, pg_temp.le(1, 4))) AS b_now_read \gset
SELECT item_id = :'i2' AS same_id, change_key <> :'ck2' AS new_ck, response_code
  FROM ews_upload_items(ARRAY[:'sub'], ARRAY[:'b_now_read'::bytea], ARRAY['Update'], ARRAY[:'i2'], ARRAY[:'ck2']);
SELECT change_key AS ck2_new, pg_temp.unstamped(data) = pg_temp.unstamped(:'b_now_read'::bytea) AS replaced
  FROM ews_export_items(ARRAY[:'i2']) \gset
SELECT :'replaced' AS replaced;
SELECT subject, is_read FROM ews.item WHERE folder_id = pg_temp.local_id(:'sub') ORDER BY item_id;
SELECT total_count, unread_count FROM ews_get_folder(ARRAY[:'sub']);

-- refused updates change nothing: the stored bytes before = after
SELECT md5(string_agg(blob, '' ORDER BY mailbox_id, item_id)) AS before_md5, count(*) AS before_count
  FROM ews.item \gset
SELECT ordinality, item_id IS NULL AS no_id, response_class, response_code, message_text
  FROM ews_upload_items(
         ARRAY[:'sub', :'sub', :'sub', :'inbox', :'sub', :'sub', :'sub', :'sub', :'sub'],
         ARRAY[:'b_unread', :'b_unread', :'b_unread', :'b_unread', :'b_unread', :'b_unread',
               :'b_unread', :'b_unread', :'b_unread']::bytea[],
         ARRAY['Update', 'Update', 'Update', 'Update', 'Update', 'Update', 'Update', 'Update', 'Update'],
         ARRAY[:'i2', :'i2', :'missing_item', :'i2', NULL, :'sub', :'i2', 'garbage', :'no_mailbox_item'],
         ARRAY[:'ck2', NULL, :'ck2_new', :'ck2_new', NULL, NULL, :'sub_ck', NULL, :'ck2_new'])
  WITH ORDINALITY ORDER BY ordinality;
SELECT md5(string_agg(blob, '' ORDER BY mailbox_id, item_id)) = :'before_md5' AS bytes_unchanged,
       count(*) = :before_count AS count_unchanged
  FROM ews.item;

-- UpdateOrCreate: updates an item of that parent, creates otherwise
SELECT item_id = :'i2' AS same_id, response_code
  FROM ews_upload_items(ARRAY[:'sub'], ARRAY[:'b_unread'::bytea], ARRAY['UpdateOrCreate'], ARRAY[:'i2'], ARRAY[:'ck2_new']);
SELECT item_id <> :'i1' AS new_id, response_code
  FROM ews_upload_items(ARRAY[:'drafts'], ARRAY[:'b_unread'::bytea], ARRAY['UpdateOrCreate'], ARRAY[:'i1'], ARRAY[:'ck1']);
SELECT item_id IS NOT NULL AND item_id <> :'missing_item' AS new_id, response_code
  FROM ews_upload_items(ARRAY[:'sub'], ARRAY[:'b_unread'::bytea], ARRAY['UpdateOrCreate'], ARRAY[:'missing_item']);
SELECT item_id IS NOT NULL AS new_id, response_code
  FROM ews_upload_items(ARRAY[:'sub'], ARRAY[:'b_unread'::bytea], ARRAY['UpdateOrCreate']);
SELECT total_count, unread_count FROM ews_get_folder(ARRAY[:'sub', :'drafts']);

-- corrupt blobs: ErrorCorruptData naming what failed and where; nothing written
SELECT md5(string_agg(blob, '' ORDER BY mailbox_id, item_id)) AS before_md5, count(*) AS before_count
  FROM ews.item \gset
SELECT ordinality, item_id IS NULL AS no_id, response_code, message_text
  FROM ews_upload_items(array_fill(:'sub'::text, ARRAY[13]), ARRAY[
         '\x45575342'::bytea,
         overlay(:'b_unread'::bytea placing 'EWSX'::bytea from 1 for 4),
         overlay(:'b_unread'::bytea placing '\x0200'::bytea from 5 for 2),
         overlay(:'b_unread'::bytea placing '\x0200'::bytea from 7 for 2),
         pg_temp.blob(1, pg_temp.le(x'001A001F'::bigint, 4) || pg_temp.le(100, 4) || 'IPM.Note'::bytea),
         pg_temp.blob(2, pg_temp.prop(x'001A001F'::bigint, 'IPM.Note') || pg_temp.le(x'0040000D'::bigint, 4)
                         || pg_temp.le(0, 8)),
         pg_temp.blob(2, pg_temp.prop(x'001A001F'::bigint, 'IPM.Note') || pg_temp.prop(x'0E1B000B'::bigint, '\x02')),
         pg_temp.blob(2, pg_temp.prop(x'001A001F'::bigint, 'IPM.Note') || pg_temp.prop(x'0037001F'::bigint, '\xc328')),
         pg_temp.blob(2, pg_temp.prop(x'0037001F'::bigint, 'x') || pg_temp.prop(x'001A001F'::bigint, 'IPM.Note')),
         pg_temp.blob(1, pg_temp.prop(x'001A001F'::bigint, 'IPM.Note') || '\x00'::bytea),
         overlay(:'b_unread'::bytea placing '\x00'::bytea from length(:'b_unread'::bytea) for 1),
         pg_temp.blob(1, pg_temp.prop(x'0037001F'::bigint, 'no class')),
         NULL])
  WITH ORDINALITY ORDER BY ordinality;
-- over ews.max_item_size: ErrorDataSizeLimitExceeded, also when only the
-- store's two properties would take it over the limit
SELECT length(:'b_read'::bytea) AS read_len \gset
SET ews.max_item_size = :read_len;
SELECT ordinality, response_code, message_text
  FROM ews_upload_items(ARRAY[:'sub', :'sub'],
                        ARRAY[:'b_read'::bytea, :'b_read'::bytea || '\x00'::bytea])
  WITH ORDINALITY ORDER BY ordinality;
RESET ews.max_item_size;
SELECT md5(string_agg(blob, '' ORDER BY mailbox_id, item_id)) = :'before_md5' AS bytes_unchanged,
       count(*) = :before_count AS count_unchanged
  FROM ews.item;

-- parents: malformed, an item id, a missing folder, another mailbox's folder is fine
SELECT encode(overlay(decode(:'sub', 'base64') placing '\x7fffffffffffffff'::bytea from 45 for 8), 'base64')
       AS missing_folder \gset
SELECT ordinality, response_code, message_text
  FROM ews_upload_items(ARRAY['garbage', :'i1', :'missing_folder', NULL, :'alice_inbox'],
                        array_fill(:'b_unread'::bytea, ARRAY[5]))
  WITH ORDINALITY ORDER BY ordinality;
-- a good item between bad ones still succeeds
SELECT ordinality, item_id IS NOT NULL AS has_id, response_code
  FROM ews_upload_items(ARRAY[:'sub', :'sub', :'sub'], ARRAY['\x00'::bytea, :'b_unread', '\x00'])
  WITH ORDINALITY ORDER BY ordinality;

-- programming errors: raised before anything is written
SELECT md5(string_agg(blob, '' ORDER BY mailbox_id, item_id)) AS before_md5, count(*) AS before_count
  FROM ews.item \gset
SELECT * FROM ews_upload_items(ARRAY[:'sub'], ARRAY[:'b_unread'::bytea], ARRAY['Replace']);
SELECT * FROM ews_upload_items(ARRAY[:'sub', :'sub'], ARRAY[:'b_unread'::bytea]);
SELECT * FROM ews_upload_items(ARRAY[:'sub'], ARRAY[:'b_unread'::bytea], NULL, ARRAY['a', 'b']);
SELECT * FROM ews_upload_items(ARRAY[:'sub'], ARRAY[:'b_unread'::bytea], NULL, NULL, NULL, ARRAY[true, false]);
SELECT * FROM ews_upload_items(NULL, ARRAY[:'b_unread'::bytea]);
SELECT * FROM ews_upload_items(ARRAY[:'sub'], NULL);
SELECT md5(string_agg(blob, '' ORDER BY mailbox_id, item_id)) = :'before_md5' AS bytes_unchanged,
       count(*) = :before_count AS count_unchanged
  FROM ews.item;

-- delivery times outside timestamptz's range give no received_at
SELECT item_id AS far FROM ews_upload_items(ARRAY[:'drafts'], ARRAY[pg_temp.blob(2,
         pg_temp.prop(x'001A001F'::bigint, 'IPM.Note')
      || pg_temp.prop(x'0E060040'::bigint, pg_temp.le(-1, 8)))]) \gset
SELECT received_at IS NULL AS no_received_at FROM ews.item WHERE item_id = pg_temp.local_id(:'far');

-- access: a stranger gets ErrorNonExistentMailbox for items, as for folders
SET ROLE ews_test_dave;
SELECT response_code, mailbox_guid IS NOT NULL AS has_guid FROM ews_export_items(ARRAY[:'i1']);
SELECT response_code, mailbox_guid IS NOT NULL AS has_guid FROM ews_upload_items(ARRAY[:'sub'], ARRAY[:'b_unread'::bytea]);
RESET ROLE;

-- deletes: HardDelete of a folder removes its items; counts follow
SELECT total_count, unread_count FROM ews_get_folder(ARRAY[:'sub']);
SELECT response_code FROM ews_delete_folder(ARRAY[:'sub'], 'MoveToDeletedItems');
SELECT total_count, unread_count FROM ews_get_folder(ARRAY[:'sub']);
SELECT response_code FROM ews_delete_folder(ARRAY[:'sub'], 'HardDelete');
SELECT response_code FROM ews_export_items(ARRAY[:'i1', :'i2']);
SELECT count(*) AS items_left_in_sub FROM ews.item WHERE folder_id = pg_temp.local_id(:'sub');

-- CreateItem from an RFC 5322 message: class, decoded subject, Message-ID,
-- delivery time (topmost Received, else Date, else now), unread, raw message
SELECT folder_id AS mail, change_key AS mail_ck FROM ews_create_folder(:'inbox', 'Mail') \gset
SELECT convert_to(E'Received: from mx.example.com by mail.example.com; Tue, 2 Jan 2024 10:00:05 +0100\r\n'
               || E'Received: from a.example by mx.example.com; Tue, 2 Jan 2024 10:00:01 +0100\r\n'
               || E'Date: Tue, 2 Jan 2024 09:59:00 +0100\r\n'
               || E'From: Jörg <joerg@example.com>\r\n'
               || E'Subject: =?UTF-8?B?R3LDvMOfZQ==?= aus =?ISO-8859-1?Q?K=F6ln?=\r\n'
               || E'Message-ID: <abc.123@example.com>\r\n'
               || E'\r\n'
               || E'Hallo!\r\n', 'UTF8') AS msg \gset
SELECT item_id IS NOT NULL AS has_id, change_key IS NOT NULL AS has_ck, response_class, response_code, message_text
  FROM ews_create_item(:'mail', :'msg');
SELECT item_id AS m1 FROM ews_create_item(:'mail', :'msg') \gset
SELECT convert_from(pg_temp.prop_value(data, x'001A001F'::bigint), 'UTF8') AS class,
       convert_from(pg_temp.prop_value(data, x'0037001F'::bigint), 'UTF8') AS subject,
       convert_from(pg_temp.prop_value(data, x'1035001F'::bigint), 'UTF8') AS message_id,
       pg_temp.le64(pg_temp.prop_value(data, x'0E060040'::bigint))
         = pg_temp.filetime('2024-01-02 09:00:05+00') AS delivered_at_received,
       pg_temp.prop_value(data, x'0E070003'::bigint) AS flags,
       pg_temp.prop_value(data, x'7E010102'::bigint) = :'msg'::bytea AS raw_message_kept,
       pg_temp.prop_value(data, x'65E20102'::bigint) = decode(change_key, 'base64') AS ck_property,
       pg_temp.le32(data, 8) AS property_count
  FROM ews_export_items(ARRAY[:'m1']);
-- an item stored with its message is as large as the message (PidTagMessageSize, DavMail's RFC822.SIZE)
SELECT item_class, subject, received_at, is_read, size = length(:'msg'::bytea) AS size_is_message
  FROM ews.item WHERE item_id = pg_temp.local_id(:'m1');
-- without Received: the Date; without either: now; no Subject or Message-ID: none stored
SELECT item_id AS m2 FROM ews_create_item(:'mail',
  E'Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: dated\r\n\r\nx'::bytea) \gset
SELECT item_id AS m3 FROM ews_create_item(:'mail', E'From: a@example.com\n\nno dates'::bytea) \gset
SELECT subject, received_at FROM ews.item WHERE item_id = pg_temp.local_id(:'m2');
SELECT subject IS NULL AS no_subject, abs(extract(epoch FROM received_at - now())) < 600 AS received_now,
       pg_temp.prop_value(blob, x'1035001F'::bigint) IS NULL AS no_message_id
  FROM ews.item WHERE item_id = pg_temp.local_id(:'m3');
-- counts: created messages are unread
SELECT total_count, unread_count FROM ews_get_folder(ARRAY[:'mail']);
-- not a message, bad parents, too large: an error row, nothing written
SELECT count(*) AS before_count FROM ews.item \gset
SELECT response_code, message_text FROM ews_create_item(:'mail', ''::bytea);
SELECT response_code, message_text FROM ews_create_item(:'mail', '\x00010203'::bytea);
SELECT response_code, message_text FROM ews_create_item(:'mail', E'this is not a header\r\n\r\nbody'::bytea);
SELECT response_code, message_text FROM ews_create_item(:'mail', E'Subject: a\r\n\x01bad line\r\n\r\n'::bytea);
SELECT response_code, message_text FROM ews_create_item('garbage', :'msg');
SELECT response_code, message_text FROM ews_create_item(NULL, :'msg');
SELECT response_code, message_text FROM ews_create_item(:'i1', :'msg');
SELECT response_code, message_text FROM ews_create_item(:'missing_folder', :'msg');
SET ews.max_item_size = 128;
SELECT response_code, message_text FROM ews_create_item(:'mail', :'msg');
SELECT response_code, message_text FROM ews_create_item(:'mail', E'Subject: short\r\n\r\n'::bytea || decode(repeat('41', 60), 'hex'));
RESET ews.max_item_size;
SELECT * FROM ews_create_item(:'mail', NULL);
SELECT count(*) = :before_count AS nothing_written FROM ews.item;
SET ROLE ews_test_dave;
SELECT response_code, mailbox_guid IS NOT NULL AS has_guid FROM ews_create_item(:'mail', :'msg');
RESET ROLE;
