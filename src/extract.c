/*
 * extract.c
 *	  The columns of ews.item derived from an item's blob (see extract.h),
 *	  and the SQL function ews.item_columns(bytea) that the update script
 *	  uses to derive them for items stored before.
 *
 * The blob's properties come first; an item stored with its RFC 5322
 * message (PT_BINARY 0x7E01) gets what its properties do not say from the
 * message, parsed as GetItem shows it (mime.h): subject, Date (sent),
 * Message-ID, From, the To and Cc display lists, importance, sensitivity,
 * Keywords (categories), the header block (0x007D), the body as text and
 * whether it has attachments.  Its size is the message's length, as
 * PidTagMessageSize is in Exchange (DavMail's RFC822.SIZE); an item without
 * one is as large as its blob.  Explicit properties win over the message:
 * a client that set IsRead or an importance keeps it.
 */
#include "extract.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "blob.h"
#include "mime.h"
#include "props.h"
#include "utils/memutils.h"

/* FILETIME counts 100 ns ticks since 1601-01-01 UTC; this is 1970-01-01 */
#define FILETIME_UNIX_EPOCH INT64CONST(116444736000000000)
/* ... and this PostgreSQL's epoch, 2000-01-01 */
#define FILETIME_PG_EPOCH (FILETIME_UNIX_EPOCH + \
	(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * INT64CONST(10000000))

/* PidTagMessageFlags: MSGFLAG_READ */
#define EWS_MSGFLAG_READ 0x1

/* tags read here besides those blob.h names */
#define TAG_IMPORTANCE				0x00170003u
#define TAG_SENSITIVITY				0x00360003u
#define TAG_CLIENT_SUBMIT_TIME		0x00390040u
#define TAG_SENT_REPRESENTING_NAME	0x0042001Fu
#define TAG_SENT_REPRESENTING_ADDR	0x0065001Fu
#define TAG_TRANSPORT_HEADERS		0x007D001Fu
#define TAG_SENDER_NAME				0x0C1A001Fu
#define TAG_SENDER_ADDR				0x0C1F001Fu
#define TAG_DISPLAY_CC				0x0E03001Fu
#define TAG_DISPLAY_TO				0x0E04001Fu
#define TAG_HAS_ATTACHMENTS			0x0E1B000Bu
#define TAG_FLAG_STATUS				0x10900003u
#define TAG_CREATION_TIME			0x30070040u

const char *const ews_item_col_names[EWS_ITEM_NCOLS] = {
	[EWS_COL_ITEM_CLASS] = "item_class",
	[EWS_COL_SUBJECT] = "subject",
	[EWS_COL_SIZE] = "size",
	[EWS_COL_RECEIVED_AT] = "received_at",
	[EWS_COL_IS_READ] = "is_read",
	[EWS_COL_LAST_MODIFIED] = "last_modified",
	[EWS_COL_SENT_AT] = "sent_at",
	[EWS_COL_CREATED_AT] = "created_at",
	[EWS_COL_MESSAGE_FLAGS] = "message_flags",
	[EWS_COL_FLAG_STATUS] = "flag_status",
	[EWS_COL_IMPORTANCE] = "importance",
	[EWS_COL_SENSITIVITY] = "sensitivity",
	[EWS_COL_HAS_ATTACHMENTS] = "has_attachments",
	[EWS_COL_INTERNET_MESSAGE_ID] = "internet_message_id",
	[EWS_COL_FROM_TEXT] = "from_text",
	[EWS_COL_DISPLAY_TO] = "display_to",
	[EWS_COL_DISPLAY_CC] = "display_cc",
	[EWS_COL_CATEGORIES] = "categories",
	[EWS_COL_IMAP_DELETED] = "imap_deleted",
	[EWS_COL_HEADERS] = "headers",
	[EWS_COL_BODY_TEXT] = "body_text",
};

const Oid	ews_item_col_types[EWS_ITEM_NCOLS] = {
	[EWS_COL_ITEM_CLASS] = TEXTOID,
	[EWS_COL_SUBJECT] = TEXTOID,
	[EWS_COL_SIZE] = INT4OID,
	[EWS_COL_RECEIVED_AT] = TIMESTAMPTZOID,
	[EWS_COL_IS_READ] = BOOLOID,
	[EWS_COL_LAST_MODIFIED] = TIMESTAMPTZOID,
	[EWS_COL_SENT_AT] = TIMESTAMPTZOID,
	[EWS_COL_CREATED_AT] = TIMESTAMPTZOID,
	[EWS_COL_MESSAGE_FLAGS] = INT4OID,
	[EWS_COL_FLAG_STATUS] = INT4OID,
	[EWS_COL_IMPORTANCE] = INT2OID,
	[EWS_COL_SENSITIVITY] = INT2OID,
	[EWS_COL_HAS_ATTACHMENTS] = BOOLOID,
	[EWS_COL_INTERNET_MESSAGE_ID] = TEXTOID,
	[EWS_COL_FROM_TEXT] = TEXTOID,
	[EWS_COL_DISPLAY_TO] = TEXTOID,
	[EWS_COL_DISPLAY_CC] = TEXTOID,
	[EWS_COL_CATEGORIES] = TEXTARRAYOID,
	[EWS_COL_IMAP_DELETED] = INT4OID,
	[EWS_COL_HEADERS] = TEXTOID,
	[EWS_COL_BODY_TEXT] = TEXTOID,
};

int64
ews_filetime_from_timestamp(TimestampTz ts)
{
	return ts * 10 + FILETIME_PG_EPOCH;
}

bool
ews_filetime_to_timestamp(int64 ft, TimestampTz *out)
{
	int64		ticks;
	int64		us;

	if (ft < 0)
		return false;
	ticks = ft - FILETIME_PG_EPOCH; /* cannot overflow: both are >= 0 */
	us = ticks / 10;
	if (ticks % 10 < 0)
		us--;					/* floor, not truncation, before 2000 */
	if (!IS_VALID_TIMESTAMP(us))
		return false;
	*out = us;
	return true;
}

Datum
ews_utf8_text_datum(const uint8 *s, size_t len)
{
	char	   *conv;

	if (GetDatabaseEncoding() == PG_UTF8 || GetDatabaseEncoding() == PG_SQL_ASCII)
		return PointerGetDatum(cstring_to_text_with_len((const char *) s, len));
	conv = pg_any_to_server(pnstrdup((const char *) s, len), len, PG_UTF8);
	return CStringGetTextDatum(conv);
}

static void
set(EwsItemColumns *out, EwsItemCol col, Datum value)
{
	out->values[col] = value;
	out->nulls[col] = false;
}

static void
set_time(EwsItemColumns *out, EwsItemCol col, const EwsBlobProp *p)
{
	TimestampTz ts;

	if (ews_filetime_to_timestamp((int64) ews_le64(p->value), &ts))
		set(out, col, TimestampTzGetDatum(ts));
}

static void
set_text(EwsItemColumns *out, EwsItemCol col, const EwsBlobProp *p)
{
	set(out, col, ews_utf8_text_datum(p->value, p->len));
}

/* a PT_MV_UNICODE value as text[] */
static Datum
keywords_datum(const EwsBlobProp *p)
{
	uint32		count;
	const uint8 *q = p->value;
	const uint8 *end = p->value + p->len;
	Datum	   *elems;
	int			n = 0;

	if (p->len < 4)
		return PointerGetDatum(construct_empty_array(TEXTOID));
	count = ews_le32(q);
	q += 4;
	elems = palloc(sizeof(Datum) * Max(Min(count, p->len / 4), 1));
	for (uint32 i = 0; i < count && end - q >= 4; i++)
	{
		uint32		l = ews_le32(q);

		q += 4;
		if ((size_t) (end - q) < l)
			break;
		elems[n++] = ews_utf8_text_datum(q, l);
		q += l;
	}
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static void *
mime_alloc(void *ctx, size_t size)
{
	return MemoryContextAlloc((MemoryContext) ctx, size);
}

/* a NUL-terminated UTF-8 string of the parse as a text column, when the properties left it null */
static void
fill_text(EwsItemColumns *out, EwsItemCol col, const char *s)
{
	if (out->nulls[col] && s != NULL)
		set(out, col, ews_utf8_text_datum((const uint8 *) s, strlen(s)));
}

/*
 * What the item's message says that its properties do not.  The parse
 * lives in a memory context of its own, freed here; the columns are made in
 * the caller's.
 */
static void
from_message(const uint8 *msg, size_t len, bool attachments, EwsItemColumns *out)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "ews extract message",
											  ALLOCSET_DEFAULT_SIZES);
	EwsMimeMessage m;
	const EwsMimeFields *f = &m.fields;

	if (ews_mime_parse_message(msg, len, &m, mime_alloc, cxt) != EWS_MIME_OK)
	{
		MemoryContextDelete(cxt);
		return;
	}
	fill_text(out, EWS_COL_SUBJECT, f->subject);
	if (out->nulls[EWS_COL_SENT_AT] && f->has_date)
	{
		TimestampTz ts;

		if (ews_filetime_to_timestamp(f->date, &ts))
			set(out, EWS_COL_SENT_AT, TimestampTzGetDatum(ts));
	}
	fill_text(out, EWS_COL_INTERNET_MESSAGE_ID, f->message_id);
	if (out->nulls[EWS_COL_FROM_TEXT] && f->from.n > 0)
	{
		const EwsMimeAddress *a = &f->from.v[0];
		char	   *s = a->name ? psprintf("%s <%s>", a->name, a->address) : pstrdup(a->address);

		fill_text(out, EWS_COL_FROM_TEXT, s);
	}
	if (f->to.n > 0)
		fill_text(out, EWS_COL_DISPLAY_TO, ews_mime_display_list(&f->to, mime_alloc, cxt));
	if (f->cc.n > 0)
		fill_text(out, EWS_COL_DISPLAY_CC, ews_mime_display_list(&f->cc, mime_alloc, cxt));
	if (out->nulls[EWS_COL_IMPORTANCE])
		set(out, EWS_COL_IMPORTANCE, Int16GetDatum((int16) f->importance));
	if (out->nulls[EWS_COL_SENSITIVITY])
		set(out, EWS_COL_SENSITIVITY, Int16GetDatum((int16) f->sensitivity));
	if (out->nulls[EWS_COL_CATEGORIES] && f->ncategories > 0)
	{
		Datum	   *elems = palloc(sizeof(Datum) * f->ncategories);

		for (size_t i = 0; i < f->ncategories; i++)
			elems[i] = ews_utf8_text_datum((const uint8 *) f->categories[i], strlen(f->categories[i]));
		set(out, EWS_COL_CATEGORIES,
			PointerGetDatum(construct_array(elems, (int) f->ncategories, TEXTOID, -1, false, TYPALIGN_INT)));
	}
	if (out->nulls[EWS_COL_HEADERS] && m.header_text != NULL)
		set(out, EWS_COL_HEADERS, ews_utf8_text_datum((const uint8 *) m.header_text, m.header_text_len));
	if (out->nulls[EWS_COL_BODY_TEXT])
	{
		/* the text the body shows, for Contains on item:Body */
		if (f->text_body != NULL)
			set(out, EWS_COL_BODY_TEXT, ews_utf8_text_datum((const uint8 *) f->text_body, f->text_body_len));
		else if (f->html_body != NULL)
		{
			size_t		l;
			char	   *t = ews_mime_html_to_text(f->html_body, f->html_body_len, &l, mime_alloc, cxt);

			set(out, EWS_COL_BODY_TEXT, ews_utf8_text_datum((const uint8 *) t, l));
		}
	}
	if (attachments)
		set(out, EWS_COL_HAS_ATTACHMENTS, BoolGetDatum(m.has_attachments));
	MemoryContextDelete(cxt);
}

void
ews_item_columns(const uint8 *blob, size_t len, EwsItemColumns *out)
{
	EwsBlobIter it;
	EwsBlobProp p;
	EwsBlobProp rep_name = {0},
				rep_addr = {0},
				snd_name = {0},
				snd_addr = {0},
				rfc822 = {0};
	const EwsBlobProp *name,
			   *addr;
	EwsBlobProp named;
	bool		has_attachments_prop = false;

	for (int i = 0; i < EWS_ITEM_NCOLS; i++)
	{
		out->values[i] = (Datum) 0;
		out->nulls[i] = true;
	}
	set(out, EWS_COL_SIZE, Int32GetDatum((int32) len));
	set(out, EWS_COL_IS_READ, BoolGetDatum(false));
	set(out, EWS_COL_HAS_ATTACHMENTS, BoolGetDatum(false));

	/* one walk over the blob for every column */
	ews_blob_iter_init(&it, blob, len);
	while (ews_blob_iter_next(&it, &p))
	{
		switch (p.tag)
		{
			case EWS_TAG_MESSAGE_CLASS:
				set_text(out, EWS_COL_ITEM_CLASS, &p);
				break;
			case EWS_TAG_SUBJECT:
				set_text(out, EWS_COL_SUBJECT, &p);
				break;
			case EWS_TAG_DELIVERY_TIME:
				set_time(out, EWS_COL_RECEIVED_AT, &p);
				break;
			case EWS_TAG_MESSAGE_FLAGS:
				{
					uint32		flags = ews_le32(p.value);

					set(out, EWS_COL_MESSAGE_FLAGS, Int32GetDatum((int32) flags));
					set(out, EWS_COL_IS_READ, BoolGetDatum((flags & EWS_MSGFLAG_READ) != 0));
					break;
				}
			case EWS_TAG_LAST_MODIFICATION_TIME:
				set_time(out, EWS_COL_LAST_MODIFIED, &p);
				break;
			case TAG_CLIENT_SUBMIT_TIME:
				set_time(out, EWS_COL_SENT_AT, &p);
				break;
			case TAG_CREATION_TIME:
				set_time(out, EWS_COL_CREATED_AT, &p);
				break;
			case TAG_FLAG_STATUS:
				set(out, EWS_COL_FLAG_STATUS, Int32GetDatum((int32) ews_le32(p.value)));
				break;
			case TAG_IMPORTANCE:
				set(out, EWS_COL_IMPORTANCE, Int16GetDatum((int16) (int32) ews_le32(p.value)));
				break;
			case TAG_SENSITIVITY:
				set(out, EWS_COL_SENSITIVITY, Int16GetDatum((int16) (int32) ews_le32(p.value)));
				break;
			case TAG_HAS_ATTACHMENTS:
				set(out, EWS_COL_HAS_ATTACHMENTS, BoolGetDatum(p.value[0] != 0));
				has_attachments_prop = true;
				break;
			case EWS_TAG_INTERNET_MESSAGE_ID:
				set_text(out, EWS_COL_INTERNET_MESSAGE_ID, &p);
				break;
			case TAG_DISPLAY_TO:
				set_text(out, EWS_COL_DISPLAY_TO, &p);
				break;
			case TAG_DISPLAY_CC:
				set_text(out, EWS_COL_DISPLAY_CC, &p);
				break;
			case TAG_TRANSPORT_HEADERS:
				set_text(out, EWS_COL_HEADERS, &p);
				break;
			case EWS_TAG_BODY:
				set_text(out, EWS_COL_BODY_TEXT, &p);
				break;
			case TAG_SENT_REPRESENTING_NAME:
				rep_name = p;
				break;
			case TAG_SENT_REPRESENTING_ADDR:
				rep_addr = p;
				break;
			case TAG_SENDER_NAME:
				snd_name = p;
				break;
			case TAG_SENDER_ADDR:
				snd_addr = p;
				break;
			case EWS_TAG_RFC822:
				rfc822 = p;
				break;
			default:
				break;
		}
	}

	/* named properties: Keywords (item:Categories) and PidLidImapDeleted (DavMail's \\Deleted) */
	if (ews_prop_find(blob, len, &(EwsPropKey) {.named = true, .type = EWS_PT_MV_UNICODE,
										 .guid = ews_ps_public_strings, .by_name = true, .name = "Keywords"},
					  &named))
		set(out, EWS_COL_CATEGORIES, keywords_datum(&named));
	if (ews_prop_find(blob, len, &(EwsPropKey) {.named = true, .type = EWS_PT_LONG,
										 .guid = ews_psetid_common, .lid = EWS_LID_IMAP_DELETED},
					  &named))
		set(out, EWS_COL_IMAP_DELETED, Int32GetDatum((int32) ews_le32(named.value)));

	/* From is the one the message is sent for (message:From); else its sender */
	name = rep_name.value || rep_addr.value ? &rep_name : &snd_name;
	addr = rep_name.value || rep_addr.value ? &rep_addr : &snd_addr;
	if (name->value || addr->value)
	{
		StringInfoData s;

		initStringInfo(&s);
		if (name->value)
			appendBinaryStringInfo(&s, (const char *) name->value, name->len);
		if (addr->value)
		{
			if (name->value)
				appendStringInfoString(&s, " <");
			appendBinaryStringInfo(&s, (const char *) addr->value, addr->len);
			if (name->value)
				appendStringInfoChar(&s, '>');
		}
		set(out, EWS_COL_FROM_TEXT, ews_utf8_text_datum((const uint8 *) s.data, s.len));
	}

	if (rfc822.value != NULL)
	{
		set(out, EWS_COL_SIZE, Int32GetDatum((int32) Min(rfc822.len, (uint32) PG_INT32_MAX)));
		from_message(rfc822.value, rfc822.len, !has_attachments_prop, out);
	}
}

/* ---- ews.item_columns(blob bytea) ---- */

PG_FUNCTION_INFO_V1(ews_item_columns_sql);
Datum
ews_item_columns_sql(PG_FUNCTION_ARGS)
{
	bytea	   *blob = PG_GETARG_BYTEA_PP(0);
	const uint8 *data = (const uint8 *) VARDATA_ANY(blob);
	size_t		len = VARSIZE_ANY_EXHDR(blob);
	TupleDesc	tupdesc;
	EwsItemColumns cols;
	EwsBlobStatus bs;
	size_t		offset = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (tupdesc->natts != EWS_ITEM_NCOLS)
		elog(ERROR, "ews.item_columns returns %d columns, the extension %d", tupdesc->natts, EWS_ITEM_NCOLS);
	/* a stored blob: one of 0.1 may hold ids from 0x8000 up without names */
	bs = ews_blob_validate_stored(data, len, NULL, &offset);
	if (bs != EWS_BLOB_OK)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid item blob: %s at byte %zu", ews_blob_status_text(bs), offset)));
	ews_item_columns(data, len, &cols);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), cols.values, cols.nulls)));
}
