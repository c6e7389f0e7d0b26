-- A long batch of new items: the store gathers the INSERTs of consecutive
-- creations into one statement (itemwrite.c).  Every item of a 150-item
-- batch is stored with the columns its blob gives, in batch order (article
-- numbers), with exact counters; an Update, a refused item and a large item
-- written alone in the middle of the batch see and keep what came before;
-- an error inside a call with items still gathered loses that call's items
-- and nothing else, and the next call works.
BEGIN;
\i test/blob_helpers.sql
SELECT plan(14);

SELECT ews_create_mailbox('tap-batch@example.com', 'Batch') IS NOT NULL AS created \gset
SELECT ews_folder_id('tap-batch@example.com', 'inbox') AS inbox \gset
SELECT mailbox_id AS mb FROM ews.mailbox WHERE smtp_address = 'tap-batch@example.com' \gset
\set ps_public '00020329-0000-0000-C000-000000000046'

-- an item that the batch updates
SELECT item_id AS old_id, change_key AS old_ck
  FROM ews_upload_items(ARRAY[:'inbox'], ARRAY[pg_temp.blob(1, pg_temp.prop(x'001A001F'::bigint, 'IPM.Note'))]) \gset

-- item n: subject "item n", read when n is odd, categories {cn, x}; 50 updates
-- the item above, 70 is corrupt, 100 is 100 KiB (written alone)
CREATE TEMP TABLE inp AS
SELECT n,
       CASE WHEN n = 70 THEN '\x00'::bytea
            WHEN n = 100 THEN pg_temp.big_blob('IPM.Note', '\x0123456789abcdef'::bytea, 12800)
            ELSE pg_temp.blob(4,
                    pg_temp.prop(x'001A001F'::bigint, 'IPM.Note')
                 || pg_temp.prop(x'0037001F'::bigint, convert_to('item ' || n, 'UTF8'))
                 || pg_temp.prop(x'0E070003'::bigint, pg_temp.le(n % 2, 4))
                 || pg_temp.mv(x'8001101F'::bigint, ARRAY[convert_to('c' || n, 'UTF8'), 'x'::bytea]),
                 ARRAY[pg_temp.name_str(x'8001101F'::bigint, :'ps_public', 'Keywords')])
       END AS blob,
       CASE WHEN n = 50 THEN 'Update' ELSE 'CreateNew' END AS action,
       CASE WHEN n = 50 THEN :'old_id' END AS id,
       CASE WHEN n = 50 THEN :'old_ck' END AS ck
  FROM generate_series(1, 150) n;
-- what an export should give back, apart from the store's two properties
ALTER TABLE inp ADD COLUMN want bytea;
UPDATE inp SET want = pg_temp.unstamped(blob) WHERE n <> 70;

CREATE TEMP TABLE res AS
SELECT u.ordinality AS n, u.item_id, u.change_key, u.response_code
  FROM ews_upload_items((SELECT array_agg(:'inbox'::text) FROM inp),
                        (SELECT array_agg(blob ORDER BY n) FROM inp),
                        (SELECT array_agg(action ORDER BY n) FROM inp),
                        (SELECT array_agg(id ORDER BY n) FROM inp),
                        (SELECT array_agg(ck ORDER BY n) FROM inp)) WITH ORDINALITY u;
CREATE TEMP TABLE stored AS
SELECT r.n, i.* FROM res r
  JOIN ews.item i ON i.mailbox_id = :'mb'
   AND i.item_id = ('x' || encode(substring(decode(r.item_id, 'base64') FROM 45 FOR 8), 'hex'))::bit(64)::bigint;

-- 1-3: the answers
SELECT is((SELECT array_agg(n || ' ' || response_code ORDER BY n) FROM res WHERE response_code <> 'NoError'),
          ARRAY['70 ErrorCorruptData'], 'every item of the batch but the corrupt one is stored');
SELECT is((SELECT item_id FROM res WHERE n = 50), :'old_id', 'the update in the middle keeps its ItemId');
SELECT is((SELECT count(*) FROM stored), 149::bigint, 'every ItemId answered names a stored item');

-- 4-6: the folder
SELECT is((SELECT count(*) FROM ews.item WHERE mailbox_id = :'mb' AND folder_id = (SELECT folder_id FROM stored LIMIT 1)),
          149::bigint, 'the folder holds the first item and the 148 new ones, nothing more');
SELECT is((SELECT array_agg(article_number ORDER BY n) FROM stored WHERE n <> 50),
          (SELECT array_agg(a::bigint) FROM generate_series(2, 149) a),
          'the new items have consecutive article numbers in batch order');
SELECT is((SELECT (f.total_count, f.unread_count, f.next_article)::text FROM ews.folder f
            WHERE f.mailbox_id = :'mb' AND f.folder_id = (SELECT folder_id FROM stored LIMIT 1)),
          (SELECT (count(*)::int, (count(*) FILTER (WHERE NOT is_read))::int, max(article_number) + 1)::text
             FROM ews.item WHERE mailbox_id = :'mb'),
          'the counters and the next article number are exact');

-- 7-10: the rows
SELECT is((SELECT count(*) FROM stored s, LATERAL ews.item_columns(s.blob) c
            WHERE (s.item_class, s.subject, s.size, s.received_at, s.is_read, s.last_modified, s.sent_at,
                   s.message_flags, s.flag_status, s.importance, s.sensitivity, s.has_attachments,
                   s.internet_message_id, s.from_text, s.display_to, s.display_cc, s.categories,
                   s.imap_deleted, s.headers, s.body_text, s.created_at)
                  IS DISTINCT FROM
                  (c.item_class, c.subject, c.size, c.received_at, c.is_read, c.last_modified, c.sent_at,
                   c.message_flags, c.flag_status, c.importance, c.sensitivity, c.has_attachments,
                   c.internet_message_id, c.from_text, c.display_to, c.display_cc, c.categories,
                   c.imap_deleted, c.headers, c.body_text, coalesce(c.created_at, s.created_at))),
          0::bigint, 'every row''s columns are the ones its blob gives');
SELECT is((SELECT array_agg((n, subject, is_read, categories)::text ORDER BY n) FROM stored WHERE n IN (1, 2, 50, 150)),
          ARRAY['(1,"item 1",t,"{c1,x}")', '(2,"item 2",f,"{c2,x}")', '(50,"item 50",f,"{c50,x}")',
                '(150,"item 150",f,"{c150,x}")'],
          'subjects, read flags and categories (text[]) as sent');
SELECT is((SELECT count(*) FROM stored s JOIN inp USING (n)
            WHERE pg_temp.unstamped(s.blob) = inp.want
              AND pg_temp.prop_value(s.blob, x'65E20102'::bigint)
                  = decode((SELECT change_key FROM res WHERE res.n = s.n), 'base64')),
          149::bigint, 'every stored blob is the one sent, stamped with the ChangeKey answered');
SELECT is((SELECT count(*) FROM res r JOIN inp ON inp.n = r.n, LATERAL ews_export_items(ARRAY[r.item_id]) e
           WHERE r.response_code = 'NoError' AND e.response_code = 'NoError'
             AND pg_temp.unstamped(e.data) = inp.want),
          149::bigint, 'ExportItems returns every item of the batch');

-- 11-13: an error with items gathered (the change number sequence runs out
-- at the third item) fails the call; the call's first two items are gone
-- with it, and the next call neither sees nor writes them
SELECT format('ALTER SEQUENCE ews.change_seq MAXVALUE %s', last_value + 2) FROM ews.change_seq \gexec
SELECT throws_ok(format($$SELECT count(*) FROM ews_upload_items(ARRAY[%L, %L, %L], ARRAY[%L, %L, %L]::bytea[])$$,
                        :'inbox', :'inbox', :'inbox',
                        pg_temp.blob(2, pg_temp.prop(x'001A001F'::bigint, 'IPM.Note') || pg_temp.prop(x'0037001F'::bigint, 'lost 1')),
                        pg_temp.blob(2, pg_temp.prop(x'001A001F'::bigint, 'IPM.Note') || pg_temp.prop(x'0037001F'::bigint, 'lost 2')),
                        pg_temp.blob(2, pg_temp.prop(x'001A001F'::bigint, 'IPM.Note') || pg_temp.prop(x'0037001F'::bigint, 'lost 3'))),
                 '2200H', NULL, 'an error with two items gathered fails the call');
ALTER SEQUENCE ews.change_seq NO MAXVALUE;
SELECT is((SELECT array_agg(response_code) FROM ews_export_items(ARRAY[:'old_id'])), ARRAY['NoError'],
          'the next call, a read, answers');
SELECT is((SELECT array_agg(response_code) FROM ews_upload_items(ARRAY[:'inbox'],
            ARRAY[pg_temp.blob(2, pg_temp.prop(x'001A001F'::bigint, 'IPM.Note') || pg_temp.prop(x'0037001F'::bigint, 'after'))])),
          ARRAY['NoError'], 'the next call stores its item');
SELECT is((SELECT array_agg(subject ORDER BY article_number) FROM ews.item
            WHERE mailbox_id = :'mb' AND article_number > 149),
          ARRAY['after'], 'only its item: nothing of the failed call');

SELECT * FROM finish();
ROLLBACK;
