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

-- ---------------------------------------------------------------------
-- Sync: SyncFolderHierarchy, SyncFolderItems, tombstones
-- ---------------------------------------------------------------------

-- ---------------------------------------------------------------------
-- Scale-out
-- ---------------------------------------------------------------------
