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
