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
