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

-- ews_soap returns SETOF record (always one row).  In FROM, where users write
-- it (SELECT * FROM ews_soap(...)), it then hands the executor its row in a
-- tuplestore sized to keep the row in memory; PostgreSQL takes a tuplestore
-- only from a set-returning function.  As a plain function its row went into
-- a tuplestore of work_mem, and a response of a few megabytes (ExportItems)
-- spilled to a temporary file.  A function's set-ness cannot be altered, so it
-- is dropped and made again (with a new C symbol; 0.1's stays for the old
-- declaration).  EXECUTE stays granted to PUBLIC, as in 0.1: the function
-- checks the calling role's access to every mailbox itself.
DROP FUNCTION @extschema@.ews_soap(text, text);
CREATE FUNCTION @extschema@.ews_soap(request text, mailbox text DEFAULT NULL,
	OUT status integer, OUT response text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_soap_0_2'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.ews_soap(text, text) IS
	'the SOAP adapter: an EWS request envelope in; one row with the HTTP status (200, or 500 for a SOAP fault) and the response envelope';

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
