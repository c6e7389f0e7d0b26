/*
 * getitem.c
 *	  The values behind an item's fields (getitem.h): the stored message,
 *	  the header block, From as a mailbox, the preview.
 */
#include "getitem.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/timestamp.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "base64.h"

void
ews_item_view_init(EwsItemView *v, const EwsItemRow *row)
{
	memset(v, 0, sizeof(*v));
	v->row = row;
}

static void *
mime_alloc(void *ctx, size_t size)
{
	return palloc(size);
}

/* PidTagHtml: the HTML body of an item stored from properties */
#define EWS_TAG_HTML 0x10130102u

/* a blob property as a NUL-terminated string (PT_UNICODE, or PT_BINARY holding text) */
static char *
blob_string(const EwsItemRow *row, uint32 tag, size_t *len)
{
	EwsBlobProp p;

	if (row->blob == NULL || !ews_blob_find(row->blob, row->blob_len, tag, &p))
		return NULL;
	if (len)
		*len = p.len;
	return pnstrdup((const char *) p.value, p.len);
}

/* a mailbox list of one element from "Name <address>" */
static void
one_address(EwsMimeAddressList *l, const char *text)
{
	char	   *name,
			   *address;

	ews_mailbox_text_split(text, &name, &address);
	l->v = palloc0(sizeof(EwsMimeAddress));
	l->v[0].name = name;
	l->v[0].address = address;
	l->n = 1;
}

/*
 * A message made from the item's properties: what an item stored without
 * MIME shows as MimeContent.  The generator refuses what it cannot write
 * faithfully (an address that is not an ASCII addr-spec, a Message-ID that
 * is not ASCII); such a property is left out of the message rather than the
 * message refused.
 */
static bool
generate_mime(EwsItemView *v)
{
	const EwsItemRow *row = v->row;
	EwsMimeFields f;
	EwsMimeGenStatus gs;
	uint8	   *out;
	size_t		out_len;
	char	   *from = ews_row_text(row, EWS_C_FROM_TEXT);
	size_t		l;

	ews_mime_fields_init(&f);
	f.subject = ews_row_text(row, EWS_C_SUBJECT);
	if (!row->isnull[EWS_C_SENT_AT] || !row->isnull[EWS_C_RECEIVED_AT])
	{
		f.has_date = true;
		f.date = ews_filetime_from_timestamp(DatumGetTimestampTz(row->vals[row->isnull[EWS_C_SENT_AT] ?
																		 EWS_C_RECEIVED_AT : EWS_C_SENT_AT]));
	}
	if (from != NULL && from[0] != '\0')
		one_address(&f.from, from);
	f.message_id = ews_row_text(row, EWS_C_INTERNET_MESSAGE_ID);
	if (!row->isnull[EWS_C_IMPORTANCE])
		f.importance = (EwsMimeImportance) Min(Max(ews_row_int(row, EWS_C_IMPORTANCE), 0), 2);
	if (!row->isnull[EWS_C_SENSITIVITY])
		f.sensitivity = (EwsMimeSensitivity) Min(Max(ews_row_int(row, EWS_C_SENSITIVITY), 0), 3);
	if (!row->isnull[EWS_C_CATEGORIES])
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(DatumGetArrayTypeP(row->vals[EWS_C_CATEGORIES]), TEXTOID, -1, false,
						  TYPALIGN_INT, &elems, &nulls, &n);
		f.categories = palloc(sizeof(char *) * Max(n, 1));
		for (int i = 0; i < n; i++)
			if (!nulls[i])
				f.categories[f.ncategories++] = TextDatumGetCString(elems[i]);
	}
	f.text_body = blob_string(row, EWS_TAG_BODY, &l);
	f.text_body_len = f.text_body ? l : 0;
	f.html_body = blob_string(row, EWS_TAG_HTML, &l);
	f.html_body_len = f.html_body ? l : 0;
	if (f.html_body != NULL && !ews_utf8_valid((const uint8 *) f.html_body, f.html_body_len))
		f.html_body = NULL, f.html_body_len = 0;

	/* deterministic for the item: the same item gives the same bytes */
	gs = ews_mime_generate(&f, (uint64) row->item_id, &out, &out_len, mime_alloc, NULL);
	if (gs != EWS_MIMEGEN_OK)
	{
		/* what the generator refuses (a non-ASCII address or id) is left out */
		f.from.n = 0;
		f.message_id = NULL;
		gs = ews_mime_generate(&f, (uint64) row->item_id, &out, &out_len, mime_alloc, NULL);
	}
	if (gs != EWS_MIMEGEN_OK)
		return false;
	v->mime = out;
	v->mime_len = out_len;
	v->mime_generated = true;
	return true;
}

bool
ews_item_mime(EwsItemView *v, const uint8 **mime, size_t *len)
{
	if (!v->mime_done)
	{
		EwsBlobProp p;

		v->mime_done = true;
		if (v->row->blob != NULL &&
			ews_blob_find(v->row->blob, v->row->blob_len, EWS_TAG_RFC822, &p))
		{
			v->mime = p.value;
			v->mime_len = p.len;
		}
		else
			(void) generate_mime(v);
	}
	*mime = v->mime;
	*len = v->mime_len;
	return v->mime != NULL;
}

const EwsMimeMessage *
ews_item_message(EwsItemView *v)
{
	if (!v->msg_done)
	{
		EwsBlobProp p;
		EwsMimeMessage *m = palloc0(sizeof(EwsMimeMessage));

		v->msg_done = true;
		/* only a stored message: a generated one says nothing the properties do not */
		if (v->row->blob != NULL &&
			ews_blob_find(v->row->blob, v->row->blob_len, EWS_TAG_RFC822, &p) &&
			ews_mime_parse_message(p.value, p.len, m, mime_alloc, NULL) == EWS_MIME_OK)
			v->msg = m;
	}
	return v->msg;
}

char *
ews_item_body(EwsItemView *v, EwsBodyWant want, bool *is_html, size_t *len)
{
	const EwsMimeMessage *m = ews_item_message(v);
	char	   *text = NULL,
			   *html = NULL;
	size_t		text_len = 0,
				html_len = 0;

	if (m != NULL)
	{
		text = m->fields.text_body;
		text_len = m->fields.text_body_len;
		html = m->fields.html_body;
		html_len = m->fields.html_body_len;
	}
	else
	{
		text = blob_string(v->row, EWS_TAG_BODY, &text_len);
		html = blob_string(v->row, EWS_TAG_HTML, &html_len);
		if (html != NULL && !ews_utf8_valid((const uint8 *) html, html_len))
			html = NULL;
	}
	if (want == EWS_BODY_BEST)
		want = html != NULL ? EWS_BODY_HTML : EWS_BODY_TEXT;
	if (want == EWS_BODY_HTML)
	{
		*is_html = true;
		if (html == NULL)
			html = ews_mime_text_to_html(text ? text : "", text ? text_len : 0, &html_len, mime_alloc, NULL);
		*len = html_len;
		return html;
	}
	*is_html = false;
	if (text == NULL && html != NULL)
		text = ews_mime_html_to_text(html, html_len, &text_len, mime_alloc, NULL);
	if (text == NULL)
	{
		text = pstrdup("");
		text_len = 0;
	}
	*len = text_len;
	return text;
}

char *
ews_attachment_id(const EwsItemRow *row, int index)
{
	EwsObjectId oid;
	uint8		raw[EWS_ID_BYTES + 4];
	char		idtext[EWS_ID_CHARS];
	char	   *out;
	long long	n;

	strlcpy(oid.mailbox, row->guid, sizeof(oid.mailbox));
	oid.kind = EWS_ID_KIND_ITEM;
	oid.local_id = (uint64) row->item_id;
	if (!ews_id_encode(&oid, idtext) ||
		ews_base64_decode(idtext, EWS_ID_CHARS, raw, true) != EWS_ID_BYTES)
		elog(ERROR, "could not encode an item id");
	raw[EWS_ID_BYTES] = (uint8) (index >> 24);
	raw[EWS_ID_BYTES + 1] = (uint8) (index >> 16);
	raw[EWS_ID_BYTES + 2] = (uint8) (index >> 8);
	raw[EWS_ID_BYTES + 3] = (uint8) index;
	out = palloc(ews_base64_encoded_len(sizeof(raw)) + 1);
	n = ews_base64_encode(raw, sizeof(raw), out);
	out[n] = '\0';
	return out;
}

int64
ews_row_int(const EwsItemRow *row, EwsColumn col)
{
	Datum		d = row->vals[col];

	switch (ews_item_cols[col].type)
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		case INT8OID:
			return DatumGetInt64(d);
		default:
			elog(ERROR, "column %s is not an integer", ews_item_cols[col].name);
	}
	return 0;					/* keep compiler quiet */
}

char *
ews_row_text(const EwsItemRow *row, EwsColumn col)
{
	char	   *s;

	if (row->isnull[col])
		return NULL;
	s = TextDatumGetCString(row->vals[col]);
	/* responses and the codecs speak UTF-8 */
	if (GetDatabaseEncoding() != PG_UTF8 && GetDatabaseEncoding() != PG_SQL_ASCII)
		s = pg_server_to_any(s, strlen(s), PG_UTF8);
	return s;
}

/*
 * A header block as extract.c stores it (the header section as sent, every
 * line ended by CRLF, the blank line left out); a line that starts with a
 * space or a TAB continues the field before it (RFC 5322 2.2.3).
 */
int
ews_header_block_split(const char *block, EwsHeaderField **fields)
{
	int			cap = 16;
	int			n = 0;
	const char *p = block;
	EwsHeaderField *out = palloc(sizeof(EwsHeaderField) * cap);

	while (*p)
	{
		const char *start = p;
		const char *colon;
		StringInfoData v;

		CHECK_FOR_INTERRUPTS();
		/* one field: its first line and the continuation lines */
		for (;;)
		{
			while (*p && *p != '\n')
				p++;
			if (*p == '\n')
				p++;
			if (*p != ' ' && *p != '\t')
				break;
		}
		colon = memchr(start, ':', p - start);
		if (colon == NULL || colon == start)
			continue;			/* not a field: skipped */
		if (n == cap)
		{
			cap *= 2;
			out = repalloc(out, sizeof(EwsHeaderField) * cap);
		}
		out[n].name = pnstrdup(start, colon - start);
		initStringInfo(&v);
		for (const char *q = colon + 1; q < p; q++)
		{
			/* unfold: the line breaks go, the white space that follows them stays */
			if (*q == '\r' || *q == '\n')
				continue;
			appendStringInfoChar(&v, *q);
		}
		{
			char	   *s = v.data;
			size_t		l;

			while (*s == ' ' || *s == '\t')
				s++;
			l = strlen(s);
			while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t'))
				s[--l] = '\0';
			out[n].value = s;
		}
		n++;
	}
	*fields = out;
	return n;
}

char *
ews_header_block_value(const char *block, const char *name)
{
	EwsHeaderField *f;
	int			n = ews_header_block_split(block, &f);

	for (int i = 0; i < n; i++)
		if (pg_strcasecmp(f[i].name, name) == 0)
			return f[i].value;
	return NULL;
}

void
ews_mailbox_text_split(const char *text, char **name, char **address)
{
	size_t		l = strlen(text);
	const char *lt;

	*name = NULL;
	/* "Name <address>": the address is the last <...> at the end */
	if (l >= 2 && text[l - 1] == '>' && (lt = strrchr(text, '<')) != NULL)
	{
		const char *e = lt;

		*address = pnstrdup(lt + 1, text + l - 1 - (lt + 1));
		while (e > text && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > text)
		{
			/* a quoted display name loses its quotes */
			if (e - text >= 2 && text[0] == '"' && e[-1] == '"')
				*name = pnstrdup(text + 1, e - text - 2);
			else
				*name = pnstrdup(text, e - text);
		}
		return;
	}
	*address = pstrdup(text);
}

char *
ews_body_preview(const char *body_text)
{
	StringInfoData s;
	int			chars = 0;
	bool		space = false;
	const unsigned char *p = (const unsigned char *) body_text;

	initStringInfo(&s);
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	while (*p && chars < 255)
	{
		int			l = pg_utf_mblen(p);

		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		{
			space = true;
			p++;
			continue;
		}
		if (space)
		{
			appendStringInfoChar(&s, ' ');
			chars++;
			space = false;
			if (chars == 255)
				break;
		}
		{
			int			i;

			for (i = 0; i < l && p[i]; i++)
				appendStringInfoChar(&s, (char) p[i]);
			p += i;
		}
		chars++;
	}
	return s.data;
}
