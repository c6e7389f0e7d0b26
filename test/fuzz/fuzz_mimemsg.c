/*
 * fuzz_mimemsg.c
 *	  libFuzzer harness for the whole-message reader (ews_mime_parse_message)
 *	  and the body renderings.
 *
 * Checks the promises mime.h makes: the status is ews_mime_parse's; every
 * string is clean text; attachment offsets stay inside the input and their
 * content has the size announced; counts stay under their limits; the work
 * is at most EWS_MIME_WORK_FACTOR per byte; html_to_text and text_to_html
 * give clean text for anything.  Allocations are freed after each run, so
 * LeakSanitizer sees any malloc of the codec's own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "../unit/mimetest.h"

static void
must(int cond)
{
	if (!cond)
		abort();
}

static void
check_list(const EwsMimeAddressList *l)
{
	size_t		i;

	for (i = 0; i < l->n; i++)
		must(l->v[i].address != NULL && mt_clean(l->v[i].address, 0) && mt_clean(l->v[i].name, 0) &&
			 mt_clean(l->v[i].group, 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EwsMimeMessage m;
	EwsMimeInfo info;
	EwsMimeStatus st = ews_mime_parse_message(data, size, &m, talloc, NULL);
	size_t		i,
				n,
				total_addr;
	char	   *r;

	must(ews_mime_parse(data, size, &info, talloc, NULL) == st);
	if (st == EWS_MIME_OK)
	{
		must(m.info.header_len == info.header_len && mt_streq(m.info.subject, info.subject));
		check_list(&m.fields.from);
		check_list(&m.fields.sender);
		check_list(&m.fields.reply_to);
		check_list(&m.fields.to);
		check_list(&m.fields.cc);
		check_list(&m.fields.bcc);
		total_addr = m.fields.from.n + m.fields.sender.n + m.fields.reply_to.n + m.fields.to.n +
			m.fields.cc.n + m.fields.bcc.n;
		must(total_addr <= EWS_MIME_MAX_ADDRESSES);
		must(m.fields.ncategories <= EWS_MIME_MAX_CATEGORIES);
		for (i = 0; i < m.fields.ncategories; i++)
			must(mt_clean(m.fields.categories[i], 0) && m.fields.categories[i][0] != '\0');
		must(mt_clean(m.fields.in_reply_to, 0) && mt_clean(m.fields.references, 0));
		must(mt_clean(m.fields.text_body, 1) && mt_clean(m.fields.html_body, 1));
		must(m.fields.text_body == NULL || strlen(m.fields.text_body) == m.fields.text_body_len);
		must(m.fields.html_body == NULL || strlen(m.fields.html_body) == m.fields.html_body_len);
		must(m.header_text != NULL && mt_clean(m.header_text, 1) &&
			 strlen(m.header_text) == m.header_text_len);
		for (i = 0; i < m.nheaders; i++)
			must(mt_clean(m.headers[i].name, 0) && mt_clean(m.headers[i].value, 0));
		must(m.nparts >= 1 && m.nparts <= EWS_MIME_MAX_PARTS);
		must(m.nattachments <= EWS_MIME_MAX_PARTS + EWS_MIME_MAX_DEPTH + 1);
		for (i = 0; i < m.nattachments; i++)
		{
			const EwsMimeAttachment *a = &m.attachments[i];
			uint8_t    *c;

			must(a->body_offset <= size && a->body_len <= size - a->body_offset);
			must(mt_clean(a->filename, 0) && mt_clean(a->content_id, 0) &&
				 mt_clean(a->content_location, 0) && a->content_type != NULL &&
				 mt_clean(a->content_type, 0));
			must(!a->is_inline || m.has_attachments || 1);
			c = ews_mime_attachment_content(data, size, a, &n, talloc, NULL);
			must(c != NULL && n == a->size);
		}
		must(m.work <= (size_t) EWS_MIME_WORK_FACTOR * size + EWS_MIME_WORK_CONST);
		if (m.fields.html_body != NULL)
		{
			r = ews_mime_html_to_text(m.fields.html_body, m.fields.html_body_len, &n, talloc, NULL);
			must(mt_clean(r, 1) && strlen(r) == n);
		}
		if (m.fields.text_body != NULL)
		{
			r = ews_mime_text_to_html(m.fields.text_body, m.fields.text_body_len, &n, talloc, NULL);
			must(mt_clean(r, 1) && strlen(r) == n);
		}
	}
	else
		must(m.fields.subject == NULL && m.nattachments == 0 && m.header_text == NULL);

	/* the renderings take any bytes */
	r = ews_mime_html_to_text((const char *) data, size, &n, talloc, NULL);
	must(mt_clean(r, 1) && strlen(r) == n);
	r = ews_mime_text_to_html((const char *) data, size, &n, talloc, NULL);
	must(mt_clean(r, 1) && strlen(r) == n);

	tfree_all();
	return 0;
}
