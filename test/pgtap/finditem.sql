-- FindItem and GetItem through their SQL twins: paging covers every item
-- exactly once (from the beginning and from the end), TotalItemsInView and
-- restrictions agree with plain SQL over ews.item, sort orders are the
-- orders they name, GetItem answers in request order, the calls see the
-- caller's own uncommitted items, and a stranger learns nothing.
BEGIN;
\i test/blob_helpers.sql
SELECT plan(34);
SET LOCAL timezone = 'UTC';

CREATE FUNCTION pg_temp.local_id(id text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
	SELECT ('x' || encode(substring(decode(id, 'base64') FROM 45 FOR 8), 'hex'))::bit(64)::bigint
$$;
-- an id in the store's layout (README "Id and change key formats")
CREATE FUNCTION pg_temp.ews_id(guid text, kind int, local bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT encode('\x00032400'::bytea || convert_to(guid, 'UTF8') || '\x000900'::bytea
	              || set_byte('\x00'::bytea, 0, kind) || int8send(local), 'base64')
$$;

SELECT ews_create_mailbox('tap-find@example.com', 'Find') AS mb \gset
SELECT ews_folder_id('tap-find@example.com', 'inbox') AS inbox \gset
SELECT folder_id AS empty FROM ews_create_folder(:'inbox', 'Empty') \gset

-- 40 messages: dates out of arrival order, a few subjects alike, some read
SELECT count(*) AS created FROM (
  SELECT ews_create_item(:'inbox', convert_to(format(
    E'From: Sender %s <s%s@example.com>\r\nTo: r@example.com\r\nSubject: %s %s\r\nDate: %s\r\nMessage-ID: <t%s@example.com>\r\n\r\nbody %s %s\r\n',
    g, g % 7, CASE WHEN g % 5 = 0 THEN 'Invoice' ELSE 'Note' END, g,
    to_char(timestamptz '2026-01-01 00:00:00+00' + ((g * 37) % 40) * interval '1 hour', 'Dy, DD Mon YYYY HH24:MI:SS +0000'),
    g, CASE WHEN g % 3 = 0 THEN 'urgent' ELSE 'routine' END, g), 'UTF8'))
  FROM generate_series(1, 40) g) s \gset

-- 1-2
SELECT is((SELECT count(*) FROM ews_find_items(:'inbox') WHERE response_code = 'NoError'), 40::bigint,
          'ews_find_items of the inbox: its 40 items');
SELECT is((SELECT DISTINCT total_items_in_view FROM ews_find_items(:'inbox')), 40,
          'total_items_in_view without a restriction: 40 (the folder''s count)');

-- 3-6: pages of 7 from the beginning and from the end cover every item once, in view order
CREATE TEMP TABLE full_view AS
SELECT row_number() OVER () AS pos, item_id FROM ews_find_items(:'inbox', sort_order => '{"item:DateTimeReceived DESC"}');
CREATE TEMP TABLE pages AS
SELECT o AS page_offset, f.ordinality, f.item_id, f.includes_last_item_in_range
  FROM generate_series(0, 39, 7) o,
       ews_find_items(:'inbox', sort_order => '{"item:DateTimeReceived DESC"}', page_offset => o, max_entries => 7)
       WITH ORDINALITY f;
SELECT is((SELECT count(*) FROM pages), 40::bigint, 'pages of 7 from the beginning: 40 rows');
SELECT is((SELECT array_agg(item_id ORDER BY page_offset, ordinality) FROM pages),
          (SELECT array_agg(item_id ORDER BY pos) FROM full_view),
          'the pages, in order, are the whole view: every item once, in order');
SELECT is((SELECT array_agg(DISTINCT page_offset ORDER BY page_offset) FROM pages WHERE includes_last_item_in_range),
          ARRAY[35], 'only the last page includes the last item');
CREATE TEMP TABLE end_pages AS
SELECT o AS page_offset, f.ordinality, f.item_id
  FROM generate_series(0, 39, 7) o,
       ews_find_items(:'inbox', sort_order => '{"item:DateTimeReceived DESC"}', page_offset => o, max_entries => 7,
                      base_point => 'End') WITH ORDINALITY f;
SELECT is((SELECT array_agg(item_id ORDER BY page_offset DESC, ordinality) FROM end_pages),
          (SELECT array_agg(item_id ORDER BY pos) FROM full_view),
          'pages of 7 from the end, walked backwards: the whole view, every item once');

-- 7-9: paging edges
SELECT is((SELECT count(*) FROM ews_find_items(:'inbox', page_offset => 40)), 0::bigint,
          'an offset at the end: no rows');
SELECT is((SELECT count(*) FROM ews_find_items(:'empty') ), 0::bigint, 'an empty folder: no rows');
SELECT is((SELECT response_code FROM ews_find_items(:'inbox', max_entries => 0)), 'ErrorInvalidPagingMaxRows',
          'max_entries 0: one error row ErrorInvalidPagingMaxRows');

-- 10-12: sort orders are the orders they name
SELECT is((SELECT array_agg(pg_temp.local_id(item_id) ORDER BY ordinality)
             FROM ews_find_items(:'inbox', sort_order => '{"item:DateTimeReceived ASC"}') WITH ORDINALITY),
          (SELECT array_agg(item_id ORDER BY received_at, article_number) FROM ews.item
            WHERE mailbox_id = :'mb' AND folder_id = pg_temp.local_id(:'inbox')),
          'item:DateTimeReceived ASC: by delivery time, then arrival');
SELECT is((SELECT array_agg(article_number ORDER BY ordinality)
             FROM ews_find_items(:'inbox', sort_order => '{"item:Subject DESC","item:DateTimeReceived ASC"}') WITH ORDINALITY),
          (SELECT array_agg(article_number ORDER BY lower(subject) DESC, received_at, article_number) FROM ews.item
            WHERE mailbox_id = :'mb' AND folder_id = pg_temp.local_id(:'inbox')),
          'two keys: subject descending (case ignored), then delivery time');
SELECT ok((SELECT bool_and(article_number > 0) AND count(DISTINCT article_number) = 40 FROM ews_find_items(:'inbox')),
          'every item has an article number, > 0, unique in the folder');

-- 13-18: restrictions agree with plain SQL over the columns
SELECT is((SELECT array_agg(pg_temp.local_id(item_id) ORDER BY pg_temp.local_id(item_id)) FROM ews_find_items(:'inbox',
             restriction => '<t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="item:Subject"/><t:Constant Value="INVOICE"/></t:Contains>')),
          (SELECT array_agg(item_id ORDER BY item_id) FROM ews.item WHERE mailbox_id = :'mb' AND subject ILIKE '%invoice%'),
          'Contains Substring IgnoreCase on the subject = ILIKE');
SELECT is((SELECT count(*) FROM ews_find_items(:'inbox',
             restriction => '<t:IsGreaterThanOrEqualTo><t:FieldURI FieldURI="item:DateTimeReceived"/><t:FieldURIOrConstant><t:Constant Value="2026-01-02T00:00:00Z"/></t:FieldURIOrConstant></t:IsGreaterThanOrEqualTo>')),
          (SELECT count(*) FROM ews.item WHERE mailbox_id = :'mb' AND received_at >= '2026-01-02 00:00:00+00'),
          'IsGreaterThanOrEqualTo on DateTimeReceived = received_at >=');
SELECT is((SELECT DISTINCT total_items_in_view FROM ews_find_items(:'inbox', max_entries => 2,
             restriction => '<t:IsEqualTo><t:FieldURI FieldURI="message:IsRead"/><t:FieldURIOrConstant><t:Constant Value="false"/></t:FieldURIOrConstant></t:IsEqualTo>')),
          (SELECT count(*)::int FROM ews.item WHERE mailbox_id = :'mb' AND NOT is_read),
          'with a restriction, total_items_in_view counts the matching items, not the page');
SELECT is((SELECT count(*) FROM ews_find_items(:'inbox',
             restriction => '<t:Not><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="item:Body"/><t:Constant Value="routine"/></t:Contains></t:Not>')),
          (SELECT count(*) FROM ews.item WHERE mailbox_id = :'mb' AND NOT (body_text ILIKE '%routine%')),
          'Not Contains on item:Body = NOT ILIKE over body_text');
SELECT is((SELECT count(*) FROM ews_find_items(:'inbox',
             restriction => '<t:Or><t:IsEqualTo><t:ExtendedFieldURI PropertyTag="0xe23" PropertyType="Integer"/><t:FieldURIOrConstant><t:Constant Value="1"/></t:FieldURIOrConstant></t:IsEqualTo><t:IsEqualTo><t:ExtendedFieldURI PropertyTag="3619" PropertyType="Integer"/><t:FieldURIOrConstant><t:Constant Value="2"/></t:FieldURIOrConstant></t:IsEqualTo></t:Or>')),
          2::bigint, 'an Or on the article number (0xe23 and 3619 are one property)');
SELECT is((SELECT response_code || ': ' || message_text FROM ews_find_items(:'inbox',
             restriction => '<t:Contains><t:FieldURI FieldURI="item:Size"/><t:Constant Value="1"/></t:Contains>')),
          'ErrorContainsFilterWrongType: Contains needs a string property; item:Size is not one.',
          'Contains on an integer: one error row');

-- 19-22: bad arguments raise
SELECT throws_ok($$SELECT * FROM ews_find_items(ews_folder_id('tap-find@example.com', 'inbox'), 'Deep')$$,
                 '22023', 'invalid traversal "Deep"', 'traversal Deep raises');
SELECT throws_ok($$SELECT * FROM ews_find_items(ews_folder_id('tap-find@example.com', 'inbox'), base_point => 'Middle')$$,
                 '22023', 'invalid base point "Middle"', 'an unknown base point raises');
SELECT throws_ok($$SELECT * FROM ews_find_items(ews_folder_id('tap-find@example.com', 'inbox'), restriction => '<t:IsEqualTo/')$$,
                 '22023', 'invalid restriction', 'a restriction that is not well-formed raises');
SELECT throws_ok($$SELECT * FROM ews_find_items(ews_folder_id('tap-find@example.com', 'inbox'), sort_order => '{"item:Nope ASC"}')$$,
                 '22023', '"item:Nope" is not a FieldURI of the EWS schema', 'a sort key outside the schema raises');

-- 23-25: GetItem
CREATE TEMP TABLE three AS SELECT item_id FROM ews_find_items(:'inbox', max_entries => 3);
SELECT is((SELECT array_agg(coalesce(g.item_id, g.response_code) ORDER BY g.ordinality)
             FROM ews_get_items((SELECT array_agg(item_id) FROM three) || ARRAY['bogus'] ||
                                (SELECT array_agg(item_id) FROM three)) WITH ORDINALITY g),
          (SELECT array_agg(item_id) FROM three) || ARRAY['ErrorInvalidIdMalformed'] || (SELECT array_agg(item_id) FROM three),
          'ews_get_items: one row per id, in order, errors in place');
SELECT is((SELECT count(*) FROM ews_get_items((SELECT array_agg(item_id) FROM three)) g
             JOIN ews_export_items((SELECT array_agg(item_id) FROM three)) x USING (item_id)
            WHERE g.mime IS NOT NULL AND g.mime = pg_temp.prop_value(x.data, x'7E010102'::bigint)),
          3::bigint, 'mime is the stored message (0x7E01 of the exported blob), byte for byte');
SELECT is((SELECT count(*) FROM three t JOIN ews_find_items(:'inbox') f USING (item_id)
             JOIN ews_get_items((SELECT array_agg(item_id) FROM three)) g USING (item_id)
            WHERE (f.subject, f.received_at, f.size, f.article_number, f.from_text, f.is_read, f.importance)
                  IS NOT DISTINCT FROM (g.subject, g.received_at, g.size, g.article_number, g.from_text, g.is_read, g.importance)),
          3::bigint, 'FindItem and GetItem answer the same columns alike');

-- 26-27: inside the caller's transaction: an item created just now is found and read
SELECT item_id AS new_item FROM ews_create_item(:'inbox', E'Subject: fresh\r\nDate: Mon, 2 Feb 2026 10:00:00 +0000\r\n\r\nx\r\n'::bytea) \gset
SELECT is((SELECT subject FROM ews_find_items(:'inbox', max_entries => 1)), 'fresh',
          'an item created in this transaction is the newest ews_find_items sees');
SELECT is((SELECT subject FROM ews_get_items(ARRAY[:'new_item'])), 'fresh', 'and ews_get_items reads it');

-- 28-30: a stranger learns nothing, and cannot tell the mailbox from a missing one
DO $$ BEGIN CREATE ROLE ews_tap_find_stranger; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
-- it may call the functions (whatever the EXECUTE rules), it may not use the mailbox
GRANT EXECUTE ON FUNCTION ews_find_items(text, text, text, text[], integer, integer, text),
                          ews_get_items(text[], text[]) TO ews_tap_find_stranger;
SET LOCAL ROLE ews_tap_find_stranger;
CREATE TEMP TABLE stranger AS
SELECT 'find' AS what, response_code, message_text, mailbox_guid FROM ews_find_items(:'inbox')
UNION ALL
SELECT 'get', response_code, message_text, mailbox_guid FROM ews_get_items(ARRAY[:'new_item']);
CREATE TEMP TABLE missing AS
SELECT 'find' AS what, response_code, message_text, mailbox_guid
  FROM ews_find_items(pg_temp.ews_id('00000000-0000-4000-8000-000000000000', 1, pg_temp.local_id(:'inbox')));
RESET ROLE;
SELECT is((SELECT array_agg(response_code ORDER BY what) FROM stranger),
          ARRAY['ErrorNonExistentMailbox', 'ErrorNonExistentMailbox'],
          'a stranger''s ews_find_items and ews_get_items: ErrorNonExistentMailbox');
SELECT is((SELECT count(*) FROM stranger WHERE mailbox_guid = :'mb'), 2::bigint, '... naming the GUID the id carries');
SELECT is((SELECT message_text FROM stranger WHERE what = 'find'), (SELECT message_text FROM missing),
          'the same text as for a mailbox that does not exist');

-- 31-34: EffectiveRights of items follow the request's rights in the
-- mailbox: the owner may change and delete; a delegate reviewer only reads
-- (and, as a delegate, does not view private items); an editor may change
CREATE FUNCTION pg_temp.soap(mailbox text, body text) RETURNS text LANGUAGE sql AS $f$
	SELECT response FROM ews_soap('<?xml version="1.0" encoding="utf-8"?>'
	    || '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
	    || ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"'
	    || ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Body>'
	    || body || '</soap:Body></soap:Envelope>', mailbox)
$f$;
CREATE FUNCTION pg_temp.rights(mailbox text, body text) RETURNS text LANGUAGE sql AS $f$
	SELECT string_agg(array_to_string(m, '/'), ' ')
	  FROM regexp_matches(pg_temp.soap(mailbox, body),
	                      '<t:EffectiveRights>.*?<t:Delete>(\w+)</t:Delete><t:Modify>(\w+)</t:Modify>'
	                      '<t:Read>(\w+)</t:Read><t:ViewPrivateItems>(\w+)</t:ViewPrivateItems></t:EffectiveRights>', 'g') m
$f$;
SELECT ews_create_mailbox('tap-find-rev@example.com', 'Reviewer') IS NOT NULL AS rev_made \gset
SELECT ews_add_delegate('tap-find@example.com', 'tap-find-rev@example.com', 'reviewer');
SELECT format('<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>'
              '<m:IndexedPageItemView MaxEntriesReturned="2" Offset="0" BasePoint="Beginning"/>'
              '<m:ParentFolderIds><t:FolderId Id="%s"/></m:ParentFolderIds></m:FindItem>', :'inbox') AS find_req,
       format('<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>'
              '<t:FieldURI FieldURI="item:EffectiveRights"/></t:AdditionalProperties></m:ItemShape>'
              '<m:ItemIds><t:ItemId Id="%s"/></m:ItemIds></m:GetItem>', :'new_item') AS get_req \gset
SELECT is(pg_temp.rights(NULL, :'find_req') || ' | ' || pg_temp.rights(NULL, :'get_req'),
          'true/true/true/true true/true/true/true | true/true/true/true',
          'the owner: EffectiveRights of FindItem''s and GetItem''s items: Delete, Modify, Read, ViewPrivateItems');
SELECT is(pg_temp.rights('tap-find-rev@example.com', :'find_req') || ' | ' || pg_temp.rights('tap-find-rev@example.com', :'get_req'),
          'false/false/true/false false/false/true/false | false/false/true/false',
          'a reviewer (acting for the delegate): Read only, no private items');
SELECT ews_add_delegate('tap-find@example.com', 'tap-find-rev@example.com', 'editor');
SELECT is(pg_temp.rights('tap-find-rev@example.com', :'find_req') || ' | ' || pg_temp.rights('tap-find-rev@example.com', :'get_req'),
          'true/true/true/false true/true/true/false | true/true/true/false',
          'an editor: Delete and Modify too');
SELECT ews_remove_delegate('tap-find@example.com', 'tap-find-rev@example.com');
SELECT is(substring(pg_temp.soap('tap-find-rev@example.com', :'get_req') FROM 'ResponseCode>(\w+)<'),
          'ErrorNonExistentMailbox', 'the grant taken back: the item is not there for the delegate');

SELECT * FROM finish();
ROLLBACK;
