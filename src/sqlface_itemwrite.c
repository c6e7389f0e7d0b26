/*
 * sqlface_itemwrite.c
 *	  The SQL twins of the item and folder writes: ews_create_items,
 *	  ews_update_items, ews_delete_items, ews_move_items, ews_copy_items,
 *	  ews_update_folders and ews_empty_folders.  They unpack arguments, call
 *	  the same store core as the SOAP face (itemwrite.c, folder.c) and turn
 *	  its answers into rows; no rule lives here.
 *
 * Batch rules, as for the other functions: one row per input, in input
 * order; a failure of one input is a row with its EWS code, never an
 * exception, and never stops the others.  A programming error (a NULL
 * array, arrays of different lengths, an unknown delete type, an item or
 * update that is not well-formed EWS XML) raises before anything is
 * written.  Items and updates are given as the EWS XML a SOAP request
 * holds (the prefix t: is bound to the types namespace), read by the same
 * readers, so both faces take exactly the same properties.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "folder.h"
#include "itemwrite.h"
#include "soap.h"
#include "sqlface.h"

static void
require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

static void
require_same_length(const char *name, int n, const char *first, int first_n)
{
	if (n != first_n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s has %d elements, %s has %d", name, n, first, first_n),
				 errdetail("The arrays of one call describe the same inputs, element by element.")));
}

static char *
text_arg(FunctionCallInfo fcinfo, int argno)
{
	return PG_ARGISNULL(argno) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

static EwsDeleteType
delete_type_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *s = text_arg(fcinfo, argno);
	EwsDeleteType t = EWS_DELETE_HARD;

	if (s != NULL && !ews_delete_type_from_name(s, &t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid delete type \"%s\"", s),
				 errhint("Use HardDelete, SoftDelete or MoveToDeletedItems.")));
	return t;
}

/* the ids as references; a NULL element is an empty id (ErrorInvalidIdMalformed), as in ews_export_items */
static EwsItemRef *
item_refs(char **ids, int n)
{
	EwsItemRef *refs = palloc0(sizeof(EwsItemRef) * Max(n, 1));

	for (int i = 0; i < n; i++)
		refs[i].id = ids[i];
	return refs;
}

/* the rows (item_id, change_key, status...) of the item writes */
static void
put_item_row(void *arg, int index, const EwsItemWritten *out, const EwsStatus *st)
{
	ReturnSetInfo *rsinfo = arg;
	Datum		values[2 + EWS_STATUS_COLS];
	bool		nulls[2 + EWS_STATUS_COLS] = {0};

	values[0] = ews_text_or_null(out ? out->item_id : NULL, &nulls[0]);
	values[1] = ews_text_or_null(out ? out->change_key : NULL, &nulls[1]);
	ews_status_datums(st, values + 2, nulls + 2);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* DeleteItem's rows: the id as given, and the status */
typedef struct DeleteRows
{
	ReturnSetInfo *rsinfo;
	char	  **ids;
} DeleteRows;

static void
put_delete_row(void *arg, int index, const EwsItemWritten *out, const EwsStatus *st)
{
	DeleteRows *r = arg;
	Datum		values[1 + EWS_STATUS_COLS];
	bool		nulls[1 + EWS_STATUS_COLS] = {0};

	values[0] = ews_text_or_null(r->ids[index], &nulls[0]);
	ews_status_datums(st, values + 1, nulls + 1);
	tuplestore_putvalues(r->rsinfo->setResult, r->rsinfo->setDesc, values, nulls);
}

/* ---- ews_create_items(parent_folder_id, items, mime) ---- */

PG_FUNCTION_INFO_V1(ews_create_items_sql);
Datum
ews_create_items_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	EwsFolderRef ref = {0};
	char	  **xml = NULL;
	int			nxml = 0;
	Datum	   *mime = NULL;
	bool	   *mime_nulls = NULL;
	int			nmime = 0;
	int			n;
	EwsCreateInput *in;

	require_arg(fcinfo, 0, "parent_folder_id");
	ref.id = text_arg(fcinfo, 0);
	xml = ews_text_array_opt(fcinfo, 1, &nxml);
	if (!PG_ARGISNULL(2))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(2);

		if (ARR_NDIM(arr) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("mime must be one-dimensional")));
		deconstruct_array(arr, BYTEAOID, -1, false, TYPALIGN_INT, &mime, &mime_nulls, &nmime);
	}
	if (xml == NULL && mime == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("items and mime must not both be null")));
	n = xml ? nxml : nmime;
	if (xml && mime)
		require_same_length("mime", nmime, "items", nxml);

	/* every item read before anything is written: a bad one raises */
	in = palloc0(sizeof(EwsCreateInput) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		bool		has_mime = mime != NULL && !mime_nulls[i];

		CHECK_FOR_INTERRUPTS();
		if (xml != NULL && xml[i] != NULL)
			soap_create_input_from_text(xml[i], &in[i]);
		else if (has_mime)
			in[i].element = "Message";
		else
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("item %d has neither properties nor MIME", i + 1)));
		if (has_mime)
		{
			bytea	   *b = DatumGetByteaPP(mime[i]);

			if (in[i].mime != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("item %d has its MIME twice, in t:MimeContent and in mime", i + 1)));
			in[i].mime = (const uint8 *) VARDATA_ANY(b);
			in[i].mime_len = VARSIZE_ANY_EXHDR(b);
		}
	}

	InitMaterializedSRF(fcinfo, 0);
	ews_ctx_begin(&ctx);
	ews_item_create_batch(&ctx, &ref, EWS_DISPOSITION_SAVE_ONLY, in, n, put_item_row, rsinfo);
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

/* ---- ews_update_items(item_ids, updates, change_keys, conflict_resolution) ---- */

PG_FUNCTION_INFO_V1(ews_update_items_sql);
Datum
ews_update_items_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	char	  **ids;
	char	  **updates;
	char	  **cks;
	int			n,
				nupdates,
				ncks;
	char	   *cr_name;
	EwsConflictResolution cr = EWS_CONFLICT_AUTO_RESOLVE;
	EwsUpdateInput *in;

	require_arg(fcinfo, 0, "item_ids");
	require_arg(fcinfo, 1, "updates");
	ids = ews_text_array(PG_GETARG_ARRAYTYPE_P(0), &n);
	updates = ews_text_array(PG_GETARG_ARRAYTYPE_P(1), &nupdates);
	require_same_length("updates", nupdates, "item_ids", n);
	cks = ews_text_array_opt(fcinfo, 2, &ncks);
	if (cks != NULL)
		require_same_length("change_keys", ncks, "item_ids", n);
	cr_name = text_arg(fcinfo, 3);
	if (cr_name != NULL && !ews_conflict_resolution_from_name(cr_name, &cr))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid conflict resolution \"%s\"", cr_name),
				 errhint("Use NeverOverwrite, AutoResolve or AlwaysOverwrite.")));

	in = palloc0(sizeof(EwsUpdateInput) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (updates[i] == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("updates must not hold NULL (element %d)", i + 1)));
		in[i].ref.id = ids[i];
		in[i].ref.change_key = cks ? cks[i] : NULL;
		soap_item_updates_from_text(updates[i], &in[i].edits, &in[i].nedits);
	}

	InitMaterializedSRF(fcinfo, 0);
	ews_ctx_begin(&ctx);
	ews_item_update_batch(&ctx, cr, EWS_DISPOSITION_SAVE_ONLY, in, n, put_item_row, rsinfo);
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

/* ---- ews_delete_items(item_ids, delete_type) ---- */

PG_FUNCTION_INFO_V1(ews_delete_items_sql);
Datum
ews_delete_items_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	char	  **ids;
	int			n;
	EwsDeleteType type;
	EwsItemRef *refs;
	DeleteRows	rows;

	require_arg(fcinfo, 0, "item_ids");
	ids = ews_text_array(PG_GETARG_ARRAYTYPE_P(0), &n);
	type = delete_type_arg(fcinfo, 1);
	refs = item_refs(ids, n);
	InitMaterializedSRF(fcinfo, 0);
	rows.rsinfo = rsinfo;
	rows.ids = ids;
	ews_ctx_begin(&ctx);
	ews_item_delete_batch(&ctx, type, refs, n, put_delete_row, &rows);
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

/* ---- ews_move_items(to_folder_id, item_ids), ews_copy_items(...) ---- */

static Datum
move_copy_items(FunctionCallInfo fcinfo, bool copy)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	EwsFolderRef target = {0};
	char	  **ids;
	int			n;
	EwsItemRef *refs;

	require_arg(fcinfo, 0, "to_folder_id");
	require_arg(fcinfo, 1, "item_ids");
	target.id = text_arg(fcinfo, 0);
	ids = ews_text_array(PG_GETARG_ARRAYTYPE_P(1), &n);
	refs = item_refs(ids, n);
	InitMaterializedSRF(fcinfo, 0);
	ews_ctx_begin(&ctx);
	ews_item_move_batch(&ctx, copy, &target, refs, n, true, put_item_row, rsinfo);
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(ews_move_items_sql);
Datum
ews_move_items_sql(PG_FUNCTION_ARGS)
{
	return move_copy_items(fcinfo, false);
}

PG_FUNCTION_INFO_V1(ews_copy_items_sql);
Datum
ews_copy_items_sql(PG_FUNCTION_ARGS)
{
	return move_copy_items(fcinfo, true);
}

/* ---- ews_update_folders(folder_ids, updates) ---- */

PG_FUNCTION_INFO_V1(ews_update_folders_sql);
Datum
ews_update_folders_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	char	  **ids;
	char	  **updates;
	int			n,
				nupdates;
	EwsFolderUpdate *u;
	MemoryContext input_cxt,
				old;

	require_arg(fcinfo, 0, "folder_ids");
	require_arg(fcinfo, 1, "updates");
	ids = ews_text_array(PG_GETARG_ARRAYTYPE_P(0), &n);
	updates = ews_text_array(PG_GETARG_ARRAYTYPE_P(1), &nupdates);
	require_same_length("updates", nupdates, "folder_ids", n);
	u = palloc0(sizeof(EwsFolderUpdate) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (updates[i] == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("updates must not hold NULL (element %d)", i + 1)));
		soap_folder_updates_from_text(updates[i], &u[i]);
	}

	InitMaterializedSRF(fcinfo, 0);
	ews_ctx_begin(&ctx);
	input_cxt = AllocSetContextCreate(CurrentMemoryContext, "ews update folder input", ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < n; i++)
	{
		EwsFolderRef ref = {0};
		EwsFolder	f;
		EwsStatus	st;
		Datum		values[2 + EWS_STATUS_COLS];
		bool		nulls[2 + EWS_STATUS_COLS] = {0};

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(input_cxt);
		ref.id = ids[i];
		ews_folder_update(&ctx, &ref, &u[i], &f, &st);
		if (st.code == EWS_NoError)
		{
			values[0] = CStringGetTextDatum(ews_id_text(f.guid, EWS_ID_KIND_FOLDER, f.folder_id));
			values[1] = CStringGetTextDatum(ews_change_key_text(EWS_CK_KIND_FOLDER, f.change_number));
		}
		else
			nulls[0] = nulls[1] = true;
		ews_status_datums(&st, values + 2, nulls + 2);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(input_cxt);
	}
	MemoryContextDelete(input_cxt);
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

/* ---- ews_empty_folders(folder_ids, delete_type, delete_subfolders) ---- */

PG_FUNCTION_INFO_V1(ews_empty_folders_sql);
Datum
ews_empty_folders_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	char	  **ids;
	int			n;
	EwsDeleteType type;
	bool		subfolders;
	MemoryContext input_cxt,
				old;

	require_arg(fcinfo, 0, "folder_ids");
	ids = ews_text_array(PG_GETARG_ARRAYTYPE_P(0), &n);
	type = delete_type_arg(fcinfo, 1);
	require_arg(fcinfo, 2, "delete_subfolders");
	subfolders = PG_GETARG_BOOL(2);

	InitMaterializedSRF(fcinfo, 0);
	ews_ctx_begin(&ctx);
	input_cxt = AllocSetContextCreate(CurrentMemoryContext, "ews empty folder input", ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < n; i++)
	{
		EwsFolderRef ref = {0};
		EwsStatus	st;
		Datum		values[1 + EWS_STATUS_COLS];
		bool		nulls[1 + EWS_STATUS_COLS] = {0};

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(input_cxt);
		ref.id = ids[i];
		ews_folder_empty(&ctx, &ref, type, subfolders, &st);
		values[0] = ews_text_or_null(ids[i], &nulls[0]);
		ews_status_datums(&st, values + 1, nulls + 1);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(input_cxt);
	}
	MemoryContextDelete(input_cxt);
	ews_ctx_end(&ctx);
	return (Datum) 0;
}
