/*
 * test_mime_gen.c
 *	  Unit tests for the MIME generator (ews_mime_generate): pinned bytes,
 *	  determinism, the form of every line, RFC 2047 rules, refusals, and the
 *	  core property parse(generate(f)) == f over thousands of generated
 *	  field sets (mimetest_rt.h; the fuzz target checks the same).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "mimetest.h"
#include "mimetest_rt.h"
#include "unit.h"

static uint8_t *out;
static size_t outlen;

static EwsMimeGenStatus
gen(const EwsMimeFields *f, uint64_t seed)
{
	return ews_mime_generate(f, seed, &out, &outlen, talloc, NULL);
}

static void
test_pinned(void)
{
	EwsMimeFields f;
	EwsMimeAddress from = {"Alice Example", "alice@example.com", NULL};
	EwsMimeAddress to = {NULL, "bob@example.org", NULL};
	static const char want[] =
		"Date: Wed, 06 Mar 2024 08:59:50 +0000\r\n"
		"From: Alice Example <alice@example.com>\r\n"
		"To: bob@example.org\r\n"
		"Subject: Hello Bob\r\n"
		"Message-ID: <1@example.com>\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n"
		"\r\n"
		"Hi Bob,\r\n"
		"see you =E2=82=AC 5.\r\n";

	ews_mime_fields_init(&f);
	f.from.v = &from;
	f.from.n = 1;
	f.to.v = &to;
	f.to.n = 1;
	f.subject = "Hello Bob";
	f.has_date = true;
	f.date = INT64_C(133541891900000000);
	f.message_id = "<1@example.com>";
	f.text_body = "Hi Bob,\r\nsee you \xE2\x82\xAC 5.\r\n";
	f.text_body_len = strlen(f.text_body);
	CHECK(gen(&f, 0) == EWS_MIMEGEN_OK && outlen == sizeof want - 1 && memcmp(out, want, outlen) == 0,
		  "a simple message, byte for byte");
	if (!(outlen == sizeof want - 1 && memcmp(out, want, outlen) == 0))
		printf("#   got:\n%.*s\n", (int) outlen, out);

	f.text_body = NULL;
	f.html_body = "<p>Hi</p>";
	f.html_body_len = 9;
	CHECK(gen(&f, 0) == EWS_MIMEGEN_OK &&
		  strstr((char *) out, "Content-Type: text/html; charset=utf-8\r\n"
				 "Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>Hi</p>") != NULL &&
		  strstr((char *) out, "multipart") == NULL, "html only: one text/html part");

	f.html_body = NULL;
	CHECK(gen(&f, 0) == EWS_MIMEGEN_OK &&
		  strstr((char *) out, "Content-Type: text/plain; charset=utf-8\r\n"
				 "Content-Transfer-Encoding: quoted-printable\r\n\r\n") != NULL &&
		  out[outlen - 1] == '\n' && out[outlen - 3] == '\n', "no body: an empty text/plain part");
}

static void
test_determinism(void)
{
	EwsMimeFields f;
	uint8_t    *a;
	size_t		an;
	char	   *b1,
			   *b2;

	ews_mime_fields_init(&f);
	f.subject = "s";
	f.text_body = "text";
	f.text_body_len = 4;
	f.html_body = "<b>html</b>";
	f.html_body_len = 11;
	gen(&f, 7);
	a = out;
	an = outlen;
	gen(&f, 7);
	CHECK(an == outlen && memcmp(a, out, an) == 0, "same fields and seed: same bytes");
	b1 = strstr((char *) a, "boundary=\"");
	gen(&f, 8);
	b2 = strstr((char *) out, "boundary=\"");
	CHECK(b1 && b2 && strncmp(b1, b2, 32) != 0 && strncmp(b1, "boundary=\"=_ews_", 16) == 0,
		  "another seed: another boundary, starting =_");
	f.text_body = "text2";
	f.text_body_len = 5;
	gen(&f, 7);
	b2 = strstr((char *) out, "boundary=\"");
	CHECK(b2 && strncmp(b1, b2, 32) != 0, "other content: another boundary");
	CHECK(strstr((char *) out, "Content-Type: multipart/alternative;\r\n boundary=") != NULL,
		  "both bodies: multipart/alternative");
	{
		char	   *t = strstr((char *) out, "text/plain"),
				   *h = strstr((char *) out, "text/html");

		CHECK(t && h && t < h, "text/plain before text/html (RFC 2046 5.1.4)");
	}
}

/* The longest encoded-word in out, and whether header lines stay within 78. */
static void
header_form(size_t *longest_word, int *lines_ok)
{
	size_t		i = 0,
				hdr_end;
	char	   *e = strstr((char *) out, "\r\n\r\n");

	hdr_end = e ? (size_t) (e - (char *) out) : outlen;
	*longest_word = 0;
	*lines_ok = 1;
	while (i < hdr_end)
	{
		char	   *nl = strstr((char *) out + i, "\r\n");
		size_t		len = nl ? (size_t) (nl - (char *) out) - i : hdr_end - i;
		char	   *w;

		if (len > 78)
			*lines_ok = 0;
		for (w = (char *) out + i; (w = strstr(w, "=?UTF-8?")) != NULL && w < (char *) out + i + len;)
		{
			char	   *end = strstr(w + 10, "?=");

			if (end && (size_t) (end + 2 - w) > *longest_word)
				*longest_word = (size_t) (end + 2 - w);
			w = end ? end : w + 1;
		}
		i += len + 2;
	}
}

static EwsMimeMessage pm;

static int
roundtrip(const EwsMimeFields *f)
{
	if (gen(f, 1) != EWS_MIMEGEN_OK)
	{
		snprintf(rt_why, sizeof rt_why, "generate failed");
		return 0;
	}
	if (!rt_form_ok(out, outlen))
		return 0;
	if (ews_mime_parse_message(out, outlen, &pm, talloc, NULL) != EWS_MIME_OK)
	{
		snprintf(rt_why, sizeof rt_why, "parse failed");
		return 0;
	}
	return rt_check(f, &pm, talloc, NULL);
}

static void
test_encoding(void)
{
	EwsMimeFields f;
	size_t		longest;
	int			lines_ok;
	EwsMimeAddress a = {NULL, "x@y.z", NULL};
	static const struct
	{
		const char *subject;
		const char *expect;		/* a substring of the header, or NULL */
		const char *what;
	}			subj[] = {
		{"plain ascii words", "Subject: plain ascii words\r\n", "ASCII words stay raw"},
		{"Re: \xC3\x9C" "ber", "Subject: Re: =?UTF-8?B?w5xiZXI=?=\r\n", "raw words, then B (shorter than Q here)"},
		{"Re: caf\xC3\xA9 au lait", "Subject: Re: =?UTF-8?Q?caf=C3=A9_au_lait?=\r\n", "raw words, then Q (shorter than B here)"},
		{"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xA7\xE3\x81\x99", "=?UTF-8?B?", "CJK: B is shorter"},
		{" leading space", "=?UTF-8?", "a leading space is encoded"},
		{"trailing space ", "=?UTF-8?", "a trailing space is encoded"},
		{"looks =?like?= a word", "=?UTF-8?", "\"=?\" is encoded"},
		{"two  spaces", "Subject: two  spaces\r\n", "a doubled space stays raw"},
		{"tab\tinside", "Subject: tab\tinside\r\n", "TAB inside stays raw"},
		{"", "Subject:\r\n", "empty subject"},
		{"aVeryLongWordWithoutAnySpaceThatCannotBeFoldedAnywhereBecauseItIsLongerThanTheLimit",
		"=?UTF-8?", "an over-long word is encoded so it can be split"},
	};
	size_t		i;

	ews_mime_fields_init(&f);
	f.to.v = &a;
	f.to.n = 1;
	for (i = 0; i < sizeof subj / sizeof subj[0]; i++)
	{
		f.subject = (char *) subj[i].subject;
		CHECK(roundtrip(&f) && (subj[i].expect == NULL || strstr((char *) out, subj[i].expect) != NULL),
			  "subject: %s", subj[i].what);
		if (rt_why[0])
			printf("#   %s\n", rt_why);
	}

	f.subject = "\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84"
		"\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84"
		"\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84"
		"\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84\xC3\x84"
		" \xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80"
		"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80";
	CHECK(roundtrip(&f), "long non-ASCII subject round trip");
	header_form(&longest, &lines_ok);
	CHECK(longest > 0 && longest <= 75 && lines_ok,
		  "encoded-words at most 75 characters (longest %zu), lines folded at 78", longest);
	{
		/* no word may hold a partial character: each decodes to valid UTF-8 alone */
		char	   *w = (char *) out;
		int			ok = 1;

		while ((w = strstr(w, "=?UTF-8?")) != NULL)
		{
			char	   *end = strstr(w + 10, "?=");
			char		word[128];
			char	   *dec;

			if (!end || end - w + 2 >= (long) sizeof word)
				break;
			memcpy(word, w, (size_t) (end - w + 2));
			word[end - w + 2] = '\0';
			dec = ews_mime_decode_header_value(word, talloc, NULL);
			if (strstr(dec, "\xEF\xBF\xBD") != NULL || strstr(dec, "=?") != NULL)
				ok = 0;
			w = end;
		}
		CHECK(ok, "every encoded-word holds whole characters");
	}

	/* display names */
	{
		static const struct
		{
			const char *name;
			const char *expect;
		}			nm[] = {
			{"John Smith", "To: John Smith <x@y.z>"},
			{"Smith, John", "To: \"Smith, John\" <x@y.z>"},
			{"J. \"Q\" \\ S", "To: \"J. \\\"Q\\\" \\\\ S\" <x@y.z>"},
			{"J\xC3\xB6rg", "To: =?UTF-8?B?SsO2cmc=?= <x@y.z>"},
			{"  spaced  ", "To: \"  spaced  \" <x@y.z>"},
			{"=?fake?Q?x?=", "To: =?UTF-8?"},
			{"", "To: x@y.z\r\n"},
		};

		for (i = 0; i < sizeof nm / sizeof nm[0]; i++)
		{
			a.name = (char *) nm[i].name;
			f.subject = NULL;
			CHECK(roundtrip(&f) && strstr((char *) out, nm[i].expect) != NULL, "display name [%s]", nm[i].name);
			if (rt_why[0] || strstr((char *) out, nm[i].expect) == NULL)
				printf("#   %s\n%.*s\n", rt_why, (int) outlen, out);
		}
		a.name = NULL;
	}

	/* bodies */
	{
		static const char *const bodies[] = {
			"plain\r\ntext\r\n", "bare\nLF\nand\rCR\r", "trailing space \r\nand tab\t\r\nend ",
			"From the start\r\n.\r\n..\r\nFrom", "=3D is not an escape =\r\n=",
			"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE6\x97\xA5\xE6\x9C\xAC",
			"--=_ews_0000000000000000\r\n--=_ews_0000000000000000--",
		};

		for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
		{
			f.text_body = (char *) bodies[i];
			f.text_body_len = strlen(bodies[i]);
			f.html_body = (char *) bodies[(i + 1) % (sizeof bodies / sizeof bodies[0])];
			f.html_body_len = strlen(f.html_body);
			CHECK(roundtrip(&f), "body %zu comes back byte for byte", i);
			if (rt_why[0])
				printf("#   %s\n", rt_why);
		}
		f.text_body = "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE6\x97\xA5\xE6\x9C\xAC";
		f.text_body_len = strlen(f.text_body);
		f.html_body = NULL;
		gen(&f, 0);
		CHECK(strstr((char *) out, "Content-Transfer-Encoding: base64") != NULL, "CJK body: base64 is shorter");
		{
			/* a long line is soft-broken at 76 */
			char		longline[400];
			char	   *body;
			size_t		col = 0,
						maxcol = 0,
						k;

			memset(longline, 'x', sizeof longline - 1);
			longline[sizeof longline - 1] = '\0';
			f.text_body = longline;
			f.text_body_len = strlen(longline);
			CHECK(roundtrip(&f), "a 399-character line round trip");
			body = strstr((char *) out, "\r\n\r\n") + 4;
			for (k = 0; body[k]; k++)
			{
				if (body[k] == '\r')
				{
					col = 0;
					k++;
					continue;
				}
				if (++col > maxcol)
					maxcol = col;
			}
			CHECK(maxcol <= 76 && strstr((char *) out, "quoted-printable") != NULL,
				  "quoted-printable lines at most 76 characters (%zu)", maxcol);
		}
	}
}

static void
test_refusals(void)
{
	EwsMimeFields f;
	EwsMimeAddress a = {NULL, NULL, NULL};
	EwsMimeHeader h = {"X-Ok", "v"};
	static const char *const bad_addr[] = {
		"", "no-at-sign", "@example.com", "user@", "a b@c.d", "a@b c", "\xC3\xA9@x.y", "user@.x",
		".a@b", "a.@b", "\"unterminated@x", "\"\"@x", "\"a\\b\"@x", "a@[x[y]", "a<b>@c", "a@b,c",
	};
	static const char *const good_addr[] = {
		"a@b", "first.last+tag@sub.example.org", "\"john doe\"@example.com", "\"a\\\"b\"@x.y",
		"u@[192.0.2.1]", "x_y-z!#$%&'*/=?^`{|}~@a-b.c",
	};
	size_t		i;

	ews_mime_fields_init(&f);
	f.to.v = &a;
	f.to.n = 1;
	for (i = 0; i < sizeof bad_addr / sizeof bad_addr[0]; i++)
	{
		a.address = (char *) bad_addr[i];
		CHECK(gen(&f, 0) == EWS_MIMEGEN_BAD_ADDRESS, "address [%s] refused", bad_addr[i]);
	}
	for (i = 0; i < sizeof good_addr / sizeof good_addr[0]; i++)
	{
		a.address = (char *) good_addr[i];
		CHECK(roundtrip(&f), "address [%s] round trip", good_addr[i]);
	}
	a.address = "a@b";
	a.name = "bad \xC3";
	CHECK(gen(&f, 0) == EWS_MIMEGEN_BAD_UTF8, "invalid UTF-8 name refused");
	a.name = NULL;
	f.subject = "\xFF";
	CHECK(gen(&f, 0) == EWS_MIMEGEN_BAD_UTF8, "invalid UTF-8 subject refused");
	f.subject = NULL;
	f.text_body = "\xED\xA0\x80";
	f.text_body_len = 3;
	CHECK(gen(&f, 0) == EWS_MIMEGEN_BAD_UTF8, "surrogate in the body refused");
	f.text_body = NULL;
	f.message_id = "<\xC3\xA9@x>";
	CHECK(gen(&f, 0) == EWS_MIMEGEN_BAD_ID, "non-ASCII Message-ID refused");
	f.message_id = NULL;
	f.references = "<a@b>\x01";
	CHECK(gen(&f, 0) == EWS_MIMEGEN_BAD_ID, "control in References refused");
	f.references = NULL;
	f.has_date = true;
	f.date = INT64_C(94354848000000000) - 10000000;	/* 1899-12-31 23:59:59 */
	CHECK(gen(&f, 0) == EWS_MIMEGEN_BAD_DATE, "date before 1900 refused");
	f.date = INT64_C(94354848000000000);
	CHECK(gen(&f, 0) == EWS_MIMEGEN_OK && strstr((char *) out, "Date: Mon, 01 Jan 1900 00:00:00 +0000") != NULL,
		  "1900-01-01 written");
	f.date = INT64_C(2650467743990000000);
	CHECK(gen(&f, 0) == EWS_MIMEGEN_OK && strstr((char *) out, "Date: Fri, 31 Dec 9999 23:59:59 +0000") != NULL,
		  "9999-12-31 written");
	f.date = INT64_C(2650467744000000000);
	CHECK(gen(&f, 0) == EWS_MIMEGEN_BAD_DATE, "year 10000 refused");
	f.has_date = false;
	f.extra = &h;
	f.nextra = 1;
	CHECK(roundtrip(&f), "an extra header round trip");
	h.name = "Content-Type";
	CHECK(gen(&f, 0) == EWS_MIMEGEN_BAD_HEADER, "extra Content-Type refused");
	h.name = "subject";
	CHECK(gen(&f, 0) == EWS_MIMEGEN_BAD_HEADER, "extra subject refused");
	h.name = "X Bad";
	CHECK(gen(&f, 0) == EWS_MIMEGEN_BAD_HEADER, "extra name with a space refused");
	h.name = "X:Bad";
	CHECK(gen(&f, 0) == EWS_MIMEGEN_BAD_HEADER, "extra name with a colon refused");
	f.nextra = 0;
	{
		EwsMimeAddress *many = calloc(EWS_MIME_MAX_ADDRESSES + 1, sizeof *many);

		for (i = 0; i <= EWS_MIME_MAX_ADDRESSES; i++)
			many[i].address = "a@b";
		f.to.v = many;
		f.to.n = EWS_MIME_MAX_ADDRESSES + 1;
		CHECK(gen(&f, 0) == EWS_MIMEGEN_TOO_LARGE, "too many addresses refused");
		f.to.n = EWS_MIME_MAX_ADDRESSES;
		CHECK(roundtrip(&f), "%d addresses round trip", EWS_MIME_MAX_ADDRESSES);
		for (i = 0; i < EWS_MIME_MAX_ADDRESSES; i++)
			many[i].address = "a-rather-long-address-that-adds-up-to-a-lot-of-bytes-together@"
				"a-long-domain.with-many-labels.example.com";
		CHECK(gen(&f, 0) == EWS_MIMEGEN_TOO_LARGE, "a header section over 1 MiB refused");
		free(many);
	}
	for (i = 0; i <= (size_t) EWS_MIMEGEN_TOO_LARGE; i++)
		CHECK(ews_mime_gen_status_text((EwsMimeGenStatus) i)[0] >= 'a', "status %zu has a text", i);
}

/* ---- the property, over generated field sets ---- */

static uint64_t rng = UINT64_C(0x9E3779B97F4A7C15);

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static char *
rstr(const char *const *pieces, size_t np, size_t maxn)
{
	size_t		n = rnd() % (maxn + 1),
				i;
	char	   *b = talloc(NULL, 64 * maxn + 1);

	b[0] = '\0';
	for (i = 0; i < n; i++)
		strcat(b, pieces[rnd() % np]);
	return b;
}

static const char *const text_pieces[] = {
	"a", "Z", "9", " ", "  ", "\t", "=?", "?=", "\"", "\\", ",", ";", "<", ">", "@", "(", ")", ".",
	":", "_", "=", "\xC3\xA9", "\xE2\x82\xAC", "\xE6\x97\xA5\xE6\x9C\xAC", "\xF0\x9F\x98\x80",
	"\xC3\xBC", "Donaudampfschifffahrtsgesellschaftskapitaenswitwenrentenversicherung",
	"=?utf-8?Q?x?=", "word", "Re:", "[ext]", "-", "'", "\xC2\xA0",
};
static const char *const body_pieces[] = {
	"line", "\r\n", "\n", "\r", " ", "\t", "From ", ".", "=", "\xC3\xA9", "\xE2\x82\xAC",
	"\xF0\x9F\x98\x80", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	"--=_ews_", "<p>", "&amp;", "=0A", "\r\n\r\n",
};
static const char *const addresses[] = {
	"user@example.com", "first.last+tag@sub.example.org", "\"john doe\"@example.com",
	"\"a\\\"b\"@x.y", "u@[192.0.2.1]", "x_y-z@a-b.c", "a@b",
};
static const char *const ids[] = {"<a@b>", "<1234.5678@host.example>", "<x>", " ", "\t", "  "};

static void
rlist(EwsMimeAddressList *l, size_t maxn)
{
	size_t		i;

	l->n = rnd() % (maxn + 1);
	l->v = talloc(NULL, (l->n + 1) * sizeof *l->v);
	for (i = 0; i < l->n; i++)
	{
		l->v[i].name = rnd() % 3 ? rstr(text_pieces, sizeof text_pieces / sizeof text_pieces[0], 6) : NULL;
		l->v[i].address = (char *) addresses[rnd() % (sizeof addresses / sizeof addresses[0])];
		l->v[i].group = NULL;
	}
}

static void
random_fields(EwsMimeFields *f)
{
	size_t		i;
	const size_t ntp = sizeof text_pieces / sizeof text_pieces[0];

	ews_mime_fields_init(f);
	rlist(&f->from, 1);
	rlist(&f->sender, 1);
	rlist(&f->reply_to, 2);
	rlist(&f->to, 5);
	rlist(&f->cc, 3);
	rlist(&f->bcc, 2);
	if (rnd() % 4)
		f->subject = rstr(text_pieces, ntp, 20);
	if (rnd() % 2)
	{
		f->has_date = true;
		/* 1900..9999, with a fraction of a second the message drops */
		f->date = INT64_C(94354848000000000) + (int64_t) (rnd() % UINT64_C(2556113000000000000));
	}
	if (rnd() % 2)
		f->message_id = (char *) ids[rnd() % 3];
	if (rnd() % 3 == 0)
		f->in_reply_to = rstr(ids, sizeof ids / sizeof ids[0], 4);
	if (rnd() % 3 == 0)
		f->references = rstr(ids, sizeof ids / sizeof ids[0], 30);
	f->importance = (EwsMimeImportance) (rnd() % 3);
	f->sensitivity = (EwsMimeSensitivity) (rnd() % 4);
	f->ncategories = rnd() % 4;
	f->categories = talloc(NULL, (f->ncategories + 1) * sizeof(char *));
	for (i = 0; i < f->ncategories; i++)
		f->categories[i] = rstr(text_pieces, ntp, 4);
	if (rnd() % 3)
	{
		f->text_body = rstr(body_pieces, sizeof body_pieces / sizeof body_pieces[0], 60);
		f->text_body_len = strlen(f->text_body);
	}
	if (rnd() % 3)
	{
		f->html_body = rstr(body_pieces, sizeof body_pieces / sizeof body_pieces[0], 60);
		f->html_body_len = strlen(f->html_body);
	}
	f->nextra = rnd() % 3;
	f->extra = talloc(NULL, (f->nextra + 1) * sizeof *f->extra);
	for (i = 0; i < f->nextra; i++)
	{
		f->extra[i].name = rnd() % 2 ? "X-Test" : "X-Other-Field";
		f->extra[i].value = rstr(text_pieces, ntp, 10);
	}
}

static void
test_property(void)
{
	int			i,
				failures = 0,
				n = 3000;
	int			idempotent = 1;

	for (i = 0; i < n; i++)
	{
		EwsMimeFields f;

		random_fields(&f);
		if (!roundtrip(&f))
		{
			if (failures++ < 5)
			{
				printf("#   case %d: %s\n", i, rt_why);
				printf("#   message:\n%.*s\n", (int) (outlen < 3000 ? outlen : 3000), out);
			}
		}
		else
		{
			/* generate(parse(generate(f))) == generate(f), byte for byte */
			uint8_t    *first = out;
			size_t		firstlen = outlen;

			pm.fields.extra = f.extra;
			pm.fields.nextra = f.nextra;
			if (gen(&pm.fields, 1) != EWS_MIMEGEN_OK || outlen != firstlen ||
				memcmp(out, first, firstlen) != 0)
				idempotent = 0;
		}
		if (i % 500 == 499)
			tfree_all();
	}
	CHECK(failures == 0, "parse(generate(f)) == f for %d generated field sets (%d failed)", n, failures);
	CHECK(idempotent, "generate(parse(generate(f))) == generate(f) byte for byte");
}

int
main(void)
{
	test_pinned();
	test_determinism();
	test_encoding();
	test_refusals();
	test_property();
	tfree_all();
	return unit_done();
}
