/*
 * sqlface_items.c
 *	  The SQL twins of FindItem and GetItem: ews_find_items and
 *	  ews_get_items return typed rows.  They unpack arguments, call the same
 *	  store core as the SOAP face (finditem.c) and turn its rows into
 *	  tuples; no rule lives here.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "finditem.h"
#include "getitem.h"
#include "item.h"
#include "soap.h"
#include "sqlface.h"

/*
 * The item columns both functions return, in this order, after the id
 * columns: what FindItem's summary shows, typed.
 */
static const EwsColumn summary_cols[] = {
	EWS_C_ITEM_CLASS, EWS_C_SUBJECT, EWS_C_RECEIVED_AT, EWS_C_SENT_AT,
	EWS_C_CREATED_AT, EWS_C_LAST_MODIFIED, EWS_C_SIZE, EWS_C_IS_READ,
	EWS_C_IMPORTANCE, EWS_C_SENSITIVITY, EWS_C_HAS_ATTACHMENTS, EWS_C_FROM_TEXT,
	EWS_C_DISPLAY_TO, EWS_C_DISPLAY_CC, EWS_C_INTERNET_MESSAGE_ID, EWS_C_CATEGORIES,
	EWS_C_MESSAGE_FLAGS, EWS_C_FLAG_STATUS, EWS_C_IMAP_DELETED, EWS_C_ARTICLE_NUMBER,
	EWS_C_IS_ASSOCIATED,
};
#define SUMMARY_COLS lengthof(summary_cols)

/* the summary columns of a row into values[0..SUMMARY_COLS) */
static void
summary_datums(const EwsItemRow *row, Datum *values, bool *nulls)
{
	for (int i = 0; i < SUMMARY_COLS; i++)
	{
		EwsColumn	c = summary_cols[i];

		nulls[i] = row == NULL || row->isnull[c];
		if (nulls[i])
		{
			values[i] = (Datum) 0;
			continue;
		}
		if (c == EWS_C_IMPORTANCE || c == EWS_C_SENSITIVITY)
		{
			/* by their EWS names, as item:Importance and item:Sensitivity show them */
			int			v = (int) ews_row_int(row, c);
			const char *name = c == EWS_C_IMPORTANCE ? ews_importance_name(v) : ews_sensitivity_name(v);

			values[i] = ews_text_or_null(name, &nulls[i]);
		}
		else if (ews_item_cols[c].type == INT2OID || ews_item_cols[c].type == INT4OID)
			values[i] = Int32GetDatum((int32) ews_row_int(row, c));
		else
			values[i] = row->vals[c];
	}
}

/* UTF-8 text of the codecs as a text datum in the database encoding */
static Datum
ews_utf8_to_text(const char *s)
{
	if (GetDatabaseEncoding() != PG_UTF8 && GetDatabaseEncoding() != PG_SQL_ASCII)
		s = pg_any_to_server(s, strlen(s), PG_UTF8);
	return CStringGetTextDatum(s);
}

static void
require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/* ---- ews_find_items ---- */

/* item_id, change_key, the summary, total_items_in_view, includes_last_item_in_range */
#define FIND_COLS (2 + SUMMARY_COLS + 2)

typedef struct FindRows
{
	ReturnSetInfo *rsinfo;
	EwsPage		page;
} FindRows;

static void
find_rows_page(void *arg, const EwsFolder *folder, const EwsPage *page)
{
	((FindRows *) arg)->page = *page;
}

static void
find_rows_row(void *arg, int index, const EwsItemRow *row, const EwsStatus *st)
{
	FindRows   *fr = arg;
	Datum		values[FIND_COLS + EWS_STATUS_COLS];
	bool		nulls[FIND_COLS + EWS_STATUS_COLS] = {0};

	values[0] = CStringGetTextDatum(ews_id_text(row->guid, EWS_ID_KIND_ITEM, row->item_id));
	values[1] = CStringGetTextDatum(ews_change_key_text(EWS_CK_KIND_ITEM, row->change_number));
	summary_datums(row, values + 2, nulls + 2);
	values[2 + SUMMARY_COLS] = Int32GetDatum(fr->page.total);
	values[3 + SUMMARY_COLS] = BoolGetDatum(fr->page.includes_last);
	ews_status_datums(st, values + FIND_COLS, nulls + FIND_COLS);
	tuplestore_putvalues(fr->rsinfo->setResult, fr->rsinfo->setDesc, values, nulls);
}

/*
 * ews_find_items(parent_folder_id, traversal, restriction, sort_order,
 *                page_offset, max_entries, base_point)
 */
PG_FUNCTION_INFO_V1(ews_find_items_sql);
Datum
ews_find_items_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	EwsFolderRef ref = {0};
	EwsItemQuery q;
	EwsStatus	st;
	FindRows	fr;
	char	   *traversal;
	char	   *base_point;

	require_arg(fcinfo, 1, "traversal");
	require_arg(fcinfo, 4, "page_offset");
	require_arg(fcinfo, 6, "base_point");
	memset(&q, 0, sizeof(q));
	traversal = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strcmp(traversal, "Shallow") == 0)
		q.associated = false;
	else if (strcmp(traversal, "Associated") == 0)
		q.associated = true;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid traversal \"%s\"", traversal),
				 errhint("Use Shallow or Associated.")));
	if (!PG_ARGISNULL(2))
		q.restriction = soap_restriction_from_text(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	if (!PG_ARGISNULL(3))
	{
		char	  **keys = ews_text_array(PG_GETARG_ARRAYTYPE_P(3), &q.nsort);

		if (q.nsort > EWS_MAX_SORT_KEYS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("a sort order has at most %d keys", EWS_MAX_SORT_KEYS)));
		q.sort = palloc0(sizeof(EwsSortKey) * Max(q.nsort, 1));
		for (int i = 0; i < q.nsort; i++)
		{
			if (keys[i] == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("sort_order must not hold nulls")));
			soap_sort_key_from_text(keys[i], &q.sort[i]);
		}
	}
	q.view.kind = EWS_VIEW_INDEXED;
	q.view.offset = PG_GETARG_INT32(4);
	q.view.has_max = !PG_ARGISNULL(5);
	q.view.max = q.view.has_max ? PG_GETARG_INT32(5) : 0;
	base_point = text_to_cstring(PG_GETARG_TEXT_PP(6));
	if (strcmp(base_point, "End") == 0)
		q.view.from_end = true;
	else if (strcmp(base_point, "Beginning") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid base point \"%s\"", base_point),
				 errhint("Use Beginning or End.")));
	ref.id = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));

	InitMaterializedSRF(fcinfo, 0);
	memset(&fr, 0, sizeof(fr));
	fr.rsinfo = rsinfo;
	ews_ctx_begin(&ctx);
	if (!ews_item_find(&ctx, &ref, &q, find_rows_page, find_rows_row, &fr, &st))
	{
		/* the folder, the view or the restriction cannot be used: one error row */
		Datum		values[FIND_COLS + EWS_STATUS_COLS];
		bool		nulls[FIND_COLS + EWS_STATUS_COLS];

		for (int i = 0; i < FIND_COLS; i++)
			nulls[i] = true;
		ews_status_datums(&st, values + FIND_COLS, nulls + FIND_COLS);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	ews_ctx_end(&ctx);
	return (Datum) 0;
}

/* ---- ews_get_items ---- */

/*
 * item_id, change_key, parent_folder_id, parent_change_key, the summary,
 * then what the message holds: headers, body, body_type, text_body,
 * sender, to/cc/bcc recipients, reply_to, in_reply_to, references, mime
 */
#define GET_MSG_COLS 12
#define GET_COLS (4 + SUMMARY_COLS + GET_MSG_COLS)

/* an address list as text[] of "Name <address>" (or the address alone) */
static Datum
address_array(const EwsMimeAddressList *l, bool *isnull)
{
	Datum	   *elems;

	*isnull = l->n == 0;
	if (l->n == 0)
		return (Datum) 0;
	elems = palloc(sizeof(Datum) * l->n);
	for (size_t i = 0; i < l->n; i++)
	{
		const EwsMimeAddress *a = &l->v[i];
		char	   *s = a->name ? psprintf("%s <%s>", a->name, a->address) : pstrdup(a->address);

		elems[i] = ews_utf8_to_text(s);
	}
	return PointerGetDatum(construct_array(elems, (int) l->n, TEXTOID, -1, false, TYPALIGN_INT));
}

typedef struct GetRows
{
	ReturnSetInfo *rsinfo;
	const EwsItemRef *refs;
} GetRows;

static void
get_rows_row(void *arg, int index, const EwsItemRow *row, const EwsStatus *st)
{
	GetRows    *gr = arg;
	Datum		values[GET_COLS + EWS_STATUS_COLS];
	bool		nulls[GET_COLS + EWS_STATUS_COLS] = {0};

	if (row == NULL)
	{
		for (int i = 0; i < GET_COLS; i++)
			nulls[i] = true;
	}
	else
	{
		EwsItemView view;
		const uint8 *mime;
		size_t		len;
		int			k = 4 + SUMMARY_COLS;
		const EwsMimeMessage *m;
		bool		is_html;
		size_t		blen;
		char	   *body;

		/* the id as requested (ids have one spelling) */
		values[0] = CStringGetTextDatum(gr->refs[index].id);
		values[1] = CStringGetTextDatum(ews_change_key_text(EWS_CK_KIND_ITEM, row->change_number));
		values[2] = CStringGetTextDatum(ews_id_text(row->guid, EWS_ID_KIND_FOLDER, row->folder_id));
		values[3] = CStringGetTextDatum(ews_change_key_text(EWS_CK_KIND_FOLDER, row->folder_change));
		summary_datums(row, values + 4, nulls + 4);
		nulls[k] = row->isnull[EWS_C_HEADERS];
		values[k] = row->vals[EWS_C_HEADERS];
		ews_item_view_init(&view, row);
		body = ews_item_body(&view, EWS_BODY_BEST, &is_html, &blen);
		values[k + 1] = ews_utf8_to_text(body);
		values[k + 2] = CStringGetTextDatum(is_html ? "HTML" : "Text");
		body = ews_item_body(&view, EWS_BODY_TEXT, &is_html, &blen);
		values[k + 3] = ews_utf8_to_text(body);
		m = ews_item_message(&view);
		if (m != NULL)
		{
			const EwsMimeAddressList *sender = m->fields.sender.n > 0 ? &m->fields.sender : &m->fields.from;

			/* the Sender field, else the first author */
			nulls[k + 4] = sender->n == 0;
			if (sender->n > 0)
				values[k + 4] = ews_utf8_to_text(sender->v[0].name ?
												 psprintf("%s <%s>", sender->v[0].name, sender->v[0].address) :
												 sender->v[0].address);
			values[k + 5] = address_array(&m->fields.to, &nulls[k + 5]);
			values[k + 6] = address_array(&m->fields.cc, &nulls[k + 6]);
			values[k + 7] = address_array(&m->fields.bcc, &nulls[k + 7]);
			values[k + 8] = address_array(&m->fields.reply_to, &nulls[k + 8]);
			nulls[k + 9] = m->fields.in_reply_to == NULL;
			if (!nulls[k + 9])
				values[k + 9] = ews_utf8_to_text(m->fields.in_reply_to);
			nulls[k + 10] = m->fields.references == NULL;
			if (!nulls[k + 10])
				values[k + 10] = ews_utf8_to_text(m->fields.references);
		}
		else
			for (int c = 4; c <= 10; c++)
				nulls[k + c] = true;
		if (ews_item_mime(&view, &mime, &len))
		{
			bytea	   *b = palloc(VARHDRSZ + len);

			SET_VARSIZE(b, VARHDRSZ + len);
			memcpy(VARDATA(b), mime, len);
			values[k + 11] = PointerGetDatum(b);
		}
		else
			nulls[k + 11] = true;
	}
	ews_status_datums(st, values + GET_COLS, nulls + GET_COLS);
	tuplestore_putvalues(gr->rsinfo->setResult, gr->rsinfo->setDesc, values, nulls);
}

/* ews_get_items(item_ids, change_keys) */
PG_FUNCTION_INFO_V1(ews_get_items_sql);
Datum
ews_get_items_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EwsCtx		ctx;
	char	  **ids;
	char	  **cks;
	int			n;
	int			ncks;
	EwsItemRef *refs;
	EwsItemNeeds needs;
	GetRows		gr;

	require_arg(fcinfo, 0, "item_ids");
	ids = ews_text_array(PG_GETARG_ARRAYTYPE_P(0), &n);
	cks = ews_text_array_opt(fcinfo, 1, &ncks);
	if (cks != NULL && ncks != n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("change_keys must have as many elements as item_ids")));
	refs = palloc0(sizeof(EwsItemRef) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		refs[i].id = ids[i];
		refs[i].change_key = cks ? cks[i] : NULL;
	}
	memset(&needs, 0, sizeof(needs));
	needs.blob = true;
	needs.cols[EWS_C_HEADERS] = true;

	InitMaterializedSRF(fcinfo, 0);
	gr.rsinfo = rsinfo;
	gr.refs = refs;
	ews_ctx_begin(&ctx);
	ews_item_get_batch(&ctx, refs, n, &needs, get_rows_row, &gr);
	ews_ctx_end(&ctx);
	return (Datum) 0;
}
