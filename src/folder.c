/*
 * folder.c
 *	  Folder operations: the rules of CreateFolder, GetFolder, FindFolder,
 *	  DeleteFolder, MoveFolder and CopyFolder live here.
 *
 * The tree is an adjacency list (ews.folder.parent_id).  A folder's id never
 * changes, not even when it moves; every change gives it a new change
 * number and so a new ChangeKey.  Every hierarchy change first takes the
 * mailbox's hierarchy lock (ews_lock_hierarchy) and only then reads what it
 * checks, so the checks hold until commit.
 */
#include "folder.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "extract.h"
#include "mailbox.h"
#include "sync.h"

bool
ews_folder_name_taken(const pg_uuid_t *mailbox, int64 parent_id, const char *name,
					  int64 except_folder_id)
{
	/* sibling names are unique compared case-insensitively, as in Exchange */
	static EwsPlan plan = {
		"SELECT 1 FROM ews.folder"
		" WHERE mailbox_id = $1 AND parent_id = $2"
		"   AND pg_catalog.lower(display_name) = pg_catalog.lower($3) AND folder_id <> $4",
		4, {UUIDOID, INT8OID, TEXTOID, INT8OID}
	};
	Datum		args[4];

	args[0] = UUIDPGetDatum(mailbox);
	args[1] = Int64GetDatum(parent_id);
	args[2] = CStringGetTextDatum(name);
	args[3] = Int64GetDatum(except_folder_id);
	/* not read-only: see ews_folder_fetch (store.c) */
	return ews_exec(&plan, args, NULL, false, 1) > 0;
}

void
ews_folder_reparent(EwsFolder *f, int64 new_parent_id, const char *new_name)
{
	static EwsPlan plan = {
		"UPDATE ews.folder SET parent_id = $3, display_name = $4, change_number = $5"
		" WHERE mailbox_id = $1 AND folder_id = $2",
		5, {UUIDOID, INT8OID, INT8OID, TEXTOID, INT8OID}
	};
	Datum		args[5];
	int64		cn = ews_next_change_number();

	/* SyncFolderHierarchy: where it was, for clients that synced before */
	ews_sync_folder_moved(&f->mailbox_id, f->folder_id, cn);
	args[0] = UUIDPGetDatum(&f->mailbox_id);
	args[1] = Int64GetDatum(f->folder_id);
	args[2] = Int64GetDatum(new_parent_id);
	args[3] = CStringGetTextDatum(new_name);
	args[4] = Int64GetDatum(cn);
	if (ews_exec(&plan, args, NULL, false, 0) != 1)
		elog(ERROR, "folder " INT64_FORMAT " vanished under the hierarchy lock", f->folder_id);
	f->parent_id = new_parent_id;
	f->display_name = pstrdup(new_name);
	f->change_number = cn;
}

static bool
display_name_valid(const char *name, EwsStatus *st)
{
	const char *p = name;

	if (name == NULL)
	{
		ews_status_set(st, EWS_ErrorFolderSavePropertyError, "The folder needs a display name.");
		return false;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
	{
		ews_status_set(st, EWS_ErrorFolderSavePropertyError, "The folder display name is empty.");
		return false;
	}
	if (strlen(name) > EWS_MAX_FOLDER_NAME)
	{
		ews_status_set(st, EWS_ErrorFolderSavePropertyError,
					   psprintf("The folder display name is longer than %d bytes.", EWS_MAX_FOLDER_NAME));
		return false;
	}
	if (!ews_text_is_utf8(name))
	{
		ews_status_set(st, EWS_ErrorFolderSavePropertyError, "The folder display name is not valid UTF-8.");
		return false;
	}
	return true;
}

void
ews_folder_create(EwsCtx *ctx, const EwsFolderRef *parent, const char *display_name,
				  const char *folder_class, EwsFolder *out, EwsStatus *st)
{
	static EwsPlan plan = {
		"INSERT INTO ews.folder (mailbox_id, folder_id, parent_id, display_name,"
		"                        folder_class, distinguished, change_number)"
		" VALUES ($1, $2, $3, $4, $5, NULL, $6)",
		6, {UUIDOID, INT8OID, INT8OID, TEXTOID, TEXTOID, INT8OID}
	};
	EwsFolder	p;
	Datum		args[6];
	char		nulls[6] = "      ";

	if (!display_name_valid(display_name, st))
		return;
	if (folder_class != NULL && !ews_text_is_utf8(folder_class))
	{
		ews_status_set(st, EWS_ErrorFolderSavePropertyError, "The folder class is not valid UTF-8.");
		return;
	}
	if (!ews_folder_resolve(ctx, parent, EWS_NEED_WRITE, true, &p, st))
	{
		if (st->code == EWS_ErrorFolderNotFound)
			ews_status_set(st, EWS_ErrorParentFolderNotFound, NULL);
		return;
	}
	if (ews_folder_name_taken(&p.mailbox_id, p.folder_id, display_name, 0))
	{
		ews_status_set(st, EWS_ErrorFolderExists, NULL);
		return;
	}
	memset(out, 0, sizeof(*out));
	out->mailbox_id = p.mailbox_id;
	strlcpy(out->guid, p.guid, sizeof(out->guid));
	out->folder_id = ews_next_local_id();
	out->change_number = ews_next_change_number();
	out->parent_id = p.folder_id;
	out->parent_change = p.change_number;
	out->display_name = pstrdup(display_name);
	/* the class is kept exactly as given, and stays NULL when none was: never invent one */
	out->folder_class = folder_class ? pstrdup(folder_class) : NULL;

	args[0] = UUIDPGetDatum(&out->mailbox_id);
	args[1] = Int64GetDatum(out->folder_id);
	args[2] = Int64GetDatum(out->parent_id);
	args[3] = CStringGetTextDatum(display_name);
	args[4] = folder_class ? CStringGetTextDatum(folder_class) : (Datum) 0;
	nulls[4] = folder_class ? ' ' : 'n';
	args[5] = Int64GetDatum(out->change_number);
	ews_exec(&plan, args, nulls, false, 0);
	ews_status_ok(st);
}

void
ews_folder_get(EwsCtx *ctx, const EwsFolderRef *ref, EwsFolder *out, EwsStatus *st)
{
	if (!ews_folder_resolve(ctx, ref, EWS_NEED_READ, false, out, st))
		return;
	ews_folder_counts(out);
}

List *
ews_folder_find(EwsCtx *ctx, const EwsFolderRef *parent, bool deep, EwsStatus *st)
{
	/*
	 * Shallow: the children by name.  Deep: the whole subtree in pre-order,
	 * siblings by name, which is the order a tree view shows.
	 */
	static EwsPlan plan = {
		"WITH RECURSIVE t(folder_id, path) AS ("
		"   SELECT c.folder_id, ARRAY[c.display_name] FROM ews.folder c"
		"    WHERE c.mailbox_id = $1 AND c.parent_id = $2"
		"  UNION ALL"
		"   SELECT c.folder_id, t.path || c.display_name FROM t JOIN ews.folder c"
		"     ON c.mailbox_id = $1 AND c.parent_id = t.folder_id"
		"    WHERE $3"
		")"
		" SELECT f.folder_id, f.parent_id, f.display_name, f.folder_class, f.distinguished,"
		"        f.change_number, p.change_number,"
		"        f.total_count,"
		"        (SELECT pg_catalog.count(*) FROM ews.folder s WHERE s.mailbox_id = $1"
		"           AND s.parent_id = f.folder_id)::int4,"
		"        f.unread_count"
		" FROM t JOIN ews.folder f ON f.mailbox_id = $1 AND f.folder_id = t.folder_id"
		"        JOIN ews.folder p ON p.mailbox_id = $1 AND p.folder_id = f.parent_id"
		" ORDER BY t.path",
		3, {UUIDOID, INT8OID, BOOLOID}
	};
	EwsFolder	p;
	Datum		args[3];
	uint64		n;
	List	   *result = NIL;

	if (!ews_folder_resolve(ctx, parent, EWS_NEED_READ, false, &p, st))
		return NIL;
	args[0] = UUIDPGetDatum(&p.mailbox_id);
	args[1] = Int64GetDatum(p.folder_id);
	args[2] = BoolGetDatum(deep);
	n = ews_exec(&plan, args, NULL, true, 0);
	for (uint64 r = 0; r < n; r++)
	{
		EwsFolder  *f = palloc0(sizeof(EwsFolder));

		f->mailbox_id = p.mailbox_id;
		strlcpy(f->guid, p.guid, sizeof(f->guid));
		f->folder_id = ews_col_int64(r, 1);
		f->parent_id = ews_col_int64(r, 2);
		f->display_name = ews_col_text(r, 3);
		f->folder_class = ews_col_text(r, 4);
		f->distinguished = ews_col_text(r, 5);
		f->change_number = ews_col_int64(r, 6);
		f->parent_change = ews_col_int64(r, 7);
		f->total_count = ews_col_int32(r, 8);
		f->child_count = ews_col_int32(r, 9);
		f->unread_count = ews_col_int32(r, 10);
		f->access = p.access;	/* one mailbox: the rights the parent was resolved with */
		f->delegated = p.delegated;
		result = lappend(result, f);
	}
	return result;
}

/*
 * A soft-deleted folder keeps its name unless the target already has one
 * like it; then it becomes "Name (2)", "Name (3)", ... as Outlook does in
 * Deleted Items, so deleting never fails for a name clash.
 */
static char *
free_name_in(const pg_uuid_t *mailbox, int64 parent_id, const char *name, int64 folder_id)
{
	if (!ews_folder_name_taken(mailbox, parent_id, name, folder_id))
		return pstrdup(name);
	for (int i = 2; i < 100000; i++)
	{
		char	   *candidate = psprintf("%s (%d)", name, i);

		if (!ews_folder_name_taken(mailbox, parent_id, candidate, folder_id))
			return candidate;
	}
	elog(ERROR, "no free name for folder \"%s\"", name);
	return NULL;				/* keep compiler quiet */
}

bool
ews_delete_type_from_name(const char *name, EwsDeleteType *type)
{
	if (strcmp(name, "HardDelete") == 0)
		*type = EWS_DELETE_HARD;
	else if (strcmp(name, "SoftDelete") == 0)
		*type = EWS_DELETE_SOFT;
	else if (strcmp(name, "MoveToDeletedItems") == 0)
		*type = EWS_DELETE_TO_DELETED_ITEMS;
	else
		return false;
	return true;
}

void
ews_folder_delete(EwsCtx *ctx, const EwsFolderRef *ref, EwsDeleteType type, EwsStatus *st)
{
	static EwsPlan hard = {
		"DELETE FROM ews.folder WHERE mailbox_id = $1 AND folder_id = $2",
		2, {UUIDOID, INT8OID}
	};
	EwsFolder	f;

	if (!ews_folder_resolve(ctx, ref, EWS_NEED_WRITE, true, &f, st))
		return;
	/* Exchange refuses to delete any distinguished folder */
	if (f.distinguished != NULL)
	{
		ews_status_set(st, EWS_ErrorDeleteDistinguishedFolder, NULL);
		return;
	}
	if (type == EWS_DELETE_HARD)
	{
		Datum		args[2];

		/* SyncFolderHierarchy: the subtree's folders, for clients that synced before */
		ews_sync_folders_removed(&f.mailbox_id, f.folder_id, true, ews_next_change_number());
		/* subfolders and items go with it: ON DELETE CASCADE on both references */
		args[0] = UUIDPGetDatum(&f.mailbox_id);
		args[1] = Int64GetDatum(f.folder_id);
		ews_exec(&hard, args, NULL, false, 0);
	}
	else
	{
		const char *target_name = type == EWS_DELETE_SOFT ? "recoverableitemsdeletions" : "deleteditems";
		int64		target = ews_distinguished_folder_id(&f.mailbox_id, target_name);

		if (target == 0)
			elog(ERROR, "mailbox has no distinguished folder \"%s\"", target_name);
		/*
		 * No cycle is possible: the targets' ancestors are all distinguished,
		 * and distinguished folders cannot be deleted.
		 */
		ews_folder_reparent(&f, target,
							free_name_in(&f.mailbox_id, target, f.display_name, f.folder_id));
	}
	ews_status_ok(st);
}

/* ---- MoveFolder and CopyFolder ---- */

typedef enum MoveCopyOp
{
	OP_MOVE,
	OP_COPY
} MoveCopyOp;

/*
 * Is folder a the folder b itself or one of b's ancestors?  A walk up from
 * b: O(depth of b), whatever the size of a's subtree.  UNION (not UNION ALL)
 * ends the walk even on a damaged tree with a cycle.
 */
static bool
folder_is_self_or_ancestor(const pg_uuid_t *mailbox, int64 a, int64 b)
{
	static EwsPlan plan = {
		"WITH RECURSIVE up(folder_id, parent_id) AS ("
		"   SELECT f.folder_id, f.parent_id FROM ews.folder f"
		"    WHERE f.mailbox_id = $1 AND f.folder_id = $3"
		"  UNION"
		"   SELECT f.folder_id, f.parent_id FROM up JOIN ews.folder f"
		"     ON f.mailbox_id = $1 AND f.folder_id = up.parent_id"
		"    WHERE up.folder_id <> $2"
		")"
		" SELECT 1 FROM up WHERE folder_id = $2",
		3, {UUIDOID, INT8OID, INT8OID}
	};
	Datum		args[3];

	args[0] = UUIDPGetDatum(mailbox);
	args[1] = Int64GetDatum(a);
	args[2] = Int64GetDatum(b);
	/* not read-only: it must see moves committed while we waited for the lock */
	return ews_exec(&plan, args, NULL, false, 1) > 0;
}

/*
 * Copy the subtree of folder src under parent with set-based SQL: one
 * statement maps every folder of the subtree to a new id and change number
 * and every item to a new id, change number and article number (the
 * MATERIALIZED CTEs evaluate nextval once per row), inserts the folders with
 * their content state (content.h) and the items, and returns the new root.
 * Copies are ordinary folders (distinguished NULL); items keep their blobs
 * byte for byte and their extracted columns, and get article numbers 1..n
 * in their new folder in the order they had in the old one.  The new
 * folders are invisible to others until commit, so their content state
 * needs no lock.  Built once from the column table (extract.h).
 */
static EwsPlan copy_plan;

static void
prepare_copy_plan(void)
{
	StringInfoData sql;
	StringInfoData cols;
	StringInfoData source_cols;
	MemoryContext old;

	if (copy_plan.sql != NULL)
		return;
	old = MemoryContextSwitchTo(TopMemoryContext);
	initStringInfo(&cols);
	initStringInfo(&source_cols);
	for (int i = 0; i < EWS_ITEM_NCOLS; i++)
	{
		appendStringInfo(&cols, ", %s", ews_item_col_names[i]);
		appendStringInfo(&source_cols, ", i.%s", ews_item_col_names[i]);
	}
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "WITH RECURSIVE sub(folder_id) AS ("
					 "   SELECT f.folder_id FROM ews.folder f WHERE f.mailbox_id = $1 AND f.folder_id = $2"
					 "  UNION ALL"
					 "   SELECT c.folder_id FROM sub s JOIN ews.folder c"
					 "     ON c.mailbox_id = $1 AND c.parent_id = s.folder_id"
					 "), map AS MATERIALIZED ("
					 "   SELECT s.folder_id AS old_id,"
					 "          pg_catalog.nextval('ews.local_id_seq'::pg_catalog.regclass) AS new_id,"
					 "          pg_catalog.nextval('ews.change_seq'::pg_catalog.regclass) AS cn"
					 "     FROM sub s"
					 "), imap AS MATERIALIZED ("
					 "   SELECT i.item_id AS old_item, m.new_id AS folder_id, i.is_associated, i.is_read,"
					 "          pg_catalog.nextval('ews.local_id_seq'::pg_catalog.regclass) AS new_item,"
					 "          pg_catalog.nextval('ews.change_seq'::pg_catalog.regclass) AS cn,"
					 "          pg_catalog.row_number() OVER (PARTITION BY m.new_id ORDER BY i.article_number) AS article"
					 "     FROM map m JOIN ews.item i ON i.mailbox_id = $1 AND i.folder_id = m.old_id"
					 "), counts AS ("
					 "   SELECT folder_id, pg_catalog.count(*) AS n,"
					 "          pg_catalog.count(*) FILTER (WHERE NOT is_associated) AS total,"
					 "          pg_catalog.count(*) FILTER (WHERE NOT is_associated AND NOT is_read) AS unread,"
					 "          pg_catalog.count(*) FILTER (WHERE is_associated) AS assoc,"
					 "          pg_catalog.max(cn) AS cn"
					 "     FROM imap GROUP BY folder_id"
					 "), new_folders AS ("
					 "   INSERT INTO ews.folder (mailbox_id, folder_id, parent_id, display_name,"
					 "                           folder_class, distinguished, change_number, next_article,"
					 "                           total_count, unread_count, assoc_count, content_cn)"
					 "   SELECT $1, m.new_id, COALESCE(pm.new_id, $3), f.display_name, f.folder_class, NULL, m.cn,"
					 "          COALESCE(c.n, 0) + 1, COALESCE(c.total, 0), COALESCE(c.unread, 0),"
					 "          COALESCE(c.assoc, 0), COALESCE(c.cn, 0)"
					 "     FROM map m JOIN ews.folder f ON f.mailbox_id = $1 AND f.folder_id = m.old_id"
					 "     LEFT JOIN map pm ON pm.old_id = f.parent_id AND m.old_id <> $2"
					 "     LEFT JOIN counts c ON c.folder_id = m.new_id"
					 "   RETURNING 1"
					 "), new_items AS ("
					 "   INSERT INTO ews.item (mailbox_id, item_id, folder_id, change_number, article_number,"
					 "                         created_cn, content_cn, is_associated, blob%s)"
					 "   SELECT $1, x.new_item, x.folder_id, x.cn, x.article, x.cn, x.cn, i.is_associated, i.blob%s"
					 "     FROM imap x JOIN ews.item i ON i.mailbox_id = $1 AND i.item_id = x.old_item"
					 "   RETURNING 1"
					 ")"
					 " SELECT m.new_id, m.cn, (SELECT pg_catalog.count(*) FROM new_folders),"
					 "        (SELECT pg_catalog.count(*) FROM new_items)"
					 "   FROM map m WHERE m.old_id = $2",
					 cols.data, source_cols.data);
	MemoryContextSwitchTo(old);
	copy_plan.nargs = 3;
	copy_plan.argtypes[0] = UUIDOID;
	copy_plan.argtypes[1] = INT8OID;
	copy_plan.argtypes[2] = INT8OID;
	copy_plan.sql = sql.data;
}

static void
copy_subtree(const EwsFolder *src, const EwsFolder *parent, EwsFolder *out)
{
	Datum		args[3];
	int			nestlevel;
	uint64		n;

	prepare_copy_plan();
	args[0] = UUIDPGetDatum(&src->mailbox_id);
	args[1] = Int64GetDatum(src->folder_id);
	args[2] = Int64GetDatum(parent->folder_id);

	/*
	 * The planner guesses the recursive CTE's size from the whole mailbox and
	 * estimates millions of rows for a subtree of a thousand; JIT compiling
	 * that plan costs more than the copy itself (250 ms against 100 ms in
	 * bench/move_folder.sh).  So no JIT for this statement, the way a
	 * function's SET clause would do it.
	 */
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	n = ews_exec(&copy_plan, args, NULL, false, 0);
	AtEOXact_GUC(true, nestlevel);
	if (n != 1)
		elog(ERROR, "folder " INT64_FORMAT " vanished under the hierarchy lock", src->folder_id);
	memset(out, 0, sizeof(*out));
	out->mailbox_id = src->mailbox_id;
	strlcpy(out->guid, src->guid, sizeof(out->guid));
	out->folder_id = ews_col_int64(0, 1);
	out->change_number = ews_col_int64(0, 2);
	out->parent_id = parent->folder_id;
	out->parent_change = parent->change_number;
	out->display_name = src->display_name;
	out->folder_class = src->folder_class;
	out->distinguished = NULL;
}

/*
 * The rules for one source folder.  Every check comes before any write, so
 * a refused source has changed nothing.  The caller holds the target
 * mailbox's hierarchy lock, so what is checked here stays true until commit.
 */
static void
move_copy_one(EwsCtx *ctx, MoveCopyOp op, const EwsFolder *target, const EwsFolderRef *ref,
			  EwsFolder *out, EwsStatus *st)
{
	EwsFolder	s;
	const char *verb = op == OP_MOVE ? "move" : "copy";

	/* id codes, ErrorNonExistentMailbox, ErrorFolderNotFound */
	if (!ews_folder_resolve(ctx, ref, op == OP_MOVE ? EWS_NEED_WRITE : EWS_NEED_READ, false, &s, st))
		return;
	/* Exchange's fixed tree: distinguished folders stay where they are; a copy is fine */
	if (op == OP_MOVE && s.distinguished != NULL)
	{
		ews_status_set(st, EWS_ErrorMoveDistinguishedFolder, NULL);
		return;
	}
	/* one hierarchy lock, one mailbox: moves and copies stay inside it */
	if (memcmp(&s.mailbox_id, &target->mailbox_id, sizeof(pg_uuid_t)) != 0)
	{
		ews_status_set(st, EWS_ErrorCrossMailboxMoveCopy,
					   psprintf("Cannot %s a folder into another mailbox.", verb));
		return;
	}
	/* no cycles: the target may be neither the folder nor below it */
	if (s.folder_id == target->folder_id)
	{
		ews_status_set(st, EWS_ErrorMoveCopyFailed,
					   psprintf("Cannot %s a folder into itself.", verb));
		return;
	}
	if (folder_is_self_or_ancestor(&s.mailbox_id, s.folder_id, target->folder_id))
	{
		ews_status_set(st, EWS_ErrorMoveCopyFailed,
					   psprintf("Cannot %s a folder into one of its own subfolders.", verb));
		return;
	}
	/*
	 * Sibling names are unique case-insensitively.  A move to the folder's
	 * own parent does not clash with itself: it succeeds, as in Exchange, and
	 * gives the folder a new change key.
	 */
	if (ews_folder_name_taken(&s.mailbox_id, target->folder_id, s.display_name,
							  op == OP_MOVE ? s.folder_id : 0))
	{
		ews_status_set(st, EWS_ErrorMoveCopyFailed,
					   psprintf("The destination folder already has a folder named \"%s\".",
								s.display_name));
		return;
	}
	if (op == OP_MOVE)
	{
		/* one row update: the subtree and its items travel with their parent */
		ews_folder_reparent(&s, target->folder_id, s.display_name);
		s.parent_change = target->change_number;
		*out = s;
	}
	else
		copy_subtree(&s, target, out);
	ews_status_ok(st);
}

/*
 * Errors that concern the whole transaction, not this one folder: a cancel
 * or shutdown must stop the statement, and after a serialization failure or
 * deadlock only a retry of the whole transaction can succeed, so they are
 * raised, not turned into a response row that would hide a lost move.
 */
static bool
error_ends_batch(int sqlerrcode)
{
	int			category = ERRCODE_TO_CATEGORY(sqlerrcode);

	return category == ERRCODE_TRANSACTION_ROLLBACK ||
		category == ERRCODE_OPERATOR_INTERVENTION;
}

/*
 * One source in a subtransaction of its own, the way PL/pgSQL and PL/Python
 * run SPI inside an exception block: its writes are kept only when it
 * succeeds, and an unexpected error becomes this source's response instead
 * of aborting the batch.  The hierarchy lock was taken before, at the outer
 * level: locks taken inside a subtransaction are released when it rolls back.
 */
static void
move_copy_in_subxact(EwsCtx *ctx, MoveCopyOp op, const EwsFolder *target, const EwsFolderRef *ref,
					 EwsFolder *out, EwsStatus *st)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	/* results (out, st) live in the caller's context, beyond the subtransaction */
	MemoryContextSwitchTo(oldcontext);
	PG_TRY();
	{
		move_copy_one(ctx, op, target, ref, out, st);
		if (st->code == EWS_NoError)
			ReleaseCurrentSubTransaction();
		else
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;

		if (error_ends_batch(edata->sqlerrcode))
			ReThrowError(edata);
		if (edata->message == NULL)
			edata->message = pstrdup("unknown error");
		ereport(LOG,
				(errmsg("ews: %s of a folder failed: %s", op == OP_MOVE ? "move" : "copy",
						edata->message)));
		memset(out, 0, sizeof(*out));
		if (edata->sqlerrcode == ERRCODE_UNIQUE_VIOLATION)
			ews_status_set(st, EWS_ErrorMoveCopyFailed,
						   "The destination folder already has a folder of that name.");
		else
			ews_status_set(st, EWS_ErrorInternalServerError,
						   psprintf("An internal server error occurred. The operation failed: %s.",
									edata->message));
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

static void
move_copy(EwsCtx *ctx, MoveCopyOp op, const EwsFolderRef *target, const EwsFolderRef *sources, int n,
		  EwsFolder *out, EwsStatus *st)
{
	EwsFolder	t;
	EwsStatus	tst;

	/*
	 * The target once, and with it the hierarchy lock of its mailbox, held
	 * to the end of the caller's transaction.  A target that cannot be used
	 * is every source's answer.
	 */
	if (!ews_folder_resolve(ctx, target, EWS_NEED_WRITE, true, &t, &tst))
	{
		if (tst.code == EWS_ErrorFolderNotFound)
			ews_status_set(&tst, EWS_ErrorToFolderNotFound, NULL);
		for (int i = 0; i < n; i++)
		{
			memset(&out[i], 0, sizeof(out[i]));
			st[i] = tst;
		}
		return;
	}
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		memset(&out[i], 0, sizeof(out[i]));
		move_copy_in_subxact(ctx, op, &t, &sources[i], &out[i], &st[i]);
	}
}

void
ews_folder_move(EwsCtx *ctx, const EwsFolderRef *target, const EwsFolderRef *sources, int n,
				EwsFolder *out, EwsStatus *st)
{
	move_copy(ctx, OP_MOVE, target, sources, n, out, st);
}

void
ews_folder_copy(EwsCtx *ctx, const EwsFolderRef *target, const EwsFolderRef *sources, int n,
				EwsFolder *out, EwsStatus *st)
{
	move_copy(ctx, OP_COPY, target, sources, n, out, st);
}
