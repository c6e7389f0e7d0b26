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
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "extract.h"
#include "finditem.h"
#include "mailbox.h"
#include "sync.h"
#include "xmlscan.h"

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

/* ---- depth and heights ---- */

/*
 * A folder's height (ews.folder.height) is 0 without subfolders, else one
 * more than its highest subfolder's.  Read under the hierarchy lock, with a
 * fresh snapshot (not read-only: see ews_folder_fetch in store.c).
 */
static int32
folder_height(const pg_uuid_t *mailbox, int64 folder_id)
{
	static EwsPlan plan = {
		"SELECT height FROM ews.folder WHERE mailbox_id = $1 AND folder_id = $2",
		2, {UUIDOID, INT8OID}
	};
	Datum		args[2];

	args[0] = UUIDPGetDatum(mailbox);
	args[1] = Int64GetDatum(folder_id);
	if (ews_exec(&plan, args, NULL, false, 1) != 1)
		elog(ERROR, "folder " INT64_FORMAT " vanished under the hierarchy lock", folder_id);
	return ews_col_int32(0, 1);
}

/*
 * A walk up from folder `from` to the root: its depth (root is 0), and
 * whether `look_for` is on the way (from itself included).  O(depth of
 * from), whatever lies below it.  The bound ends the walk even on a damaged
 * tree with a cycle.
 */
static int64
walk_up(const pg_uuid_t *mailbox, int64 from, int64 look_for, bool *found)
{
	static EwsPlan plan = {
		"WITH RECURSIVE up(folder_id, parent_id, n) AS ("
		"   SELECT f.folder_id, f.parent_id, 0 FROM ews.folder f"
		"    WHERE f.mailbox_id = $1 AND f.folder_id = $2"
		"  UNION ALL"
		"   SELECT f.folder_id, f.parent_id, up.n + 1 FROM up JOIN ews.folder f"
		"     ON f.mailbox_id = $1 AND f.folder_id = up.parent_id"
		"    WHERE up.n < 1000000"
		")"
		" SELECT pg_catalog.max(n), pg_catalog.bool_or(folder_id = $3) FROM up",
		3, {UUIDOID, INT8OID, INT8OID}
	};
	Datum		args[3];

	args[0] = UUIDPGetDatum(mailbox);
	args[1] = Int64GetDatum(from);
	args[2] = Int64GetDatum(look_for);
	/* not read-only: it must see moves committed while we waited for the lock */
	ews_exec(&plan, args, NULL, false, 1);
	*found = ews_col_bool(0, 2);
	return ews_col_int64(0, 1);
}

/*
 * May a subtree of the given height go under parent?  The deepest folder
 * it would hold is at depth(parent) + 1 + height.  Exchange refuses such a
 * change with its folder hierarchy depth quota (300), which EWS answers as
 * ErrorInternalServerError; so does ews, with a MessageText that says why.
 */
static bool
depth_allows(const pg_uuid_t *mailbox, int64 parent_id, int64 parent_depth, int32 height, EwsStatus *st)
{
	if (parent_depth + 1 + height <= EWS_MAX_FOLDER_DEPTH)
		return true;
	ews_status_set(st, EWS_ErrorInternalServerError,
				   psprintf("The folder hierarchy would be " INT64_FORMAT " levels deep; a mailbox holds at most %d levels of folders.",
							parent_depth + 1 + height, EWS_MAX_FOLDER_DEPTH));
	return false;
}

/*
 * The children of folder x changed (one was added, removed or grew): make
 * the heights of x and its ancestors right again.  One recursive query
 * walks up from x: each step takes the highest subfolder other than the one
 * on the path (the height index gives it at once) and the path's new
 * height, and the walk stops at the first folder whose height does not
 * change, so it is O(depth) and usually ends at x.  The rows that change
 * are then updated in one statement, in folder id order, the order every
 * batch locks folder rows in.  The caller holds the hierarchy lock, and
 * only hierarchy changes write heights.
 */
static void
heights_fix_up(const pg_uuid_t *mailbox, int64 x)
{
	/*
	 * One statement: the walk, then the update of the rows whose height
	 * changes, taken in folder id order (the changes are sorted, and the
	 * update joins them in that order: one or two rows, usually none).
	 */
	static EwsPlan plan = {
		"WITH RECURSIVE w(folder_id, parent_id, old_h, new_h, n) AS ("
		"   SELECT f.folder_id, f.parent_id, f.height,"
		"          COALESCE((SELECT c.height + 1 FROM ews.folder c"
		"                     WHERE c.mailbox_id = $1 AND c.parent_id = f.folder_id"
		"                     ORDER BY c.height DESC LIMIT 1), 0), 0"
		"     FROM ews.folder f WHERE f.mailbox_id = $1 AND f.folder_id = $2"
		"  UNION ALL"
		"   SELECT p.folder_id, p.parent_id, p.height,"
		"          GREATEST(w.new_h + 1,"
		"                   COALESCE((SELECT c.height + 1 FROM ews.folder c"
		"                              WHERE c.mailbox_id = $1 AND c.parent_id = p.folder_id"
		"                                AND c.folder_id <> w.folder_id"
		"                              ORDER BY c.height DESC LIMIT 1), 0)),"
		"          w.n + 1"
		"     FROM w JOIN ews.folder p ON p.mailbox_id = $1 AND p.folder_id = w.parent_id"
		"    WHERE w.new_h <> w.old_h AND w.n < 1000000"
		"), changed AS MATERIALIZED ("
		"   SELECT folder_id, new_h FROM w WHERE new_h <> old_h ORDER BY folder_id"
		")"
		" UPDATE ews.folder f SET height = changed.new_h FROM changed"
		"  WHERE f.mailbox_id = $1 AND f.folder_id = changed.folder_id",
		2, {UUIDOID, INT8OID}
	};
	Datum		args[2];

	CHECK_FOR_INTERRUPTS();
	args[0] = UUIDPGetDatum(mailbox);
	args[1] = Int64GetDatum(x);
	ews_exec(&plan, args, NULL, false, 0);
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
	/* the old parent may have lost its highest subfolder, the new one gained one */
	if (new_parent_id != f->parent_id)
	{
		heights_fix_up(&f->mailbox_id, f->parent_id);
		heights_fix_up(&f->mailbox_id, new_parent_id);
	}
	f->parent_id = new_parent_id;
	f->display_name = pstrdup(new_name);
	f->change_number = cn;
}

/*
 * Every text a folder stores goes into EWS responses, which are XML 1.0: a
 * character XML cannot carry (U+0000..U+001F but TAB, LF and CR; U+FFFE,
 * U+FFFF) would make every response that lists the folder ill-formed, so it
 * is refused on the way in.  (Through SOAP such a name cannot arrive: the
 * request itself would not be well-formed.)
 */
static bool
xml_text_valid(const char *text, const char *what, EwsStatus *st)
{
	size_t		len = strlen(text);
	size_t		bad = ews_xml_first_invalid_char(text, len);
	uint32_t	cp;

	if (bad == len)
		return true;
	if (ews_utf8_next((const unsigned char *) text + bad, len - bad, &cp) == 0)
		cp = (unsigned char) text[bad];
	ews_status_set(st, EWS_ErrorFolderSavePropertyError,
				   psprintf("The folder %s holds U+%04X at byte %zu, a character XML 1.0 cannot carry.",
							what, (unsigned) cp, bad));
	return false;
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
	return xml_text_valid(name, "display name", st);
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
	if (folder_class != NULL && !xml_text_valid(folder_class, "class", st))
		return;
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
	{
		bool		unused;

		if (!depth_allows(&p.mailbox_id, p.folder_id, walk_up(&p.mailbox_id, p.folder_id, 0, &unused), 0, st))
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
	/* a leaf (height 0) under p: p and its ancestors may be higher now */
	heights_fix_up(&p.mailbox_id, p.folder_id);
	ews_status_ok(st);
}

void
ews_folder_get(EwsCtx *ctx, const EwsFolderRef *ref, EwsFolder *out, EwsStatus *st)
{
	if (!ews_folder_resolve(ctx, ref, EWS_NEED_READ, false, out, st))
		return;
	ews_folder_counts_many(out, 1);
}

/*
 * The light list of FindFolder: (folder, parent) pairs (the children, or
 * for Deep the mailbox's folders), sorted by parent and, among siblings, by
 * name, read through a cursor into two arrays; then a depth-first walk in C
 * puts the ids below the parent in pre-order.  No arrays of names are built
 * or sorted (ordering on the path of names made a 3 000-deep chain cost
 * O(depth^2) bytes: 116 s and 19 GB of temporary files), the work is the
 * same for every page, and it is O(M log M) for a mailbox of M folders,
 * whatever their depth.
 */
#define FIND_FETCH 10000

/* the children of parent: the range [*lo, *hi) of the list sorted by parent */
static void
children_range(const int64 *parents, int64 n, int64 parent, int64 *lo, int64 *hi)
{
	int64		a = 0,
				b = n;

	while (a < b)
	{
		int64		m = a + (b - a) / 2;

		if (parents[m] < parent)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	b = n;
	while (a < b)
	{
		int64		m = a + (b - a) / 2;

		if (parents[m] <= parent)
			a = m + 1;
		else
			b = m;
	}
	*hi = a;
}

/*
 * Keep the folders of list that match restriction, in order: one statement
 * over the whole list, the restriction compiled to a WHERE clause over the
 * folder's row (alias f) whose values are parameters.
 */
static bool
find_list_restrict(EwsFolderList *list, const EwsRestriction *restriction, EwsStatus *st)
{
	StringInfoData sql;
	Oid		   *types;
	Datum	   *values;
	int			nparams;
	SPIPlanPtr	plan;
	Datum	   *ids;
	int64		kept;
	MemoryContext caller = CurrentMemoryContext;

	if (list->n == 0)
		return true;
	if (list->n > (int64) (MaxAllocSize / sizeof(Datum)))
		elog(ERROR, "FindFolder: too many folders to restrict");
	initStringInfo(&sql);
	appendStringInfoString(&sql,
						   "SELECT u.ord FROM pg_catalog.unnest($2::pg_catalog.int8[]) WITH ORDINALITY u(id, ord)"
						   " JOIN ews.folder f ON f.mailbox_id = $1 AND f.folder_id = u.id WHERE ");
	if (!ews_folder_restriction_sql(restriction, 3, &sql, &types, &values, &nparams, st))
		return false;
	appendStringInfoString(&sql, " ORDER BY u.ord");
	ids = palloc_extended(sizeof(Datum) * list->n, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < list->n; i++)
		ids[i] = Int64GetDatum(list->ids[i]);
	types[0] = UUIDOID;
	values[0] = UUIDPGetDatum(&list->mailbox_id);
	types[1] = INT8ARRAYOID;
	values[1] = PointerGetDatum(construct_array(ids, (int) list->n, INT8OID, sizeof(int64),
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	plan = SPI_prepare(sql.data, nparams, types);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql.data, SPI_result_code_string(SPI_result));
	if (SPI_execute_plan(plan, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "FindFolder with a restriction failed");
	MemoryContextSwitchTo(caller);
	/* the rows are ordinals into the list, ascending: compact it in place */
	kept = 0;
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		int64		ord = ews_col_int64(r, 1);

		list->ids[kept++] = list->ids[ord - 1];
	}
	list->n = kept;
	SPI_freetuptable(SPI_tuptable);
	SPI_freeplan(plan);
	pfree(ids);
	return true;
}

EwsFolderList *
ews_folder_find_list(EwsCtx *ctx, const EwsFolderRef *parent, bool deep,
					 const EwsRestriction *restriction, EwsStatus *st)
{
	static EwsPlan shallow_plan = {
		"SELECT folder_id, parent_id FROM ews.folder"
		" WHERE mailbox_id = $1 AND parent_id = $2 ORDER BY display_name",
		2, {UUIDOID, INT8OID}
	};
	/*
	 * Deep: every folder of the mailbox, (id, parent) sorted by parent and
	 * name, and the walk below keeps those under the parent.  One scan and
	 * one sort of the mailbox's folders: a recursive query over the subtree
	 * did the same work level by level, ten times slower for a mailbox's
	 * root (a join per level) and far slower still for a deep chain.
	 */
	static EwsPlan deep_plan = {
		"SELECT folder_id, parent_id FROM ews.folder WHERE mailbox_id = $1 AND parent_id IS NOT NULL"
		" ORDER BY parent_id, display_name",
		1, {UUIDOID}
	};
	EwsFolder	p;
	EwsFolderList *list;
	Datum		args[2];
	Portal		portal;
	int64		n = 0;
	int64		cap = 1024;
	int64	   *ids;
	int64	   *parents;
	MemoryContext caller = CurrentMemoryContext;

	if (!ews_folder_resolve(ctx, parent, EWS_NEED_READ, false, &p, st))
		return NULL;
	args[0] = UUIDPGetDatum(&p.mailbox_id);
	args[1] = Int64GetDatum(p.folder_id);
	ids = palloc_extended(sizeof(int64) * cap, 0);
	parents = palloc_extended(sizeof(int64) * cap, 0);
	portal = SPI_cursor_open(NULL, ews_plan(deep ? &deep_plan : &shallow_plan), args, NULL, true);
	/* SPI leaves its procedure context current: back to ours after each call (see ews_exec) */
	MemoryContextSwitchTo(caller);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, FIND_FETCH);
		MemoryContextSwitchTo(caller);
		if (SPI_processed == 0)
			break;
		if (n + (int64) SPI_processed > cap)
		{
			while (n + (int64) SPI_processed > cap)
				cap *= 2;
			ids = repalloc_huge(ids, sizeof(int64) * cap);
			parents = repalloc_huge(parents, sizeof(int64) * cap);
		}
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			ids[n] = ews_col_int64(r, 1);
			parents[n] = ews_col_int64(r, 2);
			n++;
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	MemoryContextSwitchTo(caller);

	list = palloc0(sizeof(EwsFolderList));
	list->mailbox_id = p.mailbox_id;
	strlcpy(list->guid, p.guid, sizeof(list->guid));
	list->access = p.access;	/* one mailbox: the rights the parent was resolved with */
	list->delegated = p.delegated;
	list->n = n;
	if (!deep)
	{
		/* the children by name, as the query gave them */
		list->ids = ids;
		pfree(parents);
		if (restriction != NULL && !find_list_restrict(list, restriction, st))
			return NULL;
		return list;
	}

	/* pre-order: a depth-first walk over the parent-sorted list, siblings in name order */
	{
		typedef struct Level
		{
			int64		next;
			int64		end;
		} Level;
		int64	   *order = palloc_extended(sizeof(int64) * Max(n, 1), MCXT_ALLOC_HUGE);
		Level	   *stack = palloc(sizeof(Level) * 64);
		int			stack_cap = 64;
		int			depth = 0;
		int64		out = 0;

		children_range(parents, n, p.folder_id, &stack[0].next, &stack[0].end);
		while (depth >= 0)
		{
			Level	   *l = &stack[depth];
			int64		i;

			if ((out & 4095) == 0)
				CHECK_FOR_INTERRUPTS();
			if (l->next >= l->end)
			{
				depth--;
				continue;
			}
			i = l->next++;
			if (out >= n)
				elog(ERROR, "the folder tree below " INT64_FORMAT " is not a tree", p.folder_id);
			order[out++] = ids[i];
			if (depth + 1 == stack_cap)
			{
				stack_cap *= 2;
				stack = repalloc(stack, sizeof(Level) * stack_cap);
			}
			depth++;
			children_range(parents, n, ids[i], &stack[depth].next, &stack[depth].end);
		}
		pfree(stack);
		pfree(ids);
		pfree(parents);
		list->ids = order;
		list->n = out;
	}
	if (restriction != NULL && !find_list_restrict(list, restriction, st))
		return NULL;
	return list;
}

void
ews_folder_find_fetch(const EwsFolderList *list, int64 start, int count, bool with_counts, EwsFolder *out)
{
	static EwsPlan plan = {
		"SELECT f.folder_id, f.parent_id, f.display_name, f.folder_class, f.distinguished,"
		"       f.change_number, p.change_number"
		"  FROM pg_catalog.unnest($2::pg_catalog.int8[]) WITH ORDINALITY u(id, ord)"
		"  JOIN ews.folder f ON f.mailbox_id = $1 AND f.folder_id = u.id"
		"  LEFT JOIN ews.folder p ON p.mailbox_id = $1 AND p.folder_id = f.parent_id"
		" ORDER BY u.ord",
		2, {UUIDOID, INT8ARRAYOID}
	};
	Datum	   *ids;
	Datum		args[2];
	uint64		n;

	if (count <= 0)
		return;
	ids = palloc(sizeof(Datum) * count);
	for (int i = 0; i < count; i++)
		ids[i] = Int64GetDatum(list->ids[start + i]);
	args[0] = UUIDPGetDatum(&list->mailbox_id);
	args[1] = PointerGetDatum(construct_array(ids, count, INT8OID, sizeof(int64),
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	n = ews_exec(&plan, args, NULL, true, 0);
	/* the list was read in this statement's snapshot, so every folder is there */
	if (n != (uint64) count)
		elog(ERROR, "FindFolder found %d folders, then " UINT64_FORMAT " of them", count, n);
	for (int i = 0; i < count; i++)
	{
		EwsFolder  *f = &out[i];

		memset(f, 0, sizeof(*f));
		f->mailbox_id = list->mailbox_id;
		strlcpy(f->guid, list->guid, sizeof(f->guid));
		f->folder_id = ews_col_int64(i, 1);
		f->parent_id = ews_col_int64(i, 2);
		f->display_name = ews_col_text(i, 3);
		f->folder_class = ews_col_text(i, 4);
		f->distinguished = ews_col_text(i, 5);
		f->change_number = ews_col_int64(i, 6);
		f->parent_change = ews_col_int64(i, 7);
		f->access = list->access;
		f->delegated = list->delegated;
	}
	if (with_counts)
		ews_folder_counts_many(out, count);
}

/*
 * Total and unread items (associated ones not counted) and subfolders of n
 * folders of one mailbox, in one query.  Every count ews answers comes from
 * here (GetFolder, FindFolder, both faces).  The item counts are the
 * folder's counters (content.h), kept exact by every item write; the
 * subfolders are counted (one index range each).
 */
void
ews_folder_counts_many(EwsFolder *folders, int n)
{
	static EwsPlan plan = {
		"SELECT f.total_count,"
		"       (SELECT pg_catalog.count(*) FROM ews.folder c"
		"         WHERE c.mailbox_id = $1 AND c.parent_id = u.id)::int4,"
		"       f.unread_count, f.next_article, f.content_changed_at"
		"  FROM pg_catalog.unnest($2::pg_catalog.int8[]) WITH ORDINALITY u(id, ord)"
		"  JOIN ews.folder f ON f.mailbox_id = $1 AND f.folder_id = u.id"
		" ORDER BY u.ord",
		2, {UUIDOID, INT8ARRAYOID}
	};
	Datum	   *ids;
	Datum		args[2];

	if (n <= 0)
		return;
	ids = palloc(sizeof(Datum) * n);
	for (int i = 0; i < n; i++)
	{
		if (memcmp(&folders[i].mailbox_id, &folders[0].mailbox_id, sizeof(pg_uuid_t)) != 0)
			elog(ERROR, "ews_folder_counts_many: folders of more than one mailbox");
		ids[i] = Int64GetDatum(folders[i].folder_id);
	}
	args[0] = UUIDPGetDatum(&folders[0].mailbox_id);
	args[1] = PointerGetDatum(construct_array(ids, n, INT8OID, sizeof(int64),
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	if (ews_exec(&plan, args, NULL, true, 0) != (uint64) n)
		elog(ERROR, "ews_folder_counts_many: wrong number of rows");
	for (int i = 0; i < n; i++)
	{
		folders[i].total_count = ews_col_int32(i, 1);
		folders[i].child_count = ews_col_int32(i, 2);
		folders[i].unread_count = ews_col_int32(i, 3);
		folders[i].next_article = ews_col_int64(i, 4);
		folders[i].content_changed_at = (TimestampTz) ews_col_int64(i, 5);
	}
	pfree(ids);
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
		heights_fix_up(&f.mailbox_id, f.parent_id);
	}
	else
	{
		const char *target_name = type == EWS_DELETE_SOFT ? "recoverableitemsdeletions" : "deleteditems";
		int64		target = ews_distinguished_folder_id(&f.mailbox_id, target_name);
		bool		unused;

		if (target == 0)
			elog(ERROR, "mailbox has no distinguished folder \"%s\"", target_name);
		/* the deleted subtree goes under the target, and must fit there as a move would */
		if (!depth_allows(&f.mailbox_id, target, walk_up(&f.mailbox_id, target, 0, &unused),
						  folder_height(&f.mailbox_id, f.folder_id), st))
			return;
		/*
		 * No cycle is possible: the targets' ancestors are all distinguished,
		 * and distinguished folders cannot be deleted.
		 */
		ews_folder_reparent(&f, target,
							free_name_in(&f.mailbox_id, target, f.display_name, f.folder_id));
	}
	ews_status_ok(st);
}

/* ---- batches ---- */

void
ews_folder_keep(EwsFolder *f, EwsStatus *st)
{
	if (f != NULL)
	{
		f->display_name = f->display_name ? pstrdup(f->display_name) : NULL;
		f->folder_class = f->folder_class ? pstrdup(f->folder_class) : NULL;
		f->distinguished = f->distinguished ? pstrdup(f->distinguished) : NULL;
	}
	if (st != NULL && st->text != NULL)
		st->text = pstrdup(st->text);
}

static int
mailbox_id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(pg_uuid_t));
}

void
ews_folder_lock_hierarchies(EwsCtx *ctx, const EwsFolderRef *refs, int n, EwsNeed need)
{
	pg_uuid_t  *ids;
	int			m = 0;

	if (n < 2)
		return;					/* one input takes one lock: no order to keep */
	ids = palloc(sizeof(pg_uuid_t) * n);
	for (int i = 0; i < n; i++)
	{
		EwsMailbox	mb;
		EwsStatus	st;
		bool		ok;

		CHECK_FOR_INTERRUPTS();
		if (refs[i].distinguished != NULL)
		{
			if (refs[i].mailbox != NULL)
				ok = ews_mailbox_by_smtp(ctx, refs[i].mailbox, need, &mb, &st);
			else if ((ok = ctx->has_acting))
				mb = ctx->acting;
		}
		else
		{
			EwsObjectId oid;
			int64		cn;

			ok = ews_object_id_decode(refs[i].id, refs[i].change_key, EWS_ID_KIND_FOLDER, &oid, &cn, &st) &&
				ews_mailbox_by_guid(ctx, oid.mailbox, need, &mb, &st);
		}
		if (ok)
			ids[m++] = mb.id;
	}
	qsort(ids, m, sizeof(pg_uuid_t), mailbox_id_cmp);
	for (int i = 0; i < m; i++)
		if (i == 0 || memcmp(&ids[i], &ids[i - 1], sizeof(pg_uuid_t)) != 0)
			ews_lock_hierarchy(&ids[i]);
	pfree(ids);
}

/* ---- MoveFolder and CopyFolder ---- */

typedef enum MoveCopyOp
{
	OP_MOVE,
	OP_COPY
} MoveCopyOp;

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
					 "                           total_count, unread_count, assoc_count, content_cn, height)"
					 "   SELECT $1, m.new_id, COALESCE(pm.new_id, $3), f.display_name, f.folder_class, NULL, m.cn,"
					 "          COALESCE(c.n, 0) + 1, COALESCE(c.total, 0), COALESCE(c.unread, 0),"
					 "          COALESCE(c.assoc, 0), COALESCE(c.cn, 0), f.height"
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
	/* the copy has the source's heights; the target may be higher now (after reading the result: this queries) */
	heights_fix_up(&src->mailbox_id, parent->folder_id);
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
	bool		below_itself;
	int64		target_depth;

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
	/*
	 * One walk up from the target, O(depth of the target), whatever the size
	 * of the moved subtree: is the folder on the way (a cycle), and how deep
	 * is the target?
	 */
	target_depth = walk_up(&s.mailbox_id, target->folder_id, s.folder_id, &below_itself);
	if (below_itself)
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
	/* the subtree keeps its shape: its deepest folder ends up height levels below it */
	if (!depth_allows(&s.mailbox_id, target->folder_id, target_depth,
					  folder_height(&s.mailbox_id, s.folder_id), st))
		return;
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

	/*
	 * Out of memory, disk or connections (53xxx) and program limits such as
	 * the stack depth (54xxx) are the server's state, not this folder's: the
	 * next folder would most likely fail the same way, and the caller must
	 * learn that the call failed rather than read an "internal error" per
	 * folder.
	 */
	return category == ERRCODE_TRANSACTION_ROLLBACK ||
		category == ERRCODE_OPERATOR_INTERVENTION ||
		category == ERRCODE_INSUFFICIENT_RESOURCES ||
		category == ERRCODE_PROGRAM_LIMIT_EXCEEDED;
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
	/*
	 * Each source in a memory context of its own, reset after it: what the
	 * caller gets (out[i], st[i]) is copied out first.  So a batch of many
	 * folders holds one folder's work at a time.
	 */
	{
		MemoryContext outer = CurrentMemoryContext;
		MemoryContext input_cxt = AllocSetContextCreate(outer, "ews move/copy input",
														ALLOCSET_DEFAULT_SIZES);

		for (int i = 0; i < n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			memset(&out[i], 0, sizeof(out[i]));
			MemoryContextSwitchTo(input_cxt);
			move_copy_in_subxact(ctx, op, &t, &sources[i], &out[i], &st[i]);
			MemoryContextSwitchTo(outer);
			ews_folder_keep(&out[i], &st[i]);
			MemoryContextReset(input_cxt);
		}
		MemoryContextDelete(input_cxt);
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

/* ---- UpdateFolder ---- */

/*
 * A folder's display name and class.  Renaming keeps the sibling-name rule
 * (unique among the parent's children, compared case-insensitively:
 * ErrorFolderExists).  Distinguished folders keep their names and classes,
 * as in Exchange since 2007, where XSO refuses to rename the default folders
 * (clients find them by name: DavMail's "INBOX", Outlook's special folders);
 * setting either to the value it has is not a change and succeeds.  Every
 * update gives the folder a new change number, so a new ChangeKey.
 */
void
ews_folder_update(EwsCtx *ctx, const EwsFolderRef *ref, const EwsFolderUpdate *u, EwsFolder *out,
				  EwsStatus *st)
{
	static EwsPlan plan = {
		"UPDATE ews.folder SET display_name = $3, folder_class = $4, change_number = $5"
		" WHERE mailbox_id = $1 AND folder_id = $2",
		5, {UUIDOID, INT8OID, TEXTOID, TEXTOID, INT8OID}
	};
	EwsFolder	f;
	const char *name;
	const char *cls;
	Datum		args[5];
	char		nulls[5] = "     ";

	/* a rename is a hierarchy change: the lock keeps the sibling check true until commit */
	if (!ews_folder_resolve(ctx, ref, EWS_NEED_WRITE, true, &f, st))
		return;
	if (u->error != EWS_NoError)
	{
		ews_status_set(st, u->error, u->error_text);
		return;
	}
	name = u->set_name ? u->name : f.display_name;
	cls = u->set_class ? u->folder_class : f.folder_class;
	if (u->set_name && !display_name_valid(name, st))
		return;
	if (u->set_class && cls != NULL && (cls[0] == '\0' || !ews_text_is_utf8(cls)))
	{
		ews_status_set(st, EWS_ErrorFolderSavePropertyError,
					   cls[0] == '\0' ? "The folder class is empty." : "The folder class is not valid UTF-8.");
		return;
	}
	if (f.distinguished != NULL && strcmp(name, f.display_name) != 0)
	{
		ews_status_set(st, EWS_ErrorInvalidPropertySet,
					   psprintf("The display name of the distinguished folder %s cannot be changed.", f.distinguished));
		return;
	}
	if (f.distinguished != NULL &&
		!((cls == NULL && f.folder_class == NULL) ||
		  (cls != NULL && f.folder_class != NULL && strcmp(cls, f.folder_class) == 0)))
	{
		ews_status_set(st, EWS_ErrorInvalidPropertySet,
					   psprintf("The folder class of the distinguished folder %s cannot be changed.", f.distinguished));
		return;
	}
	if (u->set_name && f.parent_id != 0 && ews_folder_name_taken(&f.mailbox_id, f.parent_id, name, f.folder_id))
	{
		ews_status_set(st, EWS_ErrorFolderExists, NULL);
		return;
	}
	args[0] = UUIDPGetDatum(&f.mailbox_id);
	args[1] = Int64GetDatum(f.folder_id);
	args[2] = CStringGetTextDatum(name);
	args[3] = cls ? CStringGetTextDatum(cls) : (Datum) 0;
	nulls[3] = cls ? ' ' : 'n';
	f.change_number = ews_next_change_number();
	args[4] = Int64GetDatum(f.change_number);
	if (ews_exec(&plan, args, nulls, false, 0) != 1)
		elog(ERROR, "folder " INT64_FORMAT " vanished under the hierarchy lock", f.folder_id);
	f.display_name = pstrdup(name);
	f.folder_class = cls ? pstrdup(cls) : NULL;
	*out = f;
	ews_status_ok(st);
}

/* ---- EmptyFolder ---- */

/* the folders below f, deepest last (pre-order), with their distinguished names */
static uint64
subtree_below(const EwsFolder *f)
{
	static EwsPlan plan = {
		"WITH RECURSIVE sub(folder_id) AS ("
		"   SELECT c.folder_id FROM ews.folder c WHERE c.mailbox_id = $1 AND c.parent_id = $2"
		"  UNION ALL"
		"   SELECT c.folder_id FROM sub s JOIN ews.folder c"
		"     ON c.mailbox_id = $1 AND c.parent_id = s.folder_id"
		")"
		" SELECT s.folder_id, f.distinguished, f.parent_id FROM sub s"
		"   JOIN ews.folder f ON f.mailbox_id = $1 AND f.folder_id = s.folder_id",
		2, {UUIDOID, INT8OID}
	};
	Datum		args[2];

	args[0] = UUIDPGetDatum(&f->mailbox_id);
	args[1] = Int64GetDatum(f->folder_id);
	/* not read-only: under the hierarchy lock, what committed meanwhile counts */
	return ews_exec(&plan, args, NULL, false, 0);
}

/*
 * The items of a locked folder removed for good: one statement deletes
 * them and writes their tombstones, one change number for all (they leave
 * in one commit).  Associated items stay: they are the folder's hidden
 * settings (views, rules), which Outlook's Empty Folder keeps too.
 */
static void
empty_items_hard(EwsCtx *ctx, const EwsFolder *f)
{
	static EwsPlan plan = {
		"WITH d AS ("
		"   DELETE FROM ews.item WHERE mailbox_id = $1 AND folder_id = $2 AND NOT is_associated"
		"   RETURNING item_id, created_cn, is_read"
		"), t AS ("
		"   INSERT INTO ews.item_tombstone (mailbox_id, folder_id, item_id, change_number, created_cn,"
		"                                   is_associated)"
		"   SELECT $1, $2, item_id, $3, created_cn, false FROM d"
		")"
		" SELECT pg_catalog.count(*)::int4, (pg_catalog.count(*) FILTER (WHERE NOT is_read))::int4 FROM d",
		3, {UUIDOID, INT8OID, INT8OID}
	};
	Datum		args[3];
	int64		cn = ews_next_change_number();
	int32		total,
				unread;

	args[0] = UUIDPGetDatum(&f->mailbox_id);
	args[1] = Int64GetDatum(f->folder_id);
	args[2] = Int64GetDatum(cn);
	if (ews_exec(&plan, args, NULL, false, 0) != 1)
		elog(ERROR, "EmptyFolder counted nothing");
	total = ews_col_int32(0, 1);
	unread = ews_col_int32(0, 2);
	if (total > 0)
		ews_content_remove_many(&ctx->content, &f->mailbox_id, f->folder_id, total, unread, 0, cn);
}

/*
 * The items of a locked folder moved into another locked folder: new ids
 * and article numbers there (in the order they had), tombstones here, one
 * change number for all.  Rows are locked in article order first, then
 * changed by one UPDATE: the blobs stay where they are.
 */
static void
empty_items_move(EwsCtx *ctx, const EwsFolder *f, int64 target)
{
	static EwsPlan select_plan = {
		"SELECT item_id, created_cn, is_read FROM ews.item"
		" WHERE mailbox_id = $1 AND folder_id = $2 AND NOT is_associated"
		" ORDER BY article_number FOR UPDATE",
		2, {UUIDOID, INT8OID}
	};
	static EwsPlan move_plan = {
		"WITH m AS ("
		"   UPDATE ews.item i SET item_id = u.new_id, folder_id = $3, article_number = u.article,"
		"          change_number = $4, created_cn = $4, content_cn = $4"
		"     FROM ROWS FROM (pg_catalog.unnest($5::pg_catalog.int8[]), pg_catalog.unnest($6::pg_catalog.int8[]),"
		"                     pg_catalog.unnest($7::pg_catalog.int8[])) AS u(old_id, new_id, article)"
		"    WHERE i.mailbox_id = $1 AND i.item_id = u.old_id"
		"   RETURNING 1"
		")"
		" INSERT INTO ews.item_tombstone (mailbox_id, folder_id, item_id, change_number, created_cn, is_associated)"
		" SELECT $1, $2, t.old_id, $4, t.created_cn, false"
		"   FROM ROWS FROM (pg_catalog.unnest($5::pg_catalog.int8[]), pg_catalog.unnest($8::pg_catalog.int8[]))"
		"        AS t(old_id, created_cn)"
		"  WHERE (SELECT pg_catalog.count(*) FROM m) = pg_catalog.cardinality($5::pg_catalog.int8[])",
		8, {UUIDOID, INT8OID, INT8OID, INT8OID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID}
	};
	Datum		args[8];
	uint64		n;
	Datum	   *old_ids,
			   *new_ids,
			   *articles,
			   *created;
	int			unread = 0;
	int64		cn,
				first;

	args[0] = UUIDPGetDatum(&f->mailbox_id);
	args[1] = Int64GetDatum(f->folder_id);
	n = ews_exec(&select_plan, args, NULL, false, 0);
	if (n == 0)
		return;
	if (n > (uint64) PG_INT32_MAX)
		elog(ERROR, "too many items to move at once");
	old_ids = palloc(sizeof(Datum) * n);
	new_ids = palloc(sizeof(Datum) * n);
	articles = palloc(sizeof(Datum) * n);
	created = palloc(sizeof(Datum) * n);
	for (uint64 r = 0; r < n; r++)
	{
		old_ids[r] = Int64GetDatum(ews_col_int64(r, 1));
		created[r] = Int64GetDatum(ews_col_int64(r, 2));
		if (!ews_col_bool(r, 3))
			unread++;
	}
	cn = ews_next_change_number();
	ews_content_remove_many(&ctx->content, &f->mailbox_id, f->folder_id, (int) n, unread, 0, cn);
	first = ews_content_add_many(&ctx->content, &f->mailbox_id, target, (int) n, unread, 0, cn);
	for (uint64 r = 0; r < n; r++)
	{
		CHECK_FOR_INTERRUPTS();
		new_ids[r] = Int64GetDatum(ews_next_local_id());
		articles[r] = Int64GetDatum(first + (int64) r);
	}
	args[2] = Int64GetDatum(target);
	args[3] = Int64GetDatum(cn);
	args[4] = PointerGetDatum(construct_array(old_ids, (int) n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[5] = PointerGetDatum(construct_array(new_ids, (int) n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[6] = PointerGetDatum(construct_array(articles, (int) n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[7] = PointerGetDatum(construct_array(created, (int) n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	if (ews_exec(&move_plan, args, NULL, false, 0) != n)
		elog(ERROR, "items of folder " INT64_FORMAT " vanished under their row locks", f->folder_id);
}

static bool
is_recoverable_folder(const char *distinguished)
{
	return distinguished != NULL && strncmp(distinguished, "recoverableitems", 16) == 0;
}

/*
 * EmptyFolder.  Items: HardDelete removes them (with tombstones),
 * SoftDelete moves them into recoverableitemsdeletions, MoveToDeletedItems
 * into deleteditems, as DeleteItem does item by item (from a recoverable-
 * items folder SoftDelete purges).  With delete_subfolders the folders below
 * go too, as DeleteFolder does them (removed, or moved under the same target
 * with "Name (2)" when the name is taken).  Refused, changing nothing:
 * MoveToDeletedItems of deleteditems itself (ErrorCannotEmptyFolder), and
 * delete_subfolders when a distinguished folder is below
 * (ErrorDeleteDistinguishedFolder: the root, msgfolderroot, ...).
 *
 * Locks: the hierarchy lock when subfolders go (a hierarchy change), then,
 * in one ews_content_lock call, the folder, the target, and for HardDelete
 * every folder below (their rows are deleted: locking them in order first
 * keeps item writers in those folders from deadlocking with us).
 */
void
ews_folder_empty(EwsCtx *ctx, const EwsFolderRef *ref, EwsDeleteType type, bool delete_subfolders,
				 EwsStatus *st)
{
	static EwsPlan hard = {
		"DELETE FROM ews.folder WHERE mailbox_id = $1 AND parent_id = $2",
		2, {UUIDOID, INT8OID}
	};
	static EwsPlan children = {
		"SELECT folder_id FROM ews.folder WHERE mailbox_id = $1 AND parent_id = $2 ORDER BY folder_id",
		2, {UUIDOID, INT8OID}
	};
	EwsFolder	f;
	int64		target = 0;
	int64	   *lock_ids;
	int			nlock = 0;
	uint64		nsub = 0;
	bool		purge;

	if (!ews_folder_resolve(ctx, ref, EWS_NEED_WRITE, delete_subfolders, &f, st))
		return;
	if (type == EWS_DELETE_TO_DELETED_ITEMS && f.distinguished != NULL &&
		strcmp(f.distinguished, "deleteditems") == 0)
	{
		ews_status_set(st, EWS_ErrorCannotEmptyFolder,
					   "Deleted Items cannot be emptied into itself: use SoftDelete or HardDelete.");
		return;
	}
	purge = type == EWS_DELETE_HARD || (type == EWS_DELETE_SOFT && is_recoverable_folder(f.distinguished));
	if (!purge)
	{
		target = ews_distinguished_folder_id(&f.mailbox_id,
											 type == EWS_DELETE_SOFT ? "recoverableitemsdeletions" : "deleteditems");
		if (target == 0)
			elog(ERROR, "mailbox has no deleted items or recoverable items folder");
	}
	if (delete_subfolders)
	{
		nsub = subtree_below(&f);
		for (uint64 r = 0; r < nsub; r++)
			if (!ews_col_isnull(r, 2))
			{
				ews_status_set(st, EWS_ErrorDeleteDistinguishedFolder,
							   psprintf("The folder holds the distinguished folder %s, which cannot be deleted.",
										ews_col_text(r, 2)));
				return;
			}
	}
	lock_ids = palloc(sizeof(int64) * (nsub + 2));
	lock_ids[nlock++] = f.folder_id;
	if (target != 0)
		lock_ids[nlock++] = target;
	if (delete_subfolders && purge)
		for (uint64 r = 0; r < nsub; r++)
			lock_ids[nlock++] = ews_col_int64(r, 1);
	if (!ews_content_lock(&ctx->content, &f.mailbox_id, lock_ids, nlock) &&
		!ews_content_locked(&ctx->content, &f.mailbox_id, f.folder_id))
	{
		ews_status_set(st, EWS_ErrorFolderNotFound, NULL);
		return;
	}

	if (purge)
		empty_items_hard(ctx, &f);
	else
		empty_items_move(ctx, &f, target);

	if (delete_subfolders)
	{
		Datum		args[2];

		args[0] = UUIDPGetDatum(&f.mailbox_id);
		args[1] = Int64GetDatum(f.folder_id);
		if (purge)
		{
			/* SyncFolderHierarchy: the subfolders leave (the folder itself stays) */
			ews_sync_folders_removed(&f.mailbox_id, f.folder_id, false, ews_next_change_number());
			ews_exec(&hard, args, NULL, false, 0);	/* subfolders and items: ON DELETE CASCADE */
		}
		else
		{
			uint64		n = ews_exec(&children, args, NULL, false, 0);
			int64	   *ids = palloc(sizeof(int64) * Max(n, 1));

			for (uint64 r = 0; r < n; r++)
				ids[r] = ews_col_int64(r, 1);
			for (uint64 r = 0; r < n; r++)
			{
				EwsFolder	c;

				CHECK_FOR_INTERRUPTS();
				if (!ews_folder_fetch(&f.mailbox_id, f.guid, ids[r], &c))
					continue;
				ews_folder_reparent(&c, target, free_name_in(&f.mailbox_id, target, c.display_name, c.folder_id));
			}
		}
	}
	ews_status_ok(st);
}
