/*
 * scaleout.c
 *	  The node side of scale-out (README "Scale-out"): the lock that keeps
 *	  the writes of a mailbox out while the router moves it to another node,
 *	  and moving this node's id and change-number sequences past the values
 *	  a moved-in mailbox already used.
 *
 * The move lock is an advisory lock of our own (field 4 = EWS_MOVE_LOCK,
 * so it never meets the keys of pg_advisory_lock) on the mailbox GUID.
 * Every write of a mailbox takes a share of it for its transaction, without
 * waiting (ews_scaleout_writable, called by the store core's access check
 * for EWS_NEED_WRITE and by grant, revoke and drop); the mover takes it
 * exclusively for its session (ews_scaleout_freeze), which waits for the
 * writes already running and from then on makes new ones fail at once with
 * ErrorMailboxMoveInProgress.  A lock and not a flag in a table: a flag is
 * read through a snapshot, and a REPEATABLE READ writer that took its
 * snapshot before the flag was set would write anyway, after the copy read
 * the mailbox.  A lock is seen by everyone the moment it is taken, and it
 * goes away with the mover's session if the mover dies, so a failed move
 * cannot leave a mailbox read-only.  Reads take nothing: a mailbox can be
 * read all through its move.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/uuid.h"

#include "scaleout.h"
#include "store.h"

/* locktag field 4 of the move lock: "EW" */
#define EWS_MOVE_LOCK 0x4557

static void
move_locktag(LOCKTAG *tag, const pg_uuid_t *mailbox)
{
	uint32		w[4];

	memcpy(w, mailbox->data, sizeof(w));
	/* 64 of the GUID's bits: two mailboxes sharing them only slow each other's moves */
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, w[0] ^ w[2], w[1] ^ w[3], EWS_MOVE_LOCK);
}

bool
ews_scaleout_writable(const pg_uuid_t *mailbox)
{
	LOCKTAG		tag;

	move_locktag(&tag, mailbox);
	/*
	 * No wait: while a move holds the lock, or waits for it (a request that
	 * conflicts with a waiting one is refused too), the write fails now,
	 * instead of waiting for a copy that may take minutes.
	 */
	return LockAcquire(&tag, ShareLock, false, true) != LOCKACQUIRE_NOT_AVAIL;
}

static void
require_superuser(const char *fn)
{
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for function %s", fn),
				 errdetail("Moving mailboxes between nodes bypasses the access checks; only superusers may.")));
}

/*
 * Run LockAcquire under lock_timeout = wait_ms, restoring the setting
 * afterwards (on error the transaction's abort restores it).
 */
static void
lock_with_timeout(const LOCKTAG *tag, LOCKMODE mode, bool session, int wait_ms)
{
	int			nest = NewGUCNestLevel();
	char		buf[32];

	if (wait_ms <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the wait must be a positive number of milliseconds")));
	snprintf(buf, sizeof(buf), "%d", wait_ms);
	(void) set_config_option("lock_timeout", buf, PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) LockAcquire(tag, mode, session, false);
	AtEOXact_GUC(true, nest);
}

/*
 * ews_scaleout_freeze(mailbox uuid, wait_ms integer) RETURNS boolean
 *
 * Takes the mailbox's move lock exclusively for this session: waits (at
 * most wait_ms, then lock_timeout's error) until every transaction that
 * wrote into the mailbox has ended; from then on until ews_scaleout_thaw
 * or the end of the session no write of the mailbox can start.  True;
 * a second call in the same session changes nothing.
 */
PG_FUNCTION_INFO_V1(ews_scaleout_freeze);
Datum
ews_scaleout_freeze(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *mailbox = PG_GETARG_UUID_P(0);
	int32		wait_ms = PG_GETARG_INT32(1);
	LOCKTAG		tag;

	require_superuser("ews_scaleout_freeze");
	move_locktag(&tag, mailbox);
	if (!LockHeldByMe(&tag, ExclusiveLock))
		lock_with_timeout(&tag, ExclusiveLock, true, wait_ms);
	PG_RETURN_BOOL(true);
}

/* ews_scaleout_thaw(mailbox uuid) RETURNS boolean: false if this session did not hold it */
PG_FUNCTION_INFO_V1(ews_scaleout_thaw);
Datum
ews_scaleout_thaw(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *mailbox = PG_GETARG_UUID_P(0);
	LOCKTAG		tag;

	require_superuser("ews_scaleout_thaw");
	move_locktag(&tag, mailbox);
	if (!LockHeldByMe(&tag, ExclusiveLock))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(LockRelease(&tag, ExclusiveLock, true));
}

/* ews_scaleout_frozen(mailbox uuid) RETURNS boolean: does this session hold the mailbox? */
PG_FUNCTION_INFO_V1(ews_scaleout_frozen);
Datum
ews_scaleout_frozen(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *mailbox = PG_GETARG_UUID_P(0);
	LOCKTAG		tag;

	move_locktag(&tag, mailbox);
	PG_RETURN_BOOL(LockHeldByMe(&tag, ExclusiveLock));
}

/*
 * ews_scaleout_advance_sequences(names text[], last_values bigint[], wait_ms integer)
 *
 * For each sequence of schema ews named, make sure its next value is
 * larger than the given one: ids and change numbers of a moved-in mailbox
 * were drawn from the source node's sequences, and the next change here
 * must get a larger number, or a ChangeKey could repeat and a sync
 * watermark (the highest change number a client has seen) would miss the
 * change.  A sequence is never set back.  To make "read, compare, set" one
 * step, the sequence is locked in SHARE mode, which waits for the
 * transactions that drew from it (nextval keeps ROW EXCLUSIVE to the end of
 * its transaction) and holds new ones back until this transaction ends: a
 * pause of this node's writes for as long as its longest running write.
 */
PG_FUNCTION_INFO_V1(ews_scaleout_advance_sequences);
Datum
ews_scaleout_advance_sequences(PG_FUNCTION_ARGS)
{
	ArrayType  *names = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *values = PG_GETARG_ARRAYTYPE_P(1);
	int32		wait_ms = PG_GETARG_INT32(2);
	Datum	   *nd,
			   *vd;
	bool	   *nn,
			   *vn;
	int			n,
				nv;
	Oid			nsp;

	require_superuser("ews_scaleout_advance_sequences");
	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT, &nd, &nn, &n);
	deconstruct_array(values, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &vd, &vn, &nv);
	if (n != nv)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("names and last_values must have the same length")));
	nsp = get_namespace_oid("ews", false);
	for (int i = 0; i < n; i++)
	{
		char	   *name;
		Oid			seq;
		Datum		cur;
		LOCKTAG		tag;
		LOCAL_FCINFO(fc, 1);

		CHECK_FOR_INTERRUPTS();
		if (nn[i] || vn[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("sequence names and values must not be null")));
		name = TextDatumGetCString(nd[i]);
		seq = get_relname_relid(name, nsp);
		if (!OidIsValid(seq) || get_rel_relkind(seq) != RELKIND_SEQUENCE)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("sequence \"ews.%s\" does not exist", name)));
		SET_LOCKTAG_RELATION(tag, MyDatabaseId, seq);
		lock_with_timeout(&tag, ShareLock, false, wait_ms);

		/* pg_sequence_last_value is NULL before the first nextval */
		InitFunctionCallInfoData(*fc, NULL, 1, InvalidOid, NULL, NULL);
		fc->args[0].value = ObjectIdGetDatum(seq);
		fc->args[0].isnull = false;
		cur = pg_sequence_last_value(fc);
		if (fc->isnull || DatumGetInt64(cur) < DatumGetInt64(vd[i]))
			(void) DirectFunctionCall2(setval_oid, ObjectIdGetDatum(seq), vd[i]);
	}
	PG_RETURN_VOID();
}

/*
 * ews_scaleout_reachable(mailbox_ids uuid[], smtp_addresses text[]) RETURNS boolean
 *
 * May the calling role read any of these mailboxes?  The router asks this of
 * the other nodes when a SOAP request names mailboxes there (ews_router_soap
 * in router.c): it refuses such a request with ErrorCrossSiteRequest only
 * when the caller may reach one of them, because for every other caller they
 * are, as on a single node, mailboxes that do not exist.  The answer is
 * what the store core decides (ews_mailbox_by_guid / _by_smtp, with the
 * same work for a missing mailbox as for one the caller may not use), so it
 * tells the caller nothing GetFolder would not.  Executable by everyone.
 */
PG_FUNCTION_INFO_V1(ews_scaleout_reachable);
Datum
ews_scaleout_reachable(PG_FUNCTION_ARGS)
{
	EwsCtx		ctx;
	bool		any = false;
	Datum	   *gd = NULL,
			   *ad = NULL;
	bool	   *gn = NULL,
			   *an = NULL;
	int			ng = 0,
				na = 0;

	if (!PG_ARGISNULL(0))
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(0), UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &gd, &gn, &ng);
	if (!PG_ARGISNULL(1))
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), TEXTOID, -1, false, TYPALIGN_INT, &ad, &an, &na);
	ews_ctx_begin(&ctx);
	for (int i = 0; i < ng; i++)
	{
		EwsMailbox	mb;
		EwsStatus	st;
		char	   *guid;

		CHECK_FOR_INTERRUPTS();
		if (gn[i])
			continue;
		guid = DatumGetCString(DirectFunctionCall1(uuid_out, gd[i]));
		if (ews_mailbox_by_guid(&ctx, guid, EWS_NEED_READ, &mb, &st))
			any = true;
	}
	for (int i = 0; i < na; i++)
	{
		EwsMailbox	mb;
		EwsStatus	st;

		CHECK_FOR_INTERRUPTS();
		if (an[i])
			continue;
		if (ews_mailbox_by_smtp(&ctx, TextDatumGetCString(ad[i]), EWS_NEED_READ, &mb, &st))
			any = true;
	}
	ews_ctx_end(&ctx);
	PG_RETURN_BOOL(any);
}
