/*
 * itemwrite.c
 *	  Item writes: the write path every item write shares (CreateItem,
 *	  UpdateItem, UploadItems, ews_create_item), and the batches of
 *	  CreateItem, UpdateItem, DeleteItem, MoveItem and CopyItem, with the
 *	  locking rules of itemwrite.h: resolve everything, lock every folder
 *	  in one ordered pass, then lock and write item by item.
 *
 * Each input of a batch runs in a memory context of its own, reset after
 * its answer is handed on, so a batch of large items holds one at a time.
 */
#include "itemwrite.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "blob.h"
#include "ews.h"
#include "extract.h"

/* ---- the write path ---- */

/*
 * The statements that write an item: its identity and store columns, the
 * blob, then every column extracted from the blob (extract.h), in that
 * order.  Built once from the column table, never from input.
 */
#define ITEM_FIXED_ARGS 9		/* mailbox, item, folder, change number, article,
								 * created cn, content cn, associated, blob */

#define ITEM_NARGS (ITEM_FIXED_ARGS + EWS_ITEM_NCOLS)

static EwsPlan insert_plan;
static EwsPlan update_plan;
static EwsPlan bulk_insert_plan;	/* insert_plan's rows as arrays, one element per item */
static Oid	item_elem_types[ITEM_NARGS];	/* bulk_insert_plan's element types */
static int16 item_typlen[ITEM_NARGS];
static bool item_typbyval[ITEM_NARGS];
static char item_typalign[ITEM_NARGS];
static Oid	categories_out;		/* text[]'s output function */

static void
prepare_write_plans(void)
{
	StringInfoData ins;
	StringInfoData upd;
	static const Oid fixed[ITEM_FIXED_ARGS] = {
		UUIDOID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, BOOLOID, BYTEAOID
	};
	MemoryContext old;

	if (insert_plan.sql != NULL)
		return;
	old = MemoryContextSwitchTo(TopMemoryContext);
	initStringInfo(&ins);
	initStringInfo(&upd);
	appendStringInfoString(&ins,
						   "INSERT INTO ews.item (mailbox_id, item_id, folder_id, change_number,"
						   " article_number, created_cn, content_cn, is_associated, blob");
	/* an update keeps the article number and created_cn: the item stays where it arrived */
	appendStringInfoString(&upd,
						   "UPDATE ews.item SET change_number = $4, content_cn = $7,"
						   " is_associated = $8, blob = $9");
	for (int i = 0; i < EWS_ITEM_NCOLS; i++)
	{
		int			arg = ITEM_FIXED_ARGS + 1 + i;

		appendStringInfo(&ins, ", %s", ews_item_col_names[i]);
		/* the time of the first store when the blob has no PidTagCreationTime */
		if (i == EWS_COL_CREATED_AT)
			appendStringInfo(&upd, ", %s = COALESCE($%d, %s)",
							 ews_item_col_names[i], arg, ews_item_col_names[i]);
		else
			appendStringInfo(&upd, ", %s = $%d", ews_item_col_names[i], arg);
	}
	appendStringInfoString(&ins, ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9");
	for (int i = 0; i < EWS_ITEM_NCOLS; i++)
	{
		int			arg = ITEM_FIXED_ARGS + 1 + i;

		if (i == EWS_COL_CREATED_AT)
			appendStringInfo(&ins, ", COALESCE($%d, pg_catalog.now())", arg);
		else
			appendStringInfo(&ins, ", $%d", arg);
	}
	appendStringInfoChar(&ins, ')');
	appendStringInfoString(&upd, " WHERE mailbox_id = $1 AND item_id = $2 AND folder_id = $3");
	MemoryContextSwitchTo(old);

	StaticAssertStmt(ITEM_FIXED_ARGS + EWS_ITEM_NCOLS <= lengthof(insert_plan.argtypes),
					 "EwsPlan has room for every argument of an item write");
	insert_plan.nargs = update_plan.nargs = ITEM_FIXED_ARGS + EWS_ITEM_NCOLS;
	memcpy(insert_plan.argtypes, fixed, sizeof(fixed));
	memcpy(insert_plan.argtypes + ITEM_FIXED_ARGS, ews_item_col_types, sizeof(Oid) * EWS_ITEM_NCOLS);
	memcpy(update_plan.argtypes, insert_plan.argtypes, sizeof(Oid) * insert_plan.nargs);

	/*
	 * The same insert for many items: each argument an array with an element
	 * per item, unnested side by side.  text[] (the categories) cannot be
	 * the element of a one-dimensional array: it travels as its text form.
	 */
	{
		StringInfoData bulk;
		bool		isvarlena;

		old = MemoryContextSwitchTo(TopMemoryContext);
		initStringInfo(&bulk);
		appendStringInfoString(&bulk,
							   "INSERT INTO ews.item (mailbox_id, item_id, folder_id, change_number,"
							   " article_number, created_cn, content_cn, is_associated, blob");
		for (int i = 0; i < EWS_ITEM_NCOLS; i++)
			appendStringInfo(&bulk, ", %s", ews_item_col_names[i]);
		appendStringInfoString(&bulk, ") SELECT");
		for (int a = 0; a < ITEM_NARGS; a++)
		{
			Oid			t = insert_plan.argtypes[a];

			if (a == ITEM_FIXED_ARGS + EWS_COL_CREATED_AT)
				appendStringInfo(&bulk, "%s COALESCE(u.c%d, pg_catalog.now())", a ? "," : "", a + 1);
			else if (t == TEXTARRAYOID)
				appendStringInfo(&bulk, "%s CAST(u.c%d AS pg_catalog.text[])", a ? "," : "", a + 1);
			else
				appendStringInfo(&bulk, "%s u.c%d", a ? "," : "", a + 1);
			item_elem_types[a] = t == TEXTARRAYOID ? TEXTOID : t;
			get_typlenbyvalalign(item_elem_types[a], &item_typlen[a], &item_typbyval[a], &item_typalign[a]);
			bulk_insert_plan.argtypes[a] = get_array_type(item_elem_types[a]);
		}
		/*
		 * The arrays unnested in the select list, in step (they have one
		 * length): a ProjectSet streams the rows, where ROWS FROM would
		 * first copy every row, blob and all, into a tuplestore.
		 */
		appendStringInfoString(&bulk, " FROM (SELECT");
		for (int a = 0; a < ITEM_NARGS; a++)
			appendStringInfo(&bulk, "%s pg_catalog.unnest($%d) AS c%d", a ? "," : "", a + 1, a + 1);
		appendStringInfoString(&bulk, ") AS u");
		getTypeOutputInfo(TEXTARRAYOID, &categories_out, &isvarlena);
		bulk_insert_plan.nargs = ITEM_NARGS;
		MemoryContextSwitchTo(old);
		bulk_insert_plan.sql = bulk.data;
	}
	update_plan.sql = upd.data;
	insert_plan.sql = ins.data;
}

/* ---- new items' inserts, gathered ---- */

/*
 * The INSERT of a new item is deferred (store.h, ews_exec_defer) and the
 * items of a run of consecutive creations go into ews.item in one
 * statement: per row, a statement's executor start and end cost about as
 * much as writing a 4 KiB item.  Any other statement, and the end of the
 * call, runs the pending insert first, so nothing can tell the difference
 * but the time.  Large items are written alone (the gain is nil and the
 * arrays would copy them once more).
 */
#define PENDING_MAX_ROWS 256
#define PENDING_MAX_BYTES (1024 * 1024)
#define PENDING_MAX_ITEM (64 * 1024)

typedef struct PendingItems
{
	MemoryContext cxt;			/* the pending rows' values; reset by each flush */
	MemoryContextCallback gone;	/* the call's memory deleted (an error): forget */
	int			n;
	size_t		bytes;
	Datum		values[ITEM_NARGS][PENDING_MAX_ROWS];
	bool		nulls[ITEM_NARGS][PENDING_MAX_ROWS];
} PendingItems;

static void
pending_gone(void *arg)
{
	ews_exec_forget(arg);
}

static void
pending_flush(void *arg)
{
	PendingItems *p = arg;
	Datum		arrays[ITEM_NARGS];
	int			lb = 1;
	uint64		rows;
	MemoryContext old;

	/* called directly (the buffer is full) it is no longer deferred: its statement must not run it again */
	ews_exec_forget(p);
	if (p->n == 0)
		return;
	old = MemoryContextSwitchTo(p->cxt);
	for (int a = 0; a < ITEM_NARGS; a++)
	{
		if (insert_plan.argtypes[a] == TEXTARRAYOID)
			for (int r = 0; r < p->n; r++)
				if (!p->nulls[a][r])
					p->values[a][r] = CStringGetTextDatum(OidOutputFunctionCall(categories_out,
																				p->values[a][r]));
		arrays[a] = PointerGetDatum(construct_md_array(p->values[a], p->nulls[a], 1, &p->n, &lb,
													   item_elem_types[a], item_typlen[a],
													   item_typbyval[a], item_typalign[a]));
	}
	MemoryContextSwitchTo(old);
	rows = ews_exec(&bulk_insert_plan, arrays, NULL, false, 0);
	if (rows != (uint64) p->n)
		elog(ERROR, "the insert of %d new items wrote " UINT64_FORMAT, p->n, rows);
	p->n = 0;
	p->bytes = 0;
	MemoryContextReset(p->cxt);
}

static PendingItems *
pending_items(EwsCtx *ctx)
{
	PendingItems *p = ctx->pending_items;

	if (p == NULL)
	{
		/* in the call's memory (SPI's), which an error deletes: then it is forgotten */
		p = MemoryContextAllocZero(ctx->content.cxt, sizeof(PendingItems));
		p->cxt = AllocSetContextCreate(ctx->content.cxt, "ews pending items", ALLOCSET_DEFAULT_SIZES);
		p->gone.func = pending_gone;
		p->gone.arg = p;
		MemoryContextRegisterResetCallback(ctx->content.cxt, &p->gone);
		ctx->pending_items = p;
	}
	return p;
}

void
ews_item_write(EwsCtx *ctx, const EwsFolder *folder, const EwsExistingItem *existing, int64 local_id,
			   bool is_associated, bool read_flag_only, const uint8 *data, size_t len,
			   size_t merged_len, char **item_id, char **change_key)
{
	int64		cn = ews_next_change_number();
	int64		article = 0;
	uint8		lmt[8];
	uint8		ck[12];
	EwsBlobProp over[2];
	bytea	   *blob;
	EwsItemColumns cols;
	PendingItems *pend;
	Datum		args[ITEM_FIXED_ARGS + EWS_ITEM_NCOLS];
	char		nulls[ITEM_FIXED_ARGS + EWS_ITEM_NCOLS];
	bool		is_read;

	prepare_write_plans();
	if (existing)
		local_id = existing->local_id;
	else if (local_id == 0)
		local_id = ews_next_local_id();

	/* tags ascend: PidTagLastModificationTime < PidTagChangeKey */
	ews_put_le64(lmt, (uint64) ews_filetime_from_timestamp(GetCurrentTimestamp()));
	ews_changekey_bytes(EWS_CK_KIND_ITEM, (uint64) cn, ck);
	over[0].tag = EWS_TAG_LAST_MODIFICATION_TIME;
	over[0].len = 8;
	over[0].value = lmt;
	over[1].tag = EWS_TAG_CHANGE_KEY;
	over[1].len = 12;
	over[1].value = ck;
	pend = existing == NULL && merged_len <= PENDING_MAX_ITEM ? pending_items(ctx) : NULL;
	if (pend != NULL && (pend->n == PENDING_MAX_ROWS || pend->bytes + merged_len > PENDING_MAX_BYTES))
		pending_flush(pend);
	/* a pending row's blob is made where the row waits */
	blob = pend ? MemoryContextAlloc(pend->cxt, VARHDRSZ + merged_len) : palloc(VARHDRSZ + merged_len);
	SET_VARSIZE(blob, VARHDRSZ + merged_len);
	ews_blob_merge(data, len, over, 2, (uint8 *) VARDATA(blob));
	ews_item_columns((const uint8 *) VARDATA(blob), merged_len, &cols);
	is_read = DatumGetBool(cols.values[EWS_COL_IS_READ]);

	if (existing)
		ews_content_change(&ctx->content, &folder->mailbox_id, folder->folder_id,
						   existing->is_associated, existing->is_read, is_associated, is_read, cn);
	else
		article = ews_content_add(&ctx->content, &folder->mailbox_id, folder->folder_id,
								  is_associated, is_read, cn);

	memset(nulls, ' ', sizeof(nulls));
	args[0] = UUIDPGetDatum(&folder->mailbox_id);
	args[1] = Int64GetDatum(local_id);
	args[2] = Int64GetDatum(folder->folder_id);
	args[3] = Int64GetDatum(cn);
	args[4] = Int64GetDatum(article);	/* the update does not use it */
	args[5] = Int64GetDatum(cn);	/* created_cn (insert only) */
	/*
	 * content_cn: the last change that was more than a read-flag change.
	 * A read-flag-only update keeps it, so SyncFolderItems can tell a
	 * t:ReadFlagChange (only change_number moved) from a t:Update.
	 */
	args[6] = Int64GetDatum(existing && read_flag_only ? existing->content_cn : cn);
	args[7] = BoolGetDatum(is_associated);
	args[8] = PointerGetDatum(blob);
	for (int i = 0; i < EWS_ITEM_NCOLS; i++)
	{
		args[ITEM_FIXED_ARGS + i] = cols.values[i];
		nulls[ITEM_FIXED_ARGS + i] = cols.nulls[i] ? 'n' : ' ';
	}

	if (existing)
	{
		if (ews_exec(&update_plan, args, nulls, false, 0) != 1)
			elog(ERROR, "item " INT64_FORMAT " vanished under its row lock", local_id);
		pfree(blob);
	}
	else if (pend != NULL)
	{
		int			r = pend->n;

		for (int a = 0; a < ITEM_NARGS; a++)
		{
			pend->nulls[a][r] = nulls[a] == 'n';
			if (pend->nulls[a][r])
				pend->values[a][r] = (Datum) 0;
			else if (a == ITEM_FIXED_ARGS - 1)	/* the blob, made in place */
				pend->values[a][r] = args[a];
			else
			{
				MemoryContext old = MemoryContextSwitchTo(pend->cxt);

				/* text[] travels as text: a varlena either way */
				pend->values[a][r] = datumCopy(args[a], item_typbyval[a], item_typlen[a]);
				MemoryContextSwitchTo(old);
			}
		}
		pend->n++;
		pend->bytes += merged_len;
		ews_exec_defer(pending_flush, pend);
	}
	else
	{
		ews_exec(&insert_plan, args, nulls, false, 0);
		pfree(blob);
	}

	*item_id = ews_id_text(folder->guid, EWS_ID_KIND_ITEM, local_id);
	*change_key = ews_change_key_text(EWS_CK_KIND_ITEM, cn);
}

bool
ews_item_check_blob(const uint8 *data, size_t len, size_t *merged_len, EwsStatus *st)
{
	static const uint8 zero[12] = {0};
	EwsBlobProp over[2] = {
		{EWS_TAG_LAST_MODIFICATION_TIME, 8, zero},
		{EWS_TAG_CHANGE_KEY, 12, zero}
	};
	EwsBlobStatus bs;
	size_t		err_offset = 0;
	size_t		limit = (size_t) ews_max_item_size;

	if (data == NULL)
	{
		ews_status_set(st, EWS_ErrorCorruptData, "The item data is corrupt: there is no data.");
		return false;
	}
	bs = ews_blob_validate(data, len, limit, NULL, &err_offset);
	if (bs == EWS_BLOB_TOO_LARGE)
	{
		ews_status_set(st, EWS_ErrorDataSizeLimitExceeded,
					   psprintf("The item data exceeds the size limit: %zu bytes, ews.max_item_size is %zu bytes.",
								len, limit));
		return false;
	}
	if (bs != EWS_BLOB_OK)
	{
		ews_status_set(st, EWS_ErrorCorruptData,
					   psprintf("The item data is corrupt: %s at byte %zu.",
								ews_blob_status_text(bs), err_offset));
		return false;
	}
	*merged_len = ews_blob_merged_size(data, len, over, 2);
	if (*merged_len == 0)
		elog(ERROR, "a validated blob did not merge");
	if (*merged_len > limit)
	{
		ews_status_set(st, EWS_ErrorDataSizeLimitExceeded,
					   psprintf("The item data exceeds the size limit: %zu bytes with the store's properties, ews.max_item_size is %zu bytes.",
								*merged_len, limit));
		return false;
	}
	return true;
}

/* ---- names ---- */

bool
ews_disposition_from_name(const char *name, EwsDisposition *d)
{
	if (strcmp(name, "SaveOnly") == 0)
		*d = EWS_DISPOSITION_SAVE_ONLY;
	else if (strcmp(name, "SendOnly") == 0)
		*d = EWS_DISPOSITION_SEND_ONLY;
	else if (strcmp(name, "SendAndSaveCopy") == 0)
		*d = EWS_DISPOSITION_SEND_AND_SAVE_COPY;
	else
		return false;
	return true;
}

bool
ews_conflict_resolution_from_name(const char *name, EwsConflictResolution *c)
{
	if (strcmp(name, "NeverOverwrite") == 0)
		*c = EWS_CONFLICT_NEVER_OVERWRITE;
	else if (strcmp(name, "AutoResolve") == 0)
		*c = EWS_CONFLICT_AUTO_RESOLVE;
	else if (strcmp(name, "AlwaysOverwrite") == 0)
		*c = EWS_CONFLICT_ALWAYS_OVERWRITE;
	else
		return false;
	return true;
}

/* ---- a batch: inputs resolved, folders locked ---- */

/* a mailbox of the batch and the folders it will touch there */
typedef struct BatchMailbox
{
	EwsMailbox	mb;
	int64	   *folders;
	int			nfolders;
	int			cap;
} BatchMailbox;

typedef struct Batch
{
	EwsCtx	   *ctx;
	BatchMailbox *mbs;
	int			nmbs;
	/* per input */
	int			n;
	EwsStatus  *st;				/* an error found before writing */
	int		   *mbx;			/* the item's mailbox (index), -1 when refused */
	int64	   *local;			/* the item's local id */
	int64	   *ck;				/* the change number of its ChangeKey, 0 when none */
	int64	   *folder;			/* its folder, found before locking */
} Batch;

static void
batch_init(Batch *b, EwsCtx *ctx, int n)
{
	memset(b, 0, sizeof(*b));
	b->ctx = ctx;
	b->n = n;
	b->mbs = palloc0(sizeof(BatchMailbox) * (Max(n, 1) + 1));
	b->st = palloc0(sizeof(EwsStatus) * Max(n, 1));
	b->mbx = palloc(sizeof(int) * Max(n, 1));
	b->local = palloc0(sizeof(int64) * Max(n, 1));
	b->ck = palloc0(sizeof(int64) * Max(n, 1));
	b->folder = palloc0(sizeof(int64) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		b->mbx[i] = -1;
		ews_status_ok(&b->st[i]);
	}
}

/* the batch's index of a mailbox already looked up (by GUID text), -1 if none */
static int
batch_find_mailbox(Batch *b, const char *guid)
{
	for (int m = 0; m < b->nmbs; m++)
		if (strcmp(b->mbs[m].mb.guid, guid) == 0)
			return m;
	return -1;
}

static int
batch_add_mailbox(Batch *b, const EwsMailbox *mb)
{
	int			m = batch_find_mailbox(b, mb->guid);

	if (m >= 0)
		return m;
	m = b->nmbs++;
	b->mbs[m].mb = *mb;
	return m;
}

/* the batch will touch folder f of mailbox m */
static void
batch_add_folder(Batch *b, int m, int64 f)
{
	BatchMailbox *bm = &b->mbs[m];

	for (int i = 0; i < bm->nfolders; i++)
		if (bm->folders[i] == f)
			return;
	if (bm->nfolders == bm->cap)
	{
		bm->cap = bm->cap ? bm->cap * 2 : 4;
		bm->folders = bm->folders ? repalloc(bm->folders, sizeof(int64) * bm->cap)
			: palloc(sizeof(int64) * bm->cap);
	}
	bm->folders[bm->nfolders++] = f;
}

/* inputs by local id (qsort has no argument: the batch being sorted) */
static const Batch *sort_batch;

static int
by_local(const void *a, const void *b)
{
	int64		x = sort_batch->local[*(const int *) a];
	int64		y = sort_batch->local[*(const int *) b];

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * Step 1 for items: decode every id, look its mailbox up for `need`, and
 * find each item's folder (one query per mailbox, nothing locked).
 */
static void
batch_resolve_items(Batch *b, const EwsItemRef *refs, EwsNeed need)
{
	static EwsPlan plan = {
		"SELECT item_id, folder_id FROM ews.item WHERE mailbox_id = $1 AND item_id = ANY ($2)",
		2, {UUIDOID, INT8ARRAYOID}
	};
	Datum	   *ids = palloc(sizeof(Datum) * Max(b->n, 1));
	int		   *order = palloc(sizeof(int) * Max(b->n, 1));

	for (int i = 0; i < b->n; i++)
	{
		EwsObjectId oid;
		int			m;

		CHECK_FOR_INTERRUPTS();
		if (!ews_object_id_decode(refs[i].id, refs[i].change_key, EWS_ID_KIND_ITEM,
								  &oid, &b->ck[i], &b->st[i]))
			continue;
		m = batch_find_mailbox(b, oid.mailbox);
		if (m < 0)
		{
			EwsMailbox	mb;

			/* a refused mailbox is looked up again for the next id naming it: same answer, same work */
			if (!ews_mailbox_by_guid(b->ctx, oid.mailbox, need, &mb, &b->st[i]))
				continue;
			m = batch_add_mailbox(b, &mb);
		}
		b->mbx[i] = m;
		b->local[i] = (int64) oid.local_id;
	}

	for (int m = 0; m < b->nmbs; m++)
	{
		int			nids = 0;
		Datum		args[2];
		uint64		rows;

		/* the inputs of this mailbox, by local id: each row found is matched by binary search */
		for (int i = 0; i < b->n; i++)
			if (b->mbx[i] == m)
				order[nids++] = i;
		if (nids == 0)
			continue;
		sort_batch = b;
		qsort(order, nids, sizeof(int), by_local);
		for (int k = 0; k < nids; k++)
			ids[k] = Int64GetDatum(b->local[order[k]]);
		args[0] = UUIDPGetDatum(&b->mbs[m].mb.id);
		args[1] = PointerGetDatum(construct_array(ids, nids, INT8OID, sizeof(int64),
												  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		/* not read-only: what committed meanwhile is seen */
		rows = ews_exec(&plan, args, NULL, false, 0);
		for (uint64 r = 0; r < rows; r++)
		{
			int64		item = ews_col_int64(r, 1);
			int64		folder = ews_col_int64(r, 2);
			int			lo = 0,
						hi = nids;

			CHECK_FOR_INTERRUPTS();
			while (lo < hi)
			{
				int			mid = lo + (hi - lo) / 2;

				if (b->local[order[mid]] < item)
					lo = mid + 1;
				else
					hi = mid;
			}
			/* the same id may be named several times */
			for (; lo < nids && b->local[order[lo]] == item; lo++)
				b->folder[order[lo]] = folder;
		}
	}
	for (int i = 0; i < b->n; i++)
		if (b->mbx[i] >= 0 && b->folder[i] == 0)
		{
			ews_status_set(&b->st[i], EWS_ErrorItemNotFound, NULL);
			b->mbx[i] = -1;
		}
}

static int
uuid_order(const void *a, const void *b)
{
	const BatchMailbox *x = *(const BatchMailbox *const *) a;
	const BatchMailbox *y = *(const BatchMailbox *const *) b;

	return memcmp(&x->mb.id, &y->mb.id, sizeof(pg_uuid_t));
}

/*
 * Step 2: lock the content state of every folder the batch touches, one
 * ews_content_lock call per mailbox (it sorts by folder id), mailboxes in
 * GUID order.  A folder deleted meanwhile is simply not locked
 * (batch_locked tells).
 */
static void
batch_lock(Batch *b)
{
	BatchMailbox **order = palloc(sizeof(BatchMailbox *) * Max(b->nmbs, 1));

	for (int m = 0; m < b->nmbs; m++)
		order[m] = &b->mbs[m];
	if (b->nmbs > 1)
		qsort(order, b->nmbs, sizeof(BatchMailbox *), uuid_order);
	for (int m = 0; m < b->nmbs; m++)
		if (order[m]->nfolders > 0)
			(void) ews_content_lock(&b->ctx->content, &order[m]->mb.id, order[m]->folders, order[m]->nfolders);
	pfree(order);
}

static bool
batch_locked(Batch *b, int m, int64 folder)
{
	return ews_content_locked(&b->ctx->content, &b->mbs[m].mb.id, folder);
}

/* the folder of a mailbox by id, for writes into it (the batch locked it) */
static void
folder_of(const EwsMailbox *mb, int64 folder_id, EwsFolder *f)
{
	memset(f, 0, sizeof(*f));
	f->mailbox_id = mb->id;
	strlcpy(f->guid, mb->guid, sizeof(f->guid));
	f->folder_id = folder_id;
}

/* the current row of an item, locked (FOR UPDATE) after its folder was */
typedef struct LockedItem
{
	int64		folder_id;
	int64		change_number;
	int64		created_cn;
	int64		content_cn;
	bool		is_associated;
	bool		is_read;
	char	   *item_class;
	bytea	   *blob;			/* with_blob only: detoasted */
} LockedItem;

static bool
lock_item(const EwsMailbox *mb, int64 local_id, bool with_blob, LockedItem *out)
{
	static EwsPlan plan = {
		"SELECT folder_id, change_number, created_cn, content_cn, is_associated, is_read, item_class"
		" FROM ews.item WHERE mailbox_id = $1 AND item_id = $2 FOR UPDATE",
		2, {UUIDOID, INT8OID}
	};
	static EwsPlan blob_plan = {
		"SELECT folder_id, change_number, created_cn, content_cn, is_associated, is_read, item_class, blob"
		" FROM ews.item WHERE mailbox_id = $1 AND item_id = $2 FOR UPDATE",
		2, {UUIDOID, INT8OID}
	};
	Datum		args[2];

	args[0] = UUIDPGetDatum(&mb->id);
	args[1] = Int64GetDatum(local_id);
	/* a row deleted (or moved away: a new id) while we waited is not returned */
	if (ews_exec(with_blob ? &blob_plan : &plan, args, NULL, false, 1) != 1)
		return false;
	out->folder_id = ews_col_int64(0, 1);
	out->change_number = ews_col_int64(0, 2);
	out->created_cn = ews_col_int64(0, 3);
	out->content_cn = ews_col_int64(0, 4);
	out->is_associated = ews_col_bool(0, 5);
	out->is_read = ews_col_bool(0, 6);
	out->item_class = ews_col_text(0, 7);
	out->blob = NULL;
	if (with_blob)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 8, &isnull);

		out->blob = (bytea *) PG_DETOAST_DATUM_COPY(d);
	}
	return true;
}

/* one input: its own memory, reset after its answer is handed on */
typedef struct InputScope
{
	MemoryContext cxt;
	MemoryContext outer;
} InputScope;

static void
input_scope_init(InputScope *s)
{
	s->outer = CurrentMemoryContext;
	s->cxt = AllocSetContextCreate(CurrentMemoryContext, "ews item write input", ALLOCSET_DEFAULT_SIZES);
}

static void
input_begin(InputScope *s)
{
	CHECK_FOR_INTERRUPTS();
	MemoryContextSwitchTo(s->cxt);
}

static void
input_end(InputScope *s)
{
	MemoryContextSwitchTo(s->outer);
	MemoryContextReset(s->cxt);
}

static void
input_scope_done(InputScope *s)
{
	MemoryContextDelete(s->cxt);
}

/* ---- DeleteItem ---- */

/* the distinguished folders a delete may put items in, or take them from */
typedef struct DeleteFolders
{
	int64		deleted_items;
	int64		deletions;		/* recoverableitemsdeletions */
	int64		recoverable[4]; /* the recoverable-items folders: purging there */
} DeleteFolders;

static void
delete_folders(const EwsMailbox *mb, DeleteFolders *d)
{
	static const char *const recoverable[4] = {
		"recoverableitemsroot", "recoverableitemsdeletions", "recoverableitemsversions", "recoverableitemspurges"
	};

	d->deleted_items = ews_distinguished_folder_id(&mb->id, "deleteditems");
	d->deletions = ews_distinguished_folder_id(&mb->id, "recoverableitemsdeletions");
	for (int i = 0; i < 4; i++)
		d->recoverable[i] = ews_distinguished_folder_id(&mb->id, recoverable[i]);
	if (d->deleted_items == 0 || d->deletions == 0)
		elog(ERROR, "mailbox %s lacks its deleted items or recoverable items folder", mb->guid);
}

static bool
is_recoverable(const DeleteFolders *d, int64 folder)
{
	for (int i = 0; i < 4; i++)
		if (d->recoverable[i] == folder)
			return true;
	return false;
}

/*
 * Where a delete of an item in `folder` puts it (0: removed for good).
 * HardDelete removes it.  SoftDelete moves it into the dumpster,
 * recoverableitemsdeletions, where clients do not look; an item already in
 * the dumpster is purged.  MoveToDeletedItems moves it to deleteditems; an
 * item already there is soft-deleted (as Outlook deletes from Deleted
 * Items), one in the dumpster purged.
 */
static int64
delete_destination(EwsDeleteType type, const DeleteFolders *d, int64 folder)
{
	if (type == EWS_DELETE_HARD || is_recoverable(d, folder))
		return 0;
	if (type == EWS_DELETE_TO_DELETED_ITEMS && folder != d->deleted_items)
		return d->deleted_items;
	return d->deletions;
}

/*
 * An item leaves its folder for another one of the same mailbox, both
 * locked: a new id and a new article number there, a tombstone in the old
 * folder, one change number for both sides.  One UPDATE of the row: the
 * blob (a toast pointer) stays where it is, so a move costs the same for
 * an item of any size.
 */
static int64
move_row(EwsCtx *ctx, const EwsMailbox *mb, int64 local_id, const LockedItem *it, int64 target, int64 *cn_out)
{
	static EwsPlan plan = {
		"UPDATE ews.item SET item_id = $3, folder_id = $4, article_number = $5, change_number = $6,"
		"       created_cn = $6, content_cn = $6"
		" WHERE mailbox_id = $1 AND item_id = $2",
		6, {UUIDOID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID}
	};
	int64		cn = ews_next_change_number();
	int64		new_id = ews_next_local_id();
	int64		article;
	Datum		args[6];

	ews_content_remove(&ctx->content, &mb->id, it->folder_id, local_id, it->created_cn,
					   it->is_associated, it->is_read, cn);
	article = ews_content_add(&ctx->content, &mb->id, target, it->is_associated, it->is_read, cn);
	args[0] = UUIDPGetDatum(&mb->id);
	args[1] = Int64GetDatum(local_id);
	args[2] = Int64GetDatum(new_id);
	args[3] = Int64GetDatum(target);
	args[4] = Int64GetDatum(article);
	args[5] = Int64GetDatum(cn);
	if (ews_exec(&plan, args, NULL, false, 0) != 1)
		elog(ERROR, "item " INT64_FORMAT " vanished under its row lock", local_id);
	*cn_out = cn;
	return new_id;
}

static void
delete_row(EwsCtx *ctx, const EwsMailbox *mb, int64 local_id, const LockedItem *it)
{
	static EwsPlan plan = {
		"DELETE FROM ews.item WHERE mailbox_id = $1 AND item_id = $2",
		2, {UUIDOID, INT8OID}
	};
	int64		cn = ews_next_change_number();
	Datum		args[2];

	ews_content_remove(&ctx->content, &mb->id, it->folder_id, local_id, it->created_cn,
					   it->is_associated, it->is_read, cn);
	args[0] = UUIDPGetDatum(&mb->id);
	args[1] = Int64GetDatum(local_id);
	if (ews_exec(&plan, args, NULL, false, 0) != 1)
		elog(ERROR, "item " INT64_FORMAT " vanished under its row lock", local_id);
}

void
ews_item_delete_batch(EwsCtx *ctx, EwsDeleteType type, const EwsItemRef *refs, int n,
					  EwsItemWriteEmit emit, void *arg)
{
	Batch		b;
	DeleteFolders *dests;
	InputScope	scope;

	batch_init(&b, ctx, n);
	batch_resolve_items(&b, refs, EWS_NEED_WRITE);
	dests = palloc0(sizeof(DeleteFolders) * Max(b.nmbs, 1));
	for (int m = 0; m < b.nmbs; m++)
		if (type != EWS_DELETE_HARD)
		{
			delete_folders(&b.mbs[m].mb, &dests[m]);
			batch_add_folder(&b, m, dests[m].deletions);
			if (type == EWS_DELETE_TO_DELETED_ITEMS)
				batch_add_folder(&b, m, dests[m].deleted_items);
		}
	for (int i = 0; i < n; i++)
		if (b.mbx[i] >= 0)
			batch_add_folder(&b, b.mbx[i], b.folder[i]);
	batch_lock(&b);

	input_scope_init(&scope);
	for (int i = 0; i < n; i++)
	{
		int			m = b.mbx[i];
		LockedItem	it;
		int64		dest;

		input_begin(&scope);
		if (m >= 0)
		{
			const EwsMailbox *mb = &b.mbs[m].mb;

			/* gone meanwhile: the item, or its folder with it */
			if (!batch_locked(&b, m, b.folder[i]) || !lock_item(mb, b.local[i], false, &it))
				ews_status_set(&b.st[i], EWS_ErrorItemNotFound, NULL);
			else if (it.folder_id != b.folder[i])
				elog(ERROR, "item " INT64_FORMAT " changed folder under its id", b.local[i]);
			else
			{
				dest = type == EWS_DELETE_HARD ? 0 : delete_destination(type, &dests[m], it.folder_id);
				if (dest == 0)
					delete_row(ctx, mb, b.local[i], &it);
				else
				{
					int64		cn;

					if (!batch_locked(&b, m, dest))
						elog(ERROR, "distinguished folder " INT64_FORMAT " vanished", dest);
					(void) move_row(ctx, mb, b.local[i], &it, dest, &cn);
				}
			}
		}
		emit(arg, i, NULL, &b.st[i]);
		input_end(&scope);
	}
	input_scope_done(&scope);
}

/* ---- MoveItem, CopyItem ---- */

/*
 * A copy: a new item in the target with the source's blob and extracted
 * columns, as they are; the source row is share-locked so that it stays
 * while it is copied (its folder is not locked: a copy changes nothing
 * there).
 */
static EwsPlan copy_plan;

static void
prepare_copy_plan(void)
{
	StringInfoData sql;
	StringInfoData cols;
	MemoryContext old;

	if (copy_plan.sql != NULL)
		return;
	old = MemoryContextSwitchTo(TopMemoryContext);
	initStringInfo(&cols);
	for (int i = 0; i < EWS_ITEM_NCOLS; i++)
		appendStringInfo(&cols, ", %s", ews_item_col_names[i]);
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "INSERT INTO ews.item (mailbox_id, item_id, folder_id, change_number, article_number,"
					 "                      created_cn, content_cn, is_associated, blob%s)"
					 " SELECT mailbox_id, $3, $4, $5, $6, $5, $5, is_associated, blob%s"
					 "   FROM ews.item WHERE mailbox_id = $1 AND item_id = $2",
					 cols.data, cols.data);
	MemoryContextSwitchTo(old);
	copy_plan.nargs = 6;
	copy_plan.argtypes[0] = UUIDOID;
	for (int i = 1; i < 6; i++)
		copy_plan.argtypes[i] = INT8OID;
	copy_plan.sql = sql.data;
}

static bool
copy_row(EwsCtx *ctx, const EwsMailbox *mb, int64 local_id, int64 target, int64 *new_id, int64 *cn_out,
		 char **item_class)
{
	static EwsPlan share = {
		"SELECT is_associated, is_read, item_class FROM ews.item"
		" WHERE mailbox_id = $1 AND item_id = $2 FOR SHARE",
		2, {UUIDOID, INT8OID}
	};
	Datum		args[6];
	int64		cn,
				article;
	bool		assoc,
				read;

	prepare_copy_plan();
	args[0] = UUIDPGetDatum(&mb->id);
	args[1] = Int64GetDatum(local_id);
	if (ews_exec(&share, args, NULL, false, 1) != 1)
		return false;
	assoc = ews_col_bool(0, 1);
	read = ews_col_bool(0, 2);
	*item_class = ews_col_text(0, 3);
	cn = ews_next_change_number();
	*new_id = ews_next_local_id();
	article = ews_content_add(&ctx->content, &mb->id, target, assoc, read, cn);
	args[2] = Int64GetDatum(*new_id);
	args[3] = Int64GetDatum(target);
	args[4] = Int64GetDatum(cn);
	args[5] = Int64GetDatum(article);
	if (ews_exec(&copy_plan, args, NULL, false, 0) != 1)
		elog(ERROR, "item " INT64_FORMAT " vanished under its row lock", local_id);
	*cn_out = cn;
	return true;
}

void
ews_item_move_batch(EwsCtx *ctx, bool copy, const EwsFolderRef *target, const EwsItemRef *refs, int n,
					bool return_ids, EwsItemWriteEmit emit, void *arg)
{
	Batch		b;
	EwsFolder	t;
	EwsStatus	tst;
	bool		target_ok;
	int			tm = -1;
	InputScope	scope;

	batch_init(&b, ctx, n);
	/*
	 * The target first: a target that cannot be used is every input's
	 * answer, as for MoveFolder.
	 */
	target_ok = ews_folder_resolve(ctx, target, EWS_NEED_WRITE, false, &t, &tst);
	if (!target_ok && tst.code == EWS_ErrorFolderNotFound)
		ews_status_set(&tst, EWS_ErrorToFolderNotFound, NULL);
	if (target_ok)
	{
		EwsMailbox	tmb;

		memset(&tmb, 0, sizeof(tmb));
		tmb.id = t.mailbox_id;
		strlcpy(tmb.guid, t.guid, sizeof(tmb.guid));
		batch_resolve_items(&b, refs, copy ? EWS_NEED_READ : EWS_NEED_WRITE);
		tm = batch_find_mailbox(&b, t.guid);
		if (tm < 0)
			tm = batch_add_mailbox(&b, &tmb);
		batch_add_folder(&b, tm, t.folder_id);
		for (int i = 0; i < n; i++)
		{
			if (b.mbx[i] < 0)
				continue;
			/* one mailbox, one store: items move and copy within it only */
			if (b.mbx[i] != tm)
			{
				ews_status_set(&b.st[i], EWS_ErrorCrossMailboxMoveCopy,
							   psprintf("Cannot %s an item into another mailbox.", copy ? "copy" : "move"));
				b.mbx[i] = -1;
				continue;
			}
			/*
			 * The sources' folders are locked for a copy too, though it only
			 * reads them: it takes its sources' row locks (FOR SHARE) in
			 * input order, and a writer of those items (UpdateItem, say)
			 * takes theirs in its own input order under the folder's lock.
			 * Without the folder lock a copy of [x, y] and an update of
			 * [y, x] deadlocked (test/sh/item_storm.sh caught it).
			 */
			batch_add_folder(&b, b.mbx[i], b.folder[i]);
		}
		batch_lock(&b);
		if (!batch_locked(&b, tm, t.folder_id))
		{
			target_ok = false;
			ews_status_set(&tst, EWS_ErrorToFolderNotFound, NULL);
		}
	}

	input_scope_init(&scope);
	for (int i = 0; i < n; i++)
	{
		int			m = b.mbx[i];
		EwsItemWritten out;
		bool		ok = false;

		input_begin(&scope);
		memset(&out, 0, sizeof(out));
		if (!target_ok)
			b.st[i] = tst;
		else if (m >= 0)
		{
			const EwsMailbox *mb = &b.mbs[m].mb;
			int64		new_id = 0,
						cn = 0;

			if (copy)
			{
				char	   *cls = NULL;

				if (!copy_row(ctx, mb, b.local[i], t.folder_id, &new_id, &cn, &cls))
					ews_status_set(&b.st[i], EWS_ErrorItemNotFound, NULL);
				else
				{
					out.element = ews_item_element(cls);
					ok = true;
				}
			}
			else
			{
				LockedItem	it;

				if (!batch_locked(&b, m, b.folder[i]) || !lock_item(mb, b.local[i], false, &it))
					ews_status_set(&b.st[i], EWS_ErrorItemNotFound, NULL);
				else if (it.folder_id != b.folder[i])
					elog(ERROR, "item " INT64_FORMAT " changed folder under its id", b.local[i]);
				else
				{
					new_id = move_row(ctx, mb, b.local[i], &it, t.folder_id, &cn);
					out.element = ews_item_element(it.item_class);
					ok = true;
				}
			}
			if (ok)
			{
				out.item_id = ews_id_text(mb->guid, EWS_ID_KIND_ITEM, new_id);
				out.change_key = ews_change_key_text(EWS_CK_KIND_ITEM, cn);
			}
		}
		emit(arg, i, ok && return_ids ? &out : NULL, &b.st[i]);
		input_end(&scope);
	}
	input_scope_done(&scope);
}

/* ---- CreateItem ---- */

/* the class an item of this element gets when the request names none; NULL: not created here */
static const char *
default_class(const char *element)
{
	static const struct
	{
		const char *element;
		const char *cls;
	}			classes[] = {
		{"Message", "IPM.Note"},
		{"Item", "IPM"},		/* MAPI's base class: read back as t:Item */
		{"PostItem", "IPM.Post"},
		{"CalendarItem", "IPM.Appointment"},
		{"Contact", "IPM.Contact"},
		{"DistributionList", "IPM.DistList"},
		{"Task", "IPM.Task"},
	};

	for (int i = 0; i < lengthof(classes); i++)
		if (strcmp(element, classes[i].element) == 0)
			return classes[i].cls;
	return NULL;
}

/*
 * The blob a create starts from, when there is no MIME: the class, the
 * delivery time (now: DavMail's INTERNALDATE, FindItem's default order) and
 * PidTagMessageFlags: a message saved by CreateItem is a draft
 * (MSGFLAG_UNSENT), unread.
 */
static void
initial_blob(const char *cls, bool draft, uint8 **blob, size_t *len)
{
	EwsBlobProp props[3];
	uint8		delivery[8];
	uint8		flags[4];
	size_t		size;

	ews_put_le64(delivery, (uint64) ews_filetime_from_timestamp(GetCurrentTimestamp()));
	ews_put_le32(flags, draft ? 0x8 : 0);
	props[0] = (EwsBlobProp) {EWS_TAG_MESSAGE_CLASS, (uint32) strlen(cls), (const uint8 *) cls};
	props[1] = (EwsBlobProp) {EWS_TAG_DELIVERY_TIME, 8, delivery};
	props[2] = (EwsBlobProp) {EWS_TAG_MESSAGE_FLAGS, 4, flags};
	size = ews_blob_encoded_size(props, 3);
	if (size == 0)
		elog(ERROR, "the initial properties of an item do not encode");
	*blob = palloc(size);
	if (ews_blob_encode(props, 3, *blob, size) != EWS_BLOB_OK)
		elog(ERROR, "could not encode the initial properties of an item");
	*len = size;
}

/* what phase 1 of a create made of one input */
typedef struct CreatePrepared
{
	int64		local_id;
	uint8	   *blob;
	size_t		len;
	size_t		merged_len;
} CreatePrepared;

static bool
prepare_create(const EwsCreateInput *in, CreatePrepared *p, EwsStatus *st)
{
	const char *cls;
	EwsEditTarget t;
	EwsEditResult res;

	if (in->error != EWS_NoError)
	{
		ews_status_set(st, in->error, in->error_text);
		return false;
	}
	cls = default_class(in->element);
	if (cls == NULL)
	{
		ews_status_set(st, EWS_ErrorInvalidItemForOperationCreateItem,
					   psprintf("CreateItem cannot create a t:%s here.", in->element));
		return false;
	}
	for (int e = 0; e < in->nedits; e++)
		if (in->edits[e].error != EWS_NoError)
		{
			ews_status_set(st, in->edits[e].error, in->edits[e].error_text);
			return false;
		}
	p->local_id = ews_next_local_id();
	memset(&t, 0, sizeof(t));
	t.creating = true;
	t.seed = (uint64) p->local_id;
	if (in->mime != NULL)
	{
		uint8	   *b;

		if (!ews_item_blob_from_mime(in->mime, in->mime_len, cls, &b, &t.len, st))
			return false;
		t.blob = b;
	}
	else
	{
		uint8	   *b;

		initial_blob(cls, strcmp(in->element, "Message") == 0, &b, &t.len);
		t.blob = b;
		t.make_message = true;
	}
	if (!ews_item_edit_apply(&t, in->edits, in->nedits, &res, st))
		return false;
	p->blob = res.blob;
	p->len = res.len;
	return ews_item_check_blob(p->blob, p->len, &p->merged_len, st);
}

void
ews_item_create_batch(EwsCtx *ctx, const EwsFolderRef *folder, EwsDisposition disposition,
					  const EwsCreateInput *in, int n, EwsItemWriteEmit emit, void *arg)
{
	EwsFolderRef drafts = {0};
	EwsFolder	f;
	EwsStatus	fst;
	bool		folder_ok;
	EwsStatus  *st = palloc(sizeof(EwsStatus) * Max(n, 1));
	CreatePrepared *prep = palloc0(sizeof(CreatePrepared) * Max(n, 1));
	bool		any = false;
	InputScope	scope;

	/* no transport: nothing is sent, and nothing saved half way */
	if (disposition != EWS_DISPOSITION_SAVE_ONLY)
	{
		EwsStatus	s;

		ews_status_set(&s, EWS_ErrorMessageSubmissionBlocked,
					   "This store has no mail transport: SendOnly and SendAndSaveCopy cannot send; save with SaveOnly.");
		for (int i = 0; i < n; i++)
			emit(arg, i, NULL, &s);
		return;
	}
	if (folder == NULL)
	{
		/* the EWS reference: without SavedItemFolderId the item goes to Drafts */
		drafts.distinguished = "drafts";
		folder = &drafts;
	}
	folder_ok = ews_folder_resolve(ctx, folder, EWS_NEED_WRITE, false, &f, &fst);
	if (!folder_ok && fst.code == EWS_ErrorFolderNotFound)
		ews_status_set(&fst, EWS_ErrorParentFolderNotFound, NULL);

	/* 1: every item made (blob, message) and checked, nothing written */
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		ews_status_ok(&st[i]);
		if (!folder_ok)
			st[i] = fst;
		else if (prepare_create(&in[i], &prep[i], &st[i]))
			any = true;
	}
	/* 2: the folder, once */
	if (any && !ews_content_lock(&ctx->content, &f.mailbox_id, &f.folder_id, 1))
	{
		ews_status_set(&fst, EWS_ErrorParentFolderNotFound, NULL);
		for (int i = 0; i < n; i++)
			if (st[i].code == EWS_NoError)
				st[i] = fst;
	}
	/* 3: write, in order */
	input_scope_init(&scope);
	for (int i = 0; i < n; i++)
	{
		EwsItemWritten out;

		input_begin(&scope);
		if (st[i].code != EWS_NoError)
			emit(arg, i, NULL, &st[i]);
		else
		{
			EwsBlobProp cls;

			memset(&out, 0, sizeof(out));
			ews_item_write(ctx, &f, NULL, prep[i].local_id, false, false, prep[i].blob, prep[i].len,
						   prep[i].merged_len, &out.item_id, &out.change_key);
			if (ews_blob_find(prep[i].blob, prep[i].len, EWS_TAG_MESSAGE_CLASS, &cls))
				out.element = ews_item_element(pnstrdup((const char *) cls.value, cls.len));
			else
				out.element = "Item";
			emit(arg, i, &out, &st[i]);
		}
		input_end(&scope);
		if (prep[i].blob != NULL)
		{
			pfree(prep[i].blob);
			prep[i].blob = NULL;
		}
	}
	input_scope_done(&scope);
}

/* ---- UpdateItem ---- */

void
ews_item_update_batch(EwsCtx *ctx, EwsConflictResolution cr, EwsDisposition disposition,
					  const EwsUpdateInput *in, int n, EwsItemWriteEmit emit, void *arg)
{
	Batch		b;
	EwsItemRef *refs = palloc(sizeof(EwsItemRef) * Max(n, 1));
	InputScope	scope;

	if (disposition != EWS_DISPOSITION_SAVE_ONLY)
	{
		EwsStatus	s;

		ews_status_set(&s, EWS_ErrorMessageSubmissionBlocked,
					   "This store has no mail transport: SendOnly and SendAndSaveCopy cannot send; save with SaveOnly.");
		for (int i = 0; i < n; i++)
			emit(arg, i, NULL, &s);
		return;
	}
	for (int i = 0; i < n; i++)
		refs[i] = in[i].ref;
	batch_init(&b, ctx, n);
	batch_resolve_items(&b, refs, EWS_NEED_WRITE);
	for (int i = 0; i < n; i++)
	{
		/* a change naming its item by a calendar occurrence id: the reader's answer */
		if (in[i].ref.id == NULL && in[i].error != EWS_NoError)
			ews_status_set(&b.st[i], in[i].error, in[i].error_text);
		if (b.mbx[i] < 0)
			continue;
		/* what the request itself got wrong comes after the id's own errors */
		if (in[i].error != EWS_NoError)
		{
			ews_status_set(&b.st[i], in[i].error, in[i].error_text);
			b.mbx[i] = -1;
			continue;
		}
		for (int e = 0; e < in[i].nedits; e++)
			if (in[i].edits[e].error != EWS_NoError)
			{
				ews_status_set(&b.st[i], in[i].edits[e].error, in[i].edits[e].error_text);
				b.mbx[i] = -1;
				break;
			}
		if (b.mbx[i] >= 0)
			batch_add_folder(&b, b.mbx[i], b.folder[i]);
	}
	batch_lock(&b);

	input_scope_init(&scope);
	for (int i = 0; i < n; i++)
	{
		int			m = b.mbx[i];
		LockedItem	it;
		EwsItemWritten out;
		bool		ok = false;

		input_begin(&scope);
		memset(&out, 0, sizeof(out));
		if (m >= 0)
		{
			const EwsMailbox *mb = &b.mbs[m].mb;

			if (!batch_locked(&b, m, b.folder[i]) || !lock_item(mb, b.local[i], true, &it))
				ews_status_set(&b.st[i], EWS_ErrorItemNotFound, NULL);
			else if (it.folder_id != b.folder[i])
				elog(ERROR, "item " INT64_FORMAT " changed folder under its id", b.local[i]);
			/*
			 * ConflictResolution: only NeverOverwrite refuses a ChangeKey that
			 * is not the current one (MS-OXWSCORE 3.1.4.9.4.1); AutoResolve and
			 * AlwaysOverwrite write over whatever changed since, as DavMail
			 * (always AlwaysOverwrite, with the ChangeKey FindItem gave it) needs.
			 */
			else if (cr == EWS_CONFLICT_NEVER_OVERWRITE && b.ck[i] == 0)
				ews_status_set(&b.st[i], EWS_ErrorChangeKeyRequiredForWriteOperations, NULL);
			else if (cr == EWS_CONFLICT_NEVER_OVERWRITE && b.ck[i] != it.change_number)
				ews_status_set(&b.st[i], EWS_ErrorIrresolvableConflict, NULL);
			else
			{
				EwsEditTarget t;
				EwsEditResult res;
				size_t		merged_len;

				memset(&t, 0, sizeof(t));
				t.blob = (const uint8 *) VARDATA(it.blob);
				t.len = VARSIZE(it.blob) - VARHDRSZ;
				t.seed = (uint64) b.local[i];
				if (ews_item_edit_apply(&t, in[i].edits, in[i].nedits, &res, &b.st[i]) &&
					ews_item_check_blob(res.blob, res.len, &merged_len, &b.st[i]))
				{
					EwsExistingItem old;
					EwsFolder	f;
					EwsBlobProp cls;

					old.local_id = b.local[i];
					old.change_number = it.change_number;
					old.content_cn = it.content_cn;
					old.is_associated = it.is_associated;
					old.is_read = it.is_read;
					folder_of(mb, it.folder_id, &f);
					ews_item_write(ctx, &f, &old, 0, it.is_associated, res.read_flag_only, res.blob,
								   res.len, merged_len, &out.item_id, &out.change_key);
					if (ews_blob_find(res.blob, res.len, EWS_TAG_MESSAGE_CLASS, &cls))
						out.element = ews_item_element(pnstrdup((const char *) cls.value, cls.len));
					else
						out.element = "Item";
					ok = true;
				}
			}
		}
		emit(arg, i, ok ? &out : NULL, &b.st[i]);
		input_end(&scope);
	}
	input_scope_done(&scope);
}
