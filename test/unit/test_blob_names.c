/*
 * test_blob_names.c
 *	  The named-property table of the item blob (header flag bit 0): round
 *	  trips and golden bytes, lookups by (GUID, LID), (GUID, name) and by
 *	  tag, every refusal of the reader with its offset (one test per check),
 *	  the writer refusing the same, 8192 entries, merges that keep the
 *	  table, GUID text, and ews_blob_edit (set, add with id allocation,
 *	  change of type, delete, in one re-encode).  Allocations of the editor
 *	  go through talloc and are freed at the end, so ASan and valgrind see
 *	  that the codec keeps none of its own.
 */
#include "blob.h"
#include "unit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- a byte builder for hand-made blobs ---- */

typedef struct Buf
{
	uint8_t		d[1 << 20];
	size_t		n;
} Buf;

static Buf	b;

static void
b_u8(uint8_t v)
{
	b.d[b.n++] = v;
}

static void
b_u32(uint32_t v)
{
	ews_put_le32(b.d + b.n, v);
	b.n += 4;
}

static void
b_bytes(const void *p, size_t len)
{
	memcpy(b.d + b.n, p, len);
	b.n += len;
}

/* header with flags and the table's count when flags has bit 0 */
static void
b_header(uint16_t flags, uint32_t nprops, uint32_t nnames)
{
	b.n = 0;
	b_bytes("EWSB\x01\x00", 6);
	ews_put_le16(b.d + 6, flags);
	b.n = 8;
	b_u32(nprops);
	if (flags & 1)
		b_u32(nnames);
}

static const uint8_t PS_PUBLIC_STRINGS[16] = {
	0x29, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46
};
static const uint8_t PSETID_COMMON[16] = {
	0x08, 0x20, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46
};

static void
b_entry_id(uint32_t tag, const uint8_t *guid, uint32_t lid)
{
	b_u32(tag);
	b_bytes(guid, 16);
	b_u8(0);
	b_u32(lid);
}

static void
b_entry_str(uint32_t tag, const uint8_t *guid, const char *name, size_t len)
{
	b_u32(tag);
	b_bytes(guid, 16);
	b_u8(1);
	b_u32((uint32_t) len);
	b_bytes(name, len);
}

static void
b_class(void)
{
	b_u32(EWS_TAG_MESSAGE_CLASS);
	b_u32(8);
	b_bytes("IPM.Note", 8);
}

static void
b_long(uint32_t tag, uint32_t v)
{
	b_u32(tag);
	b_u32(v);
}

static void
b_crc(void)
{
	b_u32(ews_blob_checksum(b.d, b.n));
}

static EwsBlobStatus
validate(size_t *off)
{
	*off = (size_t) -1;
	return ews_blob_validate(b.d, b.n, 0, NULL, off);
}

#define EXPECT(st, at, ...) \
	do { \
		size_t off_; \
		EwsBlobStatus got_ = validate(&off_); \
		CHECK(got_ == (st) && off_ == (size_t) (at), __VA_ARGS__); \
		if (got_ != (st) || off_ != (size_t) (at)) \
			printf("#   got status %d at %zu, want %d at %zu\n", got_, off_, (int) (st), (size_t) (at)); \
	} while (0)

/* ---- an allocator that records what it hands out ---- */

static void **ptrs;
static size_t nptrs,
			capptrs;

static void *
talloc(void *ctx, size_t size)
{
	void	   *p = malloc(size ? size : 1);

	(void) ctx;
	if (p == NULL)
		abort();
	if (nptrs == capptrs)
	{
		capptrs = capptrs ? capptrs * 2 : 64;
		ptrs = realloc(ptrs, capptrs * sizeof(*ptrs));
		if (ptrs == NULL)
			abort();
	}
	ptrs[nptrs++] = p;
	return p;
}

static void
tfree_all(void)
{
	for (size_t i = 0; i < nptrs; i++)
		free(ptrs[i]);
	free(ptrs);
	ptrs = NULL;
	nptrs = capptrs = 0;
}

/* ---- round trip ---- */

static void
test_round_trip(void)
{
	static const char kw[] = "Keywords";
	static const char greek[] = "\xCE\xA9\xCE\xBC\xCE\xAD\xCE\xB3\xCE\xB1 \xF0\x9F\x8E\x89";
	uint8_t		cats[64];
	EwsBlobProp cv[2] = {{0, 4, (const uint8_t *) "blue"}, {0, 3, (const uint8_t *) "red"}};
	uint8_t		t1[4] = {1, 0, 0, 0};
	uint8_t		imp[4] = {2, 0, 0, 0};
	EwsBlobName names[3];
	EwsBlobProp props[5];
	static uint8_t out[1024],
				again[1024];
	size_t		size;
	uint32_t	tag = 0;
	EwsBlobName nm;
	EwsBlobNameIter nit;
	EwsBlobProp p;

	names[0] = (EwsBlobName) {0x8000000Bu, PSETID_COMMON, EWS_NAME_KIND_ID, 0x8570, 0, NULL};
	names[1] = (EwsBlobName) {0x8001101Fu, PS_PUBLIC_STRINGS, EWS_NAME_KIND_STRING, 0, 8, (const uint8_t *) kw};
	names[2] = (EwsBlobName) {0x80050003u, PS_PUBLIC_STRINGS, EWS_NAME_KIND_STRING, 0,
	(uint32_t) strlen(greek), (const uint8_t *) greek};
	props[0] = (EwsBlobProp) {0x00170003u, 4, imp};
	props[1] = (EwsBlobProp) {EWS_TAG_MESSAGE_CLASS, 8, (const uint8_t *) "IPM.Note"};
	props[2] = (EwsBlobProp) {0x8000000Bu, 1, t1};
	props[3] = (EwsBlobProp) {0x8001101Fu, (uint32_t) ews_blob_mv_encode(0x101F, cv, 2, cats, sizeof(cats)), cats};
	props[4] = (EwsBlobProp) {0x80050003u, 4, imp};

	size = ews_blob_encoded_size_named(props, 5, names, 3);
	CHECK_EQ_INT(size, 12 + 4 + 25 + (25 + 8) + (25 + strlen(greek)) + 8 + 16 + 5 + (4 + 4 + 8 + 7) + 8 + 4,
				 "encoded size with a table");
	CHECK_EQ_INT(ews_blob_encode_named(props, 5, names, 3, out, sizeof(out)), EWS_BLOB_OK, "encode with names");
	CHECK_EQ_INT(ews_blob_validate(out, size, 0, NULL, NULL), EWS_BLOB_OK, "and it validates");
	CHECK_EQ_INT(ews_le16(out + 6), 1, "flag bit 0 set");
	CHECK_EQ_INT(ews_le32(out + 12), 3, "table count");

	/* the table's bytes, entry by entry, as DESIGN.md lays them out */
	{
		static const uint8_t e0[] = {
			0x0B, 0x00, 0x00, 0x80, 0x08, 0x20, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
			0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46, 0x00, 0x70, 0x85, 0x00, 0x00
		};
		static const uint8_t e1[] = {
			0x1F, 0x10, 0x01, 0x80, 0x29, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
			0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46, 0x01, 0x08, 0x00, 0x00, 0x00,
			'K', 'e', 'y', 'w', 'o', 'r', 'd', 's'
		};

		CHECK_MEM(out + 16, e0, sizeof(e0), "numeric entry bytes");
		CHECK_MEM(out + 16 + 25, e1, sizeof(e1), "string entry bytes");
	}

	/* lookups */
	CHECK(ews_blob_find_named_id(out, size, PSETID_COMMON, 0x8570, &tag) && tag == 0x8000000Bu,
		  "find (PSETID_Common, 0x8570)");
	CHECK(ews_blob_find_named_string(out, size, PS_PUBLIC_STRINGS, (const uint8_t *) kw, 8, &tag) &&
		  tag == 0x8001101Fu, "find (PS_PUBLIC_STRINGS, Keywords)");
	CHECK(ews_blob_find_named_string(out, size, PS_PUBLIC_STRINGS, (const uint8_t *) greek, strlen(greek), &tag) &&
		  tag == 0x80050003u, "find a non-ASCII name");
	CHECK(!ews_blob_find_named_string(out, size, PS_PUBLIC_STRINGS, (const uint8_t *) "keywords", 8, NULL),
		  "names are compared byte for byte (case matters)");
	CHECK(!ews_blob_find_named_id(out, size, PS_PUBLIC_STRINGS, 0x8570, NULL), "the GUID is part of the name");
	CHECK(!ews_blob_find_named_string(out, size, PS_PUBLIC_STRINGS, (const uint8_t *) "Keyword", 7, NULL),
		  "a prefix is not the name");
	CHECK(ews_blob_name_of(out, size, 0x8001101Fu, &nm) && nm.kind == 1 && nm.name_len == 8 &&
		  memcmp(nm.name, kw, 8) == 0 && memcmp(nm.guid, PS_PUBLIC_STRINGS, 16) == 0, "name_of a tag");
	CHECK(!ews_blob_name_of(out, size, 0x80010003u, NULL), "name_of wants the exact tag");
	CHECK(ews_blob_find(out, size, 0x8001101Fu, &p) && ews_blob_mv_count(&p) == 2, "the named property's value");

	/* iterate names and properties, re-encode: the same bytes */
	{
		EwsBlobName gn[3];
		EwsBlobProp gp[5];
		EwsBlobIter it;
		size_t		k = 0;

		ews_blob_names_init(&nit, out, size);
		while (k < 3 && ews_blob_names_next(&nit, &gn[k]))
			k++;
		CHECK(k == 3 && !ews_blob_names_next(&nit, &nm) && !nit.bad, "three names iterated");
		ews_blob_iter_init(&it, out, size);
		for (k = 0; k < 5 && ews_blob_iter_next(&it, &gp[k]); k++)
			;
		CHECK(k == 5 && gp[0].tag == 0x00170003u && gp[4].tag == 0x80050003u, "the iterator skips the table");
		CHECK(ews_blob_encode_named(gp, 5, gn, 3, again, sizeof(again)) == EWS_BLOB_OK &&
			  memcmp(again, out, size) == 0, "re-encoding what was read gives the same bytes");
	}

	/* without named properties: flags 0 and the 0.1 bytes */
	{
		static const uint8_t v01[] = {
			'E', 'W', 'S', 'B', 1, 0, 0, 0, 1, 0, 0, 0,
			0x1F, 0x00, 0x1A, 0x00, 8, 0, 0, 0, 'I', 'P', 'M', '.', 'N', 'o', 't', 'e'
		};

		CHECK(ews_blob_encode_named(&props[1], 1, NULL, 0, again, sizeof(again)) == EWS_BLOB_OK &&
			  memcmp(again, v01, 28) == 0 && ews_le32(again + 28) == ews_blob_checksum(v01, 28),
			  "a blob without names is byte for byte a 0.1 blob");
		ews_blob_names_init(&nit, again, 32);
		CHECK(!ews_blob_names_next(&nit, &nm) && !nit.bad, "and has no names");
	}
}

/* ---- the reader's checks, one by one ---- */

/* a good blob: table {0x8001001F (PS_PUBLIC_STRINGS, "a")}, props class + 0x8001001F */
static void
good_blob(void)
{
	b_header(1, 2, 1);
	b_entry_str(0x8001001Fu, PS_PUBLIC_STRINGS, "a", 1);
	b_class();
	b_u32(0x8001001Fu);
	b_u32(1);
	b_u8('x');
	b_crc();
}

static void
test_reader(void)
{
	size_t		e1 = 16;		/* first entry */

	good_blob();
	EXPECT(EWS_BLOB_OK, (size_t) -1, "the good blob validates");

	/* flags */
	good_blob();
	ews_put_le16(b.d + 6, 3);
	EXPECT(EWS_BLOB_BAD_FLAGS, 6, "flags 3: bit 1 is reserved");
	ews_put_le16(b.d + 6, 0x8001);
	EXPECT(EWS_BLOB_BAD_FLAGS, 6, "flags 0x8001: bit 15 is reserved");

	/* the table's count */
	b_header(1, 0, 0);
	b.n -= 4;
	b_crc();
	EXPECT(EWS_BLOB_NAME_TRUNCATED, 12, "flag set, no room for the table's count");
	b_header(1, 1, 0);
	b_class();
	b_crc();
	EXPECT(EWS_BLOB_NAMES_EMPTY, 12, "flag set, count 0");
	b_header(1, 1, 2);
	b_entry_id(0x80010003u, PS_PUBLIC_STRINGS, 1);
	b_u32(0);
	b_crc();
	EXPECT(EWS_BLOB_NAMES_COUNT, 12, "count 2 with room for one entry");
	b_header(1, 1, 8193);
	for (int i = 0; i < 8193; i++)
		b_entry_id(EWS_PROP_TAG(0x8000 + i, 3), PS_PUBLIC_STRINGS, (uint32_t) i);
	b_crc();
	EXPECT(EWS_BLOB_NAMES_COUNT, 12, "count 8193, one more than allowed");
	b_header(1, 1, UINT32_MAX);
	b_class();
	b_crc();
	EXPECT(EWS_BLOB_NAMES_COUNT, 12, "count UINT32_MAX");

	/* entries that run past the end, at the field that does not fit */
	{
		/* entry 1: a name of 40 bytes; entry 2 gets r bytes before the CRC */
		static const struct
		{
			size_t		r;
			size_t		at;
			const char *what;
		}			cut[] = {
			{2, 0, "the tag"}, {10, 4, "the GUID"}, {20, 20, "the kind"}, {23, 21, "the LID"}
		};

		for (size_t i = 0; i < 4; i++)
		{
			size_t		e2;

			b_header(1, 0, 2);
			b_entry_str(0x8001001Fu, PS_PUBLIC_STRINGS, "0123456789012345678901234567890123456789", 40);
			e2 = b.n;
			b_u32(0x80020003u);
			b_bytes(PS_PUBLIC_STRINGS, 16);
			b_u8(0);
			b_u32(7);
			b.n = e2 + cut[i].r;
			b_crc();
			EXPECT(EWS_BLOB_NAME_TRUNCATED, e2 + cut[i].at, "second entry cut in %s", cut[i].what);
		}
	}
	b_header(1, 1, 1);
	b_entry_str(0x8001001Fu, PS_PUBLIC_STRINGS, "abc", 3);
	ews_put_le32(b.d + e1 + 21, 200);
	b_class();
	b_crc();
	EXPECT(EWS_BLOB_NAME_TRUNCATED, e1 + 21, "a name longer than the blob: at its length");
	ews_put_le32(b.d + e1 + 21, UINT32_MAX);
	ews_put_le32(b.d + b.n - 4, ews_blob_checksum(b.d, b.n - 4));
	EXPECT(EWS_BLOB_NAME_TRUNCATED, e1 + 21, "a name length of UINT32_MAX");

	/* tags */
	b_header(1, 2, 1);
	b_entry_id(0x7FFF0003u, PS_PUBLIC_STRINGS, 1);
	b_class();
	b_long(0x7FFF0003u, 1);
	b_crc();
	EXPECT(EWS_BLOB_NAME_TAG_LOW, e1, "an entry for id 0x7FFF");
	b_header(1, 3, 2);
	b_entry_id(0x80020003u, PS_PUBLIC_STRINGS, 2);
	b_entry_id(0x80010003u, PS_PUBLIC_STRINGS, 1);
	b_class();
	b_long(0x80010003u, 1);
	b_long(0x80020003u, 2);
	b_crc();
	EXPECT(EWS_BLOB_NAME_ORDER, e1 + 25, "entries 0x8002 then 0x8001");
	b_header(1, 2, 2);
	b_entry_id(0x80010003u, PS_PUBLIC_STRINGS, 1);
	b_entry_id(0x80010003u, PS_PUBLIC_STRINGS, 2);
	b_class();
	b_long(0x80010003u, 1);
	b_crc();
	EXPECT(EWS_BLOB_NAME_DUP_TAG, e1 + 25, "the same tag twice");
	b_header(1, 3, 2);
	b_entry_id(0x80010003u, PS_PUBLIC_STRINGS, 1);
	b_entry_id(0x8001001Fu, PS_PUBLIC_STRINGS, 2);
	b_class();
	b_long(0x80010003u, 1);
	b_u32(0x8001001Fu);
	b_u32(0);
	b_crc();
	EXPECT(EWS_BLOB_NAME_DUP_TAG, e1 + 25, "one id with two types: one name per id");

	/* kind */
	b_header(1, 2, 1);
	b_entry_id(0x80010003u, PS_PUBLIC_STRINGS, 1);
	b.d[e1 + 20] = 2;
	b_class();
	b_long(0x80010003u, 1);
	b_crc();
	EXPECT(EWS_BLOB_NAME_BAD_KIND, e1 + 20, "kind 2");
	b.d[e1 + 20] = 0xFF;
	ews_put_le32(b.d + b.n - 4, ews_blob_checksum(b.d, b.n - 4));
	EXPECT(EWS_BLOB_NAME_BAD_KIND, e1 + 20, "kind 0xFF (MAPI's 'no name')");

	/* names */
	b_header(1, 2, 1);
	b_entry_str(0x80010003u, PS_PUBLIC_STRINGS, "", 0);
	b_class();
	b_long(0x80010003u, 1);
	b_crc();
	EXPECT(EWS_BLOB_NAME_EMPTY, e1 + 21, "an empty name");
	b_header(1, 2, 1);
	b_entry_str(0x80010003u, PS_PUBLIC_STRINGS, "ab\0c", 4);
	b_class();
	b_long(0x80010003u, 1);
	b_crc();
	EXPECT(EWS_BLOB_NAME_NUL, e1 + 25 + 2, "a NUL in a name");
	b_header(1, 2, 1);
	b_entry_str(0x80010003u, PS_PUBLIC_STRINGS, "ab\xC3", 3);
	b_class();
	b_long(0x80010003u, 1);
	b_crc();
	EXPECT(EWS_BLOB_NAME_BAD_UTF8, e1 + 25 + 2, "a name cut inside a character");
	b_header(1, 2, 1);
	b_entry_str(0x80010003u, PS_PUBLIC_STRINGS, "x\xED\xA0\x80", 4);
	b_class();
	b_long(0x80010003u, 1);
	b_crc();
	EXPECT(EWS_BLOB_NAME_BAD_UTF8, e1 + 25 + 1, "a surrogate in a name");

	/* length: 126 UTF-16 units is the most, counted as MAPI counts them */
	{
		static char name[512];
		static const struct
		{
			const char *ch;
			size_t		reps;
			bool		ok;
			const char *what;
		}			lens[] = {
			{"a", 126, true, "126 ASCII characters"},
			{"a", 127, false, "127 ASCII characters"},
			{"\xE6\x97\xA5", 126, true, "126 3-byte characters (378 bytes)"},
			{"\xE6\x97\xA5", 127, false, "127 3-byte characters (381 bytes)"},
			{"\xF0\x9F\x8E\x89", 63, true, "63 4-byte characters (126 UTF-16 units)"},
			{"\xF0\x9F\x8E\x89", 64, false, "64 4-byte characters (128 UTF-16 units, 256 bytes)"},
			{"\xC3\xA9", 127, false, "127 2-byte characters (254 bytes)"},
		};

		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		{
			size_t		l = strlen(lens[i].ch),
						n = 0;

			for (size_t k = 0; k < lens[i].reps; k++, n += l)
				memcpy(name + n, lens[i].ch, l);
			b_header(1, 2, 1);
			b_entry_str(0x80010003u, PS_PUBLIC_STRINGS, name, n);
			b_class();
			b_long(0x80010003u, 1);
			b_crc();
			if (lens[i].ok)
				EXPECT(EWS_BLOB_OK, (size_t) -1, "name of %s accepted", lens[i].what);
			else
				EXPECT(EWS_BLOB_NAME_TOO_LONG, e1 + 21, "name of %s refused at its length", lens[i].what);
		}
	}

	/* duplicate names: numeric, string, the first repeat in table order */
	b_header(1, 3, 2);
	b_entry_id(0x80010003u, PS_PUBLIC_STRINGS, 7);
	b_entry_id(0x80020003u, PS_PUBLIC_STRINGS, 7);
	b_class();
	b_long(0x80010003u, 1);
	b_long(0x80020003u, 2);
	b_crc();
	EXPECT(EWS_BLOB_NAME_DUP, e1 + 25, "(GUID, LID 7) twice");
	b_header(1, 3, 2);
	b_entry_str(0x80010003u, PS_PUBLIC_STRINGS, "Keywords", 8);
	b_entry_str(0x80020003u, PS_PUBLIC_STRINGS, "Keywords", 8);
	b_class();
	b_long(0x80010003u, 1);
	b_long(0x80020003u, 2);
	b_crc();
	EXPECT(EWS_BLOB_NAME_DUP, e1 + 33, "(GUID, \"Keywords\") twice");
	b_header(1, 5, 4);
	b_entry_str(0x80010003u, PS_PUBLIC_STRINGS, "A", 1);
	b_entry_str(0x80020003u, PS_PUBLIC_STRINGS, "B", 1);
	b_entry_str(0x80030003u, PS_PUBLIC_STRINGS, "B", 1);
	b_entry_str(0x80040003u, PS_PUBLIC_STRINGS, "A", 1);
	b_class();
	b_long(0x80010003u, 1);
	b_long(0x80020003u, 2);
	b_long(0x80030003u, 3);
	b_long(0x80040003u, 4);
	b_crc();
	EXPECT(EWS_BLOB_NAME_DUP, e1 + 2 * 26, "A B B A: the first repeat is the second B");
	b_header(1, 5, 4);
	b_entry_id(0x80010003u, PS_PUBLIC_STRINGS, 7);
	b_entry_id(0x80020003u, PSETID_COMMON, 7);
	b_entry_str(0x80030003u, PS_PUBLIC_STRINGS, "Keywords", 8);
	b_entry_str(0x80040003u, PS_PUBLIC_STRINGS, "keywords", 8);
	b_class();
	b_long(0x80010003u, 1);
	b_long(0x80020003u, 2);
	b_long(0x80030003u, 3);
	b_long(0x80040003u, 4);
	b_crc();
	EXPECT(EWS_BLOB_OK, (size_t) -1, "same LID in two sets, names differing in case: four names");

	/* unused entries and named properties without an entry */
	b_header(1, 2, 2);
	b_entry_id(0x80010003u, PS_PUBLIC_STRINGS, 1);
	b_entry_id(0x80020003u, PS_PUBLIC_STRINGS, 2);
	b_class();
	b_long(0x80020003u, 2);
	b_crc();
	EXPECT(EWS_BLOB_NAME_UNUSED, e1, "an entry before the one used");
	b_header(1, 2, 2);
	b_entry_id(0x80010003u, PS_PUBLIC_STRINGS, 1);
	b_entry_id(0x80020003u, PS_PUBLIC_STRINGS, 2);
	b_class();
	b_long(0x80010003u, 1);
	b_crc();
	EXPECT(EWS_BLOB_NAME_UNUSED, e1 + 25, "an entry after the last property");
	b_header(1, 1, 1);
	b_entry_id(0x80010003u, PS_PUBLIC_STRINGS, 1);
	b_class();
	b_crc();
	EXPECT(EWS_BLOB_NAME_UNUSED, e1, "a table and no named property");
	b_header(1, 2, 1);
	b_entry_id(0x80010003u, PS_PUBLIC_STRINGS, 1);
	b_class();
	b_u32(0x8001001Fu);
	b_u32(0);
	b_crc();
	EXPECT(EWS_BLOB_NAME_UNUSED, e1, "the entry's type is not the property's");
	b_header(0, 2, 0);
	b_class();
	b_long(0x80010003u, 1);
	b_crc();
	EXPECT(EWS_BLOB_NAME_MISSING, 28, "a named property in a blob without a table");
	b_header(1, 3, 1);
	b_entry_id(0x80020003u, PS_PUBLIC_STRINGS, 2);
	b_class();
	b_long(0x80010003u, 1);
	b_long(0x80020003u, 2);
	b_crc();
	EXPECT(EWS_BLOB_NAME_MISSING, e1 + 25 + 16, "0x8001 has no entry, 0x8002 has");
	b_header(0, 2, 0);
	b_class();
	b_long(0xFFFF0003u, 1);
	b_crc();
	EXPECT(EWS_BLOB_NAME_MISSING, 28, "id 0xFFFF is in the named range too");

	/* the order of checks */
	b_header(1, 2, 1);
	b_entry_str(0x80010003u, PS_PUBLIC_STRINGS, "", 0);
	b_class();
	b_u32(0x0037001Fu);
	b_u32(1);
	b_u8(0xFF);
	b_u32(0);					/* wrong CRC */
	EXPECT(EWS_BLOB_NAME_EMPTY, e1 + 21, "the table is checked before the properties and the CRC");
	b_header(1, 2, 1);
	b_entry_id(0x80010003u, PS_PUBLIC_STRINGS, 1);
	b_class();
	b_long(0x80010003u, 1);
	b_u8(0);
	b_crc();
	EXPECT(EWS_BLOB_TRAILING_BYTES, b.n - 5, "trailing bytes before the names' use");
	b_header(1, 1, 1);
	b_entry_id(0x80010003u, PS_PUBLIC_STRINGS, 1);
	b_class();
	b_u32(0);
	EXPECT(EWS_BLOB_NAME_UNUSED, e1, "an unused entry before the CRC");
	good_blob();
	b.d[b.n - 5] = 'y';
	EXPECT(EWS_BLOB_BAD_CRC, b.n - 4, "the CRC covers the table (good blob, one byte changed)");
	good_blob();
	b.d[e1 + 25] = 'b';
	EXPECT(EWS_BLOB_BAD_CRC, b.n - 4, "the CRC covers the names");

	/* every status has its own text */
	{
		bool		ok = true;

		for (int s = EWS_BLOB_OK; s <= EWS_BLOB_STATUS_LAST; s++)
			for (int u = EWS_BLOB_OK; u < s; u++)
				if (strcmp(ews_blob_status_text((EwsBlobStatus) s), ews_blob_status_text((EwsBlobStatus) u)) == 0)
					ok = false;
		CHECK(ok, "every status, the 0.2 ones too, has a distinct text");
		CHECK(strcmp(ews_blob_status_text(EWS_BLOB_NAME_UNUSED), "named-property entry that no property uses") == 0,
			  "the unused-entry text");
	}
}

/* 8192 entries: duplicates found by sorting, whatever the names */
static void
test_many_names(void)
{
	static char names[8192][24];
	size_t		last = 0;

	b_header(1, 1 + 8192, 8192);
	for (int i = 0; i < 8192; i++)
	{
		/* long common prefixes, so comparisons go deep */
		int			l = snprintf(names[i], sizeof(names[i]), "common-prefix-%05d", (i * 7919) % 8192);

		if (i == 8191)
			last = b.n;
		b_entry_str(EWS_PROP_TAG(0x8000 + i, 3), PS_PUBLIC_STRINGS, names[i], (size_t) l);
	}
	b_class();
	for (int i = 0; i < 8192; i++)
		b_long(EWS_PROP_TAG(0x8000 + i, 3), (uint32_t) i);
	b_crc();
	EXPECT(EWS_BLOB_OK, (size_t) -1, "8192 distinct names accepted");
	{
		uint32_t	tag = 0;

		CHECK(ews_blob_find_named_string(b.d, b.n, PS_PUBLIC_STRINGS, (const uint8_t *) names[4000],
										 strlen(names[4000]), &tag) && tag == EWS_PROP_TAG(0x8000 + 4000, 3),
			  "and each is found by its name");
	}
	/* make the last one repeat the first */
	memcpy(b.d + last + 25, names[0], strlen(names[0]));
	ews_put_le32(b.d + b.n - 4, ews_blob_checksum(b.d, b.n - 4));
	EXPECT(EWS_BLOB_NAME_DUP, last, "a duplicate among 8192 names, at the later entry");
}

/* ---- the writer refuses what the reader refuses ---- */

static void
test_writer(void)
{
	uint8_t		one[4] = {1, 0, 0, 0};
	EwsBlobProp props[3] = {
		{EWS_TAG_MESSAGE_CLASS, 8, (const uint8_t *) "IPM.Note"},
		{0x80010003u, 4, one},
		{0x80020003u, 4, one},
	};
	EwsBlobName nm[2];
	uint8_t		out[512];
	static const struct
	{
		int			field;		/* what to break in nm[1] */
		EwsBlobStatus want;
		const char *what;
	}			breaks[] = {
		{1, EWS_BLOB_NAME_TAG_LOW, "tag below 0x8000"},
		{2, EWS_BLOB_NAME_DUP_TAG, "same id as the first"},
		{3, EWS_BLOB_NAME_ORDER, "tag before the first"},
		{4, EWS_BLOB_NAME_BAD_KIND, "kind 2"},
		{5, EWS_BLOB_NAME_EMPTY, "empty name"},
		{6, EWS_BLOB_NAME_NUL, "NUL in the name"},
		{7, EWS_BLOB_NAME_BAD_UTF8, "bad UTF-8"},
		{8, EWS_BLOB_NAME_TOO_LONG, "127 characters"},
		{9, EWS_BLOB_NAME_DUP, "the first's name"},
		{10, EWS_BLOB_NAME_UNUSED, "a tag no property has (the right id, another type)"},
		{11, EWS_BLOB_BAD_TYPE, "a NULL GUID"},
	};
	static const char long_name[] = "0123456789012345678901234567890123456789012345678901234567890123"
		"012345678901234567890123456789012345678901234567890123456789012";

	for (size_t i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++)
	{
		nm[0] = (EwsBlobName) {0x80010003u, PS_PUBLIC_STRINGS, EWS_NAME_KIND_ID, 1, 0, NULL};
		nm[1] = (EwsBlobName) {0x80020003u, PS_PUBLIC_STRINGS, EWS_NAME_KIND_STRING, 0, 3, (const uint8_t *) "two"};
		switch (breaks[i].field)
		{
			case 1:
				nm[1].tag = 0x7FFF0003u;
				break;
			case 2:
				nm[1].tag = 0x8001001Fu;
				break;
			case 3:
				nm[1].tag = 0x80000003u;
				break;
			case 4:
				nm[1].kind = 2;
				break;
			case 5:
				nm[1].name_len = 0;
				break;
			case 6:
				nm[1].name = (const uint8_t *) "t\0o";
				break;
			case 7:
				nm[1].name = (const uint8_t *) "t\xC0o";
				break;
			case 8:
				nm[1].name = (const uint8_t *) long_name;
				nm[1].name_len = 127;
				break;
			case 9:
				nm[1] = nm[0];
				nm[1].tag = 0x80020003u;
				break;
			case 10:
				nm[1].tag = 0x80020002u;
				break;
			case 11:
				nm[1].guid = NULL;
				break;
		}
		memset(out, 0x5A, sizeof(out));
		CHECK_EQ_INT(ews_blob_encode_named(props, 3, nm, 2, out, sizeof(out)), breaks[i].want,
					 "writer refuses a table with %s", breaks[i].what);
		CHECK(out[0] == 0x5A && ews_blob_encoded_size_named(props, 3, nm, 2) == 0, "and writes nothing");
	}
	nm[0] = (EwsBlobName) {0x80010003u, PS_PUBLIC_STRINGS, EWS_NAME_KIND_ID, 1, 0, NULL};
	CHECK_EQ_INT(ews_blob_encode_named(props, 3, nm, 1, out, sizeof(out)), EWS_BLOB_NAME_MISSING,
				 "writer refuses a named property without an entry");
	CHECK_EQ_INT(ews_blob_encode(props, 2, out, sizeof(out)), EWS_BLOB_NAME_MISSING,
				 "ews_blob_encode (no names) refuses a named property");
}

/* ---- GUID text ---- */

static void
test_guid(void)
{
	uint8_t		g[16];
	char		t[37];

	CHECK(ews_guid_parse("00020329-0000-0000-C000-000000000046", 36, g) && memcmp(g, PS_PUBLIC_STRINGS, 16) == 0,
		  "PS_PUBLIC_STRINGS text to MAPI byte order");
	ews_guid_format(PSETID_COMMON, t);
	CHECK(strcmp(t, "00062008-0000-0000-c000-000000000046") == 0, "PSETID_Common back to text");
	CHECK(ews_guid_parse("6ed8da90-450b-101b-98da-00aa003f1305", 36, g) && g[0] == 0x90 && g[3] == 0x6E &&
		  g[4] == 0x0B && g[6] == 0x1B && g[8] == 0x98 && g[15] == 0x05, "PSETID_Meeting: Data1..3 swapped, Data4 kept");
	ews_guid_format(g, t);
	CHECK(strcmp(t, "6ed8da90-450b-101b-98da-00aa003f1305") == 0, "and formats back");
	CHECK(!ews_guid_parse("{00020329-0000-0000-C000-000000000046}", 38, g), "braces refused");
	CHECK(!ews_guid_parse("00020329-0000-0000-C000-00000000004", 35, g), "35 characters refused");
	CHECK(!ews_guid_parse("00020329+0000-0000-C000-000000000046", 36, g), "a wrong separator refused");
	CHECK(!ews_guid_parse("0002032g-0000-0000-C000-000000000046", 36, g), "a non-hex digit refused");
	CHECK(!ews_guid_parse(NULL, 36, g), "NULL refused");
}

/* ---- merge keeps the table ---- */

static void
test_merge(void)
{
	uint8_t		t_new[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t		ck[12] = {9, 0, 0, 0, 5};
	uint8_t		seven[4] = {7, 0, 0, 0};
	EwsBlobProp over[3];
	static uint8_t m[1024];
	size_t		mlen;
	size_t		table_end = 16 + 26;
	EwsBlobProp p;

	good_blob();
	over[0] = (EwsBlobProp) {EWS_TAG_LAST_MODIFICATION_TIME, 8, t_new};
	over[1] = (EwsBlobProp) {EWS_TAG_CHANGE_KEY, 12, ck};
	mlen = ews_blob_merged_size(b.d, b.n, over, 2);
	CHECK_EQ_INT(mlen, b.n + 12 + 20, "merged size with a table");
	ews_blob_merge(b.d, b.n, over, 2, m);
	CHECK_EQ_INT(ews_blob_validate(m, mlen, 0, NULL, NULL), EWS_BLOB_OK, "the stamped blob validates");
	CHECK(memcmp(m, b.d, 8) == 0 && memcmp(m + 12, b.d + 12, table_end - 12) == 0,
		  "header flags and the table are copied byte for byte");
	CHECK_EQ_INT(ews_le32(m + 8), 4, "count updated");
	CHECK(ews_blob_find(m, mlen, 0x8001001Fu, &p) && p.len == 1 && p.value[0] == 'x',
		  "the named property kept");

	/* a named property of the table may be replaced, with its tag */
	over[0] = (EwsBlobProp) {0x8001001Fu, 2, (const uint8_t *) "yz"};
	mlen = ews_blob_merged_size(b.d, b.n, over, 1);
	ews_blob_merge(b.d, b.n, over, 1, m);
	CHECK(mlen == b.n + 1 && ews_blob_validate(m, mlen, 0, NULL, NULL) == EWS_BLOB_OK &&
		  ews_blob_find(m, mlen, 0x8001001Fu, &p) && p.len == 2, "a named value replaced");
	/* but not one the table does not have, nor with another type */
	over[0] = (EwsBlobProp) {0x80020003u, 4, seven};
	CHECK_EQ_INT(ews_blob_merged_size(b.d, b.n, over, 1), 0, "a named tag without an entry: no merge");
	over[0] = (EwsBlobProp) {0x80010003u, 4, seven};
	CHECK_EQ_INT(ews_blob_merged_size(b.d, b.n, over, 1), 0, "the named id with another type: no merge");

	/* a damaged table: no merge */
	good_blob();
	b.d[16 + 20] = 7;			/* kind */
	over[0] = (EwsBlobProp) {EWS_TAG_CHANGE_KEY, 12, ck};
	CHECK_EQ_INT(ews_blob_merged_size(b.d, b.n, over, 1), 0, "a table that does not walk: no merge");
	{
		EwsBlobIter it;
		EwsBlobProp q;

		ews_blob_iter_init(&it, b.d, b.n);
		CHECK(!ews_blob_iter_next(&it, &q) && it.bad, "and the iterator yields nothing, marked bad");
	}
}

/* ---- edit ---- */

static const EwsBlobName N_KW = {0, PS_PUBLIC_STRINGS, EWS_NAME_KIND_STRING, 0, 8, (const uint8_t *) "Keywords"};
static const EwsBlobName N_DEL = {0, PSETID_COMMON, EWS_NAME_KIND_ID, 0x8570, 0, NULL};
static const EwsBlobName N_A = {0, PS_PUBLIC_STRINGS, EWS_NAME_KIND_STRING, 0, 1, (const uint8_t *) "a"};

static EwsBlobStatus
edit(const uint8_t *in, size_t inlen, const EwsBlobEdit *e, size_t n, uint8_t **out, size_t *outlen,
	 uint32_t *tags)
{
	return ews_blob_edit(in, inlen, e, n, talloc, NULL, out, outlen, tags);
}

static void
test_edit(void)
{
	uint8_t    *o1,
			   *o2,
			   *o3;
	size_t		l1,
				l2,
				l3;
	uint32_t	tags[8];
	uint8_t		one = 1;
	uint8_t		five[4] = {5, 0, 0, 0};
	EwsBlobProp p;
	uint32_t	tag;

	good_blob();				/* names {0x8001001F "a"}; props class, 0x8001001F "x" */

	/* add two new names (ids 0x8000 and 0x8002: the lowest free), a tagged property, in one call */
	{
		EwsBlobEdit e[3] = {
			{EWS_BLOB_SET, &N_KW, {0x0000101Fu, 11, (const uint8_t *) "\1\0\0\0\3\0\0\0red"}},
			{EWS_BLOB_SET, &N_DEL, {0x0000000Bu, 1, &one}},
			{EWS_BLOB_SET, NULL, {0x0E070003u, 4, five}},
		};

		CHECK_EQ_INT(edit(b.d, b.n, e, 3, &o1, &l1, tags), EWS_BLOB_OK, "edit: two new names and a tagged property");
		CHECK(tags[0] == 0x8000101Fu && tags[1] == 0x8002000Bu && tags[2] == 0x0E070003u,
			  "new names get the lowest free ids, 0x8000 then 0x8002");
		CHECK_EQ_INT(ews_blob_validate(o1, l1, 0, NULL, NULL), EWS_BLOB_OK, "the edited blob validates");
		CHECK(ews_blob_find_named_string(o1, l1, PS_PUBLIC_STRINGS, (const uint8_t *) "Keywords", 8, &tag) &&
			  tag == 0x8000101Fu && ews_blob_find(o1, l1, tag, &p) && ews_blob_mv_count(&p) == 1,
			  "Keywords found by name, with its list");
		CHECK(ews_blob_find_named_id(o1, l1, PSETID_COMMON, 0x8570, &tag) && tag == 0x8002000Bu,
			  "(PSETID_Common, 0x8570) found by LID");
		CHECK(ews_blob_find(o1, l1, 0x8001001Fu, &p) && p.len == 1 && p.value[0] == 'x',
			  "the existing named property untouched");
	}

	/* set an existing name with another type: same id, new type, old value gone */
	{
		EwsBlobEdit e[1] = {{EWS_BLOB_SET, &N_A, {0x00000003u, 4, five}}};

		CHECK_EQ_INT(edit(o1, l1, e, 1, &o2, &l2, tags), EWS_BLOB_OK, "edit: \"a\" becomes a PT_LONG");
		CHECK(tags[0] == 0x80010003u && ews_blob_find(o2, l2, 0x80010003u, &p) && ews_le32(p.value) == 5 &&
			  !ews_blob_find(o2, l2, 0x8001001Fu, NULL), "the id kept, the type changed, the old value gone");
		CHECK(ews_blob_name_of(o2, l2, 0x80010003u, NULL) && !ews_blob_name_of(o2, l2, 0x8001001Fu, NULL),
			  "the entry follows");
		CHECK_EQ_INT(ews_blob_validate(o2, l2, 0, NULL, NULL), EWS_BLOB_OK, "and it validates");
	}

	/* delete by name, by tag, absent things; later edits see earlier ones */
	{
		EwsBlobEdit e[5] = {
			{EWS_BLOB_DELETE, &N_KW, {0, 0, NULL}},
			{EWS_BLOB_DELETE, NULL, {0x8002000Bu, 0, NULL}},
			{EWS_BLOB_DELETE, NULL, {0x0E070003u, 0, NULL}},
			{EWS_BLOB_DELETE, NULL, {0x00370003u, 0, NULL}},
			{EWS_BLOB_SET, &N_KW, {0x0000001Fu, 3, (const uint8_t *) "new"}},
		};

		CHECK_EQ_INT(edit(o2, l2, e, 5, &o3, &l3, tags), EWS_BLOB_OK, "edit: deletes, then Keywords again");
		CHECK(tags[0] == 0x8000101Fu && tags[1] == 0x8002000Bu && tags[2] == 0x0E070003u && tags[3] == 0,
			  "deleted tags reported, 0 for what was absent");
		CHECK(tags[4] == 0x8000001Fu, "the freed id 0x8000 is taken again");
		CHECK(!ews_blob_find_named_id(o3, l3, PSETID_COMMON, 0x8570, NULL) &&
			  !ews_blob_find(o3, l3, 0x8002000Bu, NULL) && !ews_blob_find(o3, l3, 0x0E070003u, NULL),
			  "deleted properties and their entries are gone");
		CHECK_EQ_INT(ews_blob_validate(o3, l3, 0, NULL, NULL), EWS_BLOB_OK, "and it validates");
	}

	/* deleting the last named properties gives flags 0 and the bytes of a blob without names */
	{
		EwsBlobEdit e[2] = {
			{EWS_BLOB_DELETE, &N_KW, {0, 0, NULL}},
			{EWS_BLOB_DELETE, &N_A, {0, 0, NULL}},
		};
		EwsBlobProp cls = {EWS_TAG_MESSAGE_CLASS, 8, (const uint8_t *) "IPM.Note"};
		uint8_t		want[64];
		size_t		wl = ews_blob_encoded_size(&cls, 1);

		ews_blob_encode(&cls, 1, want, sizeof(want));
		CHECK(edit(o3, l3, e, 2, &o1, &l1, NULL) == EWS_BLOB_OK && l1 == wl && memcmp(o1, want, wl) == 0,
			  "without named properties the edit gives the 0.1 bytes (flags 0)");
	}

	/* set a named property by its tag (kept name), refused for a tag without an entry */
	{
		EwsBlobEdit e1[1] = {{EWS_BLOB_SET, NULL, {0x8001001Fu, 2, (const uint8_t *) "zz"}}};
		EwsBlobEdit e2[1] = {{EWS_BLOB_SET, NULL, {0x80050003u, 4, five}}};
		EwsBlobEdit e3[1] = {{EWS_BLOB_SET, NULL, {0x80010003u, 4, five}}};
		EwsBlobEdit e4[1] = {{EWS_BLOB_DELETE, NULL, {EWS_TAG_MESSAGE_CLASS, 0, NULL}}};
		EwsBlobEdit e5[1] = {{EWS_BLOB_SET, NULL, {0x0037001Fu, 2, (const uint8_t *) "\xC3("}}};

		CHECK(edit(b.d, b.n, e1, 1, &o1, &l1, tags) == EWS_BLOB_OK && ews_blob_find(o1, l1, 0x8001001Fu, &p) &&
			  p.len == 2 && ews_blob_name_of(o1, l1, 0x8001001Fu, NULL), "a named value set by its tag");
		o2 = NULL;
		CHECK(edit(b.d, b.n, e2, 1, &o2, &l2, tags) == EWS_BLOB_NAME_MISSING && o2 == NULL,
			  "a named tag without an entry refused, nothing returned");
		CHECK_EQ_INT(edit(b.d, b.n, e3, 1, &o2, &l2, tags), EWS_BLOB_NAME_MISSING,
					 "a named id by tag with another type refused");
		CHECK_EQ_INT(edit(b.d, b.n, e4, 1, &o2, &l2, tags), EWS_BLOB_NO_MESSAGE_CLASS,
					 "deleting the class refused with the writer's status");
		CHECK_EQ_INT(edit(b.d, b.n, e5, 1, &o2, &l2, tags), EWS_BLOB_BAD_UTF8, "bad UTF-8 refused");
	}

	/* new names in bad shape are refused by the writer's checks */
	{
		EwsBlobName bad = N_KW;
		EwsBlobEdit e[1] = {{EWS_BLOB_SET, &bad, {0x00000003u, 4, five}}};

		bad.name_len = 0;
		CHECK_EQ_INT(edit(b.d, b.n, e, 1, &o1, &l1, NULL), EWS_BLOB_NAME_EMPTY, "a new empty name refused");
		bad.name_len = 8;
		bad.kind = 3;
		CHECK_EQ_INT(edit(b.d, b.n, e, 1, &o1, &l1, NULL), EWS_BLOB_NAME_BAD_KIND, "a new name of kind 3 refused");
		bad.kind = 1;
		bad.guid = NULL;
		CHECK_EQ_INT(edit(b.d, b.n, e, 1, &o1, &l1, NULL), EWS_BLOB_BAD_TYPE, "a NULL GUID refused");
		bad.guid = PS_PUBLIC_STRINGS;
		bad.name = NULL;
		bad.name_len = 1;		/* the length of "a", which the blob has: would be compared */
		CHECK_EQ_INT(edit(b.d, b.n, e, 1, &o1, &l1, NULL), EWS_BLOB_BAD_TYPE, "a NULL name with a length refused");
		CHECK_EQ_INT(ews_blob_edit(b.d, b.n, e, 1, talloc, NULL, NULL, &l1, NULL), EWS_BLOB_BAD_TYPE,
					 "no place for the result refused");
	}

	/* 8192 names: one more is refused */
	{
		static EwsBlobName nm[8192];
		static EwsBlobProp pr[8193];
		static uint32_t lids[8192];
		size_t		size;
		uint8_t    *full;
		EwsBlobEdit e[1] = {{EWS_BLOB_SET, &N_KW, {0x00000003u, 4, five}}};

		pr[0] = (EwsBlobProp) {EWS_TAG_MESSAGE_CLASS, 8, (const uint8_t *) "IPM.Note"};
		for (int i = 0; i < 8192; i++)
		{
			lids[i] = (uint32_t) i;
			nm[i] = (EwsBlobName) {EWS_PROP_TAG(0x8000 + i, 3), PSETID_COMMON, EWS_NAME_KIND_ID, lids[i], 0, NULL};
			pr[i + 1] = (EwsBlobProp) {EWS_PROP_TAG(0x8000 + i, 3), 4, five};
		}
		size = ews_blob_encoded_size_named(pr, 8193, nm, 8192);
		full = talloc(NULL, size);
		CHECK(size > 0 && ews_blob_encode_named(pr, 8193, nm, 8192, full, size) == EWS_BLOB_OK,
			  "a blob with 8192 names");
		CHECK_EQ_INT(edit(full, size, e, 1, &o1, &l1, NULL), EWS_BLOB_NAMES_COUNT, "a 8193rd name refused");
		e[0].name = &nm[100];
		CHECK(edit(full, size, e, 1, &o1, &l1, tags) == EWS_BLOB_OK && tags[0] == EWS_PROP_TAG(0x8000 + 100, 3),
			  "an existing one of the 8192 set");
	}

	/* a damaged blob is not edited */
	{
		EwsBlobEdit e[1] = {{EWS_BLOB_SET, NULL, {0x0E070003u, 4, five}}};

		good_blob();
		ews_put_le32(b.d + 8, 3);
		CHECK_EQ_INT(edit(b.d, b.n, e, 1, &o1, &l1, NULL), EWS_BLOB_TRUNCATED, "a count past the properties");
		CHECK_EQ_INT(edit(b.d, 10, e, 1, &o1, &l1, NULL), EWS_BLOB_TRUNCATED, "a 10-byte blob");
	}
}

/* ---- 0.1 blobs with unnamed ids from 0x8000 up, as the store holds them ---- */

static void
test_stored(void)
{
	uint8_t    *o;
	size_t		l;
	uint8_t		five[4] = {5, 0, 0, 0};
	uint32_t	tags[3];
	size_t		off = 0;
	uint32_t	n = 0;

	b_header(0, 3, 0);
	b_class();
	b_long(0x80000003u, 1);
	b_long(0x80010003u, 2);
	b_crc();
	EXPECT(EWS_BLOB_NAME_MISSING, 28, "a 0.1 blob with ids 0x8000 and 0x8001: refused as an upload");
	CHECK(ews_blob_validate_stored(b.d, b.n, &n, &off) == EWS_BLOB_OK && n == 3,
		  "and accepted as a stored blob");
	{
		EwsBlobEdit e[1] = {{EWS_BLOB_SET, NULL, {0x0E070003u, 4, five}}};

		CHECK(edit(b.d, b.n, e, 1, &o, &l, NULL) == EWS_BLOB_OK &&
			  ews_blob_validate_stored(o, l, &n, NULL) == EWS_BLOB_OK && n == 4 &&
			  ews_blob_find(o, l, 0x80010003u, NULL) && ews_le16(o + 6) == 0,
			  "such a blob can be edited, its unnamed ids kept");
	}
	{
		EwsBlobEdit e[1] = {{EWS_BLOB_SET, &N_KW, {0x00000003u, 4, five}}};

		CHECK_EQ_INT(edit(b.d, b.n, e, 1, &o, &l, tags), EWS_BLOB_NAME_MISSING,
					 "but not given a name while unnamed ids remain");
	}
	{
		EwsBlobEdit e[3] = {
			{EWS_BLOB_DELETE, NULL, {0x80000003u, 0, NULL}},
			{EWS_BLOB_DELETE, NULL, {0x80010003u, 0, NULL}},
			{EWS_BLOB_SET, &N_KW, {0x00000003u, 4, five}},
		};

		CHECK(edit(b.d, b.n, e, 3, &o, &l, tags) == EWS_BLOB_OK && tags[2] == 0x80000003u &&
			  ews_blob_validate(o, l, 0, NULL, NULL) == EWS_BLOB_OK,
			  "once they are deleted, a name goes in (and the blob is a 0.2 one)");
	}
	b_header(1, 3, 1);
	b_entry_id(0x80010003u, PS_PUBLIC_STRINGS, 1);
	b_class();
	b_long(0x80000003u, 1);
	b_long(0x80010003u, 2);
	b_crc();
	CHECK(ews_blob_validate_stored(b.d, b.n, NULL, &off) == EWS_BLOB_NAME_MISSING && off == 57,
		  "a blob with a table gets no such leeway, stored or not");
	good_blob();
	b.d[b.n - 1] ^= 1;
	CHECK(ews_blob_validate_stored(b.d, b.n, NULL, &off) == EWS_BLOB_BAD_CRC, "every other check still holds");
}

int
main(void)
{
	test_round_trip();
	test_reader();
	test_many_names();
	test_writer();
	test_guid();
	test_merge();
	test_edit();
	test_stored();
	tfree_all();
	return unit_done();
}
