/*
 * mime.c
 *	  Header-section parser for RFC 5322 messages (see mime.h), and the
 *	  pieces the rest of the MIME codec shares (mimeint.h): buffers, UTF-8
 *	  cleaning, charsets, RFC 2047 encoded-words, dates, header lines.
 *
 * ews_create_item stores whatever bytes a client uploads as a message, so
 * this code reads hostile input.  The rules it follows:
 *
 *  - One pass over the header lines, never beyond EWS_MIME_MAX_HEADER bytes,
 *    so the work is linear and bounded however the input is shaped.
 *  - Only the first Subject, Message-ID, Date and Received fields are kept
 *    (by offset); their values are decoded after the whole header section has
 *    been found well-formed, so nothing is allocated for rejected input.
 *  - Every string handed back is valid UTF-8 without control characters
 *    (TAB excepted), because it ends up in PostgreSQL text and in SOAP XML.
 *  - A date that cannot be read is "absent", never an error: a mail store
 *    must accept mail with broken dates.
 *
 * No postgres.h here: the unit tests and the fuzzer build this file alone.
 */
#include "mime.h"
#include "mimeint.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>


/* ----------------------------------------------------------------
 * Growing byte buffer on the caller's allocator
 * ----------------------------------------------------------------
 */

void
ewsm_buf_init(EwsmBuf *b, size_t cap, ews_mime_alloc_fn alloc, void *ctx)
{
	if (cap < 16)
		cap = 16;
	b->alloc = alloc;
	b->ctx = ctx;
	b->data = alloc(ctx, cap);
	b->len = 0;
	b->cap = cap;
}

/*
 * Make room for extra more bytes.  The old block is left to the caller's
 * allocator (a memory context in the server); doubling keeps the total of
 * abandoned blocks below the final size.
 */
void
ewsm_buf_reserve(EwsmBuf *b, size_t extra)
{
	size_t		ncap;
	uint8_t    *nd;

	if (b->cap - b->len >= extra)
		return;
	ncap = b->cap * 2;
	if (ncap < b->len + extra)
		ncap = b->len + extra;
	nd = b->alloc(b->ctx, ncap);
	if (b->len > 0)
		memcpy(nd, b->data, b->len);
	b->data = nd;
	b->cap = ncap;
}

void
ewsm_buf_put(EwsmBuf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	ewsm_buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void
ewsm_buf_putc(EwsmBuf *b, uint8_t c)
{
	if (b->len == b->cap)
		ewsm_buf_reserve(b, 1);
	b->data[b->len++] = c;
}

void
ewsm_buf_puts(EwsmBuf *b, const char *s)
{
	ewsm_buf_put(b, s, strlen(s));
}

char *
ewsm_buf_cstr(EwsmBuf *b)
{
	ewsm_buf_reserve(b, 1);
	b->data[b->len] = '\0';
	return (char *) b->data;
}

/* Append code point cp (a Unicode scalar value) as UTF-8 (RFC 3629 section 3). */
void
ewsm_buf_put_cp(EwsmBuf *b, uint32_t cp)
{
	uint8_t		u[4];
	size_t		n;

	if (cp < 0x80)
	{
		u[0] = (uint8_t) cp;
		n = 1;
	}
	else if (cp < 0x800)
	{
		u[0] = (uint8_t) (0xC0 | (cp >> 6));
		u[1] = (uint8_t) (0x80 | (cp & 0x3F));
		n = 2;
	}
	else if (cp < 0x10000)
	{
		u[0] = (uint8_t) (0xE0 | (cp >> 12));
		u[1] = (uint8_t) (0x80 | ((cp >> 6) & 0x3F));
		u[2] = (uint8_t) (0x80 | (cp & 0x3F));
		n = 3;
	}
	else
	{
		u[0] = (uint8_t) (0xF0 | (cp >> 18));
		u[1] = (uint8_t) (0x80 | ((cp >> 12) & 0x3F));
		u[2] = (uint8_t) (0x80 | ((cp >> 6) & 0x3F));
		u[3] = (uint8_t) (0x80 | (cp & 0x3F));
		n = 4;
	}
	ewsm_buf_put(b, u, n);
}

/* ----------------------------------------------------------------
 * UTF-8
 * ----------------------------------------------------------------
 */

/*
 * Length of the well-formed UTF-8 sequence at s[0..n), or 0 if there is none.
 * The byte ranges are those of RFC 3629 section 4, which exclude overlong
 * forms, surrogates (U+D800..U+DFFF) and anything above U+10FFFF.
 */
size_t
ewsm_utf8_seq(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t		c = s[0];
	uint8_t		lo = 0x80,
				hi = 0xBF;

	if (c < 0x80)
	{
		*cp = c;
		return 1;
	}
	if (c < 0xC2)
		return 0;
	if (c < 0xE0)
	{
		if (n < 2 || (s[1] & 0xC0) != 0x80)
			return 0;
		*cp = ((uint32_t) (c & 0x1F) << 6) | (s[1] & 0x3F);
		return 2;
	}
	if (c < 0xF0)
	{
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
		if (n < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
			return 0;
		*cp = ((uint32_t) (c & 0x0F) << 12) | ((uint32_t) (s[1] & 0x3F) << 6) |
			(s[2] & 0x3F);
		return 3;
	}
	if (c < 0xF5)
	{
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
		if (n < 4 || s[1] < lo || s[1] > hi ||
			(s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		*cp = ((uint32_t) (c & 0x07) << 18) | ((uint32_t) (s[1] & 0x3F) << 12) |
			((uint32_t) (s[2] & 0x3F) << 6) | (s[3] & 0x3F);
		return 4;
	}
	return 0;
}

/*
 * Copy s[0..n) as clean text (mime.h): valid UTF-8, NUL-terminated, with no
 * control character but TAB (and, for a body, CR and LF): ill-formed bytes
 * and the noncharacters U+FFFE/U+FFFF (not XML 1.0 characters) become
 * U+FFFD, C0/C1 controls and DEL become a space.  The result goes into
 * PostgreSQL text (no NUL) and into XML 1.0 responses.  Two passes, so the
 * allocation is exact however many bytes grow into U+FFFD.
 */
char *
ewsm_clean(const uint8_t *s, size_t n, bool body, size_t *out_len,
		   ews_mime_alloc_fn alloc, void *ctx)
{
	uint8_t    *out = NULL;
	size_t		need = 0,
				o = 0,
				i,
				k;
	uint32_t	cp;
	int			pass;

	for (pass = 0; pass < 2; pass++)
	{
		if (pass == 1)
			out = alloc(ctx, need + 1);
		for (i = 0; i < n; i += k)
		{
			size_t		r = i;

			/*
			 * A run of printable ASCII (TAB; CR and LF in a body) stays as
			 * it is, whole: the per-character path below would keep each of
			 * these bytes too, only slower (most text is such runs).
			 */
			while (r < n && ((s[r] >= 0x20 && s[r] < 0x7F) || s[r] == '\t' ||
							 (body && (s[r] == '\r' || s[r] == '\n'))))
				r++;
			if (r > i)
			{
				k = r - i;
				if (pass == 0)
					need += k;
				else
				{
					memcpy(out + o, s + i, k);
					o += k;
				}
				continue;
			}
			k = ewsm_utf8_seq(s + i, n - i, &cp);
			if (k == 0 || cp == 0xFFFE || cp == 0xFFFF)
			{
				if (k == 0)
					k = 1;
				if (pass == 0)
					need += 3;
				else
				{
					out[o++] = 0xEF;
					out[o++] = 0xBF;
					out[o++] = 0xBD;
				}
			}
			else if ((cp < 0x20 && cp != '\t' && !(body && (cp == '\r' || cp == '\n'))) ||
					 (cp >= 0x7F && cp <= 0x9F))
			{
				if (pass == 0)
					need++;
				else
					out[o++] = ' ';
			}
			else if (pass == 0)
				need += k;
			else
			{
				memcpy(out + o, s + i, k);
				o += k;
			}
		}
	}
	if (out == NULL)			/* n == 0: keeps the compiler sure */
		out = alloc(ctx, 1);
	out[o] = '\0';
	if (out_len != NULL)
		*out_len = o;
	return (char *) out;
}

/* ----------------------------------------------------------------
 * Single-byte charsets decoded natively
 * ----------------------------------------------------------------
 */

/* windows-1252 0x80..0x9F; the five unassigned positions are U+FFFD. */
static const uint16_t cp1252_c1[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178
};

static uint32_t
latin9_cp(uint8_t c)
{
	/* ISO-8859-15 differs from ISO-8859-1 in exactly these eight positions */
	switch (c)
	{
		case 0xA4:
			return 0x20AC;
		case 0xA6:
			return 0x0160;
		case 0xA8:
			return 0x0161;
		case 0xB4:
			return 0x017D;
		case 0xB8:
			return 0x017E;
		case 0xBC:
			return 0x0152;
		case 0xBD:
			return 0x0153;
		case 0xBE:
			return 0x0178;
		default:
			return c;
	}
}

/*
 * Append s[0..n) in a natively known charset as UTF-8.  ISO-8859-1 is read
 * as windows-1252 in 0x80..0x9F (as the WHATWG Encoding Standard does): those
 * positions are C1 controls in Latin-1 and would only become spaces, while
 * mail labelled Latin-1 very often carries Windows "smart quotes" there.
 */
void
ewsm_decode_native(EwsmBuf *b, const uint8_t *s, size_t n, EwsmCharset cs)
{
	size_t		i = 0;
	uint32_t	cp;

	/*
	 * No input byte yields more than 3 output bytes (U+FFFD and the
	 * windows-1252 punctuation are 3, a UTF-8 sequence is copied as is), so
	 * this one reservation covers the direct stores below.
	 */
	ewsm_buf_reserve(b, 3 * n);
	while (i < n)
	{
		uint8_t		c = s[i];

		if (c < 0x80)
		{
			/* fast path: ASCII is the same in every charset here */
			b->data[b->len++] = c;
			i++;
			continue;
		}
		switch (cs)
		{
			case EWSM_CS_UTF8:
				{
					size_t		k = ewsm_utf8_seq(s + i, n - i, &cp);

					if (k == 0)
					{
						ewsm_buf_put_cp(b, 0xFFFD);
						i++;
					}
					else
					{
						ewsm_buf_put(b, s + i, k);
						i += k;
					}
					continue;
				}
			case EWSM_CS_ASCII:
				cp = 0xFFFD;
				break;
			case EWSM_CS_LATIN9:
				cp = latin9_cp(c);
				break;
			default:			/* EWSM_CS_LATIN1, EWSM_CS_CP1252 */
				cp = (c < 0xA0) ? cp1252_c1[c - 0x80] : c;
				break;
		}
		ewsm_buf_put_cp(b, cp);
		i++;
	}
}

/* ASCII case-insensitive compare of s[0..n) with the lower-case string lit. */
bool
ewsm_ci_eq(const uint8_t *s, size_t n, const char *lit)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		uint8_t		c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t) (c + 32);
		if (lit[i] == '\0' || c != (uint8_t) lit[i])
			return false;
	}
	return lit[n] == '\0';
}

bool
ewsm_ci_eq_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	size_t		i;

	if (an != bn)
		return false;
	for (i = 0; i < an; i++)
	{
		uint8_t		x = a[i],
					y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (uint8_t) (x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t) (y + 32);
		if (x != y)
			return false;
	}
	return true;
}

EwsmCharset
ewsm_charset_kind(const uint8_t *cs, size_t n)
{
	size_t		i;

	if (ewsm_ci_eq(cs, n, "utf-8") || ewsm_ci_eq(cs, n, "utf8"))
		return EWSM_CS_UTF8;
	if (ewsm_ci_eq(cs, n, "us-ascii") || ewsm_ci_eq(cs, n, "ascii"))
		return EWSM_CS_ASCII;
	if (ewsm_ci_eq(cs, n, "iso-8859-1") || ewsm_ci_eq(cs, n, "iso8859-1") ||
		ewsm_ci_eq(cs, n, "iso_8859-1") || ewsm_ci_eq(cs, n, "latin1") ||
		ewsm_ci_eq(cs, n, "latin-1") || ewsm_ci_eq(cs, n, "l1"))
		return EWSM_CS_LATIN1;
	if (ewsm_ci_eq(cs, n, "windows-1252") || ewsm_ci_eq(cs, n, "cp1252") ||
		ewsm_ci_eq(cs, n, "x-cp1252"))
		return EWSM_CS_CP1252;
	if (ewsm_ci_eq(cs, n, "iso-8859-15") || ewsm_ci_eq(cs, n, "iso8859-15") ||
		ewsm_ci_eq(cs, n, "iso_8859-15") || ewsm_ci_eq(cs, n, "latin9") ||
		ewsm_ci_eq(cs, n, "latin-9"))
		return EWSM_CS_LATIN9;

	/*
	 * glibc's iconv_open parses "//TRANSLIT", "//IGNORE" and ',' suffixes out
	 * of the name; a sender has no business choosing those, so only plain
	 * charset-name characters go through.
	 */
	for (i = 0; i < n; i++)
	{
		uint8_t		c = cs[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
			  c == ':' || c == '+'))
			return EWSM_CS_UNUSABLE;
	}
	return EWSM_CS_ICONV;
}

/* ----------------------------------------------------------------
 * RFC 2047 encoded-words in the Subject
 * ----------------------------------------------------------------
 */
typedef struct EncWord
{
	size_t		end;			/* offset just past "?=" */
	const uint8_t *cs;			/* charset name, RFC 2231 language cut off */
	size_t		cslen;
} EncWord;

int
ewsm_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
ewsm_b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Recognise an encoded-word "=?charset?B|Q?text?=" at s[p] (RFC 2047 section
 * 2) and decode its text into word.  False, with word unspecified, when the
 * syntax or the B/Q text is malformed; the caller then keeps it verbatim.
 *
 * The charset may not contain '?' and the text may contain neither '?' nor
 * white space (section 2), so an attempt never scans past the third '?' after
 * its start; every '?' is examined by at most three attempts and the work over
 * a whole Subject stays linear.
 */
static bool
parse_encoded_word(const uint8_t *s, size_t n, size_t p, EncWord *ew, EwsmBuf *word,
				   size_t *steps)
{
	size_t		q = p + 2;
	size_t		cs_start = q;
	size_t		text_start,
				text_end,
				i;
	uint8_t		enc;

	while (q < n && s[q] != '?')
	{
		(*steps)++;
		/* charset is a token: no SPACE, CTLs or 8-bit (section 2) */
		if (s[q] <= 0x20 || s[q] >= 0x7F || q - cs_start >= EWSM_MAX_CHARSET_NAME)
			return false;
		q++;
	}
	if (q >= n || q == cs_start)
		return false;
	ew->cs = s + cs_start;
	ew->cslen = q - cs_start;
	/* RFC 2231 section 5: "charset*language"; the language does not matter here */
	for (i = 0; i < ew->cslen; i++)
	{
		(*steps)++;
		if (ew->cs[i] == '*')
		{
			ew->cslen = i;
			break;
		}
	}
	if (ew->cslen == 0)
		return false;

	q++;
	if (q + 1 >= n || s[q + 1] != '?')
		return false;
	enc = s[q];
	if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q')
		return false;
	q += 2;
	text_start = q;
	while (q < n && s[q] != '?')
	{
		(*steps)++;
		/* encoded-text: printable ASCII except '?' and SPACE (section 2) */
		if (s[q] <= 0x20 || s[q] >= 0x7F)
			return false;
		q++;
	}
	if (q + 1 >= n || s[q + 1] != '=')
		return false;
	text_end = q;
	ew->end = q + 2;

	word->len = 0;
	ewsm_buf_reserve(word, text_end - text_start);
	if (enc == 'Q' || enc == 'q')
	{
		/* section 4.2: "=XX" is an octet, "_" is 0x20, the rest is literal */
		for (i = text_start; i < text_end; i++)
		{
			uint8_t		c = s[i];

			(*steps)++;
			if (c == '_')
				c = 0x20;
			else if (c == '=')
			{
				int			h,
							l;

				if (i + 2 >= text_end)
					return false;
				h = ewsm_hexval(s[i + 1]);
				l = ewsm_hexval(s[i + 2]);
				if (h < 0 || l < 0)
					return false;
				c = (uint8_t) (h * 16 + l);
				i += 2;
			}
			word->data[word->len++] = c;
		}
	}
	else
	{
		/*
		 * Section 4.1 refers to RFC 2045 base64.  Missing padding is
		 * tolerated (common in the wild); a stray character, data after
		 * padding, or a length that leaves a lone 6-bit group is malformed.
		 */
		uint32_t	acc = 0;
		int			bits = 0;
		size_t		sig = 0;
		bool		pad = false;

		for (i = text_start; i < text_end; i++)
		{
			int			v;

			(*steps)++;
			if (s[i] == '=')
			{
				pad = true;
				continue;
			}
			v = ewsm_b64val(s[i]);
			if (v < 0 || pad)
				return false;
			acc = ((acc << 6) | (uint32_t) v) & 0xFFFFFF;
			bits += 6;
			sig++;
			if (bits >= 8)
			{
				bits -= 8;
				word->data[word->len++] = (uint8_t) (acc >> bits);
			}
		}
		if (sig % 4 == 1)
			return false;
	}
	return true;
}

/*
 * State while decoding one Subject.  Adjacent encoded-words in the same
 * charset are collected into one "run" and converted together: RFC 2047
 * section 5 wants each word self-contained, but common mailers split a
 * multi-byte UTF-8 (or ISO-2022-JP) character across two words.
 */
typedef struct SubjDec
{
	const uint8_t *s;
	size_t		n;
	bool		raw_utf8;		/* the unencoded bytes form valid UTF-8 */
	EwsmBuf			out;
	EwsmBuf			word;			/* decoded octets of one encoded-word */
	EwsmBuf			run;			/* decoded octets of the current run */
	EwsmBuf			scratch;		/* iconv output */
	bool		run_active;
	const uint8_t *run_cs;
	size_t		run_cslen;
	size_t		run_start;		/* source span of the run */
	size_t		run_end;
	size_t		gap_start;		/* white space between previous run and this */
	size_t		gap_end;
	bool		gap_droppable;	/* previous run decoded and only WSP between */
	int		   *iconv_left;
	size_t	   *work;			/* steps counted here */
} SubjDec;

/*
 * Header text outside encoded-words: RFC 5322 wants ASCII, RFC 6532 allows
 * UTF-8; anything else is most likely a Windows sender's 8-bit charset.
 */
static void
emit_raw(SubjDec *d, size_t a, size_t b)
{
	if (d->raw_utf8)
		ewsm_buf_put(&d->out, d->s + a, b - a);
	else
		ewsm_decode_native(&d->out, d->s + a, b - a, EWSM_CS_CP1252);
}

/*
 * One iconv pass of s[0..n) into out, whose free space was reserved before
 * the descriptor was opened: the server's allocator throws (longjmp), and an
 * open descriptor would leak, so no allocation may happen in between; an
 * overflow (E2BIG) counts as failure.  Invalid or truncated sequences become
 * U+FFFD, one octet skipped.
 */
static bool
iconv_pass(EwsmBuf *out, const uint8_t *s, size_t n, const char *name)
{
	iconv_t		cd;
	char	   *in,
			   *outp;
	size_t		inleft,
				outleft;
	bool		ok = true;

	cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t) -1)
		return false;
	in = (char *) s;
	inleft = n;
	outp = (char *) out->data + out->len;
	outleft = out->cap - out->len;
	while (inleft > 0)
	{
		if (iconv(cd, &in, &inleft, &outp, &outleft) != (size_t) -1)
			break;
		if ((errno == EILSEQ || errno == EINVAL) && outleft >= 3)
		{
			memcpy(outp, "\xEF\xBF\xBD", 3);
			outp += 3;
			outleft -= 3;
			in++;
			inleft--;
			continue;
		}
		ok = false;
		break;
	}
	/* stateful charsets (ISO-2022-*) may owe a final reset sequence */
	if (ok && iconv(cd, NULL, NULL, &outp, &outleft) == (size_t) -1)
		ok = false;
	iconv_close(cd);
	if (ok)
		out->len = (size_t) ((uint8_t *) outp - out->data);
	return ok;
}

bool
ewsm_convert(EwsmBuf *out, const uint8_t *s, size_t n, const uint8_t *cs, size_t csn,
			 int *iconv_left)
{
	char		name[EWSM_MAX_CHARSET_NAME + 1];
	EwsmCharset kind = ewsm_charset_kind(cs, csn);

	if (kind == EWSM_CS_UNUSABLE || csn > EWSM_MAX_CHARSET_NAME)
		return false;
	if (kind != EWSM_CS_ICONV)
	{
		ewsm_decode_native(out, s, n, kind);
		return true;
	}
	if (*iconv_left <= 0)
		return false;
	(*iconv_left)--;
	memcpy(name, cs, csn);
	name[csn] = '\0';

	/*
	 * No byte of any charset glibc knows yields more than 3 bytes of UTF-8
	 * (single-byte charsets map into the BMP; multi-byte ones never grow
	 * more), U+FFFD included; the rare exception (a byte decoding into two
	 * characters) gets one more try with room for 8.
	 */
	ewsm_buf_reserve(out, 3 * n + 64);
	if (iconv_pass(out, s, n, name))
		return true;
	if (errno != E2BIG)
		return false;
	ewsm_buf_reserve(out, 8 * n + 64);
	return iconv_pass(out, s, n, name);
}

/* Emit the current run; true when it was decoded rather than kept verbatim. */
static bool
flush_run(SubjDec *d)
{
	bool		ok;

	d->scratch.len = 0;
	*d->work += d->run.len;
	ok = ewsm_convert(&d->scratch, d->run.data, d->run.len, d->run_cs, d->run_cslen,
					  d->iconv_left);

	/* RFC 2047 section 6.2: white space between encoded-words is not shown */
	if (!(ok && d->gap_droppable))
		emit_raw(d, d->gap_start, d->gap_end);
	if (!ok)
		emit_raw(d, d->run_start, d->run_end);
	else
		ewsm_buf_put(&d->out, d->scratch.data, d->scratch.len);
	d->run_active = false;
	d->run.len = 0;
	return ok;
}

static bool
all_wsp(const uint8_t *s, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

char *
ewsm_decode_unstructured(const uint8_t *s, size_t n, int *iconv_left, size_t *work,
						 ews_mime_alloc_fn alloc, void *ctx)
{
	SubjDec		d;
	size_t		p = 0,
				raw_start = 0;

	memset(&d, 0, sizeof d);
	d.s = s;
	d.n = n;
	d.raw_utf8 = ews_utf8_valid(s, n);
	d.iconv_left = iconv_left;
	d.work = work;
	*work += 2 * n;				/* the main loop and the final cleaning */
	ewsm_buf_init(&d.out, n + 16, alloc, ctx);
	ewsm_buf_init(&d.word, 16, alloc, ctx);
	ewsm_buf_init(&d.run, 16, alloc, ctx);
	ewsm_buf_init(&d.scratch, 16, alloc, ctx);

	while (p < n)
	{
		EncWord		ew;
		bool		ws;

		if (!(s[p] == '=' && p + 1 < n && s[p + 1] == '?' &&
			  parse_encoded_word(s, n, p, &ew, &d.word, d.work)))
		{
			p++;
			continue;
		}
		ws = all_wsp(s + raw_start, p - raw_start);
		if (d.run_active && ws &&
			ewsm_ci_eq_bytes(d.run_cs, d.run_cslen, ew.cs, ew.cslen))
		{
			/* same charset, only white space between: extend the run */
			ewsm_buf_put(&d.run, d.word.data, d.word.len);
			d.run_end = ew.end;
		}
		else
		{
			bool		prev_ok = false;

			if (d.run_active)
				prev_ok = flush_run(&d);
			if (ws && prev_ok)
			{
				d.gap_start = raw_start;
				d.gap_end = p;
				d.gap_droppable = true;
			}
			else
			{
				emit_raw(&d, raw_start, p);
				d.gap_start = d.gap_end = p;
				d.gap_droppable = false;
			}
			d.run_active = true;
			d.run_cs = ew.cs;
			d.run_cslen = ew.cslen;
			d.run_start = p;
			d.run_end = ew.end;
			ewsm_buf_put(&d.run, d.word.data, d.word.len);
		}
		p = raw_start = ew.end;
	}
	if (d.run_active)
		flush_run(&d);
	emit_raw(&d, raw_start, n);

	return ewsm_clean(d.out.data, d.out.len, false, NULL, alloc, ctx);
}

/* ----------------------------------------------------------------
 * Dates (RFC 5322 section 3.3, obsolete forms of section 4.3)
 * ----------------------------------------------------------------
 */
typedef struct Lex
{
	const uint8_t *s;
	size_t		n;
	size_t		p;
} Lex;

/*
 * Skip CFWS (section 3.2.2).  The value is not unfolded first, so CR and LF
 * count as white space.  Comments nest and may contain quoted-pairs (3.2.1);
 * depth is a counter, not recursion, so deep nesting costs nothing extra.
 */
static void
lex_cfws(Lex *lx)
{
	for (;;)
	{
		size_t		depth = 0;

		while (lx->p < lx->n && (lx->s[lx->p] == ' ' || lx->s[lx->p] == '\t' ||
								 lx->s[lx->p] == '\r' || lx->s[lx->p] == '\n'))
			lx->p++;
		if (lx->p >= lx->n || lx->s[lx->p] != '(')
			return;
		while (lx->p < lx->n)
		{
			uint8_t		c = lx->s[lx->p++];

			if (c == '\\')
			{
				if (lx->p < lx->n)
					lx->p++;
			}
			else if (c == '(')
				depth++;
			else if (c == ')' && --depth == 0)
				break;
		}
	}
}

/* Digits after CFWS: returns how many (capped), value of the first nine. */
static int
lex_number(Lex *lx, int *val)
{
	int			count = 0,
				v = 0;

	lex_cfws(lx);
	while (lx->p < lx->n && lx->s[lx->p] >= '0' && lx->s[lx->p] <= '9')
	{
		if (count < 9)
			v = v * 10 + (lx->s[lx->p] - '0');
		if (count < 100)
			count++;
		lx->p++;
	}
	*val = v;
	return count;
}

/* Letters after CFWS, lower-cased into w (cap 16); returns the full count. */
static size_t
lex_word(Lex *lx, char *w)
{
	size_t		count = 0;

	lex_cfws(lx);
	while (lx->p < lx->n)
	{
		uint8_t		c = lx->s[lx->p];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t) (c + 32);
		else if (!(c >= 'a' && c <= 'z'))
			break;
		if (count < 15)
			w[count] = (char) c;
		count++;
		lx->p++;
	}
	w[count < 15 ? count : 15] = '\0';
	return count;
}

static bool
lex_char(Lex *lx, uint8_t c)
{
	lex_cfws(lx);
	if (lx->p < lx->n && lx->s[lx->p] == c)
	{
		lx->p++;
		return true;
	}
	return false;
}

static int
find_name(const char *w, const char *const *names, int count)
{
	int			i;

	for (i = 0; i < count; i++)
		if (strcmp(w, names[i]) == 0)
			return i;
	return -1;
}

static const char *const day_names[] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
};
static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec"
};

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
int64_t
ewsm_days_from_civil(int y, int m, int d)
{
	int64_t		era,
				yoe,
				doy,
				doe;

	y -= (m <= 2);
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/*
 * Parse an RFC 5322 date-time from s[0..n) into FILETIME.  False when any
 * part is missing or out of range; the caller treats that as "no date".
 * Accepted beyond section 3.3: CFWS between any tokens (4.3, 4.5), full day
 * and month names, a missing comma after the day, 2- and 3-digit years (4.3),
 * the obsolete named zones, and 1-digit hours/minutes/seconds.  A day-of-week
 * that disagrees with the date is ignored: the date itself is what counts.
 */
bool
ewsm_parse_date_time(const uint8_t *s, size_t n, int64_t *ft)
{
	Lex			lx = {s, n, 0};
	char		w[16];
	size_t		wl;
	int			nd,
				day,
				mon,
				year,
				hh,
				mi,
				ss = 0,
				zone_min = 0;
	int64_t		secs;

	lex_cfws(&lx);
	if (lx.p < n && ((s[lx.p] | 0x20) >= 'a' && (s[lx.p] | 0x20) <= 'z'))
	{
		wl = lex_word(&lx, w);
		if (wl > 15 || find_name(w, day_names, 14) < 0)
			return false;
		(void) lex_char(&lx, ',');
	}

	nd = lex_number(&lx, &day);
	if (nd < 1 || nd > 2)
		return false;
	wl = lex_word(&lx, w);
	if (wl == 3)
		mon = find_name(w, month_names, 12) + 1;
	else
	{
		static const char *const full[] = {
			"january", "february", "march", "april", "may", "june", "july",
			"august", "september", "october", "november", "december"
		};

		mon = (wl > 15) ? 0 : find_name(w, full, 12) + 1;
	}
	if (mon < 1)
		return false;

	/* section 4.3: 00-49 is 2000-2049, 50-99 and any 3-digit year add 1900 */
	nd = lex_number(&lx, &year);
	if (nd == 2)
		year += (year < 50) ? 2000 : 1900;
	else if (nd == 3)
		year += 1900;
	else if (nd != 4)
		return false;

	nd = lex_number(&lx, &hh);
	if (nd < 1 || nd > 2 || !lex_char(&lx, ':'))
		return false;
	nd = lex_number(&lx, &mi);
	if (nd < 1 || nd > 2)
		return false;
	if (lex_char(&lx, ':'))
	{
		nd = lex_number(&lx, &ss);
		if (nd < 1 || nd > 2)
			return false;
	}

	lex_cfws(&lx);
	if (lx.p < n && (s[lx.p] == '+' || s[lx.p] == '-'))
	{
		/* zone = ("+" / "-") 4DIGIT, no space inside (section 3.3) */
		int			sign = (s[lx.p] == '-') ? -1 : 1;
		int			i,
					v = 0;

		lx.p++;
		for (i = 0; i < 4; i++, lx.p++)
		{
			if (lx.p >= n || s[lx.p] < '0' || s[lx.p] > '9')
				return false;
			v = v * 10 + (s[lx.p] - '0');
		}
		if (lx.p < n && s[lx.p] >= '0' && s[lx.p] <= '9')
			return false;
		/* an offset beyond +-23:59 is no real zone */
		if (v / 100 > 23 || v % 100 > 59)
			return false;
		zone_min = sign * ((v / 100) * 60 + v % 100);
	}
	else
	{
		/*
		 * obs-zone (section 4.3).  Military letters were specified wrongly in
		 * RFC 822 and "SHOULD all be considered equivalent to -0000".
		 */
		static const char *const zn[] = {
			"ut", "gmt", "est", "edt", "cst", "cdt", "mst", "mdt", "pst", "pdt"
		};
		static const int zoff[] = {0, 0, -5, -4, -6, -5, -7, -6, -8, -7};
		int			z;

		wl = lex_word(&lx, w);
		if (wl == 0 || wl > 15)
			return false;
		z = find_name(w, zn, 10);
		if (z >= 0)
			zone_min = zoff[z] * 60;
		else if (!(wl == 1 && w[0] != 'j'))
			return false;
	}
	lex_cfws(&lx);
	if (lx.p != n)
		return false;

	/* section 3.3: year 1900 or later; 4DIGIT caps it at 9999 */
	if (year < 1900 || year > 9999 || day < 1 || day > days_in_month(year, mon) ||
		hh > 23 || mi > 59 || ss > 60)
		return false;

	/*
	 * A leap second (:60) is counted as the first second of the next minute;
	 * FILETIME, like POSIX time, has no leap seconds.
	 */
	secs = ewsm_days_from_civil(year, mon, day) * 86400 + hh * 3600 + mi * 60 + ss -
		(int64_t) zone_min * 60;
	/* 11644473600 s between 1601-01-01 and 1970-01-01 */
	*ft = (secs + INT64_C(11644473600)) * 10000000;
	return true;
}

/* ----------------------------------------------------------------
 * Header section
 * ----------------------------------------------------------------
 */

/* Offsets of one field's value: from after the colon to the end of its last line. */
typedef struct Span
{
	bool		present;
	size_t		start;
	size_t		end;
} Span;

/*
 * If the line msg[pos..end) starts a header field, return the offset of its
 * colon and set *name_len; else SIZE_MAX.  field-name is 1*ftext, printable
 * ASCII but ':' (RFC 5322 section 3.6.8); section 4.5 lets white space stand
 * between the name and the colon.  A mbox "From " line fails here, since
 * "From" is followed by an address, not a colon.
 */
size_t
ewsm_field_colon(const uint8_t *msg, size_t pos, size_t end, size_t *name_len)
{
	size_t		i = pos;

	while (i < end && msg[i] >= 33 && msg[i] <= 126 && msg[i] != ':')
		i++;
	if (i == pos)
		return SIZE_MAX;
	*name_len = i - pos;
	while (i < end && (msg[i] == ' ' || msg[i] == '\t'))
		i++;
	if (i >= end || msg[i] != ':')
		return SIZE_MAX;
	return i;
}

/*
 * Copy a field value, unfolding it (RFC 5322 section 2.2.3: a line break
 * followed by WSP is removed, the WSP kept) and trimming WSP at both ends.
 * Every LF inside a value's span is a fold, as the span ends before the line
 * break that closes the field.
 */
uint8_t *
ewsm_unfold(const uint8_t *msg, size_t start, size_t end, size_t *outlen,
			ews_mime_alloc_fn alloc, void *ctx)
{
	uint8_t    *o = alloc(ctx, end - start + 1);
	size_t		n = 0,
				i,
				a = 0;

	for (i = start; i < end; i++)
	{
		if (msg[i] == '\n')
			continue;
		if (msg[i] == '\r' && i + 1 < end && msg[i + 1] == '\n')
			continue;
		o[n++] = msg[i];
	}
	while (n > 0 && (o[n - 1] == ' ' || o[n - 1] == '\t'))
		n--;
	while (a < n && (o[a] == ' ' || o[a] == '\t'))
		a++;
	*outlen = n - a;
	return o + a;
}

EwsMimeStatus
ews_mime_parse(const uint8_t *msg, size_t len, EwsMimeInfo *out,
			   ews_mime_alloc_fn alloc, void *ctx)
{
	size_t		win = len < EWS_MIME_MAX_HEADER ? len : EWS_MIME_MAX_HEADER;
	size_t		pos = 0,
				nfields = 0,
				header_len = len,
				work = 0;
	Span		subj = {0},
				mid = {0},
				date = {0},
				rcvd = {0};
	Span	   *cur = NULL;

	memset(out, 0, sizeof *out);
	if (len == 0)
		return EWS_MIME_EMPTY;

	while (pos < len)
	{
		const uint8_t *nl;
		size_t		line_end,
					next,
					colon,
					name_len;

		/* header section continues past the limit: refuse to look further */
		if (pos >= win)
			return EWS_MIME_HEADER_TOO_LARGE;
		nl = memchr(msg + pos, '\n', win - pos);
		if (nl != NULL)
			next = (size_t) (nl - msg) + 1;
		else if (win < len)
			return EWS_MIME_HEADER_TOO_LARGE;
		else
			next = len;
		line_end = (nl != NULL) ? next - 1 : len;
		work += next - pos;
		/* RFC 5322 section 2.1 says CRLF; bare LF is accepted too */
		if (line_end > pos && msg[line_end - 1] == '\r')
			line_end--;

		if (line_end == pos)
		{
			/* the empty line ending the header section (section 2.1) */
			if (nfields == 0)
				return EWS_MIME_NOT_A_MESSAGE;
			header_len = next;
			break;
		}

		if (msg[pos] == ' ' || msg[pos] == '\t')
		{
			/* a folded continuation line (section 2.2.3) */
			if (nfields == 0)
				return EWS_MIME_NOT_A_MESSAGE;
			if (memchr(msg + pos, '\0', line_end - pos) != NULL)
				return EWS_MIME_NUL_IN_HEADER;
			if (cur != NULL)
				cur->end = line_end;
		}
		else
		{
			const uint8_t *name = msg + pos;
			Span	   *sp = NULL;

			colon = ewsm_field_colon(msg, pos, line_end, &name_len);
			if (colon == SIZE_MAX)
				return nfields == 0 ? EWS_MIME_NOT_A_MESSAGE : EWS_MIME_BAD_HEADER;
			/* section 2.2: header fields are US-ASCII text, never NUL */
			if (memchr(msg + pos, '\0', line_end - pos) != NULL)
				return EWS_MIME_NUL_IN_HEADER;
			if (++nfields > EWS_MIME_MAX_FIELDS)
				return EWS_MIME_HEADER_TOO_LARGE;

			/* field names are case-insensitive (section 1.2.2) */
			if (ewsm_ci_eq(name, name_len, "subject"))
				sp = &subj;
			else if (ewsm_ci_eq(name, name_len, "message-id"))
				sp = &mid;
			else if (ewsm_ci_eq(name, name_len, "date"))
				sp = &date;
			else if (ewsm_ci_eq(name, name_len, "received"))
				sp = &rcvd;
			/* the first occurrence wins; later ones are ignored */
			cur = NULL;
			if (sp != NULL && !sp->present)
			{
				sp->present = true;
				sp->start = colon + 1;
				sp->end = line_end;
				cur = sp;
			}
		}
		pos = next;
	}

	out->header_len = header_len;
	/* the values below are each read a constant number of times */
	out->work = work + 3 * (subj.end - subj.start) + 3 * (mid.end - mid.start) +
		(date.end - date.start) + (rcvd.end - rcvd.start);
	if (subj.present)
	{
		size_t		n;
		int			iconv_left = EWSM_MAX_ICONV_RUNS;
		uint8_t    *v = ewsm_unfold(msg, subj.start, subj.end, &n, alloc, ctx);

		out->subject = ewsm_decode_unstructured(v, n, &iconv_left, &out->work, alloc, ctx);
	}
	if (mid.present)
	{
		size_t		n;
		uint8_t    *v = ewsm_unfold(msg, mid.start, mid.end, &n, alloc, ctx);

		if (n > 0)
			out->message_id = ewsm_clean(v, n, false, NULL, alloc, ctx);
	}
	if (date.present)
		out->has_date = ewsm_parse_date_time(msg + date.start, date.end - date.start,
										&out->date);
	if (rcvd.present)
	{
		/* RFC 5321 section 4.4: the time stamp follows the last ';' */
		const uint8_t *semi = memrchr(msg + rcvd.start, ';', rcvd.end - rcvd.start);

		if (semi != NULL)
		{
			size_t		off = (size_t) (semi - msg) + 1;

			out->has_received = ewsm_parse_date_time(msg + off, rcvd.end - off,
												&out->received);
		}
	}
	return EWS_MIME_OK;
}

const char *
ews_mime_status_text(EwsMimeStatus st)
{
	switch (st)
	{
		case EWS_MIME_OK:
			return "the message header was parsed";
		case EWS_MIME_EMPTY:
			return "the message is empty";
		case EWS_MIME_NOT_A_MESSAGE:
			return "the data is not an RFC 5322 message: it does not start with a header field";
		case EWS_MIME_BAD_HEADER:
			return "the header section has a line that is not a header field";
		case EWS_MIME_NUL_IN_HEADER:
			return "the header section contains a NUL byte";
		case EWS_MIME_HEADER_TOO_LARGE:
			return "the header section is larger than 1 MiB or has more than 10000 fields";
	}
	return "unknown mime parser status";
}
