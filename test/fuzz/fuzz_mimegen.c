/*
 * fuzz_mimegen.c
 *	  libFuzzer harness for the generator's round trip: the input bytes
 *	  choose an EwsMimeFields (each byte of a string picks a piece from a
 *	  table of awkward pieces: specials, white space, "=?", multi-byte
 *	  characters, line ends in bodies), then
 *	    generate(f) has the promised form (ASCII, CRLF, lines <= 998),
 *	    parse(generate(f)) == f (mimetest_rt.h), and
 *	    generate(parse(generate(f))) == generate(f) byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "../unit/mimetest.h"
#include "../unit/mimetest_rt.h"

typedef struct In
{
	const uint8_t *d;
	size_t		n;
	size_t		p;
} In;

static unsigned
next(In *in)
{
	return in->p < in->n ? in->d[in->p++] : 0;
}

static const char *const text_pieces[] = {
	"a", "Z", "9", " ", "  ", "\t", "=?", "?=", "\"", "\\", ",", ";", "<", ">", "@", "(", ")", ".",
	":", "_", "=", "\xC3\xA9", "\xE2\x82\xAC", "\xE6\x97\xA5\xE6\x9C\xAC", "\xF0\x9F\x98\x80",
	"\xC3\xBC", "Donaudampfschifffahrtsgesellschaftskapitaenswitwenrentenversicherung",
	"=?utf-8?Q?x?=", "word", "Re:", "[ext]", "-", "'", "\xC2\xA0", "?", "*", "/", "+",
};
static const char *const body_pieces[] = {
	"line", "\r\n", "\n", "\r", " ", "\t", "From ", ".", "=", "\xC3\xA9", "\xE2\x82\xAC",
	"\xF0\x9F\x98\x80", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	"--=_ews_", "<p>", "&amp;", "=0A", "\r\n\r\n", "a", " \r\n", "\t\n",
};
static const char *const addresses[] = {
	"user@example.com", "first.last+tag@sub.example.org", "\"john doe\"@example.com",
	"\"a\\\"b\"@x.y", "u@[192.0.2.1]", "x_y-z@a-b.c", "a@b", "\"(x)\"@y",
};
static const char *const ids[] = {"<a@b>", "<1234.5678@host.example>", "<x>", " ", "\t", "  "};

#define NELEM(a) (sizeof (a) / sizeof (a)[0])

static char *
str(In *in, const char *const *pieces, size_t np, size_t maxn)
{
	size_t		n = next(in) % (maxn + 1),
				i,
				len = 0;
	char	   *b = talloc(NULL, 80 * maxn + 1);

	b[0] = '\0';
	for (i = 0; i < n; i++)
	{
		const char *pc = pieces[next(in) % np];
		size_t		pl = strlen(pc);

		memcpy(b + len, pc, pl + 1);
		len += pl;
	}
	return b;
}

static void
list(In *in, EwsMimeAddressList *l, size_t maxn)
{
	size_t		i;

	l->n = next(in) % (maxn + 1);
	l->v = talloc(NULL, (l->n + 1) * sizeof *l->v);
	for (i = 0; i < l->n; i++)
	{
		l->v[i].name = next(in) % 4 ? str(in, text_pieces, NELEM(text_pieces), 12) : NULL;
		l->v[i].address = (char *) addresses[next(in) % NELEM(addresses)];
		l->v[i].group = NULL;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	In			in = {data, size, 0};
	EwsMimeFields f;
	EwsMimeMessage m;
	uint8_t    *out,
			   *out2;
	size_t		outlen,
				out2len,
				i;
	uint64_t	seed = 0;

	ews_mime_fields_init(&f);
	for (i = 0; i < 8; i++)
		seed = (seed << 8) | next(&in);
	list(&in, &f.from, 1);
	list(&in, &f.sender, 1);
	list(&in, &f.reply_to, 2);
	list(&in, &f.to, 6);
	list(&in, &f.cc, 3);
	list(&in, &f.bcc, 2);
	if (next(&in) % 4)
		f.subject = str(&in, text_pieces, NELEM(text_pieces), 40);
	if (next(&in) % 2)
	{
		f.has_date = true;
		f.date = INT64_C(94354848000000000) +
			(int64_t) (((uint64_t) next(&in) << 48 | (uint64_t) next(&in) << 32 |
						(uint64_t) next(&in) << 16 | next(&in)) % UINT64_C(2556113000000000000));
	}
	if (next(&in) % 2)
		f.message_id = (char *) ids[next(&in) % 3];
	if (next(&in) % 3 == 0)
		f.in_reply_to = str(&in, ids, NELEM(ids), 4);
	if (next(&in) % 3 == 0)
		f.references = str(&in, ids, NELEM(ids), 40);
	f.importance = (EwsMimeImportance) (next(&in) % 3);
	f.sensitivity = (EwsMimeSensitivity) (next(&in) % 4);
	f.ncategories = next(&in) % 5;
	f.categories = talloc(NULL, (f.ncategories + 1) * sizeof(char *));
	for (i = 0; i < f.ncategories; i++)
		f.categories[i] = str(&in, text_pieces, NELEM(text_pieces), 8);
	if (next(&in) % 3)
	{
		f.text_body = str(&in, body_pieces, NELEM(body_pieces), 200);
		f.text_body_len = strlen(f.text_body);
	}
	if (next(&in) % 3)
	{
		f.html_body = str(&in, body_pieces, NELEM(body_pieces), 200);
		f.html_body_len = strlen(f.html_body);
	}
	f.nextra = next(&in) % 4;
	f.extra = talloc(NULL, (f.nextra + 1) * sizeof *f.extra);
	for (i = 0; i < f.nextra; i++)
	{
		f.extra[i].name = next(&in) % 2 ? "X-Test" : "X-Other-Field";
		f.extra[i].value = str(&in, text_pieces, NELEM(text_pieces), 30);
	}

	if (ews_mime_generate(&f, seed, &out, &outlen, talloc, NULL) != EWS_MIMEGEN_OK)
		abort();
	if (!rt_form_ok(out, outlen))
		abort();
	if (ews_mime_parse_message(out, outlen, &m, talloc, NULL) != EWS_MIME_OK)
		abort();
	if (!rt_check(&f, &m, talloc, NULL))
	{
		fprintf(stderr, "round trip: %s\n%.*s\n", rt_why, (int) outlen, out);
		abort();
	}
	m.fields.extra = f.extra;
	m.fields.nextra = f.nextra;
	if (ews_mime_generate(&m.fields, seed, &out2, &out2len, talloc, NULL) != EWS_MIMEGEN_OK ||
		out2len != outlen || memcmp(out, out2, outlen) != 0)
		abort();

	tfree_all();
	return 0;
}
