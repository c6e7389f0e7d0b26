/*
 * mimeedit.c
 *	  Changing the fields of a stored message (mimeedit.h): header fields
 *	  rewritten in place, the body by making the message anew.
 *
 * Pure C, part of the MIME codec: no postgres.h, memory from the caller's
 * allocator.  Every loop is bounded by the input (the header section is at
 * most EWS_MIME_MAX_HEADER bytes, which ews_mime_parse checks first).
 */
#include "mimeedit.h"
#include "mimeint.h"

#include <string.h>

const char *
ews_mime_edit_status_text(EwsMimeEditStatus st)
{
	switch (st)
	{
		case EWS_MIMEEDIT_OK:
			return "ok";
		case EWS_MIMEEDIT_NOT_A_MESSAGE:
			return "the item's message cannot be read";
		case EWS_MIMEEDIT_ATTACHMENTS:
			return "the body of a message with attachments cannot be changed: the store does not write attachments";
		case EWS_MIMEEDIT_GENERATE:
			return "a value cannot be written into the message";
	}
	return "unknown mime edit status";
}

/* ---- comparing fields ---- */

static bool
str_same(const char *a, const char *b)
{
	if (a == NULL || a[0] == '\0')
		return b == NULL || b[0] == '\0';
	return b != NULL && strcmp(a, b) == 0;
}

static bool
bytes_same(const char *a, size_t an, const char *b, size_t bn)
{
	if (a == NULL)
		an = 0;
	if (b == NULL)
		bn = 0;
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static bool
list_same(const EwsMimeAddressList *a, const EwsMimeAddressList *b)
{
	size_t		i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (!str_same(a->v[i].name, b->v[i].name) || !str_same(a->v[i].address, b->v[i].address))
			return false;
	return true;
}

/* FILETIME to whole seconds: the message carries seconds */
#define FT_SECOND INT64_C(10000000)

unsigned
ews_mime_fields_differ(const EwsMimeFields *old, const EwsMimeFields *f, unsigned which)
{
	unsigned	out = 0;
	int			i;

	for (i = 0; i < EWS_ME_COUNT; i++)
	{
		bool		same = true;

		if (!(which & EWS_ME_BIT(i)))
			continue;
		switch ((EwsMimeEditField) i)
		{
			case EWS_ME_DATE:
				same = old->has_date == f->has_date &&
					(!f->has_date || old->date / FT_SECOND == f->date / FT_SECOND);
				break;
			case EWS_ME_FROM:
				same = list_same(&old->from, &f->from);
				break;
			case EWS_ME_SENDER:
				same = list_same(&old->sender, &f->sender);
				break;
			case EWS_ME_REPLY_TO:
				same = list_same(&old->reply_to, &f->reply_to);
				break;
			case EWS_ME_TO:
				same = list_same(&old->to, &f->to);
				break;
			case EWS_ME_CC:
				same = list_same(&old->cc, &f->cc);
				break;
			case EWS_ME_BCC:
				same = list_same(&old->bcc, &f->bcc);
				break;
			case EWS_ME_SUBJECT:
				/* a Subject field with nothing in it and none at all read the same */
				same = str_same(old->subject, f->subject);
				break;
			case EWS_ME_MESSAGE_ID:
				same = str_same(old->message_id, f->message_id);
				break;
			case EWS_ME_IN_REPLY_TO:
				same = str_same(old->in_reply_to, f->in_reply_to);
				break;
			case EWS_ME_REFERENCES:
				same = str_same(old->references, f->references);
				break;
			case EWS_ME_IMPORTANCE:
				same = old->importance == f->importance;
				break;
			case EWS_ME_SENSITIVITY:
				same = old->sensitivity == f->sensitivity;
				break;
			case EWS_ME_BODY:
				same = bytes_same(old->text_body, old->text_body_len, f->text_body, f->text_body_len) &&
					bytes_same(old->html_body, old->html_body_len, f->html_body, f->html_body_len);
				break;
			case EWS_ME_COUNT:
				break;
		}
		if (!same)
			out |= EWS_ME_BIT(i);
	}
	return out;
}

/* copy the value of field e from f into g */
static void
copy_field(EwsMimeFields *g, const EwsMimeFields *f, EwsMimeEditField e)
{
	switch (e)
	{
		case EWS_ME_DATE:
			g->has_date = f->has_date;
			g->date = f->date;
			break;
		case EWS_ME_FROM:
			g->from = f->from;
			break;
		case EWS_ME_SENDER:
			g->sender = f->sender;
			break;
		case EWS_ME_REPLY_TO:
			g->reply_to = f->reply_to;
			break;
		case EWS_ME_TO:
			g->to = f->to;
			break;
		case EWS_ME_CC:
			g->cc = f->cc;
			break;
		case EWS_ME_BCC:
			g->bcc = f->bcc;
			break;
		case EWS_ME_SUBJECT:
			g->subject = f->subject;
			break;
		case EWS_ME_MESSAGE_ID:
			g->message_id = f->message_id;
			break;
		case EWS_ME_IN_REPLY_TO:
			g->in_reply_to = f->in_reply_to;
			break;
		case EWS_ME_REFERENCES:
			g->references = f->references;
			break;
		case EWS_ME_IMPORTANCE:
			g->importance = f->importance;
			break;
		case EWS_ME_SENSITIVITY:
			g->sensitivity = f->sensitivity;
			break;
		case EWS_ME_BODY:
			g->text_body = f->text_body;
			g->text_body_len = f->text_body_len;
			g->html_body = f->html_body;
			g->html_body_len = f->html_body_len;
			break;
		case EWS_ME_COUNT:
			break;
	}
}

/* ---- header fields rewritten in place ---- */

/* the field names each edit replaces (lower case) */
static int
edit_of_name(const uint8_t *name, size_t n, unsigned which)
{
	static const struct
	{
		const char *name;
		EwsMimeEditField e;
	}			names[] = {
		{"date", EWS_ME_DATE},
		{"from", EWS_ME_FROM},
		{"sender", EWS_ME_SENDER},
		{"reply-to", EWS_ME_REPLY_TO},
		{"to", EWS_ME_TO},
		{"cc", EWS_ME_CC},
		{"bcc", EWS_ME_BCC},
		{"subject", EWS_ME_SUBJECT},
		{"message-id", EWS_ME_MESSAGE_ID},
		{"in-reply-to", EWS_ME_IN_REPLY_TO},
		{"references", EWS_ME_REFERENCES},
		/* the reader takes importance from the first of these present */
		{"importance", EWS_ME_IMPORTANCE},
		{"x-priority", EWS_ME_IMPORTANCE},
		{"x-msmail-priority", EWS_ME_IMPORTANCE},
		{"priority", EWS_ME_IMPORTANCE},
		{"sensitivity", EWS_ME_SENSITIVITY},
	};
	size_t		i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if ((which & EWS_ME_BIT(names[i].e)) && ewsm_ci_eq(name, n, names[i].name))
			return (int) names[i].e;
	return -1;
}

/*
 * The header lines the generator writes for field e of f (possibly none:
 * normal importance, an empty list), with the message's line ends.
 */
static EwsMimeEditStatus
field_lines(EwsmBuf *out, const EwsMimeFields *f, EwsMimeEditField e, bool crlf,
			EwsMimeGenStatus *gen, ews_mime_alloc_fn alloc, void *ctx)
{
	static const char mv[] = "MIME-Version: 1.0\r\n";
	EwsMimeFields g;
	uint8_t    *msg;
	size_t		len,
				end,
				i;

	ews_mime_fields_init(&g);
	copy_field(&g, f, e);
	*gen = ews_mime_generate(&g, 0, &msg, &len, alloc, ctx);
	if (*gen != EWS_MIMEGEN_OK)
		return EWS_MIMEEDIT_GENERATE;
	/* the fields come first, then MIME-Version at the start of a line */
	end = 0;
	while (end + sizeof mv - 1 <= len && memcmp(msg + end, mv, sizeof mv - 1) != 0)
	{
		const uint8_t *nl = memchr(msg + end, '\n', len - end);

		if (nl == NULL)
			return EWS_MIMEEDIT_GENERATE;	/* cannot happen: the generator writes it */
		end = (size_t) (nl - msg) + 1;
	}
	for (i = 0; i < end; i++)
	{
		/* the generator writes CRLF; a message of bare LFs keeps them */
		if (!crlf && msg[i] == '\r' && i + 1 < end && msg[i + 1] == '\n')
			continue;
		ewsm_buf_putc(out, msg[i]);
	}
	return EWS_MIMEEDIT_OK;
}

static EwsMimeEditStatus
rewrite_headers(const uint8_t *msg, size_t len, const EwsMimeFields *f, unsigned which,
				uint8_t **out, size_t *out_len, EwsMimeGenStatus *gen,
				ews_mime_alloc_fn alloc, void *ctx)
{
	EwsMimeInfo info;
	EwsmBuf		b;
	size_t		hlen,
				pos = 0;
	bool		crlf = true;
	bool		emitted[EWS_ME_COUNT] = {false};
	const uint8_t *first_nl;
	int			e;
	EwsMimeEditStatus st;

	if (ews_mime_parse(msg, len, &info, alloc, ctx) != EWS_MIME_OK)
		return EWS_MIMEEDIT_NOT_A_MESSAGE;
	hlen = info.header_len;
	first_nl = memchr(msg, '\n', hlen);
	if (first_nl != NULL)
		crlf = first_nl > msg && first_nl[-1] == '\r';
	ewsm_buf_init(&b, len + 1024, alloc, ctx);

	/* the fields, each with its continuation lines, up to the blank line */
	while (pos < hlen)
	{
		size_t		start = pos,
					name_len,
					line_end;
		const uint8_t *nl = memchr(msg + pos, '\n', hlen - pos);

		line_end = nl ? (size_t) (nl - msg) : hlen;
		if (line_end == pos || (line_end == pos + 1 && msg[pos] == '\r'))
			break;				/* the blank line: the body follows */
		pos = nl ? line_end + 1 : hlen;
		while (pos < hlen && (msg[pos] == ' ' || msg[pos] == '\t'))
		{
			nl = memchr(msg + pos, '\n', hlen - pos);
			pos = nl ? (size_t) (nl - msg) + 1 : hlen;
		}
		e = ewsm_field_colon(msg, start, line_end, &name_len) == SIZE_MAX ? -1 :
			edit_of_name(msg + start, name_len, which);
		if (e < 0)
			ewsm_buf_put(&b, msg + start, pos - start);
		else if (!emitted[e])
		{
			/* the new field takes the place of the first one it replaces */
			emitted[e] = true;
			if ((st = field_lines(&b, f, (EwsMimeEditField) e, crlf, gen, alloc, ctx)) != EWS_MIMEEDIT_OK)
				return st;
		}
	}
	/* fields the message did not have go at the end of the header section */
	for (e = 0; e < EWS_ME_BODY; e++)
	{
		if (!(which & EWS_ME_BIT(e)) || emitted[e])
			continue;
		if (b.len > 0 && b.data[b.len - 1] != '\n')
			ewsm_buf_puts(&b, crlf ? "\r\n" : "\n");
		if ((st = field_lines(&b, f, (EwsMimeEditField) e, crlf, gen, alloc, ctx)) != EWS_MIMEEDIT_OK)
			return st;
	}
	/* the blank line and the body, as they were */
	ewsm_buf_put(&b, msg + pos, len - pos);
	*out_len = b.len;
	*out = (uint8_t *) ewsm_buf_cstr(&b);
	return EWS_MIMEEDIT_OK;
}

/* ---- the message made anew (a body change) ---- */

static EwsMimeEditStatus
regenerate(const uint8_t *msg, size_t len, const EwsMimeFields *f, unsigned which, uint64_t seed,
		   uint8_t **out, size_t *out_len, EwsMimeGenStatus *gen,
		   ews_mime_alloc_fn alloc, void *ctx)
{
	EwsMimeMessage m;
	EwsMimeFields g;
	size_t		i;
	int			e;

	if (ews_mime_parse_message(msg, len, &m, alloc, ctx) != EWS_MIME_OK)
		return EWS_MIMEEDIT_NOT_A_MESSAGE;
	if (m.nattachments > 0)
		return EWS_MIMEEDIT_ATTACHMENTS;
	g = m.fields;
	for (e = 0; e < EWS_ME_COUNT; e++)
		if (which & EWS_ME_BIT(e))
			copy_field(&g, f, (EwsMimeEditField) e);
	/* every other top-level field stays, decoded here and encoded again by the generator */
	g.extra = alloc(ctx, sizeof(EwsMimeHeader) * (m.nheaders + 1));
	g.nextra = 0;
	for (i = 0; i < m.nheaders; i++)
	{
		const EwsMimeHeader *h = &m.headers[i];

		if (h->name == NULL || strlen(h->name) > 76 || ewsm_gen_reserved_name(h->name))
			continue;
		g.extra[g.nextra].name = h->name;
		g.extra[g.nextra].value = ews_mime_decode_header_value(h->value ? h->value : "", alloc, ctx);
		g.nextra++;
	}
	*gen = ews_mime_generate(&g, seed, out, out_len, alloc, ctx);
	return *gen == EWS_MIMEGEN_OK ? EWS_MIMEEDIT_OK : EWS_MIMEEDIT_GENERATE;
}

EwsMimeEditStatus
ews_mime_edit(const uint8_t *msg, size_t len, const EwsMimeFields *f, unsigned which,
			  uint64_t seed, uint8_t **out, size_t *out_len, EwsMimeGenStatus *gen,
			  ews_mime_alloc_fn alloc, void *ctx)
{
	EwsMimeEditStatus st;

	*out = NULL;
	*out_len = 0;
	*gen = EWS_MIMEGEN_OK;
	which &= EWS_ME_ALL;
	if (which & EWS_ME_BIT(EWS_ME_BODY))
		st = regenerate(msg, len, f, which, seed, out, out_len, gen, alloc, ctx);
	else
		st = rewrite_headers(msg, len, f, which, out, out_len, gen, alloc, ctx);
	if (st != EWS_MIMEEDIT_OK)
	{
		*out = NULL;
		*out_len = 0;
	}
	return st;
}
