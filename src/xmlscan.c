/*
 * xmlscan.c
 *	  The pre-scan of XML requests and the XML 1.0 character check (see
 *	  xmlscan.h).  Pure C.
 *
 * Why a pre-scan: libxml2 2.9 checks an element's attributes for duplicates
 * by comparing each with every other (100 000 attributes in one 1 MB
 * element take 18 s of CPU in one call that cannot be interrupted), and its
 * tree of a document made of 35 MB of "<a/>" takes 2 GB (and of 35 MB of
 * empty comments, or of attributes, about as much).  Both are decided by
 * counts that one linear pass over the bytes can make before libxml2 reads
 * anything.
 */
#include "xmlscan.h"

#include <string.h>

/* the first occurrence of what[0..n) in [p, end), or NULL (memmem is not portable C) */
static const char *
find(const char *p, const char *end, const char *what, size_t n)
{
	while ((size_t) (end - p) >= n)
	{
		const char *c = memchr(p, what[0], (size_t) (end - p) - n + 1);

		if (c == NULL)
			return NULL;
		if (memcmp(c, what, n) == 0)
			return c;
		p = c + 1;
	}
	return NULL;
}

static bool
starts(const char *p, const char *end, const char *what, size_t n)
{
	return (size_t) (end - p) >= n && memcmp(p, what, n) == 0;
}

EwsXmlScanStatus
ews_xml_prescan(const char *doc, size_t len, const EwsXmlLimits *lim, EwsXmlScanResult *res,
				void (*tick) (void *arg), void *arg)
{
	const char *p = doc;
	const char *end = doc + len;
	const char *next_tick = doc + EWS_XMLSCAN_TICK;
	int64_t		depth = 0;
	int64_t		run = 0;		/* the current text run, in bytes */

	memset(res, 0, sizeof(*res));

#define TICK() \
	do { \
		if (p >= next_tick) \
		{ \
			if (tick) \
				tick(arg); \
			next_tick = p + EWS_XMLSCAN_TICK; \
		} \
	} while (0)
#define REFUSE(status) \
	do { \
		res->offset = (size_t) (p - doc); \
		return (status); \
	} while (0)
#define NODE() \
	do { \
		if (++res->nodes > lim->max_nodes) \
			REFUSE(EWS_XMLSCAN_NODES); \
	} while (0)
#define ADD_TEXT(n) \
	do { \
		if ((n) > 0 && run == 0) \
			NODE();			/* a new text node */ \
		run += (int64_t) (n); \
		if (run > res->max_text) \
			res->max_text = run; \
		if (run > lim->max_text) \
			REFUSE(EWS_XMLSCAN_TEXT); \
	} while (0)

	while (p < end)
	{
		const char *lt;

		TICK();
		/* text up to the next markup; it may be megabytes (base64), so it is skipped in steps */
		lt = memchr(p, '<', (size_t) (end - p) < EWS_XMLSCAN_TICK ? (size_t) (end - p) : EWS_XMLSCAN_TICK);
		if (lt == NULL)
		{
			size_t		step = (size_t) (end - p) < EWS_XMLSCAN_TICK ? (size_t) (end - p) : EWS_XMLSCAN_TICK;

			ADD_TEXT(step);
			p += step;
			continue;
		}
		ADD_TEXT(lt - p);
		p = lt;

		if (starts(p, end, "<!--", 4))
		{
			const char *e = find(p + 4, end, "-->", 3);

			if (e == NULL)
				break;			/* unterminated: libxml2 refuses it */
			NODE();
			p = e + 3;
			run = 0;			/* a comment ends a text node */
		}
		else if (starts(p, end, "<![CDATA[", 9))
		{
			const char *e = find(p + 9, end, "]]>", 3);

			if (e == NULL)
				break;
			/* parsed without CDATA nodes: a section continues the text around it */
			ADD_TEXT(e - (p + 9));
			p = e + 3;
		}
		else if (starts(p, end, "<!", 2))
			REFUSE(EWS_XMLSCAN_DECLARATION);	/* DOCTYPE, ENTITY, ...: never in EWS */
		else if (starts(p, end, "<?", 2))
		{
			const char *e = find(p + 2, end, "?>", 2);

			if (e == NULL)
				break;
			NODE();
			p = e + 2;
			run = 0;
		}
		else if (starts(p, end, "</", 2))
		{
			const char *e = memchr(p, '>', end - p);

			if (e == NULL)
				break;
			depth--;
			p = e + 1;
			run = 0;
		}
		else
		{
			/* a start tag: its attributes are counted by their '=' outside quotes */
			int64_t		attrs = 0;
			bool		closed = false;

			run = 0;
			res->elements++;
			NODE();
			if (++depth > res->max_depth)
				res->max_depth = depth;
			if (depth > lim->max_depth)
				REFUSE(EWS_XMLSCAN_DEPTH);
			for (p++; p < end; p++)
			{
				char		c = *p;

				TICK();
				if (c == '>')
				{
					if (p[-1] == '/')
						depth--;	/* <a/> */
					p++;
					closed = true;
					break;
				}
				if (c == '=')
				{
					NODE();
					if (++attrs > res->max_attributes)
						res->max_attributes = attrs;
					if (attrs > lim->max_attributes)
						REFUSE(EWS_XMLSCAN_ATTRIBUTES);
				}
				else if (c == '"' || c == '\'')
				{
					const char *value = p + 1;
					const char *q = value;
					const char *e;
					int64_t		vlen;

					/* the value, in steps, checking its length as it goes */
					for (;;)
					{
						size_t		avail = (size_t) (end - q);
						size_t		step = avail < EWS_XMLSCAN_TICK ? avail : EWS_XMLSCAN_TICK;

						e = memchr(q, c, step);
						if (e != NULL || step == avail)
							break;
						q += step;
						p = q;
						if (q - value > lim->max_attribute_value)
							REFUSE(EWS_XMLSCAN_ATTRIBUTE_VALUE);
						TICK();
					}
					if (e == NULL)
						return EWS_XMLSCAN_OK;	/* unterminated: libxml2 refuses it */
					vlen = e - value;
					if (vlen > res->max_attribute_value)
						res->max_attribute_value = vlen;
					if (vlen > lim->max_attribute_value)
					{
						p = value;
						REFUSE(EWS_XMLSCAN_ATTRIBUTE_VALUE);
					}
					p = e;		/* the loop steps past the closing quote */
				}
			}
			if (!closed)
				break;
		}
	}
	res->offset = p < end ? (size_t) (p - doc) : len;
	return EWS_XMLSCAN_OK;
#undef TICK
#undef REFUSE
#undef NODE
#undef ADD_TEXT
}

const char *
ews_xml_scan_status_text(EwsXmlScanStatus status)
{
	switch (status)
	{
		case EWS_XMLSCAN_OK:
			return "no limit";
		case EWS_XMLSCAN_NODES:
			return "nodes";
		case EWS_XMLSCAN_ATTRIBUTES:
			return "attributes of one element";
		case EWS_XMLSCAN_DEPTH:
			return "nesting depth";
		case EWS_XMLSCAN_TEXT:
			return "bytes of one text";
		case EWS_XMLSCAN_ATTRIBUTE_VALUE:
			return "bytes of one attribute value";
		case EWS_XMLSCAN_DECLARATION:
			return "declarations";
	}
	return "unknown";
}

int
ews_utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
	{
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
	{
		if (len < 2 || (s[1] & 0xC0) != 0x80)
			return 0;
		*cp = ((uint32_t) (c & 0x1F) << 6) | (s[1] & 0x3F);
		return 2;
	}
	if (c >= 0xE0 && c <= 0xEF)
	{
		uint32_t	v;

		if (len < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		v = ((uint32_t) (c & 0x0F) << 12) | ((uint32_t) (s[1] & 0x3F) << 6) | (s[2] & 0x3F);
		if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))
			return 0;			/* overlong, or a surrogate */
		*cp = v;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4)
	{
		uint32_t	v;

		if (len < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		v = ((uint32_t) (c & 0x07) << 18) | ((uint32_t) (s[1] & 0x3F) << 12) |
			((uint32_t) (s[2] & 0x3F) << 6) | (s[3] & 0x3F);
		if (v < 0x10000 || v > 0x10FFFF)
			return 0;
		*cp = v;
		return 4;
	}
	return 0;
}

size_t
ews_xml_first_invalid_char(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t		i = 0;

	while (i < len)
	{
		uint32_t	cp;
		int			n;

		/* the common case, ASCII text, byte by byte */
		if (u[i] >= 0x20 && u[i] < 0x80)
		{
			i++;
			continue;
		}
		n = ews_utf8_next(u + i, len - i, &cp);
		if (n == 0 || !ews_xml_is_char(cp))
			return i;
		i += n;
	}
	return len;
}
