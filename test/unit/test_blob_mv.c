/*
 * test_blob_mv.c
 *	  The 0.2 property types of the item blob: the fixed-size types PT_FLOAT,
 *	  PT_DOUBLE, PT_CURRENCY, PT_APPTIME, PT_ERROR, PT_CLSID next to the 0.1
 *	  ones, and the multi-valued form of every type (a uint32 count, then
 *	  each value in its single-valued form).  Round trips over every type,
 *	  golden bytes, the value iterator and builder, and every refusal with
 *	  the offset the reader reports.
 */
#include "blob.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct Buf
{
	uint8_t		d[8192];
	size_t		n;
} Buf;

static void
b_u8(Buf *b, uint8_t v)
{
	b->d[b->n++] = v;
}

static void
b_u32(Buf *b, uint32_t v)
{
	ews_put_le32(b->d + b->n, v);
	b->n += 4;
}

static void
b_bytes(Buf *b, const void *p, size_t len)
{
	memcpy(b->d + b->n, p, len);
	b->n += len;
}

static void
b_header(Buf *b, uint32_t count)
{
	b->n = 0;
	b_bytes(b, "EWSB\x01\x00\x00\x00", 8);
	b_u32(b, count);
}

static void
b_str(Buf *b, uint32_t tag, const char *s)
{
	b_u32(b, tag);
	b_u32(b, (uint32_t) strlen(s));
	b_bytes(b, s, strlen(s));
}

static void
b_crc(Buf *b)
{
	b_u32(b, ews_blob_checksum(b->d, b->n));
}

static EwsBlobStatus
validate(const Buf *b, size_t *off)
{
	*off = (size_t) -1;
	return ews_blob_validate(b->d, b->n, 0, NULL, off);
}

/* the class first, then whatever the test appends; offset of what follows: 28 */
static void
b_start(Buf *b, uint32_t count)
{
	b_header(b, count);
	b_str(b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
}

/* The single-valued types and their sizes (0 = length-prefixed) */
static const struct
{
	uint16_t	type;
	int			size;
	const char *name;
}			types[] = {
	{EWS_PT_SHORT, 2, "PT_SHORT"},
	{EWS_PT_LONG, 4, "PT_LONG"},
	{EWS_PT_FLOAT, 4, "PT_FLOAT"},
	{EWS_PT_DOUBLE, 8, "PT_DOUBLE"},
	{EWS_PT_CURRENCY, 8, "PT_CURRENCY"},
	{EWS_PT_APPTIME, 8, "PT_APPTIME"},
	{EWS_PT_ERROR, 4, "PT_ERROR"},
	{EWS_PT_BOOLEAN, 1, "PT_BOOLEAN"},
	{EWS_PT_I8, 8, "PT_I8"},
	{EWS_PT_UNICODE, 0, "PT_UNICODE"},
	{EWS_PT_SYSTIME, 8, "PT_SYSTIME"},
	{EWS_PT_CLSID, 16, "PT_CLSID"},
	{EWS_PT_BINARY, 0, "PT_BINARY"},
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

/* value bytes for value k of a type: deterministic, valid for the type */
static const uint8_t *
sample(uint16_t type, int size, int k, uint32_t *len)
{
	static uint8_t buf[16][64];
	static int	slot;
	uint8_t    *v = buf[slot++ % 16];
	static const char *const strs[] = {"", "a", "Gr\xC3\xBC\xC3\x9F" "e", "\xF0\x9F\x8E\x89 \xE6\x97\xA5"};

	if (type == EWS_PT_UNICODE)
	{
		*len = (uint32_t) strlen(strs[k % 4]);
		memcpy(v, strs[k % 4], *len);
		return v;
	}
	if (type == EWS_PT_BINARY)
	{
		*len = (uint32_t) (k % 4) * 3;
		for (uint32_t i = 0; i < *len; i++)
			v[i] = (uint8_t) (i * 37 + k);
		return v;
	}
	*len = (uint32_t) size;
	if (type == EWS_PT_BOOLEAN)
		v[0] = (uint8_t) (k & 1);
	else
		for (int i = 0; i < size; i++)
			v[i] = (uint8_t) (0xA0 + i * 7 + k);
	return v;
}

/*
 * Every type once single-valued and once multi-valued (with 0..3 values),
 * one blob: encode, validate, iterate, re-encode, the value iterator.
 */
static void
test_round_trip(void)
{
	EwsBlobProp props[2 + 2 * NTYPES];
	uint8_t		mv[NTYPES][512];
	size_t		n = 0;
	static uint8_t out[8192],
				again[8192];
	size_t		size;
	uint32_t	nprops = 0;
	EwsBlobIter it;
	EwsBlobProp p;
	bool		same = true;
	bool		mv_ok = true;
	size_t		i;

	props[n++] = (EwsBlobProp) {EWS_TAG_MESSAGE_CLASS, 8, (const uint8_t *) "IPM.Note"};
	for (i = 0; i < NTYPES; i++)
	{
		uint32_t	len;
		const uint8_t *v = sample(types[i].type, types[i].size, 3, &len);

		props[n++] = (EwsBlobProp) {EWS_PROP_TAG(0x6000 + i, types[i].type), len, v};
	}
	for (i = 0; i < NTYPES; i++)
	{
		EwsBlobProp vals[3];
		size_t		k = i % 4;	/* 0..3 values, so empty lists too */
		size_t		sz;

		for (size_t j = 0; j < k; j++)
			vals[j].value = sample(types[i].type, types[i].size, (int) j, &vals[j].len);
		sz = ews_blob_mv_encode(EWS_PT_MV | types[i].type, vals, k, mv[i], sizeof(mv[i]));
		CHECK(sz == ews_blob_mv_size(EWS_PT_MV | types[i].type, vals, k) && sz >= 4,
			  "build a %zu-value PT_MV of %s", k, types[i].name);
		props[n++] = (EwsBlobProp) {EWS_PROP_TAG(0x7000 + i, EWS_PT_MV | types[i].type), (uint32_t) sz, mv[i]};
	}

	size = ews_blob_encoded_size(props, n);
	CHECK(size > 0 && ews_blob_encode(props, n, out, sizeof(out)) == EWS_BLOB_OK,
		  "encode every single and multi-valued type");
	CHECK_EQ_INT(ews_blob_validate(out, size, 0, &nprops, NULL), EWS_BLOB_OK, "and it validates");
	CHECK_EQ_INT(nprops, n, "property count");
	CHECK_EQ_INT(ews_le16(out + 6), 0, "no named properties: flags stay 0");

	ews_blob_iter_init(&it, out, size);
	for (i = 0; ews_blob_iter_next(&it, &p); i++)
	{
		if (i >= n || p.tag != props[i].tag || p.len != props[i].len ||
			(p.len && memcmp(p.value, props[i].value, p.len) != 0))
			same = false;
	}
	CHECK(same && i == n && !it.bad, "iteration gives back every property and value bytes");
	{
		EwsBlobProp got[2 + 2 * NTYPES];

		ews_blob_iter_init(&it, out, size);
		for (i = 0; i < n && ews_blob_iter_next(&it, &got[i]); i++)
			;
		CHECK(ews_blob_encode(got, n, again, sizeof(again)) == EWS_BLOB_OK &&
			  memcmp(out, again, size) == 0, "re-encoding the iterated properties gives the same bytes");
	}

	/* each multi-valued property hands back its values, single-valued */
	for (i = 0; i < NTYPES; i++)
	{
		EwsBlobMvIter mi;
		EwsBlobProp v;
		size_t		k = i % 4,
					j = 0;

		if (!ews_blob_find(out, size, EWS_PROP_TAG(0x7000 + i, EWS_PT_MV | types[i].type), &p) ||
			ews_blob_mv_count(&p) != k)
		{
			mv_ok = false;
			continue;
		}
		ews_blob_mv_init(&mi, &p);
		while (ews_blob_mv_next(&mi, &v))
		{
			uint32_t	len;
			const uint8_t *want = sample(types[i].type, types[i].size, (int) j, &len);

			if (v.tag != EWS_PROP_TAG(0x7000 + i, types[i].type) || v.len != len ||
				(len && memcmp(v.value, want, len) != 0))
				mv_ok = false;
			j++;
		}
		if (j != k)
			mv_ok = false;
	}
	CHECK(mv_ok, "the value iterator gives every value of every multi-valued type back");
}

static void
test_golden(void)
{
	/* PT_MV_UNICODE ["a", "é"]: tag, count 2, then (length, bytes) twice */
	static const uint8_t mv_str[] = {
		0x1F, 0x10, 0x01, 0x80, 2, 0, 0, 0, 1, 0, 0, 0, 'a', 2, 0, 0, 0, 0xC3, 0xA9
	};
	/* PT_MV_LONG [1, -1]: tag, count 2, two int32 */
	static const uint8_t mv_long[] = {
		0x03, 0x10, 0x02, 0x67, 2, 0, 0, 0, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF
	};
	/* PT_CLSID: the 16 bytes as they are */
	static const uint8_t clsid[] = {
		0x48, 0x00, 0x03, 0x67, 0x29, 0x03, 0x02, 0x00, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46
	};
	EwsBlobProp vals[2] = {{0, 1, (const uint8_t *) "a"}, {0, 2, (const uint8_t *) "\xC3\xA9"}};
	uint8_t		lv[8];
	EwsBlobProp lvals[2] = {{0, 4, lv}, {0, 4, lv + 4}};
	uint8_t		mvs[32],
				mvl[32],
				out[128];
	EwsBlobProp props[4];
	size_t		size;

	ews_put_le32(lv, 1);
	ews_put_le32(lv + 4, 0xFFFFFFFFu);
	props[0] = (EwsBlobProp) {EWS_TAG_MESSAGE_CLASS, 8, (const uint8_t *) "IPM.Note"};
	props[1] = (EwsBlobProp) {0x67021003u, (uint32_t) ews_blob_mv_encode(0x1003, lvals, 2, mvl, sizeof(mvl)), mvl};
	props[2] = (EwsBlobProp) {0x67030048u, 16, clsid + 4};
	props[3] = (EwsBlobProp) {0x8001101Fu, (uint32_t) ews_blob_mv_encode(0x101F, vals, 2, mvs, sizeof(mvs)), mvs};
	/* a named id needs a name: the golden check is on the property bytes, so use 0x7F01 */
	props[3].tag = 0x7F01101Fu;
	size = ews_blob_encoded_size(props, 4);
	CHECK(size == 12 + 16 + sizeof(mv_long) + sizeof(clsid) + sizeof(mv_str) + 4 &&
		  ews_blob_encode(props, 4, out, sizeof(out)) == EWS_BLOB_OK, "golden blob encodes");
	CHECK_MEM(out + 28, mv_long, sizeof(mv_long), "PT_MV_LONG bytes");
	CHECK_MEM(out + 28 + sizeof(mv_long), clsid, sizeof(clsid), "PT_CLSID bytes");
	{
		uint8_t		want[sizeof(mv_str)];

		memcpy(want, mv_str, sizeof(mv_str));
		want[2] = 0x01;
		want[3] = 0x7F;
		CHECK_MEM(out + 28 + sizeof(mv_long) + sizeof(clsid), want, sizeof(want), "PT_MV_UNICODE bytes");
	}
	CHECK_EQ_INT(ews_blob_validate(out, size, 0, NULL, NULL), EWS_BLOB_OK, "golden blob validates");
}

/* the reader's refusals of the new types, each with its offset */
static void
test_refusals(void)
{
	Buf			b;
	size_t		off;

	/* types that are MAPI but not in a blob, or not MAPI at all */
	{
		static const uint16_t bad[] = {0x0000, 0x0001, 0x0008, 0x000D, 0x001E, 0x0041, 0x0049, 0x00FB,
		0x0103, 0x1000, 0x1001, 0x100D, 0x101E, 0x2003, 0x3003, 0x9003, 0xFFFF};
		bool		all = true;

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			b_start(&b, 2);
			b_u32(&b, EWS_PROP_TAG(0x6000, bad[i]));
			b_bytes(&b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
			b_crc(&b);
			if (validate(&b, &off) != EWS_BLOB_BAD_TYPE || off != 28)
			{
				printf("# type 0x%04X: status %d at %zu\n", bad[i], validate(&b, &off), off);
				all = false;
			}
		}
		CHECK(all, "unknown types (PT_NULL, PT_OBJECT, PT_STRING8, MV of those, 0x2000/0x3000 bits) refused at the tag");
	}

	/* every known type, and its MV form, accepted with a value of the right size */
	{
		bool		all = true;

		for (size_t i = 0; i < NTYPES; i++)
		{
			uint32_t	len;
			const uint8_t *v = sample(types[i].type, types[i].size, 1, &len);

			b_start(&b, 3);
			b_u32(&b, EWS_PROP_TAG(0x6000, types[i].type));
			if (types[i].size == 0)
				b_u32(&b, len);
			b_bytes(&b, v, len);
			b_u32(&b, EWS_PROP_TAG(0x6001, EWS_PT_MV | types[i].type));
			b_u32(&b, 1);
			if (types[i].size == 0)
				b_u32(&b, len);
			b_bytes(&b, v, len);
			b_crc(&b);
			if (validate(&b, &off) != EWS_BLOB_OK)
				all = false;
		}
		CHECK(all, "every type and its multi-valued form accepted");
	}

	/* fixed-size values cut short: PT_CLSID with 10 bytes, PT_DOUBLE with 7 */
	b_start(&b, 2);
	b_u32(&b, 0x67000048u);
	b_bytes(&b, "0123456789", 10);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TRUNCATED, "PT_CLSID cut short");
	CHECK_EQ_INT(off, 32, "TRUNCATED at the value");
	b_start(&b, 2);
	b_u32(&b, 0x67000005u);
	b_bytes(&b, "0123456", 7);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TRUNCATED, "PT_DOUBLE cut short");

	/* the count of a multi-valued property cut by the CRC */
	b_start(&b, 2);
	b_u32(&b, 0x67001003u);
	b_bytes(&b, "\1\0", 2);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TRUNCATED, "MV count cut short");
	CHECK_EQ_INT(off, 32, "TRUNCATED at the count");

	/* MV_COUNT: fixed-size values, one more than the bytes hold */
	b_start(&b, 2);
	b_u32(&b, 0x67001003u);
	b_u32(&b, 3);
	b_bytes(&b, "\1\0\0\0\2\0\0\0", 8);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_MV_COUNT, "PT_MV_LONG count 3 with 2 values");
	CHECK_EQ_INT(off, 32, "MV_COUNT at the count");

	/* MV_COUNT near UINT32_MAX, fixed and variable: no wrap */
	{
		static const uint16_t mvt[] = {0x1002, 0x1003, 0x1005, 0x100B, 0x1048, 0x101F, 0x1102};
		static const uint32_t counts[] = {UINT32_MAX, UINT32_MAX / 2 + 1, UINT32_MAX / 4 + 1, 0x40000000u};
		bool		all = true;

		for (size_t t = 0; t < sizeof(mvt) / sizeof(mvt[0]); t++)
			for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++)
			{
				b_start(&b, 2);
				b_u32(&b, EWS_PROP_TAG(0x6700, mvt[t]));
				b_u32(&b, counts[c]);
				b_bytes(&b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
				b_crc(&b);
				if (validate(&b, &off) != EWS_BLOB_MV_COUNT || off != 32)
					all = false;
			}
		CHECK(all, "counts near UINT32_MAX are MV_COUNT at the count, for fixed and variable values");
	}

	/* MV_COUNT: strings, more than the bytes could hold at 4 bytes each */
	b_start(&b, 2);
	b_u32(&b, 0x6700101Fu);
	b_u32(&b, 3);
	b_u32(&b, 0);
	b_u32(&b, 0);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_MV_COUNT, "PT_MV_UNICODE count 3 in 8 bytes");
	CHECK_EQ_INT(off, 32, "MV_COUNT at the count");

	/* a value's length that runs past the end: at that value's length field */
	b_start(&b, 2);
	b_u32(&b, 0x67001102u);
	b_u32(&b, 2);
	b_u32(&b, 1);
	b_u8(&b, 0xAB);
	b_u32(&b, 5);
	b_bytes(&b, "abcd", 4);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TRUNCATED, "PT_MV_BINARY value runs past the end");
	CHECK_EQ_INT(off, 41, "TRUNCATED at the second value's length");

	/* the second value's length field itself missing (count fits at 4 bytes each) */
	b_start(&b, 2);
	b_u32(&b, 0x67001102u);
	b_u32(&b, 2);
	b_u32(&b, 2);
	b_bytes(&b, "ab", 2);
	b_bytes(&b, "xy", 2);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TRUNCATED, "second value's length cut");
	CHECK_EQ_INT(off, 42, "TRUNCATED at where that length would be");

	/* BAD_UTF8 inside a PT_MV_UNICODE value, and a NUL */
	b_start(&b, 2);
	b_u32(&b, 0x6700101Fu);
	b_u32(&b, 2);
	b_u32(&b, 2);
	b_bytes(&b, "ok", 2);
	b_u32(&b, 3);
	b_bytes(&b, "a\xED\xA0", 3);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_BAD_UTF8, "surrogate in a PT_MV_UNICODE value");
	CHECK_EQ_INT(off, 28 + 4 + 4 + 6 + 4 + 1, "BAD_UTF8 at the bad byte");
	b_start(&b, 2);
	b_u32(&b, 0x6700101Fu);
	b_u32(&b, 1);
	b_u32(&b, 3);
	b_bytes(&b, "a\0b", 3);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_BAD_UTF8, "NUL in a PT_MV_UNICODE value");
	CHECK_EQ_INT(off, 28 + 4 + 4 + 4 + 1, "BAD_UTF8 at the NUL");

	/* BAD_BOOLEAN in PT_MV_BOOLEAN */
	b_start(&b, 2);
	b_u32(&b, 0x6700100Bu);
	b_u32(&b, 3);
	b_bytes(&b, "\1\0\2", 3);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_BAD_BOOLEAN, "2 in PT_MV_BOOLEAN");
	CHECK_EQ_INT(off, 28 + 4 + 4 + 2, "BAD_BOOLEAN at the value byte");

	/* an empty list of each kind is fine, and so are empty strings in a list */
	b_start(&b, 4);
	b_u32(&b, 0x67001003u);
	b_u32(&b, 0);
	b_u32(&b, 0x6701101Fu);
	b_u32(&b, 0);
	b_u32(&b, 0x67021102u);
	b_u32(&b, 2);
	b_u32(&b, 0);
	b_u32(&b, 0);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_OK, "empty lists and empty values accepted");

	/* tag order still applies between single and multi-valued forms of one id */
	b_start(&b, 3);
	b_u32(&b, 0x67001003u);
	b_u32(&b, 0);
	b_u32(&b, 0x67000003u);
	b_u32(&b, 7);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TAG_ORDER, "0x67001003 before 0x67000003");
	CHECK_EQ_INT(off, 36, "TAG_ORDER at the second tag");
}

static void
test_writer(void)
{
	uint8_t		mv[64];
	uint8_t		out[256];
	EwsBlobProp p[2];
	EwsBlobProp vals[2];
	uint8_t		v8[8] = {0};

	memset(out, 0x5A, sizeof(out));
	p[0] = (EwsBlobProp) {EWS_TAG_MESSAGE_CLASS, 8, (const uint8_t *) "IPM.Note"};

	p[1] = (EwsBlobProp) {0x67000048u, 8, v8};
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, sizeof(out)), EWS_BLOB_BAD_TYPE, "PT_CLSID with 8 bytes refused");
	p[1] = (EwsBlobProp) {0x67000004u, 8, v8};
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, sizeof(out)), EWS_BLOB_BAD_TYPE, "PT_FLOAT with 8 bytes refused");

	/* malformed MV values given to the writer */
	ews_put_le32(mv, 1);
	ews_put_le32(mv + 4, 5);
	memcpy(mv + 8, "hello!", 6);
	p[1] = (EwsBlobProp) {0x6700101Fu, 14, mv};
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, sizeof(out)), EWS_BLOB_TRAILING_BYTES,
				 "a multi-valued value longer than its values refused");
	p[1].len = 12;
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, sizeof(out)), EWS_BLOB_TRUNCATED,
				 "a multi-valued value shorter than its values refused");
	p[1].len = 0;
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, sizeof(out)), EWS_BLOB_TRUNCATED,
				 "a multi-valued value without a count refused");
	ews_put_le32(mv, 9);
	p[1].len = 13;
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, sizeof(out)), EWS_BLOB_MV_COUNT, "a count that does not fit refused");
	ews_put_le32(mv, 1);
	memcpy(mv + 8, "\xC0\xAFllo", 5);
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, sizeof(out)), EWS_BLOB_BAD_UTF8, "bad UTF-8 in a list refused");
	p[1] = (EwsBlobProp) {0x6700100Bu, 5, (const uint8_t *) "\1\0\0\0\3"};
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, sizeof(out)), EWS_BLOB_BAD_BOOLEAN, "boolean 3 in a list refused");
	CHECK(out[0] == 0x5A, "refusals wrote nothing");

	/* the builder's refusals */
	vals[0] = (EwsBlobProp) {0, 4, v8};
	vals[1] = (EwsBlobProp) {0, 8, v8};
	CHECK_EQ_INT(ews_blob_mv_size(0x1003, vals, 2), 0, "mv_size: a PT_LONG value of 8 bytes");
	CHECK_EQ_INT(ews_blob_mv_size(0x0003, vals, 1), 0, "mv_size: not a multi-valued type");
	CHECK_EQ_INT(ews_blob_mv_size(0x100D, vals, 1), 0, "mv_size: unknown base type");
	CHECK_EQ_INT(ews_blob_mv_size(0x1003, vals, 1), 8, "mv_size: one PT_LONG is 8 bytes");
	CHECK_EQ_INT(ews_blob_mv_size(0x1102, vals, 2), 4 + 8 + 12, "mv_size: two binaries");
	CHECK_EQ_INT(ews_blob_mv_size(0x1003, NULL, 0), 4, "mv_size: an empty list is its count");
	memset(mv, 0x33, sizeof(mv));
	CHECK_EQ_INT(ews_blob_mv_encode(0x1102, vals, 2, mv, 23), 0, "mv_encode: one byte short");
	CHECK(mv[0] == 0x33, "and wrote nothing");
	vals[0] = (EwsBlobProp) {0, 3, NULL};
	CHECK_EQ_INT(ews_blob_mv_size(0x1102, vals, 1), 0, "mv_size: NULL value with a length");

	/* the value iterator stops on a malformed value, never reads past len */
	{
		EwsBlobMvIter it;
		EwsBlobProp v;
		int			got = 0;

		ews_put_le32(mv, 3);
		ews_put_le32(mv + 4, 1);
		mv[8] = 'x';
		ews_put_le32(mv + 9, 100);
		p[1] = (EwsBlobProp) {0x6700101Fu, 13, mv};
		ews_blob_mv_init(&it, &p[1]);
		while (ews_blob_mv_next(&it, &v))
			got++;
		CHECK_EQ_INT(got, 1, "value iterator stops at a value that does not fit");
		CHECK_EQ_INT(ews_blob_mv_count(&p[0]), 0, "mv_count of a single-valued property is 0");
	}
}

int
main(void)
{
	test_round_trip();
	test_golden();
	test_refusals();
	test_writer();
	return unit_done();
}
