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
-- at most max_rows, and no more rows once max_bytes of text are out.  The
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
		RAISE EXCEPTION 'table "ews.%" has no primary key leading with mailbox_id', table_name
			USING ERRCODE = '55000',
			      HINT = 'A move pages through a mailbox''s rows by primary key: every table that holds mailbox rows needs one.';
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

-- Not revoked: the calling role asks about its own access (src/scaleout.c).
CREATE FUNCTION ews_scaleout_reachable(mailbox_ids uuid[], smtp_addresses text[])
RETURNS boolean
AS 'MODULE_PATHNAME', 'ews_scaleout_reachable'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_scaleout_reachable(uuid[], text[]) IS
	'scale-out: may the calling role read any of these mailboxes (by GUID or SMTP address)?  The router''s question before it refuses a SOAP request that names mailboxes on two nodes';

REVOKE EXECUTE ON FUNCTION ews_scaleout_catalog() FROM PUBLIC;
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
