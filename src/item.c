/*
 * item.c
 *	  Item operations: the rules of ExportItems and UploadItems (and
 *	  CreateItem from a MIME message) live here.
 *
 * An item is stored as its blob (blob.h): ExportItems hands back the stored
 * bytes and computes nothing else.  Every write (create, upload, update)
 * stamps the two store-maintained properties into the blob, PidTagLast-
 * ModificationTime and PidTagChangeKey, and extracts the few columns that
 * queries and folder counts need (class, subject, size, delivery time, read
 * flag, associated flag).  A refused item writes nothing: every check is
 * made before the one INSERT or UPDATE, so no subtransaction is needed.
 */
#include "item.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "blob.h"
#include "ews.h"
#include "extract.h"
#include "itemwrite.h"
#include "mime.h"

/* ---- ExportItems ---- */

/* one row the batch lookup found */
typedef struct FoundItem
{
	int			mailbox;		/* index into the batch's mailboxes */
	int64		local_id;
	SPITupleTable *tuptable;
	uint64		row;
} FoundItem;

static int
found_cmp(const void *a, const void *b)
{
	const FoundItem *x = a;
	const FoundItem *y = b;

	if (x->mailbox != y->mailbox)
		return x->mailbox < y->mailbox ? -1 : 1;
	if (x->local_id != y->local_id)
		return x->local_id < y->local_id ? -1 : 1;
	return 0;
}

void
ews_item_export_batch(EwsCtx *ctx, const EwsItemRef *refs, int n, bool detoast,
					  EwsExportPlan plan, EwsExportEmit emit, void *arg)
{
	/*
	 * One query per mailbox for the whole batch, not one per id: per-id
	 * statements cost more than the lookup itself for small items.  The
	 * query returns toast pointers; each blob is fetched (detoasted) only
	 * when its row is emitted, so memory holds one blob at a time.  Its
	 * stored size comes along (octet_length reads it from the toast
	 * pointer, without fetching the blob), for the plan.
	 */
	static EwsPlan lookup_plan = {
		"SELECT item_id, change_number, blob, pg_catalog.octet_length(blob) FROM ews.item"
		" WHERE mailbox_id = $1 AND item_id = ANY ($2)",
		2, {UUIDOID, INT8ARRAYOID}
	};
	EwsStatus  *st = palloc(sizeof(EwsStatus) * Max(n, 1));
	int		   *mbx = palloc(sizeof(int) * Max(n, 1));
	int64	   *local = palloc(sizeof(int64) * Max(n, 1));
	EwsMailbox *mailboxes = palloc(sizeof(EwsMailbox) * Max(n, 1));
	int			nmailboxes = 0;
	FoundItem  *found = NULL;
	int			nfound = 0;
	Datum	   *ids = palloc(sizeof(Datum) * Max(n, 1));
	FoundItem **hits;
	int			stop = n;
	MemoryContext input_cxt;

	/* 1: decode every id and find its mailbox */
	for (int i = 0; i < n; i++)
	{
		EwsObjectId oid;
		int64		ck_change;
		int			m;

		CHECK_FOR_INTERRUPTS();
		mbx[i] = -1;
		ews_status_ok(&st[i]);
		if (!ews_object_id_decode(refs[i].id, refs[i].change_key, EWS_ID_KIND_ITEM,
								  &oid, &ck_change, &st[i]))
			continue;
		for (m = 0; m < nmailboxes; m++)
			if (strcmp(mailboxes[m].guid, oid.mailbox) == 0)
				break;
		if (m == nmailboxes)
		{
			if (!ews_mailbox_by_guid(ctx, oid.mailbox, EWS_NEED_READ, &mailboxes[m], &st[i]))
				continue;
			nmailboxes++;
		}
		mbx[i] = m;
		local[i] = (int64) oid.local_id;
	}

	/* 2: one lookup per mailbox */
	for (int m = 0; m < nmailboxes; m++)
	{
		int			nids = 0;
		Datum		args[2];
		uint64		rows;

		for (int i = 0; i < n; i++)
			if (mbx[i] == m)
				ids[nids++] = Int64GetDatum(local[i]);
		args[0] = UUIDPGetDatum(&mailboxes[m].id);
		args[1] = PointerGetDatum(construct_array(ids, nids, INT8OID, sizeof(int64),
												  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		CHECK_FOR_INTERRUPTS();
		rows = ews_exec(&lookup_plan, args, NULL, true, 0);
		if (rows == 0)
			continue;
		found = found ? repalloc(found, sizeof(FoundItem) * (nfound + rows))
			: palloc(sizeof(FoundItem) * rows);
		for (uint64 r = 0; r < rows; r++)
		{
			found[nfound].mailbox = m;
			found[nfound].local_id = ews_col_int64(r, 1);
			found[nfound].tuptable = SPI_tuptable;	/* kept below */
			found[nfound].row = r;
			nfound++;
		}
		/* the rows are read in step 3, after the next mailbox's query */
		(void) ews_keep_result();
	}
	if (nfound > 1)
		qsort(found, nfound, sizeof(FoundItem), found_cmp);

	/* 3: the stored sizes, and how many inputs to export */
	hits = palloc(sizeof(FoundItem *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		FoundItem	key;

		hits[i] = NULL;
		if (mbx[i] < 0 || nfound == 0)
			continue;
		key.mailbox = mbx[i];
		key.local_id = local[i];
		hits[i] = bsearch(&key, found, nfound, sizeof(FoundItem), found_cmp);
	}
	if (plan != NULL)
	{
		int64	   *sizes = palloc(sizeof(int64) * Max(n, 1));

		for (int i = 0; i < n; i++)
		{
			bool		isnull;

			sizes[i] = hits[i] == NULL ? -1 :
				DatumGetInt32(SPI_getbinval(hits[i]->tuptable->vals[hits[i]->row],
											hits[i]->tuptable->tupdesc, 4, &isnull));
		}
		stop = plan(arg, sizes, n);
		pfree(sizes);
	}

	/*
	 * 4: answer in request order, each input in a memory context of its own
	 * (the detoasted blob, the ChangeKey text, what emit builds), reset after
	 * it: a batch holds one input's work at a time.
	 */
	input_cxt = AllocSetContextCreate(CurrentMemoryContext, "ews export input", ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < stop; i++)
	{
		EwsExportedItem out = {0};
		FoundItem  *hit = hits[i];
		MemoryContext outer;

		CHECK_FOR_INTERRUPTS();
		outer = MemoryContextSwitchTo(input_cxt);
		if (mbx[i] < 0)
		{
			emit(arg, i, NULL, &st[i]);
			MemoryContextSwitchTo(outer);
			MemoryContextReset(input_cxt);
			continue;
		}
		if (hit == NULL)
		{
			ews_status_set(&st[i], EWS_ErrorItemNotFound, NULL);
			emit(arg, i, NULL, &st[i]);
			MemoryContextSwitchTo(outer);
			MemoryContextReset(input_cxt);
			continue;
		}
		{
			HeapTuple	tup = hit->tuptable->vals[hit->row];
			TupleDesc	desc = hit->tuptable->tupdesc;
			bool		isnull;
			int64		cn = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
			Datum		blob = SPI_getbinval(tup, desc, 3, &isnull);

			/* the id as sent: decoding accepts only the canonical spelling */
			out.item_id = (char *) refs[i].id;
			out.change_key = ews_change_key_text(EWS_CK_KIND_ITEM, cn);
			/*
			 * The blob is exported as stored.  Without detoast it stays the
			 * toast pointer the row holds: a set-returning function's rows go
			 * into a tuplestore that spills to a temporary file beyond
			 * work_mem, and writing and reading back every byte of a batch of
			 * large items there made ExportItems several times slower than a
			 * plain SELECT of the same blobs.  A toast pointer is what
			 * PostgreSQL's own SQL functions put in that tuplestore; the bytes
			 * are fetched once, by whoever reads them.
			 */
			out.blob = detoast ? (bytea *) PG_DETOAST_DATUM_COPY(blob) : (bytea *) DatumGetPointer(blob);
		}
		emit(arg, i, &out, &st[i]);
		MemoryContextSwitchTo(outer);
		MemoryContextReset(input_cxt);
	}
	MemoryContextDelete(input_cxt);
}


/* ---- writing items: the shared write path is in itemwrite.c ---- */

/*
 * The parent of a write, resolved; a missing folder is
 * ErrorParentFolderNotFound.  Nothing is locked yet: every check of the
 * input comes first, then lock_parent.
 */
static bool
same_text(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static char *
cache_strdup(EwsCtx *ctx, const char *s)
{
	return s == NULL ? NULL : MemoryContextStrdup(ctx->content.cxt, s);
}

static bool
resolve_parent(EwsCtx *ctx, const EwsFolderRef *ref, EwsFolder *out, EwsStatus *st)
{
	/*
	 * The parent of the previous write of this call, named the same way and
	 * content-locked by it since: the lock keeps the folder where and what
	 * it was (a delete, move or rename of it waits for us), and the access
	 * decision is the one this call already made.  A batch into one folder
	 * (UploadItems, ews_upload_items) resolves its parent once.
	 */
	if (ctx->parent_cache_valid &&
		same_text(ref->id, ctx->parent_cache_ref.id) &&
		same_text(ref->change_key, ctx->parent_cache_ref.change_key) &&
		same_text(ref->distinguished, ctx->parent_cache_ref.distinguished) &&
		same_text(ref->mailbox, ctx->parent_cache_ref.mailbox) &&
		ews_content_locked(&ctx->content, &ctx->parent_cache.mailbox_id, ctx->parent_cache.folder_id))
	{
		ews_status_ok(st);
		*out = ctx->parent_cache;
		return true;
	}
	if (!ews_folder_resolve(ctx, ref, EWS_NEED_WRITE, false, out, st))
	{
		if (st->code == EWS_ErrorFolderNotFound)
			ews_status_set(st, EWS_ErrorParentFolderNotFound, NULL);
		return false;
	}
	return true;
}

/*
 * Lock the parent's content state (content.h) before the write takes its
 * change number or locks any item row: folder before item, always, so two
 * writes cannot wait for each other in opposite orders.  Item writes do not
 * take the hierarchy lock; a HardDelete of the folder that committed
 * meanwhile makes this write ErrorParentFolderNotFound instead of failing
 * the statement with a foreign key violation, and one still running waits
 * for us and then deletes the new item with its folder.
 */
static bool
lock_parent(EwsCtx *ctx, const EwsFolderRef *ref, const EwsFolder *parent, EwsStatus *st)
{
	if (!ews_content_lock(&ctx->content, &parent->mailbox_id, &parent->folder_id, 1))
	{
		ews_status_set(st, EWS_ErrorParentFolderNotFound, NULL);
		return false;
	}
	/* remembered for the next write of this call (resolve_parent), in memory that outlives it */
	if (!ctx->parent_cache_valid || ctx->parent_cache.folder_id != parent->folder_id ||
		memcmp(&ctx->parent_cache.mailbox_id, &parent->mailbox_id, sizeof(pg_uuid_t)) != 0 ||
		!same_text(ref->id, ctx->parent_cache_ref.id) ||
		!same_text(ref->change_key, ctx->parent_cache_ref.change_key) ||
		!same_text(ref->distinguished, ctx->parent_cache_ref.distinguished) ||
		!same_text(ref->mailbox, ctx->parent_cache_ref.mailbox))
	{
		ctx->parent_cache_valid = false;
		ctx->parent_cache = *parent;
		ctx->parent_cache.display_name = cache_strdup(ctx, parent->display_name);
		ctx->parent_cache.folder_class = cache_strdup(ctx, parent->folder_class);
		ctx->parent_cache.distinguished = cache_strdup(ctx, parent->distinguished);
		ctx->parent_cache_ref.id = cache_strdup(ctx, ref->id);
		ctx->parent_cache_ref.change_key = cache_strdup(ctx, ref->change_key);
		ctx->parent_cache_ref.distinguished = cache_strdup(ctx, ref->distinguished);
		ctx->parent_cache_ref.mailbox = cache_strdup(ctx, ref->mailbox);
		ctx->parent_cache_valid = true;
	}
	return true;
}

bool
ews_upload_action_from_name(const char *name, EwsUploadAction *action)
{
	if (strcmp(name, "CreateNew") == 0)
		*action = EWS_UPLOAD_CREATE_NEW;
	else if (strcmp(name, "Update") == 0)
		*action = EWS_UPLOAD_UPDATE;
	else if (strcmp(name, "UpdateOrCreate") == 0)
		*action = EWS_UPLOAD_UPDATE_OR_CREATE;
	else
		return false;
	return true;
}

void
ews_item_upload(EwsCtx *ctx, const EwsUploadInput *in, char **item_id, char **change_key, EwsStatus *st)
{
	static EwsPlan lock_plan = {
		"SELECT folder_id, change_number, is_associated, is_read, content_cn FROM ews.item"
		" WHERE mailbox_id = $1 AND item_id = $2 FOR UPDATE",
		2, {UUIDOID, INT8OID}
	};
	EwsFolder	parent;
	EwsObjectId oid;
	bool		named = false;	/* an item id to update was given and decoded */
	int64		ck_change = 0;	/* the change key's number; 0: none was sent */
	bool		existing = false;
	EwsExistingItem old;
	size_t		merged_len;

	*item_id = NULL;
	*change_key = NULL;
	ews_status_ok(st);

	/* 1: the parent folder */
	if (!resolve_parent(ctx, &in->parent, &parent, st))
		return;

	/*
	 * 2: the item to update, checked for form.  CreateNew ignores any ItemId
	 * sent, as Exchange does.  UpdateOrCreate without an ItemId creates.
	 */
	if (in->action == EWS_UPLOAD_UPDATE ||
		(in->action == EWS_UPLOAD_UPDATE_OR_CREATE && in->item_id != NULL))
	{
		if (!ews_object_id_decode(in->item_id, in->change_key, EWS_ID_KIND_ITEM,
								  &oid, &ck_change, st))
			return;
		named = true;
	}

	/* 3: the blob, before any row is locked */
	if (!ews_item_check_blob(in->data, in->len, &merged_len, st))
		return;
	if (!lock_parent(ctx, &in->parent, &parent, st))
		return;

	/*
	 * 4: does the item exist in THAT parent folder?  An item of another
	 * mailbox or another folder is not there: Update answers
	 * ErrorItemNotFound, UpdateOrCreate creates a new item.  The row lock
	 * keeps the change key check true until the UPDATE.
	 */
	if (named && strcmp(oid.mailbox, parent.guid) == 0)
	{
		Datum		args[2];

		args[0] = UUIDPGetDatum(&parent.mailbox_id);
		args[1] = Int64GetDatum((int64) oid.local_id);
		if (ews_exec(&lock_plan, args, NULL, false, 1) == 1 &&
			ews_col_int64(0, 1) == parent.folder_id)
		{
			existing = true;
			old.local_id = (int64) oid.local_id;
			old.change_number = ews_col_int64(0, 2);
			old.is_associated = ews_col_bool(0, 3);
			old.is_read = ews_col_bool(0, 4);
			old.content_cn = ews_col_int64(0, 5);
			/*
			 * Overwriting an item needs its current change key: an update
			 * based on an older version of the item must not silently undo
			 * the changes made since (DESIGN.md: no update is lost).
			 */
			if (ck_change == 0)
			{
				ews_status_set(st, EWS_ErrorChangeKeyRequiredForWriteOperations, NULL);
				return;
			}
			if (ck_change != ews_col_int64(0, 2))
			{
				ews_status_set(st, EWS_ErrorIrresolvableConflict, NULL);
				return;
			}
		}
	}
	if (in->action == EWS_UPLOAD_UPDATE && !existing)
	{
		ews_status_set(st, EWS_ErrorItemNotFound, NULL);
		return;
	}

	/* 5: write */
	ews_item_write(ctx, &parent, existing ? &old : NULL, 0, in->is_associated, false, in->data, in->len,
				   merged_len, item_id, change_key);
}

/* ---- CreateItem from an RFC 5322 message ---- */

static void *
mime_alloc(void *ctx, size_t size)
{
	return palloc(size);
}

/*
 * The blob of an item made from a message: PidTagMessageClass, the subject
 * (unfolded, RFC 2047 decoded), PidTagInternetMessageId as sent,
 * PidTagMessageDeliveryTime, PidTagMessageFlags 0 (unread) and the message
 * itself (0x7E01).  Everything else the item shows (From, recipients, the
 * body, ...) is read from the message (extract.c, getitem.c).
 */
bool
ews_item_blob_from_mime(const uint8 *mime, size_t len, const char *item_class, uint8 **blob,
						size_t *blob_len, EwsStatus *st)
{
	EwsMimeInfo info;
	EwsMimeStatus ms;
	EwsBlobProp props[6];
	int			n = 0;
	uint8		delivery[8];
	uint8		flags[4] = {0};	/* unread */
	size_t		size;
	EwsBlobStatus bs;
	size_t		limit = (size_t) ews_max_item_size;

	/* the raw message goes into the blob whole: refuse before parsing what cannot fit */
	if (len > limit)
	{
		ews_status_set(st, EWS_ErrorDataSizeLimitExceeded,
					   psprintf("The message exceeds the size limit: %zu bytes, ews.max_item_size is %zu bytes.",
								len, limit));
		return false;
	}
	ms = ews_mime_parse(mime, len, &info, mime_alloc, NULL);
	if (ms != EWS_MIME_OK)
	{
		ews_status_set(st, EWS_ErrorCorruptData,
					   psprintf("Cannot create an item from this MIME content: %s.", ews_mime_status_text(ms)));
		return false;
	}

	/*
	 * Delivery time: the topmost Received: header is when our side of the
	 * transport got it; without one, the Date: the sender wrote; else now.
	 */
	ews_put_le64(delivery, (uint64) (info.has_received ? info.received :
									 info.has_date ? info.date :
									 ews_filetime_from_timestamp(GetCurrentTimestamp())));

	/* in ascending tag order, as the writer requires */
	props[n++] = (EwsBlobProp) {EWS_TAG_MESSAGE_CLASS, (uint32) strlen(item_class), (const uint8 *) item_class};
	if (info.subject != NULL)
		props[n++] = (EwsBlobProp) {EWS_TAG_SUBJECT, (uint32) strlen(info.subject), (const uint8 *) info.subject};
	props[n++] = (EwsBlobProp) {EWS_TAG_DELIVERY_TIME, 8, delivery};
	props[n++] = (EwsBlobProp) {EWS_TAG_MESSAGE_FLAGS, 4, flags};
	if (info.message_id != NULL)
		props[n++] = (EwsBlobProp) {EWS_TAG_INTERNET_MESSAGE_ID, (uint32) strlen(info.message_id),
		(const uint8 *) info.message_id};
	props[n++] = (EwsBlobProp) {EWS_TAG_RFC822, (uint32) len, mime};

	size = ews_blob_encoded_size(props, n);
	if (size == 0)
		elog(ERROR, "the properties of a parsed message do not encode");
	*blob = palloc(size);
	bs = ews_blob_encode(props, n, *blob, size);
	if (bs != EWS_BLOB_OK)
		elog(ERROR, "could not encode the item blob: %s", ews_blob_status_text(bs));
	*blob_len = size;
	return true;
}

void
ews_item_create_from_mime(EwsCtx *ctx, const EwsFolderRef *parent, const uint8 *mime, size_t len,
						  char **item_id, char **change_key, EwsStatus *st)
{
	EwsFolder	folder;
	uint8	   *blob;
	size_t		size;
	size_t		merged_len;

	*item_id = NULL;
	*change_key = NULL;
	ews_status_ok(st);
	if (!resolve_parent(ctx, parent, &folder, st))
		return;
	if (!ews_item_blob_from_mime(mime, len, "IPM.Note", &blob, &size, st))
		return;
	/* the same checks as an upload: the limit includes the store's properties */
	if (!ews_item_check_blob(blob, size, &merged_len, st) || !lock_parent(ctx, parent, &folder, st))
	{
		pfree(blob);
		return;
	}
	ews_item_write(ctx, &folder, NULL, 0, false, false, blob, size, merged_len, item_id, change_key);
	pfree(blob);
}
