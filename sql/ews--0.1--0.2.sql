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
-- declaration).  Who may execute it is decided with every other function's
-- EXECUTE in the Access section below.
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

-- Mailbox delegates: the owner of mailbox_id made the user of delegate_id a
-- reviewer (reads folders and items) or an editor (reads and changes them).
-- A grant counts when a request acts for that user (src/store.c).  Keyed so
-- that folder-level permissions fit later: folder_id NULL is the whole
-- mailbox; a later version drops mailbox_delegate_mailbox_wide, adds
-- FOREIGN KEY (mailbox_id, folder_id) REFERENCES ews.folder ON DELETE
-- CASCADE and stores one row per folder, the unique key staying as it is.
CREATE TABLE ews.mailbox_delegate (
	mailbox_id  uuid NOT NULL REFERENCES ews.mailbox ON DELETE CASCADE,
	delegate_id uuid NOT NULL REFERENCES ews.mailbox ON DELETE CASCADE,
	folder_id   bigint,
	permission  text NOT NULL CHECK (permission IN ('reviewer', 'editor')),
	granted_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT mailbox_delegate_key UNIQUE NULLS NOT DISTINCT (mailbox_id, delegate_id, folder_id),
	CONSTRAINT mailbox_delegate_mailbox_wide CHECK (folder_id IS NULL),
	CONSTRAINT mailbox_delegate_not_self CHECK (delegate_id OPERATOR(pg_catalog.<>) mailbox_id)
);
-- "which mailboxes delegated to U", and the cascade when U's mailbox is dropped
CREATE INDEX mailbox_delegate_delegate_idx ON ews.mailbox_delegate (delegate_id);
SELECT pg_catalog.pg_extension_config_dump('ews.mailbox_delegate', '');

-- The role whose members administer every mailbox, recorded once, instead
-- of whatever role is called ews_admin at the time of a call.  Not
-- registered with pg_extension_config_dump: its one row is made by this
-- script, also when pg_restore runs CREATE EXTENSION (with the checks
-- below), and a dumped copy would collide with it.
CREATE TABLE ews.admin_role (
	role pg_catalog.regrole NOT NULL
);
CREATE UNIQUE INDEX admin_role_one_row ON ews.admin_role ((true));

-- ews_admin and ews_user.  Roles are cluster-wide, so either may exist
-- already: from an ews install in another database of this cluster (then
-- it carries the comment below, the mark), from pg_dumpall's roles, or made
-- by someone else for another purpose.  ews_admin's members administer
-- every mailbox, and ews_user is granted to every role that uses one, so a
-- role that would hand those roles more than that (login, privileged
-- attributes, memberships, objects or privileges, and for ews_admin
-- members) is not adopted on a fresh install.  On an update from 0.1, the
-- ews_admin 0.1 used is kept as it is: existing grants must keep working.
--
-- A fresh install (CREATE EXTENSION runs ews--0.1.sql, then this file) and
-- an update from 0.1 are told apart by when ews.mailbox joined the
-- extension: in this same (sub)transaction as ews.admin_role just did, or
-- long before.  pg_depend rows are inserted and deleted, never updated, so
-- no other section's ALTER can blur that.
DO $access$
DECLARE
	admin_mark constant text := 'administers every mailbox of the ews extension (made by CREATE EXTENSION ews)';
	user_mark constant text := 'may call the user functions of the ews extension, which check access per mailbox (made by CREATE EXTENSION ews)';
	fresh boolean;
	r record;
	admin oid;
	problems text[];
BEGIN
	SELECT a.xmin OPERATOR(pg_catalog.=) b.xmin INTO STRICT fresh
	  FROM pg_catalog.pg_depend a, pg_catalog.pg_depend b
	 WHERE a.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
	   AND a.objid = 'ews.mailbox'::pg_catalog.regclass AND a.deptype = 'e'
	   AND b.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
	   AND b.objid = 'ews.admin_role'::pg_catalog.regclass AND b.deptype = 'e';

	FOR r IN SELECT * FROM (VALUES ('ews_admin', admin_mark), ('ews_user', user_mark)) v(name, mark) LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r.name) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r.name);
		END IF;
		-- what members of the role would get beyond what ews gives it
		SELECT pg_catalog.array_remove(ARRAY[
				CASE WHEN a.rolsuper THEN 'is a superuser' END,
				CASE WHEN a.rolcanlogin THEN 'can log in' END,
				CASE WHEN a.rolcreaterole THEN 'has CREATEROLE' END,
				CASE WHEN a.rolcreatedb THEN 'has CREATEDB' END,
				CASE WHEN a.rolreplication THEN 'has REPLICATION' END,
				CASE WHEN a.rolbypassrls THEN 'has BYPASSRLS' END,
				CASE WHEN r.name = 'ews_admin' THEN
					(SELECT 'has members (' || pg_catalog.string_agg(m.member::pg_catalog.regrole::text, ', ' ORDER BY 1) || ')'
					   FROM pg_catalog.pg_auth_members m WHERE m.roleid = a.oid HAVING pg_catalog.count(*) > 0) END,
				(SELECT 'is a member of (' || pg_catalog.string_agg(m.roleid::pg_catalog.regrole::text, ', ' ORDER BY 1) || ')'
				   FROM pg_catalog.pg_auth_members m WHERE m.member = a.oid HAVING pg_catalog.count(*) > 0),
				(SELECT 'owns objects or holds privileges in a database of this cluster'
				   FROM pg_catalog.pg_shdepend d
				  WHERE d.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass AND d.refobjid = a.oid
				 HAVING pg_catalog.count(*) > 0)
			], NULL), a.oid
		  INTO problems, admin
		  FROM pg_catalog.pg_roles a WHERE a.rolname = r.name;
		IF pg_catalog.shobj_description(admin, 'pg_authid') IS NOT DISTINCT FROM r.mark THEN
			NULL;		-- made by an ews install (here or in another database)
		ELSIF pg_catalog.cardinality(problems) > 0 AND (fresh OR r.name = 'ews_user') THEN
			RAISE EXCEPTION USING
				ERRCODE = 'duplicate_object',
				MESSAGE = pg_catalog.format('role "%s" already exists and is not safe to adopt for ews', r.name),
				DETAIL = pg_catalog.format('It %s. %s', pg_catalog.array_to_string(problems, ', '),
					CASE WHEN r.name = 'ews_admin' THEN 'Its members would administer every mailbox.'
					     ELSE 'Every role that uses a mailbox is made a member of it.' END),
				HINT = pg_catalog.format('Rename or drop that role, or take those away from it, and try again. '
					'If it is the role of an ews install in another database of this cluster, '
					'run ALTER EXTENSION ews UPDATE there first, which marks it with the comment ''%s''.', r.mark);
		ELSE
			-- an update keeps 0.1's ews_admin; its members are expected, the rest is worth a word
			problems := ARRAY(SELECT p FROM pg_catalog.unnest(problems) p WHERE p NOT LIKE 'has members%');
			IF pg_catalog.cardinality(problems) > 0 THEN
				RAISE WARNING USING
					MESSAGE = pg_catalog.format('role "%s", kept as ews 0.1 used it, %s', r.name,
						pg_catalog.array_to_string(problems, ', ')),
					HINT = 'Its members administer every mailbox: it should be NOLOGIN and hold nothing else.';
			END IF;
		END IF;
		IF pg_catalog.shobj_description(admin, 'pg_authid') IS NULL THEN
			EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', r.name, r.mark);
		END IF;
	END LOOP;
	INSERT INTO ews.admin_role (role)
		SELECT oid::pg_catalog.regrole FROM pg_catalog.pg_roles WHERE rolname = 'ews_admin';
END
$access$;

-- The acting user of the SQL face (src/actas.c)
CREATE FUNCTION ews_act_as(mailbox text)
RETURNS void
AS 'MODULE_PATHNAME', 'ews_act_as_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_act_as(text) IS
	'act for the user of a mailbox (SMTP address) until the transaction ends: every ews call then reaches that mailbox and those delegated to it, never more than the calling role; owner, impersonate grant or ews_admin only';

CREATE FUNCTION ews_acting_mailbox()
RETURNS text
AS 'MODULE_PATHNAME', 'ews_acting_mailbox_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_acting_mailbox() IS
	'the SMTP address this transaction acts for (ews_act_as), or NULL';

-- Mailbox delegates (src/mailbox.c)
CREATE FUNCTION ews_add_delegate(mailbox text, delegate text, permission text)
RETURNS void
AS 'MODULE_PATHNAME', 'ews_add_delegate_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_add_delegate(text, text, text) IS
	'make the user of the delegate mailbox a reviewer (read) or editor (read and write) of a mailbox, when acting for that user; owner, ews_admin or superuser only; again: sets the permission';

CREATE FUNCTION ews_remove_delegate(mailbox text, delegate text)
RETURNS void
AS 'MODULE_PATHNAME', 'ews_remove_delegate_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_remove_delegate(text, text) IS
	'take back a delegate grant, effective at the next statement; owner, ews_admin or superuser only; idempotent';

CREATE FUNCTION ews_list_delegates(mailbox text)
RETURNS TABLE(delegate text, permission text)
AS 'MODULE_PATHNAME', 'ews_list_delegates_sql'
LANGUAGE C STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_list_delegates(text) IS
	'the delegates of a mailbox and their permissions, by address; owner, ews_admin or superuser only';

-- Who may execute what.  PUBLIC nothing: a login role that is neither a
-- user nor an administrator of mailboxes has no business reaching the XML
-- parser or the store.  ews_user: the functions users call, each of which
-- checks access per mailbox.  ews_admin: all of them, and may let other
-- roles create mailboxes.  (Superusers may anyway.)  A function added
-- later states its EXECUTE the same way: test/pgtap/access_provisioning.sql
-- fails for one that PUBLIC may execute.
REVOKE EXECUTE ON FUNCTION ews_create_mailbox(text, text, pg_catalog.regrole) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ews_create_mailbox(text, text, pg_catalog.regrole) TO ews_admin WITH GRANT OPTION;

REVOKE EXECUTE ON FUNCTION ews_folder_id(text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_create_folder(text, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_get_folder(text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_find_folder(text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_delete_folder(text[], text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_move_folder(text, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_copy_folder(text, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_export_items(text[], text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_upload_items(text[], bytea[], text[], text[], text[], boolean[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_create_item(text, bytea) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_grant(text, pg_catalog.regrole, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_revoke(text, pg_catalog.regrole, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_drop_mailbox(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_list_mailboxes() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_soap(text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_act_as(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_acting_mailbox() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_add_delegate(text, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_remove_delegate(text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_list_delegates(text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION ews_folder_id(text, text) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_create_folder(text, text, text) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_get_folder(text[]) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_find_folder(text, text) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_delete_folder(text[], text) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_move_folder(text, text[]) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_copy_folder(text, text[]) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_export_items(text[], text[]) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_upload_items(text[], bytea[], text[], text[], text[], boolean[]) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_create_item(text, bytea) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_grant(text, pg_catalog.regrole, text) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_revoke(text, pg_catalog.regrole, text) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_drop_mailbox(text) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_list_mailboxes() TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_soap(text, text) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_act_as(text) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_acting_mailbox() TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_add_delegate(text, text, text) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_remove_delegate(text, text) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_list_delegates(text) TO ews_user, ews_admin;

-- 0.1 let PUBLIC execute everything: the roles that own a mailbox or hold
-- a grant keep working by becoming members of ews_user.  (Members of them
-- inherit it as they inherit the mailbox.)  Superusers need nothing.
DO $access$
DECLARE
	r pg_catalog.regrole;
BEGIN
	FOR r IN
		SELECT a.oid::pg_catalog.regrole
		  FROM pg_catalog.pg_roles a
		 WHERE a.oid IN (SELECT m.owner_role::pg_catalog.oid FROM ews.mailbox m
		                 UNION SELECT g.grantee::pg_catalog.oid FROM ews.mailbox_grant g)
		   AND NOT a.rolsuper
		   AND NOT pg_catalog.pg_has_role(a.oid, 'ews_user', 'USAGE')
		   AND NOT pg_catalog.pg_has_role('ews_user', a.oid, 'MEMBER')		-- would be circular
		 ORDER BY a.rolname
	LOOP
		EXECUTE pg_catalog.format('GRANT ews_user TO %s', r);
	END LOOP;
END
$access$;

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
GRANT EXECUTE ON FUNCTION ews_find_items(text, text, text, text[], integer, integer, text) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_get_items(text[], text[]) TO ews_user, ews_admin;

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
GRANT EXECUTE ON FUNCTION ews_create_items(text, text[], bytea[]) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_update_items(text[], text[], text[], text) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_delete_items(text[], text) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_move_items(text, text[]) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_copy_items(text, text[]) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_update_folders(text[], text[]) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_empty_folders(text[], text, boolean) TO ews_user, ews_admin;

-- ---------------------------------------------------------------------
-- Sync: SyncFolderHierarchy, SyncFolderItems, tombstones
-- ---------------------------------------------------------------------

-- SyncFolderItems reads the changes of one folder since a client's state
-- (src/sync.c): the items changed after its watermark, in change order, and
-- the items that arrived after its creation cursor, in arrival order; both
-- by index, so an incremental sync costs what changed, not what the folder
-- holds.  Tombstones are read by change number (their primary key) and, for
-- items that arrived and left between two syncs, by arrival.
CREATE INDEX item_change_idx ON ews.item (mailbox_id, folder_id, change_number);
CREATE INDEX item_arrival_idx ON ews.item (mailbox_id, folder_id, created_cn);
CREATE INDEX item_tombstone_arrival_idx ON ews.item_tombstone (mailbox_id, folder_id, created_cn);

-- The change number up to which this folder's item tombstones were trimmed
-- (the sync tombstone policy, src/sync.c): a state older than it may miss
-- deletes and is refused.
-- The backfills above update folder rows a second time in this transaction,
-- which queues the parent reference's checks (deferred to commit, 0.1), and
-- ALTER TABLE refuses a table with pending trigger events: run them now, and
-- defer the reference again once the folder table is altered.
SET CONSTRAINTS ews.folder_mailbox_id_parent_id_fkey IMMEDIATE;
ALTER TABLE ews.folder ADD COLUMN tombstone_horizon bigint NOT NULL DEFAULT 0;

-- When a folder was created: SyncFolderHierarchy tells a Create from an
-- Update by it.  The default takes a change number at INSERT, under the
-- hierarchy lock every folder creation holds, so every way of making a
-- folder (CreateFolder, CopyFolder, a new mailbox's tree) records it.
-- Existing folders: their change number, older than any sync state.
ALTER TABLE ews.folder ADD COLUMN created_cn bigint;
UPDATE ews.folder SET created_cn = change_number;
ALTER TABLE ews.folder
	ALTER COLUMN created_cn SET DEFAULT pg_catalog.nextval('ews.change_seq'::pg_catalog.regclass),
	ALTER COLUMN created_cn SET NOT NULL;
SET CONSTRAINTS ews.folder_mailbox_id_parent_id_fkey DEFERRED;

-- A folder that left its parent: moved (MoveFolder, DeleteFolder's SoftDelete
-- and MoveToDeletedItems) or removed with its subtree (HardDelete, one row
-- per folder).  SyncFolderHierarchy rebuilds from them where each folder was
-- at a client's state, to report moves out of the synced subtree as Delete
-- and into it as Create.  Written by the hierarchy operations under the
-- mailbox's hierarchy lock; trimmed by the same policy as item tombstones.
-- No reference to ews.folder: a removed folder's row is gone.
CREATE TABLE ews.folder_tombstone (
	mailbox_id    uuid NOT NULL REFERENCES ews.mailbox ON DELETE CASCADE,
	folder_id     bigint NOT NULL,
	change_number bigint NOT NULL,	-- the change that moved or removed it
	parent_id     bigint NOT NULL,	-- its parent until that change
	created_cn    bigint NOT NULL,	-- the folder's created_cn
	moved         boolean NOT NULL,	-- moved (still exists) or removed
	removed_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (mailbox_id, change_number, folder_id)
);
SELECT pg_catalog.pg_extension_config_dump('ews.folder_tombstone', '');
-- the change number up to which the mailbox's folder tombstones were trimmed
ALTER TABLE ews.mailbox ADD COLUMN folder_tombstone_horizon bigint NOT NULL DEFAULT 0;

CREATE FUNCTION ews_sync_folder_items(
	sync_folder_id text, sync_state text DEFAULT NULL, max_changes integer DEFAULT 100,
	sync_scope text DEFAULT 'NormalItems', ignore text[] DEFAULT NULL,
	OUT change_type text, OUT item_id text, OUT change_key text, OUT is_read boolean,
	OUT item_class text, OUT subject text, OUT received_at timestamptz, OUT size integer,
	OUT is_associated boolean, OUT article_number bigint,
	OUT next_sync_state text, OUT includes_last_item_in_range boolean,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_sync_folder_items_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_sync_folder_items(text, text, integer, text, text[]) IS
	'SyncFolderItems: the changes of a folder''s items since a sync state (Create, Update, Delete, ReadFlagChange), at most max_changes, then a row without change_type; every row carries the next state';

CREATE FUNCTION ews_sync_folder_hierarchy(
	sync_folder_id text DEFAULT NULL, sync_state text DEFAULT NULL,
	OUT change_type text, OUT folder_id text, OUT change_key text,
	OUT parent_folder_id text, OUT parent_change_key text,
	OUT display_name text, OUT folder_class text, OUT distinguished_folder_id text,
	OUT total_count integer, OUT child_folder_count integer, OUT unread_count integer,
	OUT next_sync_state text, OUT includes_last_folder_in_range boolean,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_sync_folder_hierarchy_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_sync_folder_hierarchy(text, text) IS
	'SyncFolderHierarchy: the folders created, changed and deleted below a folder (NULL: the acting mailbox''s root) since a sync state, then a row without change_type; every row carries the next state';

CREATE FUNCTION ews_trim_tombstones(
	max_age interval DEFAULT NULL, max_count integer DEFAULT NULL,
	OUT item_tombstones bigint, OUT folder_tombstones bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'ews_trim_tombstones_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_trim_tombstones(interval, integer) IS
	'trim the tombstones sync keeps: older than max_age (default ews.tombstone_max_age), beyond the newest max_count per folder or mailbox (default ews.tombstone_max_count); returns how many went; for a scheduled job of an administrator';

-- users sync; trimming is an administrator's maintenance job
REVOKE EXECUTE ON FUNCTION ews_sync_folder_items(text, text, integer, text, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_sync_folder_hierarchy(text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_trim_tombstones(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ews_sync_folder_items(text, text, integer, text, text[]) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_sync_folder_hierarchy(text, text) TO ews_user, ews_admin;
GRANT EXECUTE ON FUNCTION ews_trim_tombstones(interval, integer) TO ews_admin;

-- ---------------------------------------------------------------------
-- Scale-out
-- ---------------------------------------------------------------------

-- The node side of the PL/Proxy router (README "Scale-out", the router is
-- the extension ews_router).  A node needs nothing but these functions: the
-- router routes calls to it as the calling role, and moves a mailbox
-- between nodes with them.  All of them work below the access checks of
-- the store core (they read and write the tables of any mailbox), so only
-- superusers may execute them.  Tables are handled generically, from the
-- catalog: every table of schema ews with a mailbox_id column holds rows of
-- mailboxes and travels with them, whatever columns a later version adds.

CREATE FUNCTION ews_scaleout_catalog(
	OUT function_name text, OUT function_schema text, OUT identity_arguments text,
	OUT arguments text, OUT result text,
	OUT argument_names text[], OUT argument_types text[], OUT argument_modes text[],
	OUT returns_set boolean, OUT is_strict boolean, OUT volatility text,
	OUT description text, OUT executors text[])
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT p.proname::text, n.nspname::text,
	       pg_catalog.pg_get_function_identity_arguments(p.oid),
	       pg_catalog.pg_get_function_arguments(p.oid),
	       pg_catalog.pg_get_function_result(p.oid),
	       p.proargnames,
	       ARRAY(SELECT pg_catalog.format_type(a.t, NULL)
	               FROM pg_catalog.unnest(COALESCE(p.proallargtypes, p.proargtypes::pg_catalog.oid[]))
	                    WITH ORDINALITY AS a(t, i) ORDER BY a.i),
	       COALESCE(p.proargmodes::text[], pg_catalog.array_fill('i'::text, ARRAY[p.pronargs::int4])),
	       p.proretset, p.proisstrict,
	       CASE p.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END,
	       pg_catalog.obj_description(p.oid, 'pg_proc'),
	       ARRAY(SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(x.grantee)::text END
	               FROM pg_catalog.aclexplode(COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))) x
	              WHERE x.privilege_type = 'EXECUTE' ORDER BY 1)
	  FROM pg_catalog.pg_proc p
	  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
	  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
	       AND d.objid = p.oid AND d.deptype = 'e'
	  JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'ews'
	 WHERE p.proname LIKE 'ews\_%' AND p.proname NOT LIKE 'ews\_scaleout\_%'
	 ORDER BY 1, 3
$$;
COMMENT ON FUNCTION ews_scaleout_catalog() IS
	'scale-out: the ews_* functions of this node as the router generates its twins from them (names, arguments, results, who may execute)';

CREATE FUNCTION ews_scaleout_tables(
	OUT table_name text, OUT columns text, OUT key_columns text[], OUT holds_mailboxes boolean)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT c.relname::text,
	       pg_catalog.string_agg(pg_catalog.quote_ident(a.attname) || ' '
	                             || pg_catalog.format_type(a.atttypid, a.atttypmod)
	                             || CASE WHEN a.attgenerated <> '' THEN ' GENERATED' ELSE '' END,
	                             ', ' ORDER BY a.attnum),
	       (SELECT pg_catalog.array_agg(k.attname::text ORDER BY x.ord)
	          FROM pg_catalog.pg_index i
	          CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY AS x(attnum, ord)
	          JOIN pg_catalog.pg_attribute k ON k.attrelid = i.indrelid AND k.attnum = x.attnum
	         WHERE i.indrelid = c.oid AND i.indisprimary),
	       pg_catalog.bool_or(a.attname = 'mailbox_id')
	  FROM pg_catalog.pg_class c
	  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	 WHERE c.relnamespace = 'ews'::pg_catalog.regnamespace AND c.relkind IN ('r', 'p')
	 GROUP BY c.oid, c.relname
	 ORDER BY 1
$$;
COMMENT ON FUNCTION ews_scaleout_tables() IS
	'scale-out: the tables of schema ews, their columns, primary keys, and whether they hold rows of mailboxes (a mailbox_id column); two nodes can exchange mailboxes when these agree';

-- the tables of schema ews that hold rows of mailboxes (a mailbox_id column)
CREATE FUNCTION ews_scaleout_mailbox_tables()
RETURNS SETOF regclass
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT c.oid::pg_catalog.regclass
	  FROM pg_catalog.pg_class c
	  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'mailbox_id' AND NOT a.attisdropped
	 WHERE c.relnamespace = 'ews'::pg_catalog.regnamespace AND c.relkind IN ('r', 'p')
	 ORDER BY c.relname
$$;
COMMENT ON FUNCTION ews_scaleout_mailbox_tables() IS
	'scale-out: the tables of schema ews that hold rows of mailboxes (those with a mailbox_id column)';

CREATE FUNCTION ews_scaleout_mailboxes(mailbox_ids uuid[] DEFAULT NULL, smtp_addresses text[] DEFAULT NULL,
	OUT mailbox_id uuid, OUT smtp_address text, OUT owner text)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT m.mailbox_id, m.smtp_address, m.owner_role::text
	  FROM ews.mailbox m
	 WHERE ($1 IS NULL AND $2 IS NULL)
	    OR m.mailbox_id = ANY ($1)
	    OR pg_catalog.lower(m.smtp_address) = ANY (ARRAY(SELECT pg_catalog.lower(a) FROM pg_catalog.unnest($2) AS a))
	 ORDER BY m.mailbox_id
$$;
COMMENT ON FUNCTION ews_scaleout_mailboxes(uuid[], text[]) IS
	'scale-out: the mailboxes this node holds (all, or those with these GUIDs or addresses) with their owners, for the router''s directory';

CREATE FUNCTION ews_scaleout_sequences(OUT sequence_name text, OUT last_value bigint)
RETURNS SETOF record
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT c.relname::text, COALESCE(pg_catalog.pg_sequence_last_value(c.oid), 0)
	  FROM pg_catalog.pg_class c
	 WHERE c.relnamespace = 'ews'::pg_catalog.regnamespace AND c.relkind = 'S'
	 ORDER BY 1
$$;
COMMENT ON FUNCTION ews_scaleout_sequences() IS
	'scale-out: the last value drawn from each sequence of schema ews (ids, change numbers)';

CREATE FUNCTION ews_scaleout_advance_sequences(names text[], last_values bigint[], wait_ms integer)
RETURNS void
AS 'MODULE_PATHNAME', 'ews_scaleout_advance_sequences'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_scaleout_advance_sequences(text[], bigint[], integer) IS
	'scale-out: move sequences of schema ews forward so that their next values exceed the given ones (never back); waits at most wait_ms for the writes that drew from them';

CREATE FUNCTION ews_scaleout_freeze(mailbox uuid, wait_ms integer)
RETURNS boolean
AS 'MODULE_PATHNAME', 'ews_scaleout_freeze'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_scaleout_freeze(uuid, integer) IS
	'scale-out: hold a mailbox for a move, for this session: waits at most wait_ms for running writes, then every write of the mailbox gets ErrorMailboxMoveInProgress until ews_scaleout_thaw or the session ends';

CREATE FUNCTION ews_scaleout_thaw(mailbox uuid)
RETURNS boolean
AS 'MODULE_PATHNAME', 'ews_scaleout_thaw'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_scaleout_thaw(uuid) IS
	'scale-out: let writes of a mailbox this session holds for a move in again; false if it did not hold it';

CREATE FUNCTION ews_scaleout_frozen(mailbox uuid)
RETURNS boolean
AS 'MODULE_PATHNAME', 'ews_scaleout_frozen'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_scaleout_frozen(uuid) IS
	'scale-out: does this session hold the mailbox for a move?';

-- The rows of one table of one mailbox, in primary key order after
-- after_key (NULL: from the start), each as the text of its row and its key:
-- at most max_rows, and no more rows once max_bytes of text are out.  A
-- table without a primary key leading with mailbox_id gives all the
-- mailbox's rows at once, without keys (such tables hold few rows per
-- mailbox: delegates, say).  The
-- text form of a row is what ews_scaleout_import reads back; roles
-- (regrole) travel by name, so they must exist on both nodes.
CREATE FUNCTION ews_scaleout_export(mailbox uuid, table_name text, after_key text[],
	max_rows integer, max_bytes bigint,
	OUT row_data text, OUT row_key text[])
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rel regclass;
	key_columns text[];
	keys text[];
	types text[];
	sql text;
	r record;
	sent bigint := 0;
BEGIN
	IF mailbox IS NULL OR table_name IS NULL OR max_rows IS NULL OR max_bytes IS NULL
	   OR max_rows < 1 OR max_bytes < 1 THEN
		RAISE EXCEPTION 'mailbox, table_name, and positive max_rows and max_bytes are required'
			USING ERRCODE = '22023';
	END IF;
	rel := ('ews.' || quote_ident(table_name))::regclass;
	IF rel NOT IN (SELECT @extschema@.ews_scaleout_mailbox_tables()) THEN
		RAISE EXCEPTION 'table "ews.%" holds no mailbox rows', table_name USING ERRCODE = '42P01';
	END IF;
	SELECT array_agg(k.attname::text ORDER BY x.ord) INTO key_columns
	  FROM pg_index i
	 CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS x(attnum, ord)
	  JOIN pg_attribute k ON k.attrelid = i.indrelid AND k.attnum = x.attnum
	 WHERE i.indrelid = rel AND i.indisprimary;
	IF key_columns IS NULL OR key_columns[1] IS DISTINCT FROM 'mailbox_id' THEN
		-- no key to page by: all the mailbox's rows of the table at once, no row_key
		IF after_key IS NULL THEN
			RETURN QUERY EXECUTE format('SELECT t::text, NULL::text[] FROM ews.%I t WHERE t.mailbox_id = $1', table_name)
				USING mailbox;
		END IF;
		RETURN;
	END IF;
	SELECT array_agg(quote_ident(k) ORDER BY o), array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY o)
	  INTO keys, types
	  FROM unnest(key_columns) WITH ORDINALITY AS u(k, o)
	  JOIN pg_attribute a ON a.attrelid = rel AND a.attname = u.k;
	IF cardinality(keys) = 1 THEN
		-- the key is the mailbox: one row at most
		IF after_key IS NOT NULL THEN
			RETURN;
		END IF;
		sql := format('SELECT t::text AS d, ARRAY[t.mailbox_id::text] AS k FROM ews.%I t WHERE t.mailbox_id = $1',
					  table_name);
	ELSE
		-- (mailbox_id, k2, ...) > ($1, after[1]::type2, ...): a range scan of the primary key
		sql := format('SELECT t::text AS d, ARRAY[%s] AS k FROM ews.%I t WHERE t.mailbox_id = $1 %s ORDER BY %s LIMIT $3',
			(SELECT string_agg(format('t.%s::text', k), ', ' ORDER BY o) FROM unnest(keys[2:]) WITH ORDINALITY AS u(k, o)),
			table_name,
			CASE WHEN after_key IS NULL THEN ''
			     ELSE format('AND (%s) > ($1, %s)',
						 (SELECT string_agg('t.' || k, ', ' ORDER BY o) FROM unnest(keys) WITH ORDINALITY AS u(k, o)),
						 (SELECT string_agg(format('$2[%s]::%s', o, ty), ', ' ORDER BY o)
						    FROM unnest(types[2:]) WITH ORDINALITY AS u(ty, o))) END,
			(SELECT string_agg('t.' || k, ', ' ORDER BY o) FROM unnest(keys) WITH ORDINALITY AS u(k, o)));
	END IF;
	FOR r IN EXECUTE sql USING mailbox, after_key, max_rows LOOP
		row_data := r.d;
		row_key := r.k;
		RETURN NEXT;
		sent := sent + octet_length(r.d);
		EXIT WHEN sent >= max_bytes;
	END LOOP;
END
$$;
COMMENT ON FUNCTION ews_scaleout_export(uuid, text, text[], integer, bigint) IS
	'scale-out: a page of one mailbox''s rows of one table, in primary key order, as row texts with their keys';

-- Rows exported from another node into the same table here.  Triggers and
-- foreign key checks are off while they go in (session_replication_role =
-- replica): the rows come from a consistent mailbox, table by table in any
-- order.  Every row must belong to the mailbox named.
CREATE FUNCTION ews_scaleout_import(mailbox uuid, table_name text, rows text[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
SET session_replication_role = replica
AS $$
DECLARE
	cols text;
	vals text;
	n bigint;
BEGIN
	IF ('ews.' || quote_ident(table_name))::regclass NOT IN (SELECT @extschema@.ews_scaleout_mailbox_tables()) THEN
		RAISE EXCEPTION 'table "ews.%" holds no mailbox rows', table_name USING ERRCODE = '42P01';
	END IF;
	IF NOT @extschema@.ews_scaleout_frozen(mailbox) THEN
		RAISE EXCEPTION 'mailbox % is not held for a move by this session', mailbox
			USING ERRCODE = '55000', HINT = 'Call ews_scaleout_freeze first.';
	END IF;
	-- every column but generated ones, which the table computes itself
	SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
	       string_agg('(s.x).' || quote_ident(a.attname), ', ' ORDER BY a.attnum)
	  INTO cols, vals
	  FROM pg_attribute a
	 WHERE a.attrelid = ('ews.' || quote_ident(table_name))::regclass
	   AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
	EXECUTE format('INSERT INTO ews.%I (%s) OVERRIDING SYSTEM VALUE SELECT %s'
				   ' FROM (SELECT u.r::ews.%I AS x FROM unnest($1) AS u(r) OFFSET 0) s'
				   ' WHERE (s.x).mailbox_id = $2',
				   table_name, cols, vals, table_name)
		USING rows, mailbox;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n <> cardinality(rows) THEN
		RAISE EXCEPTION 'rows of another mailbox than % were given', mailbox USING ERRCODE = '22023';
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION ews_scaleout_import(uuid, text, text[]) IS
	'scale-out: store rows of a mailbox held by this session, as ews_scaleout_export gave them';

-- Per table: how many rows the mailbox has, and a checksum of their texts
-- that does not depend on their order.  Equal on both nodes = copied.
CREATE FUNCTION ews_scaleout_checksum(mailbox uuid,
	OUT table_name text, OUT row_count bigint, OUT checksum numeric)
RETURNS SETOF record
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t text;
BEGIN
	FOR t IN SELECT c.relname FROM @extschema@.ews_scaleout_mailbox_tables() x JOIN pg_class c ON c.oid = x ORDER BY 1 LOOP
		table_name := t;
		EXECUTE format('SELECT count(*), COALESCE(sum((''x'' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0)'
					   ' FROM ews.%I t WHERE t.mailbox_id = $1', t)
			INTO row_count, checksum USING mailbox;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION ews_scaleout_checksum(uuid) IS
	'scale-out: per table, the number of rows of a mailbox and an order-independent checksum of them';

-- Remove every row of a mailbox this session holds for a move: on the
-- source once the mailbox has arrived, on the target when a move failed.
-- Each table explicitly, with triggers and cascades off, so a table a later
-- version adds is emptied too.
CREATE FUNCTION ews_scaleout_delete(mailbox uuid)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
SET session_replication_role = replica
AS $$
DECLARE
	t text;
	n bigint;
	total bigint := 0;
BEGIN
	IF NOT @extschema@.ews_scaleout_frozen(mailbox) THEN
		RAISE EXCEPTION 'mailbox % is not held for a move by this session', mailbox
			USING ERRCODE = '55000', HINT = 'Call ews_scaleout_freeze first.';
	END IF;
	FOR t IN SELECT c.relname FROM @extschema@.ews_scaleout_mailbox_tables() x JOIN pg_class c ON c.oid = x ORDER BY 1 LOOP
		EXECUTE format('DELETE FROM ews.%I t WHERE t.mailbox_id = $1', t) USING mailbox;
		GET DIAGNOSTICS n = ROW_COUNT;
		total := total + n;
	END LOOP;
	RETURN total;
END
$$;
COMMENT ON FUNCTION ews_scaleout_delete(uuid) IS
	'scale-out: remove every row of a mailbox held for a move by this session (source after the move, or target after a failed one)';

-- For the users of mailboxes (ews_user), like the other user functions: the
-- calling role asks about its own access (src/scaleout.c).
CREATE FUNCTION ews_scaleout_reachable(mailbox_ids uuid[], smtp_addresses text[])
RETURNS boolean
AS 'MODULE_PATHNAME', 'ews_scaleout_reachable'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_scaleout_reachable(uuid[], text[]) IS
	'scale-out: may the calling role read any of these mailboxes (by GUID or SMTP address)?  The router''s question before it refuses a SOAP request that names mailboxes on two nodes';

-- Rows that tie a mailbox to other mailboxes of its node: a foreign key to
-- ews.mailbox from a column other than mailbox_id (a delegate's mailbox, say).
-- A move carries a mailbox's own rows only, so it refuses a mailbox with
-- such ties (in either direction) rather than break them.
CREATE FUNCTION ews_scaleout_links(mailbox uuid,
	OUT table_name text, OUT column_name text, OUT row_count bigint)
RETURNS SETOF record
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	l record;
BEGIN
	FOR l IN
		SELECT c.conrelid::regclass AS rel, cl.relname, a.attname,
		       EXISTS (SELECT 1 FROM pg_attribute m WHERE m.attrelid = c.conrelid
		                  AND m.attname = 'mailbox_id' AND NOT m.attisdropped) AS has_mailbox
		  FROM pg_constraint c
		  JOIN pg_class cl ON cl.oid = c.conrelid
		  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		 WHERE c.contype = 'f' AND c.confrelid = 'ews.mailbox'::regclass
		   AND cl.relnamespace = 'ews'::regnamespace
		   AND cardinality(c.conkey) = 1 AND a.attname <> 'mailbox_id'
		 ORDER BY cl.relname, a.attname
	LOOP
		table_name := l.relname;
		column_name := l.attname;
		IF l.has_mailbox THEN
			EXECUTE format('SELECT count(*) FROM %s t WHERE (t.%2$I = $1 AND t.mailbox_id <> $1)'
						   ' OR (t.mailbox_id = $1 AND t.%2$I <> $1)', l.rel, l.attname)
				INTO row_count USING mailbox;
		ELSE
			EXECUTE format('SELECT count(*) FROM %s t WHERE t.%I = $1', l.rel, l.attname)
				INTO row_count USING mailbox;
		END IF;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION ews_scaleout_links(uuid) IS
	'scale-out: per foreign key to ews.mailbox from a column other than mailbox_id, how many rows tie this mailbox to another one; a move refuses a mailbox with any';

REVOKE EXECUTE ON FUNCTION ews_scaleout_catalog() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_scaleout_links(uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_scaleout_tables() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_scaleout_mailbox_tables() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_scaleout_mailboxes(uuid[], text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_scaleout_sequences() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_scaleout_advance_sequences(text[], bigint[], integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_scaleout_freeze(uuid, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_scaleout_thaw(uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_scaleout_frozen(uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_scaleout_export(uuid, text, text[], integer, bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_scaleout_import(uuid, text, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_scaleout_checksum(uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_scaleout_delete(uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_scaleout_reachable(uuid[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ews_scaleout_reachable(uuid[], text[]) TO ews_user, ews_admin;
