/*
 * sqlface.c
 *	  The SQL face: fmgr wrappers that unpack arguments, call the store core
 *	  and turn its results into rows.  No rule lives here.
 *
 * Batch functions return one row per input, in input order; a failure of
 * one object is a row with its EWS response code, never an exception.  A
 * programming error (a NULL array, an unknown traversal) raises.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "actas.h"
#include "ews.h"
#include "folder.h"
#include "mailbox.h"
#include "sqlface.h"
#include "utils/memutils.h"

char **
ews_text_array(ArrayType *arr, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("id arrays must be one-dimensional")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc0(sizeof(char *) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		out[i] = nulls[i] ? NULL : TextDatumGetCString(elems[i]);
	return out;
}

char **
ews_text_array_opt(FunctionCallInfo fcinfo, int argno, int *n)
{
	if (PG_ARGISNULL(argno))
	{
		*n = 0;
		return NULL;
	}
	return ews_text_array(PG_GETARG_ARRAYTYPE_P(argno), n);
}

Datum
ews_text_or_null(const char *s, bool *isnull)
{
	*isnull = (s == NULL);
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

void
ews_status_datums(const EwsStatus *st, Datum *values, bool *nulls)
{
	values[0] = CStringGetTextDatum(ews_code_class(st->code));
	values[1] = CStringGetTextDatum(ews_code_name(st->code));
	nulls[0] = nulls[1] = false;
	if (st->code == EWS_NoError)
	{
		nulls[2] = true;
		values[2] = (Datum) 0;
	}
	else
	{
		nulls[2] = false;
		values[2] = CStringGetTextDatum(ews_status_text(st));
	}
	if (st->mailbox_guid[0])
	{
		nulls[3] = false;
		values[3] = DirectFunctionCall1(uuid_in, CStringGetDatum(st->mailbox_guid));
	}
	else
	{
		nulls[3] = true;
		values[3] = (Datum) 0;
	}
}

/*
 * ews.max_batch_size holds for both faces: a larger batch is refused before
 * anything is done, as a programming error of the caller (it chose the
 * batch), with the limit's name so that it can split it.
 */
static void
require_batch_size(const char *what, int n)
{
	if (n > ews_max_batch_size)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%d %s exceed ews.max_batch_size (%d)", n, what, ews_max_batch_size),
				 errhint("Split the batch, or have a superuser raise ews.max_batch_size.")));
}

/*
 * Each input of a batch runs in a memory context of its own, reset after
 * it (core's per-tuple idiom): its row is copied into the result's
 * tuplestore, and nothing else of it is kept, so a batch of 200 000 ids
 * holds one input's work at a time instead of all of them.
 */
static MemoryContext
input_context(void)
{
	return AllocSetContextCreate(CurrentMemoryContext, "ews SQL input", ALLOCSET_DEFAULT_SIZES);
}

static void
require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/* a SQL-face folder reference: the id string itself */
static EwsFolderRef
ref_from_id(const char *id)
{
	EwsFolderRef ref = {0};

	ref.id = id;
	return ref;
}

/* ---- ews_create_mailbox(smtp_address, display_name, owner) ---- */

PG_FUNCTION_INFO_V1(ews_create_mailbox_sql);
Datum
ews_create_mailbox_sql(PG_FUNCTION_ARGS)
{
	EwsCtx		ctx;
	char	   *smtp;
	char	   *display_name;
	Oid			owner;
	pg_uuid_t	id;
	pg_uuid_t  *result = palloc(sizeof(pg_uuid_t));

	require_arg(fcinfo, 0, "smtp_address");
	smtp = text_to_cstring(PG_GETARG_TEXT_PP(0));
	display_name = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	owner = PG_ARGISNULL(2) ? GetUserId() : PG_GETARG_OID(2);

	ews_ctx_begin(&ctx);
	id = ews_mailbox_create(&ctx, smtp, display_name, owner);
	ews_ctx_end(&ctx);
	memcpy(result, &id, sizeof(id));
	PG_RETURN_UUID_P(result);
}

/* ---- ews_folder_id(mailbox, distinguished) ---- */

PG_FUNCTION_INFO_V1(ews_folder_id_sql);
Datum
ews_folder_id_sql(PG_FUNCTION_ARGS)
{
	EwsCtx		ctx;
	EwsFolderRef ref = {0};
	EwsFolder	f;
	EwsStatus	st;
	char	   *smtp;
	char	   *name;
	char	   *id;
	MemoryContext outer = CurrentMemoryContext;

	require_arg(fcinfo, 0, "mailbox");
	require_arg(fcinfo, 1, "distinguished");
	smtp = text_to_cstring(PG_GETARG_TEXT_PP(0));
	name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (!ews_is_distinguished_name(name))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a distinguished folder name", name),
				 errhint("Use one of inbox, drafts, sentitems, deleteditems, junkemail, outbox, calendar, contacts, tasks, notes, journal, msgfolderroot, root, ...")));
	ref.distinguished = name;
	ref.mailbox = smtp;
	ews_ctx_begin(&ctx);
	if (!ews_folder_resolve(&ctx, &ref, EWS_NEED_READ, false, &f, &st))
	{
		/* no such mailbox, or one the caller may not use: the same error */
		if (st.code == EWS_ErrorNonExistentMailbox)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("mailbox \"%s\" does not exist", smtp)));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("mailbox \"%s\" has no folder \"%s\"", smtp, name)));
	}
	{
		MemoryContext old = MemoryContextSwitchTo(outer);

		id = ews_id_text(f.guid, EWS_ID_KIND_FOLDER, f.folder_id);
		MemoryContextSwitchTo(old);
	}
	ews_ctx_end(&ctx);
	PG_RETURN_TEXT_P(cstring_to_text(id));
}

/* ---- ews_create_folder(parent_folder_id, display_name, folder_class) ---- */

PG_FUNCTION_INFO_V1(ews_create_folder_sql);
Datum
ews_create_folder_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	EwsFolderRef ref;
	EwsFolder	f;
	EwsStatus	st;
	Datum		values[2 + EWS_STATUS_COLS];
	bool		nulls[2 + EWS_STATUS_COLS] = {0};

	InitMaterializedSRF(fcinfo, 0);
	ref = ref_from_id(PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0)));
	ews_ctx_begin(&ctx);
	ews_folder_create(&ctx, &ref,
					  PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)),
					  PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)),
					  &f, &st);
	if (st.code == EWS_NoError)
	{
		values[0] = CStringGetTextDatum(ews_id_text(f.guid, EWS_ID_KIND_FOLDER, f.folder_id));
		values[1] = CStringGetTextDatum(ews_change_key_text(EWS_CK_KIND_FOLDER, f.change_number));
	}
	else
		nulls[0] = nulls[1] = true;
	ews_status_datums(&st, values + 2, nulls + 2);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

/* the folder columns of ews_get_folder and ews_find_folder */
#define FOLDER_COLS 10

static void
put_folder_row(ReturnSetInfo *rsinfo, const EwsFolder *f, const EwsStatus *st)
{
	Datum		values[FOLDER_COLS + EWS_STATUS_COLS];
	bool		nulls[FOLDER_COLS + EWS_STATUS_COLS] = {0};

	if (st->code == EWS_NoError)
	{
		values[0] = CStringGetTextDatum(ews_id_text(f->guid, EWS_ID_KIND_FOLDER, f->folder_id));
		values[1] = CStringGetTextDatum(ews_change_key_text(EWS_CK_KIND_FOLDER, f->change_number));
		if (f->parent_id != 0)
		{
			values[2] = CStringGetTextDatum(ews_id_text(f->guid, EWS_ID_KIND_FOLDER, f->parent_id));
			values[3] = CStringGetTextDatum(ews_change_key_text(EWS_CK_KIND_FOLDER, f->parent_change));
		}
		else
			nulls[2] = nulls[3] = true;
		values[4] = ews_text_or_null(f->display_name, &nulls[4]);
		values[5] = ews_text_or_null(f->folder_class, &nulls[5]);
		values[6] = ews_text_or_null(f->distinguished, &nulls[6]);
		values[7] = Int32GetDatum(f->total_count);
		values[8] = Int32GetDatum(f->child_count);
		values[9] = Int32GetDatum(f->unread_count);
	}
	else
	{
		for (int i = 0; i < FOLDER_COLS; i++)
			nulls[i] = true;
	}
	ews_status_datums(st, values + FOLDER_COLS, nulls + FOLDER_COLS);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* ---- ews_get_folder(folder_ids) ---- */

PG_FUNCTION_INFO_V1(ews_get_folder_sql);
Datum
ews_get_folder_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	char	  **ids;
	int			n;

	require_arg(fcinfo, 0, "folder_ids");
	InitMaterializedSRF(fcinfo, 0);
	ids = ews_text_array(PG_GETARG_ARRAYTYPE_P(0), &n);
	require_batch_size("folder ids", n);
	ews_ctx_begin(&ctx);
	{
		MemoryContext input_cxt = input_context();

		for (int i = 0; i < n; i++)
		{
			EwsFolderRef ref = ref_from_id(ids[i]);
			EwsFolder	f;
			EwsStatus	st;
			MemoryContext outer;

			CHECK_FOR_INTERRUPTS();
			outer = MemoryContextSwitchTo(input_cxt);
			ews_folder_get(&ctx, &ref, &f, &st);
			put_folder_row(rsinfo, &f, &st);
			MemoryContextSwitchTo(outer);
			MemoryContextReset(input_cxt);
		}
		MemoryContextDelete(input_cxt);
	}
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

/* ---- ews_find_folder(parent_folder_id, traversal) ---- */

PG_FUNCTION_INFO_V1(ews_find_folder_sql);
Datum
ews_find_folder_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	EwsFolderRef ref;
	EwsStatus	st;
	char	   *traversal;
	bool		deep;
	EwsFolderList *list;

	require_arg(fcinfo, 1, "traversal");
	traversal = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strcmp(traversal, "Shallow") == 0)
		deep = false;
	else if (strcmp(traversal, "Deep") == 0)
		deep = true;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid traversal \"%s\"", traversal),
				 errhint("Use Shallow or Deep.")));
	InitMaterializedSRF(fcinfo, 0);
	ref = ref_from_id(PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0)));
	ews_ctx_begin(&ctx);
	list = ews_folder_find_list(&ctx, &ref, deep, NULL, &st);
	if (st.code != EWS_NoError)
		put_folder_row(rsinfo, NULL, &st);
	else
	{
		/*
		 * The folders in pieces, each piece fetched (counts included) and
		 * turned into rows in a memory context reset after it: a subtree of
		 * any size streams through the tuplestore.
		 */
		MemoryContext input_cxt = input_context();
		EwsFolder  *page = palloc(sizeof(EwsFolder) * 1000);

		for (int64 j = 0; j < list->n; j += 1000)
		{
			int			count = (int) Min((int64) 1000, list->n - j);
			MemoryContext outer;

			CHECK_FOR_INTERRUPTS();
			outer = MemoryContextSwitchTo(input_cxt);
			ews_folder_find_fetch(list, j, count, true, page);
			for (int k = 0; k < count; k++)
				put_folder_row(rsinfo, &page[k], &st);
			MemoryContextSwitchTo(outer);
			MemoryContextReset(input_cxt);
		}
		MemoryContextDelete(input_cxt);
	}
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

/* ---- ews_delete_folder(folder_ids, delete_type) ---- */

PG_FUNCTION_INFO_V1(ews_delete_folder_sql);
Datum
ews_delete_folder_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	char	  **ids;
	int			n;
	char	   *dt;
	EwsDeleteType type;

	require_arg(fcinfo, 0, "folder_ids");
	require_arg(fcinfo, 1, "delete_type");
	dt = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (!ews_delete_type_from_name(dt, &type))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid delete type \"%s\"", dt),
				 errhint("Use HardDelete, SoftDelete or MoveToDeletedItems.")));
	InitMaterializedSRF(fcinfo, 0);
	ids = ews_text_array(PG_GETARG_ARRAYTYPE_P(0), &n);
	require_batch_size("folder ids", n);
	ews_ctx_begin(&ctx);
	{
		EwsFolderRef *refs = palloc0(sizeof(EwsFolderRef) * Max(n, 1));
		MemoryContext input_cxt = input_context();

		for (int i = 0; i < n; i++)
			refs[i] = ref_from_id(ids[i]);
		/* the mailboxes' hierarchy locks in a fixed order, before the first delete */
		ews_folder_lock_hierarchies(&ctx, refs, n, EWS_NEED_WRITE);
		for (int i = 0; i < n; i++)
		{
			EwsStatus	st;
			Datum		values[1 + EWS_STATUS_COLS];
			bool		nulls[1 + EWS_STATUS_COLS] = {0};
			MemoryContext outer;

			CHECK_FOR_INTERRUPTS();
			outer = MemoryContextSwitchTo(input_cxt);
			ews_folder_delete(&ctx, &refs[i], type, &st);
			values[0] = ews_text_or_null(ids[i], &nulls[0]);
			ews_status_datums(&st, values + 1, nulls + 1);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			MemoryContextSwitchTo(outer);
			MemoryContextReset(input_cxt);
		}
		MemoryContextDelete(input_cxt);
	}
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

/* ---- ews_move_folder(to_folder_id, folder_ids), ews_copy_folder(...) ---- */

/*
 * Both return per source (folder_id, change_key, ...status): the moved
 * folder's unchanged id and new ChangeKey, or the new copy's id and
 * ChangeKey.  They run inside the caller's transaction.
 */
static Datum
move_copy_sql(FunctionCallInfo fcinfo, bool copy)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	EwsFolderRef target;
	EwsFolderRef *sources;
	EwsFolder  *out;
	EwsStatus  *st;
	char	  **ids;
	int			n;

	require_arg(fcinfo, 1, "folder_ids");
	InitMaterializedSRF(fcinfo, 0);
	target = ref_from_id(PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0)));
	ids = ews_text_array(PG_GETARG_ARRAYTYPE_P(1), &n);
	require_batch_size("folder ids", n);
	sources = palloc0(sizeof(EwsFolderRef) * Max(n, 1));
	out = palloc0(sizeof(EwsFolder) * Max(n, 1));
	st = palloc0(sizeof(EwsStatus) * Max(n, 1));
	for (int i = 0; i < n; i++)
		sources[i] = ref_from_id(ids[i]);
	ews_ctx_begin(&ctx);
	if (copy)
		ews_folder_copy(&ctx, &target, sources, n, out, st);
	else
		ews_folder_move(&ctx, &target, sources, n, out, st);
	for (int i = 0; i < n; i++)
	{
		Datum		values[2 + EWS_STATUS_COLS];
		bool		nulls[2 + EWS_STATUS_COLS] = {0};

		if (st[i].code == EWS_NoError)
		{
			values[0] = CStringGetTextDatum(ews_id_text(out[i].guid, EWS_ID_KIND_FOLDER, out[i].folder_id));
			values[1] = CStringGetTextDatum(ews_change_key_text(EWS_CK_KIND_FOLDER, out[i].change_number));
		}
		else
			nulls[0] = nulls[1] = true;
		ews_status_datums(&st[i], values + 2, nulls + 2);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(ews_move_folder_sql);
Datum
ews_move_folder_sql(PG_FUNCTION_ARGS)
{
	return move_copy_sql(fcinfo, false);
}

PG_FUNCTION_INFO_V1(ews_copy_folder_sql);
Datum
ews_copy_folder_sql(PG_FUNCTION_ARGS)
{
	return move_copy_sql(fcinfo, true);
}

/* ---- items: ews_export_items, ews_upload_items, ews_create_item ---- */

#include "item.h"

/* optional array arguments must match the first one's length */
static void
require_same_length(const char *name, int n, const char *first, int first_n)
{
	if (n != first_n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s has %d elements, %s has %d", name, n, first, first_n),
				 errdetail("The arrays of one call describe the same items, element by element.")));
}

/* the item columns of ews_upload_items and ews_create_item, then the status */
static void
put_item_row(ReturnSetInfo *rsinfo, const char *item_id, const char *change_key, const EwsStatus *st)
{
	Datum		values[2 + EWS_STATUS_COLS];
	bool		nulls[2 + EWS_STATUS_COLS] = {0};

	values[0] = ews_text_or_null(item_id, &nulls[0]);
	values[1] = ews_text_or_null(change_key, &nulls[1]);
	ews_status_datums(st, values + 2, nulls + 2);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

typedef struct ExportRows
{
	ReturnSetInfo *rsinfo;
	bool		have_ok;		/* the status columns of a success, made once */
	Datum		ok_values[EWS_STATUS_COLS];
	bool		ok_nulls[EWS_STATUS_COLS];
} ExportRows;

static void
put_export_row(void *arg, int index, const EwsExportedItem *out, const EwsStatus *st)
{
	ExportRows *rows = arg;
	Datum		values[3 + EWS_STATUS_COLS];
	bool		nulls[3 + EWS_STATUS_COLS] = {0};

	if (out != NULL)
	{
		values[0] = CStringGetTextDatum(out->item_id);
		values[1] = CStringGetTextDatum(out->change_key);
		values[2] = PointerGetDatum(out->blob);
	}
	else
		nulls[0] = nulls[1] = nulls[2] = true;
	if (st->code == EWS_NoError && st->mailbox_guid[0] == '\0')
	{
		if (!rows->have_ok)
		{
			ews_status_datums(st, rows->ok_values, rows->ok_nulls);
			rows->have_ok = true;
		}
		memcpy(values + 3, rows->ok_values, sizeof(rows->ok_values));
		memcpy(nulls + 3, rows->ok_nulls, sizeof(rows->ok_nulls));
	}
	else
		ews_status_datums(st, values + 3, nulls + 3);
	tuplestore_putvalues(rows->rsinfo->setResult, rows->rsinfo->setDesc, values, nulls);
	if (out != NULL)
	{
		pfree(DatumGetPointer(values[0]));
		pfree(DatumGetPointer(values[1]));
	}
}

/* ---- ews_export_items(item_ids, change_keys) ---- */

PG_FUNCTION_INFO_V1(ews_export_items_sql);
Datum
ews_export_items_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	char	  **ids;
	char	  **cks;
	int			n;
	int			ncks;
	EwsItemRef *refs;
	ExportRows	rows;

	require_arg(fcinfo, 0, "item_ids");
	ids = ews_text_array(PG_GETARG_ARRAYTYPE_P(0), &n);
	require_batch_size("item ids", n);
	cks = ews_text_array_opt(fcinfo, 1, &ncks);
	if (cks != NULL)
		require_same_length("change_keys", ncks, "item_ids", n);
	refs = palloc0(sizeof(EwsItemRef) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		refs[i].id = ids[i];
		refs[i].change_key = cks ? cks[i] : NULL;
	}
	InitMaterializedSRF(fcinfo, 0);
	ews_ctx_begin(&ctx);
	/* the stored datum, not a detoasted copy: see ews_item_export_batch */
	memset(&rows, 0, sizeof(rows));
	rows.rsinfo = rsinfo;
	ews_item_export_batch(&ctx, refs, n, false, NULL, put_export_row, &rows);
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

/* ---- ews_upload_items(parent_folder_ids, data, create_actions, item_ids, change_keys, is_associated) ---- */

static EwsUploadAction
parse_create_action(const char *s)
{
	EwsUploadAction action = EWS_UPLOAD_CREATE_NEW;

	/* NULL is the default, CreateNew */
	if (s != NULL && !ews_upload_action_from_name(s, &action))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid create action \"%s\"", s),
				 errhint("Use CreateNew, Update or UpdateOrCreate.")));
	return action;
}

PG_FUNCTION_INFO_V1(ews_upload_items_sql);
Datum
ews_upload_items_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	char	  **parents;
	int			n;
	Datum	   *data;
	bool	   *data_nulls;
	int			ndata;
	char	  **actions;
	int			nactions;
	char	  **item_ids;
	int			nitem_ids;
	char	  **cks;
	int			ncks;
	bool	   *assoc = NULL;
	bool	   *assoc_nulls = NULL;
	int			nassoc = 0;
	EwsUploadInput *in;

	require_arg(fcinfo, 0, "parent_folder_ids");
	require_arg(fcinfo, 1, "data");
	parents = ews_text_array(PG_GETARG_ARRAYTYPE_P(0), &n);
	require_batch_size("items", n);
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);

		if (ARR_NDIM(arr) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("data must be one-dimensional")));
		deconstruct_array(arr, BYTEAOID, -1, false, TYPALIGN_INT, &data, &data_nulls, &ndata);
	}
	require_same_length("data", ndata, "parent_folder_ids", n);
	actions = ews_text_array_opt(fcinfo, 2, &nactions);
	if (actions != NULL)
		require_same_length("create_actions", nactions, "parent_folder_ids", n);
	item_ids = ews_text_array_opt(fcinfo, 3, &nitem_ids);
	if (item_ids != NULL)
		require_same_length("item_ids", nitem_ids, "parent_folder_ids", n);
	cks = ews_text_array_opt(fcinfo, 4, &ncks);
	if (cks != NULL)
		require_same_length("change_keys", ncks, "parent_folder_ids", n);
	if (!PG_ARGISNULL(5))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(5);
		Datum	   *elems;

		if (ARR_NDIM(arr) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("is_associated must be one-dimensional")));
		deconstruct_array(arr, BOOLOID, 1, true, TYPALIGN_CHAR, &elems, &assoc_nulls, &nassoc);
		require_same_length("is_associated", nassoc, "parent_folder_ids", n);
		assoc = palloc(sizeof(bool) * Max(nassoc, 1));
		for (int i = 0; i < nassoc; i++)
			assoc[i] = !assoc_nulls[i] && DatumGetBool(elems[i]);
	}

	/* every programming error is raised before anything is written */
	in = palloc0(sizeof(EwsUploadInput) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		in[i].parent.id = parents[i];
		in[i].action = parse_create_action(actions ? actions[i] : NULL);
		in[i].is_associated = assoc ? assoc[i] : false;
		in[i].item_id = item_ids ? item_ids[i] : NULL;
		in[i].change_key = cks ? cks[i] : NULL;
		if (!data_nulls[i])
		{
			bytea	   *b = DatumGetByteaPP(data[i]);

			in[i].data = (const uint8 *) VARDATA_ANY(b);
			in[i].len = VARSIZE_ANY_EXHDR(b);
		}
	}

	InitMaterializedSRF(fcinfo, 0);
	ews_ctx_begin(&ctx);
	{
		MemoryContext input_cxt = input_context();

		for (int i = 0; i < n; i++)
		{
			EwsStatus	st;
			char	   *id;
			char	   *ck;
			MemoryContext outer;

			CHECK_FOR_INTERRUPTS();
			outer = MemoryContextSwitchTo(input_cxt);
			ews_item_upload(&ctx, &in[i], &id, &ck, &st);
			put_item_row(rsinfo, id, ck, &st);
			MemoryContextSwitchTo(outer);
			MemoryContextReset(input_cxt);
		}
		MemoryContextDelete(input_cxt);
	}
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

/* ---- ews_create_item(parent_folder_id, mime) ---- */

PG_FUNCTION_INFO_V1(ews_create_item_sql);
Datum
ews_create_item_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	EwsFolderRef ref;
	EwsStatus	st;
	bytea	   *mime;
	char	   *id;
	char	   *ck;

	require_arg(fcinfo, 1, "mime");
	mime = PG_GETARG_BYTEA_PP(1);
	ref = ref_from_id(PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0)));
	InitMaterializedSRF(fcinfo, 0);
	ews_ctx_begin(&ctx);
	ews_item_create_from_mime(&ctx, &ref, (const uint8 *) VARDATA_ANY(mime), VARSIZE_ANY_EXHDR(mime),
							  &id, &ck, &st);
	put_item_row(rsinfo, id, ck, &st);
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

/* ---- access management: ews_grant, ews_revoke, ews_drop_mailbox, ews_list_mailboxes ---- */

static void
grant_or_revoke(FunctionCallInfo fcinfo, bool grant)
{
	EwsCtx		ctx;
	char	   *smtp;
	char	   *right;
	Oid			role;

	require_arg(fcinfo, 0, "mailbox");
	require_arg(fcinfo, 1, "role");
	require_arg(fcinfo, 2, "access_right");
	smtp = text_to_cstring(PG_GETARG_TEXT_PP(0));
	role = PG_GETARG_OID(1);
	right = text_to_cstring(PG_GETARG_TEXT_PP(2));
	ews_ctx_begin(&ctx);
	if (grant)
		ews_mailbox_grant(&ctx, smtp, role, right);
	else
		ews_mailbox_revoke(&ctx, smtp, role, right);
	ews_ctx_end(&ctx);
}

PG_FUNCTION_INFO_V1(ews_grant_sql);
Datum
ews_grant_sql(PG_FUNCTION_ARGS)
{
	grant_or_revoke(fcinfo, true);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ews_revoke_sql);
Datum
ews_revoke_sql(PG_FUNCTION_ARGS)
{
	grant_or_revoke(fcinfo, false);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ews_drop_mailbox_sql);
Datum
ews_drop_mailbox_sql(PG_FUNCTION_ARGS)
{
	EwsCtx		ctx;
	char	   *smtp;

	require_arg(fcinfo, 0, "smtp_address");
	smtp = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ews_ctx_begin(&ctx);
	ews_mailbox_drop(&ctx, smtp);
	ews_ctx_end(&ctx);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ews_list_mailboxes_sql);
Datum
ews_list_mailboxes_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	List	   *found;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	ews_ctx_begin(&ctx);
	found = ews_mailbox_list(&ctx);
	foreach(lc, found)
	{
		EwsMailbox *mb = (EwsMailbox *) lfirst(lc);
		Datum		values[4];
		bool		nulls[4] = {0};

		values[0] = UUIDPGetDatum(&mb->id);
		values[1] = ews_text_or_null(mb->smtp_address, &nulls[1]);
		values[2] = ews_text_or_null(mb->display_name, &nulls[2]);
		values[3] = ObjectIdGetDatum(mb->owner);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

/* ---- the acting user: ews_act_as, ews_acting_mailbox ---- */

PG_FUNCTION_INFO_V1(ews_act_as_sql);
Datum
ews_act_as_sql(PG_FUNCTION_ARGS)
{
	EwsCtx		ctx;
	EwsStatus	st;
	const char *current;
	char	   *smtp;

	/*
	 * NULL is refused, not ignored: a backend that passes "no user" must not
	 * go on with the pooled role's own rights over every mailbox it serves.
	 * Acting ends with the transaction, never before.
	 */
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("mailbox must not be null"),
				 errdetail("Acting for a user cannot be turned off inside a transaction; it ends with the transaction.")));
	smtp = text_to_cstring(PG_GETARG_TEXT_PP(0));
	/* one user per transaction: compared before any lookup, so the answer tells nothing */
	current = ews_actas_current();
	if (current != NULL && pg_strcasecmp(current, smtp) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("this transaction already acts for mailbox \"%s\"", current),
				 errhint("A transaction acts for one user; end it (COMMIT or ROLLBACK) to act for another.")));
	ews_ctx_begin_bare(&ctx);
	if (!ews_ctx_act(&ctx, smtp, &st))
		ews_act_as_refused(smtp, &st);
	ews_ctx_end(&ctx);
	ews_actas_set(current != NULL ? current : smtp);
	if (!IsTransactionBlock())
		ereport(WARNING,
				(errmsg("ews_act_as outside a transaction block acts for the mailbox in this statement only"),
				 errhint("Call it after BEGIN: it lasts until the transaction ends.")));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ews_acting_mailbox_sql);
Datum
ews_acting_mailbox_sql(PG_FUNCTION_ARGS)
{
	const char *current = ews_actas_current();

	if (current == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(current));
}

/* ---- mailbox delegates: ews_add_delegate, ews_remove_delegate, ews_list_delegates ---- */

PG_FUNCTION_INFO_V1(ews_add_delegate_sql);
Datum
ews_add_delegate_sql(PG_FUNCTION_ARGS)
{
	EwsCtx		ctx;
	char	   *smtp;
	char	   *delegate;
	char	   *permission;

	require_arg(fcinfo, 0, "mailbox");
	require_arg(fcinfo, 1, "delegate");
	require_arg(fcinfo, 2, "permission");
	smtp = text_to_cstring(PG_GETARG_TEXT_PP(0));
	delegate = text_to_cstring(PG_GETARG_TEXT_PP(1));
	permission = text_to_cstring(PG_GETARG_TEXT_PP(2));
	ews_ctx_begin(&ctx);
	ews_delegate_add(&ctx, smtp, delegate, permission);
	ews_ctx_end(&ctx);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ews_remove_delegate_sql);
Datum
ews_remove_delegate_sql(PG_FUNCTION_ARGS)
{
	EwsCtx		ctx;
	char	   *smtp;
	char	   *delegate;

	require_arg(fcinfo, 0, "mailbox");
	require_arg(fcinfo, 1, "delegate");
	smtp = text_to_cstring(PG_GETARG_TEXT_PP(0));
	delegate = text_to_cstring(PG_GETARG_TEXT_PP(1));
	ews_ctx_begin(&ctx);
	ews_delegate_remove(&ctx, smtp, delegate);
	ews_ctx_end(&ctx);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ews_list_delegates_sql);
Datum
ews_list_delegates_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	List	   *found;
	ListCell   *lc;

	require_arg(fcinfo, 0, "mailbox");
	InitMaterializedSRF(fcinfo, 0);
	ews_ctx_begin(&ctx);
	found = ews_delegate_list(&ctx, text_to_cstring(PG_GETARG_TEXT_PP(0)));
	foreach(lc, found)
	{
		EwsDelegate *d = (EwsDelegate *) lfirst(lc);
		Datum		values[2];
		bool		nulls[2] = {0};

		values[0] = CStringGetTextDatum(d->smtp_address);
		values[1] = CStringGetTextDatum(d->permission);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	ews_ctx_end(&ctx);
	return (Datum) 0;
}
