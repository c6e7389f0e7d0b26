#!/usr/bin/env bash
# bench/find_items.sh: FindItem and GetItem, measured as ratios against
# baselines from the same run, in a throwaway cluster (pg_virtualenv).
#
#   FindItem: a page of 100 (IndexedPageItemView MaxEntriesReturned 100,
#     Offset 0) through ews_soap, from a folder of 100 000 items against the
#     same request on a folder of 100 items, sorted two ways:
#       - by item:DateTimeReceived descending, Default shape (exchangelib's
#         order_by('-datetime_received'), Exchange's default view);
#       - by the article number 0xe23 ascending, IdOnly plus 0xe23, 0xe06,
#         0xe08 and message:IsRead (DavMail's SELECT, as it pages a folder);
#     and the same two through the SQL twin ews_find_items.
#   GetItem: 100 small items (about 1 KiB of MIME each) through ews_soap,
#     in three shapes: IdOnly + IncludeMimeContent (DavMail's FETCH BODY[]);
#     IdOnly + the summary (subject, dates, size, sender, read flag: what
#     exchangelib's only() and the EWS Managed API's summary ask, answered
#     from the columns); and Default (body, attachments and recipients, read
#     from each item's message) -- each against ExportItems of the same 100
#     items through ews_soap.
# Each figure is the median of BENCH_RUNS runs (default 31) after one warm-up,
# timed inside the server with clock_timestamp(); the two requests of a
# comparison run alternately, so that both see the same machine load.  The
# SOAP calls are made in the select list (the recommended form), and the
# response is measured (length), so that it is built whole.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--in-cluster" ]; then
	. test/deps.sh
	ews_install_deps
	make -s
	ews_in_cluster bash "$0" --in-cluster
	exit
fi

runs="${BENCH_RUNS:-31}"
big="${BENCH_BIG:-100000}"
psql -X -q -v ON_ERROR_STOP=1 -v runs="$runs" -v big="$big" <<'SQL'
CREATE EXTENSION ews;
SELECT ews_create_mailbox('bench@example.com') AS mb \gset
SELECT ews_folder_id('bench@example.com', 'inbox') AS inbox \gset
SELECT folder_id AS bigf FROM ews_create_folder(:'inbox', 'Big') \gset
SELECT folder_id AS smallf FROM ews_create_folder(:'inbox', 'Small') \gset

-- items as a delivery agent stores them: small messages, dates spread over
-- three years and not in arrival order
CREATE FUNCTION pg_temp.msg(n int) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT convert_to(format(
		E'From: Sender %s <sender%s@example.com>\r\nTo: Bench <bench@example.com>\r\n'
		 'Subject: Message number %s about %s\r\nDate: %s\r\nMessage-ID: <bench%s@example.com>\r\n'
		 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n',
		n % 97, n % 97, n, md5(n::text), to_char(timestamptz '2023-01-01 00:00:00+00'
		 + ((n::bigint * 7919) % 94608000) * interval '1 second', 'Dy, DD Mon YYYY HH24:MI:SS +0000'),
		n, repeat('All work and no play. ', 30)), 'UTF8')
$$;
-- in transactions of 1 000, as a delivery agent stores them (one transaction of
-- 100 000 writes would grow the folder row's update chain all the way)
SELECT clock_timestamp() AS t0 \gset
\o /dev/null
SELECT format('SELECT count(*) FROM (SELECT ews_create_item(%L, pg_temp.msg(g)) FROM generate_series(%s, %s) g) s',
              :'bigf', b * 1000 + 1, least((b + 1) * 1000, :big))
  FROM generate_series(0, (:big - 1) / 1000) b \gexec
\o
SELECT total_items_in_view AS "items in Big",
       round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 1) AS "seconds to store them"
  FROM ews_find_items(:'bigf', max_entries => 1);
SELECT count(*) AS "items in Small" FROM (SELECT ews_create_item(:'smallf', pg_temp.msg(g)) FROM generate_series(1, 100) g) s;
VACUUM ANALYZE ews.item;
VACUUM ANALYZE ews.folder;

CREATE FUNCTION pg_temp.env(body text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT '<?xml version="1.0" encoding="utf-8"?><soap:Envelope'
	    || ' xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
	    || ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"'
	    || ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">'
	    || '<soap:Header><t:RequestServerVersion Version="Exchange2013_SP1"/></soap:Header><soap:Body>'
	    || body || '</soap:Body></soap:Envelope>'
$$;
CREATE FUNCTION pg_temp.find_by_date(folder text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT pg_temp.env('<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
		|| '<m:IndexedPageItemView MaxEntriesReturned="100" Offset="0" BasePoint="Beginning"/>'
		|| '<m:SortOrder><t:FieldOrder Order="Descending"><t:FieldURI FieldURI="item:DateTimeReceived"/></t:FieldOrder></m:SortOrder>'
		|| '<m:ParentFolderIds><t:FolderId Id="' || folder || '"/></m:ParentFolderIds></m:FindItem>')
$$;
CREATE FUNCTION pg_temp.find_by_article(folder text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT pg_temp.env('<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
		|| '<t:AdditionalProperties><t:ExtendedFieldURI PropertyTag="0xe23" PropertyType="Integer"/>'
		|| '<t:ExtendedFieldURI PropertyTag="0xe06" PropertyType="SystemTime"/>'
		|| '<t:ExtendedFieldURI PropertyTag="0xe08" PropertyType="Integer"/>'
		|| '<t:FieldURI FieldURI="message:IsRead"/></t:AdditionalProperties></m:ItemShape>'
		|| '<m:IndexedPageItemView MaxEntriesReturned="100" Offset="0" BasePoint="Beginning"/>'
		|| '<m:SortOrder><t:FieldOrder Order="Ascending"><t:ExtendedFieldURI PropertyTag="0xe23" PropertyType="Integer"/></t:FieldOrder></m:SortOrder>'
		|| '<m:ParentFolderIds><t:FolderId Id="' || folder || '"/></m:ParentFolderIds></m:FindItem>')
$$;
CREATE FUNCTION pg_temp.item_ids(ids text[]) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT string_agg('<t:ItemId Id="' || i || '"/>', '' ORDER BY o) FROM unnest(ids) WITH ORDINALITY u(i, o)
$$;

-- the median wall times (ms) of qa and qb (one argument each, $1), over runs
-- runs each after one warm-up, alternating
CREATE FUNCTION pg_temp.median_ms(qa text, a text, qb text, b text, runs int, OUT a_ms numeric, OUT b_ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
	ta numeric[] := '{}';
	tb numeric[] := '{}';
	t timestamptz;
	n bigint;
BEGIN
	FOR i IN 0..runs LOOP
		t := clock_timestamp();
		EXECUTE qa INTO n USING a;
		IF i > 0 THEN ta := ta || (extract(epoch FROM clock_timestamp() - t) * 1000)::numeric; END IF;
		t := clock_timestamp();
		EXECUTE qb INTO n USING b;
		IF i > 0 THEN tb := tb || (extract(epoch FROM clock_timestamp() - t) * 1000)::numeric; END IF;
	END LOOP;
	a_ms := (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(ta) v);
	b_ms := (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(tb) v);
END $$;

CREATE TEMP TABLE result (what text, a text, a_ms numeric, b text, b_ms numeric);
\set soap 'SELECT octet_length((ews_soap($1)).response)'
-- each request must be a success before it is timed
SELECT bool_and((ews_soap(r)).status = 200 AND (ews_soap(r)).response LIKE '%NoError%'
                AND (ews_soap(r)).response NOT LIKE '%ResponseClass="Error"%') AS "all requests succeed"
  FROM unnest(ARRAY[pg_temp.find_by_date(:'bigf'), pg_temp.find_by_article(:'bigf')]) r;

INSERT INTO result SELECT 'FindItem, 100 by DateTimeReceived desc (SOAP, Default)', '100 000 items', a_ms, '100 items', b_ms
  FROM pg_temp.median_ms(:'soap', pg_temp.find_by_date(:'bigf'), :'soap', pg_temp.find_by_date(:'smallf'), :runs);
INSERT INTO result SELECT 'FindItem, 100 by article number (SOAP, DavMail''s shape)', '100 000 items', a_ms, '100 items', b_ms
  FROM pg_temp.median_ms(:'soap', pg_temp.find_by_article(:'bigf'), :'soap', pg_temp.find_by_article(:'smallf'), :runs);
INSERT INTO result SELECT 'ews_find_items, 100 by DateTimeReceived desc', '100 000 items', a_ms, '100 items', b_ms
  FROM pg_temp.median_ms('SELECT count(*) FROM ews_find_items($1, sort_order => ''{"item:DateTimeReceived DESC"}'', max_entries => 100)', :'bigf',
                         'SELECT count(*) FROM ews_find_items($1, sort_order => ''{"item:DateTimeReceived DESC"}'', max_entries => 100)', :'smallf', :runs);
INSERT INTO result SELECT 'ews_find_items, 100 by article number', '100 000 items', a_ms, '100 items', b_ms
  FROM pg_temp.median_ms('SELECT count(*) FROM ews_find_items($1, sort_order => ''{0x0E230003}'', max_entries => 100)', :'bigf',
                         'SELECT count(*) FROM ews_find_items($1, sort_order => ''{0x0E230003}'', max_entries => 100)', :'smallf', :runs);

SELECT array_agg(item_id) AS ids FROM ews_find_items(:'smallf') \gset
INSERT INTO result SELECT 'GetItem of 100 small items (SOAP, Default)', 'GetItem', a_ms, 'ExportItems', b_ms
  FROM pg_temp.median_ms(:'soap', pg_temp.env('<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds>'
                                               || pg_temp.item_ids(:'ids') || '</m:ItemIds></m:GetItem>'),
                         :'soap', pg_temp.env('<m:ExportItems><m:ItemIds>' || pg_temp.item_ids(:'ids') || '</m:ItemIds></m:ExportItems>'),
                         :runs);
INSERT INTO result SELECT 'GetItem of 100 small items (SOAP, IdOnly + summary)', 'GetItem', a_ms, 'ExportItems', b_ms
  FROM pg_temp.median_ms(:'soap', pg_temp.env('<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>'
                                               || '<t:FieldURI FieldURI="item:Subject"/><t:FieldURI FieldURI="item:DateTimeReceived"/>'
                                               || '<t:FieldURI FieldURI="item:DateTimeSent"/><t:FieldURI FieldURI="item:Size"/>'
                                               || '<t:FieldURI FieldURI="message:From"/><t:FieldURI FieldURI="message:IsRead"/>'
                                               || '<t:FieldURI FieldURI="item:HasAttachments"/></t:AdditionalProperties>'
                                               || '</m:ItemShape><m:ItemIds>' || pg_temp.item_ids(:'ids') || '</m:ItemIds></m:GetItem>'),
                         :'soap', pg_temp.env('<m:ExportItems><m:ItemIds>' || pg_temp.item_ids(:'ids') || '</m:ItemIds></m:ExportItems>'),
                         :runs);
INSERT INTO result SELECT 'GetItem of 100 small items (SOAP, IdOnly + MimeContent)', 'GetItem', a_ms, 'ExportItems', b_ms
  FROM pg_temp.median_ms(:'soap', pg_temp.env('<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
                                               || '<t:IncludeMimeContent>true</t:IncludeMimeContent></m:ItemShape><m:ItemIds>'
                                               || pg_temp.item_ids(:'ids') || '</m:ItemIds></m:GetItem>'),
                         :'soap', pg_temp.env('<m:ExportItems><m:ItemIds>' || pg_temp.item_ids(:'ids') || '</m:ItemIds></m:ExportItems>'),
                         :runs);

\echo
SELECT what, a, round(a_ms, 2) AS "ms", b, round(b_ms, 2) AS "ms ", round(a_ms / b_ms, 2) AS ratio FROM result;
SQL
