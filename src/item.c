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
					  EwsExportEmit emit, void *arg)
{
	/*
	 * One query per mailbox for the whole batch, not one per id: per-id
	 * statements cost more than the lookup itself for small items.  The
	 * query returns toast pointers; each blob is fetched (detoasted) only
	 * when its row is emitted, so memory holds one blob at a time.
	 */
	static EwsPlan plan = {
		"SELECT item_id, change_number, blob FROM ews.item"
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
		rows = ews_exec(&plan, args, NULL, true, 0);
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

	/* 3: answer in request order */
	for (int i = 0; i < n; i++)
	{
		EwsExportedItem out = {0};
		FoundItem	key;
		FoundItem  *hit;

		CHECK_FOR_INTERRUPTS();
		if (mbx[i] < 0)
		{
			emit(arg, i, NULL, &st[i]);
			continue;
		}
		key.mailbox = mbx[i];
		key.local_id = local[i];
		hit = nfound ? bsearch(&key, found, nfound, sizeof(FoundItem), found_cmp) : NULL;
		if (hit == NULL)
		{
			ews_status_set(&st[i], EWS_ErrorItemNotFound, NULL);
			emit(arg, i, NULL, &st[i]);
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
		if (detoast)
			pfree(out.blob);
		pfree(out.change_key);
	}
}


/* ---- writing items ---- */

/*
 * The statements that write an item: its identity and store columns, the
 * blob, then every column extracted from the blob (extract.h), in that
 * order.  Built once from the column table, never from input.
 */
#define ITEM_FIXED_ARGS 9		/* mailbox, item, folder, change number, article,
								 * created cn, content cn, associated, blob */

static EwsPlan insert_plan;
static EwsPlan update_plan;

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
	update_plan.sql = upd.data;
	insert_plan.sql = ins.data;
}

/* the item a write replaces: its row, locked */
typedef struct ExistingItem
{
	int64		local_id;
	bool		is_associated;
	bool		is_read;
} ExistingItem;

/*
 * The store's part of every write: a new change number, the blob with the
 * two store-maintained properties stamped in, the extracted columns, the
 * folder's content state; then the one INSERT (new item) or UPDATE (the
 * existing item, same folder).  The parent's content is locked
 * (resolve_parent), so the change number is taken after the lock.  data has
 * passed ews_blob_validate and the size checks.
 */
static void
write_item(EwsCtx *ctx, const EwsFolder *parent, const ExistingItem *existing, bool is_associated,
		   const uint8 *data, size_t len, size_t merged_len,
		   char **item_id, char **change_key)
{
	int64		cn = ews_next_change_number();
	int64		local_id = existing ? existing->local_id : ews_next_local_id();
	int64		article = 0;
	uint8		lmt[8];
	uint8		ck[12];
	EwsBlobProp over[2];
	bytea	   *blob;
	EwsItemColumns cols;
	Datum		args[ITEM_FIXED_ARGS + EWS_ITEM_NCOLS];
	char		nulls[ITEM_FIXED_ARGS + EWS_ITEM_NCOLS];
	bool		is_read;

	prepare_write_plans();

	/* tags ascend: PidTagLastModificationTime < PidTagChangeKey */
	ews_put_le64(lmt, (uint64) ews_filetime_from_timestamp(GetCurrentTimestamp()));
	ews_changekey_bytes(EWS_CK_KIND_ITEM, (uint64) cn, ck);
	over[0].tag = EWS_TAG_LAST_MODIFICATION_TIME;
	over[0].len = 8;
	over[0].value = lmt;
	over[1].tag = EWS_TAG_CHANGE_KEY;
	over[1].len = 12;
	over[1].value = ck;
	blob = palloc(VARHDRSZ + merged_len);
	SET_VARSIZE(blob, VARHDRSZ + merged_len);
	ews_blob_merge(data, len, over, 2, (uint8 *) VARDATA(blob));
	ews_item_columns((const uint8 *) VARDATA(blob), merged_len, &cols);
	is_read = DatumGetBool(cols.values[EWS_COL_IS_READ]);

	if (existing)
		ews_content_change(&ctx->content, &parent->mailbox_id, parent->folder_id,
						   existing->is_associated, existing->is_read, is_associated, is_read, cn);
	else
		article = ews_content_add(&ctx->content, &parent->mailbox_id, parent->folder_id,
								  is_associated, is_read, cn);

	memset(nulls, ' ', sizeof(nulls));
	args[0] = UUIDPGetDatum(&parent->mailbox_id);
	args[1] = Int64GetDatum(local_id);
	args[2] = Int64GetDatum(parent->folder_id);
	args[3] = Int64GetDatum(cn);
	args[4] = Int64GetDatum(article);	/* the update does not use it */
	args[5] = Int64GetDatum(cn);	/* created_cn */
	args[6] = Int64GetDatum(cn);	/* content_cn */
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
	}
	else
		ews_exec(&insert_plan, args, nulls, false, 0);
	pfree(blob);

	*item_id = ews_id_text(parent->guid, EWS_ID_KIND_ITEM, local_id);
	*change_key = ews_change_key_text(EWS_CK_KIND_ITEM, cn);
}

/*
 * The blob checks of every write: the size limit (ews.max_item_size), then
 * everything ews_blob_validate checks; on success *merged_len is the size
 * the blob will have with the store's two properties, which must also fit
 * the limit, so that what is exported can always be uploaded again.
 */
static bool
check_blob(const uint8 *data, size_t len, size_t *merged_len, EwsStatus *st)
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

/*
 * The parent of a write, resolved; a missing folder is
 * ErrorParentFolderNotFound.  Nothing is locked yet: every check of the
 * input comes first, then lock_parent.
 */
static bool
resolve_parent(EwsCtx *ctx, const EwsFolderRef *ref, EwsFolder *out, EwsStatus *st)
{
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
lock_parent(EwsCtx *ctx, const EwsFolder *parent, EwsStatus *st)
{
	if (!ews_content_lock(&ctx->content, &parent->mailbox_id, &parent->folder_id, 1))
	{
		ews_status_set(st, EWS_ErrorParentFolderNotFound, NULL);
		return false;
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
		"SELECT folder_id, change_number, is_associated, is_read FROM ews.item"
		" WHERE mailbox_id = $1 AND item_id = $2 FOR UPDATE",
		2, {UUIDOID, INT8OID}
	};
	EwsFolder	parent;
	EwsObjectId oid;
	bool		named = false;	/* an item id to update was given and decoded */
	int64		ck_change = 0;	/* the change key's number; 0: none was sent */
	bool		existing = false;
	ExistingItem old;
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
	if (!check_blob(in->data, in->len, &merged_len, st))
		return;
	if (!lock_parent(ctx, &parent, st))
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
			old.is_associated = ews_col_bool(0, 3);
			old.is_read = ews_col_bool(0, 4);
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
	write_item(ctx, &parent, existing ? &old : NULL, in->is_associated, in->data, in->len, merged_len,
			   item_id, change_key);
}

/* ---- CreateItem from an RFC 5322 message ---- */

static void *
mime_alloc(void *ctx, size_t size)
{
	return palloc(size);
}

void
ews_item_create_from_mime(EwsCtx *ctx, const EwsFolderRef *parent, const uint8 *mime, size_t len,
						  char **item_id, char **change_key, EwsStatus *st)
{
	static const char class_text[] = "IPM.Note";
	EwsFolder	folder;
	EwsMimeInfo info;
	EwsMimeStatus ms;
	EwsBlobProp props[6];
	int			n = 0;
	uint8		delivery[8];
	uint8		flags[4] = {0};	/* unread */
	size_t		size;
	uint8	   *blob;
	EwsBlobStatus bs;
	size_t		merged_len;
	size_t		limit = (size_t) ews_max_item_size;

	*item_id = NULL;
	*change_key = NULL;
	ews_status_ok(st);
	if (!resolve_parent(ctx, parent, &folder, st))
		return;
	/* the raw message goes into the blob whole: refuse before parsing what cannot fit */
	if (len > limit)
	{
		ews_status_set(st, EWS_ErrorDataSizeLimitExceeded,
					   psprintf("The message exceeds the size limit: %zu bytes, ews.max_item_size is %zu bytes.",
								len, limit));
		return;
	}
	ms = ews_mime_parse(mime, len, &info, mime_alloc, NULL);
	if (ms != EWS_MIME_OK)
	{
		ews_status_set(st, EWS_ErrorCorruptData,
					   psprintf("Cannot create an item from this MIME content: %s.", ews_mime_status_text(ms)));
		return;
	}

	/*
	 * Delivery time: the topmost Received: header is when our side of the
	 * transport got it; without one, the Date: the sender wrote; else now.
	 */
	ews_put_le64(delivery, (uint64) (info.has_received ? info.received :
									 info.has_date ? info.date :
									 ews_filetime_from_timestamp(GetCurrentTimestamp())));

	/* in ascending tag order, as the writer requires */
	props[n++] = (EwsBlobProp) {EWS_TAG_MESSAGE_CLASS, sizeof(class_text) - 1, (const uint8 *) class_text};
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
	blob = palloc(size);
	bs = ews_blob_encode(props, n, blob, size);
	if (bs != EWS_BLOB_OK)
		elog(ERROR, "could not encode the item blob: %s", ews_blob_status_text(bs));
	/* the same checks as an upload: the limit includes the store's properties */
	if (!check_blob(blob, size, &merged_len, st))
	{
		pfree(blob);
		return;
	}
	if (!lock_parent(ctx, &folder, st))
	{
		pfree(blob);
		return;
	}
	write_item(ctx, &folder, NULL, false, blob, size, merged_len, item_id, change_key);
	pfree(blob);
}
