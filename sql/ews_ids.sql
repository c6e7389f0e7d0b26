-- id decoding: every malformed form gets ErrorInvalidIdMalformed with a reason
SELECT ews_folder_id('alice@example.com', 'inbox') AS inbox \gset
SELECT id_case, response_code, message_text
  FROM (VALUES
    ('empty', ''),
    ('not base64', 'AAMk!!!!'),
    ('seed''s shortened id', 'AAMkAGYzZjZmRiUsidkC+NAAAAY89GAAA='),
    ('wrong length', 'AAMkAGYzZjZmRiUsidkC+NAAAAY89GAA'),
    ('truncated', left(:'inbox', 68)),
    ('white space', ' ' || :'inbox'),
    ('wrong storage type', encode(set_byte(decode(:'inbox', 'base64'), 1, 1), 'base64')),
    ('upper-case GUID', encode(set_byte(decode(:'inbox', 'base64'), 4, 70), 'base64')),
    ('unknown kind', encode(set_byte(decode(:'inbox', 'base64'), 43, 7), 'base64'))
  ) AS t(id_case, id),
  LATERAL ews_get_folder(ARRAY[t.id]) g
 ORDER BY id_case;
-- an item id where a folder id belongs
SELECT response_code, message_text
  FROM ews_get_folder(ARRAY[encode(set_byte(decode(:'inbox', 'base64'), 43, 2), 'base64')]);
-- a well-formed id of a mailbox that does not exist: the GUID comes back for MessageXml
SELECT response_code, message_text, mailbox_guid
  FROM ews_get_folder(ARRAY[encode(overlay(decode(:'inbox', 'base64')
         placing convert_to('f3f6f699-2254-40ce-9994-388d9d98419e', 'UTF8') from 5 for 36), 'base64')]);
-- a well-formed id of a folder that does not exist
SELECT response_code, message_text
  FROM ews_get_folder(ARRAY[encode(overlay(decode(:'inbox', 'base64')
         placing '\x7fffffffffffffff'::bytea from 45 for 8), 'base64')]);
-- NULL arrays are programming errors; NULL elements are malformed ids
SELECT * FROM ews_get_folder(NULL);
SELECT response_code FROM ews_get_folder(ARRAY[NULL::text]);
SELECT response_code FROM ews_get_folder('{}');
