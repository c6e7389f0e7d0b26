/*
 * sqlface_sync.c
 *	  The SQL twins of SyncFolderItems and SyncFolderHierarchy, and the
 *	  tombstone trimming function.  They unpack arguments, call src/sync.c
 *	  and turn its results into rows; no rule lives here.
 *
 * A sync function returns one row per change, in the order to apply them,
 * then one row without change_type; every row carries the next sync state
 * and whether the page is the last.  A state the folder cannot use, or a
 * folder that cannot be synced, is that one last row with its EWS error
 * (and no state), as the other functions answer errors.  A programming
 * error (a NULL folder id, max_changes outside 1..512, an unknown scope)
 * raises.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "sqlface.h"
#include "sync.h"

/* ---- ews_sync_folder_items ---- */

#define ITEM_SYNC_COLS 12

static void
put_item_row(ReturnSetInfo *rsinfo, const EwsSyncItemsResult *res, const EwsSyncItem *it,
			 const EwsStatus *st)
{
	Datum		values[ITEM_SYNC_COLS + EWS_STATUS_COLS];
	bool		nulls[ITEM_SYNC_COLS + EWS_STATUS_COLS];

	memset(nulls, true, sizeof(nulls));
	if (it != NULL)
	{
		const char *guid = res->folder.guid;
		bool		shown = it->change == EWS_SYNC_CREATE || it->change == EWS_SYNC_UPDATE;

		values[0] = CStringGetTextDatum(ews_sync_change_name(it->change));
		values[1] = CStringGetTextDatum(ews_id_text(guid, EWS_ID_KIND_ITEM, it->item_id));
		nulls[0] = nulls[1] = false;
		if (it->change != EWS_SYNC_DELETE)
		{
			values[2] = CStringGetTextDatum(ews_change_key_text(EWS_CK_KIND_ITEM, it->change_number));
			values[3] = BoolGetDatum(it->is_read);
			nulls[2] = nulls[3] = false;
		}
		if (shown)
		{
			values[4] = ews_text_or_null(it->item_class, &nulls[4]);
			values[5] = ews_text_or_null(it->subject, &nulls[5]);
			values[6] = TimestampTzGetDatum(it->received_at);
			nulls[6] = !it->has_received;
			values[7] = Int32GetDatum(it->size);
			nulls[7] = false;
			values[9] = Int64GetDatum(it->article_number);
			nulls[9] = false;
		}
		if (it->change != EWS_SYNC_DELETE)
		{
			values[8] = BoolGetDatum(it->is_associated);
			nulls[8] = false;
		}
	}
	values[10] = ews_text_or_null(res->state, &nulls[10]);
	values[11] = BoolGetDatum(res->includes_last);
	nulls[11] = false;
	ews_status_datums(st, values + ITEM_SYNC_COLS, nulls + ITEM_SYNC_COLS);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

PG_FUNCTION_INFO_V1(ews_sync_folder_items_sql);
Datum
ews_sync_folder_items_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	EwsSyncItemsArgs args;
	EwsSyncItemsResult res;
	EwsStatus	st;
	char	   *scope;
	char	  **ignore;
	int			n_ignore;

	memset(&args, 0, sizeof(args));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sync_folder_id must not be null")));
	if (PG_ARGISNULL(2) || PG_GETARG_INT32(2) < 1 || PG_GETARG_INT32(2) > EWS_SYNC_MAX_CHANGES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_changes must be between 1 and %d", EWS_SYNC_MAX_CHANGES)));
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sync_scope must not be null")));
	scope = text_to_cstring(PG_GETARG_TEXT_PP(3));
	if (strcmp(scope, "NormalItems") == 0)
		args.associated = false;
	else if (strcmp(scope, "NormalAndAssociatedItems") == 0)
		args.associated = true;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid sync scope \"%s\"", scope),
				 errhint("Use NormalItems or NormalAndAssociatedItems.")));
	args.folder.id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	args.state = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	args.max_changes = PG_GETARG_INT32(2);
	ignore = ews_text_array_opt(fcinfo, 4, &n_ignore);
	args.ignore = (const char *const *) ignore;
	args.n_ignore = n_ignore;

	InitMaterializedSRF(fcinfo, 0);
	ews_ctx_begin(&ctx);
	if (ews_sync_items(&ctx, &args, &res, &st))
	{
		for (int i = 0; i < res.n; i++)
			put_item_row(rsinfo, &res, &res.items[i], &st);
	}
	put_item_row(rsinfo, &res, NULL, &st);
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

/* ---- ews_sync_folder_hierarchy ---- */

#define FOLDER_SYNC_COLS 13

static void
put_folder_row(ReturnSetInfo *rsinfo, const EwsSyncHierarchyResult *res, const EwsSyncFolder *sf,
			   const EwsStatus *st)
{
	Datum		values[FOLDER_SYNC_COLS + EWS_STATUS_COLS];
	bool		nulls[FOLDER_SYNC_COLS + EWS_STATUS_COLS];

	memset(nulls, true, sizeof(nulls));
	if (sf != NULL)
	{
		const EwsFolder *f = &sf->folder;

		values[0] = CStringGetTextDatum(ews_sync_change_name(sf->change));
		values[1] = CStringGetTextDatum(ews_id_text(f->guid, EWS_ID_KIND_FOLDER, f->folder_id));
		nulls[0] = nulls[1] = false;
		if (sf->change != EWS_SYNC_DELETE)
		{
			values[2] = CStringGetTextDatum(ews_change_key_text(EWS_CK_KIND_FOLDER, f->change_number));
			values[3] = CStringGetTextDatum(ews_id_text(f->guid, EWS_ID_KIND_FOLDER, f->parent_id));
			values[4] = CStringGetTextDatum(ews_change_key_text(EWS_CK_KIND_FOLDER, f->parent_change));
			nulls[2] = nulls[3] = nulls[4] = false;
			values[5] = ews_text_or_null(f->display_name, &nulls[5]);
			values[6] = ews_text_or_null(f->folder_class, &nulls[6]);
			values[7] = ews_text_or_null(f->distinguished, &nulls[7]);
			values[8] = Int32GetDatum(f->total_count);
			values[9] = Int32GetDatum(f->child_count);
			values[10] = Int32GetDatum(f->unread_count);
			nulls[8] = nulls[9] = nulls[10] = false;
		}
	}
	values[11] = ews_text_or_null(res->state, &nulls[11]);
	values[12] = BoolGetDatum(res->includes_last);
	nulls[12] = false;
	ews_status_datums(st, values + FOLDER_SYNC_COLS, nulls + FOLDER_SYNC_COLS);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

PG_FUNCTION_INFO_V1(ews_sync_folder_hierarchy_sql);
Datum
ews_sync_folder_hierarchy_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	EwsFolderRef ref = {0};
	EwsSyncHierarchyResult res;
	EwsStatus	st;
	const char *state;

	/* no folder: the root of the mailbox this transaction acts for (ews_act_as) */
	if (PG_ARGISNULL(0))
		ref.distinguished = "root";
	else
		ref.id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	state = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));

	InitMaterializedSRF(fcinfo, 0);
	ews_ctx_begin(&ctx);
	if (ews_sync_hierarchy(&ctx, &ref, !PG_ARGISNULL(0), state, &res, &st))
	{
		for (int i = 0; i < res.n; i++)
			put_folder_row(rsinfo, &res, &res.folders[i], &st);
	}
	put_folder_row(rsinfo, &res, NULL, &st);
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

/* ---- ews_trim_tombstones ---- */

PG_FUNCTION_INFO_V1(ews_trim_tombstones_sql);
Datum
ews_trim_tombstones_sql(PG_FUNCTION_ARGS)
{
	EwsCtx		ctx;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	int64		max_age = -1,
				max_count = -1;
	int64		items,
				folders;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (!PG_ARGISNULL(0))
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(0);
		/* months and days as PostgreSQL counts them in an epoch: 30 days and a day */
		double		secs = ((double) iv->month * DAYS_PER_MONTH + iv->day) * SECS_PER_DAY +
			(double) iv->time / USECS_PER_SEC;

		if (!(secs > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_age must be positive")));
		max_age = secs >= (double) (PG_INT64_MAX / 4) ? PG_INT64_MAX / 4 : Max((int64) secs, 1);
	}
	if (!PG_ARGISNULL(1))
	{
		if (PG_GETARG_INT32(1) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_count must not be negative")));
		max_count = PG_GETARG_INT32(1);
	}

	ews_ctx_begin(&ctx);
	/* maintenance of every mailbox: an administrator's job, whoever may execute it */
	if (!ews_caller_is_admin(&ctx))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to trim tombstones"),
				 errdetail("Only superusers and members of the ews admin role may trim tombstones.")));
	ews_sync_trim_all(&ctx, max_age, max_count, &items, &folders);
	ews_ctx_end(&ctx);
	values[0] = Int64GetDatum(items);
	values[1] = Int64GetDatum(folders);
	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
