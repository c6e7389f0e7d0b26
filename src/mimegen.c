/*
 * mimegen.c
 *	  The message generator (ews_mime_generate, see mime.h): an RFC 5322
 *	  message from an item's properties, for items created without MIME
 *	  (exchangelib's Message(subject=..., body=...).save()).
 *
 * What it writes is what the reader (mimemsg.c) gives back: every choice
 * below (when to quote, when to encode, how to fold) is made so that
 * parse(generate(f)) is f.  The unit tests and a fuzz target check it.
 *
 *  - ASCII only, CRLF line ends.  A header line is folded (CRLF put before a
 *    space that was there anyway) before it passes 78 characters, so
 *    unfolding gives the same text back; no line passes 998.
 *  - Text that is not plain ASCII words goes into RFC 2047 encoded-words
 *    (UTF-8, B or Q, whichever is shorter; at most 75 characters each; a
 *    character is never split between two words).  White space between
 *    encoded-words is not part of the text (RFC 2047 6.2), so the reader
 *    joins them exactly.
 *  - Bodies are quoted-printable or base64, whichever is shorter.  The
 *    quoted-printable writer turns only CRLF into line breaks; a bare CR or
 *    LF is written =0D / =0A, so the body comes back byte for byte.
 *  - Deterministic: the multipart boundary is a hash of the seed and the
 *    bodies, behind "=_", which quoted-printable and base64 never write.
 *
 * No postgres.h here: the unit tests and the fuzzers build this file alone.
 */
#include "mime.h"
#include "mimeint.h"

#include <stdio.h>
#include <string.h>

#define FOLD_AT 78
/* an ASCII word longer than this is encoded (encoded-words can be split) */
#define MAX_RAW_WORD 64
/* quoted display names longer than this are encoded (no fold inside quotes) */
#define MAX_QUOTED 60
/* the longest address or message id written (a line stays under 998) */
#define MAX_TOKEN 900
#define MAX_EXTRA (EWS_MIME_MAX_FIELDS - 1000)

typedef struct G
{
	EwsmBuf		b;
	size_t		line_start;		/* offset where the current line began */
	size_t		reserve;		/* characters that will follow the next token
								 * (a list's comma) */
	ews_mime_alloc_fn alloc;
	void	   *ctx;
} G;

static size_t
line_len(G *g)
{
	return g->b.len - g->line_start;
}

static void
field_start(G *g, const char *name)
{
	g->line_start = g->b.len;
	ewsm_buf_puts(&g->b, name);
	ewsm_buf_putc(&g->b, ':');
}

/*
 * Append a token; space: a space separates it from what came before, and
 * there the line may be folded (RFC 5322 2.2.3: CRLF before the WSP).
 */
static void
token(G *g, const char *t, size_t n, bool space)
{
	if (space)
	{
		if (line_len(g) + 1 + n + g->reserve > FOLD_AT && line_len(g) > 0)
		{
			ewsm_buf_put(&g->b, "\r\n", 2);
			g->line_start = g->b.len;
		}
		ewsm_buf_putc(&g->b, ' ');
	}
	ewsm_buf_put(&g->b, t, n);
}

static void
field_end(G *g)
{
	ewsm_buf_put(&g->b, "\r\n", 2);
	g->line_start = g->b.len;
}

/* ----------------------------------------------------------------
 * Encoded-words (RFC 2047)
 * ----------------------------------------------------------------
 */

/* Characters Q may leave as they are in any header context (RFC 2047 5(3)). */
static bool
q_safe(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

static size_t
q_len(uint8_t c)
{
	return (q_safe(c) || c == ' ') ? 1 : 3;
}

/* Length of the UTF-8 character starting at s[i] (the text is valid UTF-8). */
static size_t
char_len(const uint8_t *s, size_t n, size_t i)
{
	uint32_t	cp;
	size_t		k = ewsm_utf8_seq(s + i, n - i, &cp);

	return k ? k : 1;
}

static const char b64chars[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
b64_put(EwsmBuf *b, const uint8_t *s, size_t n)
{
	size_t		i;

	for (i = 0; i + 2 < n; i += 3)
	{
		uint32_t	v = ((uint32_t) s[i] << 16) | ((uint32_t) s[i + 1] << 8) | s[i + 2];

		ewsm_buf_putc(b, (uint8_t) b64chars[v >> 18]);
		ewsm_buf_putc(b, (uint8_t) b64chars[(v >> 12) & 63]);
		ewsm_buf_putc(b, (uint8_t) b64chars[(v >> 6) & 63]);
		ewsm_buf_putc(b, (uint8_t) b64chars[v & 63]);
	}
	if (n - i == 1)
	{
		uint32_t	v = (uint32_t) s[i] << 16;

		ewsm_buf_putc(b, (uint8_t) b64chars[v >> 18]);
		ewsm_buf_putc(b, (uint8_t) b64chars[(v >> 12) & 63]);
		ewsm_buf_puts(b, "==");
	}
	else if (n - i == 2)
	{
		uint32_t	v = ((uint32_t) s[i] << 16) | ((uint32_t) s[i + 1] << 8);

		ewsm_buf_putc(b, (uint8_t) b64chars[v >> 18]);
		ewsm_buf_putc(b, (uint8_t) b64chars[(v >> 12) & 63]);
		ewsm_buf_putc(b, (uint8_t) b64chars[(v >> 6) & 63]);
		ewsm_buf_putc(b, '=');
	}
}

/*
 * Write s[0..n) as encoded-words, each a token after a space.  "=?UTF-8?Q?"
 * and "?=" take 12 of a word's 75 characters: 63 remain for Q text, or 45
 * octets in B (60 characters).
 */
static void
encoded_words(G *g, const uint8_t *s, size_t n, bool space)
{
	size_t		qn = 0,
				bn = (n + 2) / 3 * 4,
				i;
	bool		use_q;
	EwsmBuf		w;

	for (i = 0; i < n; i++)
		qn += q_len(s[i]);
	use_q = qn <= bn;
	ewsm_buf_init(&w, 80, g->alloc, g->ctx);
	i = 0;
	while (i < n)
	{
		size_t		start = i,
					used = 0;

		/* take whole characters while they fit */
		while (i < n)
		{
			size_t		k = char_len(s, n, i),
						cost = 0,
						j;

			if (use_q)
			{
				for (j = 0; j < k; j++)
					cost += q_len(s[i + j]);
				if (used + cost > 63)
					break;
			}
			else if (i - start + k > 45)
				break;
			used += cost;
			i += k;
		}
		w.len = 0;
		ewsm_buf_puts(&w, use_q ? "=?UTF-8?Q?" : "=?UTF-8?B?");
		if (use_q)
		{
			for (; start < i; start++)
			{
				uint8_t		c = s[start];

				if (c == ' ')
					ewsm_buf_putc(&w, '_');
				else if (q_safe(c))
					ewsm_buf_putc(&w, c);
				else
				{
					char		hx[4];

					snprintf(hx, sizeof hx, "=%02X", c);
					ewsm_buf_put(&w, hx, 3);
				}
			}
		}
		else
			b64_put(&w, s + start, i - start);
		ewsm_buf_puts(&w, "?=");
		token(g, (const char *) w.data, w.len, space);
		space = true;
	}
}

static bool
has_eq_q(const uint8_t *s, size_t n)
{
	size_t		i;

	for (i = 0; i + 1 < n; i++)
		if (s[i] == '=' && s[i + 1] == '?')
			return true;
	return false;
}

/*
 * Unstructured text (Subject, extra fields): plain ASCII words as they are,
 * split at spaces for folding; from the first word that cannot be written
 * so (8-bit, "=?", too long), encoded-words to the end.  Leading or trailing
 * white space, which the reader trims, is kept by encoding it all.
 */
static void
unstructured(G *g, const uint8_t *s, size_t n)
{
	size_t		i = 0,
				raw_end = 0;

	if (n == 0)
		return;
	if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t')
	{
		encoded_words(g, s, n, true);
		return;
	}
	/* find the words that can stay raw: up to the first one that cannot */
	while (i < n)
	{
		size_t		j = i;
		bool		ok = true;

		while (j < n && s[j] != ' ')
		{
			if (s[j] >= 0x7F || (s[j] < 0x20 && s[j] != '\t'))
				ok = false;
			j++;
		}
		if (!ok || j - i > MAX_RAW_WORD || has_eq_q(s + i, j - i))
			break;
		raw_end = j;
		i = j < n ? j + 1 : n;
	}
	/*
	 * The raw words s[0..raw_end), each a token after a space (an empty word
	 * keeps a doubled space); then, if words are left, encoded-words for the
	 * rest.  The space between the two is white space between raw text and
	 * an encoded-word, which the reader keeps.
	 */
	if (raw_end > 0 || n == 0)
	{
		size_t		k = 0;

		while (k <= raw_end)
		{
			size_t		j = k;

			while (j < raw_end && s[j] != ' ')
				j++;
			token(g, (const char *) s + k, j - k, true);
			k = j + 1;
		}
		if (raw_end < n)
			encoded_words(g, s + raw_end + 1, n - raw_end - 1, true);
		return;
	}
	encoded_words(g, s, n, true);
}

/* RFC 5322 atext */
static bool
atext(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		(c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/*
 * A phrase (display name, keyword): atoms when it is ASCII atoms separated by
 * single spaces; a quoted-string when it is short printable ASCII; else
 * encoded-words.  The reader's phrase() undoes each exactly.
 */
static void
phrase_out(G *g, const uint8_t *s, size_t n, bool space)
{
	size_t		i;
	bool		atoms = n > 0 && n <= MAX_QUOTED && s[0] != ' ' && s[n - 1] != ' ',
				printable = n <= MAX_QUOTED;

	for (i = 0; i < n; i++)
	{
		if (!(atext(s[i]) || (s[i] == ' ' && i + 1 < n && s[i + 1] != ' ')))
			atoms = false;
		if (s[i] < 0x20 || s[i] >= 0x7F)
			printable = false;
	}
	if (has_eq_q(s, n))
		atoms = printable = false;
	if (atoms)
	{
		size_t		a = 0;

		while (a < n)
		{
			size_t		j = a;

			while (j < n && s[j] != ' ')
				j++;
			token(g, (const char *) s + a, j - a, space);
			space = true;
			a = j + 1;
		}
		return;
	}
	if (printable)
	{
		EwsmBuf		q;

		ewsm_buf_init(&q, n * 2 + 3, g->alloc, g->ctx);
		ewsm_buf_putc(&q, '"');
		for (i = 0; i < n; i++)
		{
			if (s[i] == '"' || s[i] == '\\')
				ewsm_buf_putc(&q, '\\');
			ewsm_buf_putc(&q, s[i]);
		}
		ewsm_buf_putc(&q, '"');
		token(g, (const char *) q.data, q.len, space);
		return;
	}
	encoded_words(g, s, n, space);
}

/* ----------------------------------------------------------------
 * Checks of the input
 * ----------------------------------------------------------------
 */

/* Cleaned copy of a header string (what the reader would give back). */
static bool
clean_str(G *g, const char *s, char **out, size_t *n)
{
	size_t		len = strlen(s);

	if (!ews_utf8_valid((const uint8_t *) s, len))
		return false;
	*out = ewsm_clean((const uint8_t *) s, len, false, n, g->alloc, g->ctx);
	return true;
}

/*
 * An address the reader gives back unchanged: local@domain, local a
 * dot-atom or a quoted-string with only \" and \\ escaped, domain a
 * dot-atom or a domain literal; printable ASCII.
 */
static bool
address_ok(const char *a)
{
	size_t		n = strlen(a),
				i = 0;

	if (n == 0 || n > MAX_TOKEN)
		return false;
	if (a[0] == '"')
	{
		for (i = 1; i < n && a[i] != '"'; i++)
		{
			uint8_t		c = (uint8_t) a[i];

			if (c < 0x20 || c >= 0x7F)
				return false;
			if (c == '\\')
			{
				if (i + 1 >= n || (a[i + 1] != '"' && a[i + 1] != '\\'))
					return false;
				i++;
			}
		}
		if (i >= n || i == 1)
			return false;
		i++;
	}
	else
	{
		while (i < n && (atext((uint8_t) a[i]) || a[i] == '.'))
			i++;
		if (i == 0 || a[0] == '.' || a[i - 1] == '.')
			return false;
	}
	if (i >= n || a[i] != '@')
		return false;
	i++;
	if (i >= n)
		return false;
	if (a[i] == '[')
	{
		size_t		j;

		for (j = i + 1; j < n - 1; j++)
			if ((uint8_t) a[j] <= 0x20 || (uint8_t) a[j] >= 0x7F || a[j] == '[' ||
				a[j] == ']' || a[j] == '\\')
				return false;
		return a[n - 1] == ']' && n - i >= 3;
	}
	if (a[i] == '.' || a[n - 1] == '.')
		return false;
	for (; i < n; i++)
		if (!(atext((uint8_t) a[i]) || a[i] == '.'))
			return false;
	return true;
}

/* Printable ASCII and white space; the trimmed, collapsed form in *out. */
static bool
id_text(G *g, const char *s, bool collapse, char **out)
{
	size_t		n = strlen(s),
				i,
				k = 0,
				a = 0;
	char	   *o = g->alloc(g->ctx, n + 1);

	for (i = 0; i < n; i++)
	{
		uint8_t		c = (uint8_t) s[i];

		if (c >= 0x7F || (c < 0x20 && c != '\t' && c != '\r' && c != '\n'))
			return false;
		if (c == '\t' || c == '\r' || c == '\n' || c == ' ')
		{
			if (collapse)
			{
				if (k > 0 && o[k - 1] != ' ')
					o[k++] = ' ';
				continue;
			}
			if (c == '\r' || c == '\n')
				c = ' ';		/* the reader cleans them into spaces */
		}
		o[k++] = (char) c;
	}
	while (k > 0 && (o[k - 1] == ' ' || o[k - 1] == '\t'))
		k--;
	while (a < k && (o[a] == ' ' || o[a] == '\t'))
		a++;
	o[k] = '\0';
	*out = o + a;
	return true;
}

static EwsMimeGenStatus
address_field(G *g, const char *name, const EwsMimeAddressList *l)
{
	size_t		i;

	if (l->n == 0)
		return EWS_MIMEGEN_OK;
	field_start(g, name);
	for (i = 0; i < l->n; i++)
	{
		const EwsMimeAddress *a = &l->v[i];
		char	   *nm = NULL,
				   *ad;
		size_t		nn = 0,
					an;

		if (a->address == NULL || !clean_str(g, a->address, &ad, &an))
			return a->address == NULL ? EWS_MIMEGEN_BAD_ADDRESS : EWS_MIMEGEN_BAD_UTF8;
		if (!address_ok(ad))
			return EWS_MIMEGEN_BAD_ADDRESS;
		if (a->name != NULL && !clean_str(g, a->name, &nm, &nn))
			return EWS_MIMEGEN_BAD_UTF8;
		g->reserve = i + 1 < l->n ? 1 : 0;
		if (nn > 0)
		{
			char	   *angle = g->alloc(g->ctx, an + 3);

			phrase_out(g, (const uint8_t *) nm, nn, true);
			angle[0] = '<';
			memcpy(angle + 1, ad, an);
			angle[an + 1] = '>';
			token(g, angle, an + 2, true);
		}
		else
			token(g, ad, an, true);
		g->reserve = 0;
		if (i + 1 < l->n)
			ewsm_buf_putc(&g->b, ',');
	}
	field_end(g);
	return EWS_MIMEGEN_OK;
}

/* Names the generator writes itself, and ones that would change what is read. */
bool
ewsm_gen_reserved_name(const char *n)
{
	static const char *const names[] = {
		"date", "from", "sender", "reply-to", "to", "cc", "bcc", "subject", "message-id",
		"in-reply-to", "references", "importance", "x-priority", "x-msmail-priority",
		"priority", "sensitivity", "keywords", "mime-version"
	};
	size_t		i,
				len = strlen(n);

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (ewsm_ci_eq((const uint8_t *) n, len, names[i]))
			return true;
	return len >= 8 && ewsm_ci_eq_bytes((const uint8_t *) n, 8, (const uint8_t *) "content-", 8);
}

/* ----------------------------------------------------------------
 * Bodies
 * ----------------------------------------------------------------
 */

/*
 * Quoted-printable (RFC 2045 6.7) into b, or only counted when b is NULL.
 * Lines at most 76 characters; CRLF is a line break; a bare CR or LF is
 * written encoded (then a soft break, to keep lines short); white space
 * before a line end is encoded, as transports may strip it; "From " and a
 * lone "." at a line start are encoded for mbox and SMTP.
 */
static size_t
qp_encode(EwsmBuf *b, const uint8_t *s, size_t n)
{
	size_t		i,
				col = 0,
				total = 0;

#define QP_PUT(str, len) do { if (b) ewsm_buf_put(b, (str), (len)); total += (len); col += (len); } while (0)
#define QP_BREAK(str, len) do { if (b) ewsm_buf_put(b, (str), (len)); total += (len); col = 0; } while (0)

	for (i = 0; i < n; i++)
	{
		uint8_t		c = s[i];
		char		hx[4];
		bool		enc;
		size_t		w;

		if (c == '\r' && i + 1 < n && s[i + 1] == '\n')
		{
			QP_BREAK("\r\n", 2);
			i++;
			continue;
		}
		enc = c == '=' || c >= 0x7F || (c < 0x20 && c != '\t');
		if ((c == ' ' || c == '\t') &&
			(i + 1 == n || (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n') ||
			 s[i + 1] == '\r' || s[i + 1] == '\n'))
			enc = true;
		if (col == 0 && ((c == 'F' && i + 4 < n && memcmp(s + i, "From ", 5) == 0) ||
						 (c == '.')))
			enc = true;
		w = enc ? 3 : 1;
		/* room for this and a soft break's '=' */
		if (col + w > 75)
			QP_BREAK("=\r\n", 3);
		if (enc)
		{
			snprintf(hx, sizeof hx, "=%02X", c);
			QP_PUT(hx, 3);
		}
		else
			QP_PUT((const char *) &s[i], 1);
		if (c == '\n' || c == '\r')
			QP_BREAK("=\r\n", 3);	/* a bare line end: keep the text readable */
	}
#undef QP_PUT
#undef QP_BREAK
	return total;
}

static size_t
b64_body_len(size_t n)
{
	size_t		chars = (n + 2) / 3 * 4;

	return chars + (chars + 75) / 76 * 2;
}

static void
b64_body(EwsmBuf *b, const uint8_t *s, size_t n)
{
	size_t		i;

	/* 57 octets make a 76-character line */
	for (i = 0; i < n; i += 57)
	{
		b64_put(b, s + i, n - i < 57 ? n - i : 57);
		ewsm_buf_put(b, "\r\n", 2);
	}
}

/* Content-Type, Content-Transfer-Encoding, blank line, body. */
static void
body_part(G *g, const char *type, const uint8_t *s, size_t n)
{
	size_t		ql = qp_encode(NULL, s, n);

	ewsm_buf_puts(&g->b, "Content-Type: ");
	ewsm_buf_puts(&g->b, type);
	ewsm_buf_puts(&g->b, "; charset=utf-8\r\n");
	if (ql <= b64_body_len(n))
	{
		ewsm_buf_puts(&g->b, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		ewsm_buf_reserve(&g->b, ql);
		qp_encode(&g->b, s, n);
	}
	else
	{
		ewsm_buf_puts(&g->b, "Content-Transfer-Encoding: base64\r\n\r\n");
		ewsm_buf_reserve(&g->b, b64_body_len(n));
		b64_body(&g->b, s, n);
	}
	g->line_start = g->b.len;
}

static uint64_t
fnv(uint64_t h, const uint8_t *s, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		h ^= s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/* ----------------------------------------------------------------
 * The message
 * ----------------------------------------------------------------
 */

/* "Thu, 01 Jan 1970 00:00:00 +0000" from FILETIME; false outside 1900..9999. */
static bool
format_date(int64_t ft, char *out, size_t outsz)
{
	static const char *const days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	int64_t		secs,
				z,
				era,
				doe,
				yoe,
				doy,
				mp,
				d,
				m,
				y,
				sod;

	if (ft < 0)
		return false;
	secs = ft / 10000000 - INT64_C(11644473600);
	z = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	sod = secs - z * 86400;
	/* civil_from_days (H. Hinnant's algorithm) */
	{
		int64_t		zz = z + 719468;

		era = (zz >= 0 ? zz : zz - 146096) / 146097;
		doe = zz - era * 146097;
		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		y = yoe + era * 400;
		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		mp = (5 * doy + 2) / 153;
		d = doy - (153 * mp + 2) / 5 + 1;
		m = mp < 10 ? mp + 3 : mp - 9;
		y += (m <= 2);
	}
	if (y < 1900 || y > 9999)
		return false;
	snprintf(out, outsz, "%s, %02d %s %04d %02d:%02d:%02d +0000",
			 days[((z % 7) + 7) % 7], (int) d, months[m - 1], (int) y,
			 (int) (sod / 3600), (int) (sod / 60 % 60), (int) (sod % 60));
	return true;
}

const char *
ews_mime_gen_status_text(EwsMimeGenStatus st)
{
	switch (st)
	{
		case EWS_MIMEGEN_OK:
			return "the message was generated";
		case EWS_MIMEGEN_BAD_UTF8:
			return "a text of the message is not valid UTF-8";
		case EWS_MIMEGEN_BAD_ADDRESS:
			return "an email address is not an ASCII address of the form local@domain";
		case EWS_MIMEGEN_BAD_ID:
			return "a message id (Message-ID, In-Reply-To, References) is not printable ASCII of at most 900 characters";
		case EWS_MIMEGEN_BAD_DATE:
			return "the date is outside the years 1900 to 9999";
		case EWS_MIMEGEN_BAD_HEADER:
			return "an extra header field has an invalid name or one the message writes itself";
		case EWS_MIMEGEN_TOO_LARGE:
			return "the message has too many addresses, categories or header fields";
	}
	return "unknown mime generator status";
}

EwsMimeGenStatus
ews_mime_generate(const EwsMimeFields *f, uint64_t seed, uint8_t **out, size_t *out_len,
				  ews_mime_alloc_fn alloc, void *ctx)
{
	G			g;
	EwsMimeGenStatus st;
	char	   *v;
	size_t		n,
				i,
				header_end;
	const EwsMimeAddressList *lists[6];
	static const char *const list_names[6] = {"From", "Sender", "Reply-To", "To", "Cc", "Bcc"};
	char	   *text = NULL,
			   *html = NULL;
	size_t		text_len = 0,
				html_len = 0;

	*out = NULL;
	*out_len = 0;
	memset(&g, 0, sizeof g);
	g.alloc = alloc;
	g.ctx = ctx;
	ewsm_buf_init(&g.b, 1024 + f->text_body_len * 2 + f->html_body_len * 2, alloc, ctx);

	lists[0] = &f->from;
	lists[1] = &f->sender;
	lists[2] = &f->reply_to;
	lists[3] = &f->to;
	lists[4] = &f->cc;
	lists[5] = &f->bcc;
	n = 0;
	for (i = 0; i < 6; i++)
		n += lists[i]->n;
	if (n > EWS_MIME_MAX_ADDRESSES || f->ncategories > EWS_MIME_MAX_CATEGORIES ||
		f->nextra > MAX_EXTRA)
		return EWS_MIMEGEN_TOO_LARGE;

	if (f->has_date)
	{
		char		d[64];

		if (!format_date(f->date, d, sizeof d))
			return EWS_MIMEGEN_BAD_DATE;
		field_start(&g, "Date");
		token(&g, d, strlen(d), true);
		field_end(&g);
	}
	for (i = 0; i < 6; i++)
		if ((st = address_field(&g, list_names[i], lists[i])) != EWS_MIMEGEN_OK)
			return st;
	if (f->subject != NULL)
	{
		if (!clean_str(&g, f->subject, &v, &n))
			return EWS_MIMEGEN_BAD_UTF8;
		field_start(&g, "Subject");
		unstructured(&g, (const uint8_t *) v, n);
		field_end(&g);
	}
	{
		const char *ids[3] = {f->message_id, f->in_reply_to, f->references};
		static const char *const id_names[3] = {"Message-ID", "In-Reply-To", "References"};

		for (i = 0; i < 3; i++)
		{
			size_t		a = 0;

			if (ids[i] == NULL)
				continue;
			if (!id_text(&g, ids[i], i > 0, &v))
				return EWS_MIMEGEN_BAD_ID;
			n = strlen(v);
			if (n == 0)
				continue;
			field_start(&g, id_names[i]);
			if (i == 0)
			{
				/* the reader keeps a Message-ID as sent: one token */
				if (n > MAX_TOKEN)
					return EWS_MIMEGEN_BAD_ID;
				token(&g, v, n, true);
			}
			else
				while (a < n)
				{
					size_t		j = a;

					while (j < n && v[j] != ' ')
						j++;
					if (j - a > MAX_TOKEN)
						return EWS_MIMEGEN_BAD_ID;
					token(&g, v + a, j - a, true);
					a = j + 1;
				}
			field_end(&g);
		}
	}
	if (f->importance == EWS_MIME_IMPORTANCE_HIGH)
		ewsm_buf_puts(&g.b, "Importance: high\r\nX-Priority: 1\r\n");
	else if (f->importance == EWS_MIME_IMPORTANCE_LOW)
		ewsm_buf_puts(&g.b, "Importance: low\r\nX-Priority: 5\r\n");
	if (f->sensitivity == EWS_MIME_SENSITIVITY_PERSONAL)
		ewsm_buf_puts(&g.b, "Sensitivity: Personal\r\n");
	else if (f->sensitivity == EWS_MIME_SENSITIVITY_PRIVATE)
		ewsm_buf_puts(&g.b, "Sensitivity: Private\r\n");
	else if (f->sensitivity == EWS_MIME_SENSITIVITY_CONFIDENTIAL)
		ewsm_buf_puts(&g.b, "Sensitivity: Company-Confidential\r\n");
	{
		bool		any = false;

		for (i = 0; i < f->ncategories; i++)
		{
			if (f->categories[i] == NULL)
				continue;
			if (!clean_str(&g, f->categories[i], &v, &n))
				return EWS_MIMEGEN_BAD_UTF8;
			if (n == 0)
				continue;		/* the reader drops empty keywords */
			if (!any)
				field_start(&g, "Keywords");
			else
				ewsm_buf_putc(&g.b, ',');
			/* a comma may follow: keep room for it (conservative for every token) */
			g.reserve = 1;
			phrase_out(&g, (const uint8_t *) v, n, true);
			g.reserve = 0;
			any = true;
		}
		if (any)
			field_end(&g);
	}
	for (i = 0; i < f->nextra; i++)
	{
		const EwsMimeHeader *h = &f->extra[i];
		size_t		nl,
					k;

		if (h->name == NULL || h->value == NULL)
			return EWS_MIMEGEN_BAD_HEADER;
		nl = strlen(h->name);
		if (nl == 0 || nl > 76 || ewsm_gen_reserved_name(h->name))
			return EWS_MIMEGEN_BAD_HEADER;
		for (k = 0; k < nl; k++)
			if ((uint8_t) h->name[k] < 33 || (uint8_t) h->name[k] > 126 || h->name[k] == ':')
				return EWS_MIMEGEN_BAD_HEADER;
		if (!clean_str(&g, h->value, &v, &n))
			return EWS_MIMEGEN_BAD_UTF8;
		field_start(&g, h->name);
		unstructured(&g, (const uint8_t *) v, n);
		field_end(&g);
	}
	ewsm_buf_puts(&g.b, "MIME-Version: 1.0\r\n");
	header_end = g.b.len;
	if (header_end + 200 > EWS_MIME_MAX_HEADER)
		return EWS_MIMEGEN_TOO_LARGE;

	if (f->text_body != NULL && f->text_body_len > 0)
	{
		if (!ews_utf8_valid((const uint8_t *) f->text_body, f->text_body_len))
			return EWS_MIMEGEN_BAD_UTF8;
		text = ewsm_clean((const uint8_t *) f->text_body, f->text_body_len, true, &text_len,
						  alloc, ctx);
	}
	if (f->html_body != NULL && f->html_body_len > 0)
	{
		if (!ews_utf8_valid((const uint8_t *) f->html_body, f->html_body_len))
			return EWS_MIMEGEN_BAD_UTF8;
		html = ewsm_clean((const uint8_t *) f->html_body, f->html_body_len, true, &html_len,
						  alloc, ctx);
	}
	if (text != NULL && html != NULL)
	{
		char		bnd[40];
		uint64_t	h = UINT64_C(0xcbf29ce484222325);
		uint8_t		sb[8];

		for (i = 0; i < 8; i++)
			sb[i] = (uint8_t) (seed >> (8 * i));
		h = fnv(h, sb, 8);
		h = fnv(h, (const uint8_t *) text, text_len);
		h = fnv(h, (const uint8_t *) html, html_len);
		snprintf(bnd, sizeof bnd, "=_ews_%016llx", (unsigned long long) h);
		ewsm_buf_puts(&g.b, "Content-Type: multipart/alternative;\r\n boundary=\"");
		ewsm_buf_puts(&g.b, bnd);
		ewsm_buf_puts(&g.b, "\"\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n--");
		ewsm_buf_puts(&g.b, bnd);
		ewsm_buf_puts(&g.b, "\r\n");
		body_part(&g, "text/plain", (const uint8_t *) text, text_len);
		ewsm_buf_puts(&g.b, "\r\n--");
		ewsm_buf_puts(&g.b, bnd);
		ewsm_buf_puts(&g.b, "\r\n");
		body_part(&g, "text/html", (const uint8_t *) html, html_len);
		ewsm_buf_puts(&g.b, "\r\n--");
		ewsm_buf_puts(&g.b, bnd);
		ewsm_buf_puts(&g.b, "--\r\n");
	}
	else if (html != NULL)
		body_part(&g, "text/html", (const uint8_t *) html, html_len);
	else
		body_part(&g, "text/plain", (const uint8_t *) (text ? text : ""), text_len);

	*out_len = g.b.len;
	*out = (uint8_t *) ewsm_buf_cstr(&g.b);
	return EWS_MIMEGEN_OK;
}
