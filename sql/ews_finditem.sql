-- FindItem and GetItem through their SQL twins: the typed rows, the
-- restriction and sort order arguments, and the error texts
SET timezone = 'UTC';
SELECT ews_create_mailbox('find@example.com', 'Find') IS NOT NULL AS created;
SELECT ews_folder_id('find@example.com', 'inbox') AS inbox \gset
SELECT count(*) AS delivered FROM (
  SELECT ews_create_item(:'inbox', convert_to(m, 'UTF8')) FROM (VALUES
    (E'From: Alice Example <alice@example.com>\r\nTo: Bob <bob@example.com>, carol@example.com\r\nCc: Dan <dan@example.com>\r\nSubject: Quarterly report\r\nDate: Sat, 10 Jan 2026 09:00:00 +0000\r\nMessage-ID: <q1@example.com>\r\nImportance: high\r\nKeywords: Work, Reports\r\n\r\nThe numbers.\r\n'),
    (E'From: bob@example.com\r\nTo: alice@example.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nDate: Sun, 15 Feb 2026 12:30:00 +0100\r\nMessage-ID: <g1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hallo <b>Welt</b></p>\r\n'),
    (E'From: "Carol C." <carol@example.com>\r\nSubject: lunch\r\nDate: Fri, 20 Mar 2026 11:00:00 +0000\r\n\r\nNoon?\r\n')) v(m)) s;

-- the items, newest first (the default), typed
SELECT subject, received_at, sent_at, size > 0 AS has_size, is_read, importance, sensitivity,
       has_attachments, from_text, display_to, display_cc, internet_message_id, categories,
       message_flags, article_number, is_associated, total_items_in_view, includes_last_item_in_range,
       response_code
  FROM ews_find_items(:'inbox');
-- a page: the second of two, by subject
SELECT subject, article_number, total_items_in_view, includes_last_item_in_range
  FROM ews_find_items(:'inbox', sort_order => '{"item:Subject ASC"}', page_offset => 2, max_entries => 2);
-- from the end
SELECT subject FROM ews_find_items(:'inbox', sort_order => '{0x0E230003}', max_entries => 2, base_point => 'End');
-- restrictions
SELECT subject FROM ews_find_items(:'inbox', restriction =>
  '<t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="item:Body"/><t:Constant Value="WELT"/></t:Contains>');
SELECT subject FROM ews_find_items(:'inbox', restriction =>
  '<t:IsEqualTo><t:FieldURI FieldURI="item:Categories"/><t:FieldURIOrConstant><t:Constant Value="reports"/></t:FieldURIOrConstant></t:IsEqualTo>');
SELECT subject FROM ews_find_items(:'inbox', restriction =>
  '<t:And><t:IsGreaterThan><t:FieldURI FieldURI="item:DateTimeReceived"/><t:FieldURIOrConstant><t:Constant Value="2026-02-01T00:00:00Z"/></t:FieldURIOrConstant></t:IsGreaterThan><t:Not><t:Exists><t:FieldURI FieldURI="message:InternetMessageId"/></t:Exists></t:Not></t:And>');
-- per-folder errors are one row
SELECT response_class, response_code, message_text FROM ews_find_items(:'inbox', restriction =>
  '<t:IsGreaterThan><t:FieldURI FieldURI="item:DateTimeReceived"/><t:FieldURIOrConstant><t:Constant Value="last week"/></t:FieldURIOrConstant></t:IsGreaterThan>');
SELECT response_code, message_text FROM ews_find_items(:'inbox', restriction =>
  '<t:Contains><t:FieldURI FieldURI="item:Attachments"/><t:Constant Value="x"/></t:Contains>');
SELECT response_code, message_text FROM ews_find_items(:'inbox', sort_order => '{"item:Categories DESC"}');
SELECT response_code, message_text FROM ews_find_items(:'inbox', page_offset => -1);
SELECT response_code, message_text FROM ews_find_items('AAMkAGYzZjZmRiUsidkC+NAAAAY89GAAA=');
-- bad arguments raise
SELECT * FROM ews_find_items(:'inbox', 'Deep');
SELECT * FROM ews_find_items(:'inbox', restriction => '<t:IsEqualTo>');
SELECT * FROM ews_find_items(:'inbox', restriction => '<t:Between/>');
SELECT * FROM ews_find_items(:'inbox', restriction => '<!DOCTYPE x><t:Exists/>');
SELECT * FROM ews_find_items(:'inbox', sort_order => '{"item:Subject SIDEWAYS"}');
SELECT * FROM ews_find_items(:'inbox', sort_order => '{0x80010003}');

-- GetItem: what the message holds
SELECT subject, headers LIKE 'From: Alice%' AS headers_as_sent, body, body_type, text_body, sender,
       to_recipients, cc_recipients, length(mime) AS mime_bytes, response_code
  FROM ews_get_items(ARRAY(SELECT item_id FROM ews_find_items(:'inbox', sort_order => '{0x0E230003}')));
SELECT response_class, response_code, message_text FROM ews_get_items(ARRAY['bogus', :'inbox']);
SELECT * FROM ews_get_items(NULL);
