-- The item and folder writes through their SQL twins (src/itemwrite.c,
-- src/itemedit.c, src/folder.c): CreateItem from properties and from MIME,
-- UpdateItem (fields, extended properties, read-only refusals, conflict
-- resolution, the message kept consistent), DeleteItem three ways,
-- MoveItem and CopyItem (new ids, article numbers, tombstones),
-- UpdateFolder, EmptyFolder; the folders' counters and tombstones after
-- every write; a stranger is answered as for a missing mailbox and
-- changes nothing.
BEGIN;
SELECT plan(78);
\set ECHO none
\i test/blob_helpers.sql
\set ECHO all

SELECT ews_create_mailbox('tap-write@example.com', 'Writer') IS NOT NULL AS created \gset
SELECT ews_create_mailbox('tap-other@example.com', 'Other') IS NOT NULL AS created \gset
SELECT mailbox_id AS mb FROM ews.mailbox WHERE smtp_address = 'tap-write@example.com' \gset
SELECT ews_folder_id('tap-write@example.com', 'inbox') AS inbox,
       ews_folder_id('tap-write@example.com', 'junkemail') AS junk,
       ews_folder_id('tap-write@example.com', 'deleteditems') AS trash,
       ews_folder_id('tap-write@example.com', 'recoverableitemsdeletions') AS dumpster,
       ews_folder_id('tap-other@example.com', 'inbox') AS other_inbox \gset
SELECT folder_id AS work FROM ews_create_folder(:'inbox', 'Work') \gset

CREATE FUNCTION pg_temp.local_id(id text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
	SELECT ('x' || encode(substring(decode(id, 'base64') FROM 45 FOR 8), 'hex'))::bit(64)::bigint
$$;
CREATE FUNCTION pg_temp.item(id text) RETURNS ews.item LANGUAGE sql AS $$
	SELECT i FROM ews.item i WHERE i.item_id = pg_temp.local_id(id)
$$;
CREATE FUNCTION pg_temp.mime(id text) RETURNS text LANGUAGE sql AS $$
	SELECT convert_from(ews.prop_bytea(i.blob, x'7E010102'::int, NULL, NULL, NULL), 'UTF8')
	  FROM ews.item i WHERE i.item_id = pg_temp.local_id(id)
$$;
CREATE FUNCTION pg_temp.blob_text(id text, tag bigint) RETURNS text LANGUAGE sql AS $$
	SELECT ews.prop_text(i.blob, tag::bit(32)::int, NULL, NULL, NULL) FROM ews.item i WHERE i.item_id = pg_temp.local_id(id)
$$;
CREATE FUNCTION pg_temp.folder(id text) RETURNS ews.folder LANGUAGE sql AS $$
	SELECT f FROM ews.folder f WHERE f.folder_id = pg_temp.local_id(id)
$$;
CREATE FUNCTION pg_temp.set_field(uri text, element text, value text) RETURNS text LANGUAGE sql AS $$
	SELECT format('<t:SetItemField><t:FieldURI FieldURI="%s"/><t:Message><t:%s>%s</t:%s></t:Message></t:SetItemField>',
	              uri, element, value, element)
$$;
CREATE FUNCTION pg_temp.set_ext(attrs text, value text) RETURNS text LANGUAGE sql AS $$
	SELECT format('<t:SetItemField><t:ExtendedFieldURI %1$s/><t:Item><t:ExtendedProperty><t:ExtendedFieldURI %1$s/>'
	              '<t:Value>%2$s</t:Value></t:ExtendedProperty></t:Item></t:SetItemField>', attrs, value)
$$;
CREATE FUNCTION pg_temp.code(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
	EXECUTE 'SELECT string_agg(response_code, '','') FROM (' || sql || ') s' INTO r;
	RETURN r;
END $$;
-- what the counters must say, counted from the items
CREATE TEMP VIEW wrong_counts AS
SELECT f.folder_id FROM ews.folder f
 WHERE f.total_count <> (SELECT count(*) FROM ews.item i WHERE i.mailbox_id = f.mailbox_id
                            AND i.folder_id = f.folder_id AND NOT i.is_associated)
    OR f.unread_count <> (SELECT count(*) FROM ews.item i WHERE i.mailbox_id = f.mailbox_id
                            AND i.folder_id = f.folder_id AND NOT i.is_associated AND NOT i.is_read)
    OR f.assoc_count <> (SELECT count(*) FROM ews.item i WHERE i.mailbox_id = f.mailbox_id
                            AND i.folder_id = f.folder_id AND i.is_associated)
    OR f.next_article <= (SELECT coalesce(max(i.article_number), 0) FROM ews.item i
                            WHERE i.mailbox_id = f.mailbox_id AND i.folder_id = f.folder_id);

-- ---- CreateItem from properties
CREATE TEMP TABLE ctag AS SELECT content_changed_at AS at, next_article FROM ews.folder WHERE folder_id = pg_temp.local_id(:'inbox');
SELECT item_id AS p1, change_key AS p1ck, response_code AS p1code FROM ews_create_items(:'inbox', ARRAY[
	'<t:Message><t:Subject>Grüße from properties</t:Subject><t:Sensitivity>Normal</t:Sensitivity>'
	'<t:Body BodyType="Text">Hello from SQL</t:Body><t:Categories><t:String>Red</t:String></t:Categories>'
	'<t:Importance>High</t:Importance><t:ReminderIsSet>0</t:ReminderIsSet>'
	'<t:ToRecipients><t:Mailbox><t:Name>Xavier</t:Name><t:EmailAddress>x@example.com</t:EmailAddress></t:Mailbox></t:ToRecipients>'
	'<t:IsRead>0</t:IsRead><t:Culture>en-US</t:Culture></t:Message>']) \gset
SELECT is(:'p1code'::text, 'NoError', 'create_items from properties: NoError');
SELECT results_eq($$SELECT subject, is_read, message_flags, importance, categories, display_to, item_class,
                            article_number = (SELECT next_article FROM ctag)
                       FROM ews.item WHERE item_id = pg_temp.local_id('$$ || :'p1' || $$')$$,
	$$VALUES ('Grüße from properties'::text, false, 8, 2::smallint, ARRAY['Red'], 'Xavier'::text, 'IPM.Note'::text, true)$$,
	'the new item: subject, unread draft (MSGFLAG_UNSENT), importance, categories, DisplayTo, class, the next article number');
SELECT ok(pg_temp.mime(:'p1') ~ '^To: Xavier <x@example.com>\r\nSubject: =\?UTF-8\?' AND pg_temp.mime(:'p1') ~ 'Importance: high\r\n'
          AND pg_temp.mime(:'p1') ~ '\r\n\r\nHello from SQL$',
	'the store wrote the item''s message (To, the subject RFC 2047 encoded, Importance, the body) and keeps it as 0x7E01');
SELECT is((SELECT subject || '|' || body || '|' || array_to_string(to_recipients, ',') FROM ews_get_items(ARRAY[:'p1'])),
	'Grüße from properties|Hello from SQL|Xavier <x@example.com>', 'GetItem reads back the subject, the body and the recipient');
SELECT is(pg_temp.blob_text(:'p1', x'0037001F'::bigint), 'Grüße from properties', 'the blob keeps PidTagSubject');
SELECT ok((SELECT content_changed_at > (SELECT at FROM ctag) FROM ews.folder WHERE folder_id = pg_temp.local_id(:'inbox')),
	'PidTagLocalCommitTimeMax of the folder moved on');

-- ---- CreateItem from MIME, the request's properties overriding
\set raw 'From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: Appended\r\nMessage-ID: <a1@example.com>\r\n\r\nAppended body.\r\n'
SELECT item_id AS m1, response_code AS m1code FROM ews_create_items(:'inbox', ARRAY[
	'<t:Message><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0xe07" PropertyType="Integer"/><t:Value>1</t:Value></t:ExtendedProperty>'
	'<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x10f3" PropertyType="String"/><t:Value>c1036513.EML</t:Value></t:ExtendedProperty>'
	'<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0xe06" PropertyType="SystemTime"/><t:Value>2024-03-04T05:06:07.123Z</t:Value></t:ExtendedProperty>'
	'<t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="Keywords" PropertyType="StringArray"/>'
	'<t:Values><t:Value>$label1</t:Value><t:Value>Blue</t:Value></t:Values></t:ExtendedProperty>'
	'<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x1090" PropertyType="Integer"/><t:Value>2</t:Value></t:ExtendedProperty>'
	'<t:Sensitivity>Normal</t:Sensitivity><t:Importance>Normal</t:Importance></t:Message>'],
	ARRAY[convert_to(E:'raw', 'UTF8')]) \gset
SELECT is(:'m1code'::text, 'NoError', 'create_items from MIME with extended properties: NoError');
SELECT is(convert_to(pg_temp.mime(:'m1'), 'UTF8'), convert_to(E:'raw', 'UTF8'),
	'the message is kept byte for byte (the properties given say what it says, or are not in it)');
SELECT results_eq($$SELECT is_read, message_flags, received_at, categories, flag_status, subject, internet_message_id, from_text
                       FROM ews.item WHERE item_id = pg_temp.local_id('$$ || :'m1' || $$')$$,
	$$VALUES (true, 1, '2024-03-04 05:06:07.123+00'::timestamptz, ARRAY['$label1', 'Blue'], 2, 'Appended'::text,
	          '<a1@example.com>'::text, 'Alice <alice@example.com>'::text)$$,
	'0x0E07 (read), 0x0E06 to the millisecond, Keywords as categories, 0x1090; subject, Message-ID and From from the message');
SELECT is(pg_temp.blob_text(:'m1', x'10F3001F'::bigint), 'c1036513.EML', 'an extended property is stored as given');
SELECT item_id AS m2 FROM ews_create_items(:'inbox', ARRAY['<t:Message><t:Importance>High</t:Importance></t:Message>'],
	ARRAY[convert_to(E:'raw', 'UTF8')]) \gset
SELECT is(pg_temp.mime(:'m2'), replace(E:'raw', E'Message-ID: <a1@example.com>\r\n', E'Message-ID: <a1@example.com>\r\nImportance: high\r\nX-Priority: 1\r\n'),
	'a property the message says otherwise rewrites only that header field');
-- (a statement sees the items a function in it wrote only from the next statement on: rows are kept first)
CREATE TEMP TABLE kinds AS SELECT c.* FROM ews_create_items(:'inbox', ARRAY[
	'<t:Contact><t:Subject>c</t:Subject><t:GivenName>G</t:GivenName></t:Contact>', '<t:Item><t:Subject>i</t:Subject></t:Item>',
	'<t:MeetingRequest><t:Subject>m</t:Subject></t:MeetingRequest>']) WITH ORDINALITY c(item_id, change_key, response_class,
	response_code, message_text, mailbox_guid, n);
SELECT results_eq($$SELECT item_class, response_code FROM kinds c LEFT JOIN ews.item i ON i.item_id = pg_temp.local_id(c.item_id) ORDER BY n$$,
	$$VALUES ('IPM.Contact'::text, 'NoError'::text), ('IPM', 'NoError'), (NULL, 'ErrorInvalidItemForOperationCreateItem')$$,
	'the class by element (t:Contact, t:Item); an item kind the store does not create is refused');
SELECT is(pg_temp.code($$SELECT * FROM ews_create_items('$$ || :'inbox' || $$', ARRAY[
	'<t:Message><t:Size>5</t:Size></t:Message>',
	'<t:Message><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0xe23" PropertyType="Integer"/><t:Value>5</t:Value></t:ExtendedProperty></t:Message>',
	'<t:Message><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x1090" PropertyType="Integer"/><t:Value>two</t:Value></t:ExtendedProperty></t:Message>',
	'<t:Message><t:From><t:Mailbox><t:EmailAddress>jürgen@example.com</t:EmailAddress></t:Mailbox></t:From></t:Message>'])$$),
	'ErrorInvalidPropertySet,ErrorInvalidPropertySet,ErrorInvalidExtendedPropertyValue,ErrorInvalidPropertySet',
	'read-only item:Size and 0x0E23, a value that is not an Integer, an address a message cannot carry: refused');
SELECT is((SELECT count(*) FROM ews.item WHERE folder_id = pg_temp.local_id(:'inbox')), 5::bigint,
	'the refused items wrote nothing');
SELECT is((SELECT count(*) FROM wrong_counts), 0::bigint, 'every folder''s counters equal its items');

-- ---- UpdateItem
CREATE TEMP TABLE before AS SELECT change_number, content_cn FROM ews.item WHERE item_id = pg_temp.local_id(:'p1');
SELECT item_id AS u_id, change_key AS u_ck FROM ews_update_items(ARRAY[:'p1'],
	ARRAY[pg_temp.set_field('message:IsRead', 'IsRead', 'true')]) \gset
SELECT is(:'u_id'::text, :'p1', 'UpdateItem keeps the item id');
SELECT results_eq($$SELECT is_read, message_flags, change_number > (SELECT change_number FROM before),
                            content_cn = (SELECT content_cn FROM before)
                       FROM ews.item WHERE item_id = pg_temp.local_id('$$ || :'p1' || $$')$$,
	$$VALUES (true, 9, true, true)$$,
	'IsRead is the read bit of 0x0E07; a read-flag-only change moves change_number but not content_cn');
SELECT is(:'u_ck'::text, (SELECT change_key FROM ews_export_items(ARRAY[:'p1'])), 'the new change key is returned');
SELECT is((SELECT unread_count FROM ews.folder WHERE folder_id = pg_temp.local_id(:'inbox')),
	(SELECT count(*)::int FROM ews.item WHERE folder_id = pg_temp.local_id(:'inbox') AND NOT is_read AND NOT is_associated),
	'UnreadCount follows');
SELECT response_code FROM ews_update_items(ARRAY[:'p1'], ARRAY[pg_temp.set_ext('PropertyTag="0xe07" PropertyType="Integer"', '0')]);
SELECT is((pg_temp.item(:'p1')).message_flags, 8, 'after creation 0x0E07 changes only its read bit (the draft bit stays)');
SELECT is(pg_temp.code($$SELECT * FROM ews_update_items(ARRAY['$$ || :'m1' || $$'], ARRAY['$$ ||
	pg_temp.set_field('item:Subject', 'Subject', 'Renamed subject') || $$'])$$), 'NoError', 'SetItemField item:Subject');
SELECT is(pg_temp.mime(:'m1'), replace(E:'raw', 'Subject: Appended', 'Subject: Renamed subject'),
	'the subject of an item with a message: only the Subject header changes, every other byte stays');
SELECT results_eq($$SELECT subject, content_cn = change_number FROM ews.item WHERE item_id = pg_temp.local_id('$$ || :'m1' || $$')$$,
	$$VALUES ('Renamed subject'::text, true)$$, 'the subject column follows, and it is a content change');
SELECT is(pg_temp.blob_text(:'m1', x'0037001F'::bigint), 'Renamed subject', 'the blob''s PidTagSubject follows too');
SELECT is(pg_temp.code($$SELECT * FROM ews_update_items(ARRAY['$$ || :'m1' || $$'], ARRAY[
	'<t:SetItemField><t:FieldURI FieldURI="item:Categories"/><t:Message><t:Categories><t:String>Green</t:String></t:Categories></t:Message></t:SetItemField>'
	'<t:AppendToItemField><t:FieldURI FieldURI="item:Categories"/><t:Message><t:Categories><t:String>Yellow</t:String></t:Categories></t:Message></t:AppendToItemField>'
	'<t:DeleteItemField><t:ExtendedFieldURI PropertyTag="0x1090" PropertyType="Integer"/></t:DeleteItemField>'
	'$$ || pg_temp.set_ext('DistinguishedPropertySetId="Common" PropertyId="34160" PropertyType="Integer"', '1') || $$'])$$),
	'NoError', 'categories set and appended, 0x1090 deleted, PidLidImapDeleted set in one change');
SELECT results_eq($$SELECT categories, flag_status, imap_deleted FROM ews.item WHERE item_id = pg_temp.local_id('$$ || :'m1' || $$')$$,
	$$VALUES (ARRAY['Green', 'Yellow'], NULL::int, 1)$$, 'the columns say so');
SELECT is(convert_to(pg_temp.mime(:'m1'), 'UTF8'), convert_to(replace(E:'raw', 'Subject: Appended', 'Subject: Renamed subject'), 'UTF8'),
	'flags and categories never touch the message');
SELECT is(pg_temp.code($$SELECT * FROM ews_update_items(ARRAY['$$ || :'m1' || $$'], ARRAY[
	'<t:SetItemField><t:ExtendedFieldURI PropertyTag="0x1090" PropertyType="Integer"/><t:Item><t:ExtendedProperty>'
	'<t:ExtendedFieldURI PropertyTag="0x1090" PropertyType="Integer"/><t:Values><t:Value>1</t:Value></t:Values>'
	'</t:ExtendedProperty></t:Item></t:SetItemField>'])$$),
	'ErrorInvalidExtendedPropertyValue', 'an Integer given as t:Values is not a value of its type');
SELECT is(pg_temp.code($$SELECT * FROM ews_update_items(ARRAY['$$ || :'m1' || $$'], ARRAY[
	'<t:SetItemField><t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="Keywords" PropertyType="StringArray"/><t:Item><t:ExtendedProperty>'
	'<t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="Keywords" PropertyType="StringArray"/><t:Values><t:Value>K</t:Value></t:Values>'
	'</t:ExtendedProperty></t:Item></t:SetItemField>'
	'<t:DeleteItemField><t:ExtendedFieldURI DistinguishedPropertySetId="Common" PropertyId="34160" PropertyType="Integer"/></t:DeleteItemField>'])$$),
	'NoError', 'Keywords by its extended property, PidLidImapDeleted deleted by name');
SELECT results_eq($$SELECT categories, imap_deleted FROM ews.item WHERE item_id = pg_temp.local_id('$$ || :'m1' || $$')$$,
	$$VALUES (ARRAY['K'], NULL::int)$$, 'the Keywords named property is item:Categories');
CREATE TEMP TABLE kept AS SELECT change_number FROM ews.item WHERE item_id = pg_temp.local_id(:'m1');
SELECT is(pg_temp.code($$SELECT * FROM ews_update_items(ARRAY['$$ || :'m1' || $$', '$$ || :'m1' || $$', '$$ || :'m1' || $$', '$$ || :'m1' || $$', '$$ || :'m1' || $$'], ARRAY[
	'<t:SetItemField><t:FieldURI FieldURI="item:Size"/><t:Message><t:Size>1</t:Size></t:Message></t:SetItemField>',
	'<t:DeleteItemField><t:FieldURI FieldURI="item:ItemClass"/></t:DeleteItemField>',
	'<t:AppendToItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>x</t:Subject></t:Message></t:AppendToItemField>',
	'$$ || pg_temp.set_ext('PropertyTag="0x65e2" PropertyType="Binary"', 'AAE=') || $$',
	'<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:IsRead>true</t:IsRead></t:Message></t:SetItemField>'])$$),
	'ErrorInvalidPropertySet,ErrorInvalidPropertyDelete,ErrorInvalidPropertyAppend,ErrorInvalidPropertySet,ErrorUpdatePropertyMismatch',
	'read-only item:Size, the required ItemClass, appending to a subject, the store''s PidTagChangeKey, a mismatched change: refused');
SELECT is((SELECT change_number FROM ews.item WHERE item_id = pg_temp.local_id(:'m1')), (SELECT change_number FROM kept),
	'a refused change writes nothing');
SELECT is(pg_temp.code($$SELECT * FROM ews_update_items(ARRAY['$$ || :'m1' || $$'], ARRAY['$$ ||
	pg_temp.set_field('item:Subject', 'Subject', 'stale') || $$'], ARRAY['$$ || :'m2' || $$'], 'NeverOverwrite')$$),
	'ErrorInvalidChangeKey', 'an item id is no change key');
SELECT is(pg_temp.code($$SELECT * FROM ews_update_items(ARRAY['$$ || :'m1' || $$', '$$ || :'m1' || $$'], ARRAY['$$ ||
	pg_temp.set_field('item:Subject', 'Subject', 'stale') || $$', '$$ || pg_temp.set_field('item:Subject', 'Subject', 'still stale') ||
	$$'], ARRAY['$$ || :'u_ck' || $$', '$$ || :'u_ck' || $$'], '$$ || c || $$')$$), want, 'ConflictResolution ' || c || ' with an old change key')
  FROM (VALUES ('NeverOverwrite', 'ErrorIrresolvableConflict,ErrorIrresolvableConflict'),
               ('AlwaysOverwrite', 'NoError,NoError')) v(c, want);
SELECT is((SELECT subject FROM ews.item WHERE item_id = pg_temp.local_id(:'m1')), 'still stale', 'the overwriting changes won, in order');
SELECT is(pg_temp.code($$SELECT u.* FROM ews_export_items(ARRAY['$$ || :'m1' || $$']) x,
	LATERAL ews_update_items(ARRAY['$$ || :'m1' || $$'], ARRAY['$$ || pg_temp.set_field('item:Subject', 'Subject', 'current') ||
	$$'], ARRAY[x.change_key], 'NeverOverwrite') u$$), 'NoError', 'NeverOverwrite with the current change key');

-- the body: a message with an attachment cannot get a new one; a plain one is made anew
\set att_raw 'Subject: with file\r\nMessage-ID: <f1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\ntext\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="a.pdf"\r\n\r\nPDF\r\n--b--\r\n'
SELECT item_id AS att FROM ews_create_item(:'inbox', convert_to(E:'att_raw', 'UTF8')) \gset
SELECT is(pg_temp.code($$SELECT * FROM ews_update_items(ARRAY['$$ || :'att' || $$', '$$ || :'m1' || $$'], ARRAY[
	'<t:SetItemField><t:FieldURI FieldURI="item:Body"/><t:Message><t:Body BodyType="HTML">&lt;b&gt;new&lt;/b&gt;</t:Body></t:Message></t:SetItemField>',
	'<t:SetItemField><t:FieldURI FieldURI="item:Body"/><t:Message><t:Body BodyType="HTML">&lt;b&gt;new&lt;/b&gt;</t:Body></t:Message></t:SetItemField>'])$$),
	'ErrorInvalidPropertySet,NoError', 'a body change: refused for a message with an attachment, done for a plain one');
SELECT results_eq($$SELECT body, body_type, internet_message_id, subject FROM ews_get_items(ARRAY['$$ || :'m1' || $$'])$$,
	$$VALUES ('<b>new</b>'::text, 'HTML'::text, '<a1@example.com>'::text, 'current'::text)$$,
	'the message made anew has the new body and keeps its other fields');
SELECT is(pg_temp.mime(:'att'), E:'att_raw', 'the refused body change left the message as it was');

-- an item without a message (uploaded from properties)
SELECT item_id AS up FROM ews_upload_items(ARRAY[:'inbox'], ARRAY[pg_temp.blob(2,
	pg_temp.prop(x'001A001F'::bigint, 'IPM.Note') || pg_temp.prop(x'0037001F'::bigint, convert_to('uploaded', 'UTF8')))]) \gset
SELECT is(pg_temp.code($$SELECT * FROM ews_update_items(ARRAY['$$ || :'up' || $$'], ARRAY['$$ ||
	pg_temp.set_field('item:Subject', 'Subject', 'uploaded, renamed') || $$'])$$), 'NoError', 'the subject of an item without a message');
SELECT results_eq($$SELECT pg_temp.blob_text('$$ || :'up' || $$', x'0037001F'::bigint), pg_temp.mime('$$ || :'up' || $$') IS NULL$$,
	$$VALUES ('uploaded, renamed'::text, true)$$, 'is PidTagSubject; the item still has no message');
SELECT is(pg_temp.code($$SELECT * FROM ews_update_items(ARRAY['$$ || :'up' || $$'], ARRAY[
	'<t:SetItemField><t:FieldURI FieldURI="message:ToRecipients"/><t:Message><t:ToRecipients><t:Mailbox><t:EmailAddress>y@example.com</t:EmailAddress>'
	'</t:Mailbox></t:ToRecipients></t:Message></t:SetItemField>'])$$), 'NoError', 'recipients for an item without a message');
SELECT ok(pg_temp.mime(:'up') ~ '^To: y@example.com\r\nSubject: uploaded, renamed\r\n' AND (pg_temp.item(:'up')).display_to = 'y@example.com',
	'only a message holds recipients: the item got one, made from its properties');

-- ---- DeleteItem
SELECT item_id AS d1 FROM ews_create_item(:'work', E'Subject: hard\r\n\r\nx\r\n'::bytea) \gset
SELECT item_id AS d2 FROM ews_create_item(:'work', E'Subject: soft\r\n\r\nx\r\n'::bytea) \gset
SELECT item_id AS d3 FROM ews_create_item(:'work', E'Subject: trash\r\n\r\nx\r\n'::bytea) \gset
CREATE TEMP TABLE d_before AS SELECT item_id, created_cn FROM ews.item WHERE folder_id = pg_temp.local_id(:'work');
SELECT is(pg_temp.code($$SELECT * FROM ews_delete_items(ARRAY['$$ || :'d1' || $$', '$$ || :'d1' || $$'])$$),
	'NoError,ErrorItemNotFound', 'HardDelete; the same id again is not found');
SELECT is(pg_temp.code($$SELECT * FROM ews_delete_items(ARRAY['$$ || :'d2' || $$'], 'SoftDelete')$$), 'NoError', 'SoftDelete');
SELECT is(pg_temp.code($$SELECT * FROM ews_delete_items(ARRAY['$$ || :'d3' || $$'], 'MoveToDeletedItems')$$), 'NoError', 'MoveToDeletedItems');
SELECT is((SELECT count(*) FROM ews.item WHERE item_id IN (pg_temp.local_id(:'d1'), pg_temp.local_id(:'d2'), pg_temp.local_id(:'d3'))),
	0::bigint, 'the three ids are gone');
SELECT results_eq($$SELECT (SELECT string_agg(subject, ',') FROM ews.item WHERE folder_id = pg_temp.local_id('$$ || :'dumpster' || $$')),
                           (SELECT string_agg(subject, ',') FROM ews.item WHERE folder_id = pg_temp.local_id('$$ || :'trash' || $$'))$$,
	$$VALUES ('soft'::text, 'trash'::text)$$, 'the soft-deleted item is in the dumpster, the other in deleted items, under new ids');
SELECT results_eq($$SELECT t.item_id, t.created_cn, t.change_number > t.created_cn FROM ews.item_tombstone t
                     WHERE t.folder_id = pg_temp.local_id('$$ || :'work' || $$') ORDER BY t.change_number$$,
	$$SELECT item_id, created_cn, true FROM d_before ORDER BY item_id$$,
	'each item that left the folder has a tombstone with its arrival and removal change numbers');
SELECT item_id AS t1 FROM ews_find_items(:'trash') \gset
SELECT is(pg_temp.code($$SELECT * FROM ews_delete_items(ARRAY['$$ || :'t1' || $$'], 'MoveToDeletedItems')$$), 'NoError',
	'MoveToDeletedItems of an item in deleted items');
SELECT results_eq($$SELECT f.distinguished FROM ews.item i JOIN ews.folder f USING (mailbox_id, folder_id) WHERE i.subject = 'trash'$$,
	$$VALUES ('recoverableitemsdeletions'::text)$$, 'soft-deletes it, as Outlook deletes from Deleted Items');
SELECT is(pg_temp.code($$SELECT d.* FROM ews_find_items('$$ || :'dumpster' || $$') f, LATERAL ews_delete_items(ARRAY[f.item_id], 'SoftDelete') d$$),
	'NoError,NoError', 'SoftDelete in the dumpster');
SELECT is((SELECT count(*) FROM ews.item WHERE folder_id = pg_temp.local_id(:'dumpster')), 0::bigint, 'purges');

-- ---- MoveItem, CopyItem
CREATE TEMP TABLE junk_state AS SELECT next_article FROM ews.folder WHERE folder_id = pg_temp.local_id(:'junk');
CREATE TEMP TABLE src AS SELECT blob, created_cn FROM ews.item WHERE item_id = pg_temp.local_id(:'m2');
SELECT item_id AS mv, change_key AS mvck, response_code AS mvcode FROM ews_move_items(:'junk', ARRAY[:'m2']) \gset
SELECT is(:'mvcode'::text, 'NoError', 'MoveItem');
SELECT results_eq($$SELECT item_id <> pg_temp.local_id('$$ || :'m2' || $$'), folder_id = pg_temp.local_id('$$ || :'junk' || $$'),
                            article_number = (SELECT next_article FROM junk_state), created_cn = change_number,
                            blob = (SELECT blob FROM src)
                       FROM ews.item WHERE item_id = pg_temp.local_id('$$ || :'mv' || $$')$$,
	$$VALUES (true, true, true, true, true)$$,
	'a new id, the target''s next article number, arrived with its change number, the blob as it was');
SELECT is((SELECT response_code FROM ews_get_items(ARRAY[:'m2'])), 'ErrorItemNotFound', 'the old id answers ErrorItemNotFound');
SELECT is((SELECT count(*) FROM ews.item_tombstone WHERE item_id = pg_temp.local_id(:'m2')
             AND created_cn = (SELECT created_cn FROM src) AND change_number = (pg_temp.item(:'mv')).change_number), 1::bigint,
	'the source folder has its tombstone, with the move''s change number');
CREATE TEMP TABLE copies AS SELECT * FROM ews_copy_items(:'inbox', ARRAY[:'mv', :'mv']);
SELECT results_eq($$SELECT c.response_code, i.folder_id = pg_temp.local_id('$$ || :'inbox' || $$'),
                            i.blob = (SELECT blob FROM ews.item WHERE item_id = pg_temp.local_id('$$ || :'mv' || $$'))
                       FROM copies c JOIN ews.item i ON i.item_id = pg_temp.local_id(c.item_id)$$,
	$$VALUES ('NoError'::text, true, true), ('NoError', true, true)$$, 'CopyItem: two copies of one item, byte for byte');
SELECT ok((pg_temp.item(:'mv')).item_id IS NOT NULL, 'the copied item stays');
SELECT is(pg_temp.code($$SELECT * FROM ews_move_items('$$ || :'other_inbox' || $$', ARRAY['$$ || :'mv' || $$'])
                         UNION ALL SELECT * FROM ews_copy_items('$$ || :'other_inbox' || $$', ARRAY['$$ || :'mv' || $$'])$$),
	'ErrorCrossMailboxMoveCopy,ErrorCrossMailboxMoveCopy', 'into another mailbox: ErrorCrossMailboxMoveCopy');
SELECT folder_id AS gone FROM ews_create_folder(:'inbox', 'Gone') \gset
SELECT response_code FROM ews_delete_folder(ARRAY[:'gone']);
SELECT is(pg_temp.code($$SELECT * FROM ews_move_items('$$ || :'gone' || $$', ARRAY['$$ || :'mv' || $$', 'garbage'])$$),
	'ErrorToFolderNotFound,ErrorToFolderNotFound', 'a target that is gone is every id''s answer');
SELECT is(pg_temp.code($$SELECT * FROM ews_move_items('$$ || :'inbox' || $$', ARRAY['$$ || :'mv' || $$', '$$ || :'mv' || $$'])$$),
	'NoError,ErrorItemNotFound', 'the same id twice: moved once');
SELECT is((SELECT count(*) FROM wrong_counts), 0::bigint, 'every folder''s counters equal its items');

-- ---- UpdateFolder
SELECT folder_id AS ren, change_key AS renck FROM ews_create_folder(:'inbox', 'Rename me') \gset
SELECT folder_id AS sib FROM ews_create_folder(:'inbox', 'Sibling') \gset
CREATE FUNCTION pg_temp.rename(name text) RETURNS text LANGUAGE sql AS $$
	SELECT format('<t:SetFolderField><t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>%s</t:DisplayName></t:Folder></t:SetFolderField>', name)
$$;
SELECT results_eq($$SELECT folder_id, change_key <> '$$ || :'renck' || $$', response_code FROM ews_update_folders(ARRAY['$$ || :'ren' || $$'],
	ARRAY['$$ || pg_temp.rename('Renamed') || $$<t:SetFolderField><t:FieldURI FieldURI="folder:FolderClass"/><t:Folder><t:FolderClass>IPF.Note.Custom</t:FolderClass></t:Folder></t:SetFolderField>'])$$,
	$$VALUES ('$$ || :'ren' || $$'::text, true, 'NoError'::text)$$, 'UpdateFolder: same id, a new change key');
SELECT results_eq($$SELECT display_name, folder_class FROM ews.folder WHERE folder_id = pg_temp.local_id('$$ || :'ren' || $$')$$,
	$$VALUES ('Renamed'::text, 'IPF.Note.Custom'::text)$$, 'renamed, with its new class');
SELECT is(pg_temp.code($$SELECT * FROM ews_update_folders(ARRAY['$$ || :'ren' || $$', '$$ || :'ren' || $$', '$$ || :'inbox' || $$', '$$ || :'inbox' || $$', '$$ || :'ren' || $$'],
	ARRAY['$$ || pg_temp.rename('SIBLING') || $$', '$$ || pg_temp.rename('renamed') || $$', '$$ || pg_temp.rename('Posteingang') ||
	$$', '$$ || pg_temp.rename('Inbox') || $$', '<t:DeleteFolderField><t:FieldURI FieldURI="folder:DisplayName"/></t:DeleteFolderField>'])$$),
	'ErrorFolderExists,NoError,ErrorInvalidPropertySet,NoError,ErrorInvalidPropertyDelete',
	'a sibling''s name in another case, its own name in another case, renaming the inbox, the inbox''s own name, no name');
SELECT response_code FROM ews_update_folders(ARRAY[:'ren'],
	ARRAY['<t:DeleteFolderField><t:FieldURI FieldURI="folder:FolderClass"/></t:DeleteFolderField>']);
SELECT is((pg_temp.folder(:'ren')).folder_class, NULL, 'DeleteFolderField folder:FolderClass: no class');

-- ---- EmptyFolder
SELECT folder_id AS sub FROM ews_create_folder(:'work', 'Sub') \gset
SELECT count(*) FROM ews_create_item(:'work', E'Subject: e1\r\n\r\nx\r\n'::bytea);
SELECT count(*) FROM ews_create_item(:'work', E'Subject: e2\r\n\r\nx\r\n'::bytea);
SELECT count(*) FROM ews_create_item(:'sub', E'Subject: in sub\r\n\r\nx\r\n'::bytea);
SELECT count(*) FROM ews_upload_items(ARRAY[:'work'], ARRAY[pg_temp.blob(1, pg_temp.prop(x'001A001F'::bigint, 'IPM.Configuration'))],
                                      NULL, NULL, NULL, ARRAY[true]);
CREATE TEMP TABLE w_before AS SELECT item_id FROM ews.item WHERE folder_id = pg_temp.local_id(:'work') AND NOT is_associated;
SELECT is(pg_temp.code($$SELECT * FROM ews_empty_folders(ARRAY['$$ || :'work' || $$'])$$), 'NoError', 'EmptyFolder HardDelete');
SELECT results_eq($$SELECT total_count, assoc_count, (SELECT count(*) FROM ews.item i WHERE i.folder_id = f.folder_id)::int,
                            (SELECT count(*) FROM ews.folder c WHERE c.parent_id = f.folder_id)::int
                       FROM ews.folder f WHERE folder_id = pg_temp.local_id('$$ || :'work' || $$')$$,
	$$VALUES (0, 1, 1, 1)$$, 'the items are gone; the associated item and the subfolder stay');
SELECT is((SELECT count(*) FROM ews.item_tombstone t JOIN w_before USING (item_id)), 2::bigint, 'a tombstone for each');
SELECT count(*) FROM ews_create_item(:'work', E'Subject: e3\r\n\r\nx\r\n'::bytea);
SELECT is(pg_temp.code($$SELECT * FROM ews_empty_folders(ARRAY['$$ || :'work' || $$'], 'SoftDelete', true)$$), 'NoError',
	'EmptyFolder SoftDelete with subfolders');
SELECT results_eq($$SELECT (SELECT string_agg(subject, ',') FROM ews.item WHERE folder_id = pg_temp.local_id('$$ || :'dumpster' || $$')),
                           (SELECT p.distinguished FROM ews.folder s JOIN ews.folder p ON p.folder_id = s.parent_id
                             WHERE s.folder_id = pg_temp.local_id('$$ || :'sub' || $$'))$$,
	$$VALUES ('e3'::text, 'recoverableitemsdeletions'::text)$$, 'the item and the subfolder went to the dumpster');
CREATE TEMP TABLE all_items AS SELECT count(*) AS n FROM ews.item;
SELECT is(pg_temp.code($$SELECT * FROM ews_empty_folders(ARRAY['$$ || :'trash' || $$'], 'MoveToDeletedItems')
                         UNION ALL SELECT * FROM ews_empty_folders(ARRAY[ews_folder_id('tap-write@example.com', 'msgfolderroot')], 'HardDelete', true)$$),
	'ErrorCannotEmptyFolder,ErrorDeleteDistinguishedFolder',
	'deleted items into itself; a folder with distinguished folders below, with its subfolders: refused');
SELECT is((SELECT count(*) FROM ews.item), (SELECT n FROM all_items), 'the refused EmptyFolder changed nothing');
SELECT is((SELECT count(*) FROM wrong_counts), 0::bigint, 'every folder''s counters equal its items');

-- ---- a stranger: every write answered as for a missing mailbox, nothing changed
CREATE ROLE tap_write_stranger;
GRANT EXECUTE ON FUNCTION ews_create_items(text, text[], bytea[]), ews_update_items(text[], text[], text[], text),
	ews_delete_items(text[], text), ews_move_items(text, text[]), ews_copy_items(text, text[]),
	ews_update_folders(text[], text[]), ews_empty_folders(text[], text, boolean) TO tap_write_stranger;
CREATE TEMP TABLE state AS SELECT md5(string_agg(x, '' ORDER BY x)) AS s FROM (
	SELECT i::text x FROM ews.item i UNION ALL SELECT f::text FROM ews.folder f UNION ALL SELECT t::text FROM ews.item_tombstone t) s;
GRANT SELECT ON state TO tap_write_stranger;
SET LOCAL ROLE tap_write_stranger;
SELECT is(pg_temp.code($$
	SELECT * FROM ews_create_items('$$ || :'inbox' || $$', ARRAY['<t:Message/>'])
	UNION ALL SELECT * FROM ews_update_items(ARRAY['$$ || :'p1' || $$'], ARRAY['$$ || pg_temp.set_field('item:Subject', 'Subject', 'x') || $$'])
	UNION ALL SELECT item_id, NULL, response_class, response_code, message_text, mailbox_guid FROM ews_delete_items(ARRAY['$$ || :'p1' || $$'])
	UNION ALL SELECT * FROM ews_move_items('$$ || :'junk' || $$', ARRAY['$$ || :'p1' || $$'])
	UNION ALL SELECT * FROM ews_copy_items('$$ || :'junk' || $$', ARRAY['$$ || :'p1' || $$'])
	UNION ALL SELECT * FROM ews_update_folders(ARRAY['$$ || :'ren' || $$'], ARRAY['$$ || pg_temp.rename('mine') || $$'])
	UNION ALL SELECT folder_id, NULL, response_class, response_code, message_text, mailbox_guid FROM ews_empty_folders(ARRAY['$$ || :'inbox' || $$'])$$),
	'ErrorNonExistentMailbox,ErrorNonExistentMailbox,ErrorNonExistentMailbox,ErrorNonExistentMailbox,ErrorNonExistentMailbox,ErrorNonExistentMailbox,ErrorNonExistentMailbox',
	'a stranger gets ErrorNonExistentMailbox from every write, as for a mailbox that does not exist');
RESET ROLE;
SELECT is((SELECT md5(string_agg(x, '' ORDER BY x)) FROM (
	SELECT i::text x FROM ews.item i UNION ALL SELECT f::text FROM ews.folder f UNION ALL SELECT t::text FROM ews.item_tombstone t) s),
	(SELECT s FROM state), 'and nothing changed');

SELECT * FROM finish();
ROLLBACK;
