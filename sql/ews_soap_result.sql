-- ews_soap's result row: the same row in FROM (the form users write) and in
-- the select list, one row per call, and in FROM a response far larger than
-- work_mem stays in memory (no temporary file: log_temp_files would say so)
\set ECHO none
\i test/blob_helpers.sql
\set ECHO all
SELECT ews_create_mailbox('result@example.com') IS NOT NULL AS created;
CREATE TEMP TABLE big AS
  SELECT array_agg(item_id ORDER BY o) AS ids
    FROM ews_upload_items(array_fill(ews_folder_id('result@example.com', 'inbox'), ARRAY[4]),
                          array_fill(pg_temp.big_blob('IPM.Note', '\x0123456789abcdef'::bytea, 65536), ARRAY[4]))
         WITH ORDINALITY u(item_id, change_key, a, b, c, d, o);
CREATE TEMP TABLE req AS SELECT
  '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
  ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"'
  ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">'
  '<soap:Body><m:ExportItems><m:ItemIds>'
  || (SELECT string_agg(format('<t:ItemId Id="%s"/>', i), '') FROM big, unnest(ids) i)
  || '</m:ItemIds></m:ExportItems></soap:Body></soap:Envelope>' AS r;

SET work_mem = '64kB';
SET log_temp_files = 0;
-- only that LOG message may reach the client, whatever the cluster logs
SET log_statement = 'none';
SET log_duration = off;
SET log_min_duration_statement = -1;
SET client_min_messages = log;
-- 4 items of 512 KiB: about 2.8 MB of response, 44 times work_mem
SELECT status, octet_length(response) > 2700000 AS big,
       (SELECT count(*) FROM regexp_matches(response, 'ResponseClass="Success"', 'g')) AS success
  FROM ews_soap((SELECT r FROM req));
-- the same bytes both ways
SELECT f.status = (s.r).status AS same_status, md5(f.response) = md5((s.r).response) AS same_response
  FROM ews_soap((SELECT r FROM req)) f,
       (SELECT ews_soap((SELECT r FROM req)) AS r OFFSET 0) s;
-- a function scan that is rescanned: one row per call, each its own response
SELECT g, status, response LIKE '%root element is x' || g || '.%' AS its_own
  FROM generate_series(1, 3) g, ews_soap('<x' || g || '/>')
 ORDER BY g;
-- in the select list: one row, the fields as before
SELECT (ews_soap('<x/>')).status;
SELECT count(*) FROM (SELECT ews_soap('<x/>')) s;
RESET client_min_messages;
RESET log_temp_files;
RESET log_statement;
RESET log_duration;
RESET log_min_duration_statement;
RESET work_mem;
SELECT ews_drop_mailbox('result@example.com');
