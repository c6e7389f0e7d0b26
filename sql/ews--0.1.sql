/* ews--0.1.sql: an Exchange Web Services mailbox store */

\echo Use "CREATE EXTENSION ews" to load this file. \quit

-- The tables live in schema ews; the functions in the extension's schema.
-- Application roles get no rights on the tables: every read and change goes
-- through the functions, which check access against the calling role and
-- then work as the tables' owner (see src/store.c).
CREATE SCHEMA ews;
COMMENT ON SCHEMA ews IS 'storage of the ews extension: use the ews_* functions, not these tables';
REVOKE ALL ON SCHEMA ews FROM PUBLIC;

-- The role that manages every mailbox (create, list, drop for others).
-- Roles are cluster-wide, so it may exist already from another database.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ews_admin') THEN
		CREATE ROLE ews_admin NOLOGIN;
	END IF;
END
$$;

-- Local ids of folders and items, and change numbers.  Sequences, not a
-- counter row per mailbox: a counter row would make every item write in a
-- mailbox wait for every other until commit.
CREATE SEQUENCE ews.local_id_seq AS bigint;
CREATE SEQUENCE ews.change_seq AS bigint;

CREATE TABLE ews.mailbox (
	mailbox_id        uuid PRIMARY KEY,		-- the GUID EWS ids carry
	smtp_address      text NOT NULL,
	display_name      text NOT NULL,
	owner_role        pg_catalog.regrole NOT NULL,
	-- bumped by every hierarchy change: the row update is the lock that
	-- serializes hierarchy changes of one mailbox (src/store.c)
	hierarchy_version bigint NOT NULL DEFAULT 0,
	created_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE UNIQUE INDEX mailbox_smtp_address_key ON ews.mailbox (pg_catalog.lower(smtp_address));

CREATE TABLE ews.mailbox_grant (
	mailbox_id   uuid NOT NULL REFERENCES ews.mailbox ON DELETE CASCADE,
	grantee      pg_catalog.regrole NOT NULL,
	access_right text NOT NULL CHECK (access_right IN ('delegate', 'impersonate')),
	PRIMARY KEY (mailbox_id, grantee, access_right)
);

CREATE TABLE ews.folder (
	mailbox_id    uuid NOT NULL REFERENCES ews.mailbox ON DELETE CASCADE,
	folder_id     bigint NOT NULL,
	parent_id     bigint,			-- NULL for root only
	display_name  text NOT NULL,
	folder_class  text,				-- NULL when the client gave none
	distinguished text,				-- NULL for ordinary folders
	change_number bigint NOT NULL,
	PRIMARY KEY (mailbox_id, folder_id),
	-- no orphans: a parent is a folder of the same mailbox.  Checked at
	-- commit, so that pg_restore can COPY the rows in any order; the cascade
	-- itself stays immediate.
	FOREIGN KEY (mailbox_id, parent_id) REFERENCES ews.folder (mailbox_id, folder_id)
		ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
	CHECK ((parent_id IS NULL) = (distinguished IS NOT DISTINCT FROM 'root')),
	CHECK (parent_id IS DISTINCT FROM folder_id)
);
CREATE UNIQUE INDEX folder_distinguished_key ON ews.folder (mailbox_id, distinguished)
	WHERE distinguished IS NOT NULL;
-- sibling display names are unique, compared case-insensitively; also the
-- index for "children of"
CREATE UNIQUE INDEX folder_sibling_name_key ON ews.folder (mailbox_id, parent_id, pg_catalog.lower(display_name));

CREATE TABLE ews.item (
	mailbox_id    uuid NOT NULL,
	item_id       bigint NOT NULL,
	folder_id     bigint NOT NULL,
	item_class    text NOT NULL,
	change_number bigint NOT NULL,
	subject       text,
	size          integer NOT NULL,
	received_at   timestamptz,
	is_associated boolean NOT NULL DEFAULT false,
	is_read       boolean NOT NULL DEFAULT false,
	blob          bytea NOT NULL,		-- the item blob, format version 1
	PRIMARY KEY (mailbox_id, item_id),
	FOREIGN KEY (mailbox_id, folder_id) REFERENCES ews.folder (mailbox_id, folder_id) ON DELETE CASCADE
);
CREATE INDEX item_folder_idx ON ews.item (mailbox_id, folder_id);
-- blobs are stored and exported as they are: no compression round trip
ALTER TABLE ews.item ALTER COLUMN blob SET STORAGE EXTERNAL;

-- pg_dump saves the mailboxes with the database
SELECT pg_catalog.pg_extension_config_dump('ews.mailbox', '');
SELECT pg_catalog.pg_extension_config_dump('ews.mailbox_grant', '');
SELECT pg_catalog.pg_extension_config_dump('ews.folder', '');
SELECT pg_catalog.pg_extension_config_dump('ews.item', '');
SELECT pg_catalog.pg_extension_config_dump('ews.local_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ews.change_seq', '');

-- ---------------------------------------------------------------------
-- Mailboxes and folders
-- ---------------------------------------------------------------------

CREATE FUNCTION ews_create_mailbox(
	smtp_address text,
	display_name text DEFAULT NULL,
	owner pg_catalog.regrole DEFAULT pg_catalog.quote_ident(CURRENT_USER)::pg_catalog.regrole)
RETURNS uuid
AS 'MODULE_PATHNAME', 'ews_create_mailbox_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_create_mailbox(text, text, pg_catalog.regrole) IS
	'create a mailbox with Exchange''s default folder tree; returns its GUID';

CREATE FUNCTION ews_folder_id(mailbox text, distinguished text)
RETURNS text
AS 'MODULE_PATHNAME', 'ews_folder_id_sql'
LANGUAGE C STABLE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_folder_id(text, text) IS
	'the FolderId of a distinguished folder (inbox, junkemail, ...) of a mailbox given by SMTP address';

CREATE FUNCTION ews_create_folder(
	parent_folder_id text, display_name text, folder_class text DEFAULT NULL,
	OUT folder_id text, OUT change_key text,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_create_folder_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_create_folder(text, text, text) IS
	'CreateFolder: a new folder under a parent; one row with its FolderId and ChangeKey or an EWS error';

CREATE FUNCTION ews_get_folder(
	folder_ids text[],
	OUT folder_id text, OUT change_key text, OUT parent_folder_id text, OUT parent_change_key text,
	OUT display_name text, OUT folder_class text, OUT distinguished_folder_id text,
	OUT total_count integer, OUT child_folder_count integer, OUT unread_count integer,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_get_folder_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_get_folder(text[]) IS
	'GetFolder: one row per id, in order, with the folder or an EWS error';

CREATE FUNCTION ews_find_folder(
	parent_folder_id text, traversal text DEFAULT 'Shallow',
	OUT folder_id text, OUT change_key text, OUT parent_folder_id text, OUT parent_change_key text,
	OUT display_name text, OUT folder_class text, OUT distinguished_folder_id text,
	OUT total_count integer, OUT child_folder_count integer, OUT unread_count integer,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_find_folder_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_find_folder(text, text) IS
	'FindFolder: the children (Shallow) or the whole subtree in pre-order (Deep) of a folder; one error row if the parent cannot be used';

CREATE FUNCTION ews_delete_folder(
	folder_ids text[], delete_type text DEFAULT 'HardDelete',
	OUT folder_id text,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_delete_folder_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_delete_folder(text[], text) IS
	'DeleteFolder: HardDelete, SoftDelete (into recoverableitemsdeletions) or MoveToDeletedItems; one row per id, in order';

-- ---------------------------------------------------------------------
-- MoveFolder and CopyFolder
-- ---------------------------------------------------------------------

CREATE FUNCTION ews_move_folder(
	to_folder_id text, folder_ids text[],
	OUT folder_id text, OUT change_key text,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_move_folder_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_move_folder(text, text[]) IS
	'MoveFolder: one row per folder, in order: the same FolderId with a new ChangeKey, or an EWS error; each folder in a subtransaction of its own';

CREATE FUNCTION ews_copy_folder(
	to_folder_id text, folder_ids text[],
	OUT folder_id text, OUT change_key text,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_copy_folder_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_copy_folder(text, text[]) IS
	'CopyFolder: deep copy (subfolders and items, new ids, ordinary folders); one row per folder, in order, with the copy''s FolderId and ChangeKey or an EWS error';

-- ---------------------------------------------------------------------
-- Items: ExportItems, UploadItems, CreateItem
-- ---------------------------------------------------------------------

CREATE FUNCTION ews_export_items(
	item_ids text[], change_keys text[] DEFAULT NULL,
	OUT item_id text, OUT change_key text, OUT data bytea,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_export_items_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_export_items(text[], text[]) IS
	'ExportItems: one row per id, in order, with the item''s current ChangeKey and its stored blob, or an EWS error';

CREATE FUNCTION ews_upload_items(
	parent_folder_ids text[], data bytea[],
	create_actions text[] DEFAULT NULL, item_ids text[] DEFAULT NULL,
	change_keys text[] DEFAULT NULL, is_associated boolean[] DEFAULT NULL,
	OUT item_id text, OUT change_key text,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_upload_items_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_upload_items(text[], bytea[], text[], text[], text[], boolean[]) IS
	'UploadItems: CreateNew (default), Update or UpdateOrCreate per element; one row per element, in order, with the ItemId and new ChangeKey or an EWS error';

CREATE FUNCTION ews_create_item(
	parent_folder_id text, mime bytea,
	OUT item_id text, OUT change_key text,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ews_create_item_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_create_item(text, bytea) IS
	'CreateItem from an RFC 5322 message: an IPM.Note with its subject, Message-ID, delivery time and the raw message; one row with its ItemId and ChangeKey or an EWS error';

-- ---------------------------------------------------------------------
-- Access: grants, listing and dropping mailboxes (src/mailbox.c)
-- ---------------------------------------------------------------------

CREATE FUNCTION ews_grant(mailbox text, role pg_catalog.regrole, access_right text)
RETURNS void
AS 'MODULE_PATHNAME', 'ews_grant_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_grant(text, pg_catalog.regrole, text) IS
	'give a role delegate (use) or impersonate (act as, includes use) access to a mailbox given by SMTP address; owner, ews_admin or superuser only; idempotent';

CREATE FUNCTION ews_revoke(mailbox text, role pg_catalog.regrole, access_right text)
RETURNS void
AS 'MODULE_PATHNAME', 'ews_revoke_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_revoke(text, pg_catalog.regrole, text) IS
	'take back a delegate or impersonate grant; owner, ews_admin or superuser only; idempotent';

CREATE FUNCTION ews_drop_mailbox(smtp_address text)
RETURNS void
AS 'MODULE_PATHNAME', 'ews_drop_mailbox_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_drop_mailbox(text) IS
	'remove a mailbox with its folders, items and grants; owner, ews_admin or superuser only';

CREATE FUNCTION ews_list_mailboxes()
RETURNS TABLE(mailbox_guid uuid, smtp_address text, display_name text, owner pg_catalog.regrole)
AS 'MODULE_PATHNAME', 'ews_list_mailboxes_sql'
LANGUAGE C STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_list_mailboxes() IS
	'the mailboxes the calling role may use (owned, delegated, impersonated; all for ews_admin and superusers), by address';

-- ---------------------------------------------------------------------
-- The SOAP adapter
-- ---------------------------------------------------------------------

CREATE FUNCTION ews_soap(request text, mailbox text DEFAULT NULL,
	OUT status integer, OUT response text)
RETURNS record
AS 'MODULE_PATHNAME', 'ews_soap'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_soap(text, text) IS
	'the SOAP adapter: an EWS request envelope in; the HTTP status (200, or 500 for a SOAP fault) and the response envelope out';
