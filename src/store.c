/*
 * store.c
 *	  The call context, kept plans, sequences, mailbox access and folder
 *	  resolution that every operation of the store core uses.
 *
 * Privileges: the SQL functions are not SECURITY DEFINER.  Instead each call
 * remembers the calling role (GetUserId() at entry: SET ROLE counts) and then
 * switches to the owner of the store's tables for its SPI work, the way
 * PostgreSQL's own RI triggers do.  So application roles need no grants on
 * the tables at all, and every access check is made, here, against the role
 * that really called.  Transaction and subtransaction abort restore the user
 * id, so an error anywhere cannot leave the switch in place.
 */
#include "store.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "commands/sequence.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "catalog/pg_class.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "mb/pg_wchar.h"
#include "storage/proc.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include "actas.h"
#include "ews.h"
#include "folder.h"
#include "ids.h"
#include "scaleout.h"

static Oid
store_relid(const char *name)
{
	Oid			nsp = get_namespace_oid("ews", false);
	Oid			relid = get_relname_relid(name, nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"ews.%s\" does not exist", name),
				 errhint("Is the ews extension installed in this database?")));
	return relid;
}

static Oid
store_owner(void)
{
	Oid			relid = store_relid("mailbox");
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * The result of the last ews_exec.  SPI keeps every result table (8 kB at
 * least) until SPI_finish, so a batch of 100 000 inputs with two queries
 * each held 1.7 GB.  Every caller reads its result before its next query,
 * so the previous one is freed here; a caller that keeps a result longer
 * takes it with ews_keep_result.
 */
static SPITupleTable *last_result;

/*
 * The schema this library works with.  After a new version of the library is
 * installed, a database still at an older version of the extension gets a
 * clear error until ALTER EXTENSION ews UPDATE, rather than failing in the
 * middle of a statement on a column that is not there yet.  Checked once per
 * transaction.
 */
#define EWS_SCHEMA_VERSION "0.2"

static void
check_schema_version(void)
{
	static LocalTransactionId checked = InvalidLocalTransactionId;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *version = NULL;

	if (checked == MyProc->lxid || creating_extension)
		return;
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("ews"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion, RelationGetDescr(rel), &isnull);

		if (!isnull)
			version = TextDatumGetCString(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (version == NULL || strcmp(version, EWS_SCHEMA_VERSION) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the ews extension in this database is version %s, but its library is version %s",
						version ? version : "(none)", EWS_SCHEMA_VERSION),
				 errhint("Run ALTER EXTENSION ews UPDATE as a superuser.")));
	checked = MyProc->lxid;
}

void
ews_ctx_begin_bare(EwsCtx *ctx)
{
	ews_require_database_encoding();
	check_schema_version();
	memset(ctx, 0, sizeof(*ctx));
	last_result = NULL;
	ctx->caller = GetUserId();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ctx->cxt = CurrentMemoryContext;
	GetUserIdAndSecContext(&ctx->saved_userid, &ctx->saved_sec_context);
	SetUserIdAndSecContext(store_owner(),
						   ctx->saved_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	ews_content_begin(&ctx->content);
}

void
ews_ctx_begin(EwsCtx *ctx)
{
	const char *smtp;

	ews_ctx_begin_bare(ctx);
	/*
	 * In a transaction that acts for a user, every call checks again that
	 * the calling role may act for it: after SET ROLE, or once the
	 * impersonate grant is revoked, the next call is refused.
	 */
	smtp = ews_actas_current();
	if (smtp != NULL)
	{
		EwsStatus	st;

		if (!ews_ctx_act(ctx, smtp, &st))
			ews_act_as_refused(smtp, &st);
	}
}

void
ews_act_as_refused(const char *smtp, const EwsStatus *st)
{
	if (st->code == EWS_ErrorImpersonateUserDenied)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to act for mailbox \"%s\"", smtp),
				 errdetail("Only its owner, roles granted impersonate on it, members of ews_admin and superusers may act for a mailbox.")));
	/* no such mailbox, or one the caller may not use: the same error */
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("mailbox \"%s\" does not exist", smtp)));
}

void
ews_ctx_end(EwsCtx *ctx)
{
	ews_content_end(&ctx->content);
	SetUserIdAndSecContext(ctx->saved_userid, ctx->saved_sec_context);
	last_result = NULL;
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
}

void
ews_status_ok(EwsStatus *st)
{
	st->code = EWS_NoError;
	st->text = NULL;
	st->mailbox_guid[0] = '\0';
}

void
ews_status_set(EwsStatus *st, EwsCode code, const char *text)
{
	st->code = code;
	st->text = text;
	st->mailbox_guid[0] = '\0';
}

const char *
ews_status_text(const EwsStatus *st)
{
	return st->text ? st->text : ews_code_text(st->code);
}

void
ews_status_no_mailbox(EwsStatus *st, const char *guid)
{
	/*
	 * The same answer for "no such mailbox" and "a mailbox you may not use":
	 * a stranger must not learn that a mailbox exists.
	 */
	ews_status_set(st, EWS_ErrorNonExistentMailbox, NULL);
	strlcpy(st->mailbox_guid, guid, sizeof(st->mailbox_guid));
}

SPIPlanPtr
ews_plan(EwsPlan *p)
{
	if (p->plan == NULL)
	{
		MemoryContext caller = CurrentMemoryContext;
		SPIPlanPtr	plan = SPI_prepare(p->sql, p->nargs, p->argtypes);

		/* SPI leaves its procedure context current: see ews_exec */
		MemoryContextSwitchTo(caller);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", p->sql,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		p->plan = plan;
	}
	return p->plan;
}

SPITupleTable *
ews_keep_result(void)
{
	last_result = NULL;
	return SPI_tuptable;
}

uint64
ews_exec(EwsPlan *p, Datum *values, const char *nulls, bool read_only, long count)
{
	int			rc;
	MemoryContext caller = CurrentMemoryContext;

	/* only our own: SPI_tuptable may still be an outer SPI level's, or freed by a subtransaction abort */
	if (last_result != NULL && SPI_tuptable == last_result)
		SPI_freetuptable(last_result);
	last_result = NULL;
	rc = SPI_execute_plan(ews_plan(p), values, nulls, read_only, count);
	last_result = SPI_tuptable;

	/*
	 * SPI returns with its procedure context current (which lives until
	 * SPI_finish), not the caller's: without this, everything a batch loop
	 * allocated after its first query went there, past the per-input
	 * context the loop resets, and a batch of 200 000 inputs kept all of it.
	 */
	MemoryContextSwitchTo(caller);

	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed for \"%s\": %s", p->sql, SPI_result_code_string(rc));
	return SPI_processed;
}

static Datum
col_datum(int row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

bool
ews_col_isnull(int row, int col)
{
	bool		isnull;

	(void) col_datum(row, col, &isnull);
	return isnull;
}

int64
ews_col_int64(int row, int col)
{
	bool		isnull;
	Datum		d = col_datum(row, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

int32
ews_col_int32(int row, int col)
{
	bool		isnull;
	Datum		d = col_datum(row, col, &isnull);

	return isnull ? 0 : DatumGetInt32(d);
}

bool
ews_col_bool(int row, int col)
{
	bool		isnull;
	Datum		d = col_datum(row, col, &isnull);

	return isnull ? false : DatumGetBool(d);
}

char *
ews_col_text(int row, int col)
{
	bool		isnull;
	Datum		d = col_datum(row, col, &isnull);

	/* SPI_palloc would put it in the upper context; callers copy as needed */
	return isnull ? NULL : TextDatumGetCString(d);
}

/*
 * Ids and change numbers come from two sequences, not from a counter row in
 * ews.mailbox: a counter row would make every item write in a mailbox wait
 * for every other until commit.  Sequences never block and never repeat.
 */
int64
ews_next_local_id(void)
{
	return nextval_internal(store_relid("local_id_seq"), false);
}

int64
ews_next_change_number(void)
{
	return nextval_internal(store_relid("change_seq"), false);
}

char *
ews_id_text(const char *guid, uint8 kind, int64 local_id)
{
	EwsObjectId id;
	char	   *s = palloc(EWS_ID_CHARS + 1);

	strlcpy(id.mailbox, guid, sizeof(id.mailbox));
	id.kind = kind;
	id.local_id = (uint64) local_id;
	if (!ews_id_encode(&id, s))
		elog(ERROR, "invalid mailbox GUID \"%s\"", guid);
	s[EWS_ID_CHARS] = '\0';
	return s;
}

char *
ews_change_key_text(uint32 kind, int64 change_number)
{
	char	   *s = palloc(EWS_CK_CHARS + 1);

	ews_changekey_encode(kind, (uint64) change_number, s);
	s[EWS_CK_CHARS] = '\0';
	return s;
}

/*
 * Text in any other database encoding converts to UTF-8; in a SQL_ASCII
 * database it may hold any bytes.  What is stored must be UTF-8: EWS
 * responses carry it, and a non-UTF-8 name would make them ill-formed XML.
 */
bool
ews_text_is_utf8(const char *s)
{
	if (GetDatabaseEncoding() != PG_SQL_ASCII)
		return true;
	return pg_verify_mbstr(PG_UTF8, s, strlen(s), true);
}

/* ---- mailboxes ---- */

static void
mailbox_from_row(EwsMailbox *out)
{
	bool		isnull;
	pg_uuid_t  *u = DatumGetUUIDP(col_datum(0, 1, &isnull));
	char	   *g;

	memcpy(&out->id, u, sizeof(pg_uuid_t));
	g = DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&out->id)));
	strlcpy(out->guid, g, sizeof(out->guid));
	out->smtp_address = ews_col_text(0, 2);
	out->display_name = ews_col_text(0, 3);
	out->owner = DatumGetObjectId(col_datum(0, 4, &isnull));
	out->access = EWS_ACCESS_NONE;
	out->delegated = false;
}

static bool
same_mailbox(const pg_uuid_t *a, const pg_uuid_t *b)
{
	return memcmp(a, b, sizeof(pg_uuid_t)) == 0;
}

/*
 * The admin role is the one the install recorded in ews.admin_role (the
 * update script checks it before it records it), not whatever role is
 * called ews_admin today.  Read once per call; run outside ews_exec so that
 * a caller's current result (SPI_tuptable) stays valid.
 */
static Oid
admin_role(EwsCtx *ctx)
{
	static EwsPlan plan = {
		"SELECT role::pg_catalog.oid FROM ews.admin_role",
		0, {InvalidOid}
	};

	if (!ctx->admin_known)
	{
		SPITupleTable *saved = SPI_tuptable;
		uint64		saved_n = SPI_processed;
		int			rc = SPI_execute_plan(ews_plan(&plan), NULL, NULL, true, 2);

		if (rc != SPI_OK_SELECT)
			elog(ERROR, "SPI_execute_plan failed for \"%s\": %s", plan.sql, SPI_result_code_string(rc));
		ctx->admin_role = InvalidOid;
		if (SPI_processed == 1)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

			if (!isnull)
				ctx->admin_role = DatumGetObjectId(d);
		}
		SPI_freetuptable(SPI_tuptable);
		SPI_tuptable = saved;
		SPI_processed = saved_n;
		ctx->admin_known = true;
	}
	return ctx->admin_role;
}

bool
ews_caller_is_admin(EwsCtx *ctx)
{
	Oid			admin;

	if (superuser_arg(ctx->caller))
		return true;
	admin = admin_role(ctx);
	return OidIsValid(admin) && has_privs_of_role(ctx->caller, admin);
}

bool
ews_mailbox_allows(EwsCtx *ctx, const EwsMailbox *mb, EwsRight right)
{
	/*
	 * An impersonate grant includes use: a role that may act as the mailbox
	 * in ews_soap may as well name it in the SQL functions (the mailbox
	 * argument, or ids that carry its GUID).  A delegate grant does not
	 * include impersonation.
	 */
	static EwsPlan grant_plan = {
		"SELECT 1 FROM ews.mailbox_grant g"
		" WHERE g.mailbox_id = $1"
		"   AND (g.access_right = $2 OR g.access_right = 'impersonate')"
		"   AND pg_catalog.pg_has_role($3, g.grantee::pg_catalog.oid, 'USAGE')",
		3, {UUIDOID, TEXTOID, OIDOID}
	};
	Datum		args[3];

	if (right == EWS_RIGHT_USE && OidIsValid(mb->owner) &&
		has_privs_of_role(ctx->caller, mb->owner))
		return true;
	if (ews_caller_is_admin(ctx))
		return true;
	args[0] = UUIDPGetDatum(&mb->id);
	args[1] = CStringGetTextDatum(right == EWS_RIGHT_USE ? "delegate" : "impersonate");
	args[2] = ObjectIdGetDatum(ctx->caller);
	return ews_exec(&grant_plan, args, NULL, true, 1) > 0;
}

/*
 * What the acting user may do in mb by a mailbox delegate grant of mb's
 * owner: reviewer reads, editor reads and writes.  Only grants on the whole
 * mailbox (folder_id IS NULL) exist so far; per-folder rows are a later
 * step (sql/ews--0.1--0.2.sql).
 */
static EwsAccess
delegated_access(EwsCtx *ctx, const pg_uuid_t *mailbox, bool *delegated)
{
	static EwsPlan plan = {
		"SELECT d.permission FROM ews.mailbox_delegate d"
		" WHERE d.mailbox_id = $1 AND d.delegate_id = $2 AND d.folder_id IS NULL",
		2, {UUIDOID, UUIDOID}
	};
	Datum		args[2];
	char	   *permission;

	*delegated = false;
	args[0] = UUIDPGetDatum(mailbox);
	args[1] = UUIDPGetDatum(&ctx->acting.id);
	if (ews_exec(&plan, args, NULL, true, 1) != 1)
		return EWS_ACCESS_NONE;
	permission = ews_col_text(0, 1);
	*delegated = true;
	if (strcmp(permission, "editor") == 0)
		return EWS_ACCESS_WRITE;
	if (strcmp(permission, "reviewer") == 0)
		return EWS_ACCESS_READ;
	return EWS_ACCESS_NONE;
}

/*
 * This request's rights in a mailbox.  The calling role's own: owner (a
 * member of the owner role), admin, a delegate or impersonate grant, each
 * all or nothing.  With an acting user U the rights are the intersection of
 * the calling role's and U's (all of U's own mailbox, what a delegate grant
 * to U gives elsewhere): acting can only narrow.
 *
 * mb may be a mailbox that does not exist (owner InvalidOid, the GUID the
 * request named or zeros): then the same lookups run as for one the request
 * may not reach, so the work does not tell the two apart either.
 */
static EwsAccess
mailbox_access(EwsCtx *ctx, const EwsMailbox *mb, bool *delegated)
{
	EwsAccess	role;
	EwsAccess	user;

	*delegated = false;
	if (ctx->acting_user && same_mailbox(&mb->id, &ctx->acting.id))
	{
		/* the calling role was found allowed to act for U: owner, impersonate or admin */
		return EWS_ACCESS_WRITE;
	}
	role = ews_mailbox_allows(ctx, mb, EWS_RIGHT_USE) ? EWS_ACCESS_WRITE : EWS_ACCESS_NONE;
	if (!ctx->acting_user)
		return role;
	user = delegated_access(ctx, &mb->id, delegated);
	if (role == EWS_ACCESS_NONE)
		*delegated = false;
	return Min(role, user);
}

/*
 * A lookup that found no mailbox does the same checks a stranger's lookup of
 * an existing one does (owner, admin, the grant index scan, and when acting
 * for a user the delegate index scan), so the time a call takes does not
 * tell a stranger whether the mailbox exists.
 */
static void
mailbox_not_found_work(EwsCtx *ctx, const pg_uuid_t *id)
{
	EwsMailbox	none;
	bool		delegated;

	memset(&none, 0, sizeof(none));
	if (id)
		none.id = *id;
	none.owner = InvalidOid;
	(void) mailbox_access(ctx, &none, &delegated);
}

/*
 * May this request use the mailbox it found for `need`?  The one place the
 * decision is made for every operation of both faces: a mailbox it may not
 * reach at all answers exactly as a missing one; one it may only read
 * (a reviewer's), asked to be changed, answers ErrorAccessDenied.
 */
static bool
mailbox_reachable(EwsCtx *ctx, EwsMailbox *mb, EwsNeed need, EwsStatus *st)
{
	if (mb->access == EWS_ACCESS_NONE)
	{
		ews_status_no_mailbox(st, mb->guid);
		return false;
	}
	if (need == EWS_NEED_WRITE && mb->access < EWS_ACCESS_WRITE)
	{
		ews_status_set(st, EWS_ErrorAccessDenied, NULL);
		return false;
	}
	/* a mailbox moving to another node is read-only until it arrives (scaleout.c) */
	if (need == EWS_NEED_WRITE && !ews_scaleout_writable(&mb->id))
	{
		ews_status_set(st, EWS_ErrorMailboxMoveInProgress, NULL);
		return false;
	}
	return true;
}

bool
ews_mailbox_by_guid(EwsCtx *ctx, const char *guid, EwsNeed need, EwsMailbox *out, EwsStatus *st)
{
	static EwsPlan plan = {
		"SELECT mailbox_id, smtp_address, display_name, owner_role::pg_catalog.oid"
		" FROM ews.mailbox WHERE mailbox_id = $1",
		1, {UUIDOID}
	};
	Datum		arg;
	bool		found;

	if (!(ctx->cache_valid && strcmp(ctx->cache.guid, guid) == 0))
	{
		arg = DirectFunctionCall1(uuid_in, CStringGetDatum(guid));
		found = ews_exec(&plan, &arg, NULL, true, 1) == 1;
		if (found)
		{
			/* the cache outlives the input that filled it (batch loops reset theirs) */
			MemoryContext old = MemoryContextSwitchTo(ctx->cxt);

			mailbox_from_row(&ctx->cache);
			MemoryContextSwitchTo(old);
			ctx->cache.access = mailbox_access(ctx, &ctx->cache, &ctx->cache.delegated);
		}
		else
		{
			mailbox_not_found_work(ctx, DatumGetUUIDP(arg));
			memset(&ctx->cache, 0, sizeof(ctx->cache));
			strlcpy(ctx->cache.guid, guid, sizeof(ctx->cache.guid));
		}
		ctx->cache_valid = true;
		ctx->cache_found = found;
	}
	if (!ctx->cache_found)
	{
		ews_status_no_mailbox(st, guid);
		return false;
	}
	*out = ctx->cache;
	return mailbox_reachable(ctx, out, need, st);
}

bool
ews_mailbox_by_smtp(EwsCtx *ctx, const char *smtp, EwsNeed need, EwsMailbox *out, EwsStatus *st)
{
	static EwsPlan plan = {
		"SELECT mailbox_id, smtp_address, display_name, owner_role::pg_catalog.oid"
		" FROM ews.mailbox WHERE pg_catalog.lower(smtp_address) = pg_catalog.lower($1)",
		1, {TEXTOID}
	};
	Datum		arg = CStringGetTextDatum(smtp);

	if (ews_exec(&plan, &arg, NULL, true, 1) != 1)
	{
		mailbox_not_found_work(ctx, NULL);
		ews_status_set(st, EWS_ErrorNonExistentMailbox,
					   psprintf("No mailbox with SMTP address %s.", smtp));
		return false;
	}
	mailbox_from_row(out);
	out->access = mailbox_access(ctx, out, &out->delegated);
	if (!mailbox_reachable(ctx, out, need, st))
	{
		/* by address, the text names the address, exactly as for a missing one */
		if (st->code == EWS_ErrorNonExistentMailbox)
			ews_status_set(st, EWS_ErrorNonExistentMailbox,
						   psprintf("No mailbox with SMTP address %s.", smtp));
		return false;
	}
	return true;
}

/*
 * Granting, revoking, delegating and dropping are the owner's (a member of
 * the owner role), an admin's or a superuser's.  A request acting for a
 * user manages that user's own mailbox only.
 */
bool
ews_mailbox_manages(EwsCtx *ctx, const EwsMailbox *mb)
{
	if (ctx->acting_user && !same_mailbox(&mb->id, &ctx->acting.id))
		return false;
	return has_privs_of_role(ctx->caller, mb->owner) || ews_caller_is_admin(ctx);
}

/*
 * Hierarchy changes (create, move, copy, delete folder) of one mailbox are
 * serialized by updating its row.  An UPDATE rather than SELECT ... FOR
 * UPDATE: under READ COMMITTED both wait, but under REPEATABLE READ only a
 * real update makes the second transaction fail with a serialization error
 * instead of going on with a snapshot that cannot see the first one's move,
 * which could otherwise build a cycle.  The lock is held to transaction end.
 */
void
ews_lock_hierarchy(const pg_uuid_t *mailbox)
{
	static EwsPlan plan = {
		"UPDATE ews.mailbox SET hierarchy_version = hierarchy_version + 1"
		" WHERE mailbox_id = $1",
		1, {UUIDOID}
	};
	Datum		arg = UUIDPGetDatum(mailbox);

	ews_exec(&plan, &arg, NULL, false, 0);
}

/* ---- folders ---- */

bool
ews_folder_fetch(const pg_uuid_t *mailbox, const char *guid, int64 folder_id, EwsFolder *out)
{
	static EwsPlan plan = {
		"SELECT f.parent_id, f.display_name, f.folder_class, f.distinguished,"
		"       f.change_number, p.change_number"
		" FROM ews.folder f LEFT JOIN ews.folder p"
		"   ON p.mailbox_id = f.mailbox_id AND p.folder_id = f.parent_id"
		" WHERE f.mailbox_id = $1 AND f.folder_id = $2",
		2, {UUIDOID, INT8OID}
	};
	Datum		args[2];

	args[0] = UUIDPGetDatum(mailbox);
	args[1] = Int64GetDatum(folder_id);
	/*
	 * Not read-only: a read-only SPI query runs on the calling statement's
	 * snapshot, taken before the hierarchy lock was waited for, so under
	 * READ COMMITTED it would miss a move committed meanwhile (and this
	 * statement's own earlier changes).  A fresh snapshot sees both.
	 */
	if (ews_exec(&plan, args, NULL, false, 1) != 1)
		return false;
	memset(out, 0, sizeof(*out));
	out->mailbox_id = *mailbox;
	strlcpy(out->guid, guid, sizeof(out->guid));
	out->folder_id = folder_id;
	out->parent_id = ews_col_int64(0, 1);
	out->display_name = ews_col_text(0, 2);
	out->folder_class = ews_col_text(0, 3);
	out->distinguished = ews_col_text(0, 4);
	out->change_number = ews_col_int64(0, 5);
	out->parent_change = ews_col_int64(0, 6);
	return true;
}

/* the counts of one folder: see ews_folder_counts_many (folder.c), the one place they come from */
void
ews_folder_counts(EwsFolder *f)
{
	/* the one place counts come from: ews_folder_counts_many (folder.c) */
	ews_folder_counts_many(f, 1);
}

int64
ews_distinguished_folder_id(const pg_uuid_t *mailbox, const char *name)
{
	static EwsPlan plan = {
		"SELECT folder_id FROM ews.folder WHERE mailbox_id = $1 AND distinguished = $2",
		2, {UUIDOID, TEXTOID}
	};
	Datum		args[2];

	args[0] = UUIDPGetDatum(mailbox);
	args[1] = CStringGetTextDatum(name);
	/* not read-only: see ews_folder_fetch */
	if (ews_exec(&plan, args, NULL, false, 1) != 1)
		return 0;
	return ews_col_int64(0, 1);
}

static bool
folder_by_distinguished(const EwsMailbox *mb, const char *name, EwsFolder *out)
{
	int64		folder_id = ews_distinguished_folder_id(&mb->id, name);

	return folder_id != 0 && ews_folder_fetch(&mb->id, mb->guid, folder_id, out);
}

bool
ews_object_id_decode(const char *id, const char *change_key, uint8 kind,
					 EwsObjectId *oid, int64 *change_number, EwsStatus *st)
{
	EwsIdStatus ist;

	*change_number = 0;
	if (id == NULL || id[0] == '\0')
	{
		ews_status_set(st, EWS_ErrorInvalidIdMalformed, "Id is malformed: the id is empty.");
		return false;
	}
	ist = ews_id_decode(id, strlen(id), oid);
	if (ist != EWS_ID_OK)
	{
		ews_status_set(st, EWS_ErrorInvalidIdMalformed,
					   psprintf("Id is malformed: %s.", ews_id_status_text(ist)));
		return false;
	}
	if (oid->kind != kind)
	{
		ews_status_set(st, kind == EWS_ID_KIND_FOLDER ? EWS_ErrorCannotUseItemIdForFolderId
					   : EWS_ErrorCannotUseFolderIdForItemId, NULL);
		return false;
	}
	if (change_key != NULL)
	{
		uint32		ck_kind;
		uint64		cn;

		if (!ews_changekey_decode(change_key, strlen(change_key), &ck_kind, &cn) ||
			ck_kind != (kind == EWS_ID_KIND_FOLDER ? EWS_CK_KIND_FOLDER : EWS_CK_KIND_ITEM))
		{
			ews_status_set(st, EWS_ErrorInvalidChangeKey, NULL);
			return false;
		}
		*change_number = (int64) cn;
	}
	return true;
}

bool
ews_folder_resolve(EwsCtx *ctx, const EwsFolderRef *ref, EwsNeed need, bool lock,
				   EwsFolder *out, EwsStatus *st)
{
	EwsMailbox	mb;

	ews_status_ok(st);
	if (ref->distinguished != NULL)
	{
		if (ref->mailbox != NULL)
		{
			if (!ews_mailbox_by_smtp(ctx, ref->mailbox, need, &mb, st))
				return false;
		}
		else if (ctx->has_acting)
			mb = ctx->acting;
		else
		{
			ews_status_set(st, EWS_ErrorInvalidRequest,
						   "A DistinguishedFolderId needs a Mailbox when there is no acting mailbox.");
			return false;
		}
		if (lock)
			ews_lock_hierarchy(&mb.id);
		if (!folder_by_distinguished(&mb, ref->distinguished, out))
		{
			ews_status_set(st, EWS_ErrorFolderNotFound, NULL);
			return false;
		}
		out->access = mb.access;
		out->delegated = mb.delegated;
		return true;
	}
	else
	{
		EwsObjectId oid;
		int64		change_number;

		/* folder change keys are checked for form only, as Exchange does */
		if (!ews_object_id_decode(ref->id, ref->change_key, EWS_ID_KIND_FOLDER,
								  &oid, &change_number, st))
			return false;
		if (!ews_mailbox_by_guid(ctx, oid.mailbox, need, &mb, st))
			return false;
		if (lock)
			ews_lock_hierarchy(&mb.id);
		if (!ews_folder_fetch(&mb.id, mb.guid, (int64) oid.local_id, out))
		{
			ews_status_set(st, EWS_ErrorFolderNotFound, NULL);
			return false;
		}
		out->access = mb.access;
		out->delegated = mb.delegated;
		return true;
	}
}

/* ---- the acting mailbox of a SOAP request ---- */

int
ews_mailbox_owned(EwsCtx *ctx, EwsMailbox *out)
{
	/* exactly the caller: a role that merely inherits from an owner does not "own" */
	static EwsPlan plan = {
		"SELECT mailbox_id, smtp_address, display_name, owner_role::pg_catalog.oid"
		" FROM ews.mailbox WHERE owner_role = $1::pg_catalog.regrole ORDER BY mailbox_id LIMIT 2",
		1, {OIDOID}
	};
	Datum		arg = ObjectIdGetDatum(ctx->caller);
	uint64		n = ews_exec(&plan, &arg, NULL, true, 2);

	if (n >= 1)
	{
		mailbox_from_row(out);
		out->access = EWS_ACCESS_WRITE;		/* its owner */
	}
	return (int) n;
}

bool
ews_mailbox_impersonate(EwsCtx *ctx, const char *smtp, EwsMailbox *out, EwsStatus *st)
{
	static EwsPlan plan = {
		"SELECT mailbox_id, smtp_address, display_name, owner_role::pg_catalog.oid"
		" FROM ews.mailbox WHERE pg_catalog.lower(smtp_address) = pg_catalog.lower($1)",
		1, {TEXTOID}
	};
	Datum		arg = CStringGetTextDatum(smtp);

	ews_status_ok(st);
	if (ews_exec(&plan, &arg, NULL, true, 1) == 1)
	{
		mailbox_from_row(out);
		/* acting as one's own mailbox is no impersonation */
		if (has_privs_of_role(ctx->caller, out->owner) ||
			ews_mailbox_allows(ctx, out, EWS_RIGHT_IMPERSONATE))
			return true;
		/* a role that may use the mailbox learns why; a stranger learns nothing */
		if (ews_mailbox_allows(ctx, out, EWS_RIGHT_USE))
		{
			ews_status_set(st, EWS_ErrorImpersonateUserDenied, NULL);
			return false;
		}
	}
	else
	{
		/*
		 * No such address: make the checks a stranger's request for an
		 * existing mailbox makes above (owner, then the impersonate and the
		 * use grant lookups), so that neither the answer nor the work tells
		 * the two apart.
		 */
		EwsMailbox	none;

		memset(&none, 0, sizeof(none));
		none.owner = InvalidOid;
		(void) has_privs_of_role(ctx->caller, none.owner);
		(void) ews_mailbox_allows(ctx, &none, EWS_RIGHT_IMPERSONATE);
		mailbox_not_found_work(ctx, NULL);
	}
	ews_status_set(st, EWS_ErrorNonExistentMailbox,
				   psprintf("No mailbox with SMTP address %s.", smtp));
	return false;
}

bool
ews_ctx_act(EwsCtx *ctx, const char *smtp, EwsStatus *st)
{
	EwsMailbox	mb;

	if (!ews_mailbox_impersonate(ctx, smtp, &mb, st))
		return false;
	mb.access = EWS_ACCESS_WRITE;
	mb.delegated = false;
	ctx->acting = mb;
	ctx->has_acting = true;
	ctx->acting_user = true;
	/* a mailbox looked up before now was judged without the acting user */
	ctx->cache_valid = false;
	return true;
}
