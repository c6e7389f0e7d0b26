/*
 * sync.c
 *	  SyncFolderItems and SyncFolderHierarchy: what changed since a client's
 *	  SyncState, and the tombstones that remember what left.
 *
 * Items.  Every content change of a folder locks the folder's row and only
 * then takes its change numbers (content.c), so within a folder change
 * numbers grow in commit order, and a snapshot that sees a change sees
 * every earlier one.  An item row carries change_number (its last change),
 * created_cn (its arrival in this folder) and content_cn (its last change
 * that was more than a read-flag change); a tombstone carries the change
 * number of the item's removal and its created_cn.  Changes are ordered by
 * (change number, item id): one statement may give many rows one change
 * number (EmptyFolder), and a page may end inside such a group.
 *
 * A state (syncstate.h) holds three positions:
 *
 *	C	the client holds exactly the items with (created_cn, id) <= C: every
 *		item that arrived up to C and was still there when C passed it was
 *		reported as a Create (or was in Ignore);
 *	W	every change with (change number, id) <= W of an item the client
 *		holds has been reported: such an item's current version is the one
 *		the client has.  C <= W;
 *	R	the change number where the current round began: the last page that
 *		reported every change of the held items.  Every held item not
 *		reported since then is held as it was at R.
 *
 * A page (one request) reads, in one snapshot:
 *
 *	U	the changes of held items after W, by (change number, id): items
 *		with created <= C and change > W (Update, or ReadFlagChange when
 *		content_cn <= R: nothing but the read flag changed since the version
 *		the client has), tombstones with created <= C and removal > W
 *		(Delete);
 *	A	the arrivals after C, by (created_cn, id): items (Create, reported
 *		as they are now) and tombstones of items that arrived and left again
 *		(never reported: the client never had them).
 *
 * and reports the two merged in change-number order, at most
 * MaxChangesReturned of them.  Passing an arrival moves C over it, which
 * makes the client hold that item at its current version v (the removal's
 * for a tombstone); so W must reach v in the same page, or the next page
 * would report v again as an Update (or the removal as a Delete of an item
 * the client never had).  An arrival is therefore reported only together
 * with every change of U up to its v; when those do not fit in the page,
 * the arrival (and every later one) waits, and the page goes on with U.
 * When a page exhausts U, W becomes the snapshot's last change of the
 * folder (folder.content_cn) and a new round begins (R = W); when it
 * exhausts the arrivals too, C = W and IncludesLastItemInRange is true.
 *
 * So a page never reports a change twice, never skips one, reports Create
 * exactly for items the client does not hold and Delete exactly for items
 * it holds, whatever other sessions commit between the pages.  Read-flag
 * changes are ReadFlagChange when the client's version predates R, which is
 * always so for a sync whose pages were not raced by writers; an item that
 * changed content and then its read flag while a round was under way may be
 * reported as an Update (the whole item) instead.  Every read goes through
 * an index on (folder, change number) or (folder, created_cn) from the
 * client's position: an incremental sync costs what changed, not what the
 * folder holds.
 *
 * Hierarchy.  Hierarchy changes of a mailbox are serialized by its
 * hierarchy lock and take their change numbers under it.  A folder's row
 * has change_number (every change, moves included) and created_cn; a folder
 * tombstone records each folder that left a parent (moved, or removed with
 * its subtree) with that parent.  From those, each folder's parent at the
 * client's watermark W is known (the parent of its first departure after
 * W, else its parent now), so whether it was below the synced folder then
 * and whether it is now: below now and not then is a Create (moved in, or
 * new), then and not now a Delete (moved out, or removed), both with an
 * own change after W an Update.  SyncFolderHierarchy has no paging: every
 * request reads the mailbox's folder list (a bounded, small table per
 * mailbox) and the tombstones after W, and reports everything.  Counts
 * (TotalCount, UnreadCount) are not hierarchy changes, as in Exchange.
 *
 * Tombstones are trimmed by age (ews.tombstone_max_age: item writes trim
 * the folders they change, in bounded batches; hierarchy changes the
 * mailbox's folder tombstones) and by count (ews_trim_tombstones(), for a
 * scheduled job).  Each folder (and mailbox) remembers up to which change
 * number it trimmed; a state older than that may miss deletes and gets
 * ErrorInvalidSyncStateData, after which clients synchronize from scratch.
 */
#include "sync.h"

#include <limits.h>

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "ids.h"
#include "syncstate.h"

int			ews_tombstone_max_age = 30 * 24 * 3600;
int			ews_tombstone_max_count = 100000;

/* rows one write-path trim removes at most: bounds what a delete pays for it */
#define TRIM_BATCH 1000

/* arrival tombstones a page reads at most beyond its own changes */
#define SILENT_ROWS 2048

/* ignored ids that may stand between a page's changes (bounds its reads) */
#define IGNORE_ROWS 4096

const char *
ews_sync_change_name(EwsSyncChange c)
{
	switch (c)
	{
		case EWS_SYNC_CREATE:
			return "Create";
		case EWS_SYNC_UPDATE:
			return "Update";
		case EWS_SYNC_DELETE:
			return "Delete";
		case EWS_SYNC_READ_FLAG:
			return "ReadFlagChange";
	}
	return "?";
}

void
ews_sync_define_gucs(void)
{
	DefineCustomIntVariable("ews.tombstone_max_age",
							"How long the tombstones of removed items and folders are kept for sync.",
							"Item writes trim older ones in the folders they change; ews_trim_tombstones() "
							"trims everywhere. A sync state older than what was trimmed must start over. 0 keeps them.",
							&ews_tombstone_max_age,
							30 * 24 * 3600, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ews.tombstone_max_count",
							"Most tombstones ews_trim_tombstones() keeps per folder (items) and mailbox (folders).",
							"0 keeps any number.",
							&ews_tombstone_max_count,
							100000, 0, INT_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
}

/* ---- pairs (change number, id) ---- */

typedef struct Pair
{
	int64		cn;
	int64		id;
} Pair;

static inline int
pair_cmp(Pair a, Pair b)
{
	if (a.cn != b.cn)
		return a.cn < b.cn ? -1 : 1;
	if (a.id != b.id)
		return a.id < b.id ? -1 : 1;
	return 0;
}

static inline Pair
pair(int64 cn, int64 id)
{
	Pair		p = {cn, id};

	return p;
}

static inline Pair
pair_max(Pair a, Pair b)
{
	return pair_cmp(a, b) >= 0 ? a : b;
}

/* ---- states ---- */

static void
state_invalid(EwsStatus *st, const char *why)
{
	ews_status_set(st, EWS_ErrorInvalidSyncStateData,
				   psprintf("The sync state is not valid: %s. Synchronize again without a SyncState.", why));
}

/* decode and bind a state to this request; false with *st set */
static bool
state_read(const char *text, uint8 kind, const EwsFolder *f, uint16 flags, EwsSyncState *s,
		   EwsStatus *st)
{
	EwsSyncStateStatus ss = ews_sync_state_decode(text, strlen(text), s);

	if (ss != EWS_SYNC_STATE_OK)
	{
		state_invalid(st, ews_sync_state_status_text(ss));
		return false;
	}
	if (s->kind != kind)
	{
		state_invalid(st, kind == EWS_SYNC_KIND_ITEMS
					  ? "it was made by SyncFolderHierarchy, not SyncFolderItems"
					  : "it was made by SyncFolderItems, not SyncFolderHierarchy");
		return false;
	}
	/* a state is bound to the mailbox and folder it was made for */
	if (memcmp(s->mailbox, f->mailbox_id.data, 16) != 0 || s->folder_id != f->folder_id)
	{
		state_invalid(st, kind == EWS_SYNC_KIND_ITEMS ? "it was made for another folder"
					  : "it was made for another folder hierarchy");
		return false;
	}
	if (s->flags != flags)
	{
		state_invalid(st, kind == EWS_SYNC_KIND_ITEMS ? "it was made for another SyncScope"
					  : (s->flags & EWS_SYNC_FLAG_FOLDER_GIVEN)
					  ? "it was made with a SyncFolderId, and this request has none"
					  : "it was made without a SyncFolderId, and this request has one");
		return false;
	}
	return true;
}

static char *
state_text(const EwsSyncState *s)
{
	char	   *out = palloc(EWS_SYNC_STATE_TEXT_MAX);

	ews_sync_state_encode(s, out);
	return out;
}

/* ---- SyncFolderItems ---- */

typedef struct Row
{
	bool		tomb;
	int64		id;
	int64		cn;				/* item: its change; tombstone: the removal */
	int64		created;
	int64		content_cn;
	bool		is_read;
	bool		is_assoc;
	char	   *item_class;
	char	   *subject;
	bool		has_received;
	TimestampTz received;
	int32		size;
	int64		article;
} Row;

/* one of the four reads, by index from a position, at most limit rows */
typedef struct Stream
{
	Row		   *rows;
	int			n;
	bool		complete;		/* every row after the position was read */
} Stream;

#define ITEM_COLS \
	"item_id, change_number, created_cn, content_cn, is_read, is_associated," \
	" item_class, subject, received_at, size, article_number"

static void
read_item_rows(uint64 n, Row *rows)
{
	for (uint64 r = 0; r < n; r++)
	{
		Row		   *x = &rows[r];
		bool		isnull;

		memset(x, 0, sizeof(*x));
		x->id = ews_col_int64(r, 1);
		x->cn = ews_col_int64(r, 2);
		x->created = ews_col_int64(r, 3);
		x->content_cn = ews_col_int64(r, 4);
		x->is_read = ews_col_bool(r, 5);
		x->is_assoc = ews_col_bool(r, 6);
		x->item_class = ews_col_text(r, 7);
		x->subject = ews_col_text(r, 8);
		x->received = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc,
														9, &isnull));
		x->has_received = !isnull;
		x->size = ews_col_int32(r, 10);
		x->article = ews_col_int64(r, 11);
	}
}

static void
read_tomb_rows(uint64 n, Row *rows)
{
	for (uint64 r = 0; r < n; r++)
	{
		Row		   *x = &rows[r];

		memset(x, 0, sizeof(*x));
		x->tomb = true;
		x->id = ews_col_int64(r, 1);
		x->cn = ews_col_int64(r, 2);
		x->created = ews_col_int64(r, 3);
		x->is_assoc = ews_col_bool(r, 4);
	}
}

/*
 * The reads.  All read-only: they share the calling statement's snapshot,
 * so the four streams and the folder's last change number agree.  Row
 * comparisons on (change_number, item_id) and (created_cn, item_id) are
 * index conditions on item_change_idx, item_arrival_idx, the tombstones'
 * primary key and item_tombstone_arrival_idx.
 */
static void
stream_read(int which, const pg_uuid_t *mailbox, int64 folder_id, Pair w, Pair c, bool assoc,
			int limit, Stream *s)
{
	static EwsPlan plans[4] = {
		/* U: changes of held items */
		{"SELECT " ITEM_COLS " FROM ews.item"
			" WHERE mailbox_id = $1 AND folder_id = $2"
			"   AND (change_number, item_id) > ($3, $4) AND (created_cn, item_id) <= ($5, $6)"
			"   AND (NOT is_associated OR $7)"
			" ORDER BY change_number, item_id LIMIT $8",
		8, {UUIDOID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, BOOLOID, INT4OID}},
		{"SELECT item_id, change_number, created_cn, is_associated FROM ews.item_tombstone"
			" WHERE mailbox_id = $1 AND folder_id = $2"
			"   AND (change_number, item_id) > ($3, $4) AND (created_cn, item_id) <= ($5, $6)"
			"   AND (NOT is_associated OR $7)"
			" ORDER BY change_number, item_id LIMIT $8",
		8, {UUIDOID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, BOOLOID, INT4OID}},
		/* A: arrivals after C (tombstones only when their removal is after W) */
		{"SELECT " ITEM_COLS " FROM ews.item"
			" WHERE mailbox_id = $1 AND folder_id = $2"
			"   AND (created_cn, item_id) > ($5, $6)"
			"   AND (NOT is_associated OR $7)"
			" ORDER BY created_cn, item_id LIMIT $8",
		8, {UUIDOID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, BOOLOID, INT4OID}},
		{"SELECT item_id, change_number, created_cn, is_associated FROM ews.item_tombstone"
			" WHERE mailbox_id = $1 AND folder_id = $2"
			"   AND (created_cn, item_id) > ($5, $6) AND (change_number, item_id) > ($3, $4)"
			"   AND (NOT is_associated OR $7)"
			" ORDER BY created_cn, item_id LIMIT $8",
		8, {UUIDOID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, BOOLOID, INT4OID}},
	};
	Datum		args[8];
	uint64		n;

	args[0] = UUIDPGetDatum(mailbox);
	args[1] = Int64GetDatum(folder_id);
	args[2] = Int64GetDatum(w.cn);
	args[3] = Int64GetDatum(w.id);
	args[4] = Int64GetDatum(c.cn);
	args[5] = Int64GetDatum(c.id);
	args[6] = BoolGetDatum(assoc);
	args[7] = Int32GetDatum(limit);
	n = ews_exec(&plans[which], args, NULL, true, 0);
	s->rows = palloc(sizeof(Row) * Max(n, 1));
	s->n = (int) n;
	s->complete = n < (uint64) limit;
	if (which == 0 || which == 2)
		read_item_rows(n, s->rows);
	else
		read_tomb_rows(n, s->rows);
}

/* the key a row is ordered by in U (its change) and in A (its arrival) */
static inline Pair
u_key(const Row *r)
{
	return pair(r->cn, r->id);
}

static inline Pair
a_key(const Row *r)
{
	return pair(r->created, r->id);
}

/*
 * Merge two streams read from the same position into one ordered list,
 * keeping only what is known to be in order: when one stream stopped at
 * its limit, rows of the other beyond its last key might have unread rows
 * before them.  *complete: nothing after the list.
 */
static Row *
merge(const Stream *a, const Stream *b, bool by_arrival, int *n, bool *complete)
{
	Row		   *out = palloc(sizeof(Row) * Max(a->n + b->n, 1));
	bool		bounded = false;
	Pair		bound = pair(PG_INT64_MAX, PG_INT64_MAX);
	int			i = 0,
				j = 0,
				k = 0;

#define KEY(r) (by_arrival ? a_key(r) : u_key(r))
	if (!a->complete && a->n > 0)
	{
		bound = KEY(&a->rows[a->n - 1]);
		bounded = true;
	}
	if (!b->complete && b->n > 0)
	{
		Pair		bb = KEY(&b->rows[b->n - 1]);

		if (!bounded || pair_cmp(bb, bound) < 0)
			bound = bb;
		bounded = true;
	}
	if ((!a->complete && a->n == 0) || (!b->complete && b->n == 0))
	{
		/* a limit of zero rows: nothing is known (not reached: limits are >= 1) */
		*n = 0;
		*complete = false;
		return out;
	}
	while (i < a->n || j < b->n)
	{
		const Row  *r;

		if (j >= b->n || (i < a->n && pair_cmp(KEY(&a->rows[i]), KEY(&b->rows[j])) <= 0))
			r = &a->rows[i++];
		else
			r = &b->rows[j++];
		if (bounded && pair_cmp(KEY(r), bound) > 0)
			break;
		out[k++] = *r;
	}
#undef KEY
	*n = k;
	*complete = a->complete && b->complete;
	return out;
}

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : x > y;
}

typedef struct IgnoreSet
{
	int64	   *ids;
	int			n;
} IgnoreSet;

static bool
ignored(const IgnoreSet *ig, int64 id)
{
	return ig->n > 0 && bsearch(&id, ig->ids, ig->n, sizeof(int64), int64_cmp) != NULL;
}

/* the Ignore ids of this mailbox, sorted; false with *st set for a malformed one */
static bool
ignore_read(const EwsSyncItemsArgs *args, const EwsFolder *f, IgnoreSet *ig, EwsStatus *st)
{
	ig->ids = palloc(sizeof(int64) * Max(args->n_ignore, 1));
	ig->n = 0;
	for (int i = 0; i < args->n_ignore; i++)
	{
		EwsObjectId oid;
		int64		ck;

		CHECK_FOR_INTERRUPTS();
		if (args->ignore[i] == NULL)
		{
			ews_status_set(st, EWS_ErrorInvalidIdMalformed, "Id is malformed: an Ignore id is empty.");
			return false;
		}
		if (!ews_object_id_decode(args->ignore[i], NULL, EWS_ID_KIND_ITEM, &oid, &ck, st))
			return false;
		/* an item of another mailbox is in no folder synced here */
		if (strcmp(oid.mailbox, f->guid) == 0)
			ig->ids[ig->n++] = (int64) oid.local_id;
	}
	if (ig->n > 1)
		qsort(ig->ids, ig->n, sizeof(int64), int64_cmp);
	return true;
}

static void
report(EwsSyncItemsResult *res, int *cap, const Row *r, EwsSyncChange change)
{
	EwsSyncItem *it;

	if (res->n == *cap)
	{
		*cap *= 2;
		res->items = repalloc(res->items, sizeof(EwsSyncItem) * *cap);
	}
	it = &res->items[res->n++];
	memset(it, 0, sizeof(*it));
	it->change = change;
	it->item_id = r->id;
	it->change_number = r->cn;
	it->is_read = r->is_read;
	it->is_associated = r->is_assoc;
	if (change == EWS_SYNC_CREATE || change == EWS_SYNC_UPDATE)
	{
		it->item_class = r->item_class;
		it->subject = r->subject;
		it->has_received = r->has_received;
		it->received_at = r->received;
		it->size = r->size;
		it->article_number = r->article;
	}
}

bool
ews_sync_items(EwsCtx *ctx, const EwsSyncItemsArgs *args, EwsSyncItemsResult *res, EwsStatus *st)
{
	static EwsPlan folder_plan = {
		"SELECT content_cn, tombstone_horizon FROM ews.folder WHERE mailbox_id = $1 AND folder_id = $2",
		2, {UUIDOID, INT8OID}
	};
	EwsFolder  *f = &res->folder;
	EwsSyncState s;
	IgnoreSet	ig;
	Datum		fargs[2];
	int64		last_cn,
				horizon;
	Pair		w,
				c,
				wn,
				cn;
	int64		r_cn;
	int			limit,
				climit;
	Stream		ui,
				ut,
				ai,
				at;
	Row		   *u,
			   *a;
	int			nu,
				na,
				upos = 0,
				apos = 0,
				count = 0,
				cap = 16;
	bool		u_complete,
				a_complete,
				blocked = false;
	uint16		flags = args->associated ? EWS_SYNC_FLAG_ASSOCIATED : 0;

	memset(res, 0, sizeof(*res));
	res->includes_last = true;
	if (args->max_changes < 1 || args->max_changes > EWS_SYNC_MAX_CHANGES)
		elog(ERROR, "MaxChangesReturned %d out of range", args->max_changes);

	if (!ews_folder_resolve(ctx, &args->folder, EWS_NEED_READ, false, f, st))
	{
		if (st->code == EWS_ErrorFolderNotFound)
			ews_status_set(st, EWS_ErrorSyncFolderNotFound, NULL);
		return false;
	}
	if (!ignore_read(args, f, &ig, st))
		return false;

	/* the folder as this statement's snapshot sees it */
	fargs[0] = UUIDPGetDatum(&f->mailbox_id);
	fargs[1] = Int64GetDatum(f->folder_id);
	if (ews_exec(&folder_plan, fargs, NULL, true, 1) != 1)
	{
		/* made after this statement began: not yet visible to its reads */
		ews_status_set(st, EWS_ErrorSyncFolderNotFound, NULL);
		return false;
	}
	last_cn = ews_col_int64(0, 1);
	horizon = ews_col_int64(0, 2);

	if (args->state == NULL || args->state[0] == '\0')
	{
		/*
		 * A first sync: the client holds nothing, so there are no changes of
		 * held items, and the first page may as well begin where one that
		 * found none would end: W at the folder's last change.
		 */
		w = pair(last_cn, EWS_SYNC_ID_ALL);
		c = pair(0, 0);
		r_cn = last_cn;
	}
	else
	{
		if (!state_read(args->state, EWS_SYNC_KIND_ITEMS, f, flags, &s, st))
			return false;
		w = pair(s.w_cn, s.w_id);
		c = pair(s.c_cn, s.c_id);
		r_cn = s.r_cn;
		if (s.w_cn > last_cn)
		{
			state_invalid(st, "it is newer than the folder (made in a transaction that rolled back, "
						  "or before the database was restored)");
			return false;
		}
		/* tombstones up to the horizon are gone: a state must be past all of them */
		if (pair_cmp(w, pair(horizon, EWS_SYNC_ID_ALL)) < 0)
		{
			state_invalid(st, psprintf("it is older than the deletions this folder still remembers "
									   "(tombstones were trimmed up to change " INT64_FORMAT
									   ", see ews.tombstone_max_age)", horizon));
			return false;
		}
	}

	/*
	 * Read what this page may report: every change is one row of U or A,
	 * and an ignored one costs nothing, so max + ignored + 1 rows of each
	 * tell whether more follow.  Tombstones of arrivals are never reported
	 * and are read further.
	 */
	limit = args->max_changes + Min(ig.n, IGNORE_ROWS) + 1;
	climit = limit + SILENT_ROWS;
	stream_read(0, &f->mailbox_id, f->folder_id, w, c, args->associated, limit, &ui);
	stream_read(1, &f->mailbox_id, f->folder_id, w, c, args->associated, limit, &ut);
	stream_read(2, &f->mailbox_id, f->folder_id, w, c, args->associated, limit, &ai);
	stream_read(3, &f->mailbox_id, f->folder_id, w, c, args->associated, climit, &at);
	u = merge(&ui, &ut, false, &nu, &u_complete);
	a = merge(&ai, &at, true, &na, &a_complete);
	/* robust against a change the folder's content_cn missed */
	for (int i = 0; i < nu; i++)
		last_cn = Max(last_cn, u[i].cn);
	for (int i = 0; i < na; i++)
		last_cn = Max(last_cn, a[i].cn);

	res->items = palloc(sizeof(EwsSyncItem) * cap);
	wn = w;
	cn = c;
	while (count < args->max_changes)
	{
		const Row  *nxu = upos < nu ? &u[upos] : NULL;
		const Row  *nxa = (!blocked && apos < na) ? &a[apos] : NULL;

		CHECK_FOR_INTERRUPTS();
		if (nxu == NULL && nxa == NULL)
			break;
		if (nxa != NULL && (nxu == NULL || pair_cmp(a_key(nxa), u_key(nxu)) < 0))
		{
			/* the next arrival, if no unread change of U may come before it */
			Pair		v = u_key(nxa);
			int			need = 0,
						j = upos,
						self = (nxa->tomb || ignored(&ig, nxa->id)) ? 0 : 1;

			if (nxu == NULL && !u_complete)
				break;
			/* the changes of U up to v go with it */
			while (j < nu && pair_cmp(u_key(&u[j]), v) <= 0)
			{
				if (!ignored(&ig, u[j].id))
					need++;
				j++;
			}
			if ((j == nu && !u_complete) || count + need + self > args->max_changes)
			{
				/* it waits, and every later arrival with it */
				blocked = true;
				continue;
			}
			for (; upos < j; upos++)
			{
				const Row  *x = &u[upos];

				if (!ignored(&ig, x->id))
					report(res, &cap, x, x->tomb ? EWS_SYNC_DELETE
						   : x->content_cn > r_cn ? EWS_SYNC_UPDATE : EWS_SYNC_READ_FLAG);
				wn = pair_max(wn, u_key(x));
			}
			if (self)
				report(res, &cap, nxa, EWS_SYNC_CREATE);
			count += need + self;
			wn = pair_max(wn, v);
			cn = a_key(nxa);
			apos++;
		}
		else if (nxu != NULL)
		{
			bool		ign = ignored(&ig, nxu->id);

			if (!ign)
			{
				report(res, &cap, nxu, nxu->tomb ? EWS_SYNC_DELETE
					   : nxu->content_cn > r_cn ? EWS_SYNC_UPDATE : EWS_SYNC_READ_FLAG);
				count++;
			}
			wn = pair_max(wn, u_key(nxu));
			upos++;
		}
		else
			break;
	}

	/* U exhausted: the client holds every held item as it is now, and a round begins */
	if (upos == nu && u_complete)
	{
		wn = pair(Max(last_cn, wn.cn), EWS_SYNC_ID_ALL);
		r_cn = wn.cn;
	}
	/* arrivals exhausted: every item that arrived up to W was reported */
	if (apos == na && a_complete)
		cn = wn;
	res->includes_last = upos == nu && u_complete && apos == na && a_complete;

	memset(&s, 0, sizeof(s));
	s.kind = EWS_SYNC_KIND_ITEMS;
	s.flags = flags;
	memcpy(s.mailbox, f->mailbox_id.data, 16);
	s.folder_id = f->folder_id;
	s.w_cn = wn.cn;
	s.w_id = wn.id;
	s.c_cn = cn.cn;
	s.c_id = cn.id;
	s.r_cn = r_cn;
	res->state = state_text(&s);
	ews_status_ok(st);
	return true;
}

/* ---- SyncFolderHierarchy ---- */

typedef struct HFolder
{
	int64		folder_id;		/* hash key */
	bool		now;			/* exists now (a row), else only in tombstones */
	int64		parent_now;
	int64		parent_then;	/* the parent at W */
	bool		moved_after;	/* a departure after W is known */
	int64		change_number;
	int64		created_cn;
	int			row;			/* index into the loaded rows, -1 for removed */
	char		in_now;			/* 0 unknown, 1 computing, 2 no, 3 yes */
	char		in_then;
	/* children now, as a list of row indexes */
	int			first_child;
	int			next_sibling;
} HFolder;

typedef struct HRow
{
	int64		folder_id;
	int64		parent_id;
	int64		change_number;
	int64		created_cn;
	char	   *display_name;
	char	   *folder_class;
	char	   *distinguished;
	int32		total_count;
	int32		unread_count;
	int32		child_count;
	HFolder    *h;
} HRow;

static HFolder *
hfind(HTAB *map, int64 id)
{
	return (HFolder *) hash_search(map, &id, HASH_FIND, NULL);
}

/* the folders of one walk up, to mark with its answer */
typedef struct Chain
{
	HFolder   **v;
	int			n;
	int			cap;
} Chain;

/*
 * Is x below root, following parent links now (then = false) or at W (then
 * = true)?  A walk up, iterative (chains are as deep as the tree); every
 * folder on the way learns the answer, so each folder is walked once.  A
 * loop (impossible under the hierarchy lock) is an error, not a hang.
 */
static bool
below(HTAB *map, Chain *chain, HFolder *x, int64 root, bool then)
{
	HFolder    *cur = x;
	bool		result;

	chain->n = 0;
	for (;;)
	{
		char	   *memo = then ? &cur->in_then : &cur->in_now;
		int64		parent;
		HFolder    *p;

		if (*memo >= 2)
		{
			result = *memo == 3;
			break;
		}
		if (*memo == 1)
			elog(ERROR, "folder " INT64_FORMAT " is its own ancestor", cur->folder_id);
		*memo = 1;
		if (chain->n == chain->cap)
		{
			chain->cap *= 2;
			chain->v = repalloc(chain->v, sizeof(HFolder *) * chain->cap);
		}
		chain->v[chain->n++] = cur;
		if (!then && !cur->now)
		{
			result = false;
			break;
		}
		parent = then ? cur->parent_then : cur->parent_now;
		if (parent == root)
		{
			result = true;
			break;
		}
		if (parent == 0 || (p = hfind(map, parent)) == NULL)
		{
			result = false;		/* the top, or a folder we know nothing of */
			break;
		}
		cur = p;
	}
	for (int i = 0; i < chain->n; i++)
	{
		if (then)
			chain->v[i]->in_then = result ? 3 : 2;
		else
			chain->v[i]->in_now = result ? 3 : 2;
	}
	return result;
}

static void
hreport(EwsSyncHierarchyResult *res, int *cap, EwsSyncChange change, const EwsFolder *f)
{
	if (res->n == *cap)
	{
		*cap *= 2;
		res->folders = repalloc(res->folders, sizeof(EwsSyncFolder) * *cap);
	}
	res->folders[res->n].change = change;
	res->folders[res->n].folder = *f;
	res->n++;
}

bool
ews_sync_hierarchy(EwsCtx *ctx, const EwsFolderRef *root, bool root_given, const char *state,
				   EwsSyncHierarchyResult *res, EwsStatus *st)
{
	/* by id: child lists built by prepending come out in descending order */
	static EwsPlan folders_plan = {
		"SELECT folder_id, COALESCE(parent_id, 0), change_number, created_cn, display_name,"
		"       folder_class, distinguished, total_count, unread_count"
		" FROM ews.folder WHERE mailbox_id = $1 ORDER BY folder_id",
		1, {UUIDOID}
	};
	static EwsPlan tombs_plan = {
		"SELECT folder_id, change_number, parent_id, created_cn FROM ews.folder_tombstone"
		" WHERE mailbox_id = $1 AND change_number > $2 ORDER BY change_number, folder_id",
		2, {UUIDOID, INT8OID}
	};
	static EwsPlan mailbox_plan = {
		"SELECT m.folder_tombstone_horizon,"
		"       (SELECT pg_catalog.max(t.change_number) FROM ews.folder_tombstone t"
		"         WHERE t.mailbox_id = m.mailbox_id)"
		" FROM ews.mailbox m WHERE m.mailbox_id = $1",
		1, {UUIDOID}
	};
	EwsFolder  *r = &res->root;
	EwsSyncState s;
	uint16		flags = root_given ? EWS_SYNC_FLAG_FOLDER_GIVEN : 0;
	int64		w = 0,
				last_cn,
				horizon;
	Datum		args[2];
	uint64		nrows,
				ntombs;
	HRow	   *rows;
	HASHCTL		hctl;
	HTAB	   *map;
	Chain		chain;
	int			cap = 16;
	int		   *stack;
	int			sp = 0;
	bool		found;
	HFolder    *rh;

	memset(res, 0, sizeof(*res));
	res->includes_last = true;
	if (!ews_folder_resolve(ctx, root, EWS_NEED_READ, false, r, st))
	{
		if (st->code == EWS_ErrorFolderNotFound)
			ews_status_set(st, EWS_ErrorSyncFolderNotFound, NULL);
		return false;
	}
	if (state != NULL && state[0] != '\0')
	{
		if (!state_read(state, EWS_SYNC_KIND_HIERARCHY, r, flags, &s, st))
			return false;
		w = s.w_cn;
	}

	/* the mailbox, its folders and its departures after W: one snapshot */
	args[0] = UUIDPGetDatum(&r->mailbox_id);
	if (ews_exec(&mailbox_plan, args, NULL, true, 1) != 1)
	{
		ews_status_set(st, EWS_ErrorSyncFolderNotFound, NULL);
		return false;
	}
	horizon = ews_col_int64(0, 1);
	last_cn = Max(horizon, ews_col_int64(0, 2));

	nrows = ews_exec(&folders_plan, args, NULL, true, 0);
	rows = palloc0(sizeof(HRow) * Max(nrows, 1));
	memset(&hctl, 0, sizeof(hctl));
	hctl.keysize = sizeof(int64);
	hctl.entrysize = sizeof(HFolder);
	hctl.hcxt = CurrentMemoryContext;
	map = hash_create("ews sync hierarchy", (long) Max(nrows, 16) * 2, &hctl,
					  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	for (uint64 i = 0; i < nrows; i++)
	{
		HRow	   *x = &rows[i];
		HFolder    *h;

		CHECK_FOR_INTERRUPTS();
		x->folder_id = ews_col_int64(i, 1);
		x->parent_id = ews_col_int64(i, 2);
		x->change_number = ews_col_int64(i, 3);
		x->created_cn = ews_col_int64(i, 4);
		x->display_name = ews_col_text(i, 5);
		x->folder_class = ews_col_text(i, 6);
		x->distinguished = ews_col_text(i, 7);
		x->total_count = ews_col_int32(i, 8);
		x->unread_count = ews_col_int32(i, 9);
		last_cn = Max(last_cn, Max(x->change_number, x->created_cn));
		h = (HFolder *) hash_search(map, &x->folder_id, HASH_ENTER, &found);
		h->now = true;
		h->parent_now = x->parent_id;
		h->parent_then = x->parent_id;
		h->moved_after = false;
		h->change_number = x->change_number;
		h->created_cn = x->created_cn;
		h->row = (int) i;
		h->in_now = h->in_then = 0;
		h->first_child = -1;
		h->next_sibling = -1;
		x->h = h;
	}
	rh = hfind(map, r->folder_id);
	if (rh == NULL)
	{
		/* made after this statement began: not yet visible to its reads */
		ews_status_set(st, EWS_ErrorSyncFolderNotFound, NULL);
		return false;
	}
	if (w > last_cn)
	{
		state_invalid(st, "it is newer than the folder hierarchy (made in a transaction that rolled "
					  "back, or before the database was restored)");
		return false;
	}
	if (w != 0 && w < horizon)
	{
		state_invalid(st, psprintf("it is older than the folder deletions this mailbox still remembers "
								   "(tombstones were trimmed up to change " INT64_FORMAT
								   ", see ews.tombstone_max_age)", horizon));
		return false;
	}

	/* each folder's first departure after W says where it was at W */
	args[1] = Int64GetDatum(w);
	ntombs = ews_exec(&tombs_plan, args, NULL, true, 0);
	for (uint64 i = 0; i < ntombs; i++)
	{
		int64		id = ews_col_int64(i, 1);
		HFolder    *h;

		CHECK_FOR_INTERRUPTS();
		last_cn = Max(last_cn, ews_col_int64(i, 2));
		h = (HFolder *) hash_search(map, &id, HASH_ENTER, &found);
		if (!found)
		{
			/* removed since W: known by its tombstones alone */
			h->now = false;
			h->parent_now = 0;
			h->change_number = ews_col_int64(i, 2);
			h->created_cn = ews_col_int64(i, 4);
			h->row = -1;
			h->in_now = h->in_then = 0;
			h->first_child = h->next_sibling = -1;
			h->moved_after = false;
		}
		if (!h->moved_after)
		{
			h->moved_after = true;
			h->parent_then = ews_col_int64(i, 3);
		}
	}

	/* children now, each list in descending id order; and their counts */
	for (uint64 i = 0; i < nrows; i++)
	{
		HFolder    *p = rows[i].parent_id != 0 ? hfind(map, rows[i].parent_id) : NULL;

		if (p != NULL && p->row >= 0)
		{
			rows[i].h->next_sibling = p->first_child;
			p->first_child = (int) i;
			rows[p->row].child_count++;
		}
	}
	/* the root is the top of both walks, below nothing */
	rh->in_now = rh->in_then = 2;
	chain.cap = 64;
	chain.n = 0;
	chain.v = palloc(sizeof(HFolder *) * chain.cap);
	res->folders = palloc(sizeof(EwsSyncFolder) * cap);

	/* Deletes: below the root at W and not now (removed, or moved out), by id */
	if (w != 0)
	{
		HASH_SEQ_STATUS seq;
		HFolder    *h;
		int64	   *gone = palloc(sizeof(int64) * (hash_get_num_entries(map) + 1));
		int			ngone = 0;

		hash_seq_init(&seq, map);
		while ((h = (HFolder *) hash_seq_search(&seq)) != NULL)
		{
			CHECK_FOR_INTERRUPTS();
			/* made after W: the client never had it */
			if (h == rh || h->created_cn > w)
				continue;
			if (below(map, &chain, h, r->folder_id, true) && !below(map, &chain, h, r->folder_id, false))
				gone[ngone++] = h->folder_id;
		}
		if (ngone > 1)
			qsort(gone, ngone, sizeof(int64), int64_cmp);
		for (int i = 0; i < ngone; i++)
		{
			EwsFolder	d;

			memset(&d, 0, sizeof(d));
			d.mailbox_id = r->mailbox_id;
			strlcpy(d.guid, r->guid, sizeof(d.guid));
			d.folder_id = gone[i];
			hreport(res, &cap, EWS_SYNC_DELETE, &d);
		}
	}

	/*
	 * Creates and Updates, parents before children (a client makes a
	 * folder's parent first): pre-order from the root, siblings by id.  A
	 * folder below the root now is held when it was made by W and was below
	 * the root then too; held, it is reported when it changed after W.
	 */
	stack = palloc(sizeof(int) * (nrows + 1));
	for (int c = rh->first_child; c >= 0; c = rows[c].h->next_sibling)
		stack[sp++] = c;
	while (sp > 0)
	{
		HRow	   *x = &rows[stack[--sp]];
		bool		held;

		CHECK_FOR_INTERRUPTS();
		held = w != 0 && x->created_cn <= w && below(map, &chain, x->h, r->folder_id, true);
		if (!held || x->change_number > w)
		{
			EwsFolder	out;
			const HRow *p = &rows[hfind(map, x->parent_id)->row];

			memset(&out, 0, sizeof(out));
			out.mailbox_id = r->mailbox_id;
			strlcpy(out.guid, r->guid, sizeof(out.guid));
			out.folder_id = x->folder_id;
			out.change_number = x->change_number;
			out.parent_id = x->parent_id;
			out.parent_change = p->change_number;
			out.display_name = x->display_name;
			out.folder_class = x->folder_class;
			out.distinguished = x->distinguished;
			out.access = r->access;
			out.delegated = r->delegated;
			out.total_count = x->total_count;
			out.unread_count = x->unread_count;
			out.child_count = x->child_count;
			hreport(res, &cap, held ? EWS_SYNC_UPDATE : EWS_SYNC_CREATE, &out);
		}
		/* descending ids pushed: the smallest is popped first */
		for (int c = x->h->first_child; c >= 0; c = rows[c].h->next_sibling)
		{
			if (sp >= (int) nrows)
				elog(ERROR, "folder tree of mailbox %s has a loop", r->guid);
			stack[sp++] = c;
		}
	}

	memset(&s, 0, sizeof(s));
	s.kind = EWS_SYNC_KIND_HIERARCHY;
	s.flags = flags;
	memcpy(s.mailbox, r->mailbox_id.data, 16);
	s.folder_id = r->folder_id;
	s.w_cn = last_cn;
	res->state = state_text(&s);
	ews_status_ok(st);
	return true;
}

/* ---- folder tombstones, written by the hierarchy operations ---- */

static void trim_folder_tombstones(const pg_uuid_t *mailbox, int64 max_age, int64 max_count,
								   int64 *removed);

void
ews_sync_folder_moved(const pg_uuid_t *mailbox, int64 folder_id, int64 cn)
{
	static EwsPlan plan = {
		"INSERT INTO ews.folder_tombstone (mailbox_id, folder_id, change_number, parent_id,"
		"                                  created_cn, moved)"
		" SELECT mailbox_id, folder_id, $3, parent_id, created_cn, true FROM ews.folder"
		"  WHERE mailbox_id = $1 AND folder_id = $2 AND parent_id IS NOT NULL",
		3, {UUIDOID, INT8OID, INT8OID}
	};
	Datum		args[3];
	int64		removed;

	args[0] = UUIDPGetDatum(mailbox);
	args[1] = Int64GetDatum(folder_id);
	args[2] = Int64GetDatum(cn);
	if (ews_exec(&plan, args, NULL, false, 0) != 1)
		elog(ERROR, "folder " INT64_FORMAT " vanished under the hierarchy lock", folder_id);
	trim_folder_tombstones(mailbox, ews_tombstone_max_age, 0, &removed);
}

void
ews_sync_folders_removed(const pg_uuid_t *mailbox, int64 top_id, bool include_top, int64 cn)
{
	/* the subtree in one statement, each folder with the parent it has */
	static EwsPlan plan = {
		"WITH RECURSIVE sub(folder_id) AS ("
		"   SELECT f.folder_id FROM ews.folder f"
		"    WHERE f.mailbox_id = $1 AND ((f.folder_id = $2 AND $4) OR (f.parent_id = $2 AND NOT $4))"
		"  UNION ALL"
		"   SELECT c.folder_id FROM sub s JOIN ews.folder c"
		"     ON c.mailbox_id = $1 AND c.parent_id = s.folder_id"
		")"
		" INSERT INTO ews.folder_tombstone (mailbox_id, folder_id, change_number, parent_id,"
		"                                  created_cn, moved)"
		" SELECT f.mailbox_id, f.folder_id, $3, f.parent_id, f.created_cn, false"
		"   FROM sub s JOIN ews.folder f ON f.mailbox_id = $1 AND f.folder_id = s.folder_id"
		"  WHERE f.parent_id IS NOT NULL",
		4, {UUIDOID, INT8OID, INT8OID, BOOLOID}
	};
	Datum		args[4];
	int64		removed;

	args[0] = UUIDPGetDatum(mailbox);
	args[1] = Int64GetDatum(top_id);
	args[2] = Int64GetDatum(cn);
	args[3] = BoolGetDatum(include_top);
	ews_exec(&plan, args, NULL, false, 0);
	trim_folder_tombstones(mailbox, ews_tombstone_max_age, 0, &removed);
}

/* ---- trimming ---- */

/* tombstones removed before this are older than max_age seconds (now() is the transaction's start) */
static Datum
cutoff_datum(int64 max_age, char *null)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	*null = max_age > 0 ? ' ' : 'n';
	if (max_age <= 0)
		return (Datum) 0;
	/* an age beyond the calendar: nothing is that old */
	if (max_age > (now - MIN_TIMESTAMP) / USECS_PER_SEC)
		return TimestampTzGetDatum(DT_NOBEGIN);
	return TimestampTzGetDatum(now - max_age * USECS_PER_SEC);
}

/*
 * A mailbox's folder tombstones removed before the cutoff, or beyond the
 * newest max_count (0: no limit): every tombstone up to a change number
 * goes, whole changes at a time, and the mailbox remembers that number.
 * The caller holds the mailbox's hierarchy lock.
 */
static void
trim_folder_tombstones(const pg_uuid_t *mailbox, int64 max_age, int64 max_count, int64 *removed)
{
	static EwsPlan oldest_plan = {
		"SELECT removed_at < $2 FROM ews.folder_tombstone WHERE mailbox_id = $1"
		" ORDER BY change_number LIMIT 1",
		2, {UUIDOID, TIMESTAMPTZOID}
	};
	static EwsPlan cut_plan = {
		"SELECT GREATEST("
		"  (SELECT pg_catalog.max(change_number) FROM ews.folder_tombstone"
		"    WHERE mailbox_id = $1 AND removed_at < $2),"
		"  (SELECT change_number FROM ews.folder_tombstone WHERE mailbox_id = $1 AND $3 > 0"
		"    ORDER BY change_number DESC, folder_id DESC OFFSET $3 LIMIT 1))",
		3, {UUIDOID, TIMESTAMPTZOID, INT8OID}
	};
	static EwsPlan delete_plan = {
		"WITH d AS (DELETE FROM ews.folder_tombstone WHERE mailbox_id = $1 AND change_number <= $2"
		"           RETURNING 1)"
		" UPDATE ews.mailbox SET folder_tombstone_horizon = GREATEST(folder_tombstone_horizon, $2)"
		"  WHERE mailbox_id = $1 RETURNING (SELECT pg_catalog.count(*) FROM d)",
		2, {UUIDOID, INT8OID}
	};
	Datum		args[3];
	char		nulls[3] = "   ";
	int64		cut;

	*removed = 0;
	if (max_age <= 0 && max_count <= 0)
		return;
	args[0] = UUIDPGetDatum(mailbox);
	args[1] = cutoff_datum(max_age, &nulls[1]);
	args[2] = Int64GetDatum(max_count);
	/* the usual case, one index probe: the oldest is not old enough */
	if (max_count <= 0 &&
		(ews_exec(&oldest_plan, args, nulls, false, 1) != 1 || !ews_col_bool(0, 1)))
		return;
	if (ews_exec(&cut_plan, args, nulls, false, 1) != 1 || ews_col_isnull(0, 1))
		return;
	cut = ews_col_int64(0, 1);
	args[1] = Int64GetDatum(cut);
	if (ews_exec(&delete_plan, args, NULL, false, 0) == 1)
		*removed = ews_col_int64(0, 1);
}

void
ews_sync_trim_folder(const pg_uuid_t *mailbox, int64 folder_id)
{
	static EwsPlan oldest_plan = {
		"SELECT removed_at < $3 FROM ews.item_tombstone WHERE mailbox_id = $1 AND folder_id = $2"
		" ORDER BY change_number, item_id LIMIT 1",
		3, {UUIDOID, INT8OID, TIMESTAMPTZOID}
	};
	/*
	 * The oldest batch in change order, as far as it is old enough.  The
	 * horizon is the last change number removed: a batch may end inside a
	 * change that removed many items, so a state is valid only past all of
	 * that change (see ews_sync_items).
	 */
	static EwsPlan delete_plan = {
		"WITH old AS ("
		"   SELECT change_number, item_id FROM ews.item_tombstone"
		"    WHERE mailbox_id = $1 AND folder_id = $2"
		"    ORDER BY change_number, item_id LIMIT $4"
		"), d AS ("
		"   DELETE FROM ews.item_tombstone t USING old"
		"    WHERE t.mailbox_id = $1 AND t.folder_id = $2"
		"      AND t.change_number = old.change_number AND t.item_id = old.item_id"
		"      AND t.removed_at < $3"
		"   RETURNING t.change_number"
		")"
		" UPDATE ews.folder"
		"    SET tombstone_horizon = GREATEST(tombstone_horizon, (SELECT pg_catalog.max(change_number) FROM d))"
		"  WHERE mailbox_id = $1 AND folder_id = $2 AND EXISTS (SELECT 1 FROM d)",
		4, {UUIDOID, INT8OID, TIMESTAMPTZOID, INT4OID}
	};
	Datum		args[4];
	char		nulls[4] = "    ";

	if (ews_tombstone_max_age <= 0)
		return;
	args[0] = UUIDPGetDatum(mailbox);
	args[1] = Int64GetDatum(folder_id);
	args[2] = cutoff_datum(ews_tombstone_max_age, &nulls[2]);
	args[3] = Int32GetDatum(TRIM_BATCH);
	if (ews_exec(&oldest_plan, args, nulls, false, 1) != 1 || !ews_col_bool(0, 1))
		return;
	ews_exec(&delete_plan, args, nulls, false, 0);
}

void
ews_sync_trim_all(EwsCtx *ctx, int64 max_age, int64 max_count, int64 *items_removed,
				  int64 *folders_removed)
{
	/* the folders with something to trim, in the order item writes lock them */
	static EwsPlan folders_plan = {
		"SELECT mailbox_id, folder_id FROM ews.item_tombstone"
		" GROUP BY mailbox_id, folder_id"
		" HAVING pg_catalog.min(removed_at) < $1 OR ($2 > 0 AND pg_catalog.count(*) > $2)"
		" ORDER BY mailbox_id, folder_id",
		2, {TIMESTAMPTZOID, INT8OID}
	};
	static EwsPlan mailboxes_plan = {
		"SELECT mailbox_id FROM ews.folder_tombstone"
		" GROUP BY mailbox_id"
		" HAVING pg_catalog.min(removed_at) < $1 OR ($2 > 0 AND pg_catalog.count(*) > $2)"
		" ORDER BY mailbox_id",
		2, {TIMESTAMPTZOID, INT8OID}
	};
	static EwsPlan cut_plan = {
		"SELECT GREATEST("
		"  (SELECT pg_catalog.max(change_number) FROM ews.item_tombstone"
		"    WHERE mailbox_id = $1 AND folder_id = $2 AND removed_at < $3),"
		"  (SELECT change_number FROM ews.item_tombstone WHERE mailbox_id = $1 AND folder_id = $2 AND $4 > 0"
		"    ORDER BY change_number DESC, item_id DESC OFFSET $4 LIMIT 1))",
		4, {UUIDOID, INT8OID, TIMESTAMPTZOID, INT8OID}
	};
	static EwsPlan delete_plan = {
		"WITH d AS (DELETE FROM ews.item_tombstone WHERE mailbox_id = $1 AND folder_id = $2"
		"             AND change_number <= $3 RETURNING 1)"
		" UPDATE ews.folder SET tombstone_horizon = GREATEST(tombstone_horizon, $3)"
		"  WHERE mailbox_id = $1 AND folder_id = $2 RETURNING (SELECT pg_catalog.count(*) FROM d)",
		3, {UUIDOID, INT8OID, INT8OID}
	};
	Datum		args[4];
	char		nulls[4] = "    ";
	Datum		cutoff;
	char		cutoff_null;
	SPITupleTable *found;
	uint64		n;
	EwsContent	lock;

	(void) ctx;
	if (max_age < 0)
		max_age = ews_tombstone_max_age;
	if (max_count < 0)
		max_count = ews_tombstone_max_count;
	*items_removed = *folders_removed = 0;
	if (max_age <= 0 && max_count <= 0)
		return;
	cutoff = cutoff_datum(max_age, &cutoff_null);

	args[0] = cutoff;
	nulls[0] = cutoff_null;
	args[1] = Int64GetDatum(max_count);
	n = ews_exec(&folders_plan, args, nulls, false, 0);
	found = ews_keep_result();
	ews_content_begin(&lock);
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		pg_uuid_t  *mb = DatumGetUUIDP(SPI_getbinval(found->vals[i], found->tupdesc, 1, &isnull));
		int64		folder_id = DatumGetInt64(SPI_getbinval(found->vals[i], found->tupdesc, 2, &isnull));
		int64		cut;

		CHECK_FOR_INTERRUPTS();
		/* the folder's content lock, as item writes take it: no tombstone comes in meanwhile */
		if (!ews_content_lock(&lock, mb, &folder_id, 1))
			continue;			/* removed meanwhile, with its tombstones */
		args[0] = UUIDPGetDatum(mb);
		args[1] = Int64GetDatum(folder_id);
		args[2] = cutoff;
		nulls[2] = cutoff_null;
		args[3] = Int64GetDatum(max_count);
		if (ews_exec(&cut_plan, args, nulls, false, 1) != 1 || ews_col_isnull(0, 1))
			continue;
		cut = ews_col_int64(0, 1);
		args[2] = Int64GetDatum(cut);
		if (ews_exec(&delete_plan, args, NULL, false, 0) == 1)
			*items_removed += ews_col_int64(0, 1);
	}
	SPI_freetuptable(found);

	args[0] = cutoff;
	nulls[0] = cutoff_null;
	args[1] = Int64GetDatum(max_count);
	nulls[2] = ' ';
	n = ews_exec(&mailboxes_plan, args, nulls, false, 0);
	found = ews_keep_result();
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		pg_uuid_t  *mb = DatumGetUUIDP(SPI_getbinval(found->vals[i], found->tupdesc, 1, &isnull));
		int64		removed;

		CHECK_FOR_INTERRUPTS();
		ews_lock_hierarchy(mb);
		trim_folder_tombstones(mb, max_age, max_count, &removed);
		*folders_removed += removed;
	}
	SPI_freetuptable(found);
}
