/*
 * mimemsg.c
 *	  The whole-message reader (ews_mime_parse_message, see mime.h): header
 *	  fields and address lists, the MIME body structure, the text and HTML
 *	  bodies, attachments.
 *
 * The message is untrusted and the rules are those of mime.c:
 *
 *  - The top-level header section is judged exactly as ews_mime_parse judges
 *    it (that function runs first); past it nothing fails the message.  A
 *    part that cannot be read is kept whole as an opaque attachment, and a
 *    flag in EwsMimeMessage says what was degraded.
 *  - Every loop is bounded by the bytes it walks, and every count by a limit
 *    in mime.h (parts, nesting, addresses, categories, part header size).
 *    Multipart splitting recurses once per nesting level over the bytes of
 *    its own part, so a byte is looked at most once per level: at most
 *    EWS_MIME_MAX_DEPTH times.  P.work counts the bytes walked so that tests
 *    can check the bound instead of timing it.
 *  - Nothing points into the input but the attachment offsets; strings are
 *    clean text (mime.h).
 *
 * No postgres.h here: the unit tests and the fuzzers build this file alone.
 */
#include "mime.h"
#include "mimeint.h"

#include <string.h>

/* ----------------------------------------------------------------
 * Parser state
 * ----------------------------------------------------------------
 */
typedef struct P
{
	const uint8_t *msg;
	size_t		len;
	ews_mime_alloc_fn alloc;
	void	   *ctx;
	int			iconv_left;
	size_t		work;
	unsigned	flags;
	size_t		naddr;			/* addresses kept so far, all fields */
	size_t		nparts;
	EwsmBuf		atts;			/* EwsMimeAttachment[] */
	EwsMimeFields *f;
	bool		have_text;
	bool		have_html;
} P;

/* Kinds of multipart a part sits in: they decide what a leaf is. */
typedef enum Container
{
	IN_TOP,
	IN_MIXED,					/* mixed and every unknown multipart (RFC 2046
								 * 5.1.3) */
	IN_ALTERNATIVE,
	IN_RELATED,
	IN_DIGEST
} Container;

static bool
is_wsp(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static uint8_t
lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t) (c + 32) : c;
}

/*
 * Text in an unknown 8-bit charset (raw header bytes, unlabelled bodies):
 * UTF-8 when it is valid UTF-8, else windows-1252, the commonest 8-bit
 * charset of mail that forgets to say which it uses.
 */
static void
put_guess(EwsmBuf *b, const uint8_t *s, size_t n)
{
	ewsm_decode_native(b, s, n, ews_utf8_valid(s, n) ? EWSM_CS_UTF8 : EWSM_CS_CP1252);
}

static char *
clean_guess(P *p, const uint8_t *s, size_t n, bool body, size_t *out_len)
{
	EwsmBuf		b;
	size_t		i = 0;

	p->work += n;

	/*
	 * Printable ASCII (TAB; CR and LF in a body) is the same in every
	 * charset and already clean: one copy, instead of the check, the decode
	 * and the cleaning pass below (most header fields are such text).
	 */
	while (i < n && ((s[i] >= 0x20 && s[i] < 0x7F) || s[i] == '\t' ||
					 (body && (s[i] == '\r' || s[i] == '\n'))))
		i++;
	if (i == n)
	{
		char	   *out = p->alloc(p->ctx, n + 1);

		if (n > 0)
			memcpy(out, s, n);
		out[n] = '\0';
		if (out_len != NULL)
			*out_len = n;
		return out;
	}
	ewsm_buf_init(&b, n + 16, p->alloc, p->ctx);
	put_guess(&b, s, n);
	return ewsm_clean(b.data, b.len, body, out_len, p->alloc, p->ctx);
}

static char *
dup_cstr(P *p, const char *s)
{
	size_t		n = strlen(s);
	char	   *d = p->alloc(p->ctx, n + 1);

	memcpy(d, s, n + 1);
	return d;
}

/* ----------------------------------------------------------------
 * Header sections
 * ----------------------------------------------------------------
 */

/* One field: name and the value's span (after the colon, to the end of its last line). */
typedef struct Field
{
	const uint8_t *name;
	size_t		name_len;
	size_t		vstart;
	size_t		vend;
} Field;

typedef void (*field_fn) (P *p, const Field *fl, void *arg);

typedef enum ScanResult
{
	SCAN_OK,					/* ended by a blank line or by the end */
	SCAN_BROKEN,				/* ended by a line that is not a field */
	SCAN_TOO_LARGE				/* over the byte or field limit */
} ScanResult;

/*
 * Walk the header section of msg[start..end): call fn for each field, set
 * *body to where the body starts.  A line that is neither a field nor a
 * continuation ends the section there (it is the body's first line).
 */
static ScanResult
scan_header(P *p, size_t start, size_t end, size_t max_bytes, size_t max_fields,
			field_fn fn, void *arg, size_t *body)
{
	size_t		pos = start,
				nfields = 0;
	Field		cur;
	bool		have = false;
	ScanResult	res = SCAN_OK;

	*body = end;
	while (pos < end)
	{
		const uint8_t *nl;
		size_t		next,
					line_end,
					colon,
					name_len;

		if (pos - start >= max_bytes)
		{
			res = SCAN_TOO_LARGE;
			break;
		}
		nl = memchr(p->msg + pos, '\n', end - pos);
		next = nl ? (size_t) (nl - p->msg) + 1 : end;
		line_end = nl ? next - 1 : end;
		if (line_end > pos && p->msg[line_end - 1] == '\r')
			line_end--;
		p->work += next - pos;

		if (line_end == pos)
		{
			*body = next;
			break;
		}
		if (is_wsp(p->msg[pos]) && have)
		{
			cur.vend = line_end;
			pos = next;
			continue;
		}
		colon = ewsm_field_colon(p->msg, pos, line_end, &name_len);
		if (colon == SIZE_MAX)
		{
			*body = pos;
			res = SCAN_BROKEN;
			break;
		}
		if (++nfields > max_fields)
		{
			res = SCAN_TOO_LARGE;
			break;
		}
		if (have)
			fn(p, &cur, arg);
		cur.name = p->msg + pos;
		cur.name_len = name_len;
		cur.vstart = colon + 1;
		cur.vend = line_end;
		have = true;
		pos = next;
	}
	if (have && res != SCAN_TOO_LARGE)
		fn(p, &cur, arg);
	return res;
}

static bool
name_is(const Field *fl, const char *lit)
{
	return ewsm_ci_eq(fl->name, fl->name_len, lit);
}

/* The unfolded, trimmed value of a field. */
static uint8_t *
field_value(P *p, const Field *fl, size_t *n)
{
	p->work += fl->vend - fl->vstart;
	return ewsm_unfold(p->msg, fl->vstart, fl->vend, n, p->alloc, p->ctx);
}

/* ----------------------------------------------------------------
 * Structured-field lexer (RFC 5322 section 3.2): atoms, quoted strings,
 * comments, domain literals and single specials.  '.' is an atom character
 * here, so dot-atoms and obs-phrase words ("John Q. Smith") are one token.
 * ----------------------------------------------------------------
 */
typedef enum TokKind
{
	T_END,
	T_ATOM,
	T_QUOTED,					/* text: the content, escapes still in */
	T_COMMENT,					/* text: the content, escapes still in */
	T_DOMLIT,					/* text: the content between [ and ] */
	T_SPECIAL					/* one of < > : ; @ , */
} TokKind;

typedef struct Tok
{
	TokKind		kind;
	uint8_t		ch;				/* T_SPECIAL */
	size_t		start;			/* text span */
	size_t		end;
	bool		space_before;	/* white space or a comment before it */
} Tok;

typedef struct Lexer
{
	const uint8_t *s;
	size_t		n;
	size_t		pos;
} Lexer;

static bool
atom_char(uint8_t c)
{
	return c > 0x20 && c != 0x7F && strchr("()<>[]:;@\\,\"", c) == NULL;
}

/* Skip to the end of a quoted/bracketed run starting after its opener. */
static size_t
skip_run(const uint8_t *s, size_t n, size_t i, uint8_t close)
{
	while (i < n && s[i] != close)
		i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
	return i;
}

/* Next token; comments are returned (callers mostly skip them). */
static void
lex_next(Lexer *lx, Tok *t)
{
	const uint8_t *s = lx->s;
	size_t		n = lx->n,
				i = lx->pos;

	t->space_before = false;
	while (i < n && (is_wsp(s[i]) || s[i] == '\r' || s[i] == '\n'))
	{
		i++;
		t->space_before = true;
	}
	if (i >= n)
	{
		t->kind = T_END;
		t->start = t->end = n;
		lx->pos = n;
		return;
	}
	if (s[i] == '"')
	{
		size_t		j = skip_run(s, n, i + 1, '"');

		t->kind = T_QUOTED;
		t->start = i + 1;
		t->end = j;
		lx->pos = j < n ? j + 1 : n;
	}
	else if (s[i] == '(')
	{
		/* comments nest (3.2.2); depth is a counter, not recursion */
		size_t		j = i + 1,
					depth = 1;

		while (j < n)
		{
			if (s[j] == '\\' && j + 1 < n)
			{
				j += 2;
				continue;
			}
			if (s[j] == '(')
				depth++;
			else if (s[j] == ')' && --depth == 0)
				break;
			j++;
		}
		t->kind = T_COMMENT;
		t->start = i + 1;
		t->end = j;
		lx->pos = j < n ? j + 1 : n;
	}
	else if (s[i] == '[')
	{
		size_t		j = skip_run(s, n, i + 1, ']');

		t->kind = T_DOMLIT;
		t->start = i + 1;
		t->end = j;
		lx->pos = j < n ? j + 1 : n;
	}
	else if (strchr("<>:;@,", s[i]) != NULL)
	{
		t->kind = T_SPECIAL;
		t->ch = s[i];
		t->start = i;
		t->end = i + 1;
		lx->pos = i + 1;
	}
	else
	{
		size_t		j = i;

		/* a stray ')', ']' or '\\' is taken as atom text: nothing is lost */
		while (j < n && (atom_char(s[j]) || s[j] == ')' || s[j] == ']' || s[j] == '\\'))
			j++;
		if (j == i)
			j++;
		t->kind = T_ATOM;
		t->start = i;
		t->end = j;
		lx->pos = j;
	}
}

/* Append a quoted-string's or comment's content with its quoted-pairs resolved. */
static void
put_unescaped(EwsmBuf *b, const uint8_t *s, size_t a, size_t e)
{
	size_t		i;

	for (i = a; i < e; i++)
	{
		if (s[i] == '\\' && i + 1 < e)
			i++;
		/* a fold inside a quoted string was unfolded already; CR/LF left are text */
		ewsm_buf_putc(b, s[i]);
	}
}

/*
 * A phrase (display name, group name, keyword) from the tokens of s[a..e):
 * atoms and specials as written, quoted strings without quotes, comments
 * left out, one space where the source had white space between tokens, then
 * RFC 2047 decoding (also inside quoted strings, as common mailers write
 * "=?utf-8?...?=" there).  NULL when empty.
 */
static char *
phrase(P *p, const uint8_t *s, size_t a, size_t e)
{
	Lexer		lx = {s, e, a};
	Tok			t;
	EwsmBuf		b;
	bool		any = false,
				pending_space = false;
	char	   *r;

	ewsm_buf_init(&b, e - a + 16, p->alloc, p->ctx);
	for (;;)
	{
		lex_next(&lx, &t);
		if (t.kind == T_END)
			break;
		if (t.space_before)
			pending_space = true;
		if (t.kind == T_COMMENT)
		{
			pending_space = true;
			continue;
		}
		if (any && pending_space)
			ewsm_buf_putc(&b, ' ');
		pending_space = false;
		if (t.kind == T_QUOTED)
			put_unescaped(&b, s, t.start, t.end);
		else if (t.kind == T_DOMLIT)
		{
			ewsm_buf_putc(&b, '[');
			ewsm_buf_put(&b, s + t.start, t.end - t.start);
			ewsm_buf_putc(&b, ']');
		}
		else
			ewsm_buf_put(&b, s + t.start, t.end - t.start);
		any = true;
	}
	p->work += 2 * (e - a);
	if (b.len == 0)
		return NULL;
	r = ewsm_decode_unstructured(b.data, b.len, &p->iconv_left, &p->work, p->alloc, p->ctx);
	return r[0] ? r : NULL;
}

/* ----------------------------------------------------------------
 * Address lists (RFC 5322 section 3.4, with the obsolete and the broken
 * forms real mail has: "a@b (Name)", "a@b; c@d", names without quotes,
 * source routes, a missing '>')
 * ----------------------------------------------------------------
 */
static void
addr_push(P *p, EwsMimeAddressList *l, EwsmBuf *store, char *name, char *address, char *group)
{
	EwsMimeAddress a;

	if (p->naddr >= EWS_MIME_MAX_ADDRESSES)
	{
		p->flags |= EWS_MIME_F_ADDRESS_LIMIT;
		return;
	}
	p->naddr++;
	a.name = name;
	a.address = address;
	a.group = group;
	ewsm_buf_put(store, &a, sizeof a);
	l->v = (EwsMimeAddress *) store->data;
	l->n = store->len / sizeof a;
}

/* An addr-spec from the tokens of s[a..e): no white space, no comments. */
static char *
addr_spec(P *p, const uint8_t *s, size_t a, size_t e)
{
	Lexer		lx = {s, e, a};
	Tok			t;
	EwsmBuf		b;

	ewsm_buf_init(&b, e - a + 16, p->alloc, p->ctx);
	for (;;)
	{
		lex_next(&lx, &t);
		if (t.kind == T_END)
			break;
		switch (t.kind)
		{
			case T_COMMENT:
				break;
			case T_QUOTED:
				{
					size_t		i;

					/* a quoted local part stays quoted, escapes made minimal */
					ewsm_buf_putc(&b, '"');
					for (i = t.start; i < t.end; i++)
					{
						if (s[i] == '\\' && i + 1 < t.end)
							i++;
						if (s[i] == '"' || s[i] == '\\')
							ewsm_buf_putc(&b, '\\');
						ewsm_buf_putc(&b, s[i]);
					}
					ewsm_buf_putc(&b, '"');
					break;
				}
			case T_DOMLIT:
				ewsm_buf_putc(&b, '[');
				ewsm_buf_put(&b, s + t.start, t.end - t.start);
				ewsm_buf_putc(&b, ']');
				break;
			default:
				ewsm_buf_put(&b, s + t.start, t.end - t.start);
				break;
		}
	}
	p->work += e - a;
	return clean_guess(p, b.data, b.len, false, NULL);
}

/* One list element s[a..e) (a mailbox, maybe broken). */
static void
element(P *p, EwsMimeAddressList *l, EwsmBuf *store, const uint8_t *s, size_t a, size_t e,
		char *group)
{
	Lexer		lx = {s, e, a};
	Tok			t;
	size_t		lt = SIZE_MAX,
				gt = SIZE_MAX,
				ntok = 0,
				nat = 0;
	size_t		comment_a = 0,
				comment_e = 0;
	bool		has_comment = false;
	char	   *name,
			   *addr;

	/* find the angle-addr and what else the element holds */
	for (;;)
	{
		lex_next(&lx, &t);
		if (t.kind == T_END)
			break;
		if (t.kind == T_COMMENT)
		{
			if (!has_comment)
			{
				comment_a = t.start;
				comment_e = t.end;
				has_comment = true;
			}
			continue;
		}
		ntok++;
		if (t.kind == T_SPECIAL && t.ch == '<' && lt == SIZE_MAX)
			lt = t.start;
		else if (t.kind == T_SPECIAL && t.ch == '>' && lt != SIZE_MAX && gt == SIZE_MAX)
			gt = t.start;
		else if (t.kind == T_SPECIAL && t.ch == '@')
			nat++;
	}
	p->work += e - a;
	if (ntok == 0)
		return;
	if (p->naddr >= EWS_MIME_MAX_ADDRESSES)
	{
		/* over the limit: not even decoded, so memory stays bounded too */
		p->flags |= EWS_MIME_F_ADDRESS_LIMIT;
		return;
	}

	if (lt != SIZE_MAX)
	{
		size_t		as = lt + 1,
					ae = gt != SIZE_MAX ? gt : e;
		size_t		i;

		/* obs-route "@a,@b:" before the address (RFC 5322 4.4): dropped */
		for (i = ae; i > as; i--)
			if (s[i - 1] == ':')
			{
				as = i;
				break;
			}
		name = phrase(p, s, a, lt);
		if (name == NULL && has_comment)
			name = phrase(p, s, comment_a, comment_e);
		addr = addr_spec(p, s, as, ae);
	}
	else if (nat == 0 && ntok > 1)
	{
		/* words without any address: a name alone ("John Smith") */
		name = phrase(p, s, a, e);
		addr = dup_cstr(p, "");
	}
	else
	{
		/* bare addr-spec, maybe with the old "(Display Name)" comment */
		addr = addr_spec(p, s, a, e);
		name = has_comment ? phrase(p, s, comment_a, comment_e) : NULL;
	}
	if (addr[0] == '\0' && name == NULL)
		return;
	addr_push(p, l, store, name, addr, group);
}

/* Parse an address-list value s[0..n) and append to l. */
static void
address_list(P *p, EwsMimeAddressList *l, EwsmBuf *store, const uint8_t *s, size_t n)
{
	Lexer		lx = {s, n, 0};
	Tok			t;
	size_t		ea = 0;
	bool		in_angle = false,
				seen_at = false,
				seen_lt = false;
	char	   *group = NULL;

	for (;;)
	{
		lex_next(&lx, &t);
		if (t.kind == T_END)
		{
			element(p, l, store, s, ea, n, group);
			break;
		}
		if (t.kind != T_SPECIAL)
			continue;
		if (t.ch == '<')
		{
			in_angle = true;
			seen_lt = true;
			continue;
		}
		if (t.ch == '>')
		{
			in_angle = false;
			continue;
		}
		if (in_angle)
			continue;			/* a route's ',' and ':' belong to the address */
		if (t.ch == '@')
		{
			seen_at = true;
			continue;
		}
		if (t.ch == ':' && group == NULL && !seen_at && !seen_lt)
		{
			/* "display-name: mailbox-list ;" (3.4) */
			group = phrase(p, s, ea, t.start);
			if (group == NULL)
				group = dup_cstr(p, "");
			ea = t.end;
			continue;
		}
		if (t.ch == ',' || t.ch == ';')
		{
			element(p, l, store, s, ea, t.start, group);
			if (t.ch == ';')
				group = NULL;	/* a ';' outside a group: Outlook's separator */
			ea = t.end;
			seen_at = seen_lt = false;
		}
	}
}

/* ----------------------------------------------------------------
 * Content-Type / Content-Disposition parameters (RFC 2045 5.1, RFC 2183,
 * RFC 2231 continuations, charsets and languages)
 * ----------------------------------------------------------------
 */
#define MAX_SEGMENTS 64			/* RFC 2231 continuations kept per parameter */

typedef struct Param
{
	/* plain value */
	bool		has_plain;
	size_t		plain_a,
				plain_e;
	bool		plain_quoted;
	/* RFC 2231: segment i is seg_a[i]..seg_e[i]; seg_ext: percent-encoded */
	int			nseg;			/* highest index + 1 seen */
	bool		seg_set[MAX_SEGMENTS];
	bool		seg_ext[MAX_SEGMENTS];
	bool		seg_quoted[MAX_SEGMENTS];
	size_t		seg_a[MAX_SEGMENTS];
	size_t		seg_e[MAX_SEGMENTS];
} Param;

/* The parameters a part's reading needs. */
enum
{
	PAR_BOUNDARY,
	PAR_CHARSET,
	PAR_NAME,
	PAR_FILENAME,
	NPAR
};

static const char *const param_names[NPAR] = {"boundary", "charset", "name", "filename"};

typedef struct ParsedValue
{
	char		token[128];		/* "type/subtype" or the disposition, lower
								 * case; "" when malformed */
	const uint8_t *s;			/* the unfolded value */
	size_t		n;
	Param		par[NPAR];
} ParsedValue;

static size_t
skip_cfws(const uint8_t *s, size_t n, size_t i)
{
	for (;;)
	{
		while (i < n && (is_wsp(s[i]) || s[i] == '\r' || s[i] == '\n'))
			i++;
		if (i < n && s[i] == '(')
		{
			size_t		depth = 0;

			while (i < n)
			{
				uint8_t		c = s[i++];

				if (c == '\\' && i < n)
					i++;
				else if (c == '(')
					depth++;
				else if (c == ')' && --depth == 0)
					break;
			}
			continue;
		}
		return i;
	}
}

static bool
token_char(uint8_t c)
{
	/* RFC 2045 token: no SPACE, CTLs or tspecials */
	return c > 0x20 && c < 0x7F && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/*
 * Parse "value *(; attribute=value)" of s[0..n).  with_slash: the value is
 * type "/" subtype.
 */
static void
parse_params(P *p, const uint8_t *s, size_t n, bool with_slash, ParsedValue *pv)
{
	size_t		i = skip_cfws(s, n, 0),
				a,
				tl = 0;

	memset(pv, 0, sizeof *pv);
	pv->s = s;
	pv->n = n;
	p->work += n;

	/* the value token(s) */
	a = i;
	while (i < n && token_char(s[i]))
		i++;
	if (i > a && i - a < 60)
	{
		for (; a < i; a++)
			pv->token[tl++] = (char) lower(s[a]);
		if (with_slash)
		{
			i = skip_cfws(s, n, i);
			if (i < n && s[i] == '/')
			{
				i = skip_cfws(s, n, i + 1);
				a = i;
				while (i < n && token_char(s[i]))
					i++;
				if (i > a && i - a < 60)
				{
					pv->token[tl++] = '/';
					for (; a < i; a++)
						pv->token[tl++] = (char) lower(s[a]);
				}
				else
					tl = 0;
			}
			else
				tl = 0;
		}
	}
	pv->token[tl] = '\0';

	/* parameters: find each ';', then attribute [*N][*] = value */
	while (i < n)
	{
		size_t		an,
					ae;
		int			idx = -1,
					k;
		bool		ext = false,
					quoted = false;
		size_t		va,
					ve;

		if (s[i] == '"')
		{
			/* a stray quoted string: step over it whole */
			i = skip_run(s, n, i + 1, '"');
			if (i < n)
				i++;
			continue;
		}
		if (s[i] != ';')
		{
			i++;
			continue;
		}
		i = skip_cfws(s, n, i + 1);
		an = i;
		while (i < n && token_char(s[i]) && s[i] != '*')
			i++;
		ae = i;
		if (i < n && s[i] == '*')
		{
			i++;
			if (i < n && s[i] >= '0' && s[i] <= '9')
			{
				idx = 0;
				while (i < n && s[i] >= '0' && s[i] <= '9')
				{
					if (idx < 1000)
						idx = idx * 10 + (s[i] - '0');
					i++;
				}
				if (i < n && s[i] == '*')
				{
					ext = true;
					i++;
				}
			}
			else
				ext = true;
		}
		i = skip_cfws(s, n, i);
		if (ae == an || i >= n || s[i] != '=')
			continue;
		i = skip_cfws(s, n, i + 1);
		if (i < n && s[i] == '"')
		{
			va = i + 1;
			ve = skip_run(s, n, va, '"');
			i = ve < n ? ve + 1 : n;
			quoted = true;
		}
		else
		{
			/* a token; lenient: anything up to ';' or white space */
			va = i;
			while (i < n && s[i] != ';' && !is_wsp(s[i]))
				i++;
			ve = i;
		}
		for (k = 0; k < NPAR; k++)
		{
			Param	   *pr = &pv->par[k];

			if (!ewsm_ci_eq(s + an, ae - an, param_names[k]))
				continue;
			if (idx < 0 && !ext)
			{
				if (!pr->has_plain)
				{
					pr->has_plain = true;
					pr->plain_a = va;
					pr->plain_e = ve;
					pr->plain_quoted = quoted;
				}
			}
			else
			{
				if (idx < 0)
					idx = 0;	/* "name*=" is the single segment 0 */
				if (idx < MAX_SEGMENTS && !pr->seg_set[idx])
				{
					pr->seg_set[idx] = true;
					pr->seg_ext[idx] = ext;
					pr->seg_quoted[idx] = quoted;
					pr->seg_a[idx] = va;
					pr->seg_e[idx] = ve;
					if (idx + 1 > pr->nseg)
						pr->nseg = idx + 1;
				}
			}
		}
	}
}

/* The raw bytes of a plain parameter value (quotes resolved). */
static size_t
param_raw(const ParsedValue *pv, int k, uint8_t *out)
{
	const Param *pr = &pv->par[k];
	size_t		i,
				o = 0;

	for (i = pr->plain_a; i < pr->plain_e; i++)
	{
		if (pr->plain_quoted && pv->s[i] == '\\' && i + 1 < pr->plain_e)
			i++;
		out[o++] = pv->s[i];
	}
	return o;
}

/*
 * A parameter's value as clean text: the RFC 2231 form when there is one
 * (segments 0..k-1 in order up to the first gap; the charset of segment 0,
 * percent-escapes decoded in the extended segments), else the plain value
 * with RFC 2047 encoded-words decoded.  NULL when absent.
 */
static char *
param_text(P *p, const ParsedValue *pv, int k)
{
	const Param *pr = &pv->par[k];

	if (pr->nseg > 0 && pr->seg_set[0])
	{
		EwsmBuf		raw,
					out;
		const uint8_t *cs = NULL;
		size_t		csn = 0;
		int			i;

		ewsm_buf_init(&raw, pv->n + 16, p->alloc, p->ctx);
		for (i = 0; i < pr->nseg && pr->seg_set[i]; i++)
		{
			size_t		a = pr->seg_a[i],
						e = pr->seg_e[i],
						j;

			if (pr->seg_ext[i] && i == 0)
			{
				/* charset'language'text */
				const uint8_t *q1 = memchr(pv->s + a, '\'', e - a);
				const uint8_t *q2 = q1 ? memchr(q1 + 1, '\'', (size_t) (pv->s + e - q1 - 1)) : NULL;

				if (q2 != NULL)
				{
					cs = pv->s + a;
					csn = (size_t) (q1 - cs);
					a = (size_t) (q2 - pv->s) + 1;
				}
			}
			for (j = a; j < e; j++)
			{
				uint8_t		c = pv->s[j];

				if (pr->seg_ext[i] && c == '%' && j + 2 < e &&
					ewsm_hexval(pv->s[j + 1]) >= 0 && ewsm_hexval(pv->s[j + 2]) >= 0)
				{
					ewsm_buf_putc(&raw, (uint8_t) (ewsm_hexval(pv->s[j + 1]) * 16 +
												   ewsm_hexval(pv->s[j + 2])));
					j += 2;
					continue;
				}
				if (pr->seg_quoted[i] && c == '\\' && j + 1 < e)
					c = pv->s[++j];
				ewsm_buf_putc(&raw, c);
			}
		}
		ewsm_buf_init(&out, raw.len * 3 + 16, p->alloc, p->ctx);
		if (cs == NULL || csn == 0 ||
			!ewsm_convert(&out, raw.data, raw.len, cs, csn, &p->iconv_left))
		{
			out.len = 0;
			put_guess(&out, raw.data, raw.len);
		}
		p->work += raw.len;
		return ewsm_clean(out.data, out.len, false, NULL, p->alloc, p->ctx);
	}
	if (pr->has_plain)
	{
		uint8_t    *raw = p->alloc(p->ctx, pr->plain_e - pr->plain_a + 1);
		size_t		n = param_raw(pv, k, raw);

		p->work += n;
		return ewsm_decode_unstructured(raw, n, &p->iconv_left, &p->work, p->alloc, p->ctx);
	}
	return NULL;
}

/* ----------------------------------------------------------------
 * Transfer decoding (RFC 2045 section 6)
 * ----------------------------------------------------------------
 */

/*
 * Base64, leniently: characters outside the alphabet are skipped (line
 * breaks, and garbage, which sets *bad); '=' ends a quantum.  out may be
 * NULL to count only.  At most 3 * n / 4 + 3 bytes.
 */
static size_t
decode_b64(const uint8_t *s, size_t n, uint8_t *out, bool *bad)
{
	uint32_t	acc = 0;
	int			bits = 0;
	size_t		i,
				o = 0;

	for (i = 0; i < n; i++)
	{
		int			v = ewsm_b64val(s[i]);

		if (v < 0)
		{
			if (s[i] == '=')
				bits = 0;		/* padding: the partial quantum is done */
			else if (!(s[i] == '\r' || s[i] == '\n' || is_wsp(s[i])))
				*bad = true;
			continue;
		}
		acc = ((acc << 6) | (uint32_t) v) & 0xFFFFFF;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			if (out)
				out[o] = (uint8_t) (acc >> bits);
			o++;
		}
	}
	return o;
}

/*
 * Quoted-printable: "=XX" is the octet XX, "=" before the line end is a soft
 * line break, white space before a line end is transport padding and goes
 * (RFC 2045 6.7 rule 3), line ends stay as they are.  A malformed "=" is
 * kept literally and sets *bad.  out may be NULL.  At most n bytes.
 */
static size_t
decode_qp(const uint8_t *s, size_t n, uint8_t *out, bool *bad)
{
	size_t		i = 0,
				o = 0;

	while (i < n)
	{
		uint8_t		c = s[i];

		if (c == '=')
		{
			size_t		j = i + 1;

			if (j + 1 < n && ewsm_hexval(s[j]) >= 0 && ewsm_hexval(s[j + 1]) >= 0)
			{
				if (out)
					out[o] = (uint8_t) (ewsm_hexval(s[j]) * 16 + ewsm_hexval(s[j + 1]));
				o++;
				i += 3;
				continue;
			}
			while (j < n && is_wsp(s[j]))
				j++;
			if (j >= n)
			{
				i = n;			/* soft break at the very end */
				continue;
			}
			if (s[j] == '\n')
			{
				i = j + 1;
				continue;
			}
			if (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n')
			{
				i = j + 2;
				continue;
			}
			*bad = true;
			if (out)
				out[o] = '=';
			o++;
			i++;
			continue;
		}
		if (is_wsp(c))
		{
			/* trailing white space of a line is dropped */
			size_t		j = i;

			while (j < n && is_wsp(s[j]))
				j++;
			if (j >= n || s[j] == '\n' || (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n'))
			{
				i = j;
				continue;
			}
			if (out)
				memcpy(out + o, s + i, j - i);
			o += j - i;
			i = j;
			continue;
		}
		if (out)
			out[o] = c;
		o++;
		i++;
	}
	return o;
}

static size_t
decoded_size(P *p, size_t a, size_t n, EwsMimeEncoding enc)
{
	bool		bad = false;
	size_t		r;

	p->work += n;
	if (enc == EWS_MIME_ENC_BASE64)
		r = decode_b64(p->msg + a, n, NULL, &bad);
	else if (enc == EWS_MIME_ENC_QUOTED_PRINTABLE)
		r = decode_qp(p->msg + a, n, NULL, &bad);
	else
		r = n;
	if (bad)
		p->flags |= EWS_MIME_F_BAD_ENCODING;
	return r;
}

static uint8_t *
decode_body(const uint8_t *s, size_t n, EwsMimeEncoding enc, size_t *out_len, bool *bad,
			ews_mime_alloc_fn alloc, void *ctx)
{
	uint8_t    *out = alloc(ctx, n + 4);

	if (enc == EWS_MIME_ENC_BASE64)
		*out_len = decode_b64(s, n, out, bad);
	else if (enc == EWS_MIME_ENC_QUOTED_PRINTABLE)
		*out_len = decode_qp(s, n, out, bad);
	else
	{
		if (n > 0)
			memcpy(out, s, n);
		*out_len = n;
	}
	return out;
}

uint8_t *
ews_mime_attachment_content(const uint8_t *msg, size_t len, const EwsMimeAttachment *a,
							size_t *out_len, ews_mime_alloc_fn alloc, void *ctx)
{
	bool		bad = false;

	if (a->body_offset > len || a->body_len > len - a->body_offset)
	{
		/* not this message: nothing to give */
		*out_len = 0;
		return alloc(ctx, 1);
	}
	return decode_body(msg + a->body_offset, a->body_len, a->encoding, out_len, &bad, alloc, ctx);
}

/* ----------------------------------------------------------------
 * Body parts
 * ----------------------------------------------------------------
 */

/* The header fields of one part that matter to MIME. */
typedef struct PartHead
{
	bool		has_ct,
				has_cte,
				has_cd,
				has_cid,
				has_cloc;
	Field		ct,
				cte,
				cd,
				cid,
				cloc;
} PartHead;

static void
part_field(P *p, const Field *fl, void *arg)
{
	PartHead   *h = arg;

	(void) p;
	/* the first of each wins */
	if (!h->has_ct && name_is(fl, "content-type"))
	{
		h->ct = *fl;
		h->has_ct = true;
	}
	else if (!h->has_cte && name_is(fl, "content-transfer-encoding"))
	{
		h->cte = *fl;
		h->has_cte = true;
	}
	else if (!h->has_cd && name_is(fl, "content-disposition"))
	{
		h->cd = *fl;
		h->has_cd = true;
	}
	else if (!h->has_cid && name_is(fl, "content-id"))
	{
		h->cid = *fl;
		h->has_cid = true;
	}
	else if (!h->has_cloc && name_is(fl, "content-location"))
	{
		h->cloc = *fl;
		h->has_cloc = true;
	}
}

/* What one part is, read from its PartHead. */
typedef struct PartInfo
{
	ParsedValue ct;
	ParsedValue cd;
	const char *type;			/* lower-case type/subtype */
	EwsMimeEncoding enc;
	bool		cte_opaque;		/* an encoding a multipart may not have */
	int			disposition;	/* 0 none, 1 inline, 2 attachment */
	char	   *filename;
	char	   *content_id;
	char	   *content_location;
} PartInfo;

static bool
has_prefix(const char *s, const char *pre)
{
	return strncmp(s, pre, strlen(pre)) == 0;
}

/* The last path component of a file name ("C:\x\y.txt" gives "y.txt"). */
static char *
basename_of(char *s)
{
	char	   *b = s,
			   *c;

	for (c = s; *c; c++)
		if ((*c == '/' || *c == '\\') && c[1] != '\0')
			b = c + 1;
	return b;
}

static void
read_part_info(P *p, const PartHead *h, Container in, PartInfo *pi)
{
	size_t		n;
	uint8_t    *v;

	memset(pi, 0, sizeof *pi);
	/* RFC 2045 5.2 defaults; RFC 2046 5.1.5: digest parts are messages */
	pi->type = in == IN_DIGEST ? "message/rfc822" : "text/plain";
	if (h->has_ct)
	{
		v = field_value(p, &h->ct, &n);
		parse_params(p, v, n, true, &pi->ct);
		if (pi->ct.token[0] != '\0')
			pi->type = pi->ct.token;
		else
			pi->type = "application/octet-stream";	/* malformed: opaque */
	}
	pi->enc = EWS_MIME_ENC_IDENTITY;
	if (h->has_cte)
	{
		v = field_value(p, &h->cte, &n);
		if (ewsm_ci_eq(v, n, "base64"))
			pi->enc = EWS_MIME_ENC_BASE64;
		else if (ewsm_ci_eq(v, n, "quoted-printable"))
			pi->enc = EWS_MIME_ENC_QUOTED_PRINTABLE;
		else if (!(ewsm_ci_eq(v, n, "7bit") || ewsm_ci_eq(v, n, "8bit") ||
				   ewsm_ci_eq(v, n, "binary") || n == 0))
			pi->cte_opaque = true;	/* RFC 2045 6.4: unknown, opaque */
		if (pi->enc != EWS_MIME_ENC_IDENTITY)
			pi->cte_opaque = true;
	}
	if (h->has_cd)
	{
		v = field_value(p, &h->cd, &n);
		parse_params(p, v, n, false, &pi->cd);
		if (strcmp(pi->cd.token, "inline") == 0)
			pi->disposition = 1;
		else if (pi->cd.token[0] != '\0')
			pi->disposition = 2;	/* RFC 2183 2.8: unknown means attachment */
		pi->filename = param_text(p, &pi->cd, PAR_FILENAME);
	}
	if (pi->filename == NULL && h->has_ct)
		pi->filename = param_text(p, &pi->ct, PAR_NAME);
	if (pi->filename != NULL)
	{
		pi->filename = basename_of(pi->filename);
		if (pi->filename[0] == '\0')
			pi->filename = NULL;
	}
	if (h->has_cid)
	{
		v = field_value(p, &h->cid, &n);
		if (n >= 2 && v[0] == '<' && v[n - 1] == '>')
		{
			v++;
			n -= 2;
		}
		if (n > 0)
			pi->content_id = clean_guess(p, v, n, false, NULL);
	}
	if (h->has_cloc)
	{
		v = field_value(p, &h->cloc, &n);
		if (n > 0)
			pi->content_location = clean_guess(p, v, n, false, NULL);
	}
}

static void
add_attachment(P *p, const PartInfo *pi, const char *type, size_t a, size_t n,
			   EwsMimeEncoding enc, bool is_inline, bool broken)
{
	EwsMimeAttachment att;

	memset(&att, 0, sizeof att);
	att.filename = pi ? pi->filename : NULL;
	att.content_type = dup_cstr(p, type);
	att.content_id = pi ? pi->content_id : NULL;
	att.content_location = pi ? pi->content_location : NULL;
	att.is_inline = is_inline;
	att.is_message = !broken && (strcmp(type, "message/rfc822") == 0 ||
								 strcmp(type, "message/global") == 0);
	att.broken = broken;
	att.body_offset = a;
	att.body_len = n;
	att.encoding = enc;
	att.size = decoded_size(p, a, n, enc);
	ewsm_buf_put(&p->atts, &att, sizeof att);
}

/*
 * A text part's bytes as clean UTF-8: transfer-decoded, then converted from
 * its charset.  No charset, us-ascii, or one that cannot be converted: UTF-8
 * when the bytes are UTF-8, else windows-1252 (mislabelled 8-bit mail is
 * common, and guessing that way loses nothing of real ASCII).
 */
static char *
text_of(P *p, const PartInfo *pi, size_t a, size_t n, size_t *out_len)
{
	bool		bad = false;
	size_t		dn;
	uint8_t    *d = decode_body(p->msg + a, n, pi->enc, &dn, &bad, p->alloc, p->ctx);
	EwsmBuf		out;
	char	   *cs = NULL;
	size_t		csn = 0;
	bool		done = false;

	p->work += 2 * n;
	if (bad)
		p->flags |= EWS_MIME_F_BAD_ENCODING;
	if (pi->ct.par[PAR_CHARSET].has_plain)
	{
		cs = p->alloc(p->ctx, pi->ct.par[PAR_CHARSET].plain_e - pi->ct.par[PAR_CHARSET].plain_a + 1);
		csn = param_raw(&pi->ct, PAR_CHARSET, (uint8_t *) cs);
	}
	ewsm_buf_init(&out, dn + 64, p->alloc, p->ctx);
	if (csn > 0 && !ewsm_ci_eq((uint8_t *) cs, csn, "us-ascii") &&
		!ewsm_ci_eq((uint8_t *) cs, csn, "ascii"))
	{
		done = ewsm_convert(&out, d, dn, (uint8_t *) cs, csn, &p->iconv_left);
		if (!done)
		{
			p->flags |= EWS_MIME_F_CHARSET;
			out.len = 0;
		}
	}
	if (!done)
		put_guess(&out, d, dn);
	return ewsm_clean(out.data, out.len, true, out_len, p->alloc, p->ctx);
}

static void walk(P *p, size_t a, size_t e, int depth, Container in);

/* Does the line at msg[pos..line_end) delimit boundary b?  1 delimiter, 2 close, 0 no. */
static int
delimiter(P *p, size_t pos, size_t line_end, const uint8_t *b, size_t bn)
{
	const uint8_t *m = p->msg;
	size_t		i;
	int			kind = 1;

	if (line_end - pos < bn + 2 || m[pos] != '-' || m[pos + 1] != '-' ||
		memcmp(m + pos + 2, b, bn) != 0)
		return 0;
	i = pos + 2 + bn;
	if (i + 2 <= line_end && m[i] == '-' && m[i + 1] == '-')
	{
		kind = 2;
		i += 2;
	}
	/* RFC 2046 5.1.1: only transport padding may follow */
	while (i < line_end && is_wsp(m[i]))
		i++;
	return i == line_end ? kind : 0;
}

/*
 * Split the body msg[a..e) of a multipart at its boundary and walk each
 * part.  Part content runs from after a delimiter line to before the line
 * break that precedes the next one (RFC 2046 5.1.1: that CRLF belongs to the
 * delimiter).  Preamble and epilogue are ignored.  False when no delimiter
 * was found at all.
 */
static bool
split_multipart(P *p, size_t a, size_t e, const uint8_t *b, size_t bn, int depth, Container kind)
{
	size_t		pos = a,
				part_start = SIZE_MAX;
	bool		found = false,
				closed = false;

	while (pos < e)
	{
		const uint8_t *nl = memchr(p->msg + pos, '\n', e - pos);
		size_t		next = nl ? (size_t) (nl - p->msg) + 1 : e;
		size_t		line_end = nl ? next - 1 : e;
		int			d;

		if (line_end > pos && p->msg[line_end - 1] == '\r')
			line_end--;
		p->work += next - pos;
		d = delimiter(p, pos, line_end, b, bn);
		if (d != 0)
		{
			if (part_start != SIZE_MAX)
			{
				/* the line break before this delimiter line is the delimiter's */
				size_t		pe = pos;

				if (pe > part_start && p->msg[pe - 1] == '\n')
					pe--;
				if (pe > part_start && p->msg[pe - 1] == '\r')
					pe--;
				walk(p, part_start, pe, depth + 1, kind);
			}
			found = true;
			if (d == 2)
			{
				closed = true;
				break;
			}
			part_start = next;
			if (p->nparts >= EWS_MIME_MAX_PARTS)
			{
				/* the rest stays one opaque piece: no more splitting work */
				p->flags |= EWS_MIME_F_PART_LIMIT;
				add_attachment(p, NULL, "application/octet-stream", part_start,
							   e - part_start, EWS_MIME_ENC_IDENTITY, false, true);
				return true;
			}
		}
		pos = next;
	}
	if (found && !closed)
	{
		/* no close delimiter: the last part runs to the end */
		p->flags |= EWS_MIME_F_BROKEN_MULTIPART;
		if (part_start < e)
			walk(p, part_start, e, depth + 1, kind);
	}
	return found;
}

static Container
container_of(const char *type)
{
	if (strcmp(type, "multipart/alternative") == 0)
		return IN_ALTERNATIVE;
	if (strcmp(type, "multipart/related") == 0)
		return IN_RELATED;
	if (strcmp(type, "multipart/digest") == 0)
		return IN_DIGEST;
	return IN_MIXED;
}

/* A leaf (or a multipart kept opaque) with its body at msg[a..e). */
static void
leaf(P *p, const PartInfo *pi, size_t a, size_t e, Container in)
{
	bool		is_text = strcmp(pi->type, "text/plain") == 0;
	bool		is_html = strcmp(pi->type, "text/html") == 0;

	if ((is_text || is_html) && pi->disposition != 2 && pi->filename == NULL)
	{
		bool	   *have = is_text ? &p->have_text : &p->have_html;

		if (!*have)
		{
			size_t		n;
			char	   *t = text_of(p, pi, a, e - a, &n);

			*have = true;
			if (is_text)
			{
				p->f->text_body = t;
				p->f->text_body_len = n;
			}
			else
			{
				p->f->html_body = t;
				p->f->html_body_len = n;
			}
			return;
		}
		/* another rendering of a body already chosen */
		if (in == IN_ALTERNATIVE)
			return;
		/* else a later body part of a mixed message: Exchange's ATT00001 */
	}
	else if (in == IN_ALTERNATIVE && pi->disposition != 2)
		return;					/* text/calendar, text/watch-html, ...: a
								 * rendering not chosen */
	add_attachment(p, pi, pi->type, a, e - a, pi->enc,
				   pi->disposition == 1 ||
				   (pi->disposition == 0 && in == IN_RELATED && pi->content_id != NULL),
				   false);
}

/* Walk the body part msg[a..e) (headers and body). */
static void
walk(P *p, size_t a, size_t e, int depth, Container in)
{
	PartHead	h;
	PartInfo	pi;
	size_t		body;
	ScanResult	sr;

	if (p->nparts >= EWS_MIME_MAX_PARTS)
	{
		p->flags |= EWS_MIME_F_PART_LIMIT;
		return;
	}
	p->nparts++;
	memset(&h, 0, sizeof h);
	sr = scan_header(p, a, e, EWS_MIME_MAX_PART_HEADER, EWS_MIME_MAX_FIELDS, part_field, &h, &body);
	if (sr == SCAN_TOO_LARGE)
	{
		p->flags |= EWS_MIME_F_BROKEN_PART;
		add_attachment(p, NULL, "application/octet-stream", a, e - a,
					   EWS_MIME_ENC_IDENTITY, false, true);
		return;
	}
	if (sr == SCAN_BROKEN)
		p->flags |= EWS_MIME_F_BROKEN_PART;
	read_part_info(p, &h, in, &pi);
	if (has_prefix(pi.type, "multipart/"))
	{
		char	   *bnd = NULL;
		size_t		bn = 0;
		const Param *bp = &pi.ct.par[PAR_BOUNDARY];

		if (bp->has_plain)
		{
			bnd = p->alloc(p->ctx, bp->plain_e - bp->plain_a + 1);
			bn = param_raw(&pi.ct, PAR_BOUNDARY, (uint8_t *) bnd);
		}
		if (depth >= EWS_MIME_MAX_DEPTH)
			p->flags |= EWS_MIME_F_DEPTH_LIMIT;
		else if (bn == 0 || pi.cte_opaque)
			p->flags |= EWS_MIME_F_BROKEN_MULTIPART;
		else if (split_multipart(p, body, e, (uint8_t *) bnd, bn, depth, container_of(pi.type)))
			return;
		else
			p->flags |= EWS_MIME_F_BROKEN_MULTIPART;
		add_attachment(p, &pi, pi.type, body, e - body, pi.enc, false, true);
		return;
	}
	leaf(p, &pi, body, e, in);
}

/* ----------------------------------------------------------------
 * The top-level header fields
 * ----------------------------------------------------------------
 */
typedef struct Top
{
	PartHead	mime;
	EwsmBuf		headers;		/* EwsMimeHeader[] */
	EwsmBuf		st_from,
				st_sender,
				st_reply_to,
				st_to,
				st_cc,
				st_bcc;
	EwsmBuf		cats;			/* char *[] */
	bool		have_from,
				have_sender,
				have_reply_to,
				have_irt,
				have_refs;
	int			importance[4];	/* -1 unset, per source: Importance,
								 * X-Priority, X-MSMail-Priority, Priority */
	bool		have_sensitivity;
} Top;

/* White space runs made one space (In-Reply-To, References). */
static char *
collapsed(P *p, const uint8_t *v, size_t n)
{
	uint8_t    *o = p->alloc(p->ctx, n + 1);
	size_t		i,
				k = 0;

	for (i = 0; i < n; i++)
	{
		if (is_wsp(v[i]) || v[i] == '\r' || v[i] == '\n')
		{
			if (k > 0 && o[k - 1] != ' ')
				o[k++] = ' ';
			continue;
		}
		o[k++] = v[i];
	}
	while (k > 0 && o[k - 1] == ' ')
		k--;
	return clean_guess(p, o, k, false, NULL);
}

static int
importance_of(const uint8_t *v, size_t n, int source)
{
	size_t		i = 0;

	if (source == 1)
	{
		/* X-Priority: "1 (Highest)" .. "5 (Lowest)" */
		while (i < n && is_wsp(v[i]))
			i++;
		if (i < n && (v[i] == '1' || v[i] == '2'))
			return EWS_MIME_IMPORTANCE_HIGH;
		if (i < n && v[i] == '3')
			return EWS_MIME_IMPORTANCE_NORMAL;
		if (i < n && (v[i] == '4' || v[i] == '5'))
			return EWS_MIME_IMPORTANCE_LOW;
		return -1;
	}
	if (ewsm_ci_eq(v, n, "high") || ewsm_ci_eq(v, n, "urgent"))
		return EWS_MIME_IMPORTANCE_HIGH;
	if (ewsm_ci_eq(v, n, "low") || ewsm_ci_eq(v, n, "non-urgent"))
		return EWS_MIME_IMPORTANCE_LOW;
	if (ewsm_ci_eq(v, n, "normal"))
		return EWS_MIME_IMPORTANCE_NORMAL;
	return -1;
}

static void
keywords(P *p, Top *t, const uint8_t *s, size_t n)
{
	Lexer		lx = {s, n, 0};
	Tok			tk;
	size_t		ea = 0;

	for (;;)
	{
		bool		end;

		lex_next(&lx, &tk);
		end = tk.kind == T_END;
		if (end || (tk.kind == T_SPECIAL && tk.ch == ','))
		{
			char	   *k = NULL;

			if (t->cats.len / sizeof(char *) < EWS_MIME_MAX_CATEGORIES)
				k = phrase(p, s, ea, end ? n : tk.start);
			else if (tk.start > ea)
				p->flags |= EWS_MIME_F_CATEGORY_LIMIT;
			if (k != NULL)
				ewsm_buf_put(&t->cats, &k, sizeof k);
			if (end)
				break;
			ea = tk.end;
		}
	}
}

static void
top_field(P *p, const Field *fl, void *arg)
{
	Top		   *t = arg;
	EwsMimeFields *f = p->f;
	EwsMimeHeader h;
	size_t		n;
	uint8_t    *v = field_value(p, fl, &n);
	int			src = -1;

	h.name = clean_guess(p, fl->name, fl->name_len, false, NULL);
	h.value = clean_guess(p, v, n, false, NULL);
	ewsm_buf_put(&t->headers, &h, sizeof h);

	part_field(p, fl, &t->mime);
	if (name_is(fl, "from"))
	{
		if (!t->have_from)
			address_list(p, &f->from, &t->st_from, v, n);
		t->have_from = true;
	}
	else if (name_is(fl, "sender"))
	{
		if (!t->have_sender)
			address_list(p, &f->sender, &t->st_sender, v, n);
		t->have_sender = true;
	}
	else if (name_is(fl, "reply-to"))
	{
		if (!t->have_reply_to)
			address_list(p, &f->reply_to, &t->st_reply_to, v, n);
		t->have_reply_to = true;
	}
	/* RFC 5322 4.5.3: several To/Cc/Bcc fields are one list */
	else if (name_is(fl, "to"))
		address_list(p, &f->to, &t->st_to, v, n);
	else if (name_is(fl, "cc"))
		address_list(p, &f->cc, &t->st_cc, v, n);
	else if (name_is(fl, "bcc"))
		address_list(p, &f->bcc, &t->st_bcc, v, n);
	else if (name_is(fl, "in-reply-to"))
	{
		if (!t->have_irt && n > 0)
		{
			f->in_reply_to = collapsed(p, v, n);
			t->have_irt = true;
		}
	}
	else if (name_is(fl, "references"))
	{
		if (!t->have_refs && n > 0)
		{
			f->references = collapsed(p, v, n);
			t->have_refs = true;
		}
	}
	else if (name_is(fl, "importance"))
		src = 0;
	else if (name_is(fl, "x-priority"))
		src = 1;
	else if (name_is(fl, "x-msmail-priority"))
		src = 2;
	else if (name_is(fl, "priority"))
		src = 3;
	else if (name_is(fl, "sensitivity"))
	{
		if (!t->have_sensitivity)
		{
			t->have_sensitivity = true;
			if (ewsm_ci_eq(v, n, "personal"))
				f->sensitivity = EWS_MIME_SENSITIVITY_PERSONAL;
			else if (ewsm_ci_eq(v, n, "private"))
				f->sensitivity = EWS_MIME_SENSITIVITY_PRIVATE;
			else if (ewsm_ci_eq(v, n, "company-confidential") ||
					 ewsm_ci_eq(v, n, "confidential"))
				f->sensitivity = EWS_MIME_SENSITIVITY_CONFIDENTIAL;
			else
				t->have_sensitivity = ewsm_ci_eq(v, n, "normal");
		}
	}
	else if (name_is(fl, "keywords"))
		keywords(p, t, v, n);
	if (src >= 0 && t->importance[src] < 0)
		t->importance[src] = importance_of(v, n, src);
}

/* The header section as text for PR_TRANSPORT_MESSAGE_HEADERS. */
static void
header_text(P *p, EwsMimeMessage *m)
{
	size_t		end = m->info.header_len,
				i;
	EwsmBuf		b;

	/*
	 * Leave out the blank line that ends the section: drop one line break
	 * (the blank line's, or the last field's when there is no blank line, in
	 * which case the loop below puts it back).
	 */
	if (end >= 1 && p->msg[end - 1] == '\n')
		end--;
	if (end >= 1 && p->msg[end - 1] == '\r')
		end--;
	ewsm_buf_init(&b, end + end / 16 + 16, p->alloc, p->ctx);
	for (i = 0; i < end; i++)
	{
		uint8_t		c = p->msg[i];

		if (c == '\r' && i + 1 < end && p->msg[i + 1] == '\n')
			continue;			/* the LF writes the CRLF */
		if (c == '\n' || c == '\r')
		{
			ewsm_buf_put(&b, "\r\n", 2);
			continue;
		}
		ewsm_buf_putc(&b, c);
	}
	if (b.len > 0 && b.data[b.len - 1] != '\n')
		ewsm_buf_put(&b, "\r\n", 2);
	p->work += end;
	m->header_text = clean_guess(p, b.data, b.len, true, &m->header_text_len);
}

void
ews_mime_fields_init(EwsMimeFields *f)
{
	memset(f, 0, sizeof *f);
	f->importance = EWS_MIME_IMPORTANCE_NORMAL;
	f->sensitivity = EWS_MIME_SENSITIVITY_NORMAL;
}

EwsMimeStatus
ews_mime_parse_message(const uint8_t *msg, size_t len, EwsMimeMessage *out,
					   ews_mime_alloc_fn alloc, void *ctx)
{
	EwsMimeStatus st;
	P			p;
	Top			t;
	PartInfo	pi;
	size_t		body;
	size_t		i;
	EwsMimeFields *f = &out->fields;

	memset(out, 0, sizeof *out);
	st = ews_mime_parse(msg, len, &out->info, alloc, ctx);
	if (st != EWS_MIME_OK)
		return st;

	memset(&p, 0, sizeof p);
	p.msg = msg;
	p.len = len;
	p.alloc = alloc;
	p.ctx = ctx;
	p.iconv_left = EWSM_MAX_ICONV_RUNS;
	p.f = f;
	p.work = out->info.work;	/* ews_mime_parse's pass */
	ewsm_buf_init(&p.atts, 4 * sizeof(EwsMimeAttachment), alloc, ctx);

	ews_mime_fields_init(f);
	f->subject = out->info.subject;
	f->message_id = out->info.message_id;
	f->has_date = out->info.has_date;
	f->date = out->info.date;

	memset(&t, 0, sizeof t);
	for (i = 0; i < 4; i++)
		t.importance[i] = -1;
	ewsm_buf_init(&t.headers, 16 * sizeof(EwsMimeHeader), alloc, ctx);
	ewsm_buf_init(&t.st_from, sizeof(EwsMimeAddress), alloc, ctx);
	ewsm_buf_init(&t.st_sender, sizeof(EwsMimeAddress), alloc, ctx);
	ewsm_buf_init(&t.st_reply_to, sizeof(EwsMimeAddress), alloc, ctx);
	ewsm_buf_init(&t.st_to, 4 * sizeof(EwsMimeAddress), alloc, ctx);
	ewsm_buf_init(&t.st_cc, sizeof(EwsMimeAddress), alloc, ctx);
	ewsm_buf_init(&t.st_bcc, sizeof(EwsMimeAddress), alloc, ctx);
	ewsm_buf_init(&t.cats, sizeof(char *), alloc, ctx);

	/* the section was found well-formed: this pass sees the same fields */
	(void) scan_header(&p, 0, out->info.header_len, EWS_MIME_MAX_HEADER, EWS_MIME_MAX_FIELDS,
					   top_field, &t, &body);
	body = out->info.header_len;
	out->headers = (EwsMimeHeader *) t.headers.data;
	out->nheaders = t.headers.len / sizeof(EwsMimeHeader);
	for (i = 0; i < 4; i++)
		if (t.importance[i] >= 0)
		{
			f->importance = (EwsMimeImportance) t.importance[i];
			break;
		}
	f->categories = (char **) t.cats.data;
	f->ncategories = t.cats.len / sizeof(char *);
	header_text(&p, out);

	/* the body: the message is the root part */
	p.nparts = 1;
	read_part_info(&p, &t.mime, IN_TOP, &pi);
	if (has_prefix(pi.type, "multipart/"))
	{
		const Param *bp = &pi.ct.par[PAR_BOUNDARY];
		char	   *bnd = NULL;
		size_t		bn = 0;

		if (bp->has_plain)
		{
			bnd = alloc(ctx, bp->plain_e - bp->plain_a + 1);
			bn = param_raw(&pi.ct, PAR_BOUNDARY, (uint8_t *) bnd);
		}
		if (bn == 0 || pi.cte_opaque ||
			!split_multipart(&p, body, len, (uint8_t *) bnd, bn, 0, container_of(pi.type)))
		{
			p.flags |= EWS_MIME_F_BROKEN_MULTIPART;
			add_attachment(&p, &pi, pi.type, body, len - body, pi.enc, false, true);
		}
	}
	else
		leaf(&p, &pi, body, len, IN_TOP);

	out->attachments = (EwsMimeAttachment *) p.atts.data;
	out->nattachments = p.atts.len / sizeof(EwsMimeAttachment);
	for (i = 0; i < out->nattachments; i++)
		if (!out->attachments[i].is_inline)
			out->has_attachments = true;
	out->nparts = p.nparts;
	out->flags = p.flags;
	out->work = p.work;
	return EWS_MIME_OK;
}

/* ----------------------------------------------------------------
 * Helpers for the store
 * ----------------------------------------------------------------
 */
char *
ews_mime_decode_header_value(const char *value, ews_mime_alloc_fn alloc, void *ctx)
{
	int			iconv_left = EWSM_MAX_ICONV_RUNS;
	size_t		work = 0;

	return ewsm_decode_unstructured((const uint8_t *) value, strlen(value), &iconv_left, &work,
									alloc, ctx);
}

char *
ews_mime_display_list(const EwsMimeAddressList *l, ews_mime_alloc_fn alloc, void *ctx)
{
	EwsmBuf		b;
	size_t		i;

	ewsm_buf_init(&b, 64, alloc, ctx);
	for (i = 0; i < l->n; i++)
	{
		const EwsMimeAddress *a = &l->v[i];
		const char *s = (a->name != NULL && a->name[0] != '\0') ? a->name : a->address;

		if (s == NULL)
			s = "";
		if (i > 0)
			ewsm_buf_puts(&b, "; ");
		ewsm_buf_puts(&b, s);
	}
	return ewsm_buf_cstr(&b);
}
