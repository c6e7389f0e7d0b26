/*
 * router.c
 *	  The router side of scale-out (the extension ews_router, README
 *	  "Scale-out"): which node a call goes to, and ews_soap in front of the
 *	  nodes.
 *
 * The router database holds the directory (ews_router.mailbox: GUID and
 * address of every mailbox and the node that holds it) and PL/Proxy
 * functions with the names and arguments of the nodes' ews_* functions.
 * PL/Proxy asks the functions here which node each call, or each element
 * of a batch, goes to.  They run as the calling role (PL/Proxy then
 * connects to the node as that role, so the node checks access as it
 * always does) and read the directory as its owner, the way the store core
 * reads the tables (store.c): callers get no rights on the directory.
 *
 * Tenancy.  A caller may ask these functions about any address or GUID, so
 * they must not tell a mailbox from one that does not exist.  An address
 * or GUID the directory does not know goes to a node chosen by a keyed hash
 * (SHA-256 of a secret random key kept in the directory, and the address or
 * GUID): without the key no one can tell that node from a real one.  And
 * ews_soap refuses a request naming mailboxes of two nodes only when the
 * caller may read the other node's mailbox (asked of that node).
 *
 * search_path.  The C functions here are on the path of every routed call
 * and do not pin search_path (a SET clause costs a GUC save and restore per
 * call): instead every statement they run names its schema for each table,
 * function and operator (OPERATOR(pg_catalog.=)), so no object of the
 * caller's can stand in, although the statements run as the directory's
 * owner.
 *
 * Moves.  A mailbox moves (ews_move_mailbox) by copying it to the target
 * while the source refuses its writes, switching its directory row, and
 * then deleting it from the source.  A call that read the old row just
 * before the switch must not reach the source after the delete: so every
 * lookup that finds a mailbox takes a share of a lock on it for the
 * router's transaction, and the mover takes that lock exclusively between
 * the switch and the delete (ews_router.barrier), which waits for the calls
 * that may still be on their way to the old node.
 */
#include "postgres.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "access/detoast.h"
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/uuid.h"
#include "utils/xml.h"

#include "ews.h"
#include "ewserr.h"
#include "ids.h"
#include "soap.h"
#include "soapwrite.h"
#include "store.h"

/* locktag field 4 of the router's lock on a mailbox: "EX" (scaleout.c uses "EW" on nodes) */
#define EWS_ROUTE_LOCK 0x4558

#define SMTP_MAX	320			/* longest SMTP address (mailbox.c) */
#define SCAN_MAX_REFS 4096		/* distinct mailboxes one SOAP request may name */
#define SCAN_FIRST_REFS 32		/* room of the first pass (a second pass has SCAN_MAX_REFS) */

/* ---- error messages through the router ---- */

/*
 * PL/Proxy reports an error of a node as
 *	"fn(3): [db] REMOTE ERROR: mailbox "x" does not exist"
 * with "Remote detail: " and "Remote hint: " in front of the detail and the
 * hint.  The router's functions have the node's names, so their errors
 * should read as the node's: this hook, installed in a backend the first
 * time it routes a call, takes the prefixes off the messages of the ews
 * functions (the SQLSTATE was the node's already).
 */
static emit_log_hook_type prev_emit_log_hook = NULL;
static bool hook_installed = false;

/* past "name(n): [db] REMOTE LEVEL: " when s starts so and name is one of ours, else NULL */
static const char *
remote_prefix_end(const char *s)
{
	const char *p = s;
	const char *name = s;
	bool		ours = false;

	while (*p && (isalnum((unsigned char) *p) || *p == '_' || *p == '.' || *p == '"'))
	{
		if (strncmp(p, "ews_", 4) == 0)
			ours = true;
		p++;
	}
	if (p == name || !ours)
		return NULL;
	if (*p++ != '(')
		return NULL;
	while (isdigit((unsigned char) *p))
		p++;
	if (strncmp(p, "): [", 4) != 0)
		return NULL;
	p = strchr(p + 4, ']');
	if (p == NULL || strncmp(p, "] REMOTE ", 9) != 0)
		return NULL;
	p = strstr(p + 9, ": ");
	return p ? p + 2 : NULL;
}

static void
router_emit_log(ErrorData *edata)
{
	const char *rest;

	/*
	 * After a node's error PL/Proxy drops that connection at its next use
	 * and says so to the client: housekeeping of the router, which a client
	 * of the ews functions has no use for.  The server log keeps it.
	 */
	if (edata->elevel == NOTICE && edata->message &&
		strcmp(edata->message, "PL/Proxy: dropping stale conn") == 0)
		edata->output_to_client = false;

	if (edata->message && (rest = remote_prefix_end(edata->message)) != NULL)
	{
		edata->message = pstrdup(rest);
		if (edata->detail && strncmp(edata->detail, "Remote detail: ", 15) == 0)
			edata->detail = pstrdup(edata->detail + 15);
		if (edata->hint && strncmp(edata->hint, "Remote hint: ", 13) == 0)
			edata->hint = pstrdup(edata->hint + 13);
		if (edata->context && strncmp(edata->context, "Remote context: ", 16) == 0)
			edata->context = pstrdup(edata->context + 16);
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

static void
router_hook(void)
{
	if (!hook_installed)
	{
		prev_emit_log_hook = emit_log_hook;
		emit_log_hook = router_emit_log;
		hook_installed = true;
	}
}

/* ---- the directory ---- */

typedef struct RouterCtx
{
	Oid			saved_userid;
	int			saved_sec_context;
} RouterCtx;

static Oid
directory_relid(void)
{
	Oid			nsp = get_namespace_oid("ews_router", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("mailbox", nsp) : InvalidOid;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"ews_router.mailbox\" does not exist"),
				 errhint("Is the ews_router extension installed in this database?")));
	return relid;
}

/* SPI, and the directory's owner for the queries (as store.c does for the tables) */
static void
router_begin(RouterCtx *rc)
{
	HeapTuple	tup;
	Oid			owner;
	Oid			relid = directory_relid();

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	GetUserIdAndSecContext(&rc->saved_userid, &rc->saved_sec_context);
	SetUserIdAndSecContext(owner, rc->saved_sec_context | SECURITY_LOCAL_USERID_CHANGE);
}

static void
router_end(RouterCtx *rc)
{
	SetUserIdAndSecContext(rc->saved_userid, rc->saved_sec_context);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
}

static void
route_locktag(LOCKTAG *tag, const pg_uuid_t *mailbox)
{
	uint32		w[4];

	memcpy(w, mailbox->data, sizeof(w));
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, w[0] ^ w[2], w[1] ^ w[3], EWS_ROUTE_LOCK);
}

/*
 * Run a kept plan of the router.  Its statements are key lookups: a generic
 * plan from the start, instead of a custom plan made (and the table sizes
 * read) on each of the first executions.
 */
static uint64
router_exec(EwsPlan *p, Datum *values, const char *nulls, long count)
{
	if (p->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(p->sql, p->nargs, p->argtypes, CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", p->sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		p->plan = plan;
	}
	return ews_exec(p, values, nulls, false, count);
}

/* a share of the mailbox's lock for this transaction: see the head comment */
static void
route_share(const pg_uuid_t *mailbox)
{
	LOCKTAG		tag;

	route_locktag(&tag, mailbox);
	(void) LockAcquire(&tag, ShareLock, false, false);
}

/*
 * The node an unknown key goes to: SHA-256 of the directory's secret, a
 * kind byte and the key, modulo the number of nodes.
 */
static int32
keyed_node(char kind, const void *key, size_t len)
{
	static EwsPlan count_plan = {
		"SELECT pg_catalog.count(*)::pg_catalog.int4, (SELECT s.secret FROM ews_router.state s)"
		" FROM ews_router.node", 0, {InvalidOid}
	};
	pg_cryptohash_ctx *c;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	int32		count;
	bytea	   *secret;
	uint32		h;

	router_exec(&count_plan, NULL, NULL, 1);
	count = ews_col_int32(0, 1);
	if (count <= 0 || ews_col_isnull(0, 2))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the router has no nodes"),
				 errhint("Add them with ews_router_add_node().")));
	{
		bool		isnull;

		secret = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	}
	c = pg_cryptohash_create(PG_SHA256);
	if (c == NULL || pg_cryptohash_init(c) < 0 ||
		pg_cryptohash_update(c, (const uint8 *) VARDATA_ANY(secret), VARSIZE_ANY_EXHDR(secret)) < 0 ||
		pg_cryptohash_update(c, (const uint8 *) &kind, 1) < 0 ||
		pg_cryptohash_update(c, (const uint8 *) key, len) < 0 ||
		pg_cryptohash_final(c, digest, sizeof(digest)) < 0)
	{
		pg_cryptohash_free(c);
		elog(ERROR, "could not compute SHA-256");
	}
	pg_cryptohash_free(c);
	h = ((uint32) digest[0] << 24) | ((uint32) digest[1] << 16) | ((uint32) digest[2] << 8) | digest[3];
	return (int32) (h % (uint32) count);
}

/* inside router_begin: the node of a GUID, locking the mailbox when the directory knows it */
static int32
node_of_guid_known(const pg_uuid_t *g, bool *known)
{
	static EwsPlan plan = {
		"SELECT node_id FROM ews_router.mailbox WHERE mailbox_id OPERATOR(pg_catalog.=) $1", 1, {UUIDOID}
	};
	Datum		arg = UUIDPGetDatum(g);

	/* lock first, read second: a read after the lock sees a switch that committed before it */
	route_share(g);
	*known = router_exec(&plan, &arg, NULL, 1) == 1;
	if (*known)
		return ews_col_int32(0, 1);
	return keyed_node('g', g->data, UUID_LEN);
}

static int32
node_of_guid(const pg_uuid_t *g)
{
	bool		known;

	return node_of_guid_known(g, &known);
}

/* inside router_begin: the node of an SMTP address (compared case-insensitively) */
static int32
node_of_address_known(const char *smtp, bool *known)
{
	static EwsPlan plan = {
		"SELECT node_id, mailbox_id FROM ews_router.mailbox"
		" WHERE pg_catalog.lower(smtp_address) OPERATOR(pg_catalog.=) pg_catalog.lower($1)", 1, {TEXTOID}
	};
	Datum		arg = CStringGetTextDatum(smtp);
	char	   *folded;

	if (router_exec(&plan, &arg, NULL, 1) == 1)
	{
		bool		isnull;
		pg_uuid_t	g = *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));

		/* the GUID is known only now: lock, then read again (the row may have switched) */
		return node_of_guid_known(&g, known);
	}
	*known = false;
	folded = text_to_cstring(DatumGetTextPP(DirectFunctionCall1Coll(lower, DEFAULT_COLLATION_OID,
																	 CStringGetTextDatum(smtp))));
	return keyed_node('a', folded, strlen(folded));
}

static int32
node_of_address(const char *smtp)
{
	bool		known;

	return node_of_address_known(smtp, &known);
}

/*
 * inside router_begin: the node of the one mailbox the role owns, -1 when it
 * owns none or several (then it has no acting mailbox: soap.c).
 */
static int32
node_of_owner(const char *role)
{
	static EwsPlan plan = {
		"SELECT mailbox_id FROM ews_router.mailbox WHERE owner_name OPERATOR(pg_catalog.=) $1 LIMIT 2", 1, {TEXTOID}
	};
	Datum		arg = CStringGetTextDatum(role);
	bool		isnull;
	pg_uuid_t	g;

	if (router_exec(&plan, &arg, NULL, 2) != 1)
		return -1;
	g = *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return node_of_guid(&g);
}

/*
 * plproxy.get_cluster_version(cluster_name text) RETURNS int4: PL/Proxy asks
 * on every call whether the node list changed.  In C and with a kept plan,
 * because it is on the path of every routed call.
 */
static int32 cached_version = -1;	/* -1: read it from ews_router.state */
static Oid	state_relid = InvalidOid;

/*
 * The node list changes (ews_router_add_node and the like) end with
 * ews_router.touch(), a relcache invalidation of ews_router.state: every
 * backend then forgets the version it read, at the change's commit (its own
 * backend at once, and again if the change rolls back).
 */
static void
version_invalidated(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == state_relid)
		cached_version = -1;
}

PG_FUNCTION_INFO_V1(ews_router_cluster_version);
Datum
ews_router_cluster_version(PG_FUNCTION_ARGS)
{
	static EwsPlan plan = {
		"SELECT cluster_version FROM ews_router.state", 0, {InvalidOid}
	};
	static bool callback = false;
	RouterCtx	rc;
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	/* every routed call comes here first: the place to install the message hook */
	router_hook();
	if (strcmp(name, "ews_nodes") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("PL/Proxy cluster \"%s\" does not exist", name),
				 errhint("The router's cluster is ews_nodes.")));
	if (cached_version >= 0)
		PG_RETURN_INT32(cached_version);
	if (!callback)
	{
		CacheRegisterRelcacheCallback(version_invalidated, (Datum) 0);
		callback = true;
	}
	state_relid = get_relname_relid("state", get_namespace_oid("ews_router", false));
	router_begin(&rc);
	router_exec(&plan, NULL, NULL, 1);
	cached_version = ews_col_int32(0, 1);
	router_end(&rc);
	PG_RETURN_INT32(cached_version);
}

/* ews_router.touch() RETURNS void: after a change of the node list (see above) */
PG_FUNCTION_INFO_V1(ews_router_touch);
Datum
ews_router_touch(PG_FUNCTION_ARGS)
{
	Oid			relid = get_relname_relid("state", get_namespace_oid("ews_router", false));

	CacheInvalidateRelcacheByRelid(relid);
	PG_RETURN_VOID();
}

/* the mailbox GUID an EWS id carries, or false */
static bool
id_guid(const char *id, size_t len, pg_uuid_t *out)
{
	EwsObjectId oid;

	if (ews_id_decode(id, len, &oid) != EWS_ID_OK)
		return false;
	*out = *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(oid.mailbox)));
	return true;
}

static int32
node_of_id_text(const char *id)
{
	pg_uuid_t	g;

	/* a malformed id gets the same answer on every node */
	if (!id_guid(id, strlen(id), &g))
		return 0;
	return node_of_guid(&g);
}

/* ews_router.id_guid(id text) RETURNS uuid: the mailbox GUID of an EWS id, NULL if it is none */
PG_FUNCTION_INFO_V1(ews_router_id_guid);
Datum
ews_router_id_guid(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	pg_uuid_t  *g = palloc(sizeof(pg_uuid_t));

	if (!id_guid(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), g))
		PG_RETURN_NULL();
	PG_RETURN_UUID_P(g);
}

/* ews_router.node_of_guid(uuid) RETURNS int4 */
PG_FUNCTION_INFO_V1(ews_router_node_of_guid);
Datum
ews_router_node_of_guid(PG_FUNCTION_ARGS)
{
	RouterCtx	rc;
	int32		n;

	router_hook();
	if (PG_ARGISNULL(0))
		PG_RETURN_INT32(0);
	router_begin(&rc);
	n = node_of_guid(PG_GETARG_UUID_P(0));
	router_end(&rc);
	PG_RETURN_INT32(n);
}

/* ews_router.node_of_id(text) RETURNS int4 */
PG_FUNCTION_INFO_V1(ews_router_node_of_id);
Datum
ews_router_node_of_id(PG_FUNCTION_ARGS)
{
	RouterCtx	rc;
	int32		n;

	router_hook();
	if (PG_ARGISNULL(0))
		PG_RETURN_INT32(0);
	router_begin(&rc);
	n = node_of_id_text(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	router_end(&rc);
	PG_RETURN_INT32(n);
}

/* ews_router.node_of_address(text) RETURNS int4 */
PG_FUNCTION_INFO_V1(ews_router_node_of_address);
Datum
ews_router_node_of_address(PG_FUNCTION_ARGS)
{
	RouterCtx	rc;
	int32		n;

	router_hook();
	if (PG_ARGISNULL(0))
		PG_RETURN_INT32(0);
	router_begin(&rc);
	n = node_of_address(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	router_end(&rc);
	PG_RETURN_INT32(n);
}

/*
 * ews_router.split_plan(key text[], lengths int4[], ndims int4[],
 *                       OUT nodes int4[], OUT ords int4[])
 *
 * For a batch call: the node of each element of the key array (ids), and
 * the positions 1..n that bring the nodes' rows back into input order.
 * When the call cannot be split (the key array NULL, empty or not
 * one-dimensional, another array of a different length or shape), the
 * arrays are NULL and whole is the node (0) that gets the call whole and
 * answers it as it would, error included; likewise when every id is of one
 * node (whole is that node: nothing to split).  whole is NULL otherwise.
 */
PG_FUNCTION_INFO_V1(ews_router_split_plan);
Datum
ews_router_split_plan(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[3] = {0, 0, Int32GetDatum(0)};
	bool		nulls[3] = {true, true, false};
	ArrayType  *key;
	Datum	   *elems;
	bool	   *enulls;
	int			n;

	router_hook();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	if (PG_ARGISNULL(0))
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	key = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_NDIM(key) != 1)
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	deconstruct_array(key, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &n);
	if (n == 0)
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	for (int a = 1; a <= 2; a++)
	{
		Datum	   *d;
		bool	   *dn;
		int			m;

		if (PG_ARGISNULL(a))
			continue;
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(a), INT4OID, 4, true, TYPALIGN_INT, &d, &dn, &m);
		for (int i = 0; i < m; i++)
			if (!dn[i] && DatumGetInt32(d[i]) != (a == 1 ? n : 1))
				PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	}
	{
		RouterCtx	rc;
		Datum	   *nodes = palloc(sizeof(Datum) * n);
		Datum	   *ords = palloc(sizeof(Datum) * n);
		pg_uuid_t	last;
		int32		last_node = -1;
		int			k;

		router_begin(&rc);
		for (int i = 0; i < n; i++)
		{
			pg_uuid_t	g;
			int32		node = 0;

			CHECK_FOR_INTERRUPTS();
			if (!enulls[i] && id_guid(VARDATA_ANY(elems[i]), VARSIZE_ANY_EXHDR(elems[i]), &g))
			{
				/* a batch names one mailbox many times: look it up once */
				if (last_node >= 0 && memcmp(&g, &last, sizeof(g)) == 0)
					node = last_node;
				else
				{
					node = last_node = node_of_guid(&g);
					last = g;
				}
			}
			nodes[i] = Int32GetDatum(node);
			ords[i] = Int32GetDatum(i + 1);
		}
		router_end(&rc);
		for (k = 1; k < n && nodes[k] == nodes[0]; k++)
			;
		if (k == n)
		{
			/* one node holds them all: the whole call goes there, no split to pay for */
			values[2] = nodes[0];
			PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
		}
		values[0] = PointerGetDatum(construct_array(nodes, n, INT4OID, 4, true, TYPALIGN_INT));
		values[1] = PointerGetDatum(construct_array(ords, n, INT4OID, 4, true, TYPALIGN_INT));
		nulls[0] = nulls[1] = false;
		nulls[2] = true;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * ews_router.barrier(mailbox uuid) RETURNS void: for the mover, between the
 * switch of the directory row and the delete on the old node.  Waits until
 * every router transaction that looked the mailbox up has ended; released at
 * the end of this transaction.
 */
PG_FUNCTION_INFO_V1(ews_router_barrier);
Datum
ews_router_barrier(PG_FUNCTION_ARGS)
{
	LOCKTAG		tag;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for function ews_router.barrier")));
	route_locktag(&tag, PG_GETARG_UUID_P(0));
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	PG_RETURN_VOID();
}

/* ---- ews_soap through the router ---- */

/*
 * Which mailboxes a SOAP request names: the ExchangeImpersonation address,
 * every t:Mailbox/t:EmailAddress, the GUID of every id (an Id attribute in
 * the types namespace that decodes as an EWS id), and whether some
 * t:DistinguishedFolderId has no t:Mailbox (then it means the acting
 * mailbox).  Read by a libxml2 SAX pass that builds no tree; the callbacks
 * only copy into arrays allocated before the parse, so no PostgreSQL error
 * can be raised inside libxml2.  The request is only routed by this: the
 * node parses it again and decides everything, access included.
 */
typedef enum Capture
{
	CAP_NONE,
	CAP_IMPERSONATION,
	CAP_ADDRESS
} Capture;

typedef struct RouteScan
{
	int			depth;
	int			header_depth;
	int			body_depth;
	bool		op_seen;
	bool		convert_id;		/* ConvertId needs no mailbox: its ids are not routed */
	int			imp_depth;
	int			mailbox_depth;
	int			dfi_depth;
	bool		dfi_mailbox;
	bool		uses_acting;
	Capture		capture;
	int			capture_depth;
	char		text[SMTP_MAX + 1];
	int			text_len;
	bool		text_over;
	bool		has_imp;
	char		imp[SMTP_MAX + 1];
	char		version[64];
	char		(*addr)[SMTP_MAX + 1];
	int			naddr;
	pg_uuid_t  *guid;
	int			nguid;
	int			cap;			/* room in addr and guid */
	bool		overflow;		/* more than cap mailboxes */
	bool		failed;			/* not well-formed, or a DTD */
} RouteScan;

static bool
ns_is(const xmlChar *uri, const char *rest)
{
	const char *u = (const char *) uri;

	if (u == NULL)
		return false;
	if (strncmp(u, "http://", 7) == 0)
		u += 7;
	else if (strncmp(u, "https://", 8) == 0)
		u += 8;
	else
		return false;
	return strcmp(u, rest) == 0;
}

#define NS_ENV		"schemas.xmlsoap.org/soap/envelope/"
#define NS_MSG		"schemas.microsoft.com/exchange/services/2006/messages"
#define NS_TYPES	"schemas.microsoft.com/exchange/services/2006/types"

static RouteScan *
scan_of(void *ctx)
{
	return (RouteScan *) ((xmlParserCtxtPtr) ctx)->_private;
}

static bool
name_is(const xmlChar *localname, const char *name)
{
	return strcmp((const char *) localname, name) == 0;
}

static void
scan_add_guid(RouteScan *s, const pg_uuid_t *g)
{
	for (int i = 0; i < s->nguid; i++)
		if (memcmp(&s->guid[i], g, sizeof(*g)) == 0)
			return;
	if (s->nguid >= s->cap)
	{
		s->overflow = true;
		return;
	}
	s->guid[s->nguid++] = *g;
}

static void
scan_add_address(RouteScan *s, const char *a)
{
	for (int i = 0; i < s->naddr; i++)
		if (pg_strcasecmp(s->addr[i], a) == 0)
			return;
	if (s->naddr >= s->cap)
	{
		s->overflow = true;
		return;
	}
	strlcpy(s->addr[s->naddr++], a, SMTP_MAX + 1);
}

static void
scan_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
		   int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
		   const xmlChar **attributes)
{
	RouteScan  *s = scan_of(ctx);

	s->depth++;
	if (s->depth == 2 && ns_is(uri, NS_ENV))
	{
		if (name_is(localname, "Header"))
			s->header_depth = s->depth;
		else if (name_is(localname, "Body"))
			s->body_depth = s->depth;
		return;
	}
	if (s->body_depth && s->depth == s->body_depth + 1 && !s->op_seen)
	{
		s->op_seen = true;
		s->convert_id = ns_is(uri, NS_MSG) && name_is(localname, "ConvertId");
	}
	if (!ns_is(uri, NS_TYPES))
		return;
	if (s->header_depth)
	{
		if (name_is(localname, "ExchangeImpersonation"))
			s->imp_depth = s->depth;
		else if (s->imp_depth &&
				 (name_is(localname, "PrimarySmtpAddress") || name_is(localname, "SmtpAddress") ||
				  name_is(localname, "PrincipalName")))
		{
			s->capture = CAP_IMPERSONATION;
			s->capture_depth = s->depth;
			s->text_len = 0;
			s->text_over = false;
		}
		else if (name_is(localname, "RequestServerVersion"))
		{
			for (int i = 0; i < nb_attributes; i++)
			{
				const xmlChar **a = attributes + 5 * i;

				if (a[2] == NULL && name_is(a[0], "Version"))
				{
					size_t		len = a[4] - a[3];

					if (len < sizeof(s->version))
					{
						memcpy(s->version, a[3], len);
						s->version[len] = '\0';
					}
				}
			}
		}
		return;
	}
	if (!s->body_depth)
		return;
	if (name_is(localname, "DistinguishedFolderId"))
	{
		s->dfi_depth = s->depth;
		s->dfi_mailbox = false;
	}
	else if (name_is(localname, "Mailbox"))
	{
		s->mailbox_depth = s->depth;
		if (s->dfi_depth)
			s->dfi_mailbox = true;
	}
	else if (s->mailbox_depth && s->depth == s->mailbox_depth + 1 && name_is(localname, "EmailAddress"))
	{
		s->capture = CAP_ADDRESS;
		s->capture_depth = s->depth;
		s->text_len = 0;
		s->text_over = false;
	}
	if (!s->convert_id)
		for (int i = 0; i < nb_attributes; i++)
		{
			const xmlChar **a = attributes + 5 * i;
			pg_uuid_t	g;

			if (a[2] == NULL && name_is(a[0], "Id") &&
				id_guid((const char *) a[3], a[4] - a[3], &g))
				scan_add_guid(s, &g);
		}
}

static void
scan_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	RouteScan  *s = scan_of(ctx);

	if (s->capture != CAP_NONE && s->depth == s->capture_depth)
	{
		s->text[s->text_len] = '\0';
		if (!s->text_over && s->text_len > 0)
		{
			if (s->capture == CAP_IMPERSONATION)
			{
				strlcpy(s->imp, s->text, sizeof(s->imp));
				s->has_imp = true;
			}
			else
				scan_add_address(s, s->text);
		}
		s->capture = CAP_NONE;
	}
	if (s->depth == s->dfi_depth)
	{
		if (!s->dfi_mailbox)
			s->uses_acting = true;
		s->dfi_depth = 0;
	}
	if (s->depth == s->mailbox_depth)
		s->mailbox_depth = 0;
	if (s->depth == s->imp_depth)
		s->imp_depth = 0;
	if (s->depth == s->header_depth)
		s->header_depth = 0;
	if (s->depth == s->body_depth)
		s->body_depth = 0;
	s->depth--;
}

static void
scan_chars(void *ctx, const xmlChar *ch, int len)
{
	RouteScan  *s = scan_of(ctx);

	if (s->capture == CAP_NONE)
		return;
	if (s->text_len + len > SMTP_MAX)
	{
		s->text_over = true;
		return;
	}
	memcpy(s->text + s->text_len, ch, len);
	s->text_len += len;
}

static void
scan_dtd(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
	/* EWS requests have no DTD; the node refuses it, the router reads no further */
	scan_of(ctx)->failed = true;
	xmlStopParser((xmlParserCtxtPtr) ctx);
}

static void
scan_error(void *data, xmlErrorPtr err)
{
	xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr) data;

	if (ctxt != NULL && ctxt->_private != NULL && err != NULL && err->level >= XML_ERR_ERROR)
		((RouteScan *) ctxt->_private)->failed = true;
}

/*
 * Read the request into *s, with room for cap mailboxes (the callbacks
 * cannot allocate: a request naming more sets s->overflow).
 */
static void
scan_request(RouteScan *s, const char *utf8, size_t len, int cap)
{
	PgXmlErrorContext *errcxt;
	volatile xmlParserCtxtPtr ctxt = NULL;

	memset(s, 0, sizeof(*s));
	s->cap = cap;
	s->addr = palloc(sizeof(*s->addr) * cap);
	s->guid = palloc(sizeof(*s->guid) * cap);
	if (len > INT_MAX)
	{
		s->failed = true;
		return;
	}
	errcxt = pg_xml_init(PG_XML_STRICTNESS_ALL);
	PG_TRY();
	{
		xmlSAXHandlerPtr sax;
		xmlDocPtr	doc;

		ctxt = xmlNewParserCtxt();
		if (ctxt == NULL || pg_xml_error_occurred(errcxt))
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not allocate XML parser context")));
		/* no tree: only our callbacks (no entity declarations are kept either) */
		sax = ctxt->sax;
		memset(sax, 0, sizeof(*sax));
		sax->initialized = XML_SAX2_MAGIC;
		sax->startElementNs = scan_start;
		sax->endElementNs = scan_end;
		sax->characters = scan_chars;
		sax->cdataBlock = scan_chars;
		sax->internalSubset = scan_dtd;
		sax->externalSubset = scan_dtd;
		sax->serror = scan_error;
		ctxt->_private = s;
		doc = xmlCtxtReadMemory(ctxt, utf8, (int) len, NULL, "UTF-8",
								XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
		if (doc != NULL)
			xmlFreeDoc(doc);
		if (!ctxt->wellFormed || pg_xml_error_occurred(errcxt))
			s->failed = true;
	}
	PG_CATCH();
	{
		if (ctxt != NULL)
			xmlFreeParserCtxt(ctxt);
		pg_xml_done(errcxt, true);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (ctxt != NULL)
		xmlFreeParserCtxt(ctxt);
	pg_xml_done(errcxt, false);
}

/*
 * May the caller read any of these mailboxes of node n?  Asked of the node,
 * as the caller (ews_router.p_reachable, PL/Proxy, made by ews_router_sync).
 */
static bool
reachable_on(int32 n, Datum guids, Datum addresses)
{
	static EwsPlan plan = {
		"SELECT ews_router.p_reachable($1, $2, $3)", 3, {INT4OID, UUIDARRAYOID, TEXTARRAYOID}
	};
	Datum		args[3];
	char		nulls[3] = {' ', guids ? ' ' : 'n', addresses ? ' ' : 'n'};
	bool		r;

	args[0] = Int32GetDatum(n);
	args[1] = guids;
	args[2] = addresses;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	router_exec(&plan, args, nulls, 1);
	r = ews_col_bool(0, 1);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	return r;
}

/*
 * The PL/Proxy function that runs ews_soap on node n (made by
 * ews_router_sync): p_ews_soap_<n>, which runs on that node without
 * evaluating anything, or p_ews_soap (RUN ON its first argument) for a node
 * added since.
 */
static Oid
soap_proxy_oid(int32 n)
{
	Oid			argtypes[3] = {INT4OID, TEXTOID, TEXTOID};
	char		name[NAMEDATALEN];
	Oid			fn;

	snprintf(name, sizeof(name), "p_ews_soap_%d", n);
	fn = LookupFuncName(list_make2(makeString("ews_router"), makeString(name)), 3, argtypes, true);
	if (OidIsValid(fn))
		return fn;
	fn = LookupFuncName(list_make2(makeString("ews_router"), makeString("p_ews_soap")), 3, argtypes, true);

	if (!OidIsValid(fn))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function ews_router.p_ews_soap(integer, text, text) does not exist"),
				 errhint("Make the router's functions with SELECT ews_router_sync().")));
	return fn;
}

/*
 * ews_soap(request text, mailbox text DEFAULT NULL, OUT status int, OUT response text)
 * on the router: the request runs on one node, the node of the mailbox it
 * acts for.
 *
 * The acting mailbox is, as on a node (soap.c), the one ExchangeImpersonation
 * names, else the mailbox argument, else the one mailbox the calling role
 * owns (looked for when the request has a DistinguishedFolderId without
 * t:Mailbox, or names no mailbox at all).  Without one, the request goes to
 * the node of the first mailbox it names that the directory knows.
 *
 * A request that also names (by t:Mailbox or by the GUID in an id) a
 * mailbox held by another node cannot be answered by one node, and the
 * target node would call that mailbox nonexistent, which is false for a
 * caller who may read it.  So the other nodes are asked, as the caller,
 * whether it may read any of those mailboxes (ews_scaleout_reachable): if
 * so, the request gets the fault ErrorCrossSiteRequest (README, "Scale-out");
 * if not, they are to this caller mailboxes that do not exist, and the
 * target node answers so, as one node would.
 */
PG_FUNCTION_INFO_V1(ews_router_soap);
Datum
ews_router_soap(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	RouteScan	scan;
	char	   *mailbox = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	const char *caller = GetUserNameFromId(GetUserId(), false);
	int32		target = -1;
	bool		cross = false;
	RouterCtx	rc;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	int32	   *ref_node;
	int			nrefs;
	bool		acting;

	router_hook();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	memset(&scan, 0, sizeof(scan));
	if (PG_ARGISNULL(0) ||
		toast_raw_datum_size(PG_GETARG_DATUM(0)) - VARHDRSZ > (Size) ews_max_request_size)
		scan.failed = true;		/* the node answers it (error or fault) */
	else
	{
		char	   *s = text_to_cstring(PG_GETARG_TEXT_PP(0));
		char	   *utf8 = GetDatabaseEncoding() == PG_SQL_ASCII ? s :
			pg_server_to_any(s, strlen(s), PG_UTF8);

		/* most requests name a mailbox or two: a small first pass, a second one with room */
		scan_request(&scan, utf8, strlen(utf8), SCAN_FIRST_REFS);
		if (scan.overflow && !scan.failed)
			scan_request(&scan, utf8, strlen(utf8), SCAN_MAX_REFS);
	}

	/*
	 * The target: the acting mailbox's node, else the node of the first
	 * mailbox named that the directory knows, else any.
	 */
	nrefs = scan.failed ? 0 : scan.naddr + scan.nguid;
	ref_node = palloc(sizeof(int32) * Max(nrefs, 1));	/* before SPI: it outlives the lookups */
	acting = (scan.has_imp && !scan.failed) || mailbox != NULL;
	router_begin(&rc);
	if (scan.has_imp && !scan.failed)
		target = node_of_address(scan.imp);
	else if (mailbox != NULL)
		target = node_of_address(mailbox);
	else if (scan.failed || scan.uses_acting || (scan.naddr == 0 && scan.nguid == 0))
		target = node_of_owner(caller);
	for (int i = 0; i < nrefs; i++)
	{
		bool		known;

		ref_node[i] = i < scan.naddr ? node_of_address_known(scan.addr[i], &known)
			: node_of_guid_known(&scan.guid[i - scan.naddr], &known);
		if (known && target < 0)
			target = ref_node[i];
	}
	if (target < 0)
		target = nrefs > 0 ? ref_node[0] : keyed_node('r', caller, strlen(caller));
	router_end(&rc);

	/*
	 * Mailboxes named that are on other nodes (or that the keyed hash puts
	 * there): if the caller may read one of them, no node can answer the
	 * request; for anyone else they are, as on one node, mailboxes that do
	 * not exist, and the target answers so.  Each such node is asked once;
	 * an unknown address costs the same question as a real one.
	 *
	 * A request that acts for a user (ExchangeImpersonation, the mailbox
	 * argument) reaches only that user's mailbox and those delegated to the
	 * user (soap.c, store.c), and a delegate grant lives on the node of both
	 * mailboxes (a foreign key to the delegate's mailbox; the router refuses
	 * grants across nodes, and moves of delegated mailboxes): another node's
	 * mailbox is never reachable for it, so nothing is asked, and the target
	 * answers "does not exist", which is what one node would answer too.
	 */
	for (int i = 0; i < nrefs && !cross && !acting; i++)
	{
		int32		other = ref_node[i];
		ArrayBuildState *gb = NULL,
				   *ab = NULL;

		if (other == target || other < 0)
			continue;
		for (int j = i; j < nrefs; j++)
		{
			if (ref_node[j] != other)
				continue;
			if (j < scan.naddr)
				ab = accumArrayResult(ab, CStringGetTextDatum(scan.addr[j]), false, TEXTOID, CurrentMemoryContext);
			else
				gb = accumArrayResult(gb, UUIDPGetDatum(&scan.guid[j - scan.naddr]), false, UUIDOID,
									  CurrentMemoryContext);
			ref_node[j] = -1;	/* asked */
		}
		cross = reachable_on(other, gb ? makeArrayResult(gb, CurrentMemoryContext) : (Datum) 0,
							 ab ? makeArrayResult(ab, CurrentMemoryContext) : (Datum) 0);
	}

	if (cross || (scan.overflow && !scan.failed))
	{
		StringInfoData out;
		char	   *response;

		initStringInfo(&out);
		sw_fault(&out, ews_soap_version_known(scan.version) ? scan.version : NULL,
				 ews_code_name(EWS_ErrorCrossSiteRequest),
				 scan.overflow ? "The request names more mailboxes than the router routes in one request."
				 : ews_code_text(EWS_ErrorCrossSiteRequest));
		response = GetDatabaseEncoding() == PG_SQL_ASCII ? out.data :
			pg_any_to_server(out.data, out.len, PG_UTF8);
		values[0] = Int32GetDatum(500);
		values[1] = CStringGetTextDatum(response);
	}
	else
	{
		FmgrInfo	flinfo;
		Datum		result;
		HeapTupleHeader row;
		LOCAL_FCINFO(call, 3);

		fmgr_info(soap_proxy_oid(target), &flinfo);
		InitFunctionCallInfoData(*call, &flinfo, 3, InvalidOid, NULL, NULL);
		call->args[0].value = Int32GetDatum(target);
		call->args[0].isnull = false;
		call->args[1].value = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
		call->args[1].isnull = PG_ARGISNULL(0);
		call->args[2].value = mailbox ? CStringGetTextDatum(mailbox) : (Datum) 0;
		call->args[2].isnull = mailbox == NULL;
		result = FunctionCallInvoke(call);
		if (call->isnull)
			PG_RETURN_NULL();
		row = DatumGetHeapTupleHeader(result);
		values[0] = GetAttributeByNum(row, 1, &nulls[0]);
		values[1] = GetAttributeByNum(row, 2, &nulls[1]);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
