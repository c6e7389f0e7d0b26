/*
 * finditem.c
 *	  FindItem and GetItem: the restriction-to-SQL translation, sort orders,
 *	  paging, and the lookups that hand items to the faces (finditem.h).
 *
 * The statement of a FindItem is assembled from a fixed vocabulary only:
 * "i." and a column name from ews_item_cols, the operators = <> < <= > >=,
 * AND OR NOT, pg_catalog functions (lower, strpos, starts_with, unnest), COALESCE
 * COALESCE), the ews.prop_* functions for properties without a column, and
 * $n.  Every value of the request is a parameter.  Properties with a column
 * are compared there (and sorted by an index where one exists); the others
 * are read from each row's blob by ews.prop_*, which is the slow path.
 */
#include "finditem.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "base64.h"
#include "item.h"

/* ---- paging ---- */

bool
ews_page_view_check(const EwsPageView *v, EwsStatus *st)
{
	if (v->kind == EWS_VIEW_NONE)
		return true;
	if (v->has_max && v->max <= 0)
	{
		ews_status_set(st, EWS_ErrorInvalidPagingMaxRows, "MaxEntriesReturned must be greater than zero.");
		return false;
	}
	if (v->kind == EWS_VIEW_INDEXED && v->offset < 0)
	{
		ews_status_set(st, EWS_ErrorInvalidIndexedPagingParameters, "The paging offset must not be negative.");
		return false;
	}
	if (v->kind == EWS_VIEW_FRACTIONAL &&
		(v->denominator <= 0 || v->offset < 0 || v->offset > v->denominator))
	{
		ews_status_set(st, EWS_ErrorInvalidFractionalPagingParameters,
					   "The fraction Numerator/Denominator must be from 0 to 1 with a positive Denominator.");
		return false;
	}
	return true;
}

/*
 * Beginning: rows [Offset, Offset + Max).  End: the page ends Offset rows
 * before the last one, [total - Offset - Max, total - Offset), and its
 * IndexedPagingOffset is the Offset of the page before it, so a client
 * paging from the end walks backwards until IncludesLastItemInRange says it
 * reached the first row (as FindFolder does).  An offset past the end
 * gives an empty page that includes the last item.  Fractional: from
 * total * Numerator / Denominator.  No page holds more than `cap` rows:
 * a longer one ends early, and its paging attributes say where to go on.
 */
void
ews_page_window(const EwsPageView *v, int total, int cap, EwsPage *page)
{
	int64		want = v->has_max ? Min(v->max, cap) : cap;

	memset(page, 0, sizeof(*page));
	page->total = total;
	if (v->kind == EWS_VIEW_INDEXED && v->from_end)
	{
		page->stop = (int) Max((int64) total - v->offset, 0);
		page->start = (int) Max((int64) page->stop - want, 0);
		page->includes_last = page->start == 0;
		page->next_offset = total - page->start;
		return;
	}
	if (v->kind == EWS_VIEW_INDEXED)
		page->start = Min(v->offset, total);
	else if (v->kind == EWS_VIEW_FRACTIONAL)
		page->start = (int) ((int64) total * v->offset / v->denominator);
	else
		page->start = 0;
	page->stop = (int) Min((int64) page->start + want, (int64) total);
	page->includes_last = page->stop >= total;
	page->next_offset = page->stop;
	page->numerator_offset = page->stop;
}

/* ---- the statement builder ---- */

typedef struct QB
{
	bool		folder;			/* the vocabulary of ews.folder f, else of ews.item i */
	StringInfoData sql;
	int			nparams;
	int			cap;
	Oid		   *types;
	Datum	   *values;
	int			nodes;
	EwsStatus  *st;
} QB;

static void
qb_init(QB *qb, EwsStatus *st)
{
	qb->folder = false;
	initStringInfo(&qb->sql);
	qb->nparams = 0;
	qb->cap = 16;
	qb->types = palloc(sizeof(Oid) * qb->cap);
	qb->values = palloc(sizeof(Datum) * qb->cap);
	qb->nodes = 0;
	qb->st = st;
}

/* a parameter: appends $n */
static void
qb_param(QB *qb, Oid type, Datum value)
{
	if (qb->nparams == qb->cap)
	{
		qb->cap *= 2;
		qb->types = repalloc(qb->types, sizeof(Oid) * qb->cap);
		qb->values = repalloc(qb->values, sizeof(Datum) * qb->cap);
	}
	qb->types[qb->nparams] = type;
	qb->values[qb->nparams] = value;
	qb->nparams++;
	appendStringInfo(&qb->sql, "$%d", qb->nparams);
}

/* a text parameter from a UTF-8 string of the request */
static Datum
text_from_utf8(const char *s)
{
	char	   *conv = (char *) s;

	if (GetDatabaseEncoding() != PG_UTF8 && GetDatabaseEncoding() != PG_SQL_ASCII)
		conv = pg_any_to_server(s, strlen(s), PG_UTF8);
	return CStringGetTextDatum(conv);
}

static bool
qb_fail(QB *qb, EwsCode code, const char *text)
{
	ews_status_set(qb->st, code, text);
	return false;
}

/* how the SQL expression of a path is written */
typedef enum OperandHow
{
	HOW_MISSING,				/* no item has it: comparisons are false */
	HOW_TRUE,					/* computed for every item (Exists only) */
	HOW_COLUMN,					/* i.<column> */
	HOW_EXPR,					/* a fixed expression of the folder vocabulary */
	HOW_FLAG_BIT,				/* ((i.message_flags & bit) <> 0) */
	HOW_BLOB					/* ews.prop_<kind>(i.blob, ...) */
} OperandHow;

typedef struct Operand
{
	OperandHow	how;
	EwsValKind	kind;
	EwsFieldForm form;			/* the constant's form (enumerations) */
	EwsColumn	col;
	const char *expr;			/* HOW_EXPR */
	uint32		bit;
	EwsPropKey	key;
	const char *name;			/* for messages */
} Operand;

static const char *
path_name(const EwsPath *p)
{
	if (p->kind == EWS_PATH_FIELD)
		return p->uri;
	if (p->kind == EWS_PATH_INDEXED)
		return "t:IndexedFieldURI";
	return "t:ExtendedFieldURI";
}

/* resolve a path of an item to how it is queried; false (with st) if it cannot be */
static bool
item_operand(QB *qb, const EwsPath *path, Operand *o)
{
	memset(o, 0, sizeof(*o));
	o->name = path_name(path);
	o->form = EWS_FORM_TEXT;
	if (path->kind == EWS_PATH_INDEXED)
	{
		o->how = HOW_MISSING;
		return true;
	}
	if (path->kind == EWS_PATH_FIELD)
	{
		const EwsFieldDef *f = path->field;

		if (f == NULL)
		{
			/* in the schema, but no item here has it */
			o->how = HOW_MISSING;
			return true;
		}
		o->form = f->form;
		o->kind = f->kind;
		if (f->source == EWS_SRC_FLAG_BIT)
		{
			o->how = HOW_FLAG_BIT;
			o->bit = f->flag_bit;
			return true;
		}
		if (f->field == EWS_F_ITEM_ID || f->field == EWS_F_PARENT_FOLDER_ID ||
			f->field == EWS_F_EFFECTIVE_RIGHTS)
		{
			o->how = HOW_TRUE;
			o->kind = EWS_VK_NONE;
			return true;
		}
		if (f->col != EWS_C_NONE && f->kind != EWS_VK_NONE)
		{
			o->how = HOW_COLUMN;
			o->col = f->col;
			return true;
		}
		if (f->source == EWS_SRC_BLOB && f->kind != EWS_VK_NONE)
		{
			o->how = HOW_BLOB;
			o->key = f->key;
			return true;
		}
		return qb_fail(qb, EWS_ErrorUnsupportedPathForQuery,
					   psprintf("The property %s cannot be used in a restriction or a sort order.", f->uri));
	}
	/* ExtendedFieldURI */
	o->key = path->ext.key;
	o->kind = ews_type_kind(o->key.type);
	o->col = ews_ext_path_column(&path->ext);
	if (o->col != EWS_C_NONE)
	{
		o->how = HOW_COLUMN;
		return true;
	}
	if (o->kind == EWS_VK_NONE)
		return qb_fail(qb, EWS_ErrorUnsupportedPathForQuery,
					   "An extended property of this type cannot be used in a restriction or a sort order.");
	o->how = HOW_BLOB;
	return true;
}

/*
 * The folder vocabulary (FindFolder's m:Restriction): the properties of
 * ews.folder f in props.c's folder table.  DavMail's LIST asks for the
 * folders whose class (0x3613) is IPF.Note, IPF.Note.* or none, and looks
 * folders up by folder:DisplayName.
 */
static bool
folder_operand(QB *qb, const EwsPath *path, Operand *o)
{
	memset(o, 0, sizeof(*o));
	o->name = path_name(path);
	o->form = EWS_FORM_TEXT;
	o->how = HOW_MISSING;
	if (path->kind == EWS_PATH_FIELD)
	{
		if (strcmp(path->uri, "folder:FolderId") == 0 || strcmp(path->uri, "folder:ParentFolderId") == 0 ||
			strcmp(path->uri, "folder:EffectiveRights") == 0)
		{
			o->how = HOW_TRUE;
			return true;
		}
		for (int i = 0; i < ews_folder_prop_count; i++)
			if (ews_folder_props[i].uri != NULL && strcmp(path->uri, ews_folder_props[i].uri) == 0)
			{
				o->how = HOW_EXPR;
				o->expr = ews_folder_props[i].sql;
				o->kind = ews_folder_props[i].kind;
			}
		return true;
	}
	if (path->kind == EWS_PATH_EXTENDED)
	{
		const EwsFolderPropDef *d = ews_folder_prop_by_key(&path->ext.key);

		if (d != NULL)
		{
			o->how = HOW_EXPR;
			o->expr = d->sql;
			o->kind = d->kind;
		}
	}
	/* anything else is a property no folder here has */
	return true;
}

static bool
path_operand(QB *qb, const EwsPath *path, Operand *o)
{
	return qb->folder ? folder_operand(qb, path, o) : item_operand(qb, path, o);
}

static const char *
prop_function(EwsValKind kind)
{
	switch (kind)
	{
		case EWS_VK_TEXT:
			return "ews.prop_text";
		case EWS_VK_INT:
			return "ews.prop_int8";
		case EWS_VK_BOOL:
			return "ews.prop_bool";
		case EWS_VK_TIME:
			return "ews.prop_time";
		case EWS_VK_TEXTS:
			return "ews.prop_texts";
		case EWS_VK_FLOAT:
			return "ews.prop_float8";
		case EWS_VK_BINARY:
			return "ews.prop_bytea";
		default:
			elog(ERROR, "no blob reader for value kind %d", (int) kind);
	}
	return NULL;				/* keep compiler quiet */
}

/* the blob-reading call's arguments: (i.blob, tag, guid, lid, name) */
static void
qb_prop_args(QB *qb, const EwsPropKey *k)
{
	appendStringInfoString(&qb->sql, "(i.blob, ");
	if (!k->named)
	{
		qb_param(qb, INT4OID, Int32GetDatum((int32) (((uint32) k->id << 16) | k->type)));
		appendStringInfoString(&qb->sql, ", NULL, NULL, NULL)");
		return;
	}
	{
		bytea	   *g = palloc(VARHDRSZ + 16);

		SET_VARSIZE(g, VARHDRSZ + 16);
		memcpy(VARDATA(g), k->guid.b, 16);
		qb_param(qb, INT4OID, Int32GetDatum((int32) k->type));
		appendStringInfoString(&qb->sql, ", ");
		qb_param(qb, BYTEAOID, PointerGetDatum(g));
		appendStringInfoString(&qb->sql, ", ");
		if (k->by_name)
		{
			appendStringInfoString(&qb->sql, "NULL, ");
			qb_param(qb, TEXTOID, text_from_utf8(k->name));
		}
		else
		{
			qb_param(qb, INT8OID, Int64GetDatum((int64) k->lid));
			appendStringInfoString(&qb->sql, ", NULL");
		}
		appendStringInfoChar(&qb->sql, ')');
	}
}

/* the value expression of an operand (not for HOW_MISSING / HOW_TRUE) */
static void
qb_value(QB *qb, const Operand *o)
{
	switch (o->how)
	{
		case HOW_COLUMN:
			appendStringInfo(&qb->sql, "i.%s", ews_item_cols[o->col].name);
			break;
		case HOW_EXPR:
			appendStringInfoString(&qb->sql, o->expr);
			break;
		case HOW_FLAG_BIT:
			appendStringInfoString(&qb->sql, "((i.message_flags & ");
			qb_param(qb, INT4OID, Int32GetDatum((int32) o->bit));
			appendStringInfoString(&qb->sql, ") <> 0)");
			break;
		case HOW_BLOB:
			appendStringInfoString(&qb->sql, prop_function(o->kind));
			qb_prop_args(qb, &o->key);
			break;
		default:
			elog(ERROR, "operand has no value expression");
	}
}

/* a constant of the request as a parameter of the operand's kind */
static bool
qb_constant(QB *qb, const Operand *o, const char *c)
{
	switch (o->kind)
	{
		case EWS_VK_TEXT:
		case EWS_VK_TEXTS:
			qb_param(qb, TEXTOID, text_from_utf8(c));
			return true;
		case EWS_VK_INT:
			{
				int64		v;
				int			e;

				if (o->form == EWS_FORM_IMPORTANCE && ews_importance_value(c, &e))
					v = e;
				else if (o->form == EWS_FORM_SENSITIVITY && ews_sensitivity_value(c, &e))
					v = e;
				else if (!ews_parse_int(c, PG_INT64_MIN, PG_INT64_MAX, &v))
					return qb_fail(qb, EWS_ErrorInvalidValueForProperty,
								   psprintf("The value '%s' for %s is not %s.", c, o->name,
											o->form == EWS_FORM_IMPORTANCE ? "Low, Normal or High" :
											o->form == EWS_FORM_SENSITIVITY ? "Normal, Personal, Private or Confidential" :
											"an integer"));
				qb_param(qb, INT8OID, Int64GetDatum(v));
				return true;
			}
		case EWS_VK_BOOL:
			{
				bool		b;

				if (!ews_parse_bool(c, &b))
					return qb_fail(qb, EWS_ErrorInvalidValueForProperty,
								   psprintf("The value '%s' for %s is not a boolean (true, false, 1 or 0).", c, o->name));
				qb_param(qb, BOOLOID, BoolGetDatum(b));
				return true;
			}
		case EWS_VK_TIME:
			{
				TimestampTz ts;

				if (!ews_parse_time(c, &ts))
					return qb_fail(qb, EWS_ErrorInvalidValueForProperty,
								   psprintf("The value '%s' for %s is not a date and time (YYYY-MM-DDTHH:MM:SSZ).", c, o->name));
				qb_param(qb, TIMESTAMPTZOID, TimestampTzGetDatum(ts));
				return true;
			}
		case EWS_VK_FLOAT:
			{
				double		d;

				if (!ews_parse_float(c, &d))
					return qb_fail(qb, EWS_ErrorInvalidValueForProperty,
								   psprintf("The value '%s' for %s is not a number.", c, o->name));
				qb_param(qb, FLOAT8OID, Float8GetDatum(d));
				return true;
			}
		case EWS_VK_BINARY:
			{
				size_t		l = strlen(c);
				bytea	   *b = palloc(VARHDRSZ + ews_base64_decoded_max(l) + 1);
				long long	n = ews_base64_decode(c, l, (uint8 *) VARDATA(b), true);

				if (n < 0)
					return qb_fail(qb, EWS_ErrorInvalidValueForProperty,
								   psprintf("The value '%s' for %s is not base64.", c, o->name));
				SET_VARSIZE(b, VARHDRSZ + n);
				qb_param(qb, BYTEAOID, PointerGetDatum(b));
				return true;
			}
		default:
			return qb_fail(qb, EWS_ErrorUnsupportedPathForQuery,
						   psprintf("The property %s cannot be compared.", o->name));
	}
}

static const char *const cmp_ops[] = {
	[EWS_R_EQ] = "=", [EWS_R_NE] = "<>", [EWS_R_GT] = ">", [EWS_R_GE] = ">=",
	[EWS_R_LT] = "<", [EWS_R_LE] = "<=",
};

static bool qb_restriction(QB *qb, const EwsRestriction *r);

/* Contains: mode and case over the SQL text expression in `subject` (already written) */
static void
qb_contains_test(QB *qb, const char *subject, const EwsRestriction *r)
{
	const char *lo = r->ignore_case ? "pg_catalog.lower(" : "(";

	switch (r->mode)
	{
		case EWS_CONTAIN_SUBSTRING:
			appendStringInfo(&qb->sql, "pg_catalog.strpos(%s%s), %s", lo, subject, lo);
			qb_param(qb, TEXTOID, text_from_utf8(r->constant));
			appendStringInfoString(&qb->sql, ")) > 0");
			break;
		case EWS_CONTAIN_PREFIXED:
			appendStringInfo(&qb->sql, "pg_catalog.starts_with(%s%s), %s", lo, subject, lo);
			qb_param(qb, TEXTOID, text_from_utf8(r->constant));
			appendStringInfoString(&qb->sql, "))");
			break;
		case EWS_CONTAIN_FULLSTRING:
			appendStringInfo(&qb->sql, "%s%s) = %s", lo, subject, lo);
			qb_param(qb, TEXTOID, text_from_utf8(r->constant));
			appendStringInfoString(&qb->sql, ")");
			break;
		case EWS_CONTAIN_PREFIX_ON_WORDS:
			/* the value begins the text or begins a word of it */
			appendStringInfo(&qb->sql, "(pg_catalog.starts_with(%s%s), %s", lo, subject, lo);
			qb_param(qb, TEXTOID, text_from_utf8(r->constant));
			appendStringInfo(&qb->sql, ")) OR pg_catalog.strpos(%s%s), %s", lo, subject, lo);
			qb_param(qb, TEXTOID, text_from_utf8(psprintf(" %s", r->constant)));
			appendStringInfoString(&qb->sql, ")) > 0)");
			break;
	}
}

/* the subject expression of an operand as text (into a fresh buffer, sharing the params) */
static char *
qb_value_text(QB *qb, const Operand *o)
{
	StringInfoData saved = qb->sql;
	char	   *s;

	initStringInfo(&qb->sql);
	qb_value(qb, o);
	s = qb->sql.data;
	qb->sql = saved;
	return s;
}

static bool
qb_contains(QB *qb, const EwsRestriction *r, const Operand *o)
{
	char	   *subject;

	if (o->how == HOW_MISSING)
	{
		appendStringInfoString(&qb->sql, "false");
		return true;
	}
	if (o->kind != EWS_VK_TEXT && o->kind != EWS_VK_TEXTS)
		return qb_fail(qb, EWS_ErrorContainsFilterWrongType,
					   psprintf("Contains needs a string property; %s is not one.", o->name));
	subject = qb_value_text(qb, o);
	if (o->kind == EWS_VK_TEXTS)
	{
		/* a multi-valued string contains the value when one of its values does */
		appendStringInfo(&qb->sql, "EXISTS (SELECT 1 FROM pg_catalog.unnest(%s) AS c(v) WHERE ", subject);
		qb_contains_test(qb, "c.v", r);
		appendStringInfoChar(&qb->sql, ')');
	}
	else
	{
		appendStringInfoChar(&qb->sql, '(');
		qb_contains_test(qb, subject, r);
		appendStringInfoChar(&qb->sql, ')');
	}
	return true;
}

static bool
qb_compare(QB *qb, const EwsRestriction *r, const Operand *o)
{
	Operand		rhs;
	const char *op = cmp_ops[r->op];
	bool		ordering = r->op != EWS_R_EQ && r->op != EWS_R_NE;

	if (r->rhs_is_path)
	{
		if (!path_operand(qb, &r->rhs, &rhs))
			return false;
		if (rhs.how == HOW_TRUE || o->how == HOW_TRUE)
			return qb_fail(qb, EWS_ErrorUnsupportedPathForQuery,
						   "This property cannot be compared.");
	}
	if (o->how == HOW_TRUE)
		return qb_fail(qb, EWS_ErrorUnsupportedPathForQuery,
					   psprintf("The property %s cannot be compared.", o->name));
	if (o->how == HOW_MISSING || (r->rhs_is_path && rhs.how == HOW_MISSING))
	{
		appendStringInfoString(&qb->sql, "false");
		return true;
	}
	if (r->rhs_is_path && rhs.kind != o->kind)
		return qb_fail(qb, EWS_ErrorUnsupportedQueryFilter,
					   psprintf("%s and %s have different types and cannot be compared.", o->name, rhs.name));
	switch (o->kind)
	{
		case EWS_VK_TEXT:
			/* string comparisons ignore case, as Exchange's do */
			appendStringInfoString(&qb->sql, "(pg_catalog.lower(");
			qb_value(qb, o);
			appendStringInfo(&qb->sql, ") %s pg_catalog.lower(", op);
			if (r->rhs_is_path)
				qb_value(qb, &rhs);
			else if (!qb_constant(qb, o, r->constant))
				return false;
			appendStringInfoString(&qb->sql, "))");
			return true;
		case EWS_VK_TEXTS:
			{
				char	   *subject;

				if (ordering || r->rhs_is_path)
					return qb_fail(qb, EWS_ErrorUnsupportedQueryFilter,
								   psprintf("%s holds several strings: only IsEqualTo and IsNotEqualTo a constant apply to it.", o->name));
				/* equal: one of the values is the constant (case ignored); not equal: none is */
				subject = qb_value_text(qb, o);
				if (r->op == EWS_R_NE)
					appendStringInfo(&qb->sql, "(%s IS NOT NULL AND NOT ", subject);
				appendStringInfo(&qb->sql, "EXISTS (SELECT 1 FROM pg_catalog.unnest(%s) AS c(v)"
								 " WHERE pg_catalog.lower(c.v) = pg_catalog.lower(", subject);
				if (!qb_constant(qb, o, r->constant))
					return false;
				appendStringInfoString(&qb->sql, "))");
				if (r->op == EWS_R_NE)
					appendStringInfoChar(&qb->sql, ')');
				return true;
			}
		case EWS_VK_BINARY:
			if (ordering)
				return qb_fail(qb, EWS_ErrorUnsupportedQueryFilter,
							   psprintf("%s is binary: only IsEqualTo and IsNotEqualTo apply to it.", o->name));
			/* FALLTHROUGH */
		case EWS_VK_INT:
		case EWS_VK_BOOL:
		case EWS_VK_TIME:
		case EWS_VK_FLOAT:
			appendStringInfoChar(&qb->sql, '(');
			qb_value(qb, o);
			appendStringInfo(&qb->sql, " %s ", op);
			if (r->rhs_is_path)
				qb_value(qb, &rhs);
			else if (!qb_constant(qb, o, r->constant))
				return false;
			appendStringInfoChar(&qb->sql, ')');
			return true;
		default:
			return qb_fail(qb, EWS_ErrorUnsupportedPathForQuery,
						   psprintf("The property %s cannot be compared.", o->name));
	}
}

/* ExcludesAttributeType: 0x and hex digits, or decimal digits */
static bool
parse_bitmask(const char *s, int64 *out)
{
	uint64		acc = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
	{
		s += 2;
		for (int n = 0; *s; s++, n++)
		{
			int			d;

			if (*s >= '0' && *s <= '9')
				d = *s - '0';
			else if (*s >= 'a' && *s <= 'f')
				d = *s - 'a' + 10;
			else if (*s >= 'A' && *s <= 'F')
				d = *s - 'A' + 10;
			else
				return false;
			if (n >= 16)
				return false;
			acc = acc << 4 | (uint64) d;
		}
		*out = (int64) acc;
		return true;
	}
	if (*s == '\0')
	{
		*out = 0;
		return true;
	}
	return ews_parse_int(s, 0, PG_INT64_MAX, out);
}

static bool
qb_restriction(QB *qb, const EwsRestriction *r)
{
	Operand		o;

	CHECK_FOR_INTERRUPTS();
	if (++qb->nodes > EWS_MAX_RESTRICTION_NODES)
		return qb_fail(qb, EWS_ErrorInvalidRestriction,
					   psprintf("The restriction has more than %d expressions.", EWS_MAX_RESTRICTION_NODES));
	switch (r->op)
	{
		case EWS_R_AND:
		case EWS_R_OR:
			appendStringInfoChar(&qb->sql, '(');
			for (int i = 0; i < r->nchildren; i++)
			{
				if (i > 0)
					appendStringInfoString(&qb->sql, r->op == EWS_R_AND ? " AND " : " OR ");
				if (!qb_restriction(qb, r->children[i]))
					return false;
			}
			appendStringInfoChar(&qb->sql, ')');
			return true;
		case EWS_R_NOT:
			/*
			 * Two-valued: a comparison with a missing property is false, so
			 * its Not is true.  SQL's NULL would make both unknown; the
			 * coalesce turns the child's unknown into false first.
			 */
			appendStringInfoString(&qb->sql, "(NOT COALESCE(");
			if (!qb_restriction(qb, r->children[0]))
				return false;
			appendStringInfoString(&qb->sql, ", false))");
			return true;
		default:
			break;
	}
	if (!path_operand(qb, &r->path, &o))
		return false;
	switch (r->op)
	{
		case EWS_R_EXISTS:
			switch (o.how)
			{
				case HOW_MISSING:
					appendStringInfoString(&qb->sql, "false");
					break;
				case HOW_TRUE:
					appendStringInfoString(&qb->sql, "true");
					break;
				case HOW_COLUMN:
					appendStringInfo(&qb->sql, "(i.%s IS NOT NULL)", ews_item_cols[o.col].name);
					break;
				case HOW_EXPR:
					appendStringInfo(&qb->sql, "(%s IS NOT NULL)", o.expr);
					break;
				case HOW_FLAG_BIT:
					appendStringInfoString(&qb->sql, "(i.message_flags IS NOT NULL)");
					break;
				case HOW_BLOB:
					appendStringInfoString(&qb->sql, "ews.prop_exists");
					qb_prop_args(qb, &o.key);
					break;
			}
			return true;
		case EWS_R_EXCLUDES:
			{
				int64		mask;

				if (!parse_bitmask(r->constant, &mask))
					return qb_fail(qb, EWS_ErrorInvalidValueForProperty,
								   psprintf("The bitmask '%s' is neither 0x and hexadecimal digits nor a decimal number.", r->constant));
				if (o.how == HOW_MISSING)
				{
					appendStringInfoString(&qb->sql, "false");
					return true;
				}
				/* Excludes applies to integers only (ErrorUnsupportedPathForQuery, as Exchange) */
				if (o.kind != EWS_VK_INT || o.how == HOW_TRUE)
					return qb_fail(qb, EWS_ErrorUnsupportedPathForQuery,
								   psprintf("Excludes needs an integer property; %s is not one.", o.name));
				/* true when none of the bits of the mask is set */
				appendStringInfoString(&qb->sql, "((CAST(");
				qb_value(qb, &o);
				appendStringInfoString(&qb->sql, " AS pg_catalog.int8) & ");
				qb_param(qb, INT8OID, Int64GetDatum(mask));
				appendStringInfoString(&qb->sql, ") = 0)");
				return true;
			}
		case EWS_R_CONTAINS:
			if (o.how == HOW_TRUE)
				return qb_fail(qb, EWS_ErrorContainsFilterWrongType,
							   psprintf("Contains needs a string property; %s is not one.", o.name));
			return qb_contains(qb, r, &o);
		default:
			return qb_compare(qb, r, &o);
	}
}

/* ORDER BY of the sort keys, then the article number as the tie-breaker */
static bool
qb_order_by(QB *qb, const EwsSortKey *keys, int n)
{
	bool		last_desc = true;
	int			written = 0;

	appendStringInfoString(&qb->sql, " ORDER BY ");
	if (n == 0)
	{
		/* Exchange's default view: newest first */
		appendStringInfoString(&qb->sql, "i.received_at DESC, i.article_number DESC");
		return true;
	}
	for (int i = 0; i < n; i++)
	{
		Operand		o;

		if (!path_operand(qb, &keys[i].path, &o))
		{
			if (qb->st->code == EWS_ErrorUnsupportedPathForQuery)
				qb->st->code = EWS_ErrorUnsupportedPathForSortGroup;
			return false;
		}
		/* a property no item has, or every item has alike, does not order anything */
		if (o.how == HOW_MISSING || o.how == HOW_TRUE)
			continue;
		if (o.kind == EWS_VK_TEXTS || o.kind == EWS_VK_BINARY || o.kind == EWS_VK_NONE)
			return qb_fail(qb, EWS_ErrorUnsupportedPathForSortGroup,
						   psprintf("The property %s cannot be used in a sort order.", o.name));
		if (written++ > 0)
			appendStringInfoString(&qb->sql, ", ");
		if (o.kind == EWS_VK_TEXT)
		{
			/* strings sort without regard to case, as Exchange sorts them */
			appendStringInfoString(&qb->sql, "pg_catalog.lower(");
			qb_value(qb, &o);
			appendStringInfoChar(&qb->sql, ')');
		}
		else
			qb_value(qb, &o);
		appendStringInfoString(&qb->sql, keys[i].descending ? " DESC" : " ASC");
		last_desc = keys[i].descending;
	}
	if (written > 0)
		appendStringInfoString(&qb->sql, ", ");
	/* the same direction as the last key, so that one index serves both */
	appendStringInfo(&qb->sql, "i.article_number %s", last_desc ? "DESC" : "ASC");
	return true;
}

/* ---- rows ---- */

/*
 * Every query selects the same columns: the ids, then each extracted
 * column in EwsColumn order, then the blob.  Large values stay toast
 * pointers in the result until a row is handed out: only what the
 * operation needs is detoasted.
 */
#define ROW_FIXED_COLS 4		/* item_id, change_number, folder_id, folder change */

static void
select_list(StringInfo sql, const char *folder_change, const EwsItemNeeds *needs)
{
	appendStringInfo(sql, "SELECT i.item_id, i.change_number, i.folder_id, %s", folder_change);
	/*
	 * The large values only when asked for: a value stored in the row (a
	 * small blob, a short body) is copied with every row of the result.
	 */
	for (int c = 1; c < EWS_C_COUNT; c++)
	{
		if (ews_item_cols[c].big && !needs->cols[c])
			appendStringInfo(sql, ", NULL::%s", format_type_be(ews_item_cols[c].type));
		else
			appendStringInfo(sql, ", i.%s", ews_item_cols[c].name);
	}
	appendStringInfoString(sql, needs->blob ? ", i.blob" : ", NULL::pg_catalog.bytea");
}

/* fill a row from SPI result row r of tuptable tt, detoasting what needs asks for */
static void
row_from_tuple(EwsItemRow *row, SPITupleTable *tt, uint64 r, const EwsItemNeeds *needs, const char *guid)
{
	TupleDesc	desc = tt->tupdesc;
	Datum	   *vals = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);

	/* one pass over the row: attribute by attribute would walk it again for each */
	heap_deform_tuple(tt->vals[r], desc, vals, nulls);
	memset(row, 0, sizeof(*row));
	row->guid = guid;
	row->item_id = DatumGetInt64(vals[0]);
	row->change_number = DatumGetInt64(vals[1]);
	row->folder_id = DatumGetInt64(vals[2]);
	row->folder_change = DatumGetInt64(vals[3]);
	for (int c = 1; c < EWS_C_COUNT; c++)
	{
		Datum		d = vals[ROW_FIXED_COLS + c - 1];

		row->isnull[c] = nulls[ROW_FIXED_COLS + c - 1];
		if (ews_item_cols[c].big && !needs->cols[c])
			row->isnull[c] = true;
		if (row->isnull[c])
			continue;
		if (ews_item_cols[c].type == TEXTOID || ews_item_cols[c].type == TEXTARRAYOID)
			d = PointerGetDatum(PG_DETOAST_DATUM(d));
		row->vals[c] = d;
	}
	if (needs->blob && !nulls[ROW_FIXED_COLS + EWS_C_COUNT - 1])
	{
		bytea	   *v = DatumGetByteaPP(vals[ROW_FIXED_COLS + EWS_C_COUNT - 1]);

		row->blob = (const uint8 *) VARDATA_ANY(v);
		row->blob_len = VARSIZE_ANY_EXHDR(v);
	}
}

void
ews_needs_add_path(EwsItemNeeds *needs, const EwsPath *path)
{
	if (path->kind == EWS_PATH_EXTENDED)
	{
		EwsColumn	c = ews_ext_path_column(&path->ext);

		if (c != EWS_C_NONE)
			needs->cols[c] = true;
		else
		{
			needs->blob = true;
			/* internet headers are answered from the header block when the blob lacks them */
			if (path->ext.key.named &&
				memcmp(path->ext.key.guid.b, ews_ps_internet_headers.b, 16) == 0)
				needs->cols[EWS_C_HEADERS] = true;
		}
		return;
	}
	if (path->kind == EWS_PATH_FIELD && path->field != NULL)
	{
		const EwsFieldDef *f = path->field;

		if (f->source == EWS_SRC_COLUMN || f->source == EWS_SRC_FLAG_BIT)
			needs->cols[f->col] = true;
		else if (f->source == EWS_SRC_BLOB || f->source == EWS_SRC_MIME)
			needs->blob = true;
		/* a message made from properties (no MIME stored) is made from the columns too */
		if (f->field == EWS_F_MIME_CONTENT)
			needs->cols[EWS_C_CATEGORIES] = true;
		if (f->field == EWS_F_INTERNET_MESSAGE_HEADERS)
			needs->cols[EWS_C_HEADERS] = true;
	}
}

/* ---- FindItem ---- */

bool
ews_item_find(EwsCtx *ctx, const EwsFolderRef *parent, const EwsItemQuery *q,
			  EwsFindPageCb page_cb, EwsItemRowCb row_cb, void *arg, EwsStatus *st)
{
	static EwsPlan counter_plan = {
		"SELECT total_count, assoc_count FROM ews.folder WHERE mailbox_id = $1 AND folder_id = $2",
		2, {UUIDOID, INT8OID}
	};
	EwsFolder	folder;
	QB			qb;
	char	   *where;
	int			where_params;
	int			total;
	EwsPage		page;
	SPIPlanPtr	plan;
	uint64		rows;
	SPITupleTable *tt;
	MemoryContext rowcxt,
				old;
	Datum		args[2];

	ews_status_ok(st);
	if (!ews_page_view_check(&q->view, st))
		return false;
	if (!ews_folder_resolve(ctx, parent, EWS_NEED_READ, false, &folder, st))
		return false;

	/* WHERE: the folder, the traversal, the restriction */
	qb_init(&qb, st);
	appendStringInfoString(&qb.sql, " FROM ews.item i WHERE i.mailbox_id = ");
	qb_param(&qb, UUIDOID, UUIDPGetDatum(&folder.mailbox_id));
	appendStringInfoString(&qb.sql, " AND i.folder_id = ");
	qb_param(&qb, INT8OID, Int64GetDatum(folder.folder_id));
	appendStringInfoString(&qb.sql, q->associated ? " AND i.is_associated" : " AND NOT i.is_associated");
	if (q->restriction != NULL)
	{
		appendStringInfoString(&qb.sql, " AND ");
		if (!qb_restriction(&qb, q->restriction))
			return false;
	}
	where = pstrdup(qb.sql.data);
	where_params = qb.nparams;

	/*
	 * TotalItemsInView: without a restriction, the folder's counters (kept
	 * exact by every write in the same transaction); with one, a count.
	 */
	if (q->restriction == NULL)
	{
		args[0] = UUIDPGetDatum(&folder.mailbox_id);
		args[1] = Int64GetDatum(folder.folder_id);
		if (ews_exec(&counter_plan, args, NULL, true, 1) != 1)
		{
			ews_status_set(st, EWS_ErrorFolderNotFound, NULL);
			return false;
		}
		total = ews_col_int32(0, q->associated ? 2 : 1);
	}
	else
	{
		StringInfoData count_sql;
		bool		isnull;

		initStringInfo(&count_sql);
		appendStringInfo(&count_sql, "SELECT pg_catalog.count(*)%s", where);
		plan = SPI_prepare(count_sql.data, where_params, qb.types);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", count_sql.data, SPI_result_code_string(SPI_result));
		if (SPI_execute_plan(plan, qb.values, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "counting the items of a FindItem failed");
		total = (int) Min(DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)),
						  (int64) PG_INT32_MAX);
		SPI_freetuptable(SPI_tuptable);
		SPI_freeplan(plan);
	}
	ews_page_window(&q->view, total, EWS_MAX_FIND_PAGE, &page);

	/* the page: sorted, then LIMIT and OFFSET */
	resetStringInfo(&qb.sql);
	select_list(&qb.sql, "0::pg_catalog.int8", &q->needs);
	appendStringInfoString(&qb.sql, where);
	if (!qb_order_by(&qb, q->sort, q->nsort))
		return false;
	appendStringInfoString(&qb.sql, " LIMIT ");
	qb_param(&qb, INT8OID, Int64GetDatum((int64) (page.stop - page.start)));
	appendStringInfoString(&qb.sql, " OFFSET ");
	qb_param(&qb, INT8OID, Int64GetDatum((int64) page.start));

	page_cb(arg, &folder, &page);
	if (page.stop <= page.start)
		return true;
	plan = SPI_prepare(qb.sql.data, qb.nparams, qb.types);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", qb.sql.data, SPI_result_code_string(SPI_result));
	if (SPI_execute_plan(plan, qb.values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "the page query of a FindItem failed");
	rows = SPI_processed;
	tt = SPI_tuptable;
	SPI_freeplan(plan);

	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "ews FindItem row", 32 * 1024, 32 * 1024,
								   ALLOCSET_DEFAULT_MAXSIZE);
	for (uint64 r = 0; r < rows; r++)
	{
		EwsItemRow	row;
		EwsStatus	ok;

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(rowcxt);
		row_from_tuple(&row, tt, r, &q->needs, folder.guid);
		row.access = folder.access;
		row.delegated = folder.delegated;
		row.folder_change = folder.change_number;
		ews_status_ok(&ok);
		row_cb(arg, (int) r, &row, &ok);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);
	SPI_freetuptable(tt);
	return true;
}

/* ---- FindFolder's restriction ---- */

bool
ews_folder_restriction_sql(const EwsRestriction *r, int first_param, StringInfo sql,
						   Oid **types, Datum **values, int *nparams, EwsStatus *st)
{
	QB			qb;

	qb_init(&qb, st);
	qb.folder = true;
	qb.nparams = first_param - 1;
	while (qb.cap < qb.nparams + 16)
		qb.cap *= 2;
	qb.types = repalloc(qb.types, sizeof(Oid) * qb.cap);
	qb.values = repalloc(qb.values, sizeof(Datum) * qb.cap);
	if (!qb_restriction(&qb, r))
		return false;
	appendStringInfoString(sql, qb.sql.data);
	*types = qb.types;
	*values = qb.values;
	*nparams = qb.nparams;
	return true;
}

/* ---- GetItem ---- */

typedef struct FoundRow
{
	int			mailbox;
	int64		local_id;
	SPITupleTable *tuptable;
	uint64		row;
} FoundRow;

static int
found_row_cmp(const void *a, const void *b)
{
	const FoundRow *x = a;
	const FoundRow *y = b;

	if (x->mailbox != y->mailbox)
		return x->mailbox < y->mailbox ? -1 : 1;
	if (x->local_id != y->local_id)
		return x->local_id < y->local_id ? -1 : 1;
	return 0;
}

void
ews_item_get_batch(EwsCtx *ctx, const EwsItemRef *refs, int n, const EwsItemNeeds *needs,
				   EwsItemRowCb row_cb, void *arg)
{
	/* one kept plan for each combination of the large values a batch needs */
	static EwsPlan plans[8];
	EwsPlan    *plan;
	int			variant = (needs->blob ? 1 : 0) | (needs->cols[EWS_C_HEADERS] ? 2 : 0) |
		(needs->cols[EWS_C_BODY_TEXT] ? 4 : 0);
	EwsStatus  *st = palloc(sizeof(EwsStatus) * Max(n, 1));
	int		   *mbx = palloc(sizeof(int) * Max(n, 1));
	int64	   *local = palloc(sizeof(int64) * Max(n, 1));
	EwsMailbox *mailboxes = palloc(sizeof(EwsMailbox) * Max(n, 1));
	Datum	   *ids = palloc(sizeof(Datum) * Max(n, 1));
	int			nmailboxes = 0;
	FoundRow   *found = NULL;
	int			nfound = 0;
	MemoryContext rowcxt,
				old;

	plan = &plans[variant];
	if (plan->sql == NULL)
	{
		StringInfoData sql;
		MemoryContext o = MemoryContextSwitchTo(TopMemoryContext);

		initStringInfo(&sql);
		select_list(&sql, "f.change_number", needs);
		appendStringInfoString(&sql, " FROM ews.item i JOIN ews.folder f"
							   "   ON f.mailbox_id = i.mailbox_id AND f.folder_id = i.folder_id"
							   " WHERE i.mailbox_id = $1 AND i.item_id = ANY ($2)");
		MemoryContextSwitchTo(o);
		plan->nargs = 2;
		plan->argtypes[0] = UUIDOID;
		plan->argtypes[1] = INT8ARRAYOID;
		plan->sql = sql.data;
	}

	/* 1: decode every id and find its mailbox; reads accept an old ChangeKey */
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
		rows = ews_exec(plan, args, NULL, true, 0);
		if (rows == 0)
			continue;
		found = found ? repalloc(found, sizeof(FoundRow) * (nfound + rows))
			: palloc(sizeof(FoundRow) * rows);
		for (uint64 r = 0; r < rows; r++)
		{
			found[nfound].mailbox = m;
			found[nfound].local_id = ews_col_int64(r, 1);
			found[nfound].tuptable = SPI_tuptable;
			found[nfound].row = r;
			nfound++;
		}
		(void) ews_keep_result();
	}
	if (nfound > 1)
		qsort(found, nfound, sizeof(FoundRow), found_row_cmp);

	/* 3: answer in request order, one row's memory at a time */
	/*
	 * A row (its blob, its parsed message) usually fits the first block, kept
	 * across resets; below malloc's mmap threshold, so that each call does not
	 * map and fault in fresh pages.
	 */
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "ews GetItem row", 32 * 1024, 32 * 1024,
								   ALLOCSET_DEFAULT_MAXSIZE);
	for (int i = 0; i < n; i++)
	{
		FoundRow	key;
		FoundRow   *hit;
		EwsItemRow	row;

		CHECK_FOR_INTERRUPTS();
		if (mbx[i] < 0)
		{
			row_cb(arg, i, NULL, &st[i]);
			continue;
		}
		key.mailbox = mbx[i];
		key.local_id = local[i];
		hit = nfound ? bsearch(&key, found, nfound, sizeof(FoundRow), found_row_cmp) : NULL;
		if (hit == NULL)
		{
			ews_status_set(&st[i], EWS_ErrorItemNotFound, NULL);
			row_cb(arg, i, NULL, &st[i]);
			continue;
		}
		old = MemoryContextSwitchTo(rowcxt);
		row_from_tuple(&row, hit->tuptable, hit->row, needs, mailboxes[mbx[i]].guid);
		row.access = mailboxes[mbx[i]].access;
		row.delegated = mailboxes[mbx[i]].delegated;
		row_cb(arg, i, &row, &st[i]);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);
}

/* ---- ews.prop_*(blob, tag, guid, lid, name): the slow path of restrictions and sorts ---- */

/*
 * The property a call names, from a stored blob: by tag (guid NULL), or
 * named (tag is then the type alone, with the set's GUID and a LID or a
 * name).  NULL when the item does not have it.
 */
static bool
prop_arg(FunctionCallInfo fcinfo, EwsBlobProp *p)
{
	bytea	   *blob;
	EwsPropKey	key;
	uint32		tag;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return false;
	blob = PG_GETARG_BYTEA_PP(0);
	tag = (uint32) PG_GETARG_INT32(1);
	memset(&key, 0, sizeof(key));
	if (PG_ARGISNULL(2))
		key = ews_prop_tagged(tag);
	else
	{
		bytea	   *g = PG_GETARG_BYTEA_PP(2);

		if (VARSIZE_ANY_EXHDR(g) != 16)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a property set GUID has 16 bytes")));
		key.named = true;
		key.type = (uint16) tag;
		memcpy(key.guid.b, VARDATA_ANY(g), 16);
		if (!PG_ARGISNULL(4))
		{
			key.by_name = true;
			key.name = text_to_cstring(PG_GETARG_TEXT_PP(4));
		}
		else if (!PG_ARGISNULL(3))
			key.lid = (uint32) PG_GETARG_INT64(3);
		else
			return false;
	}
	return ews_prop_find((const uint8 *) VARDATA_ANY(blob), VARSIZE_ANY_EXHDR(blob), &key, p);
}

PG_FUNCTION_INFO_V1(ews_prop_exists_sql);
Datum
ews_prop_exists_sql(PG_FUNCTION_ARGS)
{
	EwsBlobProp p;

	PG_RETURN_BOOL(prop_arg(fcinfo, &p));
}

PG_FUNCTION_INFO_V1(ews_prop_text_sql);
Datum
ews_prop_text_sql(PG_FUNCTION_ARGS)
{
	EwsBlobProp p;
	char	   *s;

	if (!prop_arg(fcinfo, &p) || EWS_PROP_TYPE(p.tag) != EWS_PT_UNICODE)
		PG_RETURN_NULL();
	s = pnstrdup((const char *) p.value, p.len);
	if (GetDatabaseEncoding() != PG_UTF8 && GetDatabaseEncoding() != PG_SQL_ASCII)
		s = pg_any_to_server(s, p.len, PG_UTF8);
	PG_RETURN_TEXT_P(cstring_to_text(s));
}

PG_FUNCTION_INFO_V1(ews_prop_int8_sql);
Datum
ews_prop_int8_sql(PG_FUNCTION_ARGS)
{
	EwsBlobProp p;

	if (!prop_arg(fcinfo, &p))
		PG_RETURN_NULL();
	switch (EWS_PROP_TYPE(p.tag))
	{
		case EWS_PT_SHORT:
			PG_RETURN_INT64((int16) ews_le16(p.value));
		case EWS_PT_LONG:
		case EWS_PT_ERROR:
			PG_RETURN_INT64((int32) ews_le32(p.value));
		case EWS_PT_I8:
		case EWS_PT_CURRENCY:
			PG_RETURN_INT64((int64) ews_le64(p.value));
		default:
			PG_RETURN_NULL();
	}
}

PG_FUNCTION_INFO_V1(ews_prop_bool_sql);
Datum
ews_prop_bool_sql(PG_FUNCTION_ARGS)
{
	EwsBlobProp p;

	if (!prop_arg(fcinfo, &p) || EWS_PROP_TYPE(p.tag) != EWS_PT_BOOLEAN)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(p.value[0] != 0);
}

PG_FUNCTION_INFO_V1(ews_prop_time_sql);
Datum
ews_prop_time_sql(PG_FUNCTION_ARGS)
{
	EwsBlobProp p;
	TimestampTz ts;

	if (!prop_arg(fcinfo, &p) || EWS_PROP_TYPE(p.tag) != EWS_PT_SYSTIME ||
		!ews_filetime_to_timestamp((int64) ews_le64(p.value), &ts))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(ts);
}

PG_FUNCTION_INFO_V1(ews_prop_float8_sql);
Datum
ews_prop_float8_sql(PG_FUNCTION_ARGS)
{
	EwsBlobProp p;

	if (!prop_arg(fcinfo, &p))
		PG_RETURN_NULL();
	switch (EWS_PROP_TYPE(p.tag))
	{
		case EWS_PT_FLOAT:
			{
				uint32		bits = ews_le32(p.value);
				float		f;

				memcpy(&f, &bits, 4);
				PG_RETURN_FLOAT8((double) f);
			}
		case EWS_PT_DOUBLE:
		case EWS_PT_APPTIME:
			{
				uint64		bits = ews_le64(p.value);
				double		d;

				memcpy(&d, &bits, 8);
				PG_RETURN_FLOAT8(d);
			}
		default:
			PG_RETURN_NULL();
	}
}

PG_FUNCTION_INFO_V1(ews_prop_bytea_sql);
Datum
ews_prop_bytea_sql(PG_FUNCTION_ARGS)
{
	EwsBlobProp p;
	bytea	   *b;

	if (!prop_arg(fcinfo, &p) || EWS_PROP_TYPE(p.tag) != EWS_PT_BINARY)
		PG_RETURN_NULL();
	b = palloc(VARHDRSZ + p.len);
	SET_VARSIZE(b, VARHDRSZ + p.len);
	memcpy(VARDATA(b), p.value, p.len);
	PG_RETURN_BYTEA_P(b);
}

PG_FUNCTION_INFO_V1(ews_prop_texts_sql);
Datum
ews_prop_texts_sql(PG_FUNCTION_ARGS)
{
	EwsBlobProp p;
	const uint8 *q,
			   *end;
	uint32		count;
	Datum	   *elems;

	if (!prop_arg(fcinfo, &p) || EWS_PROP_TYPE(p.tag) != EWS_PT_MV_UNICODE || p.len < 4)
		PG_RETURN_NULL();
	q = p.value;
	end = p.value + p.len;
	count = ews_le32(q);
	q += 4;
	if (count > (size_t) (end - q) / 4)
		PG_RETURN_NULL();
	elems = palloc(sizeof(Datum) * Max(count, 1));
	for (uint32 i = 0; i < count; i++)
	{
		uint32		l;
		char	   *s;

		if (end - q < 4)
			PG_RETURN_NULL();
		l = ews_le32(q);
		q += 4;
		if ((size_t) (end - q) < l)
			PG_RETURN_NULL();
		s = pnstrdup((const char *) q, l);
		if (GetDatabaseEncoding() != PG_UTF8 && GetDatabaseEncoding() != PG_SQL_ASCII)
			s = pg_any_to_server(s, l, PG_UTF8);
		elems[i] = CStringGetTextDatum(s);
		q += l;
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, (int) count, TEXTOID, -1, false, TYPALIGN_INT));
}
