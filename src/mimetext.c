/*
 * mimetext.c
 *	  Body renderings (see mime.h): the plain text of an HTML body, for
 *	  item:TextBody and body search when a message has no text part, and an
 *	  HTML document showing a text body, for BodyType HTML.
 *
 * Both are single passes over their input with bounded lookahead, so their
 * time is linear however the markup is shaped: a comment, a tag's
 * attributes or a skipped element (script, style, head) is crossed once by
 * a forward search that resumes where it stopped.
 *
 * No postgres.h here: the unit tests and the fuzzers build this file alone.
 */
#include "mime.h"
#include "mimeint.h"

#include <stdlib.h>
#include <string.h>

/* HTML named character references kept: Latin-1 and common punctuation. */
typedef struct Entity
{
	const char *name;
	uint32_t	cp;
} Entity;

/* sorted by strcmp, for bsearch */
static const Entity entities[] = {
	{"AElig", 0x00C6},
	{"Aacute", 0x00C1},
	{"Acirc", 0x00C2},
	{"Agrave", 0x00C0},
	{"Aring", 0x00C5},
	{"Atilde", 0x00C3},
	{"Auml", 0x00C4},
	{"Ccedil", 0x00C7},
	{"Dagger", 0x2021},
	{"ETH", 0x00D0},
	{"Eacute", 0x00C9},
	{"Ecirc", 0x00CA},
	{"Egrave", 0x00C8},
	{"Euml", 0x00CB},
	{"Iacute", 0x00CD},
	{"Icirc", 0x00CE},
	{"Igrave", 0x00CC},
	{"Iuml", 0x00CF},
	{"Ntilde", 0x00D1},
	{"OElig", 0x0152},
	{"Oacute", 0x00D3},
	{"Ocirc", 0x00D4},
	{"Ograve", 0x00D2},
	{"Omega", 0x03A9},
	{"Oslash", 0x00D8},
	{"Otilde", 0x00D5},
	{"Ouml", 0x00D6},
	{"Prime", 0x2033},
	{"Scaron", 0x0160},
	{"THORN", 0x00DE},
	{"Uacute", 0x00DA},
	{"Ucirc", 0x00DB},
	{"Ugrave", 0x00D9},
	{"Uuml", 0x00DC},
	{"Yacute", 0x00DD},
	{"Yuml", 0x0178},
	{"aacute", 0x00E1},
	{"acirc", 0x00E2},
	{"acute", 0x00B4},
	{"aelig", 0x00E6},
	{"agrave", 0x00E0},
	{"alpha", 0x03B1},
	{"amp", 0x0026},
	{"apos", 0x0027},
	{"aring", 0x00E5},
	{"asymp", 0x2248},
	{"atilde", 0x00E3},
	{"auml", 0x00E4},
	{"bdquo", 0x201E},
	{"beta", 0x03B2},
	{"brvbar", 0x00A6},
	{"bull", 0x2022},
	{"ccedil", 0x00E7},
	{"cedil", 0x00B8},
	{"cent", 0x00A2},
	{"check", 0x2713},
	{"circ", 0x02C6},
	{"copy", 0x00A9},
	{"curren", 0x00A4},
	{"dagger", 0x2020},
	{"darr", 0x2193},
	{"deg", 0x00B0},
	{"delta", 0x03B4},
	{"divide", 0x00F7},
	{"eacute", 0x00E9},
	{"ecirc", 0x00EA},
	{"egrave", 0x00E8},
	{"emsp", 0x2003},
	{"ensp", 0x2002},
	{"eth", 0x00F0},
	{"euml", 0x00EB},
	{"euro", 0x20AC},
	{"fnof", 0x0192},
	{"frac12", 0x00BD},
	{"frac14", 0x00BC},
	{"frac34", 0x00BE},
	{"gamma", 0x03B3},
	{"ge", 0x2265},
	{"gt", 0x003E},
	{"harr", 0x2194},
	{"hearts", 0x2665},
	{"hellip", 0x2026},
	{"iacute", 0x00ED},
	{"icirc", 0x00EE},
	{"iexcl", 0x00A1},
	{"igrave", 0x00EC},
	{"infin", 0x221E},
	{"iquest", 0x00BF},
	{"iuml", 0x00EF},
	{"laquo", 0x00AB},
	{"larr", 0x2190},
	{"ldquo", 0x201C},
	{"le", 0x2264},
	{"lrm", 0x200E},
	{"lsaquo", 0x2039},
	{"lsquo", 0x2018},
	{"lt", 0x003C},
	{"macr", 0x00AF},
	{"mdash", 0x2014},
	{"micro", 0x00B5},
	{"middot", 0x00B7},
	{"minus", 0x2212},
	{"nbsp", 0x00A0},
	{"ndash", 0x2013},
	{"ne", 0x2260},
	{"not", 0x00AC},
	{"ntilde", 0x00F1},
	{"oacute", 0x00F3},
	{"ocirc", 0x00F4},
	{"oelig", 0x0153},
	{"ograve", 0x00F2},
	{"omega", 0x03C9},
	{"ordf", 0x00AA},
	{"ordm", 0x00BA},
	{"oslash", 0x00F8},
	{"otilde", 0x00F5},
	{"ouml", 0x00F6},
	{"para", 0x00B6},
	{"permil", 0x2030},
	{"pi", 0x03C0},
	{"plusmn", 0x00B1},
	{"pound", 0x00A3},
	{"prime", 0x2032},
	{"quot", 0x0022},
	{"raquo", 0x00BB},
	{"rarr", 0x2192},
	{"rdquo", 0x201D},
	{"reg", 0x00AE},
	{"rlm", 0x200F},
	{"rsaquo", 0x203A},
	{"rsquo", 0x2019},
	{"sbquo", 0x201A},
	{"scaron", 0x0161},
	{"sect", 0x00A7},
	{"shy", 0x00AD},
	{"sigma", 0x03C3},
	{"sup1", 0x00B9},
	{"sup2", 0x00B2},
	{"sup3", 0x00B3},
	{"szlig", 0x00DF},
	{"thinsp", 0x2009},
	{"thorn", 0x00FE},
	{"tilde", 0x02DC},
	{"times", 0x00D7},
	{"trade", 0x2122},
	{"uacute", 0x00FA},
	{"uarr", 0x2191},
	{"ucirc", 0x00FB},
	{"ugrave", 0x00F9},
	{"uml", 0x00A8},
	{"uuml", 0x00FC},
	{"yacute", 0x00FD},
	{"yen", 0x00A5},
	{"yuml", 0x00FF},
	{"zwj", 0x200D},
	{"zwnj", 0x200C},
};

static int
entity_cmp(const void *key, const void *elem)
{
	return strcmp((const char *) key, ((const Entity *) elem)->name);
}

/* windows-1252 for &#128; .. &#159; (HTML's numeric reference rule) */
static const uint16_t c1_map[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178
};

static uint8_t
lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t) (c + 32) : c;
}

static bool
alnum(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * A character reference at s[i] == '&': its code point and length, or 0
 * when it is not one (the '&' is then text).  Named references need their
 * ';'; numeric ones may omit it, as HTML allows.
 */
static size_t
entity_at(const uint8_t *s, size_t n, size_t i, uint32_t *cp)
{
	size_t		j = i + 1;

	if (j < n && s[j] == '#')
	{
		uint32_t	v = 0;
		bool		hex = false,
					any = false;

		j++;
		if (j < n && (s[j] == 'x' || s[j] == 'X'))
		{
			hex = true;
			j++;
		}
		while (j < n && j - i < 16)
		{
			int			d = hex ? ewsm_hexval(s[j]) : (s[j] >= '0' && s[j] <= '9' ? s[j] - '0' : -1);

			if (d < 0)
				break;
			if (v <= 0x10FFFF)
				v = v * (hex ? 16 : 10) + (uint32_t) d;
			any = true;
			j++;
		}
		if (!any)
			return 0;
		if (j < n && s[j] == ';')
			j++;
		if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			v = 0xFFFD;
		else if (v >= 0x80 && v <= 0x9F)
			v = c1_map[v - 0x80];
		*cp = v;
		return j - i;
	}
	else
	{
		char		name[16];
		size_t		k = 0;
		const Entity *e;

		while (j < n && alnum(s[j]) && k < sizeof name - 1)
			name[k++] = (char) s[j++];
		if (k == 0 || j >= n || s[j] != ';')
			return 0;
		name[k] = '\0';
		e = bsearch(name, entities, sizeof entities / sizeof entities[0], sizeof entities[0],
					entity_cmp);
		if (e == NULL)
			return 0;
		/* a no-break space is a space to a reader of plain text and to search */
		*cp = e->cp == 0xA0 ? ' ' : e->cp;
		return j + 1 - i;
	}
}

/* Case-insensitive find of the ASCII lower-case pattern pat in s[from..n): offset or n. */
static size_t
find_ci(const uint8_t *s, size_t n, size_t from, const char *pat)
{
	size_t		pl = strlen(pat),
				i;

	if (pl == 0 || n < pl)
		return n;
	for (i = from; i + pl <= n; i++)
	{
		size_t		k;

		/* first character found by memchr-like scan; the rest compared */
		if (lc(s[i]) != (uint8_t) pat[0])
			continue;
		for (k = 1; k < pl && lc(s[i + k]) == (uint8_t) pat[k]; k++)
			;
		if (k == pl)
			return i;
	}
	return n;
}

typedef struct Out
{
	EwsmBuf		b;
	int			want_nl;		/* line breaks owed before the next text */
	bool		want_space;
	bool		any;			/* text written yet */
} Out;

static void
out_text(Out *o, const uint8_t *p, size_t n)
{
	if (o->any && o->want_nl > 0)
	{
		int			k;

		for (k = 0; k < o->want_nl; k++)
			ewsm_buf_put(&o->b, "\r\n", 2);
		o->want_space = false;
	}
	else if (o->any && o->want_space)
		ewsm_buf_putc(&o->b, ' ');
	o->want_nl = 0;
	o->want_space = false;
	ewsm_buf_put(&o->b, p, n);
	o->any = true;
}

static void
out_break(Out *o, int k)
{
	if (k > o->want_nl)
		o->want_nl = k;
}

/* Elements whose content is not text a reader sees. */
static const char *const skipped[] = {"script", "style", "head", "title", "template", "noscript"};

/* Block elements: 2 means a paragraph (a blank line), 1 a line break. */
static int
block_kind(const char *t)
{
	static const char *const para[] = {
		"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol",
		"dl", "hr"
	};
	static const char *const line[] = {
		"div", "li", "tr", "dt", "dd", "section", "article", "header", "footer", "nav",
		"aside", "address", "center", "form", "fieldset", "figure", "figcaption", "main",
		"caption", "body", "html", "legend", "details", "summary", "option"
	};
	size_t		i;

	for (i = 0; i < sizeof para / sizeof para[0]; i++)
		if (strcmp(t, para[i]) == 0)
			return 2;
	for (i = 0; i < sizeof line / sizeof line[0]; i++)
		if (strcmp(t, line[i]) == 0)
			return 1;
	return 0;
}

char *
ews_mime_html_to_text(const char *html, size_t len, size_t *out_len,
					  ews_mime_alloc_fn alloc, void *ctx)
{
	const uint8_t *s = (const uint8_t *) html;
	size_t		i = 0;
	int			pre = 0;
	Out			o;

	memset(&o, 0, sizeof o);
	ewsm_buf_init(&o.b, len / 2 + 16, alloc, ctx);
	while (i < len)
	{
		uint8_t		c = s[i];

		if (c == '<')
		{
			size_t		j = i + 1,
						k;
			bool		closing = false;
			char		tag[16];
			size_t		tl = 0;

			if (j + 2 < len && s[j] == '!' && s[j + 1] == '-' && s[j + 2] == '-')
			{
				size_t		e = find_ci(s, len, j + 3, "-->");

				i = e < len ? e + 3 : len;
				continue;
			}
			if (j < len && s[j] == '/')
			{
				closing = true;
				j++;
			}
			if (j < len && (s[j] == '!' || s[j] == '?'))
			{
				/* <!DOCTYPE>, <![CDATA[...]]>, <?xml?>: markup, not text */
				const uint8_t *gt = memchr(s + j, '>', len - j);

				i = gt ? (size_t) (gt - s) + 1 : len;
				continue;
			}
			while (j < len && alnum(s[j]) && tl < sizeof tag - 1)
				tag[tl++] = (char) lc(s[j++]);
			if (tl == 0)
			{
				/* "a < b": a '<' that opens no tag is text */
				out_text(&o, s + i, 1);
				i++;
				continue;
			}
			while (j < len && alnum(s[j]))
				j++;			/* an over-long name: no element we know */
			tag[tl] = '\0';
			/* attributes: quoted values may hold '>' */
			for (k = j; k < len && s[k] != '>'; k++)
				if (s[k] == '"' || s[k] == '\'')
				{
					const uint8_t *q = memchr(s + k + 1, s[k], len - k - 1);

					if (q == NULL)
					{
						k = len;
						break;
					}
					k = (size_t) (q - s);
				}
			i = k < len ? k + 1 : len;

			if (!closing)
			{
				size_t		x;
				bool		skip = false;

				for (x = 0; x < sizeof skipped / sizeof skipped[0]; x++)
					if (strcmp(tag, skipped[x]) == 0)
					{
						char		endtag[20];
						size_t		e;

						endtag[0] = '<';
						endtag[1] = '/';
						strcpy(endtag + 2, tag);
						e = find_ci(s, len, i, endtag);
						if (e < len)
						{
							const uint8_t *gt = memchr(s + e, '>', len - e);

							i = gt ? (size_t) (gt - s) + 1 : len;
						}
						else
							i = len;
						skip = true;
						break;
					}
				if (skip)
					continue;
			}
			if (strcmp(tag, "br") == 0)
			{
				/* one <br> ends the line, a second makes a blank line */
				if (o.any && o.want_nl < 2)
					o.want_nl++;
			}
			else if (strcmp(tag, "td") == 0 || strcmp(tag, "th") == 0)
				o.want_space = true;
			else
			{
				int			b = block_kind(tag);

				if (b > 0)
					out_break(&o, b);
				if (strcmp(tag, "pre") == 0)
					pre += closing ? (pre > 0 ? -1 : 0) : 1;
			}
			continue;
		}
		if (c == '&')
		{
			uint32_t	cp;
			size_t		k = entity_at(s, len, i, &cp);

			if (k > 0)
			{
				EwsmBuf		t;
				uint8_t		tmp[8];

				t.data = tmp;
				t.len = 0;
				t.cap = sizeof tmp;
				t.alloc = alloc;
				t.ctx = ctx;
				ewsm_buf_put_cp(&t, cp);
				if (pre == 0 && cp == ' ')
					o.want_space = true;
				else
					out_text(&o, tmp, t.len);
				i += k;
				continue;
			}
			out_text(&o, s + i, 1);
			i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f')
		{
			if (pre > 0)
			{
				if (c == '\r' && i + 1 < len && s[i + 1] == '\n')
				{
					i++;
					continue;
				}
				if (c == '\n' || c == '\r')
				{
					if (o.any)
						ewsm_buf_put(&o.b, "\r\n", 2);
				}
				else
					out_text(&o, s + i, 1);
			}
			else
				o.want_space = true;
			i++;
			continue;
		}
		/* a run of plain text */
		{
			size_t		j = i;

			while (j < len && s[j] != '<' && s[j] != '&' && s[j] != ' ' && s[j] != '\t' &&
				   s[j] != '\r' && s[j] != '\n' && s[j] != '\f')
				j++;
			out_text(&o, s + i, j - i);
			i = j;
		}
	}
	/* trailing white space and line breaks are never written: they are owed */
	while (o.b.len > 0 && (o.b.data[o.b.len - 1] == ' ' || o.b.data[o.b.len - 1] == '\t' ||
						   o.b.data[o.b.len - 1] == '\r' || o.b.data[o.b.len - 1] == '\n'))
		o.b.len--;
	return ewsm_clean(o.b.data, o.b.len, true, out_len, alloc, ctx);
}

char *
ews_mime_text_to_html(const char *text, size_t len, size_t *out_len,
					  ews_mime_alloc_fn alloc, void *ctx)
{
	static const char head[] =
		"<html>\r\n<head>\r\n"
		"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n"
		"</head>\r\n<body>\r\n<div>";
	static const char tail[] = "</div>\r\n</body>\r\n</html>\r\n";
	size_t		n,
				i;
	const uint8_t *s = (const uint8_t *) ewsm_clean((const uint8_t *) text, len, true, &n,
												   alloc, ctx);
	EwsmBuf		b;
	bool		line_start = true;

	ewsm_buf_init(&b, n + n / 8 + sizeof head + sizeof tail, alloc, ctx);
	ewsm_buf_puts(&b, head);
	for (i = 0; i < n; i++)
	{
		uint8_t		c = s[i];

		switch (c)
		{
			case '&':
				ewsm_buf_puts(&b, "&amp;");
				break;
			case '<':
				ewsm_buf_puts(&b, "&lt;");
				break;
			case '>':
				ewsm_buf_puts(&b, "&gt;");
				break;
			case '"':
				ewsm_buf_puts(&b, "&quot;");
				break;
			case '\r':
				if (i + 1 < n && s[i + 1] == '\n')
					i++;
				/* fall through */
			case '\n':
				ewsm_buf_puts(&b, "<br>\r\n");
				line_start = true;
				continue;
			case '\t':
				ewsm_buf_puts(&b, "&nbsp;&nbsp;&nbsp;&nbsp;");
				break;
			case ' ':
				/* HTML collapses spaces: keep runs and leading ones visible */
				if (line_start || (i + 1 < n && (s[i + 1] == ' ' || s[i + 1] == '\t')) ||
					i + 1 == n || s[i + 1] == '\r' || s[i + 1] == '\n')
					ewsm_buf_puts(&b, "&nbsp;");
				else
					ewsm_buf_putc(&b, ' ');
				break;
			default:
				ewsm_buf_putc(&b, c);
				break;
		}
		line_start = false;
	}
	ewsm_buf_puts(&b, tail);
	if (out_len)
		*out_len = b.len;
	return ewsm_buf_cstr(&b);
}
