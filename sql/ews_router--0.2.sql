/* ews_router--0.2.sql: the PL/Proxy router in front of ews nodes */

\echo Use "CREATE EXTENSION ews_router CASCADE" to load this file. \quit

-- The router database (README "Scale-out") holds no mail.  It has:
--  * the nodes (ews_router.node) and PL/Proxy's cluster "ews_nodes" made
--    of them (the plproxy.get_cluster_* functions below);
--  * the directory (ews_router.mailbox): every mailbox's GUID, address,
--    owner and node, kept by the router's ews_create_mailbox,
--    ews_drop_mailbox and ews_move_mailbox, checked by ews_router_reconcile;
--  * the twins: for every ews_* function of the nodes a function with the
--    same name, arguments and result that PL/Proxy runs on the node holding
--    the mailbox, made from a node's catalog by ews_router_sync().
-- Calls reach the nodes as the calling role (PL/Proxy connects as
-- current_user), and the nodes check access exactly as for a direct call.
-- Nothing here runs SECURITY DEFINER on the way to a node.

CREATE SCHEMA ews_router;
COMMENT ON SCHEMA ews_router IS 'the router of ews nodes: nodes, directory of mailboxes, internal PL/Proxy functions';
REVOKE ALL ON SCHEMA ews_router FROM PUBLIC;
-- the routing functions are called as the calling role; the tables stay closed
GRANT USAGE ON SCHEMA ews_router TO PUBLIC;

-- The twins copy the nodes' EXECUTE grants (ews_router_sync), which name
-- ews_user and ews_admin: roles are cluster-wide, the router's cluster needs
-- them too.  Made here when missing, with the marks an ews install puts on
-- its own, so that an ews install in this cluster later adopts them.  The
-- router gives them nothing but EXECUTE on the twins; the nodes decide.
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ews_admin') THEN
		CREATE ROLE ews_admin NOLOGIN;
		COMMENT ON ROLE ews_admin IS 'administers every mailbox of the ews extension (made by CREATE EXTENSION ews)';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ews_user') THEN
		CREATE ROLE ews_user NOLOGIN;
		COMMENT ON ROLE ews_user IS 'may call the user functions of the ews extension, which check access per mailbox (made by CREATE EXTENSION ews)';
	END IF;
END
$roles$;

CREATE TABLE ews_router.node (
	node_id     integer PRIMARY KEY CHECK (node_id >= 0),	-- PL/Proxy's partition number
	name        text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.-]{1,63}$'),
	connstr     text NOT NULL,		-- libpq; PL/Proxy adds user=<calling role>
	accepts_new boolean NOT NULL DEFAULT true,	-- new mailboxes may be placed here
	mailboxes   bigint NOT NULL DEFAULT 0		-- directory rows on this node
);

CREATE TABLE ews_router.mailbox (
	mailbox_id    uuid PRIMARY KEY,
	smtp_address  text NOT NULL,
	owner_name    text NOT NULL,		-- role name: roles have other OIDs on every node
	node_id       integer NOT NULL REFERENCES ews_router.node,
	moving_to     integer REFERENCES ews_router.node,	-- set while ews_move_mailbox runs
	registered_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE UNIQUE INDEX mailbox_smtp_address_key ON ews_router.mailbox (pg_catalog.lower(smtp_address));
CREATE INDEX mailbox_owner_idx ON ews_router.mailbox (owner_name);
CREATE INDEX mailbox_node_idx ON ews_router.mailbox (node_id);

CREATE TABLE ews_router.state (
	singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	cluster_version integer NOT NULL DEFAULT 1,	-- PL/Proxy reloads the nodes when it grows
	node_schema     text,				-- the schema of extension ews on the nodes
	-- the key of the hash that places addresses and GUIDs the directory
	-- does not know (src/router.c): 244 random bits
	secret          bytea NOT NULL
);
INSERT INTO ews_router.state (secret)
	VALUES (pg_catalog.decode(pg_catalog.replace(pg_catalog.gen_random_uuid()::text
	                                             || pg_catalog.gen_random_uuid()::text, '-', ''), 'hex'));

-- the functions ews_router_sync() made, so that it can replace them
CREATE TABLE ews_router.generated (
	signature text PRIMARY KEY,		-- regprocedure text
	rule      text NOT NULL
);

SELECT pg_catalog.pg_extension_config_dump('ews_router.node', '');
SELECT pg_catalog.pg_extension_config_dump('ews_router.mailbox', '');
SELECT pg_catalog.pg_extension_config_dump('ews_router.state', '');

-- ---------------------------------------------------------------------
-- PL/Proxy's cluster "ews_nodes": partition i is the node with node_id i
-- ---------------------------------------------------------------------

-- PL/Proxy calls these as the calling role.  They show the connection
-- strings to every router user: put no passwords there (use a passfile).
CREATE SCHEMA plproxy;
COMMENT ON SCHEMA plproxy IS 'PL/Proxy''s cluster configuration, kept by ews_router';
GRANT USAGE ON SCHEMA plproxy TO PUBLIC;

CREATE FUNCTION plproxy.get_cluster_version(cluster_name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'ews_router_cluster_version'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION plproxy.get_cluster_version(text) IS
	'PL/Proxy: the version of the node list of cluster ews_nodes (ews_router)';

CREATE FUNCTION ews_router.touch()
RETURNS void
AS 'MODULE_PATHNAME', 'ews_router_touch'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ews_router.touch() IS
	'after a change of the node list: every backend reads the cluster version again (it keeps it otherwise)';
REVOKE EXECUTE ON FUNCTION ews_router.touch() FROM PUBLIC;

CREATE FUNCTION plproxy.get_cluster_partitions(cluster_name text)
RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT n.connstr FROM ews_router.node n WHERE $1 = 'ews_nodes' ORDER BY n.node_id $$;
COMMENT ON FUNCTION plproxy.get_cluster_partitions(text) IS
	'PL/Proxy: the connection strings of the nodes of cluster ews_nodes, by node_id (ews_router)';

CREATE FUNCTION plproxy.get_cluster_config(IN cluster_name text, OUT key text, OUT val text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- any number of nodes; the partition number is the node_id
AS $$ SELECT 'modular_mapping'::text, '1'::text WHERE $1 = 'ews_nodes' $$;
COMMENT ON FUNCTION plproxy.get_cluster_config(text) IS
	'PL/Proxy: the settings of cluster ews_nodes (ews_router)';

-- ---------------------------------------------------------------------
-- Routing (src/router.c): which node a call or a batch element goes to
-- ---------------------------------------------------------------------

-- These C functions are on the path of every call and pin no search_path:
-- every statement they run names the schema of each table, function and
-- operator (src/router.c).

CREATE FUNCTION ews_router.id_guid(id text)
RETURNS uuid
AS 'MODULE_PATHNAME', 'ews_router_id_guid'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ews_router.id_guid(text) IS
	'the mailbox GUID a FolderId or ItemId carries; NULL for text that is no EWS id';

CREATE FUNCTION ews_router.node_of_guid(mailbox uuid)
RETURNS integer
AS 'MODULE_PATHNAME', 'ews_router_node_of_guid'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ews_router.node_of_guid(uuid) IS
	'the node of a mailbox GUID (an unknown one: a node chosen by a keyed hash)';

CREATE FUNCTION ews_router.node_of_id(id text)
RETURNS integer
AS 'MODULE_PATHNAME', 'ews_router_node_of_id'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ews_router.node_of_id(text) IS
	'the node of the mailbox a FolderId or ItemId names';

CREATE FUNCTION ews_router.node_of_address(smtp_address text)
RETURNS integer
AS 'MODULE_PATHNAME', 'ews_router_node_of_address'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ews_router.node_of_address(text) IS
	'the node of a mailbox SMTP address, compared case-insensitively (an unknown one: a node chosen by a keyed hash)';

CREATE FUNCTION ews_router.split_plan(key text[], lengths integer[], ndims integer[],
	OUT nodes integer[], OUT ords integer[], OUT whole integer)
RETURNS record
AS 'MODULE_PATHNAME', 'ews_router_split_plan'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ews_router.split_plan(text[], integer[], integer[]) IS
	'for a batch call: the node of each id of the key array and the input positions; or, when the call cannot be split, the node that gets it whole';

CREATE FUNCTION ews_router.barrier(mailbox uuid)
RETURNS void
AS 'MODULE_PATHNAME', 'ews_router_barrier'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ews_router.barrier(uuid) IS
	'for ews_move_mailbox: wait for the router transactions that looked the mailbox up (before its row switched node)';
REVOKE EXECUTE ON FUNCTION ews_router.barrier(uuid) FROM PUBLIC;

-- what a node runs: the version of its extension ews and its schema
CREATE FUNCTION ews_router.p_node_info(_node integer, OUT version text, OUT schema text)
RETURNS SETOF record
LANGUAGE plproxy
AS $$
	CLUSTER 'ews_nodes';
	RUN ON _node;
	SELECT e.extversion::text AS version, n.nspname::text AS schema
	  FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
	 WHERE e.extname = 'ews';
$$;
COMMENT ON FUNCTION ews_router.p_node_info(integer) IS
	'the version and schema of extension ews on a node';
REVOKE EXECUTE ON FUNCTION ews_router.p_node_info(integer) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- Nodes
-- ---------------------------------------------------------------------

CREATE FUNCTION ews_router.require_superuser(what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
		RAISE EXCEPTION 'permission denied to %', what USING ERRCODE = '42501',
			DETAIL = 'Only superusers manage the nodes and the directory of the router.';
	END IF;
END
$$;
COMMENT ON FUNCTION ews_router.require_superuser(text) IS 'raise unless the calling role is a superuser';

-- a node's extension ews: present, the same version and schema as the others'
CREATE FUNCTION ews_router.node_ews(_node integer, OUT version text, OUT schema text)
RETURNS record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	SELECT i.version, i.schema INTO version, schema FROM ews_router.p_node_info(_node) i;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'node % has no extension ews', (SELECT n.name FROM ews_router.node n WHERE n.node_id = _node)
			USING ERRCODE = '55000', HINT = 'CREATE EXTENSION ews in the node''s database first.';
	END IF;
END
$$;
COMMENT ON FUNCTION ews_router.node_ews(integer) IS 'the version and schema of extension ews on a node; raises if it has none';

CREATE FUNCTION ews_router_add_node(name text, connstr text)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id integer;
	v record;
	first record;
BEGIN
	PERFORM ews_router.require_superuser('add a node');
	SELECT count(*) INTO id FROM ews_router.node;
	INSERT INTO ews_router.node (node_id, name, connstr) VALUES (id, $1, $2);
	UPDATE ews_router.state SET cluster_version = cluster_version + 1;
	PERFORM ews_router.touch();
	v := ews_router.node_ews(id);
	IF id > 0 THEN
		first := ews_router.node_ews(0);
		IF v IS DISTINCT FROM first THEN
			RAISE EXCEPTION 'node % runs ews % in schema %, the others ews % in schema %',
				$1, v.version, v.schema, first.version, first.schema
				USING ERRCODE = '55000', HINT = 'Every node must run the same version of ews, in the same schema.';
		END IF;
	END IF;
	UPDATE ews_router.state SET node_schema = v.schema;
	RETURN id;
END
$$;
COMMENT ON FUNCTION ews_router_add_node(text, text) IS
	'add a node (a database with extension ews) by name and libpq connection string; returns its node_id';

CREATE FUNCTION ews_router_set_node(name text, connstr text DEFAULT NULL, accepts_new boolean DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM ews_router.require_superuser('change a node');
	UPDATE ews_router.node n
	   SET connstr = COALESCE($2, n.connstr), accepts_new = COALESCE($3, n.accepts_new)
	 WHERE n.name = $1;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'node "%" does not exist', $1 USING ERRCODE = '42704';
	END IF;
	UPDATE ews_router.state SET cluster_version = cluster_version + 1;
	PERFORM ews_router.touch();
END
$$;
COMMENT ON FUNCTION ews_router_set_node(text, text, boolean) IS
	'change a node''s connection string (after a failover, say) or whether new mailboxes may be placed on it';

CREATE FUNCTION ews_router_remove_node(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n ews_router.node;
BEGIN
	PERFORM ews_router.require_superuser('remove a node');
	SELECT * INTO n FROM ews_router.node x WHERE x.name = $1 FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'node "%" does not exist', $1 USING ERRCODE = '42704';
	END IF;
	IF EXISTS (SELECT 1 FROM ews_router.mailbox m WHERE m.node_id = n.node_id OR m.moving_to = n.node_id) THEN
		RAISE EXCEPTION 'node "%" still holds mailboxes', $1 USING ERRCODE = '55006',
			HINT = 'Move them away with ews_move_mailbox first.';
	END IF;
	IF n.node_id <> (SELECT max(x.node_id) FROM ews_router.node x) THEN
		RAISE EXCEPTION 'only the last node added can be removed' USING ERRCODE = '55000',
			DETAIL = 'The node_id is PL/Proxy''s partition number: the numbers stay dense.';
	END IF;
	DELETE FROM ews_router.node x WHERE x.node_id = n.node_id;
	UPDATE ews_router.state SET cluster_version = cluster_version + 1;
	PERFORM ews_router.touch();
END
$$;
COMMENT ON FUNCTION ews_router_remove_node(text) IS
	'remove the node added last, once it holds no mailboxes';

CREATE FUNCTION ews_router_nodes(OUT node_id integer, OUT name text, OUT connstr text,
	OUT accepts_new boolean, OUT mailboxes bigint)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT n.node_id, n.name, n.connstr, n.accepts_new, n.mailboxes FROM ews_router.node n ORDER BY n.node_id $$;
COMMENT ON FUNCTION ews_router_nodes() IS 'the nodes, with how many mailboxes each holds';

CREATE FUNCTION ews_router_mailboxes(OUT mailbox_id uuid, OUT smtp_address text, OUT owner text,
	OUT node text, OUT moving_to text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT m.mailbox_id, m.smtp_address, m.owner_name, n.name, t.name
	  FROM ews_router.mailbox m JOIN ews_router.node n ON n.node_id = m.node_id
	  LEFT JOIN ews_router.node t ON t.node_id = m.moving_to
	 ORDER BY pg_catalog.lower(m.smtp_address) COLLATE "C"
$$;
COMMENT ON FUNCTION ews_router_mailboxes() IS 'the directory: every mailbox, its owner and its node (superusers only)';

-- ---------------------------------------------------------------------
-- The directory: placement, registration of a new mailbox, removal
-- ---------------------------------------------------------------------

-- Placement of a new mailbox: the node that accepts new mailboxes and holds
-- the fewest, the lowest node_id among equals.  Moves rebalance later.
CREATE FUNCTION ews_router.place()
RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT n.node_id FROM ews_router.node n WHERE n.accepts_new
	 ORDER BY n.mailboxes, n.node_id LIMIT 1
$$;
COMMENT ON FUNCTION ews_router.place() IS 'the node a new mailbox goes to: the one accepting new mailboxes with the fewest';

-- A mailbox a node has just created goes into the directory.  The row is
-- written from what the node says (asked as the directory's owner), never
-- from what the caller says, so no caller can make the directory lie.
-- False when another mailbox already has the address (on another node).
CREATE FUNCTION ews_router.register(_node integer, _mailbox uuid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m record;
BEGIN
	SELECT * INTO m FROM ews_router.p_mailboxes(_node, ARRAY[_mailbox], NULL) x;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'node % does not hold mailbox %', _node, _mailbox USING ERRCODE = '55000';
	END IF;
	INSERT INTO ews_router.mailbox (mailbox_id, smtp_address, owner_name, node_id)
		VALUES (m.mailbox_id, m.smtp_address, m.owner, _node)
		ON CONFLICT DO NOTHING;
	IF FOUND THEN
		UPDATE ews_router.node n SET mailboxes = n.mailboxes + 1 WHERE n.node_id = _node;
		RETURN true;
	END IF;
	RETURN EXISTS (SELECT 1 FROM ews_router.mailbox x WHERE x.mailbox_id = _mailbox AND x.node_id = _node);
END
$$;
COMMENT ON FUNCTION ews_router.register(integer, uuid) IS
	'put a mailbox a node holds into the directory, as the node describes it; false if its address is taken';

-- A mailbox dropped on its node leaves the directory, once the node says it is gone.
CREATE FUNCTION ews_router.unregister(_node integer, _address text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM ews_router.p_mailboxes(_node, NULL, ARRAY[_address])) THEN
		RETURN;
	END IF;
	WITH d AS (DELETE FROM ews_router.mailbox m
	            WHERE lower(m.smtp_address) = lower(_address) AND m.node_id = _node RETURNING m.node_id)
	UPDATE ews_router.node n SET mailboxes = n.mailboxes - (SELECT count(*) FROM d)
	 WHERE n.node_id = _node;
END
$$;
COMMENT ON FUNCTION ews_router.unregister(integer, text) IS
	'take a mailbox out of the directory once its node no longer holds it';

CREATE FUNCTION ews_router.node_count()
RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.count(*)::integer FROM ews_router.node $$;
COMMENT ON FUNCTION ews_router.node_count() IS 'how many nodes the router has';

-- ---------------------------------------------------------------------
-- ews_router_sync(): the internal PL/Proxy functions and the twins
-- ---------------------------------------------------------------------

-- The internal functions that call the node side of scale-out (the
-- ews_scaleout_* functions of the nodes, superusers only).
CREATE FUNCTION ews_router.make_internals(nsp text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $mk$
DECLARE
	d record;
BEGIN
	FOR d IN SELECT * FROM (VALUES
		('p_catalog', '_node integer', 'SETOF record',
		 'OUT function_name text, OUT function_schema text, OUT identity_arguments text, OUT arguments text, OUT result text,'
		 ' OUT argument_names text[], OUT argument_types text[], OUT argument_modes text[], OUT returns_set boolean,'
		 ' OUT is_strict boolean, OUT volatility text, OUT description text, OUT executors text[]',
		 'SELECT r.* FROM %I.ews_scaleout_catalog() r'),
		('p_tables', '_node integer', 'SETOF record',
		 'OUT table_name text, OUT columns text, OUT key_columns text[], OUT holds_mailboxes boolean',
		 'SELECT r.* FROM %I.ews_scaleout_tables() r'),
		('p_mailboxes', '_node integer, ids uuid[], addresses text[]', 'SETOF record',
		 'OUT mailbox_id uuid, OUT smtp_address text, OUT owner text',
		 'SELECT r.* FROM %I.ews_scaleout_mailboxes(ids, addresses) r'),
		('p_sequences', '_node integer', 'SETOF record',
		 'OUT sequence_name text, OUT last_value bigint',
		 'SELECT r.* FROM %I.ews_scaleout_sequences() r'),
		('p_advance', '_node integer, names text[], last_values bigint[], wait_ms integer', 'void', NULL,
		 'SELECT %I.ews_scaleout_advance_sequences(names, last_values, wait_ms)'),
		('p_freeze', '_node integer, mailbox uuid, wait_ms integer', 'boolean', NULL,
		 'SELECT %I.ews_scaleout_freeze(mailbox, wait_ms)'),
		('p_thaw', '_node integer, mailbox uuid', 'boolean', NULL,
		 'SELECT %I.ews_scaleout_thaw(mailbox)'),
		('p_frozen', '_node integer, mailbox uuid', 'boolean', NULL,
		 'SELECT %I.ews_scaleout_frozen(mailbox)'),
		('p_export', '_node integer, mailbox uuid, table_name text, after_key text[], max_rows integer, max_bytes bigint',
		 'SETOF record', 'OUT row_data text, OUT row_key text[]',
		 'SELECT r.* FROM %I.ews_scaleout_export(mailbox, table_name, after_key, max_rows, max_bytes) r'),
		('p_import', '_node integer, mailbox uuid, table_name text, rows text[]', 'bigint', NULL,
		 'SELECT %I.ews_scaleout_import(mailbox, table_name, rows)'),
		('p_checksum', '_node integer, mailbox uuid', 'SETOF record',
		 'OUT table_name text, OUT row_count bigint, OUT checksum numeric',
		 'SELECT r.* FROM %I.ews_scaleout_checksum(mailbox) r'),
		('p_delete', '_node integer, mailbox uuid', 'bigint', NULL,
		 'SELECT %I.ews_scaleout_delete(mailbox)'),
		('p_reachable', '_node integer, ids uuid[], addresses text[]', 'boolean', NULL,
		 'SELECT %I.ews_scaleout_reachable(ids, addresses)'),
		('p_links', '_node integer, mailbox uuid', 'SETOF record',
		 'OUT table_name text, OUT column_name text, OUT row_count bigint',
		 'SELECT r.* FROM %I.ews_scaleout_links(mailbox) r')
	) AS v(fn, args, ret, outs, query) LOOP
		IF EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = 'ews_router'::regnamespace AND p.proname = d.fn) THEN
			EXECUTE format('ALTER EXTENSION ews_router DROP FUNCTION ews_router.%I', d.fn);
			EXECUTE format('DROP FUNCTION ews_router.%I', d.fn);
		END IF;
		EXECUTE format($f$CREATE FUNCTION ews_router.%I(%s%s) RETURNS %s LANGUAGE plproxy AS $p$
	CLUSTER 'ews_nodes';
	RUN ON _node;
	%s;
$p$$f$, d.fn, d.args, COALESCE(', ' || d.outs, ''), d.ret, format(d.query, nsp));
		-- all but p_reachable work below the nodes' access checks: superusers only
		IF d.fn <> 'p_reachable' THEN
			EXECUTE format('REVOKE EXECUTE ON FUNCTION ews_router.%I FROM PUBLIC', d.fn);
		END IF;
		EXECUTE format('COMMENT ON FUNCTION ews_router.%I IS %L', d.fn,
					   'scale-out: runs ' || substring(d.query from '%I.(ews_scaleout_[a-z_]+)') || ' on a node (made by ews_router_sync)');
		EXECUTE format('ALTER EXTENSION ews_router ADD FUNCTION ews_router.%I', d.fn);
	END LOOP;
END
$mk$;
COMMENT ON FUNCTION ews_router.make_internals(text) IS
	'make the PL/Proxy functions that call the ews_scaleout_* functions of the nodes (schema nsp)';

-- the input argument types of a function, as regprocedure text wants them
CREATE FUNCTION ews_router.in_types(types text[], modes text[])
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT COALESCE(string_agg(u.t, ', ' ORDER BY u.i), '')
	  FROM unnest($1, $2) WITH ORDINALITY AS u(t, m, i) WHERE u.m IN ('i', 'b', 'v')
$$;
COMMENT ON FUNCTION ews_router.in_types(text[], text[]) IS 'the input argument types of a function, comma-separated';

-- The routing rule of a node function, from its argument names and types:
--   id          a text argument named *_id (the first): a FolderId or ItemId;
--               the call runs on the node of the mailbox it names
--   id_sources  as id, plus a text[] *_ids argument of sources (MoveFolder,
--               CopyFolder): sources of a mailbox on another node are asked
--               about on their own node (cross-mailbox answers)
--   split       a text[] argument named *_ids (the first is the key): the
--               batch is split by the mailbox of each id, every array
--               argument along with it, rows back in input order
--   address     a text argument named mailbox or smtp_address
--   address_pair  text arguments named mailbox and delegate (delegate grants):
--               as address, but a delegate on another node is refused with
--               an error that says so (a delegate grant cannot cross nodes:
--               the node keeps it with a foreign key to the delegate's mailbox)
--   and, by name, soap, create_mailbox, drop_mailbox, list_mailboxes, and
--   refused for the acting user of a transaction (ews_act_as): every routed
--   call is a transaction of its own on its node, so the setting could not
--   reach the calls after it; the twin raises instead of acting for no one.
-- NULL: no rule fits, and ews_router_check() reports the function.
CREATE FUNCTION ews_router.rule_of(name text, names text[], types text[], modes text[])
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH a AS (
		SELECT u.n, u.t, u.m, u.i FROM unnest($2, $3, $4) WITH ORDINALITY AS u(n, t, m, i)
	), ins AS (SELECT * FROM a WHERE a.m IN ('i', 'b'))
	SELECT CASE
		WHEN EXISTS (SELECT 1 FROM a WHERE a.m = 'v') THEN NULL
		WHEN EXISTS (SELECT 1 FROM a WHERE a.n IS NULL OR a.n !~ '^[a-z][a-z0-9_]*$') THEN NULL
		WHEN $1 = 'ews_soap' THEN 'soap'
		WHEN $1 = 'ews_create_mailbox' THEN 'create_mailbox'
		WHEN $1 = 'ews_drop_mailbox' THEN 'drop_mailbox'
		WHEN $1 = 'ews_list_mailboxes' THEN 'list_mailboxes'
		-- an administrator's maintenance on every node, the counts summed
		WHEN $1 = 'ews_trim_tombstones' THEN 'every_node'
		-- transaction-scoped state on a node does not outlive one routed call
		WHEN $1 IN ('ews_act_as', 'ews_acting_mailbox') THEN 'refused'
		WHEN EXISTS (SELECT 1 FROM ins WHERE ins.n = 'mailbox' AND ins.t = 'text')
		     AND EXISTS (SELECT 1 FROM ins WHERE ins.n = 'delegate' AND ins.t = 'text') THEN 'address_pair'
		WHEN EXISTS (SELECT 1 FROM ins WHERE ins.n LIKE '%\_id' AND ins.t = 'text') THEN
			CASE WHEN EXISTS (SELECT 1 FROM ins WHERE ins.n LIKE '%\_ids' AND ins.t = 'text[]')
			     THEN 'id_sources' ELSE 'id' END
		WHEN EXISTS (SELECT 1 FROM ins WHERE ins.n LIKE '%\_ids' AND ins.t = 'text[]') THEN 'split'
		WHEN EXISTS (SELECT 1 FROM ins WHERE ins.n IN ('mailbox', 'smtp_address') AND ins.t = 'text') THEN 'address'
	END
$$;
COMMENT ON FUNCTION ews_router.rule_of(text, text[], text[], text[]) IS
	'the routing rule of a node function, from its name and its arguments'' names and types';

-- MoveFolder/CopyFolder run on the node of their target.  A source of a
-- mailbox on another node is, to that node, "no such mailbox": here the
-- source's own node is asked (as the caller, through the router's
-- GetFolder), and the answer is the one a single node gives for a folder of
-- another mailbox the caller may use (ErrorCrossMailboxMoveCopy,
-- ErrorMoveDistinguishedFolder first for moves), or the source node's own
-- error (which for a stranger is still ErrorNonExistentMailbox).
CREATE FUNCTION ews_router.source_fix(target text, source text, code text, guid uuid, kind text, verb text,
	OUT response_class text, OUT response_code text, OUT message_text text, OUT mailbox_guid uuid)
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ext text := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
	              WHERE e.extname = 'ews_router');
	p record;
BEGIN
	IF code IS DISTINCT FROM 'ErrorNonExistentMailbox' OR guid IS NULL
	   OR guid IS DISTINCT FROM ews_router.id_guid(source)
	   OR ews_router.node_of_guid(guid) = ews_router.node_of_id(target) THEN
		RETURN;
	END IF;
	IF kind = 'folder' THEN
		EXECUTE format('SELECT g.response_code AS code, g.message_text AS text, g.mailbox_guid AS guid,'
					   ' g.distinguished_folder_id AS dist FROM %I.ews_get_folder($1) g', ext)
			INTO p USING ARRAY[source];
	ELSE
		EXECUTE format('SELECT g.response_code AS code, g.message_text AS text, g.mailbox_guid AS guid,'
					   ' NULL::text AS dist FROM %I.ews_export_items($1) g', ext)
			INTO p USING ARRAY[source];
	END IF;
	response_class := 'Error';
	IF p.code IS DISTINCT FROM 'NoError' THEN
		response_code := p.code;
		message_text := p.text;
		mailbox_guid := p.guid;
	ELSIF verb = 'move' AND p.dist IS NOT NULL THEN
		response_code := 'ErrorMoveDistinguishedFolder';
		message_text := 'Cannot move distinguished folder.';
	ELSE
		response_code := 'ErrorCrossMailboxMoveCopy';
		message_text := format('Cannot %s a%s %s into another mailbox.', verb,
							   CASE WHEN kind = 'item' THEN 'n' ELSE '' END, kind);
	END IF;
	RETURN NEXT;
END
$$;
COMMENT ON FUNCTION ews_router.source_fix(text, text, text, uuid, text, text) IS
	'the answer for a move or copy source whose mailbox is on another node than the target''s';

CREATE FUNCTION ews_router_sync(OUT function_name text, OUT rule text)
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $sync$
DECLARE
	nsp text;
	ext text := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
	              WHERE e.extname = 'ews_router');
	nodes integer;
	v record;
	f record;
	g record;
	in_n text[]; in_t text[]; out_n text[]; out_t text[];
	key integer;
	src integer;
	arrays integer[];
	ddl text;
	sel text;
	outs_decl text;
	ret text;
	sig text;
	made text[] := '{}';
	r text;
BEGIN
	PERFORM ews_router.require_superuser('make the router''s functions');
	SELECT count(*) INTO nodes FROM ews_router.node;
	IF nodes = 0 THEN
		RAISE EXCEPTION 'the router has no nodes' USING ERRCODE = '55000',
			HINT = 'Add them with ews_router_add_node().';
	END IF;
	-- every node runs the same ews in the same schema, with the same tables
	FOR i IN 0 .. nodes - 1 LOOP
		v := ews_router.node_ews(i);
		IF nsp IS NULL THEN
			nsp := v.schema;
			r := v.version;
		ELSIF v.schema IS DISTINCT FROM nsp OR v.version IS DISTINCT FROM r THEN
			RAISE EXCEPTION 'the nodes run different versions of ews (or in different schemas)'
				USING ERRCODE = '55000';
		END IF;
	END LOOP;
	UPDATE ews_router.state SET node_schema = nsp;
	PERFORM ews_router.make_internals(nsp);

	-- the twins of the previous sync go; the new ones come from node 0's catalog
	FOR g IN SELECT * FROM ews_router.generated LOOP
		EXECUTE format('ALTER EXTENSION ews_router DROP FUNCTION %s', g.signature);
		EXECUTE format('DROP FUNCTION %s', g.signature);
	END LOOP;
	DELETE FROM ews_router.generated;

	FOR f IN SELECT * FROM ews_router.p_catalog(0) ORDER BY 1 LOOP
		function_name := f.function_name;
		rule := ews_router.rule_of(f.function_name, f.argument_names, f.argument_types, f.argument_modes);
		IF rule IS NULL THEN
			rule := 'none';
			RETURN NEXT;
			CONTINUE;
		END IF;
		SELECT array_agg(u.n ORDER BY u.i) FILTER (WHERE u.m IN ('i', 'b')),
		       array_agg(u.t ORDER BY u.i) FILTER (WHERE u.m IN ('i', 'b')),
		       array_agg(u.n ORDER BY u.i) FILTER (WHERE u.m IN ('o', 'b', 't')),
		       array_agg(u.t ORDER BY u.i) FILTER (WHERE u.m IN ('o', 'b', 't'))
		  INTO in_n, in_t, out_n, out_t
		  FROM unnest(f.argument_names, f.argument_types, f.argument_modes) WITH ORDINALITY AS u(n, t, m, i);
		in_n := COALESCE(in_n, '{}'); in_t := COALESCE(in_t, '{}');
		-- OUT column names go into generated SQL: quoted (ews_get_items has "references")
		out_n := (SELECT array_agg(pg_catalog.quote_ident(u.n) ORDER BY u.i) FROM unnest(out_n) WITH ORDINALITY AS u(n, i));
		-- the result of the internal functions: the node's OUT columns, or its scalar type
		outs_decl := (SELECT string_agg(format(', OUT %s %s', u.n, u.t), '' ORDER BY u.i)
		                FROM unnest(out_n, out_t) WITH ORDINALITY AS u(n, t, i));
		ret := CASE WHEN out_n IS NULL THEN f.result
		            WHEN f.returns_set THEN 'SETOF record' ELSE 'record' END;
		sel := CASE WHEN out_n IS NULL THEN 'r'
		            ELSE (SELECT string_agg('r.' || u.n, ', ' ORDER BY u.i) FROM unnest(out_n) WITH ORDINALITY AS u(n, i)) END;

		IF rule = 'split' AND out_n IS NULL THEN
			rule := 'none';		-- a batch needs result rows to put back in order
			RETURN NEXT;
			CONTINUE;
		END IF;

		-- p_<name>(_node, args): the whole call on one node
		IF rule NOT IN ('id', 'address', 'refused') THEN
			sig := format('ews_router.%I', 'p_' || f.function_name);
			EXECUTE format($f$CREATE FUNCTION %s(_node integer%s%s) RETURNS %s LANGUAGE plproxy %s AS $p$
	CLUSTER 'ews_nodes';
	RUN ON _node;
	%s;
$p$$f$,
				sig,
				(SELECT string_agg(format(', %s %s', u.n, u.t), '' ORDER BY u.i) FROM unnest(in_n, in_t) WITH ORDINALITY AS u(n, t, i)),
				COALESCE(outs_decl, ''), ret, 'VOLATILE',
				CASE WHEN rule = 'soap'
				     -- in the select list, not FROM: a large response is not put through a tuplestore
				     THEN format('SELECT (r).status, (r).response FROM (SELECT %I.%I(%s) AS r OFFSET 0) s',
				                 nsp, f.function_name, array_to_string(in_n, ', '))
				     ELSE format('SELECT %s FROM %I.%I(%s) AS r', sel, nsp, f.function_name, array_to_string(in_n, ', ')) END);
			made := made || (sig || '(' || array_to_string(array_prepend('integer', in_t), ', ') || ')');
		END IF;
		-- ews_soap, the call that must be cheap: one function per node, RUN ON its
		-- number, so that PL/Proxy evaluates nothing to find the node
		IF rule = 'soap' THEN
			FOR i IN 0 .. nodes - 1 LOOP
				sig := format('ews_router.%I', 'p_ews_soap_' || i);
				EXECUTE format($f$CREATE FUNCTION %s(_node integer%s%s) RETURNS %s LANGUAGE plproxy VOLATILE AS $p$
	CLUSTER 'ews_nodes';
	RUN ON %s;
	SELECT (r).status, (r).response FROM (SELECT %I.%I(%s) AS r OFFSET 0) s;
$p$$f$,
					sig,
					(SELECT string_agg(format(', %s %s', u.n, u.t), '' ORDER BY u.i) FROM unnest(in_n, in_t) WITH ORDINALITY AS u(n, t, i)),
					COALESCE(outs_decl, ''), ret, i, nsp, f.function_name, array_to_string(in_n, ', '));
				made := made || (sig || '(' || array_to_string(array_prepend('integer', in_t), ', ') || ')');
			END LOOP;
		END IF;

		IF rule = 'split' THEN
			SELECT min(u.i) INTO key FROM unnest(in_n, in_t) WITH ORDINALITY AS u(n, t, i)
			 WHERE u.n LIKE '%\_ids' AND u.t = 'text[]';
			SELECT array_agg(u.i::integer ORDER BY u.i) INTO arrays
			  FROM unnest(in_t) WITH ORDINALITY AS u(t, i) WHERE u.t LIKE '%[]';
			-- s_<name>(_nodes, _ords, args, <array>_null...): the batch split over the nodes
			sig := format('ews_router.%I', 's_' || f.function_name);
			EXECUTE format($f$CREATE FUNCTION %s(_nodes integer[], _ords integer[]%s%s, OUT _ord integer%s) RETURNS SETOF record LANGUAGE plproxy %s AS $p$
	CLUSTER 'ews_nodes';
	SPLIT _nodes, _ords, %s;
	RUN ON _nodes;
	SELECT (_ords)[r._n] AS _ord, %s FROM %I.%I(%s) WITH ORDINALITY AS r(%s, _n);
$p$$f$,
				sig,
				(SELECT string_agg(format(', %s %s', u.n, u.t), '' ORDER BY u.i) FROM unnest(in_n, in_t) WITH ORDINALITY AS u(n, t, i)),
				(SELECT COALESCE(string_agg(format(', %s_null boolean', in_n[a]), '' ORDER BY a), '') FROM unnest(arrays) AS a WHERE a <> key),
				outs_decl, 'VOLATILE',
				(SELECT string_agg(in_n[a], ', ' ORDER BY a) FROM unnest(arrays) AS a),
				sel, nsp, f.function_name,
				(SELECT string_agg(CASE WHEN u.i = key OR u.t NOT LIKE '%[]' THEN u.n
				                        ELSE format('CASE WHEN %s_null THEN NULL ELSE %s END', u.n, u.n) END, ', ' ORDER BY u.i)
				   FROM unnest(in_n, in_t) WITH ORDINALITY AS u(n, t, i)),
				array_to_string(out_n, ', '));
			made := made || (sig || '(' || array_to_string(
				ARRAY['integer[]', 'integer[]'] || in_t
				|| ARRAY(SELECT 'boolean' FROM unnest(arrays) AS a WHERE a <> key), ', ') || ')');
			-- the twin: split when the arrays allow it, else the whole call on one node.
			-- Both calls take an argument from z, so that each runs only when z says so
			-- (a function scan that does not depend on z could run before z's filter).
			ddl := format($f$CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE sql %s%s SET search_path = pg_catalog, pg_temp AS $twin$
	WITH z AS MATERIALIZED (
		SELECT * FROM ews_router.split_plan($%s, ARRAY[%s]::integer[], ARRAY[%s]::integer[]))
	SELECT %s FROM (
		SELECT %s, s._ord FROM z CROSS JOIN LATERAL ews_router.%I(z.nodes, z.ords, %s) s WHERE z.nodes IS NOT NULL
		UNION ALL
		SELECT %s, p._ord FROM z CROSS JOIN LATERAL ews_router.%I(z.whole, %s) WITH ORDINALITY AS p(%s, _ord) WHERE z.whole IS NOT NULL
	) r ORDER BY r._ord
$twin$$f$,
				ext, f.function_name, f.arguments, f.result, 'VOLATILE', CASE WHEN f.is_strict THEN ' STRICT' ELSE '' END,
				key,
				(SELECT string_agg(format('pg_catalog.cardinality($%s)', a), ', ' ORDER BY a) FROM unnest(arrays) AS a),
				(SELECT string_agg(format('pg_catalog.array_ndims($%s)', a), ', ' ORDER BY a) FROM unnest(arrays) AS a),
				sel,
				replace(sel, 'r.', 's.'),
				's_' || f.function_name,
				(SELECT string_agg(CASE WHEN u.i = key OR u.t NOT LIKE '%[]' THEN '$' || u.i
				                        ELSE format('COALESCE($%s, pg_catalog.array_fill(NULL::%s, ARRAY[pg_catalog.cardinality($%s)]))',
				                                    u.i, left(u.t, -2), key) END, ', ' ORDER BY u.i)
				   FROM unnest(in_t) WITH ORDINALITY AS u(t, i))
				|| (SELECT COALESCE(string_agg(format(', $%s IS NULL', a), '' ORDER BY a), '') FROM unnest(arrays) AS a WHERE a <> key),
				replace(sel, 'r.', 'p.'),
				'p_' || f.function_name,
				(SELECT string_agg('$' || i, ', ' ORDER BY i) FROM generate_series(1, cardinality(in_n)) AS i),
				array_to_string(out_n, ', '));
		ELSIF rule IN ('id', 'address') THEN
			SELECT min(u.i) INTO key FROM unnest(in_n, in_t) WITH ORDINALITY AS u(n, t, i)
			 WHERE CASE WHEN rule = 'id' THEN u.n LIKE '%\_id' ELSE u.n IN ('mailbox', 'smtp_address') END
			   AND u.t = 'text';
			ddl := format($f$CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE plproxy %s%s SET search_path = pg_catalog, pg_temp AS $twin$
	CLUSTER 'ews_nodes';
	RUN ON ews_router.%s(%s);
	SELECT %s FROM %I.%I(%s) AS r;
$twin$$f$,
				ext, f.function_name, f.arguments, f.result, 'VOLATILE', CASE WHEN f.is_strict THEN ' STRICT' ELSE '' END,
				CASE WHEN rule = 'id' THEN 'node_of_id' ELSE 'node_of_address' END, in_n[key],
				sel, nsp, f.function_name, array_to_string(in_n, ', '));
		ELSIF rule = 'id_sources' THEN
			SELECT min(u.i) INTO key FROM unnest(in_n, in_t) WITH ORDINALITY AS u(n, t, i)
			 WHERE u.n LIKE '%\_id' AND u.t = 'text';
			SELECT min(u.i) INTO src FROM unnest(in_n, in_t) WITH ORDINALITY AS u(n, t, i)
			 WHERE u.n LIKE '%\_ids' AND u.t = 'text[]';
			ddl := format($f$CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE sql %s%s SET search_path = pg_catalog, pg_temp AS $twin$
	SELECT %s
	  FROM ews_router.%I(ews_router.node_of_id($%s), %s) WITH ORDINALITY AS r(%s, _n)
	  LEFT JOIN LATERAL ews_router.source_fix($%s, ($%s)[r._n], r.response_code, r.mailbox_guid, %L, %L) x ON true
	 ORDER BY r._n
$twin$$f$,
				ext, f.function_name, f.arguments, f.result, 'VOLATILE', CASE WHEN f.is_strict THEN ' STRICT' ELSE '' END,
				(SELECT string_agg(CASE WHEN u.n IN ('response_class', 'response_code', 'message_text', 'mailbox_guid')
				                        THEN format('CASE WHEN x.response_code IS NULL THEN r.%1$s ELSE x.%1$s END', u.n)
				                        ELSE format('CASE WHEN x.response_code IS NULL THEN r.%1$s END', u.n) END,
				                   ', ' ORDER BY u.i)
				   FROM unnest(out_n) WITH ORDINALITY AS u(n, i)),
				'p_' || f.function_name, key,
				(SELECT string_agg('$' || i, ', ' ORDER BY i) FROM generate_series(1, cardinality(in_n)) AS i),
				array_to_string(out_n, ', '),
				key, src,
				CASE WHEN in_n[src] = 'folder_ids' THEN 'folder' ELSE 'item' END,
				CASE WHEN f.function_name LIKE '%copy%' THEN 'copy' ELSE 'move' END);
		ELSIF rule = 'list_mailboxes' THEN
			-- every node, each mailbox once: from the node the directory names (a
			-- mailbox is on two nodes while it moves), in the nodes' order
			ddl := format($f$CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE sql %s%s SET search_path = pg_catalog, pg_temp AS $twin$
	SELECT %s
	  FROM pg_catalog.generate_series(0, ews_router.node_count() - 1) AS n(node)
	 CROSS JOIN LATERAL ews_router.%I(n.node) r
	 WHERE ews_router.node_of_guid(r.mailbox_guid) = n.node
	 ORDER BY pg_catalog.lower(r.smtp_address) COLLATE "C"
$twin$$f$,
				ext, f.function_name, f.arguments, f.result, 'VOLATILE', CASE WHEN f.is_strict THEN ' STRICT' ELSE '' END,
				sel, 'p_' || f.function_name);
		ELSIF rule = 'every_node' THEN
			ddl := format($f$CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE sql %s%s SET search_path = pg_catalog, pg_temp AS $twin$
	SELECT %s
	  FROM pg_catalog.generate_series(0, ews_router.node_count() - 1) AS n(node)
	 CROSS JOIN LATERAL ews_router.%I(n.node%s) r
$twin$$f$,
				ext, f.function_name, f.arguments, f.result, 'VOLATILE', CASE WHEN f.is_strict THEN ' STRICT' ELSE '' END,
				(SELECT string_agg(format('pg_catalog.sum(r.%s)::bigint', u.n), ', ' ORDER BY u.i)
				   FROM unnest(out_n) WITH ORDINALITY AS u(n, i)),
				'p_' || f.function_name,
				(SELECT COALESCE(string_agg(', $' || i, '' ORDER BY i), '') FROM generate_series(1, cardinality(in_n)) AS i));
		ELSIF rule = 'create_mailbox' THEN
			ddl := format($f$CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE plpgsql %s%s SET search_path = pg_catalog, pg_temp AS $twin$
DECLARE
	node integer := ews_router.place();
	guid uuid;
BEGIN
	IF node IS NULL THEN
		RAISE EXCEPTION 'no node accepts new mailboxes' USING ERRCODE = '55000',
			HINT = 'Add a node, or let one accept new mailboxes with ews_router_set_node().';
	END IF;
	-- the node checks the address and the caller's right to create it
	guid := ews_router.%I(node, $1, $2, $3);
	IF NOT ews_router.register(node, guid) THEN
		-- the address exists on another node: undo, and answer as a node would
		PERFORM ews_router.%I(node, $1);
		RAISE EXCEPTION 'mailbox "%%" already exists', $1 USING ERRCODE = '23505';
	END IF;
	RETURN guid;
END
$twin$$f$,
				ext, f.function_name, f.arguments, f.result, 'VOLATILE', CASE WHEN f.is_strict THEN ' STRICT' ELSE '' END,
				'p_ews_create_mailbox', 'p_ews_drop_mailbox');
		ELSIF rule = 'drop_mailbox' THEN
			ddl := format($f$CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE plpgsql %s%s SET search_path = pg_catalog, pg_temp AS $twin$
DECLARE
	node integer := ews_router.node_of_address($1);
BEGIN
	-- the node checks the caller's right to drop it
	PERFORM ews_router.%I(node, $1);
	PERFORM ews_router.unregister(node, $1);
END
$twin$$f$,
				ext, f.function_name, f.arguments, f.result, 'VOLATILE', CASE WHEN f.is_strict THEN ' STRICT' ELSE '' END,
				'p_ews_drop_mailbox');
		ELSIF rule = 'address_pair' THEN
			SELECT min(u.i) INTO key FROM unnest(in_n) WITH ORDINALITY AS u(n, i) WHERE u.n = 'mailbox';
			SELECT min(u.i) INTO src FROM unnest(in_n) WITH ORDINALITY AS u(n, i) WHERE u.n = 'delegate';
			ddl := format($f$CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE plpgsql VOLATILE%s SET search_path = pg_catalog, pg_temp AS $twin$
DECLARE
	node integer := ews_router.node_of_address($%s);
BEGIN
	-- unknown addresses have a node too (the keyed hash): this tells no one what exists
	IF node <> ews_router.node_of_address($%s) THEN
		RAISE EXCEPTION 'mailbox "%%" is on another node than mailbox "%%"', $%s, $%s USING ERRCODE = '55000',
			DETAIL = 'A delegate must be on the node of the mailbox it is a delegate of.',
			HINT = 'Move one of the two mailboxes with ews_move_mailbox first.';
	END IF;
	%s ews_router.%I(node, %s);
END
$twin$$f$,
				ext, f.function_name, f.arguments, f.result, CASE WHEN f.is_strict THEN ' STRICT' ELSE '' END,
				key, src, src, key,
				CASE WHEN f.result = 'void' THEN 'PERFORM'
				     WHEN f.returns_set THEN 'RETURN QUERY SELECT * FROM'
				     ELSE 'RETURN' END,
				'p_' || f.function_name,
				(SELECT string_agg('$' || i, ', ' ORDER BY i) FROM generate_series(1, cardinality(in_n)) AS i));
		ELSIF rule = 'refused' THEN
			ddl := format($f$CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $twin$
BEGIN
	RAISE EXCEPTION '%s is not available through the router', %L USING ERRCODE = '0A000',
		DETAIL = 'Each call through the router is a transaction of its own on its node: an acting user set for the transaction would not reach the calls after it.',
		HINT = 'Act for a user with ExchangeImpersonation or the mailbox argument of ews_soap, or connect to the node.';
END
$twin$$f$,
				ext, f.function_name, f.arguments, f.result, '%', f.function_name);
		ELSIF rule = 'soap' THEN
			-- no SET search_path: see src/router.c
			ddl := format($f$CREATE FUNCTION %I.%I(%s) RETURNS %s AS %L, 'ews_router_soap' LANGUAGE C %s%s$f$,
				ext, f.function_name, f.arguments, f.result, '$libdir/ews', 'VOLATILE',
				CASE WHEN f.is_strict THEN ' STRICT' ELSE '' END);
		END IF;
		EXECUTE ddl;
		made := made || (format('%I.%I', ext, f.function_name) || '(' || ews_router.in_types(f.argument_types, f.argument_modes) || ')');
		-- who may execute it: as on the nodes (roles must exist here too)
		EXECUTE format('REVOKE ALL ON FUNCTION %I.%I(%s) FROM PUBLIC', ext, f.function_name, f.identity_arguments);
		FOR g IN SELECT unnest(f.executors) AS who LOOP
			EXECUTE format('GRANT EXECUTE ON FUNCTION %I.%I(%s) TO %s', ext, f.function_name, f.identity_arguments,
						   CASE WHEN g.who = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(g.who) END);
		END LOOP;
		EXECUTE format('COMMENT ON FUNCTION %I.%I(%s) IS %L', ext, f.function_name, f.identity_arguments,
					   f.description || ' (through the router: rule ' || rule || ')');
		RETURN NEXT;
	END LOOP;

	FOREACH sig IN ARRAY made LOOP
		-- the internal functions are called with the twins' rights: as the calling role
		EXECUTE format('ALTER EXTENSION ews_router ADD FUNCTION %s', sig);
		INSERT INTO ews_router.generated (signature, rule) VALUES (sig, 'sync');
	END LOOP;
END
$sync$;
COMMENT ON FUNCTION ews_router_sync() IS
	'make the router''s twin of every ews_* function of the nodes from node 0''s catalog, by routing rules on argument names and types; returns each function''s rule (none: no rule fits)';

-- ---------------------------------------------------------------------
-- ews_router_check(): what would make the router answer other than a node
-- ---------------------------------------------------------------------

CREATE FUNCTION ews_router_check(OUT object text, OUT problem text)
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ext text := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
	              WHERE e.extname = 'ews_router');
	nodes integer := (SELECT count(*) FROM ews_router.node);
	first record;
	v record;
	f record;
	tw oid;
BEGIN
	PERFORM ews_router.require_superuser('check the router');
	IF nodes = 0 THEN
		object := 'nodes'; problem := 'the router has no nodes'; RETURN NEXT; RETURN;
	END IF;
	first := ews_router.node_ews(0);
	FOR i IN 1 .. nodes - 1 LOOP
		v := ews_router.node_ews(i);
		IF v IS DISTINCT FROM first THEN
			object := (SELECT 'node ' || n.name FROM ews_router.node n WHERE n.node_id = i);
			problem := format('runs ews %s in schema %s; node 0 runs %s in %s', v.version, v.schema, first.version, first.schema);
			RETURN NEXT;
		END IF;
		-- mailboxes move between nodes table by table: the tables must agree
		FOR f IN (SELECT * FROM ews_router.p_tables(0) EXCEPT SELECT * FROM ews_router.p_tables(i))
		         UNION (SELECT * FROM ews_router.p_tables(i) EXCEPT SELECT * FROM ews_router.p_tables(0)) LOOP
			object := format('table ews.%s on node %s', f.table_name, (SELECT n.name FROM ews_router.node n WHERE n.node_id = i));
			problem := 'differs from node 0''s';
			RETURN NEXT;
		END LOOP;
	END LOOP;
	FOR f IN SELECT * FROM ews_router.p_tables(0) LOOP
		-- node-wide settings, part of no mailbox (the access section's admin role)
		IF NOT f.holds_mailboxes AND f.table_name NOT IN ('admin_role') THEN
			object := 'table ews.' || f.table_name;
			problem := 'has no mailbox_id column: its rows do not move with mailboxes';
			RETURN NEXT;
		END IF;
	END LOOP;
	-- every node function has a twin with its arguments and result
	FOR f IN SELECT * FROM ews_router.p_catalog(0) LOOP
		IF ews_router.rule_of(f.function_name, f.argument_names, f.argument_types, f.argument_modes) IS NULL THEN
			object := format('function %s(%s)', f.function_name, f.identity_arguments);
			problem := 'no routing rule fits its arguments';
			RETURN NEXT;
			CONTINUE;
		END IF;
		tw := to_regprocedure(format('%I.%I(%s)', ext, f.function_name, ews_router.in_types(f.argument_types, f.argument_modes)));
		IF tw IS NULL THEN
			object := format('function %s(%s)', f.function_name, f.identity_arguments);
			problem := 'has no twin on the router (run ews_router_sync())';
			RETURN NEXT;
		ELSIF pg_get_function_arguments(tw) IS DISTINCT FROM f.arguments
		      OR pg_get_function_result(tw) IS DISTINCT FROM f.result THEN
			object := format('function %s(%s)', f.function_name, f.identity_arguments);
			problem := format('the twin is (%s) %s, the node''s (%s) %s',
							  pg_get_function_arguments(tw), pg_get_function_result(tw), f.arguments, f.result);
			RETURN NEXT;
		END IF;
	END LOOP;
	-- and no twin outlives its node function
	FOR f IN SELECT g.signature FROM ews_router.generated g
	          WHERE g.signature LIKE quote_ident(ext) || '.%'
	            AND NOT EXISTS (SELECT 1 FROM ews_router.p_catalog(0) c
	                             WHERE to_regprocedure(g.signature) = to_regprocedure(format('%I.%I(%s)', ext, c.function_name,
	                                                                          ews_router.in_types(c.argument_types, c.argument_modes)))) LOOP
		object := 'function ' || f.signature;
		problem := 'the nodes have no such function (run ews_router_sync())';
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION ews_router_check() IS
	'what would make the router answer differently from a node: nodes that differ, node functions without a twin or routing rule, tables a move cannot carry; no rows when all is well';

-- ---------------------------------------------------------------------
-- ews_router_reconcile(): the directory against what the nodes hold
-- ---------------------------------------------------------------------

CREATE FUNCTION ews_router_reconcile(repair boolean DEFAULT false,
	OUT problem text, OUT mailbox_id uuid, OUT smtp_address text, OUT node text)
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	nodes integer := (SELECT count(*) FROM ews_router.node);
BEGIN
	PERFORM ews_router.require_superuser('reconcile the directory');
	CREATE TEMP TABLE IF NOT EXISTS ews_router_held (node_id integer, mailbox_id uuid, smtp_address text, owner text) ON COMMIT DROP;
	TRUNCATE ews_router_held;
	FOR i IN 0 .. nodes - 1 LOOP
		INSERT INTO ews_router_held SELECT i, x.mailbox_id, x.smtp_address, x.owner FROM ews_router.p_mailboxes(i, NULL, NULL) x;
	END LOOP;
	FOR r IN
		SELECT 'held by a node, not in the directory' AS p, h.*, n.name
		  FROM ews_router_held h JOIN ews_router.node n USING (node_id)
		 WHERE NOT EXISTS (SELECT 1 FROM ews_router.mailbox m WHERE m.mailbox_id = h.mailbox_id)
		UNION ALL
		SELECT 'a copy on a node the directory does not name', h.*, n.name
		  FROM ews_router_held h JOIN ews_router.node n USING (node_id)
		  JOIN ews_router.mailbox m ON m.mailbox_id = h.mailbox_id
		 WHERE m.node_id <> h.node_id AND m.moving_to IS DISTINCT FROM h.node_id
		UNION ALL
		SELECT 'in the directory, not on its node', m.node_id, m.mailbox_id, m.smtp_address, m.owner_name, n.name
		  FROM ews_router.mailbox m JOIN ews_router.node n USING (node_id)
		 WHERE NOT EXISTS (SELECT 1 FROM ews_router_held h WHERE h.mailbox_id = m.mailbox_id AND h.node_id = m.node_id)
		UNION ALL
		SELECT 'owner or address differ from the node''s', h.*, n.name
		  FROM ews_router_held h JOIN ews_router.node n USING (node_id)
		  JOIN ews_router.mailbox m ON m.mailbox_id = h.mailbox_id AND m.node_id = h.node_id
		 WHERE m.owner_name <> h.owner OR m.smtp_address <> h.smtp_address
		 ORDER BY 1, 4
	LOOP
		problem := r.p; mailbox_id := r.mailbox_id; smtp_address := r.smtp_address; node := r.name;
		IF repair THEN
			IF r.p = 'held by a node, not in the directory' THEN
				IF NOT ews_router.register(r.node_id, r.mailbox_id) THEN
					problem := problem || ' (not repaired: another mailbox has the address)';
				ELSE
					problem := problem || ' (registered)';
				END IF;
			ELSIF r.p = 'a copy on a node the directory does not name' THEN
				-- left by a move that died: not routed to, so it goes
				PERFORM ews_router.p_freeze(r.node_id, r.mailbox_id, 10000);
				PERFORM ews_router.p_delete(r.node_id, r.mailbox_id);
				PERFORM ews_router.p_thaw(r.node_id, r.mailbox_id);
				problem := problem || ' (deleted)';
			ELSIF r.p = 'in the directory, not on its node' THEN
				DELETE FROM ews_router.mailbox m WHERE m.mailbox_id = r.mailbox_id AND m.moving_to IS NULL;
				UPDATE ews_router.node n SET mailboxes = n.mailboxes - 1 WHERE n.node_id = r.node_id;
				problem := problem || ' (removed)';
			ELSE
				UPDATE ews_router.mailbox m SET owner_name = r.owner, smtp_address = r.smtp_address
				 WHERE m.mailbox_id = r.mailbox_id;
				problem := problem || ' (updated)';
			END IF;
		END IF;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION ews_router_reconcile(boolean) IS
	'compare the directory with the mailboxes the nodes hold; with repair, register what is missing, delete copies left by failed moves, drop rows of mailboxes gone, update owners';

-- ---------------------------------------------------------------------
-- ews_move_mailbox: a mailbox to another node
-- ---------------------------------------------------------------------

-- A move carries a mailbox's own rows; rows that tie it to other mailboxes
-- of its node (ews_scaleout_links: a delegate, say) would break, so the
-- move refuses such a mailbox.
CREATE FUNCTION ews_router.no_links(_node integer, _mailbox uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ties text;
BEGIN
	SELECT string_agg(format('%s rows of ews.%s.%s', l.row_count, l.table_name, l.column_name), ', ')
	  INTO ties FROM ews_router.p_links(_node, _mailbox) l WHERE l.row_count > 0;
	IF ties IS NOT NULL THEN
		RAISE EXCEPTION 'mailbox % is tied to other mailboxes of its node: %', _mailbox, ties
			USING ERRCODE = '55000',
			      HINT = 'A move carries one mailbox''s own rows; remove the ties (delegates) first, or move nothing.';
	END IF;
END
$$;
COMMENT ON FUNCTION ews_router.no_links(integer, uuid) IS
	'raise when rows tie the mailbox to other mailboxes of its node (ews_scaleout_links)';
REVOKE EXECUTE ON FUNCTION ews_router.no_links(integer, uuid) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- ews_move_mailbox: the procedure
-- ---------------------------------------------------------------------

-- Ids, ChangeKeys, article numbers and sync states stay valid because the
-- mailbox arrives as it was: every row of every table of schema ews that
-- holds it (from the catalog, whatever columns a version adds), with its
-- GUID, local ids and change numbers.  The target's sequences first move
-- past the source's, so that every later id and change number is larger
-- than any the mailbox has.  Writes are refused (ErrorMailboxMoveInProgress)
-- from the moment the source holds the mailbox until the directory names
-- the target; reads go on, from the source, then from the target.
-- A procedure: it commits along the way.  Call it outside a transaction
-- block, as a superuser (on the router and the nodes).
CREATE PROCEDURE ews_move_mailbox(smtp_address text, to_node text, wait_ms integer DEFAULT 30000)
LANGUAGE plpgsql
AS $$
DECLARE
	m record;
	src integer;
	dst integer;
	g uuid;
	t record;
	rows text[];
	last_key text[];
	page_bytes numeric;
	names text[];
	vals bigint[];
	ok boolean := false;
	err text;
	errstate text;
	chunk_rows constant integer := 1000;
	chunk_bytes constant bigint := 8 * 1024 * 1024;
BEGIN
	PERFORM ews_router.require_superuser('move mailboxes');
	SELECT x.* INTO m FROM ews_router.mailbox x
	 WHERE pg_catalog.lower(x.smtp_address) = pg_catalog.lower(ews_move_mailbox.smtp_address);
	IF NOT FOUND THEN
		RAISE EXCEPTION 'mailbox "%" does not exist', ews_move_mailbox.smtp_address USING ERRCODE = '42704';
	END IF;
	SELECT n.node_id INTO dst FROM ews_router.node n WHERE n.name = to_node;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'node "%" does not exist', to_node USING ERRCODE = '42704';
	END IF;
	src := m.node_id;
	g := m.mailbox_id;
	IF dst = src THEN
		RAISE NOTICE 'mailbox "%" is on node "%" already', ews_move_mailbox.smtp_address, to_node;
		RETURN;
	END IF;
	UPDATE ews_router.mailbox x SET moving_to = dst WHERE x.mailbox_id = g AND x.moving_to IS NULL;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'mailbox "%" is being moved already', ews_move_mailbox.smtp_address USING ERRCODE = '55006';
	END IF;
	COMMIT;

	BEGIN
		IF (SELECT pg_catalog.array_agg(x ORDER BY x.table_name) FROM ews_router.p_tables(src) x)::text
		   IS DISTINCT FROM (SELECT pg_catalog.array_agg(x ORDER BY x.table_name) FROM ews_router.p_tables(dst) x)::text THEN
			RAISE EXCEPTION 'the nodes store mailboxes differently (their ews tables differ)' USING ERRCODE = '55000',
				HINT = 'Update extension ews on both nodes to the same version.';
		END IF;
		-- the source: running writes end, new ones are refused
		PERFORM ews_router.p_freeze(src, g, wait_ms);
		PERFORM ews_router.no_links(src, g);
		-- the target: nothing but this move writes the copy; a copy left by
		-- a move that died (the directory never named it) goes first
		PERFORM ews_router.p_freeze(dst, g, wait_ms);
		PERFORM ews_router.p_delete(dst, g);
		-- ids and change numbers of the target go past every one the mailbox has
		SELECT pg_catalog.array_agg(s.sequence_name), pg_catalog.array_agg(s.last_value)
		  INTO names, vals FROM ews_router.p_sequences(src) s;
		PERFORM ews_router.p_advance(dst, names, vals, wait_ms);
		-- every table holding mailbox rows, page by page in primary key order
		FOR t IN SELECT x.table_name FROM ews_router.p_tables(src) x WHERE x.holds_mailboxes ORDER BY 1 LOOP
			last_key := NULL;
			LOOP
				SELECT pg_catalog.array_agg(e.row_data ORDER BY e.o),
				       ((pg_catalog.array_agg(e.row_key::text ORDER BY e.o DESC))[1])::text[],
				       pg_catalog.sum(pg_catalog.octet_length(e.row_data))
				  INTO rows, last_key, page_bytes
				  FROM ews_router.p_export(src, g, t.table_name, last_key, chunk_rows, chunk_bytes)
				       WITH ORDINALITY AS e(row_data, row_key, o);
				EXIT WHEN rows IS NULL;
				PERFORM ews_router.p_import(dst, g, t.table_name, rows);
				-- a table without a key comes in one page
				EXIT WHEN last_key IS NULL;
				-- a short page was the last one (a page ends early only at max_bytes, never short)
				EXIT WHEN pg_catalog.cardinality(rows) < chunk_rows AND page_bytes < chunk_bytes;
			END LOOP;
		END LOOP;
		-- the copy is the mailbox, row for row
		IF (SELECT pg_catalog.array_agg(x ORDER BY x.table_name) FROM ews_router.p_checksum(src, g) x)::text
		   IS DISTINCT FROM (SELECT pg_catalog.array_agg(x ORDER BY x.table_name) FROM ews_router.p_checksum(dst, g) x)::text THEN
			RAISE EXCEPTION 'the copy of mailbox % on the target differs from the source', g USING ERRCODE = 'XX001';
		END IF;
		-- no tie made meanwhile by another mailbox's write
		PERFORM ews_router.no_links(src, g);
		-- both still held: a lost connection would have let writes in
		IF NOT (ews_router.p_frozen(src, g) AND ews_router.p_frozen(dst, g)) THEN
			RAISE EXCEPTION 'the hold on mailbox % was lost during the move', g USING ERRCODE = '55000';
		END IF;
		ok := true;
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS err = MESSAGE_TEXT, errstate = RETURNED_SQLSTATE;
	END;

	IF NOT ok THEN
		-- the source stays as it was; the partial copy goes.  A node's error
		-- costs PL/Proxy its connection, and the hold with it: hold again
		-- (the directory does not name the target, nothing else writes there)
		BEGIN
			PERFORM ews_router.p_freeze(dst, g, wait_ms);
			PERFORM ews_router.p_delete(dst, g);
			PERFORM ews_router.p_thaw(dst, g);
		EXCEPTION WHEN OTHERS THEN
			NULL;	-- ews_router_reconcile(true) removes what is left
		END;
		BEGIN
			PERFORM ews_router.p_thaw(src, g);
		EXCEPTION WHEN OTHERS THEN
			NULL;	-- a lost connection released the hold already
		END;
		UPDATE ews_router.mailbox x SET moving_to = NULL WHERE x.mailbox_id = g;
		COMMIT;
		RAISE EXCEPTION 'moving mailbox "%" to node "%" failed: %', ews_move_mailbox.smtp_address, to_node,
			-- a node's message without PL/Proxy's "fn(n): [db] REMOTE ERROR: "
			pg_catalog.regexp_replace(err, '^[A-Za-z0-9_."]+\(\d+\): \[[^]]*\] REMOTE [A-Z]+: ', '')
			USING ERRCODE = errstate;
	END IF;

	-- the switch: from now on calls go to the target
	UPDATE ews_router.mailbox x SET node_id = dst, moving_to = NULL WHERE x.mailbox_id = g;
	UPDATE ews_router.node n SET mailboxes = n.mailboxes - 1 WHERE n.node_id = src;
	UPDATE ews_router.node n SET mailboxes = n.mailboxes + 1 WHERE n.node_id = dst;
	COMMIT;
	PERFORM ews_router.p_thaw(dst, g);
	-- calls that looked the mailbox up before the switch end before the source copy goes
	PERFORM ews_router.barrier(g);
	COMMIT;
	PERFORM ews_router.p_delete(src, g);
	PERFORM ews_router.p_thaw(src, g);
	COMMIT;
END
$$;
COMMENT ON PROCEDURE ews_move_mailbox(text, text, integer) IS
	'move a mailbox to another node with its ids, ChangeKeys, article numbers and sync states; writes wait out the move with ErrorMailboxMoveInProgress; CALL outside a transaction block, as a superuser';

REVOKE EXECUTE ON FUNCTION ews_router_add_node(text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_router_set_node(text, text, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_router_remove_node(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_router_nodes() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_router_mailboxes() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_router_sync() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_router_check() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_router_reconcile(boolean) FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE ews_move_mailbox(text, text, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ews_router.make_internals(text) FROM PUBLIC;
