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

-- Database encodings.  EWS carries Unicode text (folder names, subjects) as
-- UTF-8, and every text ews stores must come back as it went in.  A UTF8
-- database stores it as it is; a SQL_ASCII one stores the bytes unchecked,
-- and the functions refuse text that is not UTF-8 there.  Any other encoding
-- would silently lose what it cannot represent (a folder "Résumé" in LATIN1
-- survives, one named in Japanese does not; EUC_JP cannot hold most of
-- Latin-1), so installing or updating ews in one is refused, and the C
-- functions refuse to run in one (src/ews.c).
DO $$
BEGIN
	IF pg_catalog.getdatabaseencoding() NOT IN ('UTF8', 'SQL_ASCII') THEN
		RAISE EXCEPTION 'the ews extension does not support database encoding "%"',
			pg_catalog.getdatabaseencoding()
			USING ERRCODE = 'feature_not_supported',
				DETAIL = 'ews stores Unicode text (folder names, subjects) and must return it unchanged; only UTF8 (and SQL_ASCII, holding UTF-8) databases can.',
				HINT = 'Create a UTF8 database (CREATE DATABASE ... ENCODING ''UTF8'' TEMPLATE template0) and install ews there; move existing mailboxes with pg_dump and pg_restore.';
	END IF;
END
$$;

-- Folder depth: Exchange allows at most 300 levels (its mailbox quota
-- FolderHierarchyDepthReceiveQuota), and so does ews, on create, move and
-- copy.  A move or copy adds the moved subtree's height to the target's
-- depth, so every folder keeps its height: 0 for a folder without
-- subfolders, else one more than its highest subfolder's.  Hierarchy
-- changes keep it exact by walking up from where the tree changed
-- (O(depth), under the hierarchy lock, src/folder.c), so a move stays one
-- row update plus walks, whatever the size of the moved subtree.  The index
-- gives a folder's highest subfolder without reading its siblings.
ALTER TABLE ews.folder ADD COLUMN height integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN ews.folder.height IS
	'0 for a folder without subfolders, else 1 + the greatest height of its subfolders; kept by every hierarchy change';
CREATE INDEX folder_parent_height_idx ON ews.folder (mailbox_id, parent_id, height DESC);

-- Existing trees: every leaf passes its distance up to each ancestor, and
-- each folder keeps the longest (trees deeper than 300, which 0.1 allowed,
-- get their true heights: they keep working, only growing them is refused).
WITH RECURSIVE up(mailbox_id, folder_id, parent_id, h) AS (
	SELECT f.mailbox_id, f.folder_id, f.parent_id, 0
	  FROM ews.folder f
	 WHERE NOT EXISTS (SELECT 1 FROM ews.folder c
	                    WHERE c.mailbox_id = f.mailbox_id AND c.parent_id = f.folder_id)
	UNION ALL
	SELECT p.mailbox_id, p.folder_id, p.parent_id, up.h + 1
	  FROM up JOIN ews.folder p ON p.mailbox_id = up.mailbox_id AND p.folder_id = up.parent_id
)
UPDATE ews.folder f SET height = m.h
  FROM (SELECT mailbox_id, folder_id, pg_catalog.max(h) AS h FROM up GROUP BY mailbox_id, folder_id) m
 WHERE f.mailbox_id = m.mailbox_id AND f.folder_id = m.folder_id AND m.h > 0;

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
