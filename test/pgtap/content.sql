-- The content state of folders (src/content.c): article numbers, counters,
-- the last content change, kept exact by every item write, by CopyFolder,
-- and (for items stored before 0.2) by the update script.
BEGIN;
SELECT plan(16);
\set ECHO none
\i test/blob_helpers.sql
\set ECHO all

SELECT ews_create_mailbox('tap-content@example.com', 'Content') IS NOT NULL AS created \gset
SELECT ews_folder_id('tap-content@example.com', 'inbox') AS inbox \gset
SELECT ews_folder_id('tap-content@example.com', 'drafts') AS drafts \gset
SELECT folder_id AS sub FROM ews_create_folder(:'inbox', 'Sub') \gset
SELECT mailbox_id AS mb FROM ews.mailbox WHERE smtp_address = 'tap-content@example.com' \gset

CREATE FUNCTION pg_temp.local_id(id text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
	SELECT ('x' || encode(substring(decode(id, 'base64') FROM 45 FOR 8), 'hex'))::bit(64)::bigint
$$;
-- a message with PidTagMessageFlags: read or not
CREATE FUNCTION pg_temp.msg(subject text, read boolean) RETURNS bytea LANGUAGE sql AS $$
	SELECT pg_temp.blob(3, pg_temp.prop(x'001A001F'::bigint, 'IPM.Note')
	                    || pg_temp.prop(x'0037001F'::bigint, convert_to(subject, 'UTF8'))
	                    || pg_temp.prop(x'0E070003'::bigint, pg_temp.le(CASE WHEN read THEN 1 ELSE 0 END, 4)))
$$;
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
CREATE TEMP TABLE ctag AS SELECT content_changed_at AS at FROM ews.folder
 WHERE mailbox_id = :'mb' AND folder_id = pg_temp.local_id(:'inbox');

-- three uploads in one call (one read, one unread, one associated), then two more calls
SELECT count(*) FROM ews_upload_items(ARRAY[:'inbox', :'inbox', :'inbox'],
	ARRAY[pg_temp.msg('one', true), pg_temp.msg('two', false), pg_temp.msg('assoc', false)],
	NULL, NULL, NULL, ARRAY[false, false, true]);
SELECT item_id AS i4, change_key AS ck4 FROM ews_upload_items(ARRAY[:'inbox'], ARRAY[pg_temp.msg('four', false)]) \gset
SELECT item_id AS i5 FROM ews_create_item(:'inbox', E'Subject: five\r\n\r\nbody\r\n'::bytea) \gset

SELECT results_eq(
	$$SELECT subject, article_number FROM ews.item WHERE mailbox_id = '$$ || :'mb' || $$'
	   AND folder_id = pg_temp.local_id('$$ || :'inbox' || $$') ORDER BY article_number$$,
	$$VALUES ('one'::text, 1::bigint), ('two', 2), ('assoc', 3), ('four', 4), ('five', 5)$$,
	'article numbers 1..n in the order the items were stored, associated items included');
SELECT is((SELECT next_article FROM ews.folder WHERE mailbox_id = :'mb' AND folder_id = pg_temp.local_id(:'inbox')),
	6::bigint, 'the folder''s next article number follows the last one handed out');
SELECT is((SELECT count(*) FROM wrong_counts), 0::bigint, 'every folder''s counters equal its items');
SELECT results_eq($$SELECT total_count, unread_count FROM ews_get_folder(ARRAY['$$ || :'inbox' || $$'])$$,
	$$VALUES (4, 3)$$, 'GetFolder: TotalCount and UnreadCount from the counters, associated items left out');
SELECT ok((SELECT content_changed_at > (SELECT at FROM ctag) FROM ews.folder
            WHERE mailbox_id = :'mb' AND folder_id = pg_temp.local_id(:'inbox')),
	'the last content change time moved on');
SELECT is((SELECT content_cn FROM ews.folder WHERE mailbox_id = :'mb' AND folder_id = pg_temp.local_id(:'inbox')),
	(SELECT max(change_number) FROM ews.item WHERE mailbox_id = :'mb' AND folder_id = pg_temp.local_id(:'inbox')),
	'the folder''s content change number is its items'' last change');
SELECT is((SELECT count(*) FROM ews.item WHERE mailbox_id = :'mb'
            AND (created_cn <> change_number OR content_cn <> change_number)), 0::bigint,
	'a new item arrived with its change number: created_cn = content_cn = change_number');

-- three changes within one second: each moves the time on by a second
UPDATE ctag SET at = (SELECT content_changed_at FROM ews.folder WHERE mailbox_id = :'mb'
                       AND folder_id = pg_temp.local_id(:'inbox'));
SELECT count(*) FROM ews_upload_items(ARRAY[:'inbox'], ARRAY[pg_temp.msg('six', true)]);
SELECT count(*) FROM ews_upload_items(ARRAY[:'inbox'], ARRAY[pg_temp.msg('seven', true)]);
SELECT count(*) FROM ews_upload_items(ARRAY[:'inbox'], ARRAY[pg_temp.msg('eight', true)]);
SELECT ok((SELECT content_changed_at >= (SELECT at FROM ctag) + interval '3 seconds' FROM ews.folder
            WHERE mailbox_id = :'mb' AND folder_id = pg_temp.local_id(:'inbox'))
          AND (SELECT date_trunc('second', content_changed_at) = content_changed_at FROM ews.folder
                WHERE mailbox_id = :'mb' AND folder_id = pg_temp.local_id(:'inbox')),
	'every content change moves PidTagLocalCommitTimeMax on by at least a second, in whole seconds');

-- UploadItems Update in place: the article number stays, the read flag moves the counters
SELECT response_code FROM ews_upload_items(ARRAY[:'inbox'], ARRAY[pg_temp.msg('four, read now', true)],
	ARRAY['Update'], ARRAY[:'i4'], ARRAY[:'ck4']);
SELECT results_eq($$SELECT article_number, subject, created_cn < change_number, content_cn = change_number
	FROM ews.item WHERE item_id = pg_temp.local_id('$$ || :'i4' || $$')$$,
	$$VALUES (4::bigint, 'four, read now'::text, true, true)$$,
	'an updated item keeps its article number and arrival; its change numbers move');
SELECT results_eq($$SELECT total_count, unread_count FROM ews_get_folder(ARRAY['$$ || :'inbox' || $$'])$$,
	$$VALUES (7, 2)$$, 'the update made an unread item read: one unread fewer');
SELECT is((SELECT count(*) FROM wrong_counts), 0::bigint, 'counters still equal the items');

-- CopyFolder: the copies get article numbers 1..n in their new folder, in the old order
SELECT count(*) FROM ews_upload_items(ARRAY[:'sub', :'sub'], ARRAY[pg_temp.msg('s1', false), pg_temp.msg('s2', true)]);
SELECT folder_id AS inbox_copy FROM ews_copy_folder(:'drafts', ARRAY[:'inbox']) \gset
SELECT results_eq(
	$$SELECT subject, article_number FROM ews.item WHERE mailbox_id = '$$ || :'mb' || $$'
	   AND folder_id = pg_temp.local_id('$$ || :'inbox_copy' || $$') ORDER BY article_number$$,
	$$SELECT subject, article_number FROM ews.item WHERE mailbox_id = '$$ || :'mb' || $$'
	   AND folder_id = pg_temp.local_id('$$ || :'inbox' || $$') ORDER BY article_number$$,
	'a copied folder''s items keep their order and get article numbers 1..n');
SELECT results_eq($$SELECT total_count, unread_count FROM ews_get_folder(ARRAY['$$ || :'inbox_copy' || $$'])$$,
	$$SELECT total_count, unread_count FROM ews_get_folder(ARRAY['$$ || :'inbox' || $$'])$$,
	'the copy''s counters equal the original''s');
SELECT is((SELECT count(*) FROM ews.item i JOIN ews.folder f USING (mailbox_id, folder_id)
            WHERE i.mailbox_id = :'mb' AND f.display_name = 'Sub' AND f.folder_id <> pg_temp.local_id(:'sub')),
	2::bigint, 'the copy holds the copy of Sub with its two items');
SELECT is((SELECT count(*) FROM wrong_counts), 0::bigint, 'counters of every folder, copies included, equal the items');
SELECT is((SELECT count(*) FROM ews.item i JOIN ews.folder f USING (mailbox_id, folder_id)
            WHERE f.content_cn < i.change_number), 0::bigint,
	'no folder''s content change number is behind one of its items');

SELECT * FROM finish();
ROLLBACK;
