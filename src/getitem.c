/*
 * getitem.c
 *	  The values behind an item's fields (getitem.h): the stored message,
 *	  the header block, From as a mailbox, the preview.
 */
#include "getitem.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"

void
ews_item_view_init(EwsItemView *v, const EwsItemRow *row)
{
	memset(v, 0, sizeof(*v));
	v->row = row;
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
	}
	*mime = v->mime;
	*len = v->mime_len;
	return v->mime != NULL;
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
