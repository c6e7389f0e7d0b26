/*
 * blob.c
 *	  Reader, writer, merger and editor for the item blob, version 1, with
 *	  the 0.2 types (all fixed-size MAPI types, multi-valued forms) and the
 *	  named-property table.
 *
 * A blob arrives from clients (UploadItems) as untrusted bytes and is then
 * stored and exported verbatim, so the reader is the only gate: it checks
 * every byte before anything trusts any of them, and it never reads outside
 * [buf, buf+len) whatever the input.  Lengths and counts are compared
 * against what is left (end - offset, or what is left divided by the
 * smallest size a value can take) rather than by forming offset + length
 * or count * size, so no length or count near UINT32_MAX can wrap.
 *
 * The writer, the merger and the editor only produce blobs the reader
 * accepts: they make the same checks through the same functions.  Because
 * the format has one encoding per property set, re-encoding the properties
 * and names of a valid blob gives back the same bytes, and a merge leaves
 * every property it does not replace byte for byte as it was.
 *
 * c.h (PostgreSQL's portable base, frontend-safe, no backend code) is here
 * only for port/pg_crc32c.h: the CRC is PostgreSQL's, with the hardware
 * path (SSE 4.2, ARMv8 CRC) chosen as PostgreSQL chooses it.
 */
#include "c.h"

#include "port/pg_crc32c.h"

#include "blob.h"
#include "utf8.h"

#include <string.h>

static const uint8_t blob_magic[4] = {'E', 'W', 'S', 'B'};

/* a named-property entry: tag, GUID, kind, then LID or name length */
#define ENTRY_FIXED (4 + EWS_GUID_SIZE + 1 + 4)
#define ENTRY_KIND_AT (4 + EWS_GUID_SIZE)
/* a name of at most 126 UTF-16 units has at most 126 * 3 bytes of UTF-8 */
#define NAME_MAX_BYTES (EWS_BLOB_NAME_MAX_UTF16 * 3)

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

uint32_t
ews_blob_checksum(const uint8_t *buf, size_t len)
{
	pg_crc32c	crc;

	INIT_CRC32C(crc);
	COMP_CRC32C(crc, buf, len);
	FIN_CRC32C(crc);
	return (uint32_t) crc;
}

/*
 * Size of a single-valued fixed-size type's value; 0 for PT_UNICODE and
 * PT_BINARY (a uint32 length, then the bytes); -1 for anything else.
 */
static int
fixed_size(uint16_t type)
{
	switch (type)
	{
		case EWS_PT_BOOLEAN:
			return 1;
		case EWS_PT_SHORT:
			return 2;
		case EWS_PT_LONG:
		case EWS_PT_FLOAT:
		case EWS_PT_ERROR:
			return 4;
		case EWS_PT_DOUBLE:
		case EWS_PT_CURRENCY:
		case EWS_PT_APPTIME:
		case EWS_PT_I8:
		case EWS_PT_SYSTIME:
			return 8;
		case EWS_PT_CLSID:
			return 16;
		case EWS_PT_UNICODE:
		case EWS_PT_BINARY:
			return 0;
		default:
			return -1;
	}
}

/*
 * How a tag's value is laid out: > 0 that many bytes; VAR_SINGLE a uint32
 * length and the bytes; VAR_MV a uint32 count and the values (0x1000 | a
 * known single type); UNKNOWN for anything else.  Unknown types must be
 * refused, not skipped: without knowing the layout the next property
 * cannot be found.
 */
#define VAR_SINGLE 0
#define VAR_MV (-2)
#define UNKNOWN (-1)

static int
layout(uint32_t tag)
{
	uint16_t	type = EWS_PROP_TYPE(tag);

	if (type & EWS_PT_MV)
		return fixed_size((uint16_t) (type & ~EWS_PT_MV)) >= 0 ? VAR_MV : UNKNOWN;
	return fixed_size(type);
}

/*
 * The content rules of one single value whose bytes are in bounds:
 * booleans 0 or 1, strings UTF-8 (utf8.h: no NUL, no surrogates, no
 * overlongs).  On failure *bad is the offset in v.
 */
static EwsBlobStatus
check_value(uint16_t type, const uint8_t *v, size_t vlen, size_t *bad)
{
	if (type == EWS_PT_BOOLEAN && v[0] > 1)
	{
		*bad = 0;
		return EWS_BLOB_BAD_BOOLEAN;
	}
	if (type == EWS_PT_UNICODE)
	{
		size_t		ok = ews_utf8_valid_prefix(v, vlen);

		if (ok != vlen)
		{
			*bad = ok;
			return EWS_BLOB_BAD_UTF8;
		}
	}
	return EWS_BLOB_OK;
}

/*
 * A multi-valued value at v with avail bytes available: the uint32 count
 * must fit (every value takes its fixed size, or at least its 4-byte
 * length), then each value in its single-valued form.  With content, also
 * the booleans and the UTF-8 of each value.  On success *used is its size
 * (4 + the values); on failure *bad is the offset in v.
 */
static EwsBlobStatus
check_mv(uint16_t base, const uint8_t *v, size_t avail, bool content, size_t *used, size_t *bad)
{
	int			size = fixed_size(base);
	uint32_t	count;
	size_t		off = 4;

	if (avail < 4)
	{
		*bad = 0;
		return EWS_BLOB_TRUNCATED;
	}
	count = ews_le32(v);
	if (size > 0)
	{
		if (count > (avail - 4) / (size_t) size)
		{
			*bad = 0;
			return EWS_BLOB_MV_COUNT;
		}
		if (content && base == EWS_PT_BOOLEAN)
		{
			for (uint32_t i = 0; i < count; i++)
			{
				if (v[4 + i] > 1)
				{
					*bad = 4 + (size_t) i;
					return EWS_BLOB_BAD_BOOLEAN;
				}
			}
		}
		*used = 4 + (size_t) count * (size_t) size;
		if (*used > UINT32_MAX)
		{
			*bad = 0;
			return EWS_BLOB_MV_COUNT;	/* a value must fit EwsBlobProp's len */
		}
		return EWS_BLOB_OK;
	}

	if (count > (avail - 4) / 4)
	{
		*bad = 0;
		return EWS_BLOB_MV_COUNT;
	}
	for (uint32_t i = 0; i < count; i++)
	{
		size_t		l;

		if (avail - off < 4)
		{
			*bad = off;
			return EWS_BLOB_TRUNCATED;
		}
		l = ews_le32(v + off);
		if (avail - off - 4 < l)
		{
			*bad = off;
			return EWS_BLOB_TRUNCATED;
		}
		if (content)
		{
			size_t		b;
			EwsBlobStatus st = check_value(base, v + off + 4, l, &b);

			if (st != EWS_BLOB_OK)
			{
				*bad = off + 4 + b;
				return st;
			}
		}
		off += 4 + l;
		if (off > UINT32_MAX)
		{
			*bad = 0;
			return EWS_BLOB_MV_COUNT;
		}
	}
	*used = off;
	return EWS_BLOB_OK;
}

/*
 * The rules of a string name past its length check: at most 378 bytes (so
 * the UTF-16 count below stays cheap), no NUL, UTF-8, at most 126 UTF-16
 * code units (every character one, those above U+FFFF two: the 4-byte
 * ones).  On failure *bad is the offset in s, or SIZE_MAX for "the length
 * field".
 */
static EwsBlobStatus
check_name_string(const uint8_t *s, size_t n, size_t *bad)
{
	const uint8_t *nul;
	size_t		ok;
	size_t		units = 0;

	if (n > NAME_MAX_BYTES)
	{
		*bad = SIZE_MAX;
		return EWS_BLOB_NAME_TOO_LONG;
	}
	nul = memchr(s, 0, n);
	if (nul != NULL)
	{
		*bad = (size_t) (nul - s);
		return EWS_BLOB_NAME_NUL;
	}
	ok = ews_utf8_valid_prefix(s, n);
	if (ok != n)
	{
		*bad = ok;
		return EWS_BLOB_NAME_BAD_UTF8;
	}
	for (size_t i = 0; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			units += s[i] >= 0xF0 ? 2 : 1;
	}
	if (units > EWS_BLOB_NAME_MAX_UTF16)
	{
		*bad = SIZE_MAX;
		return EWS_BLOB_NAME_TOO_LONG;
	}
	return EWS_BLOB_OK;
}

/*
 * The encoded size of the table entry at p (left bytes available), or 0
 * when it does not fit or has a bad kind.  For walks over validated tables
 * that still must not read out of bounds.
 */
static size_t
entry_size(const uint8_t *p, size_t left)
{
	size_t		l;

	if (left < ENTRY_FIXED)
		return 0;
	if (p[ENTRY_KIND_AT] == EWS_NAME_KIND_ID)
		return ENTRY_FIXED;
	if (p[ENTRY_KIND_AT] != EWS_NAME_KIND_STRING)
		return 0;
	l = ews_le32(p + ENTRY_KIND_AT + 1);
	if (left - ENTRY_FIXED < l)
		return 0;
	return ENTRY_FIXED + l;
}

/* Decode the entry at p (entry_size said it fits) */
static void
read_entry(const uint8_t *p, EwsBlobName *name)
{
	name->tag = ews_le32(p);
	name->guid = p + 4;
	name->kind = p[ENTRY_KIND_AT];
	name->lid = 0;
	name->name_len = 0;
	name->name = NULL;
	if (name->kind == EWS_NAME_KIND_ID)
		name->lid = ews_le32(p + ENTRY_KIND_AT + 1);
	else
	{
		name->name_len = ews_le32(p + ENTRY_KIND_AT + 1);
		name->name = p + ENTRY_FIXED;
	}
}

/* Names compared by (GUID, kind, LID or name); 0 when they are the same name */
static int
name_cmp(const EwsBlobName *a, const EwsBlobName *b)
{
	int			c = memcmp(a->guid, b->guid, EWS_GUID_SIZE);

	if (c != 0)
		return c;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->kind == EWS_NAME_KIND_ID)
		return a->lid == b->lid ? 0 : a->lid < b->lid ? -1 : 1;
	if (a->name_len != b->name_len)
		return a->name_len < b->name_len ? -1 : 1;
	return a->name_len == 0 ? 0 : memcmp(a->name, b->name, a->name_len);
}

/*
 * Heapsort of n keys (offsets or indices) by cmp: O(n log n) whatever the
 * input, no recursion, no allocation.  Used to find duplicate names in up
 * to EWS_BLOB_MAX_NAMES entries; a quadratic scan would let one blob cost
 * tens of millions of comparisons.
 */
typedef int (*key_cmp_fn) (const void *ctx, uint32_t a, uint32_t b);

static void
sift_down(uint32_t *a, size_t root, size_t n, key_cmp_fn cmp, const void *ctx)
{
	for (;;)
	{
		size_t		child = 2 * root + 1;
		uint32_t	t;

		if (child >= n)
			return;
		if (child + 1 < n && cmp(ctx, a[child], a[child + 1]) < 0)
			child++;
		if (cmp(ctx, a[root], a[child]) >= 0)
			return;
		t = a[root];
		a[root] = a[child];
		a[child] = t;
		root = child;
	}
}

static void
heap_sort(uint32_t *a, size_t n, key_cmp_fn cmp, const void *ctx)
{
	if (n < 2)
		return;
	for (size_t i = n / 2; i-- > 0;)
		sift_down(a, i, n, cmp, ctx);
	for (size_t end = n - 1; end > 0; end--)
	{
		uint32_t	t = a[0];

		a[0] = a[end];
		a[end] = t;
		sift_down(a, 0, end, cmp, ctx);
	}
}

/* keys are entry offsets in a blob; ties by offset, so table order */
static int
offset_cmp(const void *ctx, uint32_t a, uint32_t b)
{
	const uint8_t *buf = ctx;
	EwsBlobName na,
				nb;
	int			c;

	read_entry(buf + a, &na);
	read_entry(buf + b, &nb);
	c = name_cmp(&na, &nb);
	if (c != 0)
		return c;
	return a == b ? 0 : a < b ? -1 : 1;
}

/* keys are indices into an EwsBlobName array; ties by index */
static int
index_cmp(const void *ctx, uint32_t a, uint32_t b)
{
	const EwsBlobName *names = ctx;
	int			c = name_cmp(&names[a], &names[b]);

	if (c != 0)
		return c;
	return a == b ? 0 : a < b ? -1 : 1;
}

/*
 * After sorting keys by (name, position): the first entry in table order
 * that repeats an earlier entry's name, as its key; false when none does.
 */
static bool
first_duplicate(const uint32_t *keys, size_t n, const void *ctx, bool by_offset, uint32_t *dup)
{
	bool		found = false;

	for (size_t i = 1; i < n; i++)
	{
		EwsBlobName a,
					b;
		int			same;

		if (by_offset)
		{
			read_entry((const uint8_t *) ctx + keys[i - 1], &a);
			read_entry((const uint8_t *) ctx + keys[i], &b);
			same = name_cmp(&a, &b) == 0;
		}
		else
			same = name_cmp(&((const EwsBlobName *) ctx)[keys[i - 1]],
							&((const EwsBlobName *) ctx)[keys[i]]) == 0;
		if (same && (!found || keys[i] < *dup))
		{
			*dup = keys[i];
			found = true;
		}
	}
	return found;
}

/*
 * The named-property table of an untrusted blob, at off (just after the
 * header), checked entry by entry, then for duplicate names.  On success
 * *end is the first byte after it and *count its entries.
 */
static EwsBlobStatus
check_names(const uint8_t *buf, size_t body_end, size_t off, size_t *end,
			uint32_t *count, size_t *fail_at)
{
	uint32_t	m;
	uint32_t	prev_tag = 0;
	size_t		first = off + 4;
	uint32_t	offsets[EWS_BLOB_MAX_NAMES];
	uint32_t	dup;

	if (body_end - off < 4)
	{
		*fail_at = off;
		return EWS_BLOB_NAME_TRUNCATED;
	}
	m = ews_le32(buf + off);
	/* the flag says there are named properties: an empty table is not canonical */
	if (m == 0)
	{
		*fail_at = off;
		return EWS_BLOB_NAMES_EMPTY;
	}
	if (m > EWS_BLOB_MAX_NAMES || m > (body_end - first) / ENTRY_FIXED)
	{
		*fail_at = off;
		return EWS_BLOB_NAMES_COUNT;
	}

	off = first;
	for (uint32_t i = 0; i < m; i++)
	{
		uint32_t	tag;
		uint8_t		kind;
		size_t		l;

		if (body_end - off < 4)
		{
			*fail_at = off;
			return EWS_BLOB_NAME_TRUNCATED;
		}
		tag = ews_le32(buf + off);
		if (!EWS_PROP_IS_NAMED(tag))
		{
			*fail_at = off;
			return EWS_BLOB_NAME_TAG_LOW;
		}
		/*
		 * One entry per property id: MAPI maps ids to names, whatever the
		 * type.  Sorted by tag, so lookups merge with the properties.
		 */
		if (i > 0 && EWS_PROP_ID(tag) == EWS_PROP_ID(prev_tag))
		{
			*fail_at = off;
			return EWS_BLOB_NAME_DUP_TAG;
		}
		if (i > 0 && tag < prev_tag)
		{
			*fail_at = off;
			return EWS_BLOB_NAME_ORDER;
		}
		if (body_end - off - 4 < EWS_GUID_SIZE)
		{
			*fail_at = off + 4;
			return EWS_BLOB_NAME_TRUNCATED;
		}
		if (body_end - off - 4 - EWS_GUID_SIZE < 1)
		{
			*fail_at = off + ENTRY_KIND_AT;
			return EWS_BLOB_NAME_TRUNCATED;
		}
		kind = buf[off + ENTRY_KIND_AT];
		if (kind != EWS_NAME_KIND_ID && kind != EWS_NAME_KIND_STRING)
		{
			*fail_at = off + ENTRY_KIND_AT;
			return EWS_BLOB_NAME_BAD_KIND;
		}
		if (body_end - off - ENTRY_KIND_AT - 1 < 4)
		{
			*fail_at = off + ENTRY_KIND_AT + 1;
			return EWS_BLOB_NAME_TRUNCATED;
		}
		l = 0;
		if (kind == EWS_NAME_KIND_STRING)
		{
			size_t		bad;
			EwsBlobStatus st;

			l = ews_le32(buf + off + ENTRY_KIND_AT + 1);
			if (l == 0)
			{
				*fail_at = off + ENTRY_KIND_AT + 1;
				return EWS_BLOB_NAME_EMPTY;
			}
			if (body_end - off - ENTRY_FIXED < l)
			{
				*fail_at = off + ENTRY_KIND_AT + 1;
				return EWS_BLOB_NAME_TRUNCATED;
			}
			st = check_name_string(buf + off + ENTRY_FIXED, l, &bad);
			if (st != EWS_BLOB_OK)
			{
				*fail_at = bad == SIZE_MAX ? off + ENTRY_KIND_AT + 1 : off + ENTRY_FIXED + bad;
				return st;
			}
		}
		offsets[i] = (uint32_t) off;
		prev_tag = tag;
		off += ENTRY_FIXED + l;
	}

	/*
	 * Each name at most once.  The entries are sorted by tag, not by name,
	 * so sort their offsets by name (on the stack: at most 32 KiB).  Blob
	 * offsets fit in 32 bits here: the table lies within the first
	 * EWS_BLOB_MAX_NAMES * (25 + 378) bytes.
	 */
	heap_sort(offsets, m, offset_cmp, buf);
	if (first_duplicate(offsets, m, buf, true, &dup))
	{
		*fail_at = dup;
		return EWS_BLOB_NAME_DUP;
	}
	*end = off;
	*count = m;
	return EWS_BLOB_OK;
}

/*
 * The reader.  stored: the blob is one the store holds, and may be a 0.1
 * blob (flags 0) with property ids of 0x8000 and up, which 0.1 kept as
 * plain tags; they are accepted there, without names.
 */
static EwsBlobStatus
validate(const uint8_t *buf, size_t len, size_t max_size, bool stored,
		 uint32_t *nprops, size_t *err_offset)
{
	size_t		off;
	size_t		body_end;
	uint32_t	count;
	uint16_t	flags;
	uint32_t	prev_tag = 0;
	bool		have_class = false;
	size_t		class_off = 0;	/* where the message class would have to be */
	bool		class_off_set = false;
	size_t		entry = 0;		/* the next table entry to match */
	uint32_t	entries_left = 0;
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
	flags = ews_le16(buf + 6);
	if ((flags & ~EWS_BLOB_FLAG_NAMES) != 0)
	{
		fail_at = 6;
		st = EWS_BLOB_BAD_FLAGS;
		goto fail;
	}
	count = ews_le32(buf + 8);

	/* body_end excludes the CRC, so anything that reaches into it is truncated */
	body_end = len - EWS_BLOB_CRC_SIZE;
	off = EWS_BLOB_HEADER_SIZE;
	if (flags & EWS_BLOB_FLAG_NAMES)
	{
		size_t		table_end;

		st = check_names(buf, body_end, off, &table_end, &entries_left, &fail_at);
		if (st != EWS_BLOB_OK)
			goto fail;
		entry = off + 4;
		off = table_end;
	}

	/*
	 * Walk the properties.  The count is untrusted too, but every property
	 * takes at least 5 bytes, so a huge count just runs into the end: the
	 * walk is bounded by len, not by count.
	 */
	for (uint32_t i = 0; i < count; i++)
	{
		uint32_t	tag;
		int			lay;
		size_t		voff;
		size_t		vlen;
		size_t		bad;

		if (body_end - off < 4)
		{
			fail_at = off;
			st = EWS_BLOB_TRUNCATED;
			goto fail;
		}
		tag = ews_le32(buf + off);
		lay = layout(tag);
		if (lay == UNKNOWN)
		{
			fail_at = off;
			st = EWS_BLOB_BAD_TYPE;
			goto fail;
		}
		voff = off + 4;
		if (lay > 0)
		{
			vlen = (size_t) lay;
			if (body_end - voff < vlen)
			{
				fail_at = voff;
				st = EWS_BLOB_TRUNCATED;
				goto fail;
			}
			st = check_value(EWS_PROP_TYPE(tag), buf + voff, vlen, &bad);
		}
		else if (lay == VAR_SINGLE)
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
			st = check_value(EWS_PROP_TYPE(tag), buf + voff, vlen, &bad);
		}
		else
			st = check_mv((uint16_t) (EWS_PROP_TYPE(tag) & ~EWS_PT_MV), buf + voff,
						  body_end - voff, true, &vlen, &bad);
		if (st != EWS_BLOB_OK)
		{
			fail_at = voff + bad;
			goto fail;
		}

		/* strictly ascending: one encoding per set, and lookups can stop early */
		if (i > 0 && tag <= prev_tag)
		{
			fail_at = off;
			st = EWS_BLOB_TAG_ORDER;
			goto fail;
		}

		/*
		 * A named property has its entry, with the same tag.  Both lists
		 * ascend, so one pass matches them: an entry passed over is one no
		 * property uses.
		 */
		if (EWS_PROP_IS_NAMED(tag) && !(stored && (flags & EWS_BLOB_FLAG_NAMES) == 0))
		{
			if (entries_left > 0 && ews_le32(buf + entry) < tag)
			{
				fail_at = entry;
				st = EWS_BLOB_NAME_UNUSED;
				goto fail;
			}
			if (entries_left == 0 || ews_le32(buf + entry) != tag)
			{
				fail_at = off;
				st = EWS_BLOB_NAME_MISSING;
				goto fail;
			}
			entry += entry_size(buf + entry, body_end - entry);
			entries_left--;
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
	if (entries_left > 0)
	{
		fail_at = entry;
		st = EWS_BLOB_NAME_UNUSED;
		goto fail;
	}
	if (ews_blob_checksum(buf, body_end) != ews_le32(buf + body_end))
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

EwsBlobStatus
ews_blob_validate(const uint8_t *buf, size_t len, size_t max_size,
				  uint32_t *nprops, size_t *err_offset)
{
	return validate(buf, len, max_size, false, nprops, err_offset);
}

EwsBlobStatus
ews_blob_validate_stored(const uint8_t *buf, size_t len, uint32_t *nprops, size_t *err_offset)
{
	return validate(buf, len, 0, true, nprops, err_offset);
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
		case EWS_BLOB_MV_COUNT:
			return "multi-valued property count does not fit in the blob";
		case EWS_BLOB_NAMES_EMPTY:
			return "named-property table is flagged but empty";
		case EWS_BLOB_NAMES_COUNT:
			return "named-property count does not fit in the blob or exceeds 8192";
		case EWS_BLOB_NAME_TRUNCATED:
			return "named-property entry runs past the end of the blob";
		case EWS_BLOB_NAME_TAG_LOW:
			return "named-property entry has a property id below 0x8000";
		case EWS_BLOB_NAME_ORDER:
			return "named-property entries not in ascending tag order";
		case EWS_BLOB_NAME_DUP_TAG:
			return "two named-property entries for one property id";
		case EWS_BLOB_NAME_BAD_KIND:
			return "named-property kind is neither 0 (numeric) nor 1 (string)";
		case EWS_BLOB_NAME_EMPTY:
			return "named-property name is empty";
		case EWS_BLOB_NAME_TOO_LONG:
			return "named-property name is longer than 126 UTF-16 code units";
		case EWS_BLOB_NAME_NUL:
			return "named-property name contains a NUL byte";
		case EWS_BLOB_NAME_BAD_UTF8:
			return "named-property name is not valid UTF-8";
		case EWS_BLOB_NAME_DUP:
			return "the same name twice in the named-property table";
		case EWS_BLOB_NAME_UNUSED:
			return "named-property entry that no property uses";
		case EWS_BLOB_NAME_MISSING:
			return "named property (id 0x8000 or above) without a named-property entry";
	}
	return "unknown blob status";
}

/*
 * Where the properties of a blob start: after the header, or after the
 * named-property table when flag bit 0 is set.  *table (may be NULL) gets
 * the table's first entry and *m its count.  false when the table does not
 * walk cleanly (so the caller stops rather than read garbage).
 */
static bool
locate(const uint8_t *buf, size_t len, const uint8_t **table, uint32_t *m,
	   const uint8_t **props)
{
	const uint8_t *end;
	const uint8_t *p;
	uint32_t	count;

	if (buf == NULL || len < EWS_BLOB_MIN_SIZE)
		return false;
	end = buf + len - EWS_BLOB_CRC_SIZE;
	p = buf + EWS_BLOB_HEADER_SIZE;
	if ((ews_le16(buf + 6) & EWS_BLOB_FLAG_NAMES) == 0)
	{
		if (table)
			*table = p;
		*m = 0;
		*props = p;
		return true;
	}
	if (end - p < 4)
		return false;
	count = ews_le32(p);
	p += 4;
	if (table)
		*table = p;
	*m = count;
	if (count > EWS_BLOB_MAX_NAMES)
		return false;
	for (uint32_t i = 0; i < count; i++)
	{
		size_t		es = entry_size(p, (size_t) (end - p));

		if (es == 0)
			return false;
		p += es;
	}
	*props = p;
	return true;
}

void
ews_blob_iter_init(EwsBlobIter *it, const uint8_t *buf, size_t len)
{
	const uint8_t *props;
	uint32_t	m;

	it->bad = false;
	if (buf == NULL || len < EWS_BLOB_MIN_SIZE)
	{
		it->p = it->end = buf;
		it->remaining = 0;
		it->bad = buf != NULL && len > 0;
		return;
	}
	it->end = buf + len - EWS_BLOB_CRC_SIZE;
	it->remaining = ews_le32(buf + 8);
	if (!locate(buf, len, NULL, &m, &props))
	{
		it->p = it->end;
		it->bad = true;
		return;
	}
	it->p = props;
}

/*
 * The value of a tag's layout at v (left bytes available): *skip bytes of
 * length field, then *vlen bytes of value (for multi-valued types the
 * count and the values, structure checked, content not).  false when it
 * does not fit.
 */
static bool
value_span(uint32_t tag, const uint8_t *v, size_t left, size_t *skip, size_t *vlen)
{
	int			lay = layout(tag);
	size_t		bad;

	if (lay == UNKNOWN)
		return false;
	if (lay > 0)
	{
		if (left < (size_t) lay)
			return false;
		*skip = 0;
		*vlen = (size_t) lay;
		return true;
	}
	if (lay == VAR_SINGLE)
	{
		if (left < 4)
			return false;
		*vlen = ews_le32(v);
		if (left - 4 < *vlen)
			return false;
		*skip = 4;
		return true;
	}
	*skip = 0;
	return check_mv((uint16_t) (EWS_PROP_TYPE(tag) & ~EWS_PT_MV), v, left, false, vlen, &bad) ==
		EWS_BLOB_OK;
}

bool
ews_blob_iter_next(EwsBlobIter *it, EwsBlobProp *prop)
{
	size_t		left;
	uint32_t	tag;
	size_t		skip,
				vlen;

	if (it->remaining == 0 || it->bad)
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
	if (!value_span(tag, it->p + 4, left - 4, &skip, &vlen))
		goto stop;
	prop->tag = tag;
	prop->len = (uint32_t) vlen;
	prop->value = it->p + 4 + skip;
	it->p = prop->value + vlen;
	it->remaining--;
	return true;

stop:
	it->p = it->end;
	it->bad = true;
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

void
ews_blob_names_init(EwsBlobNameIter *it, const uint8_t *buf, size_t len)
{
	const uint8_t *table;
	const uint8_t *props;
	uint32_t	m;

	it->bad = false;
	it->remaining = 0;
	it->p = it->end = buf;
	if (!locate(buf, len, &table, &m, &props))
	{
		it->bad = buf != NULL && len > 0;
		return;
	}
	it->p = table;
	it->end = props;
	it->remaining = m;
}

bool
ews_blob_names_next(EwsBlobNameIter *it, EwsBlobName *name)
{
	size_t		es;

	if (it->remaining == 0 || it->bad)
		return false;
	es = entry_size(it->p, (size_t) (it->end - it->p));
	if (es == 0)
	{
		it->bad = true;
		return false;
	}
	read_entry(it->p, name);
	it->p += es;
	it->remaining--;
	return true;
}

static bool
find_name(const uint8_t *buf, size_t len, const EwsBlobName *key, uint32_t *tag)
{
	EwsBlobNameIter it;
	EwsBlobName n;

	ews_blob_names_init(&it, buf, len);
	while (ews_blob_names_next(&it, &n))
	{
		if (name_cmp(&n, key) == 0)
		{
			if (tag)
				*tag = n.tag;
			return true;
		}
	}
	return false;
}

bool
ews_blob_find_named_id(const uint8_t *buf, size_t len, const uint8_t *guid,
					   uint32_t lid, uint32_t *tag)
{
	EwsBlobName key = {0, guid, EWS_NAME_KIND_ID, lid, 0, NULL};

	if (guid == NULL)
		return false;
	return find_name(buf, len, &key, tag);
}

bool
ews_blob_find_named_string(const uint8_t *buf, size_t len, const uint8_t *guid,
						   const uint8_t *name, size_t name_len, uint32_t *tag)
{
	EwsBlobName key = {0, guid, EWS_NAME_KIND_STRING, 0, (uint32_t) name_len, name};

	if (guid == NULL || name_len > NAME_MAX_BYTES || (name_len > 0 && name == NULL))
		return false;
	return find_name(buf, len, &key, tag);
}

bool
ews_blob_name_of(const uint8_t *buf, size_t len, uint32_t tag, EwsBlobName *name)
{
	EwsBlobNameIter it;
	EwsBlobName n;

	ews_blob_names_init(&it, buf, len);
	while (ews_blob_names_next(&it, &n))
	{
		if (n.tag == tag)
		{
			if (name)
				*name = n;
			return true;
		}
		if (n.tag > tag)
			break;
	}
	return false;
}

/* ---- GUIDs ---- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Text order is Data1-Data2-Data3-Data4[0..1]-Data4[2..7], each group
 * big-endian as written; MAPI stores Data1..3 little-endian.  pos[i] is
 * where byte i of the text order goes.
 */
static const uint8_t guid_pos[EWS_GUID_SIZE] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

bool
ews_guid_parse(const char *text, size_t len, uint8_t guid[EWS_GUID_SIZE])
{
	uint8_t		g[EWS_GUID_SIZE];
	size_t		t = 0;

	if (text == NULL || len != 36)
		return false;
	for (int i = 0; i < EWS_GUID_SIZE; i++)
	{
		int			hi,
					lo;

		if (t == 8 || t == 13 || t == 18 || t == 23)
		{
			if (text[t] != '-')
				return false;
			t++;
		}
		hi = hexval(text[t]);
		lo = hexval(text[t + 1]);
		if (hi < 0 || lo < 0)
			return false;
		g[guid_pos[i]] = (uint8_t) (hi << 4 | lo);
		t += 2;
	}
	memcpy(guid, g, EWS_GUID_SIZE);
	return true;
}

void
ews_guid_format(const uint8_t guid[EWS_GUID_SIZE], char text[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t		t = 0;

	for (int i = 0; i < EWS_GUID_SIZE; i++)
	{
		uint8_t		b = guid[guid_pos[i]];

		if (i == 4 || i == 6 || i == 8 || i == 10)
			text[t++] = '-';
		text[t++] = hex[b >> 4];
		text[t++] = hex[b & 15];
	}
	text[t] = '\0';
}

/* ---- multi-valued values ---- */

uint32_t
ews_blob_mv_count(const EwsBlobProp *prop)
{
	if (prop == NULL || !EWS_PROP_IS_MV(prop->tag) || prop->len < 4 || prop->value == NULL)
		return 0;
	return ews_le32(prop->value);
}

void
ews_blob_mv_init(EwsBlobMvIter *it, const EwsBlobProp *prop)
{
	it->remaining = ews_blob_mv_count(prop);
	it->tag = prop ? prop->tag & ~(uint32_t) EWS_PT_MV : 0;
	it->p = it->remaining ? prop->value + 4 : NULL;
	it->end = it->remaining ? prop->value + prop->len : NULL;
}

bool
ews_blob_mv_next(EwsBlobMvIter *it, EwsBlobProp *value)
{
	size_t		skip,
				vlen;

	if (it->remaining == 0)
		return false;
	if (!value_span(it->tag, it->p, (size_t) (it->end - it->p), &skip, &vlen))
		goto stop;
	value->tag = it->tag;
	value->len = (uint32_t) vlen;
	value->value = it->p + skip;
	it->p = value->value + vlen;
	it->remaining--;
	return true;

stop:
	it->remaining = 0;
	return false;
}

size_t
ews_blob_mv_size(uint16_t mv_type, const EwsBlobProp *values, size_t n)
{
	int			size;
	uint64_t	total = 4;

	if ((mv_type & EWS_PT_MV) == 0)
		return 0;
	size = fixed_size((uint16_t) (mv_type & ~EWS_PT_MV));
	if (size < 0 || n > UINT32_MAX || (n > 0 && values == NULL))
		return 0;
	for (size_t i = 0; i < n; i++)
	{
		if (size > 0 && values[i].len != (uint32_t) size)
			return 0;
		if (values[i].len > 0 && values[i].value == NULL)
			return 0;
		total += (size > 0 ? 0 : 4) + (uint64_t) values[i].len;
		if (total > UINT32_MAX)
			return 0;
	}
	return (size_t) total;
}

size_t
ews_blob_mv_encode(uint16_t mv_type, const EwsBlobProp *values, size_t n,
				   uint8_t *out, size_t outlen)
{
	size_t		size = ews_blob_mv_size(mv_type, values, n);
	bool		var = fixed_size((uint16_t) (mv_type & ~EWS_PT_MV)) == 0;
	uint8_t    *w = out;

	if (size == 0 || out == NULL || outlen < size)
		return 0;
	ews_put_le32(w, (uint32_t) n);
	w += 4;
	for (size_t i = 0; i < n; i++)
	{
		if (var)
		{
			ews_put_le32(w, values[i].len);
			w += 4;
		}
		if (values[i].len > 0)
			memcpy(w, values[i].value, values[i].len);
		w += values[i].len;
	}
	return size;
}

/* ---- the writer ---- */

/* The encoded size of one property: tag, length field if any, value */
static size_t
prop_size(const EwsBlobProp *p)
{
	return (size_t) 4 + (layout(p->tag) == VAR_SINGLE ? 4 : 0) + p->len;
}

/*
 * The writer's rules for one property list; the same checks the reader
 * makes, so the writer cannot produce a blob the reader would refuse.  On
 * success *body gets the encoded size of the properties (without header,
 * table and CRC), computed without overflow.
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
		int			lay = layout(p->tag);
		size_t		bad;
		size_t		enc;
		EwsBlobStatus st;

		if (lay == UNKNOWN)
			return EWS_BLOB_BAD_TYPE;
		if (lay > 0 && p->len != (uint32_t) lay)
			return EWS_BLOB_BAD_TYPE;
		if (p->len > 0 && p->value == NULL)
			return EWS_BLOB_BAD_TYPE;
		if (lay == VAR_MV)
		{
			size_t		used;

			if (p->len == 0)
				return EWS_BLOB_TRUNCATED;	/* not even a count */
			st = check_mv((uint16_t) (EWS_PROP_TYPE(p->tag) & ~EWS_PT_MV), p->value, p->len,
						  true, &used, &bad);
			if (st == EWS_BLOB_OK && used != p->len)
				st = EWS_BLOB_TRAILING_BYTES;
		}
		else
			st = p->len > 0 ? check_value(EWS_PROP_TYPE(p->tag), p->value, p->len, &bad) :
				EWS_BLOB_OK;
		if (st != EWS_BLOB_OK)
			return st;
		if (i > 0 && p->tag <= props[i - 1].tag)
			return EWS_BLOB_TAG_ORDER;
		if (p->tag == EWS_TAG_MESSAGE_CLASS)
			have_class = true;

		enc = prop_size(p);
		if (total > SIZE_MAX - enc)
			return EWS_BLOB_TOO_LARGE;
		total += enc;
	}
	if (need_class && !have_class)
		return EWS_BLOB_NO_MESSAGE_CLASS;
	*body = total;
	return EWS_BLOB_OK;
}

/*
 * The table's rules for a list of names (the reader's, in the same
 * order), and the match between names and named properties.  On success
 * *size gets the table's encoded size (0 for no names: no table).
 */
static EwsBlobStatus
check_name_list(const EwsBlobName *names, size_t m, size_t *size)
{
	size_t		total = 4;
	uint32_t	idx[EWS_BLOB_MAX_NAMES];
	uint32_t	dup;

	*size = 0;
	if (m == 0)
		return EWS_BLOB_OK;
	if (names == NULL)
		return EWS_BLOB_BAD_TYPE;
	if (m > EWS_BLOB_MAX_NAMES)
		return EWS_BLOB_NAMES_COUNT;
	for (size_t i = 0; i < m; i++)
	{
		const EwsBlobName *n = &names[i];

		if (!EWS_PROP_IS_NAMED(n->tag))
			return EWS_BLOB_NAME_TAG_LOW;
		if (i > 0 && EWS_PROP_ID(n->tag) == EWS_PROP_ID(names[i - 1].tag))
			return EWS_BLOB_NAME_DUP_TAG;
		if (i > 0 && n->tag < names[i - 1].tag)
			return EWS_BLOB_NAME_ORDER;
		if (n->guid == NULL)
			return EWS_BLOB_BAD_TYPE;
		if (n->kind != EWS_NAME_KIND_ID && n->kind != EWS_NAME_KIND_STRING)
			return EWS_BLOB_NAME_BAD_KIND;
		if (n->kind == EWS_NAME_KIND_STRING)
		{
			size_t		bad;
			EwsBlobStatus st;

			if (n->name_len == 0)
				return EWS_BLOB_NAME_EMPTY;
			if (n->name == NULL)
				return EWS_BLOB_BAD_TYPE;
			st = check_name_string(n->name, n->name_len, &bad);
			if (st != EWS_BLOB_OK)
				return st;
			total += n->name_len;
		}
		total += ENTRY_FIXED;
		idx[i] = (uint32_t) i;
	}
	heap_sort(idx, m, index_cmp, names);
	if (first_duplicate(idx, m, names, false, &dup))
		return EWS_BLOB_NAME_DUP;
	*size = total;
	return EWS_BLOB_OK;
}

/*
 * Every named property has its entry, every entry its property (both
 * sorted).  legacy: a 0.1 blob without names may keep named-range ids.
 */
static EwsBlobStatus
match_names(const EwsBlobProp *props, size_t n, const EwsBlobName *names, size_t m, bool legacy)
{
	size_t		j = 0;

	if (legacy && m == 0)
		return EWS_BLOB_OK;

	for (size_t i = 0; i < n; i++)
	{
		if (!EWS_PROP_IS_NAMED(props[i].tag))
			continue;
		if (j < m && names[j].tag < props[i].tag)
			return EWS_BLOB_NAME_UNUSED;
		if (j >= m || names[j].tag != props[i].tag)
			return EWS_BLOB_NAME_MISSING;
		j++;
	}
	return j < m ? EWS_BLOB_NAME_UNUSED : EWS_BLOB_OK;
}

/* All the writer's checks; *size the whole blob's size */
static EwsBlobStatus
check_all(const EwsBlobProp *props, size_t n, const EwsBlobName *names, size_t m, bool legacy,
		  size_t *size)
{
	size_t		table;
	size_t		body;
	EwsBlobStatus st;

	st = check_name_list(names, m, &table);
	if (st == EWS_BLOB_OK)
		st = check_props(props, n, true, &body);
	if (st == EWS_BLOB_OK)
		st = match_names(props, n, names, m, legacy);
	if (st != EWS_BLOB_OK)
		return st;
	if (body > SIZE_MAX - table - EWS_BLOB_MIN_SIZE)
		return EWS_BLOB_TOO_LARGE;
	*size = body + table + EWS_BLOB_MIN_SIZE;
	return EWS_BLOB_OK;
}

static uint8_t *
put_header(uint8_t *out, uint32_t count, bool names)
{
	memcpy(out, blob_magic, 4);
	ews_put_le16(out + 4, EWS_BLOB_VERSION);
	ews_put_le16(out + 6, names ? EWS_BLOB_FLAG_NAMES : 0);
	ews_put_le32(out + 8, count);
	return out + EWS_BLOB_HEADER_SIZE;
}

static uint8_t *
put_names(uint8_t *out, const EwsBlobName *names, size_t m)
{
	ews_put_le32(out, (uint32_t) m);
	out += 4;
	for (size_t i = 0; i < m; i++)
	{
		ews_put_le32(out, names[i].tag);
		memcpy(out + 4, names[i].guid, EWS_GUID_SIZE);
		out[ENTRY_KIND_AT] = names[i].kind;
		if (names[i].kind == EWS_NAME_KIND_ID)
			ews_put_le32(out + ENTRY_KIND_AT + 1, names[i].lid);
		else
		{
			ews_put_le32(out + ENTRY_KIND_AT + 1, names[i].name_len);
			memcpy(out + ENTRY_FIXED, names[i].name, names[i].name_len);
		}
		out += ENTRY_FIXED + (names[i].kind == EWS_NAME_KIND_ID ? 0 : names[i].name_len);
	}
	return out;
}

static uint8_t *
put_prop(uint8_t *out, const EwsBlobProp *p)
{
	ews_put_le32(out, p->tag);
	out += 4;
	if (layout(p->tag) == VAR_SINGLE)
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
	ews_put_le32(crc_at, ews_blob_checksum(start, (size_t) (crc_at - start)));
}

size_t
ews_blob_encoded_size_named(const EwsBlobProp *props, size_t n,
							const EwsBlobName *names, size_t m)
{
	size_t		size;

	if (check_all(props, n, names, m, false, &size) != EWS_BLOB_OK)
		return 0;
	return size;
}

/* Write what check_all accepted */
static void
encode_checked(const EwsBlobProp *props, size_t n, const EwsBlobName *names, size_t m, uint8_t *out)
{
	uint8_t    *w = put_header(out, (uint32_t) n, m > 0);

	if (m > 0)
		w = put_names(w, names, m);
	for (size_t i = 0; i < n; i++)
		w = put_prop(w, &props[i]);
	put_crc(out, w);
}

EwsBlobStatus
ews_blob_encode_named(const EwsBlobProp *props, size_t n,
					  const EwsBlobName *names, size_t m,
					  uint8_t *out, size_t outlen)
{
	size_t		size;
	EwsBlobStatus st;

	st = check_all(props, n, names, m, false, &size);
	if (st != EWS_BLOB_OK)
		return st;
	if (out == NULL || outlen < size)
		return EWS_BLOB_TOO_LARGE;
	encode_checked(props, n, names, m, out);
	return EWS_BLOB_OK;
}

size_t
ews_blob_encoded_size(const EwsBlobProp *props, size_t n)
{
	return ews_blob_encoded_size_named(props, n, NULL, 0);
}

EwsBlobStatus
ews_blob_encode(const EwsBlobProp *props, size_t n, uint8_t *out, size_t outlen)
{
	return ews_blob_encode_named(props, n, NULL, 0, out, outlen);
}

/*
 * Walk a blob's properties merged with `over`, calling emit for each output
 * property in tag order (or only counting when out is NULL); the header's
 * flags and the named-property table are copied as they are.  Returns the
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
	size_t		head;
	size_t		body = 0;
	uint64_t	count = 0;
	size_t		j = 0;
	const uint8_t *table;
	const uint8_t *props;
	uint32_t	m;
	uint8_t    *w;

	if (check_props(over, n, false, &over_body) != EWS_BLOB_OK)
		return 0;
	if (!locate(buf, len, &table, &m, &props))
		return 0;
	/* a named property of `over` must be one the table names, with this type */
	for (size_t k = 0; k < n; k++)
	{
		if (EWS_PROP_IS_NAMED(over[k].tag) && !ews_blob_name_of(buf, len, over[k].tag, NULL))
			return 0;
	}
	head = (size_t) (props - buf);	/* header and table */
	w = out ? out + head : NULL;

	ews_blob_iter_init(&it, buf, len);
	have_bp = ews_blob_iter_next(&it, &bp);
	while (have_bp || j < n)
	{
		const EwsBlobProp *emit;
		bool		from_blob = have_bp && (j >= n || bp.tag < over[j].tag);
		size_t		enc;

		emit = from_blob ? &bp : &over[j];
		enc = prop_size(emit);
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
	if (it.bad || it.remaining != 0 || it.p != it.end)
		return 0;
	if (count > UINT32_MAX)
		return 0;
	if (body > SIZE_MAX - head - EWS_BLOB_CRC_SIZE)
		return 0;

	if (w)
	{
		memcpy(out, buf, head);
		ews_put_le32(out + 8, (uint32_t) count);
		put_crc(out, w);
	}
	return head + body + EWS_BLOB_CRC_SIZE;
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

/* ---- the editor ---- */

/* Position of tag in sorted props[0..n): found, or where it would go */
static size_t
prop_pos(const EwsBlobProp *props, size_t n, uint32_t tag, bool *found)
{
	size_t		lo = 0,
				hi = n;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (props[mid].tag < tag)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < n && props[lo].tag == tag;
	return lo;
}

/* Whether a property of sorted props[0..n) has tag's property id */
static bool
id_in_props(const EwsBlobProp *props, size_t n, uint32_t tag)
{
	bool		found;
	size_t		at = prop_pos(props, n, EWS_PROP_TAG(EWS_PROP_ID(tag), 0), &found);

	return at < n && EWS_PROP_ID(props[at].tag) == EWS_PROP_ID(tag);
}

/* Set (insert or replace) in a sorted array with room for one more */
static void
prop_set(EwsBlobProp *props, size_t *n, const EwsBlobProp *p)
{
	bool		found;
	size_t		at = prop_pos(props, *n, p->tag, &found);

	if (!found)
	{
		memmove(&props[at + 1], &props[at], (*n - at) * sizeof(EwsBlobProp));
		(*n)++;
	}
	props[at] = *p;
}

static bool
prop_remove(EwsBlobProp *props, size_t *n, uint32_t tag)
{
	bool		found;
	size_t		at = prop_pos(props, *n, tag, &found);

	if (!found)
		return false;
	memmove(&props[at], &props[at + 1], (*n - at - 1) * sizeof(EwsBlobProp));
	(*n)--;
	return true;
}

/* The entry of the exact local tag in sorted names[0..m), or -1 */
static long
name_by_tag(const EwsBlobName *names, size_t m, uint32_t tag)
{
	size_t		lo = 0,
				hi = m;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (names[mid].tag < tag)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m && names[lo].tag == tag ? (long) lo : -1;
}

static void
name_remove(EwsBlobName *names, size_t *m, size_t at)
{
	memmove(&names[at], &names[at + 1], (*m - at - 1) * sizeof(EwsBlobName));
	(*m)--;
}

/* Insert keeping names sorted by tag (the id is new, so not present) */
static void
name_insert(EwsBlobName *names, size_t *m, const EwsBlobName *n)
{
	size_t		at = *m;

	while (at > 0 && names[at - 1].tag > n->tag)
		at--;
	memmove(&names[at + 1], &names[at], (*m - at) * sizeof(EwsBlobName));
	names[at] = *n;
	(*m)++;
}

/* ids from 0x8000 up in use, one bit each */
#define ID_WORDS ((0x10000 - EWS_PROP_ID_NAMED_MIN) / 64)

static void
id_mark(uint64_t *used, uint32_t tag, bool on)
{
	uint32_t	k = EWS_PROP_ID(tag) - EWS_PROP_ID_NAMED_MIN;

	if (on)
		used[k / 64] |= (uint64_t) 1 << (k % 64);
	else
		used[k / 64] &= ~((uint64_t) 1 << (k % 64));
}

/* The lowest free id from 0x8000 up, or 0 when all are taken */
static uint16_t
id_lowest_free(const uint64_t *used)
{
	for (uint32_t w = 0; w < ID_WORDS; w++)
	{
		if (used[w] != UINT64_MAX)
		{
			uint32_t	b = 0;

			while (used[w] & ((uint64_t) 1 << b))
				b++;
			return (uint16_t) (EWS_PROP_ID_NAMED_MIN + w * 64 + b);
		}
	}
	return 0;
}

EwsBlobStatus
ews_blob_edit(const uint8_t *buf, size_t len,
			  const EwsBlobEdit *edits, size_t n,
			  ews_blob_alloc_fn alloc, void *ctx,
			  uint8_t **out, size_t *outlen, uint32_t *tags)
{
	const uint8_t *table;
	const uint8_t *start;
	uint32_t	m0;
	uint32_t	count;
	size_t		nsets = 0;
	EwsBlobProp *props;
	size_t		np = 0;
	EwsBlobName *names;
	size_t		nn = 0;
	uint64_t	used[ID_WORDS];
	EwsBlobIter it;
	EwsBlobNameIter nit;
	size_t		size;
	uint8_t    *res;
	EwsBlobStatus st;

	if (out == NULL || outlen == NULL || alloc == NULL || (n > 0 && edits == NULL))
		return EWS_BLOB_BAD_TYPE;
	*out = NULL;
	*outlen = 0;
	if (!locate(buf, len, &table, &m0, &start))
		return EWS_BLOB_TRUNCATED;

	/*
	 * Room for what is there and what the edits may add.  Every property
	 * takes at least 5 bytes, so the untrusted count cannot ask for more
	 * than the blob could hold.
	 */
	count = ews_le32(buf + 8);
	if (count > (len - EWS_BLOB_MIN_SIZE) / 5)
		return EWS_BLOB_TRUNCATED;
	for (size_t i = 0; i < n; i++)
	{
		if (edits[i].op == EWS_BLOB_SET)
			nsets++;
		else if (edits[i].op != EWS_BLOB_DELETE)
			return EWS_BLOB_BAD_TYPE;
		if (edits[i].name != NULL &&
			(edits[i].name->guid == NULL ||
			 (edits[i].name->kind == EWS_NAME_KIND_STRING && edits[i].name->name_len > 0 &&
			  edits[i].name->name == NULL)))
			return EWS_BLOB_BAD_TYPE;
	}
	props = alloc(ctx, ((size_t) count + nsets + 1) * sizeof(EwsBlobProp));
	names = alloc(ctx, ((size_t) m0 + nsets + 1) * sizeof(EwsBlobName));
	if (props == NULL || names == NULL)
		return EWS_BLOB_TOO_LARGE;

	ews_blob_iter_init(&it, buf, len);
	while (np < count && ews_blob_iter_next(&it, &props[np]))
		np++;
	if (it.bad || np != count || it.p != it.end)
		return EWS_BLOB_TRUNCATED;
	memset(used, 0, sizeof(used));
	/* ids in use: the table's, and a 0.1 blob's unnamed ones, which a new name must not take */
	for (size_t k = 0; k < np; k++)
		if (EWS_PROP_IS_NAMED(props[k].tag))
			id_mark(used, props[k].tag, true);
	ews_blob_names_init(&nit, buf, len);
	while (nn < m0 && ews_blob_names_next(&nit, &names[nn]))
	{
		if (EWS_PROP_IS_NAMED(names[nn].tag))
			id_mark(used, names[nn].tag, true);
		nn++;
	}
	if (nit.bad || nn != m0)
		return EWS_BLOB_TRUNCATED;

	for (size_t i = 0; i < n; i++)
	{
		const EwsBlobEdit *e = &edits[i];
		uint32_t	tag = 0;

		if (e->name != NULL)
		{
			long		at = -1;

			for (size_t k = 0; k < nn; k++)
			{
				if (name_cmp(&names[k], e->name) == 0)
				{
					at = (long) k;
					break;
				}
			}
			if (e->op == EWS_BLOB_SET)
			{
				EwsBlobProp p = e->prop;

				if (at >= 0)
				{
					/* the name keeps its id; a new type replaces the old value */
					tag = EWS_PROP_TAG(EWS_PROP_ID(names[at].tag), EWS_PROP_TYPE(p.tag));
					if (tag != names[at].tag)
					{
						prop_remove(props, &np, names[at].tag);
						names[at].tag = tag;	/* same id: the order holds */
					}
				}
				else
				{
					EwsBlobName nm = *e->name;
					uint16_t	id = id_lowest_free(used);

					if (id == 0 || nn >= EWS_BLOB_MAX_NAMES)
						return EWS_BLOB_NAMES_COUNT;
					tag = EWS_PROP_TAG(id, EWS_PROP_TYPE(p.tag));
					nm.tag = tag;
					name_insert(names, &nn, &nm);
					id_mark(used, tag, true);
				}
				p.tag = tag;
				prop_set(props, &np, &p);
			}
			else if (at >= 0)
			{
				tag = names[at].tag;
				prop_remove(props, &np, tag);
				id_mark(used, tag, false);
				name_remove(names, &nn, (size_t) at);
			}
		}
		else
		{
			long		at = EWS_PROP_IS_NAMED(e->prop.tag) ?
				name_by_tag(names, nn, e->prop.tag) : -1;

			if (e->op == EWS_BLOB_SET)
			{
				/* a named property needs its name: by tag only one the table has */
				if (EWS_PROP_IS_NAMED(e->prop.tag) && at < 0)
					return EWS_BLOB_NAME_MISSING;
				prop_set(props, &np, &e->prop);
				tag = e->prop.tag;
			}
			else
			{
				if (prop_remove(props, &np, e->prop.tag))
				{
					tag = e->prop.tag;
					/* an unnamed id of a 0.1 blob is free once no property has it */
					if (EWS_PROP_IS_NAMED(tag) && at < 0 && !id_in_props(props, np, tag))
						id_mark(used, tag, false);
				}
				if (at >= 0)
				{
					tag = e->prop.tag;
					id_mark(used, tag, false);
					name_remove(names, &nn, (size_t) at);
				}
			}
		}
		if (tags)
			tags[i] = tag;
	}

	/*
	 * The writer's checks decide: the result is a blob the reader takes, or
	 * nothing.  A 0.1 blob's unnamed named-range ids stay as they are (the
	 * store reads them with ews_blob_validate_stored) while no name is
	 * added.
	 */
	st = check_all(props, np, names, nn, m0 == 0, &size);
	if (st != EWS_BLOB_OK)
		return st;
	res = alloc(ctx, size);
	if (res == NULL)
		return EWS_BLOB_TOO_LARGE;
	encode_checked(props, np, names, nn, res);
	*out = res;
	*outlen = size;
	return EWS_BLOB_OK;
}
