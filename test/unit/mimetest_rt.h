/*
 * mimetest_rt.h
 *	  The round-trip property of the MIME generator, shared by the unit test
 *	  (test_mime_gen.c) and the fuzz target (test/fuzz/fuzz_mimegen.c):
 *	  ews_mime_parse_message(ews_mime_generate(f)) gives f back, with the
 *	  normalisations mime.h documents.  Inputs are clean text (the callers
 *	  build them so), so no cleaning is expected here.
 */
#ifndef EWS_MIMETEST_RT_H
#define EWS_MIMETEST_RT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mime.h"

static char rt_why[1024];

static int
rt_str_eq(const char *want, const char *got, int empty_is_null)
{
	if (empty_is_null && want != NULL && want[0] == '\0')
		want = NULL;
	if (want == NULL || got == NULL)
		return want == got;
	return strcmp(want, got) == 0;
}

/* White space runs as one space, trimmed (In-Reply-To, References). */
static int
rt_collapsed_eq(const char *want, const char *got)
{
	char		buf[4096];
	size_t		k = 0,
				i;

	if (want == NULL)
		return got == NULL;
	for (i = 0; want[i] && k + 1 < sizeof buf; i++)
	{
		if (want[i] == ' ' || want[i] == '\t' || want[i] == '\r' || want[i] == '\n')
		{
			if (k > 0 && buf[k - 1] != ' ')
				buf[k++] = ' ';
			continue;
		}
		buf[k++] = want[i];
	}
	while (k > 0 && buf[k - 1] == ' ')
		k--;
	buf[k] = '\0';
	return rt_str_eq(buf, got, 1);
}

static int
rt_list_eq(const char *what, const EwsMimeAddressList *want, const EwsMimeAddressList *got)
{
	size_t		i;

	if (want->n != got->n)
	{
		snprintf(rt_why, sizeof rt_why, "%s: %zu addresses, want %zu", what, got->n, want->n);
		return 0;
	}
	for (i = 0; i < want->n; i++)
		if (!rt_str_eq(want->v[i].name, got->v[i].name, 1) ||
			!rt_str_eq(want->v[i].address, got->v[i].address, 0) || got->v[i].group != NULL)
		{
			snprintf(rt_why, sizeof rt_why, "%s[%zu]: [%.60s] <%.60s>, want [%.60s] <%.60s>", what, i,
					 got->v[i].name ? got->v[i].name : "(null)", got->v[i].address,
					 want->v[i].name ? want->v[i].name : "(null)", want->v[i].address);
			return 0;
		}
	return 1;
}

static int
rt_body_eq(const char *want, size_t wn, const char *got, size_t gn)
{
	if (want == NULL)
		wn = 0;
	if (got == NULL)
		gn = 0;
	return wn == gn && (wn == 0 || memcmp(want, got, wn) == 0);
}

/* 1 when m is what parsing f's message must give; else 0 and rt_why says why. */
static int
rt_check(const EwsMimeFields *f, const EwsMimeMessage *m, ews_mime_alloc_fn alloc, void *ctx)
{
	const EwsMimeFields *g = &m->fields;
	size_t		i,
				k;

	rt_why[0] = '\0';
	if (!rt_list_eq("from", &f->from, &g->from) || !rt_list_eq("sender", &f->sender, &g->sender) ||
		!rt_list_eq("reply-to", &f->reply_to, &g->reply_to) || !rt_list_eq("to", &f->to, &g->to) ||
		!rt_list_eq("cc", &f->cc, &g->cc) || !rt_list_eq("bcc", &f->bcc, &g->bcc))
		return 0;
	if (!rt_str_eq(f->subject, g->subject, 0))
	{
		snprintf(rt_why, sizeof rt_why, "subject [%.100s], want [%.100s]",
				 g->subject ? g->subject : "(null)", f->subject ? f->subject : "(null)");
		return 0;
	}
	if (f->has_date != g->has_date || (f->has_date && f->date - f->date % 10000000 != g->date))
	{
		snprintf(rt_why, sizeof rt_why, "date %lld, want %lld", (long long) g->date, (long long) f->date);
		return 0;
	}
	/* a Message-ID is kept as sent, trimmed: one token, so collapsing is trimming */
	if (!rt_collapsed_eq(f->message_id, g->message_id) || !rt_collapsed_eq(f->in_reply_to, g->in_reply_to) ||
		!rt_collapsed_eq(f->references, g->references))
	{
		snprintf(rt_why, sizeof rt_why, "message ids [%.60s] [%.60s] [%.60s]",
				 g->message_id ? g->message_id : "(null)", g->in_reply_to ? g->in_reply_to : "(null)",
				 g->references ? g->references : "(null)");
		return 0;
	}
	if (f->importance != g->importance || f->sensitivity != g->sensitivity)
	{
		snprintf(rt_why, sizeof rt_why, "importance %d sensitivity %d", g->importance, g->sensitivity);
		return 0;
	}
	for (i = 0, k = 0; i < f->ncategories; i++)
	{
		if (f->categories[i] == NULL || f->categories[i][0] == '\0')
			continue;
		if (k >= g->ncategories || strcmp(f->categories[i], g->categories[k]) != 0)
		{
			snprintf(rt_why, sizeof rt_why, "category %zu [%.60s], want [%.60s]", k,
					 k < g->ncategories ? g->categories[k] : "(none)", f->categories[i]);
			return 0;
		}
		k++;
	}
	if (k != g->ncategories)
	{
		snprintf(rt_why, sizeof rt_why, "%zu categories, want %zu", g->ncategories, k);
		return 0;
	}
	if (!rt_body_eq(f->text_body, f->text_body_len, g->text_body, g->text_body_len) ||
		!rt_body_eq(f->html_body, f->html_body_len, g->html_body, g->html_body_len))
	{
		snprintf(rt_why, sizeof rt_why, "body differs (text %zu/%zu bytes, html %zu/%zu)",
				 g->text_body_len, f->text_body ? f->text_body_len : 0,
				 g->html_body_len, f->html_body ? f->html_body_len : 0);
		return 0;
	}
	if (m->nattachments != 0)
	{
		snprintf(rt_why, sizeof rt_why, "%zu attachments", m->nattachments);
		return 0;
	}
	/* extra fields: the k-th of a name matches the k-th header of that name */
	for (i = 0; i < f->nextra; i++)
	{
		size_t		nth = 0,
					j,
					seen = 0;
		const char *got = NULL;

		for (j = 0; j < i; j++)
			if (strcmp(f->extra[j].name, f->extra[i].name) == 0)
				nth++;
		for (j = 0; j < m->nheaders; j++)
			if (strcmp(m->headers[j].name, f->extra[i].name) == 0 && seen++ == nth)
			{
				got = m->headers[j].value;
				break;
			}
		if (got == NULL)
		{
			snprintf(rt_why, sizeof rt_why, "extra field %s missing", f->extra[i].name);
			return 0;
		}
		got = ews_mime_decode_header_value(got, alloc, ctx);
		if (strcmp(got, f->extra[i].value) != 0)
		{
			snprintf(rt_why, sizeof rt_why, "extra field %s: [%.80s], want [%.80s]", f->extra[i].name,
					 got, f->extra[i].value);
			return 0;
		}
	}
	return 1;
}

/*
 * The form every generated message has: ASCII, CRLF line ends only, no line
 * over 998 characters, header lines over 78 only when one token is longer.
 */
static int
rt_form_ok(const uint8_t *s, size_t n)
{
	size_t		i,
				col = 0,
				line = 0,
				fold_points = 0;
	int			in_header = 1,
				quoted = 0;

	for (i = 0; i < n; i++)
	{
		/* a header line over 78 must be one token that could not be folded */
		if (in_header && s[i] == '"' && (i == 0 || s[i - 1] != '\\'))
			quoted = !quoted;
		if (in_header && (s[i] == ' ' || s[i] == '\t') && col > 0 && !quoted)
			fold_points++;
		if (in_header && s[i] == '\r')
		{
			if (col > 78 && fold_points > 0)
			{
				snprintf(rt_why, sizeof rt_why, "header line at %zu is %zu long but could fold", line, col);
				return 0;
			}
			if (col == 0)
				in_header = 0;
			fold_points = 0;
			quoted = 0;
			line = i + 2;
		}
		if (s[i] >= 0x80 || s[i] == 0)
		{
			snprintf(rt_why, sizeof rt_why, "byte %zu is 0x%02x", i, s[i]);
			return 0;
		}
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
		{
			snprintf(rt_why, sizeof rt_why, "bare LF at %zu", i);
			return 0;
		}
		if (s[i] == '\r' && (i + 1 >= n || s[i + 1] != '\n'))
		{
			snprintf(rt_why, sizeof rt_why, "bare CR at %zu", i);
			return 0;
		}
		if (s[i] == '\r')
		{
			col = 0;
			i++;
			continue;
		}
		if (++col > 998)
		{
			snprintf(rt_why, sizeof rt_why, "line over 998 at %zu", i);
			return 0;
		}
	}
	return 1;
}

#endif
