/* ews--0.1--0.2.sql: from 0.1 to 0.2 */

\echo Use "ALTER EXTENSION ews UPDATE TO '0.2'" to load this file. \quit

-- There is no ews--0.2.sql: CREATE EXTENSION ews runs ews--0.1.sql and then
-- this file, so a fresh install and an updated 0.1 install are made by the
-- same statements, and test/sh/upgrade.sh checks that they end up equal.
-- Every schema and function change of 0.2 goes here, in the section of its
-- concern.  A statement here must work on an empty 0.1 install and on one
-- holding data (mailboxes, folders, items, grants).

-- ---------------------------------------------------------------------
-- Release engineering
-- ---------------------------------------------------------------------

-- ---------------------------------------------------------------------
-- Access: the acting user, mailbox delegates, provisioning
-- ---------------------------------------------------------------------

-- ---------------------------------------------------------------------
-- Limits: depth, batches, encodings
-- ---------------------------------------------------------------------

-- ---------------------------------------------------------------------
-- Items: article numbers, folder content state, extracted properties
-- ---------------------------------------------------------------------

-- The content state of a folder (src/content.c).  Every content change of a
-- folder (an item created in it, changed, deleted, moved in or out) updates
-- this row first and holds it to the end of its transaction, and takes its
-- change numbers only then: so the item changes of one folder happen in
-- commit order.  That makes article numbers grow in the order items become
-- visible (an IMAP client never sees UID 105 and later a new 104), keeps the
-- counters exact, and lets a sync watermark (the highest change number seen
-- in the folder) never skip a change that commits later.
ALTER TABLE ews.folder
	ADD COLUMN next_article bigint NOT NULL DEFAULT 1,	-- the next PidTagInternetArticleNumber
	ADD COLUMN total_count integer NOT NULL DEFAULT 0,	-- items, associated ones not counted
	ADD COLUMN unread_count integer NOT NULL DEFAULT 0,	-- of those, unread
	ADD COLUMN assoc_count integer NOT NULL DEFAULT 0,	-- associated (FAI) items
	-- PidTagLocalCommitTimeMax (0x670A), DavMail's "ctag": grows by at least
	-- a second with every committed content change (responses carry seconds)
	ADD COLUMN content_changed_at timestamptz NOT NULL DEFAULT pg_catalog.date_trunc('second', pg_catalog.now()),
	ADD COLUMN content_cn bigint NOT NULL DEFAULT 0,	-- change number of the last content change
	ADD CONSTRAINT folder_content_check CHECK (next_article > 0 AND total_count >= 0
		AND unread_count BETWEEN 0 AND total_count AND assoc_count >= 0);

-- Items: the article number, unique in the item's folder and never reused
-- there (a moved or copied item gets a new one); the change numbers with
-- which it arrived in its folder and of its last change that was more than a
-- read-flag change (SyncFolderItems: Create, Update or ReadFlagChange); and
-- the columns extracted from the blob (src/extract.c) that FindItem
-- restricts and sorts on, so that a query over a folder of 100 000 items
-- decodes no blob.  The blob stays the item: the columns are re-derived from
-- it on every write.
ALTER TABLE ews.item
	ADD COLUMN article_number bigint,
	ADD COLUMN created_cn bigint,
	ADD COLUMN content_cn bigint,
	ADD COLUMN last_modified timestamptz,		-- PidTagLastModificationTime 0x3008
	ADD COLUMN sent_at timestamptz,				-- PidTagClientSubmitTime 0x0039
	ADD COLUMN created_at timestamptz,			-- PidTagCreationTime 0x3007, else when stored
	ADD COLUMN message_flags integer,			-- PidTagMessageFlags 0x0E07
	ADD COLUMN flag_status integer,				-- PidTagFlagStatus 0x1090
	ADD COLUMN importance smallint,				-- PidTagImportance 0x0017
	ADD COLUMN sensitivity smallint,			-- PidTagSensitivity 0x0036
	ADD COLUMN has_attachments boolean NOT NULL DEFAULT false,
	ADD COLUMN internet_message_id text,		-- PidTagInternetMessageId 0x1035
	ADD COLUMN from_text text,					-- "Name <address>" of the sender
	ADD COLUMN display_to text,					-- PidTagDisplayTo 0x0E04
	ADD COLUMN display_cc text,					-- PidTagDisplayCc 0x0E03
	ADD COLUMN categories text[],				-- PS_PUBLIC_STRINGS "Keywords" (item:Categories)
	ADD COLUMN imap_deleted integer,			-- PidLidImapDeleted, NULL when absent
	ADD COLUMN headers text,					-- PidTagTransportMessageHeaders 0x007D
	ADD COLUMN body_text text;					-- the body as plain text, for Contains

-- the extraction, callable by the update and by a DBA re-deriving columns
-- after an upgrade that extracts more (not for application roles)
CREATE FUNCTION ews.item_columns(blob bytea,
	OUT item_class text, OUT subject text, OUT size integer, OUT received_at timestamptz,
	OUT is_read boolean, OUT last_modified timestamptz, OUT sent_at timestamptz,
	OUT created_at timestamptz, OUT message_flags integer, OUT flag_status integer,
	OUT importance smallint, OUT sensitivity smallint, OUT has_attachments boolean,
	OUT internet_message_id text, OUT from_text text, OUT display_to text, OUT display_cc text,
	OUT categories text[], OUT imap_deleted integer, OUT headers text, OUT body_text text)
RETURNS record
AS 'MODULE_PATHNAME', 'ews_item_columns_sql'
LANGUAGE C STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews.item_columns(bytea) IS
	'the columns the store extracts from an item blob (src/extract.c); for re-deriving ews.item after an upgrade';
REVOKE ALL ON FUNCTION ews.item_columns(bytea) FROM PUBLIC;

-- existing items: article numbers in the order they were stored, their
-- change numbers, the extracted columns; then the folders' content state
UPDATE ews.item i
   SET article_number = n.article_number, created_cn = i.change_number, content_cn = i.change_number,
       item_class = (n.c).item_class, subject = (n.c).subject, size = (n.c).size,
       received_at = (n.c).received_at, is_read = (n.c).is_read, last_modified = (n.c).last_modified,
       sent_at = (n.c).sent_at, created_at = COALESCE((n.c).created_at, pg_catalog.now()),
       message_flags = (n.c).message_flags, flag_status = (n.c).flag_status,
       importance = (n.c).importance, sensitivity = (n.c).sensitivity,
       has_attachments = (n.c).has_attachments, internet_message_id = (n.c).internet_message_id,
       from_text = (n.c).from_text, display_to = (n.c).display_to, display_cc = (n.c).display_cc,
       categories = (n.c).categories, imap_deleted = (n.c).imap_deleted, headers = (n.c).headers,
       body_text = (n.c).body_text
  FROM (SELECT mailbox_id, item_id, ews.item_columns(blob) AS c,
               pg_catalog.row_number() OVER (PARTITION BY mailbox_id, folder_id ORDER BY item_id) AS article_number
          FROM ews.item) n
 WHERE n.mailbox_id = i.mailbox_id AND n.item_id = i.item_id;
UPDATE ews.folder f
   SET next_article = s.n + 1, total_count = s.total, unread_count = s.unread, assoc_count = s.assoc,
       content_cn = s.cn
  FROM (SELECT mailbox_id, folder_id, pg_catalog.count(*) AS n,
               pg_catalog.count(*) FILTER (WHERE NOT is_associated) AS total,
               pg_catalog.count(*) FILTER (WHERE NOT is_associated AND NOT is_read) AS unread,
               pg_catalog.count(*) FILTER (WHERE is_associated) AS assoc,
               pg_catalog.max(change_number) AS cn
          FROM ews.item GROUP BY mailbox_id, folder_id) s
 WHERE s.mailbox_id = f.mailbox_id AND s.folder_id = f.folder_id;
ALTER TABLE ews.item
	ALTER COLUMN article_number SET NOT NULL,
	ALTER COLUMN created_cn SET NOT NULL,
	ALTER COLUMN content_cn SET NOT NULL,
	ALTER COLUMN created_at SET NOT NULL,
	ADD CONSTRAINT item_article_number_check CHECK (article_number > 0);
-- article numbers are unique per folder; the index also serves "the items of
-- a folder" (so the 0.1 index on (mailbox_id, folder_id) goes) and FindItem
-- sorted by article number, as DavMail pages its folders
CREATE UNIQUE INDEX item_article_key ON ews.item (mailbox_id, folder_id, article_number);
DROP INDEX ews.item_folder_idx;

-- An item that left a folder (deleted, or moved out): what SyncFolderItems
-- reports as t:Delete to a client whose state predates change_number.
-- Written in the transaction of the removal; trimmed by the sync policy.
CREATE TABLE ews.item_tombstone (
	mailbox_id    uuid NOT NULL,
	folder_id     bigint NOT NULL,
	item_id       bigint NOT NULL,
	change_number bigint NOT NULL,	-- the change that removed it
	created_cn    bigint NOT NULL,	-- the change with which it had arrived
	is_associated boolean NOT NULL,
	removed_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (mailbox_id, folder_id, change_number, item_id),
	FOREIGN KEY (mailbox_id, folder_id) REFERENCES ews.folder (mailbox_id, folder_id) ON DELETE CASCADE
);
SELECT pg_catalog.pg_extension_config_dump('ews.item_tombstone', '');

-- ---------------------------------------------------------------------
-- FindItem, GetItem
-- ---------------------------------------------------------------------

-- FindItem without a sort order shows the newest first, as Exchange's
-- default view does; exchangelib's order_by('-datetime_received') asks for
-- the same.  One index serves both directions (a backward scan), with the
-- article number as the tie-breaker that makes pages stable.  Sorting by
-- article number (DavMail, IMAP UIDs) uses item_article_key.
CREATE INDEX item_received_idx ON ews.item (mailbox_id, folder_id, is_associated, received_at, article_number);

-- The slow path of restrictions and sort orders: a property without an
-- extracted column read from each row's blob (src/finditem.c).  By tag
-- (guid NULL), or named: tag is then the MAPI type alone, with the property
-- set's GUID (MAPI byte order) and a LID or a name.  NULL when the item does
-- not have the property.  Internal: the store calls them as the tables'
-- owner; no role is granted EXECUTE.
CREATE FUNCTION ews.prop_exists(blob bytea, tag integer, guid bytea, lid bigint, name text)
RETURNS boolean AS 'MODULE_PATHNAME', 'ews_prop_exists_sql'
LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION ews.prop_text(blob bytea, tag integer, guid bytea, lid bigint, name text)
RETURNS text AS 'MODULE_PATHNAME', 'ews_prop_text_sql'
LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION ews.prop_int8(blob bytea, tag integer, guid bytea, lid bigint, name text)
RETURNS bigint AS 'MODULE_PATHNAME', 'ews_prop_int8_sql'
LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION ews.prop_bool(blob bytea, tag integer, guid bytea, lid bigint, name text)
RETURNS boolean AS 'MODULE_PATHNAME', 'ews_prop_bool_sql'
LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION ews.prop_time(blob bytea, tag integer, guid bytea, lid bigint, name text)
RETURNS timestamptz AS 'MODULE_PATHNAME', 'ews_prop_time_sql'
LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION ews.prop_float8(blob bytea, tag integer, guid bytea, lid bigint, name text)
RETURNS double precision AS 'MODULE_PATHNAME', 'ews_prop_float8_sql'
LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION ews.prop_bytea(blob bytea, tag integer, guid bytea, lid bigint, name text)
RETURNS bytea AS 'MODULE_PATHNAME', 'ews_prop_bytea_sql'
LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION ews.prop_texts(blob bytea, tag integer, guid bytea, lid bigint, name text)
RETURNS text[] AS 'MODULE_PATHNAME', 'ews_prop_texts_sql'
LANGUAGE C IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews.prop_exists(bytea, integer, bytea, bigint, text) IS
	'FindItem''s slow path: does the item blob have this property (by tag, or named by set and LID or name)';
COMMENT ON FUNCTION ews.prop_text(bytea, integer, bytea, bigint, text) IS
	'FindItem''s slow path: a string property of an item blob, NULL when absent';
COMMENT ON FUNCTION ews.prop_int8(bytea, integer, bytea, bigint, text) IS
	'FindItem''s slow path: an integer property (PT_SHORT, PT_LONG, PT_I8, PT_CURRENCY, PT_ERROR) of an item blob, NULL when absent';
COMMENT ON FUNCTION ews.prop_bool(bytea, integer, bytea, bigint, text) IS
	'FindItem''s slow path: a boolean property of an item blob, NULL when absent';
COMMENT ON FUNCTION ews.prop_time(bytea, integer, bytea, bigint, text) IS
	'FindItem''s slow path: a PT_SYSTIME property of an item blob, NULL when absent or out of range';
COMMENT ON FUNCTION ews.prop_float8(bytea, integer, bytea, bigint, text) IS
	'FindItem''s slow path: a floating-point property (PT_FLOAT, PT_DOUBLE, PT_APPTIME) of an item blob, NULL when absent';
COMMENT ON FUNCTION ews.prop_bytea(bytea, integer, bytea, bigint, text) IS
	'FindItem''s slow path: a PT_BINARY property of an item blob, NULL when absent';
COMMENT ON FUNCTION ews.prop_texts(bytea, integer, bytea, bigint, text) IS
	'FindItem''s slow path: a PT_MV_UNICODE property of an item blob (Keywords), NULL when absent';
REVOKE ALL ON FUNCTION ews.prop_exists(bytea, integer, bytea, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ews.prop_text(bytea, integer, bytea, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ews.prop_int8(bytea, integer, bytea, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ews.prop_bool(bytea, integer, bytea, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ews.prop_time(bytea, integer, bytea, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ews.prop_float8(bytea, integer, bytea, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ews.prop_bytea(bytea, integer, bytea, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ews.prop_texts(bytea, integer, bytea, bigint, text) FROM PUBLIC;

-- The SQL twins of FindItem and GetItem (src/sqlface_items.c): typed rows,
-- the same store core as ews_soap.  ews_find_items: the items of a folder,
-- one row each in view order, or one error row when the folder, the view or
-- the restriction cannot be used.  ews_get_items: one row per id, in order.
CREATE FUNCTION ews_find_items(
	parent_folder_id text, traversal text DEFAULT 'Shallow', restriction text DEFAULT NULL,
	sort_order text[] DEFAULT NULL, page_offset integer DEFAULT 0, max_entries integer DEFAULT NULL,
	base_point text DEFAULT 'Beginning',
	OUT item_id text, OUT change_key text,
	OUT item_class text, OUT subject text, OUT received_at timestamptz, OUT sent_at timestamptz,
	OUT created_at timestamptz, OUT last_modified timestamptz, OUT size integer, OUT is_read boolean,
	OUT importance text, OUT sensitivity text, OUT has_attachments boolean, OUT from_text text,
	OUT display_to text, OUT display_cc text, OUT internet_message_id text, OUT categories text[],
	OUT message_flags integer, OUT flag_status integer, OUT imap_deleted integer,
	OUT article_number bigint, OUT is_associated boolean,
	OUT total_items_in_view integer, OUT includes_last_item_in_range boolean,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_find_items_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_find_items(text, text, text, text[], integer, integer, text) IS
	'FindItem: the items of a folder (Shallow or Associated), restricted by an EWS search expression, sorted by FieldURIs, one page; one error row if the folder, view or restriction cannot be used';

CREATE FUNCTION ews_get_items(
	item_ids text[], change_keys text[] DEFAULT NULL,
	OUT item_id text, OUT change_key text, OUT parent_folder_id text, OUT parent_change_key text,
	OUT item_class text, OUT subject text, OUT received_at timestamptz, OUT sent_at timestamptz,
	OUT created_at timestamptz, OUT last_modified timestamptz, OUT size integer, OUT is_read boolean,
	OUT importance text, OUT sensitivity text, OUT has_attachments boolean, OUT from_text text,
	OUT display_to text, OUT display_cc text, OUT internet_message_id text, OUT categories text[],
	OUT message_flags integer, OUT flag_status integer, OUT imap_deleted integer,
	OUT article_number bigint, OUT is_associated boolean,
	OUT headers text, OUT body text, OUT body_type text, OUT text_body text, OUT sender text,
	OUT to_recipients text[], OUT cc_recipients text[], OUT bcc_recipients text[], OUT reply_to text[],
	OUT in_reply_to text, OUT "references" text, OUT mime bytea,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_get_items_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_get_items(text[], text[]) IS
	'GetItem: one row per id, in order, with the item''s properties, its message''s header block, body (HTML when it has one, and as text), addresses and MIME, or an EWS error';
REVOKE EXECUTE ON FUNCTION ews_find_items(text, text, text, text[], integer, integer, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_get_items(text[], text[]) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- Item writes: CreateItem, UpdateItem, DeleteItem, MoveItem, CopyItem,
-- UpdateFolder, EmptyFolder
-- ---------------------------------------------------------------------

-- The SQL twins of the item and folder writes (src/sqlface_itemwrite.c):
-- the same store core as ews_soap (src/itemwrite.c, src/itemedit.c,
-- src/folder.c).  One row per input, in input order; a failure of one input
-- is a row with its EWS code.  Items and updates are written as the EWS XML
-- a SOAP request holds (prefix t: bound to the types namespace), read by the
-- SOAP face's own readers: <t:Message>...</t:Message> for an item,
-- <t:SetItemField>...</t:SetItemField><t:DeleteItemField>... for changes.
CREATE FUNCTION ews_create_items(
	parent_folder_id text, items text[] DEFAULT NULL, mime bytea[] DEFAULT NULL,
	OUT item_id text, OUT change_key text,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_create_items_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_create_items(text, text[], bytea[]) IS
	'CreateItem (SaveOnly) into a folder: each item from its EWS XML (<t:Message>...</t:Message>), from its RFC 5322 message (mime), or both (the message, its properties overridden); one row per item, in order';

CREATE FUNCTION ews_update_items(
	item_ids text[], updates text[], change_keys text[] DEFAULT NULL,
	conflict_resolution text DEFAULT 'AutoResolve',
	OUT item_id text, OUT change_key text,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_update_items_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_update_items(text[], text[], text[], text) IS
	'UpdateItem: for each item its changes as EWS XML (t:SetItemField, t:AppendToItemField, t:DeleteItemField); the id kept, a new change key; NeverOverwrite refuses a change key that is not current';

CREATE FUNCTION ews_delete_items(
	item_ids text[], delete_type text DEFAULT 'HardDelete',
	OUT item_id text,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_delete_items_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_delete_items(text[], text) IS
	'DeleteItem: HardDelete removes the items, SoftDelete moves them into recoverableitemsdeletions, MoveToDeletedItems into deleteditems (new ids); one row per id';

CREATE FUNCTION ews_move_items(
	to_folder_id text, item_ids text[],
	OUT item_id text, OUT change_key text,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_move_items_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_move_items(text, text[]) IS
	'MoveItem: each item into the folder under a new id and article number (the old id is gone); one row per id with the new id';

CREATE FUNCTION ews_copy_items(
	to_folder_id text, item_ids text[],
	OUT item_id text, OUT change_key text,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_copy_items_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_copy_items(text, text[]) IS
	'CopyItem: a copy of each item in the folder; one row per id with the copy''s id';

CREATE FUNCTION ews_update_folders(
	folder_ids text[], updates text[],
	OUT folder_id text, OUT change_key text,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_update_folders_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_update_folders(text[], text[]) IS
	'UpdateFolder: for each folder its changes as EWS XML (t:SetFolderField of folder:DisplayName or folder:FolderClass, t:DeleteFolderField); the id kept, a new change key';

CREATE FUNCTION ews_empty_folders(
	folder_ids text[], delete_type text DEFAULT 'HardDelete', delete_subfolders boolean DEFAULT false,
	OUT folder_id text,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_empty_folders_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_empty_folders(text[], text, boolean) IS
	'EmptyFolder: the items of each folder deleted the delete type''s way, and with delete_subfolders its subfolders too';

REVOKE EXECUTE ON FUNCTION ews_create_items(text, text[], bytea[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_update_items(text[], text[], text[], text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_delete_items(text[], text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_move_items(text, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_copy_items(text, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_update_folders(text[], text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_empty_folders(text[], text, boolean) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- Sync: SyncFolderHierarchy, SyncFolderItems, tombstones
-- ---------------------------------------------------------------------

-- ---------------------------------------------------------------------
-- Scale-out
-- ---------------------------------------------------------------------
