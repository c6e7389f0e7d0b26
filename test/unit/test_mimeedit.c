/*
 * test_mimeedit.c
 *	  Unit tests for the message editor (mimeedit.h): a header change
 *	  rewrites exactly that field and keeps every other byte (CRLF and bare
 *	  LF messages, folded fields, several fields of one name, a message
 *	  without a body); a removal; a body change makes the message anew and
 *	  keeps the other fields; a message with attachments refuses a body
 *	  change; the generator's refusals come back; ews_mime_fields_differ.
 *	  Every edited message is parsed again and must say what was set.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "mimeedit.h"
#include "mimetest.h"
#include "unit.h"

static uint8_t *out;
static size_t outlen;
static EwsMimeGenStatus gst;

static EwsMimeEditStatus
edit(const char *msg, const EwsMimeFields *f, unsigned which)
{
	return ews_mime_edit((const uint8_t *) msg, strlen(msg), f, which, 7, &out, &outlen, &gst, talloc, NULL);
}

static int
out_is(const char *want)
{
	int			ok = outlen == strlen(want) && memcmp(out, want, outlen) == 0;

	if (!ok)
		printf("#   got:\n%.*s\n#   want:\n%s\n", (int) outlen, out, want);
	return ok;
}

static EwsMimeMessage parsed;

static int
reparse(void)
{
	return ews_mime_parse_message(out, outlen, &parsed, talloc, NULL) == EWS_MIME_OK;
}

static const char base[] =
	"Received: from mx.example.net by mail.example.com; Mon, 2 Feb 2026 10:00:01 +0000\r\n"
	"From: Alice <alice@example.com>\r\n"
	"To: Bob <bob@example.org>,\r\n"
	"  carol@example.org\r\n"
	"Subject: Old subject\r\n"
	"Date: Mon, 02 Feb 2026 10:00:00 +0000\r\n"
	"Message-ID: <m1@example.com>\r\n"
	"X-Priority: 5\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"\r\n"
	"Body line 1\r\n"
	"Body line 2\r\n";

static void
test_subject(void)
{
	EwsMimeFields f;

	ews_mime_fields_init(&f);
	f.subject = "New subject";
	CHECK(edit(base, &f, EWS_ME_BIT(EWS_ME_SUBJECT)) == EWS_MIMEEDIT_OK &&
		  out_is("Received: from mx.example.net by mail.example.com; Mon, 2 Feb 2026 10:00:01 +0000\r\n"
				 "From: Alice <alice@example.com>\r\n"
				 "To: Bob <bob@example.org>,\r\n"
				 "  carol@example.org\r\n"
				 "Subject: New subject\r\n"
				 "Date: Mon, 02 Feb 2026 10:00:00 +0000\r\n"
				 "Message-ID: <m1@example.com>\r\n"
				 "X-Priority: 5\r\n"
				 "MIME-Version: 1.0\r\n"
				 "Content-Type: text/plain; charset=utf-8\r\n"
				 "\r\n"
				 "Body line 1\r\n"
				 "Body line 2\r\n"),
		  "Subject replaced in place, every other byte kept");

	f.subject = "Grüße aus Köln";
	CHECK(edit(base, &f, EWS_ME_BIT(EWS_ME_SUBJECT)) == EWS_MIMEEDIT_OK && reparse() &&
		  strcmp(parsed.fields.subject, "Grüße aus Köln") == 0 &&
		  memmem(out, outlen, "Subject: =?", 11) != NULL,
		  "a non-ASCII subject is written as RFC 2047 encoded-words and reads back");

	f.subject = NULL;
	CHECK(edit(base, &f, EWS_ME_BIT(EWS_ME_SUBJECT)) == EWS_MIMEEDIT_OK && reparse() &&
		  parsed.fields.subject == NULL && memmem(out, outlen, "Subject", 7) == NULL,
		  "Subject removed");
}

static void
test_lists_and_absent_fields(void)
{
	EwsMimeFields f;
	EwsMimeAddress to[2] = {{"Dave D.", "dave@example.net", NULL}, {NULL, "eve@example.net", NULL}};
	EwsMimeAddress cc = {"Frank", "frank@example.net", NULL};

	ews_mime_fields_init(&f);
	f.to.v = to;
	f.to.n = 2;
	f.cc.v = &cc;
	f.cc.n = 1;
	CHECK(edit(base, &f, EWS_ME_BIT(EWS_ME_TO) | EWS_ME_BIT(EWS_ME_CC)) == EWS_MIMEEDIT_OK && reparse() &&
		  parsed.fields.to.n == 2 && strcmp(parsed.fields.to.v[0].address, "dave@example.net") == 0 &&
		  strcmp(parsed.fields.to.v[0].name, "Dave D.") == 0 &&
		  strcmp(parsed.fields.to.v[1].address, "eve@example.net") == 0 &&
		  parsed.fields.cc.n == 1 && strcmp(parsed.fields.cc.v[0].name, "Frank") == 0,
		  "To (a folded field) replaced, Cc (absent) added");
	CHECK(memmem(out, outlen, "carol", 5) == NULL && memmem(out, outlen, "Subject: Old subject\r\n", 22) != NULL &&
		  memmem(out, outlen, "\r\n\r\nBody line 1\r\nBody line 2\r\n", 30) != NULL,
		  "the old To's continuation line is gone, the rest is as it was");
	{
		const char *cc_at = memmem(out, outlen, "Cc: ", 4);
		const char *mv_at = memmem(out, outlen, "Content-Type: text/plain", 24);

		CHECK(cc_at != NULL && mv_at != NULL && cc_at > mv_at &&
			  memmem(out, outlen, "Cc: Frank <frank@example.net>\r\n\r\nBody", 37) != NULL,
			  "a field the message lacked goes at the end of the header section");
	}
	f.to.n = 0;
	CHECK(edit(base, &f, EWS_ME_BIT(EWS_ME_TO)) == EWS_MIMEEDIT_OK && reparse() && parsed.fields.to.n == 0,
		  "an empty list removes the field");
}

static void
test_importance(void)
{
	EwsMimeFields f;
	static const char many[] =
		"Subject: x\r\nX-Priority: 5\r\nImportance: low\r\nX-MSMail-Priority: Low\r\n\r\nb\r\n";

	ews_mime_fields_init(&f);
	f.importance = EWS_MIME_IMPORTANCE_HIGH;
	CHECK(edit(many, &f, EWS_ME_BIT(EWS_ME_IMPORTANCE)) == EWS_MIMEEDIT_OK &&
		  out_is("Subject: x\r\nImportance: high\r\nX-Priority: 1\r\n\r\nb\r\n"),
		  "importance: all four priority fields replaced by the generator's pair, where the first was");
	f.importance = EWS_MIME_IMPORTANCE_NORMAL;
	CHECK(edit(many, &f, EWS_ME_BIT(EWS_ME_IMPORTANCE)) == EWS_MIMEEDIT_OK && out_is("Subject: x\r\n\r\nb\r\n"),
		  "normal importance: no priority field at all");
	f.sensitivity = EWS_MIME_SENSITIVITY_PRIVATE;
	CHECK(edit(many, &f, EWS_ME_BIT(EWS_ME_SENSITIVITY)) == EWS_MIMEEDIT_OK && reparse() &&
		  parsed.fields.sensitivity == EWS_MIME_SENSITIVITY_PRIVATE &&
		  parsed.fields.importance == EWS_MIME_IMPORTANCE_LOW,
		  "sensitivity added, importance untouched");
}

static void
test_line_ends_and_shapes(void)
{
	EwsMimeFields f;

	ews_mime_fields_init(&f);
	f.subject = "New";
	CHECK(edit("From: a@b.c\nSubject: Old\nSubject: Older\n\nbody\n", &f, EWS_ME_BIT(EWS_ME_SUBJECT)) ==
		  EWS_MIMEEDIT_OK && out_is("From: a@b.c\nSubject: New\n\nbody\n"),
		  "bare LF message: the new field with LF, the second Subject gone");
	CHECK(edit("Subject: Old", &f, EWS_ME_BIT(EWS_ME_SUBJECT)) == EWS_MIMEEDIT_OK && out_is("Subject: New\r\n"),
		  "a message of one field without a line end or body");
	f.message_id = "<new@example.com>";
	CHECK(edit("Subject: Old", &f, EWS_ME_BIT(EWS_ME_MESSAGE_ID)) == EWS_MIMEEDIT_OK &&
		  out_is("Subject: Old\r\nMessage-ID: <new@example.com>\r\n"),
		  "a field added after a last line without a line end");
	CHECK(edit("", &f, EWS_ME_BIT(EWS_ME_SUBJECT)) == EWS_MIMEEDIT_NOT_A_MESSAGE && out == NULL,
		  "an empty message cannot be edited");
	CHECK(edit("not a header line\r\n\r\n", &f, EWS_ME_BIT(EWS_ME_SUBJECT)) == EWS_MIMEEDIT_NOT_A_MESSAGE,
		  "bytes that are not a message cannot be edited");
	CHECK(edit(base, &f, 0) == EWS_MIMEEDIT_OK && out_is(base), "no field: the message as it was");
}

static void
test_refusals(void)
{
	EwsMimeFields f;
	EwsMimeAddress bad = {NULL, "jürgen@example.com", NULL};

	ews_mime_fields_init(&f);
	f.from.v = &bad;
	f.from.n = 1;
	CHECK(edit(base, &f, EWS_ME_BIT(EWS_ME_FROM)) == EWS_MIMEEDIT_GENERATE && gst == EWS_MIMEGEN_BAD_ADDRESS &&
		  out == NULL,
		  "an address that is not ASCII: the generator's refusal, nothing made");
	f.from.n = 0;
	f.message_id = "<\xc3\xa4@x>";
	CHECK(edit(base, &f, EWS_ME_BIT(EWS_ME_MESSAGE_ID)) == EWS_MIMEEDIT_GENERATE && gst == EWS_MIMEGEN_BAD_ID,
		  "a Message-ID that is not ASCII is refused");
}

static void
test_body(void)
{
	EwsMimeFields f;
	static const char with_attachment[] =
		"Subject: a\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
		"--b\r\nContent-Type: text/plain\r\n\r\ntext\r\n"
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"x.pdf\"\r\n\r\nPDF\r\n"
		"--b--\r\n";

	ews_mime_fields_init(&f);
	f.text_body = "A new body.\r\n";
	f.text_body_len = strlen(f.text_body);
	f.subject = "Changed too";
	CHECK(edit(base, &f, EWS_ME_BIT(EWS_ME_BODY) | EWS_ME_BIT(EWS_ME_SUBJECT)) == EWS_MIMEEDIT_OK && reparse() &&
		  parsed.fields.text_body_len == f.text_body_len &&
		  memcmp(parsed.fields.text_body, f.text_body, f.text_body_len) == 0 &&
		  strcmp(parsed.fields.subject, "Changed too") == 0,
		  "body and subject changed: the message made anew says both");
	CHECK(parsed.fields.to.n == 2 && strcmp(parsed.fields.to.v[1].address, "carol@example.org") == 0 &&
		  strcmp(parsed.fields.message_id, "<m1@example.com>") == 0 &&
		  parsed.fields.importance == EWS_MIME_IMPORTANCE_LOW && parsed.fields.has_date &&
		  memmem(out, outlen, "Received: from mx.example.net by mail.example.com;", 50) != NULL,
		  "the other fields stay: To, Message-ID, Date, importance, Received");
	CHECK(ews_mime_edit((const uint8_t *) base, strlen(base), &f, EWS_ME_BIT(EWS_ME_BODY), 7, &out, &outlen, &gst,
						talloc, NULL) == EWS_MIMEEDIT_OK && outlen > 0,
		  "the same edit again");
	{
		uint8_t    *first = out;
		size_t		first_len = outlen;

		CHECK(edit(base, &f, EWS_ME_BIT(EWS_ME_BODY)) == EWS_MIMEEDIT_OK && outlen == first_len &&
			  memcmp(out, first, outlen) == 0, "deterministic: the same edit gives the same bytes");
	}
	f.text_body = NULL;
	f.text_body_len = 0;
	f.html_body = "<p>HTML now</p>";
	f.html_body_len = strlen(f.html_body);
	CHECK(edit(base, &f, EWS_ME_BIT(EWS_ME_BODY)) == EWS_MIMEEDIT_OK && reparse() &&
		  parsed.fields.text_body == NULL && parsed.fields.html_body != NULL &&
		  strcmp(parsed.fields.html_body, "<p>HTML now</p>") == 0,
		  "an HTML body replaces the text body");
	CHECK(edit(with_attachment, &f, EWS_ME_BIT(EWS_ME_BODY)) == EWS_MIMEEDIT_ATTACHMENTS && out == NULL,
		  "a body change of a message with an attachment is refused");
	f.subject = "header only";
	CHECK(edit(with_attachment, &f, EWS_ME_BIT(EWS_ME_SUBJECT)) == EWS_MIMEEDIT_OK && reparse() &&
		  parsed.nattachments == 1 && strcmp(parsed.fields.subject, "header only") == 0,
		  "a header change of a message with an attachment keeps the attachment");
}

static void
test_differ(void)
{
	EwsMimeFields a,
				b;
	EwsMimeAddress x = {"X", "x@example.com", NULL};
	EwsMimeAddress y = {NULL, "x@example.com", NULL};

	ews_mime_fields_init(&a);
	ews_mime_fields_init(&b);
	a.subject = "";
	CHECK(ews_mime_fields_differ(&a, &b, EWS_ME_ALL) == 0, "empty subject and none, normal values: the same");
	b.subject = "s";
	b.importance = EWS_MIME_IMPORTANCE_HIGH;
	a.to.v = &x;
	a.to.n = 1;
	b.to.v = &y;
	b.to.n = 1;
	CHECK_EQ_INT(ews_mime_fields_differ(&a, &b, EWS_ME_ALL),
				 EWS_ME_BIT(EWS_ME_SUBJECT) | EWS_ME_BIT(EWS_ME_IMPORTANCE) | EWS_ME_BIT(EWS_ME_TO),
				 "subject, importance and a display name differ");
	CHECK_EQ_INT(ews_mime_fields_differ(&a, &b, EWS_ME_BIT(EWS_ME_CC) | EWS_ME_BIT(EWS_ME_SUBJECT)),
				 EWS_ME_BIT(EWS_ME_SUBJECT), "only the fields asked about");
	a.has_date = b.has_date = true;
	a.date = INT64_C(133541891900000000);
	b.date = a.date + 9999999;
	CHECK(ews_mime_fields_differ(&a, &b, EWS_ME_BIT(EWS_ME_DATE)) == 0, "dates compare to the second");
	a.text_body = "t";
	a.text_body_len = 1;
	CHECK(ews_mime_fields_differ(&a, &b, EWS_ME_BIT(EWS_ME_BODY)) == EWS_ME_BIT(EWS_ME_BODY), "bodies compare");
}

int
main(void)
{
	test_subject();
	test_lists_and_absent_fields();
	test_importance();
	test_line_ends_and_shapes();
	test_refusals();
	test_body();
	test_differ();
	tfree_all();
	return unit_done();
}
