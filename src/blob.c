/*
 * blob.c
 *	  Reader, writer and merger for the item blob, version 1.
 *
 * A blob arrives from clients (UploadItems) as untrusted bytes and is then
 * stored and exported verbatim, so the reader is the only gate: it checks
 * every byte before anything trusts any of them, and it never reads outside
 * [buf, buf+len) whatever the input.  Lengths are compared against what is
 * left (end - offset) rather than by forming offset + length, so a length
 * near UINT32_MAX cannot wrap an addition.
 *
 * The writer and the merger only produce blobs the reader accepts; because
 * the format has one encoding per property set, re-encoding the properties
 * of a valid blob gives back the same bytes, and a merge leaves every
 * property it does not replace byte-for-byte as it was.
 */
#include "blob.h"

#include "crc32c.h"

#include <string.h>

static const uint8_t blob_magic[4] = {'E', 'W', 'S', 'B'};

/* Little-endian helpers, bytewise so alignment and host order do not matter */

uint16_t
ews_le16(const uint8_t *p)
{
	return (uint16_t) (p[0] | (p[1] << 8));
}

uint32_t
ews_le32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

uint64_t
ews_le64(const uint8_t *p)
{
	return (uint64_t) ews_le32(p) | ((uint64_t) ews_le32(p + 4) << 32);
}

void
ews_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
}

void
ews_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
	p[2] = (uint8_t) (v >> 16);
	p[3] = (uint8_t) (v >> 24);
}

void
ews_put_le64(uint8_t *p, uint64_t v)
{
	ews_put_le32(p, (uint32_t) v);
	ews_put_le32(p + 4, (uint32_t) (v >> 32));
}

/*
 * Size of a fixed-size type's value, 0 for the length-prefixed types, -1 for
 * a type this version does not know.  Unknown types must be refused, not
 * skipped: without knowing the size we could not find the next property.
 */
static int
value_size(uint32_t tag)
{
	switch (EWS_PROP_TYPE(tag))
	{
		case EWS_PT_SHORT:
			return 2;
		case EWS_PT_LONG:
			return 4;
		case EWS_PT_BOOLEAN:
			return 1;
		case EWS_PT_I8:
		case EWS_PT_SYSTIME:
			return 8;
		case EWS_PT_UNICODE:
		case EWS_PT_BINARY:
			return 0;
		default:
			return -1;
	}
}

/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no UTF-16 surrogates
 * (U+D800..DFFF), nothing above U+10FFFF, no sequence cut short by the end
 * of the string.  NUL is refused too: strings end up in PostgreSQL text
 * columns (subject, message class) and in XML, where NUL cannot go.
 * Returns true when valid; otherwise *bad gets the offset of the first byte
 * of the offending sequence.
 */
static bool
utf8_valid(const uint8_t *s, size_t n, size_t *bad)
{
	size_t		i = 0;

	while (i < n)
	{
		uint8_t		c = s[i];
		size_t		need;
		uint8_t		lo = 0x80,
					hi = 0xBF;	/* allowed range of the 2nd byte */

		/*
		 * ASCII fast path, 8 bytes at a time: bodies are mostly ASCII and can
		 * be megabytes.  A word passes if no byte has the top bit set and no
		 * byte is zero (the classic "has zero byte" test).
		 */
		while (n - i >= 8)
		{
			uint64_t	w;

			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ull) != 0 ||
				((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull) != 0)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		c = s[i];

		if (c >= 0x01 && c <= 0x7F)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 1;
		else if (c >= 0xE0 && c <= 0xEF)
		{
			need = 2;
			if (c == 0xE0)
				lo = 0xA0;		/* below is overlong */
			else if (c == 0xED)
				hi = 0x9F;		/* above is a surrogate */
		}
		else if (c >= 0xF0 && c <= 0xF4)
		{
			need = 3;
			if (c == 0xF0)
				lo = 0x90;		/* below is overlong */
			else if (c == 0xF4)
				hi = 0x8F;		/* above is past U+10FFFF */
		}
		else
		{
			/* NUL, stray continuation byte, C0/C1 overlong lead, F5..FF */
			*bad = i;
			return false;
		}

		if (n - i - 1 < need)
		{
			*bad = i;			/* sequence cut short by the end */
			return false;
		}
		if (s[i + 1] < lo || s[i + 1] > hi)
		{
			*bad = i;
			return false;
		}
		for (size_t k = 2; k <= need; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
			{
				*bad = i;
				return false;
			}
		}
		i += need + 1;
	}
	return true;
}

EwsBlobStatus
ews_blob_validate(const uint8_t *buf, size_t len, size_t max_size,
				  uint32_t *nprops, size_t *err_offset)
{
	size_t		off;
	size_t		body_end;
	uint32_t	count;
	uint32_t	prev_tag = 0;
	bool		have_class = false;
	size_t		class_off = 0;	/* where the message class would have to be */
	bool		class_off_set = false;
	size_t		fail_at = 0;
	EwsBlobStatus st;

	/* The size limit first: it maps to its own EWS error and costs nothing */
	if (max_size != 0 && len > max_size)
	{
		fail_at = max_size;
		st = EWS_BLOB_TOO_LARGE;
		goto fail;
	}
	if (buf == NULL || len < EWS_BLOB_MIN_SIZE)
	{
		fail_at = buf == NULL ? 0 : len;
		st = EWS_BLOB_TOO_SHORT;
		goto fail;
	}
	if (memcmp(buf, blob_magic, 4) != 0)
	{
		fail_at = 0;
		st = EWS_BLOB_BAD_MAGIC;
		goto fail;
	}
	if (ews_le16(buf + 4) != EWS_BLOB_VERSION)
	{
		fail_at = 4;
		st = EWS_BLOB_BAD_VERSION;
		goto fail;
	}
	if (ews_le16(buf + 6) != 0)
	{
		fail_at = 6;
		st = EWS_BLOB_BAD_FLAGS;
		goto fail;
	}
	count = ews_le32(buf + 8);

	/*
	 * Walk the properties.  body_end excludes the CRC, so a property that
	 * reaches into the CRC is truncated.  The count is untrusted too, but
	 * every property takes at least 5 bytes, so a huge count just runs into
	 * the end: the walk is bounded by len, not by count.
	 */
	body_end = len - EWS_BLOB_CRC_SIZE;
	off = EWS_BLOB_HEADER_SIZE;
	for (uint32_t i = 0; i < count; i++)
	{
		uint32_t	tag;
		int			size;
		size_t		voff;
		size_t		vlen;

		if (body_end - off < 4)
		{
			fail_at = off;
			st = EWS_BLOB_TRUNCATED;
			goto fail;
		}
		tag = ews_le32(buf + off);
		size = value_size(tag);
		if (size < 0)
		{
			fail_at = off;
			st = EWS_BLOB_BAD_TYPE;
			goto fail;
		}
		voff = off + 4;
		if (size > 0)
		{
			vlen = (size_t) size;
			if (body_end - voff < vlen)
			{
				fail_at = voff;
				st = EWS_BLOB_TRUNCATED;
				goto fail;
			}
		}
		else
		{
			if (body_end - voff < 4)
			{
				fail_at = voff;
				st = EWS_BLOB_TRUNCATED;
				goto fail;
			}
			vlen = ews_le32(buf + voff);
			/* compare with what is left: voff + vlen could wrap on 32-bit */
			if (body_end - voff - 4 < vlen)
			{
				fail_at = voff;
				st = EWS_BLOB_TRUNCATED;
				goto fail;
			}
			voff += 4;
		}

		if (EWS_PROP_TYPE(tag) == EWS_PT_BOOLEAN && buf[voff] > 1)
		{
			fail_at = voff;
			st = EWS_BLOB_BAD_BOOLEAN;
			goto fail;
		}
		if (EWS_PROP_TYPE(tag) == EWS_PT_UNICODE)
		{
			size_t		bad;

			if (!utf8_valid(buf + voff, vlen, &bad))
			{
				fail_at = voff + bad;
				st = EWS_BLOB_BAD_UTF8;
				goto fail;
			}
		}
		/* strictly ascending: one encoding per set, and lookups can stop early */
		if (i > 0 && tag <= prev_tag)
		{
			fail_at = off;
			st = EWS_BLOB_TAG_ORDER;
			goto fail;
		}

		if (tag == EWS_TAG_MESSAGE_CLASS)
			have_class = true;
		else if (!class_off_set && tag > EWS_TAG_MESSAGE_CLASS)
		{
			class_off = off;
			class_off_set = true;
		}
		prev_tag = tag;
		off = voff + vlen;
	}

	/* Anything between the last property and the CRC is not ours to keep */
	if (off != body_end)
	{
		fail_at = off;
		st = EWS_BLOB_TRAILING_BYTES;
		goto fail;
	}
	if (ews_crc32c(buf, body_end) != ews_le32(buf + body_end))
	{
		fail_at = body_end;
		st = EWS_BLOB_BAD_CRC;
		goto fail;
	}
	/* Last: every item has a class, and the store files items by it */
	if (!have_class)
	{
		fail_at = class_off_set ? class_off : body_end;
		st = EWS_BLOB_NO_MESSAGE_CLASS;
		goto fail;
	}

	if (nprops)
		*nprops = count;
	return EWS_BLOB_OK;

fail:
	if (err_offset)
		*err_offset = fail_at;
	return st;
}

const char *
ews_blob_status_text(EwsBlobStatus st)
{
	switch (st)
	{
		case EWS_BLOB_OK:
			return "no error";
		case EWS_BLOB_TOO_LARGE:
			return "blob exceeds the size limit";
		case EWS_BLOB_TOO_SHORT:
			return "blob shorter than its header and CRC";
		case EWS_BLOB_BAD_MAGIC:
			return "bad magic (expected EWSB)";
		case EWS_BLOB_BAD_VERSION:
			return "unsupported format version (expected 1)";
		case EWS_BLOB_BAD_FLAGS:
			return "reserved flags are not zero";
		case EWS_BLOB_TRUNCATED:
			return "property runs past the end of the blob";
		case EWS_BLOB_BAD_TYPE:
			return "unknown property type";
		case EWS_BLOB_BAD_BOOLEAN:
			return "boolean property is neither 0 nor 1";
		case EWS_BLOB_BAD_UTF8:
			return "string property is not valid UTF-8";
		case EWS_BLOB_TAG_ORDER:
			return "property tags not in strictly ascending order";
		case EWS_BLOB_TRAILING_BYTES:
			return "bytes left after the last property";
		case EWS_BLOB_BAD_CRC:
			return "CRC-32C mismatch";
		case EWS_BLOB_NO_MESSAGE_CLASS:
			return "required property PidTagMessageClass is missing";
	}
	return "unknown blob status";
}

void
ews_blob_iter_init(EwsBlobIter *it, const uint8_t *buf, size_t len)
{
	if (buf == NULL || len < EWS_BLOB_MIN_SIZE)
	{
		it->p = it->end = buf;
		it->remaining = 0;
		return;
	}
	it->p = buf + EWS_BLOB_HEADER_SIZE;
	it->end = buf + len - EWS_BLOB_CRC_SIZE;
	it->remaining = ews_le32(buf + 8);
}

bool
ews_blob_iter_next(EwsBlobIter *it, EwsBlobProp *prop)
{
	size_t		left;
	uint32_t	tag;
	int			size;
	size_t		vlen;
	const uint8_t *v;

	if (it->remaining == 0)
		return false;

	/*
	 * Re-check bounds even though the blob was validated: it is cheap, and a
	 * caller that skipped validation gets "no more properties", not a wild
	 * read.
	 */
	left = (size_t) (it->end - it->p);
	if (left < 4)
		goto stop;
	tag = ews_le32(it->p);
	size = value_size(tag);
	if (size < 0)
		goto stop;
	v = it->p + 4;
	left -= 4;
	if (size > 0)
		vlen = (size_t) size;
	else
	{
		if (left < 4)
			goto stop;
		vlen = ews_le32(v);
		v += 4;
		left -= 4;
	}
	if (left < vlen)
		goto stop;

	prop->tag = tag;
	prop->len = (uint32_t) vlen;
	prop->value = v;
	it->p = v + vlen;
	it->remaining--;
	return true;

stop:
	/*
	 * Leave remaining as it is: a stopped walk then shows as remaining != 0,
	 * which is how the merger tells damage from the normal end.
	 */
	it->p = it->end;
	return false;
}

bool
ews_blob_find(const uint8_t *buf, size_t len, uint32_t tag, EwsBlobProp *prop)
{
	EwsBlobIter it;
	EwsBlobProp p;

	ews_blob_iter_init(&it, buf, len);
	while (ews_blob_iter_next(&it, &p))
	{
		if (p.tag == tag)
		{
			if (prop)
				*prop = p;
			return true;
		}
		if (p.tag > tag)
			break;				/* tags ascend: it is not further on */
	}
	return false;
}

/*
 * The writer's rules for one property list; the same checks the reader
 * makes, so the writer cannot produce a blob the reader would refuse.  On
 * success *body gets the encoded size of the properties (without header and
 * CRC), computed without overflow.
 */
static EwsBlobStatus
check_props(const EwsBlobProp *props, size_t n, bool need_class, size_t *body)
{
	size_t		total = 0;
	bool		have_class = false;

	if (n > UINT32_MAX)
		return EWS_BLOB_TOO_LARGE;
	if (n > 0 && props == NULL)
		return EWS_BLOB_BAD_TYPE;
	for (size_t i = 0; i < n; i++)
	{
		const EwsBlobProp *p = &props[i];
		int			size = value_size(p->tag);
		size_t		enc;

		if (size < 0)
			return EWS_BLOB_BAD_TYPE;
		if (size > 0 && p->len != (uint32_t) size)
			return EWS_BLOB_BAD_TYPE;
		if (p->len > 0 && p->value == NULL)
			return EWS_BLOB_BAD_TYPE;
		if (EWS_PROP_TYPE(p->tag) == EWS_PT_BOOLEAN && p->value[0] > 1)
			return EWS_BLOB_BAD_BOOLEAN;
		if (EWS_PROP_TYPE(p->tag) == EWS_PT_UNICODE)
		{
			size_t		bad;

			if (!utf8_valid(p->value, p->len, &bad))
				return EWS_BLOB_BAD_UTF8;
		}
		if (i > 0 && p->tag <= props[i - 1].tag)
			return EWS_BLOB_TAG_ORDER;
		if (p->tag == EWS_TAG_MESSAGE_CLASS)
			have_class = true;

		enc = (size_t) 4 + (size > 0 ? 0 : 4) + p->len;
		if (total > SIZE_MAX - enc)
			return EWS_BLOB_TOO_LARGE;
		total += enc;
	}
	if (need_class && !have_class)
		return EWS_BLOB_NO_MESSAGE_CLASS;
	*body = total;
	return EWS_BLOB_OK;
}

/* Header + body + CRC, or 0 when that does not fit in size_t */
static size_t
blob_size(size_t body)
{
	if (body > SIZE_MAX - EWS_BLOB_MIN_SIZE)
		return 0;
	return body + EWS_BLOB_MIN_SIZE;
}

static uint8_t *
put_header(uint8_t *out, uint32_t count)
{
	memcpy(out, blob_magic, 4);
	ews_put_le16(out + 4, EWS_BLOB_VERSION);
	ews_put_le16(out + 6, 0);
	ews_put_le32(out + 8, count);
	return out + EWS_BLOB_HEADER_SIZE;
}

static uint8_t *
put_prop(uint8_t *out, const EwsBlobProp *p)
{
	ews_put_le32(out, p->tag);
	out += 4;
	if (value_size(p->tag) == 0)
	{
		ews_put_le32(out, p->len);
		out += 4;
	}
	if (p->len > 0)
		memcpy(out, p->value, p->len);
	return out + p->len;
}

static void
put_crc(uint8_t *start, uint8_t *crc_at)
{
	ews_put_le32(crc_at, ews_crc32c(start, (size_t) (crc_at - start)));
}

size_t
ews_blob_encoded_size(const EwsBlobProp *props, size_t n)
{
	size_t		body;

	if (check_props(props, n, true, &body) != EWS_BLOB_OK)
		return 0;
	return blob_size(body);
}

EwsBlobStatus
ews_blob_encode(const EwsBlobProp *props, size_t n, uint8_t *out, size_t outlen)
{
	size_t		body;
	size_t		size;
	EwsBlobStatus st;
	uint8_t    *w;

	st = check_props(props, n, true, &body);
	if (st != EWS_BLOB_OK)
		return st;
	size = blob_size(body);
	if (size == 0 || out == NULL || outlen < size)
		return EWS_BLOB_TOO_LARGE;

	w = put_header(out, (uint32_t) n);
	for (size_t i = 0; i < n; i++)
		w = put_prop(w, &props[i]);
	put_crc(out, w);
	return EWS_BLOB_OK;
}

/*
 * Walk a blob's properties merged with `over`, calling emit for each output
 * property in tag order (or only counting when out is NULL).  Returns the
 * merged size, 0 on an invalid `over` or a blob that does not walk cleanly
 * to its CRC.  One function for both passes so size and bytes cannot
 * disagree.
 */
static size_t
merge_walk(const uint8_t *buf, size_t len, const EwsBlobProp *over, size_t n,
		   uint8_t *out)
{
	EwsBlobIter it;
	EwsBlobProp bp;
	bool		have_bp;
	size_t		over_body;
	size_t		body = 0;
	uint64_t	count = 0;
	size_t		j = 0;
	uint8_t    *w = out ? out + EWS_BLOB_HEADER_SIZE : NULL;

	if (check_props(over, n, false, &over_body) != EWS_BLOB_OK)
		return 0;
	if (buf == NULL || len < EWS_BLOB_MIN_SIZE)
		return 0;

	ews_blob_iter_init(&it, buf, len);
	have_bp = ews_blob_iter_next(&it, &bp);
	while (have_bp || j < n)
	{
		const EwsBlobProp *emit;
		bool		from_blob = have_bp && (j >= n || bp.tag < over[j].tag);
		size_t		enc;

		emit = from_blob ? &bp : &over[j];
		enc = (size_t) 4 + (value_size(emit->tag) == 0 ? 4 : 0) + emit->len;
		if (body > SIZE_MAX - enc)
			return 0;
		body += enc;
		count++;
		if (w)
			w = put_prop(w, emit);

		if (from_blob)
			have_bp = ews_blob_iter_next(&it, &bp);
		else
		{
			/* the same tag in the blob: its value was replaced, so skip it */
			if (have_bp && bp.tag == over[j].tag)
				have_bp = ews_blob_iter_next(&it, &bp);
			j++;
		}
	}
	/* the iterator stops early on damage; a blob must be walked to its CRC */
	if (it.remaining != 0 || it.p != it.end)
		return 0;
	if (count > UINT32_MAX)
		return 0;

	if (w)
	{
		put_header(out, (uint32_t) count);
		put_crc(out, w);
	}
	return blob_size(body);
}

size_t
ews_blob_merged_size(const uint8_t *buf, size_t len, const EwsBlobProp *over, size_t n)
{
	return merge_walk(buf, len, over, n, NULL);
}

void
ews_blob_merge(const uint8_t *buf, size_t len, const EwsBlobProp *over, size_t n, uint8_t *out)
{
	/*
	 * Check first, write second: merged_size's walk refuses what merge would
	 * refuse, so out is never left half-written.
	 */
	if (out == NULL || merge_walk(buf, len, over, n, NULL) == 0)
		return;
	merge_walk(buf, len, over, n, out);
}
