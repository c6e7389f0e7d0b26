/*
 * test_mime_msg.c
 *	  Unit tests for the whole-message reader (ews_mime_parse_message):
 *	  address lists, MIME structure, body choice, attachments, charsets,
 *	  broken and hostile messages.  The samples are written for these tests
 *	  in the shapes Thunderbird, Outlook, Apple Mail and Gmail send.
 *
 * Bounded work is asserted by counting (EwsMimeMessage.work and the
 * allocator's bytes), never by timing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "mimetest.h"
#include "unit.h"

static EwsMimeMessage m;

static EwsMimeStatus
parse_n(const void *s, size_t n)
{
	mt_reset_counts();
	return ews_mime_parse_message((const uint8_t *) s, n, &m, talloc, NULL);
}

static EwsMimeStatus
parse(const char *s)
{
	return parse_n(s, strlen(s));
}

/* Every string of the result is clean text; offsets stay inside the input. */
static int
all_clean(size_t len)
{
	size_t		i;
	const EwsMimeAddressList *ls[6] = {&m.fields.from, &m.fields.sender, &m.fields.reply_to,
	&m.fields.to, &m.fields.cc, &m.fields.bcc};

	for (i = 0; i < 6; i++)
	{
		size_t		k;

		for (k = 0; k < ls[i]->n; k++)
			if (!mt_clean(ls[i]->v[k].name, 0) || !mt_clean(ls[i]->v[k].address, 0) ||
				ls[i]->v[k].address == NULL || !mt_clean(ls[i]->v[k].group, 0))
				return 0;
	}
	for (i = 0; i < m.nheaders; i++)
		if (!mt_clean(m.headers[i].name, 0) || !mt_clean(m.headers[i].value, 0))
			return 0;
	for (i = 0; i < m.fields.ncategories; i++)
		if (!mt_clean(m.fields.categories[i], 0) || m.fields.categories[i][0] == '\0')
			return 0;
	for (i = 0; i < m.nattachments; i++)
	{
		const EwsMimeAttachment *a = &m.attachments[i];

		if (!mt_clean(a->filename, 0) || !mt_clean(a->content_id, 0) ||
			!mt_clean(a->content_type, 0) || a->body_offset > len ||
			a->body_len > len - a->body_offset)
			return 0;
	}
	return mt_clean(m.fields.subject, 0) && mt_clean(m.fields.in_reply_to, 0) &&
		mt_clean(m.fields.references, 0) && mt_clean(m.fields.text_body, 1) &&
		mt_clean(m.fields.html_body, 1) && mt_clean(m.header_text, 1) &&
		(m.fields.text_body == NULL || strlen(m.fields.text_body) == m.fields.text_body_len) &&
		(m.fields.html_body == NULL || strlen(m.fields.html_body) == m.fields.html_body_len);
}

static int
addr_is(const EwsMimeAddressList *l, size_t i, const char *name, const char *addr)
{
	if (i >= l->n)
	{
		printf("#   no element %zu (n = %zu)\n", i, l->n);
		return 0;
	}
	if (!mt_streq(l->v[i].name, name) || !mt_streq(l->v[i].address, addr))
	{
		printf("#   got [%s] <%s>, want [%s] <%s>\n", l->v[i].name ? l->v[i].name : "(null)",
			   l->v[i].address ? l->v[i].address : "(null)", name ? name : "(null)",
			   addr ? addr : "(null)");
		return 0;
	}
	return 1;
}

/* Parse "To: <raw>" and check the list. */
static const EwsMimeAddressList *
to_list(const char *raw)
{
	char		buf[4096];

	snprintf(buf, sizeof buf, "To: %s\r\n\r\n", raw);
	if (parse(buf) != EWS_MIME_OK)
		return NULL;
	return &m.fields.to;
}

static void
test_addresses(void)
{
	const EwsMimeAddressList *l;

	l = to_list("alice@example.com");
	CHECK(l && l->n == 1 && addr_is(l, 0, NULL, "alice@example.com"), "bare addr-spec");
	l = to_list("Alice Example <alice@example.com>");
	CHECK(l && l->n == 1 && addr_is(l, 0, "Alice Example", "alice@example.com"), "name-addr");
	l = to_list("\"Example, Alice\" <alice@example.com>, bob@example.com");
	CHECK(l && l->n == 2 && addr_is(l, 0, "Example, Alice", "alice@example.com") &&
		  addr_is(l, 1, NULL, "bob@example.com"), "quoted name with a comma, two elements");
	l = to_list("\"A \\\"quoted\\\" \\\\ name\" <a@b.c>");
	CHECK(l && addr_is(l, 0, "A \"quoted\" \\ name", "a@b.c"), "quoted-pairs in a quoted name");
	l = to_list("=?utf-8?Q?J=C3=B6rg_M=C3=BCller?= <j@example.de>");
	CHECK(l && addr_is(l, 0, "J\xC3\xB6rg M\xC3\xBCller", "j@example.de"), "RFC 2047 name");
	l = to_list("=?UTF-8?B?5bGx55Sw?= =?UTF-8?B?5aSq6YOO?= <t@example.jp>");
	CHECK(l && addr_is(l, 0, "\xE5\xB1\xB1\xE7\x94\xB0\xE5\xA4\xAA\xE9\x83\x8E", "t@example.jp"),
		  "two encoded-words: the space between goes");
	l = to_list("\"=?iso-8859-1?Q?Andr=E9?=\" <andre@example.fr>");
	CHECK(l && addr_is(l, 0, "Andr\xC3\xA9", "andre@example.fr"),
		  "encoded-word inside quotes (Outlook) is decoded");
	l = to_list("Mr. John Q. Public <jqp@example.net>");
	CHECK(l && addr_is(l, 0, "Mr. John Q. Public", "jqp@example.net"), "obs-phrase with dots");
	l = to_list("john@example.org (John Smith)");
	CHECK(l && addr_is(l, 0, "John Smith", "john@example.org"), "old style: name in a comment");
	l = to_list("John (the boss) Smith <john@example.org>");
	CHECK(l && addr_is(l, 0, "John Smith", "john@example.org"), "comment inside a phrase is not name");
	l = to_list("  Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>");
	CHECK(l && addr_is(l, 0, "Pete", "pete@silly.test"), "RFC 5322 A.5 comments everywhere");
	l = to_list("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, Mary <mary@x.test>");
	CHECK(l && l->n == 4 && addr_is(l, 0, "Ed Jones", "c@a.test") && mt_streq(l->v[0].group, "A Group") &&
		  addr_is(l, 1, NULL, "joe@where.test") && mt_streq(l->v[1].group, "A Group") &&
		  addr_is(l, 2, "John", "jdoe@one.test") && mt_streq(l->v[2].group, "A Group") &&
		  addr_is(l, 3, "Mary", "mary@x.test") && l->v[3].group == NULL,
		  "RFC 5322 A.1.3 group, then a mailbox outside it");
	l = to_list("undisclosed-recipients:;");
	CHECK(l && l->n == 0, "empty group adds nothing");
	l = to_list("<@route1,@route2:user@example.com>");
	CHECK(l && addr_is(l, 0, NULL, "user@example.com"), "obs-route dropped");
	l = to_list("a@x.test; b@y.test;c@z.test");
	CHECK(l && l->n == 3 && addr_is(l, 2, NULL, "c@z.test"), "semicolons as separators (Outlook users)");
	l = to_list("a@x.test,, ,b@y.test,");
	CHECK(l && l->n == 2, "empty elements skipped");
	l = to_list("\"john smith\"@example.com");
	CHECK(l && addr_is(l, 0, NULL, "\"john smith\"@example.com"), "quoted local part stays quoted");
	l = to_list("user@[192.0.2.1]");
	CHECK(l && addr_is(l, 0, NULL, "user@[192.0.2.1]"), "domain literal");
	l = to_list("Broken <broken@example.com");
	CHECK(l && addr_is(l, 0, "Broken", "broken@example.com"), "missing '>'");
	l = to_list("John Smith");
	CHECK(l && addr_is(l, 0, "John Smith", ""), "a name without any address");
	l = to_list("john@example.com <john@example.com>");
	CHECK(l && addr_is(l, 0, "john@example.com", "john@example.com"), "unquoted address as name");
	l = to_list("J\xC3\xBCrgen <j@example.de>");
	CHECK(l && addr_is(l, 0, "J\xC3\xBCrgen", "j@example.de"), "raw UTF-8 name (RFC 6532)");
	l = to_list("J\xFCrgen <j@example.de>");
	CHECK(l && addr_is(l, 0, "J\xC3\xBCrgen", "j@example.de"), "raw 8-bit name read as windows-1252");
	l = to_list("\"unterminated <u@example.com>");
	CHECK(l && l->n <= 1 && all_clean(0), "unterminated quote stays clean");
	l = to_list("Name\x01With\x7F" "Controls <c@example.com>");
	CHECK(l && l->n == 1 && all_clean(0), "controls in a name become spaces");
	l = to_list("\"\" <empty@example.com>");
	CHECK(l && addr_is(l, 0, NULL, "empty@example.com"), "empty quoted name is no name");

	parse("From: a@x.test\r\nFrom: b@x.test\r\nTo: t1@x.test\r\nTo: t2@x.test\r\n"
		  "Cc: c@x.test\r\nBcc: d@x.test\r\nReply-To: r@x.test\r\nSender: s@x.test\r\n\r\n");
	CHECK(m.fields.from.n == 1 && addr_is(&m.fields.from, 0, NULL, "a@x.test") &&
		  m.fields.to.n == 2 && addr_is(&m.fields.cc, 0, NULL, "c@x.test") &&
		  addr_is(&m.fields.bcc, 0, NULL, "d@x.test") &&
		  addr_is(&m.fields.reply_to, 0, NULL, "r@x.test") &&
		  addr_is(&m.fields.sender, 0, NULL, "s@x.test"),
		  "first From wins, To fields are merged, every list read");
	{
		char	   *d = ews_mime_display_list(&m.fields.to, talloc, NULL);

		CHECK(strcmp(d, "t1@x.test; t2@x.test") == 0, "display list of addresses");
		to_list("Alice <a@x>, b@y, \"Carol C.\" <c@z>");
		d = ews_mime_display_list(&m.fields.to, talloc, NULL);
		CHECK(strcmp(d, "Alice; b@y; Carol C.") == 0, "display list prefers names");
		m.fields.to.n = 0;
		d = ews_mime_display_list(&m.fields.to, talloc, NULL);
		CHECK(strcmp(d, "") == 0, "display list of nothing is empty");
	}
}

static void
test_fields(void)
{
	static const struct
	{
		const char *hdr;
		int			want;
	}			imp[] = {
		{"Importance: high", EWS_MIME_IMPORTANCE_HIGH},
		{"Importance: Low", EWS_MIME_IMPORTANCE_LOW},
		{"Importance: normal", EWS_MIME_IMPORTANCE_NORMAL},
		{"X-Priority: 1 (Highest)", EWS_MIME_IMPORTANCE_HIGH},
		{"X-Priority: 2", EWS_MIME_IMPORTANCE_HIGH},
		{"X-Priority: 3 (Normal)", EWS_MIME_IMPORTANCE_NORMAL},
		{"X-Priority: 5 (Lowest)", EWS_MIME_IMPORTANCE_LOW},
		{"X-MSMail-Priority: High", EWS_MIME_IMPORTANCE_HIGH},
		{"Priority: urgent", EWS_MIME_IMPORTANCE_HIGH},
		{"Priority: non-urgent", EWS_MIME_IMPORTANCE_LOW},
		{"Importance: bogus\r\nX-Priority: 5", EWS_MIME_IMPORTANCE_LOW},
		{"X-Priority: 1\r\nImportance: low", EWS_MIME_IMPORTANCE_LOW},
		{"Importance: whatever", EWS_MIME_IMPORTANCE_NORMAL},
		{"X-Other: 1", EWS_MIME_IMPORTANCE_NORMAL},
	};
	static const struct
	{
		const char *hdr;
		int			want;
	}			sens[] = {
		{"Sensitivity: Personal", EWS_MIME_SENSITIVITY_PERSONAL},
		{"Sensitivity: private", EWS_MIME_SENSITIVITY_PRIVATE},
		{"Sensitivity: Company-Confidential", EWS_MIME_SENSITIVITY_CONFIDENTIAL},
		{"Sensitivity: Confidential", EWS_MIME_SENSITIVITY_CONFIDENTIAL},
		{"Sensitivity: normal", EWS_MIME_SENSITIVITY_NORMAL},
		{"Sensitivity: odd", EWS_MIME_SENSITIVITY_NORMAL},
		{"X-Other: 1", EWS_MIME_SENSITIVITY_NORMAL},
	};
	char		buf[512];
	size_t		i;

	for (i = 0; i < sizeof imp / sizeof imp[0]; i++)
	{
		snprintf(buf, sizeof buf, "%s\r\n\r\n", imp[i].hdr);
		CHECK(parse(buf) == EWS_MIME_OK && (int) m.fields.importance == imp[i].want,
			  "importance, case %zu", i);
	}
	for (i = 0; i < sizeof sens / sizeof sens[0]; i++)
	{
		snprintf(buf, sizeof buf, "%s\r\n\r\n", sens[i].hdr);
		CHECK(parse(buf) == EWS_MIME_OK && (int) m.fields.sensitivity == sens[i].want,
			  "sensitivity from [%s]", sens[i].hdr);
	}

	parse("Keywords: Red Category, \"Blue, dark\" ,=?utf-8?Q?Gr=C3=BCn?=,,  \r\n"
		  "Keywords: Work\r\n\r\n");
	CHECK(m.fields.ncategories == 4 && strcmp(m.fields.categories[0], "Red Category") == 0 &&
		  strcmp(m.fields.categories[1], "Blue, dark") == 0 &&
		  strcmp(m.fields.categories[2], "Gr\xC3\xBCn") == 0 &&
		  strcmp(m.fields.categories[3], "Work") == 0, "Keywords: phrases, empty dropped, fields merged");

	parse("In-Reply-To:  <a@x>\r\n\t<b@y>  \r\nReferences: <1@x>\r\n <2@x>\t <3@x>\r\n"
		  "Message-ID: <m@x>\r\n\r\n");
	CHECK(mt_streq(m.fields.in_reply_to, "<a@x> <b@y>") &&
		  mt_streq(m.fields.references, "<1@x> <2@x> <3@x>") &&
		  mt_streq(m.fields.message_id, "<m@x>"), "In-Reply-To and References unfolded, runs collapsed");
	parse("Subject: s\r\n\r\n");
	CHECK(m.fields.in_reply_to == NULL && m.fields.references == NULL &&
		  m.fields.importance == EWS_MIME_IMPORTANCE_NORMAL && m.fields.ncategories == 0 &&
		  m.fields.from.n == 0, "absent fields are empty, importance normal");

	/* the header block for PR_TRANSPORT_MESSAGE_HEADERS */
	parse("Received: from a\n\tby b; 1 Jan 2000 00:00 +0000\nSubject: x\n\nbody\n");
	CHECK(mt_streq(m.header_text, "Received: from a\r\n\tby b; 1 Jan 2000 00:00 +0000\r\nSubject: x\r\n"),
		  "header text: folded as sent, CRLF line ends, no blank line");
	CHECK(m.header_text_len == strlen(m.header_text), "header text length");
	parse("Subject: no newline");
	CHECK(mt_streq(m.header_text, "Subject: no newline\r\n"), "header text of a message without line end");
	parse("Subject: caf\xE9\r\nX-Ctl: a\x01" "b\r\n\r\n");
	CHECK(mt_streq(m.header_text, "Subject: caf\xC3\xA9\r\nX-Ctl: a b\r\n") && all_clean(0),
		  "header text: 8-bit as windows-1252, controls as spaces");
	CHECK(m.nheaders == 2 && strcmp(m.headers[0].name, "Subject") == 0 &&
		  strcmp(m.headers[0].value, "caf\xC3\xA9") == 0 && strcmp(m.headers[1].value, "a b") == 0,
		  "header list: names as sent, values clean");
	parse("Subject: =?utf-8?Q?a?=\r\n =?utf-8?Q?b?=\r\nX-Custom:   v  \r\n\r\n");
	CHECK(m.nheaders == 2 && strcmp(m.headers[0].value, "=?utf-8?Q?a?= =?utf-8?Q?b?=") == 0 &&
		  strcmp(m.headers[1].value, "v") == 0 &&
		  strcmp(ews_mime_decode_header_value(m.headers[0].value, talloc, NULL), "ab") == 0,
		  "header values keep encoded-words; decode_header_value decodes them");
}

/* ---- real-world shapes ---- */

static const char thunderbird[] =
	"Message-ID: <4a2f0b5c-1b2e-4c9d-9e1f-0a1b2c3d4e5f@example.org>\r\n"
	"Date: Wed, 6 Mar 2024 10:15:42 +0100\r\n"
	"MIME-Version: 1.0\r\n"
	"User-Agent: Mozilla Thunderbird\r\n"
	"Content-Language: de-DE\r\n"
	"To: Alice <alice@example.com>\r\n"
	"From: =?UTF-8?Q?Bj=C3=B6rn_Berg?= <bjoern@example.org>\r\n"
	"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\n"
	"Content-Type: multipart/alternative;\r\n"
	" boundary=\"------------0xS8mNfW2BZ3n7vGQqjXKc1d\"\r\n"
	"\r\n"
	"This is a multi-part message in MIME format.\r\n"
	"--------------0xS8mNfW2BZ3n7vGQqjXKc1d\r\n"
	"Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
	"Content-Transfer-Encoding: 8bit\r\n"
	"\r\n"
	"Hallo Alice,\r\n"
	"\r\n"
	"viele Gr\xC3\xBC\xC3\x9F" "e!\r\n"
	"\r\n"
	"--------------0xS8mNfW2BZ3n7vGQqjXKc1d\r\n"
	"Content-Type: text/html; charset=UTF-8\r\n"
	"Content-Transfer-Encoding: 8bit\r\n"
	"\r\n"
	"<!DOCTYPE html>\r\n"
	"<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset=UTF-8\"></head>"
	"<body><p>Hallo Alice,</p><p>viele Gr\xC3\xBC\xC3\x9F" "e!</p></body></html>\r\n"
	"\r\n"
	"--------------0xS8mNfW2BZ3n7vGQqjXKc1d--\r\n";

static const char outlook[] =
	"From: \"Meier, Hans\" <hans.meier@contoso.example>\r\n"
	"To: \"Team\" <team@contoso.example>\r\n"
	"CC: =?iso-8859-1?Q?J=F6rg_Sch=E4fer?= <joerg@contoso.example>\r\n"
	"Subject: Quartalsbericht Q1\r\n"
	"Thread-Topic: Quartalsbericht Q1\r\n"
	"Thread-Index: AdpvZ3Jm0123456789abcdefABCDEF==\r\n"
	"Date: Thu, 7 Mar 2024 08:01:02 +0000\r\n"
	"Message-ID: <AM0PR01MB1234567890ABCDEF@AM0PR01MB1234.eurprd01.prod.example>\r\n"
	"Accept-Language: de-DE, en-US\r\n"
	"Content-Language: de-DE\r\n"
	"X-MS-Has-Attach: yes\r\n"
	"Importance: high\r\n"
	"Sensitivity: Company-Confidential\r\n"
	"Keywords: Rote Kategorie\r\n"
	"Content-Type: multipart/mixed;\r\n"
	"\tboundary=\"_004_AM0PR01MB1234567890ABCDEF_\"\r\n"
	"MIME-Version: 1.0\r\n"
	"\r\n"
	"--_004_AM0PR01MB1234567890ABCDEF_\r\n"
	"Content-Type: multipart/alternative;\r\n"
	"\tboundary=\"_000_AM0PR01MB1234567890ABCDEF_\"\r\n"
	"\r\n"
	"--_000_AM0PR01MB1234567890ABCDEF_\r\n"
	"Content-Type: text/plain; charset=\"iso-8859-1\"\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"Hallo zusammen,=0D=0A=0D=0Aanbei der Bericht f=FCr das erste Quartal =96 bitte =\r\n"
	"pr=FCfen.\r\n"
	"\r\n"
	"--_000_AM0PR01MB1234567890ABCDEF_\r\n"
	"Content-Type: text/html; charset=\"iso-8859-1\"\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"<html><body><p class=3D\"MsoNormal\">Hallo zusammen,<o:p></o:p></p>\r\n"
	"<p class=3D\"MsoNormal\">anbei der Bericht f=FCr das erste Quartal =96 bitte pr=\r\n"
	"=FCfen.</p></body></html>\r\n"
	"\r\n"
	"--_000_AM0PR01MB1234567890ABCDEF_--\r\n"
	"\r\n"
	"--_004_AM0PR01MB1234567890ABCDEF_\r\n"
	"Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;\r\n"
	"\tname=\"=?utf-8?B?UXVhcnRhbHNiZXJpY2h0X1ExX8OcYmVyc2ljaHQueGxzeA==?=\"\r\n"
	"Content-Description: =?utf-8?B?UXVhcnRhbHNiZXJpY2h0X1ExX8OcYmVyc2ljaHQueGxzeA==?=\r\n"
	"Content-Disposition: attachment;\r\n"
	"\tfilename=\"=?utf-8?B?UXVhcnRhbHNiZXJpY2h0X1ExX8OcYmVyc2ljaHQueGxzeA==?=\"; size=6;\r\n"
	"\tcreation-date=\"Thu, 07 Mar 2024 08:00:12 GMT\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"UEsDBAoA\r\n"
	"\r\n"
	"--_004_AM0PR01MB1234567890ABCDEF_--\r\n";

static const char apple_related[] =
	"From: Carol <carol@example.net>\n"
	"Content-Type: multipart/alternative; boundary=\"Apple-Mail=_11111111-2222\"\n"
	"Mime-Version: 1.0 (Mac OS X Mail 16.0)\n"
	"Subject: Photo\n"
	"Date: Fri, 8 Mar 2024 18:30:00 -0800\n"
	"To: dave@example.org\n"
	"Message-Id: <AAAA-BBBB@example.net>\n"
	"\n"
	"--Apple-Mail=_11111111-2222\n"
	"Content-Transfer-Encoding: 7bit\n"
	"Content-Type: text/plain;\n"
	"\tcharset=us-ascii\n"
	"\n"
	"Look at this:\n"
	"\n"
	"--Apple-Mail=_11111111-2222\n"
	"Content-Type: multipart/related;\n"
	"\ttype=\"text/html\";\n"
	"\tboundary=\"Apple-Mail=_33333333-4444\"\n"
	"\n"
	"--Apple-Mail=_33333333-4444\n"
	"Content-Transfer-Encoding: 7bit\n"
	"Content-Type: text/html;\n"
	"\tcharset=us-ascii\n"
	"\n"
	"<html><body>Look at this:<img src=\"cid:5E6F@example.net\"></body></html>\n"
	"--Apple-Mail=_33333333-4444\n"
	"Content-Transfer-Encoding: base64\n"
	"Content-Type: image/png;\n"
	"\tname=\"photo.png\"\n"
	"Content-Id: <5E6F@example.net>\n"
	"\n"
	"iVBORw0KGgo=\n"
	"--Apple-Mail=_33333333-4444--\n"
	"\n"
	"--Apple-Mail=_11111111-2222--\n";

static const char apple_mixed[] =
	"From: Carol <carol@example.net>\r\n"
	"Content-Type: multipart/mixed; boundary=\"Apple-Mail=_X\"\r\n"
	"Subject: Two texts\r\n"
	"\r\n"
	"--Apple-Mail=_X\r\n"
	"Content-Type: text/plain; charset=us-ascii\r\n"
	"\r\n"
	"Before the picture.\r\n"
	"--Apple-Mail=_X\r\n"
	"Content-Disposition: inline; filename=pic.jpg\r\n"
	"Content-Type: image/jpeg; name=\"pic.jpg\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"/9j/4AAQ\r\n"
	"--Apple-Mail=_X\r\n"
	"Content-Type: text/plain; charset=us-ascii\r\n"
	"\r\n"
	"After the picture.\r\n"
	"--Apple-Mail=_X--\r\n";

static const char gmail[] =
	"MIME-Version: 1.0\r\n"
	"Date: Sat, 9 Mar 2024 12:00:00 +0100\r\n"
	"Message-ID: <CAB1234567890abcdef@mail.gmail.example>\r\n"
	"Subject: Rechnung\r\n"
	"From: Eve <eve@gmail.example>\r\n"
	"To: frank@example.com\r\n"
	"Content-Type: multipart/mixed; boundary=\"000000000000aaaa0605f0f0f0f0\"\r\n"
	"\r\n"
	"--000000000000aaaa0605f0f0f0f0\r\n"
	"Content-Type: multipart/alternative; boundary=\"000000000000aaaa0505f0f0f0f0\"\r\n"
	"\r\n"
	"--000000000000aaaa0505f0f0f0f0\r\n"
	"Content-Type: text/plain; charset=\"UTF-8\"\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"Anbei die Rechnung =E2=82=AC 12,50.\r\n"
	"\r\n"
	"--000000000000aaaa0505f0f0f0f0\r\n"
	"Content-Type: text/html; charset=\"UTF-8\"\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"<div dir=3D\"ltr\">Anbei die Rechnung =E2=82=AC 12,50.</div>\r\n"
	"\r\n"
	"--000000000000aaaa0505f0f0f0f0--\r\n"
	"--000000000000aaaa0605f0f0f0f0\r\n"
	"Content-Type: application/pdf; name=\"Rechnung M=?UTF-8?Q?=C3=A4?=rz.pdf\"\r\n"
	"Content-Disposition: attachment;\r\n"
	" filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"Content-ID: <f_ltabc0>\r\n"
	"X-Attachment-Id: f_ltabc0\r\n"
	"\r\n"
	"JVBERi0xLjQK\r\n"
	"--000000000000aaaa0605f0f0f0f0--\r\n";

static void
test_shapes(void)
{
	size_t		n;
	uint8_t    *c;

	CHECK(parse(thunderbird) == EWS_MIME_OK && all_clean(sizeof thunderbird - 1), "Thunderbird parses");
	CHECK(mt_streq(m.fields.subject, "Gr\xC3\xBC\xC3\x9F" "e aus K\xC3\xB6ln") &&
		  addr_is(&m.fields.from, 0, "Bj\xC3\xB6rn Berg", "bjoern@example.org") &&
		  addr_is(&m.fields.to, 0, "Alice", "alice@example.com"), "Thunderbird header fields");
	CHECK(mt_streq(m.fields.text_body, "Hallo Alice,\r\n\r\nviele Gr\xC3\xBC\xC3\x9F" "e!\r\n"),
		  "Thunderbird text body ends before the delimiter's CRLF");
	CHECK(m.fields.html_body && strstr(m.fields.html_body, "<p>viele Gr\xC3\xBC\xC3\x9F" "e!</p>") != NULL,
		  "Thunderbird html body");
	CHECK(m.nattachments == 0 && !m.has_attachments && m.nparts == 3 && m.flags == 0,
		  "Thunderbird: no attachments, 3 parts, nothing degraded");

	CHECK(parse(outlook) == EWS_MIME_OK && all_clean(sizeof outlook - 1), "Outlook parses");
	CHECK(addr_is(&m.fields.from, 0, "Meier, Hans", "hans.meier@contoso.example") &&
		  addr_is(&m.fields.cc, 0, "J\xC3\xB6rg Sch\xC3\xA4" "fer", "joerg@contoso.example") &&
		  m.fields.importance == EWS_MIME_IMPORTANCE_HIGH &&
		  m.fields.sensitivity == EWS_MIME_SENSITIVITY_CONFIDENTIAL &&
		  m.fields.ncategories == 1 && strcmp(m.fields.categories[0], "Rote Kategorie") == 0,
		  "Outlook fields: quoted From, ISO-8859-1 Cc, importance, sensitivity, keywords");
	CHECK(mt_streq(m.fields.text_body,
				   "Hallo zusammen,\r\n\r\nanbei der Bericht f\xC3\xBCr das erste Quartal \xE2\x80\x93 bitte pr\xC3\xBC" "fen.\r\n"),
		  "Outlook text: quoted-printable, iso-8859-1 with 0x96 as windows-1252, soft break");
	CHECK(m.fields.html_body && strstr(m.fields.html_body, "bitte pr\xC3\xBC" "fen.</p>") != NULL &&
		  strstr(m.fields.html_body, "class=\"MsoNormal\"") != NULL, "Outlook html decoded");
	CHECK(m.nattachments == 1 && m.has_attachments &&
		  mt_streq(m.attachments[0].filename, "Quartalsbericht_Q1_\xC3\x9C" "bersicht.xlsx") &&
		  mt_streq(m.attachments[0].content_type,
				   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") &&
		  !m.attachments[0].is_inline && m.attachments[0].size == 6 &&
		  m.attachments[0].encoding == EWS_MIME_ENC_BASE64, "Outlook attachment: RFC 2047 filename in quotes");
	c = ews_mime_attachment_content((const uint8_t *) outlook, sizeof outlook - 1, &m.attachments[0],
									&n, talloc, NULL);
	CHECK(n == 6 && memcmp(c, "PK\x03\x04\x0a\x00", 6) == 0, "Outlook attachment bytes decoded");

	CHECK(parse(apple_related) == EWS_MIME_OK && all_clean(sizeof apple_related - 1), "Apple Mail related parses");
	CHECK(mt_streq(m.fields.text_body, "Look at this:\n") &&
		  mt_streq(m.fields.html_body, "<html><body>Look at this:<img src=\"cid:5E6F@example.net\"></body></html>"),
		  "Apple Mail: LF line ends, text and the related html chosen");
	CHECK(m.nattachments == 1 && m.attachments[0].is_inline && !m.has_attachments &&
		  mt_streq(m.attachments[0].content_id, "5E6F@example.net") &&
		  mt_streq(m.attachments[0].filename, "photo.png") && m.attachments[0].size == 8,
		  "Apple Mail: cid image inline, HasAttachments false");

	CHECK(parse(apple_mixed) == EWS_MIME_OK && all_clean(sizeof apple_mixed - 1), "Apple Mail mixed parses");
	CHECK(mt_streq(m.fields.text_body, "Before the picture.") && m.fields.html_body == NULL,
		  "Apple Mail mixed: the first text part is the body");
	CHECK(m.nattachments == 2 && m.attachments[0].is_inline &&
		  mt_streq(m.attachments[0].filename, "pic.jpg") &&
		  mt_streq(m.attachments[1].content_type, "text/plain") && m.attachments[1].filename == NULL &&
		  !m.attachments[1].is_inline && m.has_attachments,
		  "Apple Mail mixed: inline picture, the later text part is an attachment (ATT00001)");
	c = ews_mime_attachment_content((const uint8_t *) apple_mixed, sizeof apple_mixed - 1,
									&m.attachments[1], &n, talloc, NULL);
	CHECK(n == 18 && memcmp(c, "After the picture.", 18) == 0, "later text part bytes");

	CHECK(parse(gmail) == EWS_MIME_OK && all_clean(sizeof gmail - 1), "Gmail parses");
	CHECK(mt_streq(m.fields.text_body, "Anbei die Rechnung \xE2\x82\xAC 12,50.\r\n") &&
		  mt_streq(m.fields.html_body, "<div dir=\"ltr\">Anbei die Rechnung \xE2\x82\xAC 12,50.</div>\r\n"),
		  "Gmail bodies inside mixed/alternative");
	CHECK(m.nattachments == 1 && mt_streq(m.attachments[0].filename, "Rechnung M\xC3\xA4rz.pdf") &&
		  mt_streq(m.attachments[0].content_id, "f_ltabc0") && !m.attachments[0].is_inline &&
		  m.attachments[0].size == 9 && m.has_attachments,
		  "Gmail: RFC 2231 filename* wins over name, Content-ID kept");
	c = ews_mime_attachment_content((const uint8_t *) gmail, sizeof gmail - 1, &m.attachments[0],
									&n, talloc, NULL);
	CHECK(n == 9 && memcmp(c, "%PDF-1.4\n", 9) == 0, "Gmail attachment bytes");
}

/* One part message with the given Content-* header lines and body. */
static size_t part_len;

static EwsMimeStatus
part(const char *hdrs, const char *body)
{
	static char buf[8192];

	snprintf(buf, sizeof buf, "Subject: t\r\n%s\r\n%s", hdrs, body);
	part_len = strlen(buf);
	return parse(buf);
}

static void
test_params(void)
{
	static const struct
	{
		const char *hdr;
		const char *want;
		const char *what;
	}			fn[] = {
		{"Content-Disposition: attachment; filename=plain.txt", "plain.txt", "token filename"},
		{"Content-Disposition: attachment; filename=\"with space.txt\"", "with space.txt", "quoted filename"},
		{"Content-Disposition: attachment; filename=\"a\\\"b.txt\"", "a\"b.txt", "quoted-pair in filename"},
		{"Content-Disposition: attachment; filename*=iso-8859-1'de'M%E4rz.txt", "M\xC3\xA4rz.txt",
		"RFC 2231 charset and language"},
		{"Content-Disposition: attachment; filename*0*=UTF-8''Sehr%20lang%C3;\r\n filename*1*=%A4%20Name;\r\n filename*2=\".txt\"",
		"Sehr lang\xC3\xA4 Name.txt", "RFC 2231 continuations, a character split across segments"},
		{"Content-Disposition: attachment; filename*1=\"b.txt\"; filename*0=\"a\"", "ab.txt",
		"continuations out of order"},
		{"Content-Disposition: attachment; filename*0=\"a\"; filename*2=\"c\"", "a",
		"continuations stop at a gap"},
		{"Content-Disposition: attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC.txt",
		"\xE2\x82\xAC.txt", "RFC 2231 form preferred over the plain one"},
		{"Content-Disposition: attachment; filename*=x-unknown''abc%E9.txt", "abc\xC3\xA9.txt",
		"unknown RFC 2231 charset: windows-1252 guess"},
		{"Content-Disposition: attachment; filename*=UTF-8''%ZZbad.txt", "%ZZbad.txt",
		"bad percent escape kept"},
		{"Content-Disposition: attachment; filename=\"=?UTF-8?B?w6RiYy50eHQ=?=\"", "\xC3\xA4" "bc.txt",
		"RFC 2047 in a quoted filename"},
		{"Content-Disposition: attachment; filename=\"C:\\\\Users\\\\me\\\\report.pdf\"", "report.pdf",
		"path components dropped"},
		{"Content-Disposition: attachment; filename=\"../../etc/passwd\"", "passwd", "relative path dropped"},
		{"Content-Type: application/octet-stream; name=\"from-type.bin\"", "from-type.bin",
		"name from Content-Type"},
		{"Content-Disposition: attachment; FILENAME = \"case.txt\" (comment)", "case.txt",
		"parameter names are case-insensitive, CFWS around '='"},
		{"Content-Disposition: attachment; filename=\"caf\xC3\xA9.txt\"", "caf\xC3\xA9.txt",
		"raw UTF-8 filename"},
		{"Content-Disposition: attachment; filename=\"caf\xE9.txt\"", "caf\xC3\xA9.txt",
		"raw 8-bit filename as windows-1252"},
	};
	size_t		i;

	for (i = 0; i < sizeof fn / sizeof fn[0]; i++)
	{
		char		hdr[1024];
		int			ok;

		snprintf(hdr, sizeof hdr, "%s\r\n%s\r\n", fn[i].hdr,
				 strncmp(fn[i].hdr, "Content-Type", 12) == 0 ? "X: 1" : "Content-Type: application/octet-stream");
		ok = part(hdr, "data") == EWS_MIME_OK && m.nattachments == 1 &&
			mt_streq(m.attachments[0].filename, fn[i].want) && all_clean(part_len);
		CHECK(ok, "file name: %s", fn[i].what);
		if (!ok && m.nattachments == 1)
			printf("#   got [%s]\n", m.attachments[0].filename ? m.attachments[0].filename : "(null)");
	}

	part("Content-Type: TEXT/Plain; CHARSET=ISO-8859-1\r\n", "caf\xE9");
	CHECK(mt_streq(m.fields.text_body, "caf\xC3\xA9"), "type and charset case-insensitive");
	part("Content-Type: text/plain; charset=\"koi8-r\"\r\n", "\xF0\xD2\xC9\xD7\xC5\xD4");
	CHECK(mt_streq(m.fields.text_body, "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"),
		  "koi8-r body via iconv");
	part("Content-Type: text/plain; charset=x-no-such\r\n", "caf\xC3\xA9 ok");
	CHECK(mt_streq(m.fields.text_body, "caf\xC3\xA9 ok") && (m.flags & EWS_MIME_F_CHARSET),
		  "unknown charset, UTF-8 bytes: read as UTF-8, flagged");
	part("Content-Type: text/plain; charset=x-no-such\r\n", "caf\xE9");
	CHECK(mt_streq(m.fields.text_body, "caf\xC3\xA9"), "unknown charset, 8-bit bytes: windows-1252");
	part("Content-Type: text/plain; charset=us-ascii\r\n", "mislabelled \xC3\xA9");
	CHECK(mt_streq(m.fields.text_body, "mislabelled \xC3\xA9"), "us-ascii label on UTF-8 bytes: UTF-8");
	part("Content-Type: text/plain\r\n", "no \x93label\x94");
	CHECK(mt_streq(m.fields.text_body, "no \xE2\x80\x9Clabel\xE2\x80\x9D"), "no charset, 8-bit: windows-1252");
	part("Content-Type: text/plain; charset=utf-8//TRANSLIT\r\n", "x");
	CHECK(mt_streq(m.fields.text_body, "x") && (m.flags & EWS_MIME_F_CHARSET), "iconv suffix refused");
	part("Content-Type: text/plain; charset=utf-8\r\n", "nul\0x\x01y\tz\r\nw");
	CHECK(m.fields.text_body_len > 0 && mt_clean(m.fields.text_body, 1),
		  "controls in a body become spaces, CR LF TAB kept");
	part("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n",
		 "SGVs\r\nbG8g\r\n  V29y bGQ=\r\n");
	CHECK(mt_streq(m.fields.text_body, "Hello World") && !(m.flags & EWS_MIME_F_BAD_ENCODING),
		  "base64 body across lines and spaces");
	part("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n",
		 "SGVs*bG8=garbage!");
	CHECK(m.fields.text_body && (m.flags & EWS_MIME_F_BAD_ENCODING) && all_clean(0),
		  "base64 garbage decoded leniently and flagged");
	part("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: Quoted-Printable\r\n",
		 "a=3Db=\r\nc  \r\nd\t=20\r\ne=ZZ=4");
	CHECK(mt_streq(m.fields.text_body, "a=bc\r\nd\t \r\ne=ZZ=4") && (m.flags & EWS_MIME_F_BAD_ENCODING),
		  "quoted-printable: soft break, padding dropped, bad escapes kept literally");
	part("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: x-uuencode\r\n", "begin 644");
	CHECK(mt_streq(m.fields.text_body, "begin 644"), "unknown transfer encoding: identity");
	part("Content-Type: text/html; charset=windows-1252\r\n", "<p>\x80 5</p>");
	CHECK(mt_streq(m.fields.html_body, "<p>\xE2\x82\xAC 5</p>") && m.fields.text_body == NULL,
		  "html only: no text body");
	part("Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n", "JVBERi0=");
	CHECK(m.nattachments == 1 && m.fields.text_body == NULL && m.has_attachments &&
		  m.attachments[0].filename == NULL && m.attachments[0].size == 5, "single-part message that is an attachment");
	part("Content-Type: text/plain\r\nContent-Disposition: attachment; filename=notes.txt\r\n", "hello");
	CHECK(m.nattachments == 1 && m.fields.text_body == NULL && mt_streq(m.attachments[0].filename, "notes.txt"),
		  "text part with attachment disposition is an attachment");
	part("Content-Type: garbage\r\n", "x");
	CHECK(m.nattachments == 1 && mt_streq(m.attachments[0].content_type, "application/octet-stream"),
		  "malformed content type is opaque");
	part("Content-Type: message/rfc822\r\n", "Subject: inner\r\n\r\ninner body\r\n");
	CHECK(m.nattachments == 1 && m.attachments[0].is_message, "message/rfc822 is an item attachment");
	{
		size_t		n;
		const char *outer = "Subject: t\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n";
		uint8_t    *c;
		EwsMimeMessage inner;

		parse(outer);
		c = ews_mime_attachment_content((const uint8_t *) outer, strlen(outer), &m.attachments[0], &n,
										talloc, NULL);
		CHECK(ews_mime_parse_message(c, n, &inner, talloc, NULL) == EWS_MIME_OK &&
			  mt_streq(inner.fields.subject, "inner") &&
			  mt_streq(inner.fields.text_body, "inner body\r\n"), "an attached message parses on its own");
	}
	parse("Subject: t\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: one\r\n\r\n1\r\n--d--\r\n");
	CHECK(m.nattachments == 1 && m.attachments[0].is_message, "digest parts default to message/rfc822");
}

static void
test_broken(void)
{
	char	   *buf;
	size_t		n,
				i;

	CHECK(parse("Subject: x\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n") == EWS_MIME_OK &&
		  m.nattachments == 1 && m.attachments[0].broken && (m.flags & EWS_MIME_F_BROKEN_MULTIPART),
		  "multipart without boundary: one opaque part");
	CHECK(parse("Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\nno delimiter\r\n") == EWS_MIME_OK &&
		  m.nattachments == 1 && m.attachments[0].broken, "multipart without any delimiter: opaque");
	CHECK(parse("Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\ntext\r\n--b\r\n"
				"Content-Type: image/gif\r\n\r\nGIF") == EWS_MIME_OK &&
		  mt_streq(m.fields.text_body, "text") && m.nattachments == 1 && m.attachments[0].size == 3 &&
		  (m.flags & EWS_MIME_F_BROKEN_MULTIPART), "missing close delimiter: last part to the end");
	CHECK(parse("Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nA\r\n--bx\r\nB\r\n"
				"--b  \r\n\r\nC\r\n--b--junk\r\n--b--\r\n") == EWS_MIME_OK &&
		  mt_streq(m.fields.text_body, "A\r\n--bx\r\nB") && m.nattachments == 1 &&
		  m.attachments[0].size == 12, "a longer line is no delimiter; transport padding allowed");
	CHECK(parse("Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nnot a header line\r\n"
				"\r\nbody\r\n--b--\r\n") == EWS_MIME_OK &&
		  mt_streq(m.fields.text_body, "not a header line\r\n\r\nbody") && (m.flags & EWS_MIME_F_BROKEN_PART),
		  "part without header: its first line is body");
	CHECK(parse("Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\nContent-Transfer-Encoding: base64\r\n\r\n"
				"--b\r\n\r\nx\r\n--b--\r\n") == EWS_MIME_OK && m.nattachments == 1 && m.attachments[0].broken,
		  "base64 multipart is opaque");
	CHECK(parse("Subject: x\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
				"Content-Type: text/plain\r\n\r\none\r\n--b\r\nContent-Type: text/plain\r\n\r\ntwo\r\n--b\r\n"
				"Content-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\n--b--\r\n") == EWS_MIME_OK &&
		  mt_streq(m.fields.text_body, "one") && m.nattachments == 0,
		  "alternatives not chosen are dropped, not attachments");

	/* nesting past the limit */
	n = 0;
	buf = malloc(100000);
	n += (size_t) sprintf(buf + n, "Subject: deep\r\n");
	for (i = 0; i < 40; i++)
		n += (size_t) sprintf(buf + n, "Content-Type: multipart/mixed; boundary=b%zu\r\n\r\n--b%zu\r\n", i, i);
	n += (size_t) sprintf(buf + n, "\r\ndeep text\r\n");
	CHECK(parse_n(buf, n) == EWS_MIME_OK && (m.flags & EWS_MIME_F_DEPTH_LIMIT) && m.nattachments == 1 &&
		  m.attachments[0].broken && m.nparts == EWS_MIME_MAX_DEPTH + 1,
		  "nesting over %d levels: the rest is one opaque part", EWS_MIME_MAX_DEPTH);
	free(buf);

	/* a part header over its limit */
	n = EWS_MIME_MAX_PART_HEADER + 1000;
	buf = malloc(n + 200);
	i = (size_t) sprintf(buf, "Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nX-Big: ");
	memset(buf + i, 'a', n);
	i += n;
	i += (size_t) sprintf(buf + i, "\r\n\r\nbody\r\n--b--\r\n");
	CHECK(parse_n(buf, i) == EWS_MIME_OK && m.nattachments == 1 && m.attachments[0].broken &&
		  (m.flags & EWS_MIME_F_BROKEN_PART), "part header over 64 KiB: opaque");
	free(buf);

	/* 8-bit and NUL in the body, LF only */
	CHECK(parse_n("Subject: x\n\n\xFF\xFE\0bin\n", 17) == EWS_MIME_OK && all_clean(17) &&
		  m.fields.text_body_len > 0, "8-bit and NUL body is clean text");
	/* status is decided by the top-level header alone, as ews_mime_parse decides */
	CHECK(parse("") == EWS_MIME_EMPTY && parse("not a message") == EWS_MIME_NOT_A_MESSAGE &&
		  parse("Subject: a\nbad line\n\n") == EWS_MIME_BAD_HEADER &&
		  parse_n("Subject: a\0\n\n", 13) == EWS_MIME_NUL_IN_HEADER &&
		  m.fields.subject == NULL && m.nattachments == 0 && m.header_text == NULL,
		  "statuses as ews_mime_parse; a refused message leaves the result zeroed");
}

/* Repeat pat until len bytes, behind hdr. */
static char *
repeat(const char *hdr, const char *pat, size_t count, size_t *len)
{
	size_t		hl = strlen(hdr),
				pl = strlen(pat),
				i;
	char	   *b = malloc(hl + pl * count + 64);

	memcpy(b, hdr, hl);
	for (i = 0; i < count; i++)
		memcpy(b + hl + i * pl, pat, pl);
	*len = hl + pl * count;
	return b;
}

static void
work_ok(size_t len, size_t factor, const char *what)
{
	CHECK(m.work <= factor * len + EWS_MIME_WORK_CONST && m.work <= EWS_MIME_WORK_FACTOR * len + EWS_MIME_WORK_CONST &&
		  mt_bytes <= 32 * len + 1024 * 1024,
		  "%s: %zu bytes, %zu units of work (bound %zu), %zu bytes allocated", what, len, m.work,
		  factor * len + EWS_MIME_WORK_CONST, mt_bytes);
}

static void
test_huge(void)
{
	char	   *b;
	size_t		n;

	/* 10 MB base64 attachment */
	{
		size_t		lines = 10 * 1024 * 1024 / 78,
					i,
					o;
		const char *h = "Subject: big\r\nContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\n\r\ntext\r\n"
			"--zz\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n";

		b = malloc(strlen(h) + lines * 78 + 64);
		o = (size_t) sprintf(b, "%s", h);
		for (i = 0; i < lines; i++)
		{
			memset(b + o, 'A', 76);
			memcpy(b + o + 76, "\r\n", 2);
			o += 78;
		}
		o += (size_t) sprintf(b + o, "--zz--\r\n");
		CHECK(parse_n(b, o) == EWS_MIME_OK && m.nattachments == 1 && m.attachments[0].size == lines * 57,
			  "10 MB attachment: decoded size counted");
		work_ok(o, 8, "10 MB attachment");
		free(b);
	}
	/* many parts */
	b = repeat("Subject: parts\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n",
			   "--p\r\nContent-Type: image/gif\r\n\r\nG\r\n", 200000, &n);
	CHECK(parse_n(b, n) == EWS_MIME_OK && (m.flags & EWS_MIME_F_PART_LIMIT) &&
		  m.nparts <= EWS_MIME_MAX_PARTS && m.nattachments <= EWS_MIME_MAX_PARTS + 1 &&
		  m.attachments[m.nattachments - 1].broken, "200000 parts: %zu read, the rest one opaque piece", m.nparts);
	work_ok(n, 8, "200000 parts");
	free(b);
	/* deep nesting, every level re-using lines that start with "--" */
	b = repeat("Subject: nest\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n",
			   "--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n", 50000, &n);
	CHECK(parse_n(b, n) == EWS_MIME_OK && all_clean(n), "50000 nested multiparts with one boundary");
	work_ok(n, EWS_MIME_WORK_FACTOR, "50000 nested multiparts");
	free(b);
	/* lines that almost are delimiters, at every depth */
	{
		size_t		o = 0,
					i;

		b = malloc(4 * 1024 * 1024);
		o += (size_t) sprintf(b, "Subject: x\r\n");
		for (i = 0; i < EWS_MIME_MAX_DEPTH; i++)
			o += (size_t) sprintf(b + o, "Content-Type: multipart/mixed; boundary=boundary%02zu\r\n\r\n--boundary%02zu\r\n", i, i);
		o += (size_t) sprintf(b + o, "\r\n");
		while (o < 4 * 1024 * 1024 - 32)
			o += (size_t) sprintf(b + o, "--boundary0\r\n");
		CHECK(parse_n(b, o) == EWS_MIME_OK && m.fields.text_body != NULL, "near-delimiters at full depth");
		work_ok(o, EWS_MIME_WORK_FACTOR, "near-delimiters at full depth");
		free(b);
	}
	/* many addresses */
	b = repeat("Subject: many\r\nTo: first@example.com", ",\r\n \"N, x\" <a@example.com>", 30000, &n);
	memcpy(b + n, "\r\n\r\n", 4);
	n += 4;
	CHECK(parse_n(b, n) == EWS_MIME_OK && m.fields.to.n == EWS_MIME_MAX_ADDRESSES &&
		  (m.flags & EWS_MIME_F_ADDRESS_LIMIT), "30001 addresses: %d kept, flagged", EWS_MIME_MAX_ADDRESSES);
	work_ok(n, 16, "30001 addresses");
	free(b);
	/* many keywords */
	b = repeat("Subject: k\r\nKeywords: k", ",k", 100000, &n);
	memcpy(b + n, "\r\n\r\n", 4);
	n += 4;
	CHECK(parse_n(b, n) == EWS_MIME_OK && m.fields.ncategories == EWS_MIME_MAX_CATEGORIES &&
		  (m.flags & EWS_MIME_F_CATEGORY_LIMIT), "100001 keywords: %d kept", EWS_MIME_MAX_CATEGORIES);
	work_ok(n, 32, "100001 keywords");
	free(b);
	/* hostile parameter lists */
	b = repeat("Subject: p\r\nContent-Type: text/plain; charset=utf-8", "; name*99999*=a; name*0=\"\\\"", 20000, &n);
	memcpy(b + n, "\r\n\r\nx", 5);
	n += 5;
	CHECK(parse_n(b, n) == EWS_MIME_OK && all_clean(n), "20000 hostile parameters");
	work_ok(n, 16, "20000 hostile parameters");
	free(b);
	/* comments nested a million deep in an address field */
	{
		size_t		i;

		n = 0;
		b = malloc(1024 * 1024 + 64);
		n += (size_t) sprintf(b, "To: a@b ");
		for (i = 0; i < 400000; i++)
			b[n++] = '(';
		for (i = 0; i < 400000; i++)
			b[n++] = ')';
		n += (size_t) sprintf(b + n, "\r\n\r\n");
		CHECK(parse_n(b, n) == EWS_MIME_OK && addr_is(&m.fields.to, 0, NULL, "a@b") &&
			  m.fields.to.n == 1, "deeply nested comment in an address");
		work_ok(n, 16, "deeply nested comment in an address");
		free(b);
	}
	/* many quoted strings and angle brackets without close */
	b = repeat("To: ", "<\"", 300000, &n);
	memcpy(b + n, "\r\n\r\n", 4);
	n += 4;
	CHECK(parse_n(b, n) == EWS_MIME_OK && all_clean(n), "unclosed quotes and angles");
	work_ok(n, 16, "unclosed quotes and angles");
	free(b);
	/* many encoded-words in many charsets in names */
	b = repeat("To: ", "=?koi8-r?Q?a?= =?big5?Q?b?= =?x-bad?Q?c?= <x@y>, ", 10000, &n);
	memcpy(b + n, "\r\n\r\n", 4);
	n += 4;
	CHECK(parse_n(b, n) == EWS_MIME_OK && all_clean(n) && m.fields.to.n == 10000,
		  "10000 names in alternating charsets");
	work_ok(n, 16, "10000 names in alternating charsets");
	free(b);
}

static void
test_html_to_text(void)
{
	static const struct
	{
		const char *in;
		const char *out;
		const char *what;
	}			t[] = {
		{"<p>Hello <b>World</b></p>", "Hello World", "tags dropped"},
		{"<p>one</p><p>two</p>", "one\r\n\r\ntwo", "paragraphs: a blank line"},
		{"<div>one</div><div>two</div>", "one\r\ntwo", "divs: a line break"},
		{"a<br>b<br/><br />c", "a\r\nb\r\n\r\nc", "br and br br"},
		{"  lots   of\r\n\t white   space  ", "lots of white space", "white space collapsed, trimmed"},
		{"&lt;tag&gt; &amp; &quot;q&quot; &apos;a&apos; &nbsp;x", "<tag> & \"q\" 'a' x", "basic entities, nbsp as space"},
		{"&eacute;&Uuml;&szlig;&euro;&hellip;&mdash;", "\xC3\xA9\xC3\x9C\xC3\x9F\xE2\x82\xAC\xE2\x80\xA6\xE2\x80\x94",
		"named entities"},
		{"&#65;&#x42;&#X43;&#0;&#x110000;&#xD800;&#150;", "ABC\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xE2\x80\x93",
		"numeric references, invalid ones U+FFFD, 150 as windows-1252"},
		{"&unknown; & &amp &#;", "&unknown; & &amp &#;", "non-references kept"},
		{"<head><title>T</title><style>p{}</style></head><body>B<script>if(a<b)x()</script>C</body>",
		"BC", "head, style and script dropped"},
		{"a<!-- <p>hidden</p> -->b", "ab", "comment dropped"},
		{"<!DOCTYPE html><html>x</html>", "x", "doctype dropped"},
		{"<a href=\"x>y\" title='>'>link</a>", "link", "'>' inside quoted attributes"},
		{"<pre>  keep\n  this</pre>after", "  keep\r\n  this\r\n\r\nafter", "pre keeps white space"},
		{"<ul><li>one<li>two</ul>", "one\r\ntwo", "list items on lines"},
		{"<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\r\nc", "table cells"},
		{"a < b and c > d", "a < b and c > d", "a lone '<' is text"},
		{"<p>unclosed <b attr=\"never", "unclosed", "unclosed tag"},
		{"<script>never closed", "", "unclosed script"},
		{"x<!-- never closed", "x", "unclosed comment"},
		{"caf\xE9", "caf\xEF\xBF\xBD", "ill-formed UTF-8 is U+FFFD"},
		{"", "", "empty"},
	};
	size_t		i,
				n;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
	{
		char	   *r = ews_mime_html_to_text(t[i].in, strlen(t[i].in), &n, talloc, NULL);
		int			ok = strcmp(r, t[i].out) == 0 && n == strlen(r) && mt_clean(r, 1);

		CHECK(ok, "html to text: %s", t[i].what);
		if (!ok)
			printf("#   got [%s] want [%s]\n", r, t[i].out);
	}
	/* linear on hostile markup */
	{
		static const char *const pats[] = {"<script>", "<!--", "<a href=\"", "&#x", "<p>", "<<<", "&amp"};

		for (i = 0; i < sizeof pats / sizeof pats[0]; i++)
		{
			size_t		len;
			char	   *b = repeat("", pats[i], 1000000 / strlen(pats[i]), &len);
			char	   *r;

			mt_reset_counts();
			r = ews_mime_html_to_text(b, len, &n, talloc, NULL);
			CHECK(mt_clean(r, 1) && mt_bytes <= 8 * len + 4096,
				  "html to text of 1 MB of \"%s\": clean, %zu bytes allocated", pats[i], mt_bytes);
			free(b);
		}
	}
}

static void
test_text_to_html(void)
{
	size_t		n;
	const char *in = "a <b> & \"c\"\r\n  two\tx\nlast ";
	char	   *r = ews_mime_text_to_html(in, strlen(in), &n, talloc, NULL);

	CHECK(strstr(r, "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">") != NULL &&
		  strstr(r, "<div>a &lt;b&gt; &amp; &quot;c&quot;<br>\r\n&nbsp; two&nbsp;&nbsp;&nbsp;&nbsp;x<br>\r\nlast&nbsp;</div>") != NULL &&
		  n == strlen(r), "text to html: escaped, breaks, spaces kept");
	r = ews_mime_text_to_html("caf\xE9\x01", 5, &n, talloc, NULL);
	CHECK(strstr(r, "caf\xEF\xBF\xBD </div>") != NULL || strstr(r, "caf\xEF\xBF\xBD&nbsp;</div>") != NULL,
		  "text to html: ill-formed and control bytes cleaned");
	r = ews_mime_html_to_text(r, n, &n, talloc, NULL);
	CHECK(strncmp(r, "caf\xEF\xBF\xBD", 6) == 0, "text to html to text");
}

int
main(void)
{
	test_addresses();
	test_fields();
	test_shapes();
	test_params();
	test_broken();
	test_huge();
	test_html_to_text();
	test_text_to_html();
	tfree_all();
	return unit_done();
}
