/*
 * test_blob.c
 *	  Unit tests for the item blob codec: round trips over every property
 *	  type, a golden encoding, one hand-made bad blob for every
 *	  EwsBlobStatus (with the offset the reader reports), strict UTF-8, lengths
 *	  near UINT32_MAX, the order in which checks are made, the writer's
 *	  refusals, and merges that replace and insert while keeping every other
 *	  byte.
 */
#include "blob.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

/* A byte builder for hand-made blobs, good and bad */
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
b_u16(Buf *b, uint16_t v)
{
	ews_put_le16(b->d + b->n, v);
	b->n += 2;
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
	b_bytes(b, "EWSB", 4);
	b_u16(b, 1);
	b_u16(b, 0);
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
b_strn(Buf *b, uint32_t tag, const void *s, size_t len)
{
	b_u32(b, tag);
	b_u32(b, (uint32_t) len);
	b_bytes(b, s, len);
}

/* Append the CRC of everything so far */
static void
b_crc(Buf *b)
{
	b_u32(b, ews_blob_checksum(b->d, b->n));
}

/* Recompute the CRC of a finished blob after tampering */
static void
fix_crc(uint8_t *blob, size_t len)
{
	ews_put_le32(blob + len - 4, ews_blob_checksum(blob, len - 4));
}

static EwsBlobStatus
validate(const Buf *b, size_t *off)
{
	*off = (size_t) -1;
	return ews_blob_validate(b->d, b->n, 0, NULL, off);
}

/* A blob with the class and a subject holding the given string bytes */
static void
utf8_blob(Buf *b, const void *s, size_t len)
{
	b_header(b, 2);
	b_str(b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_strn(b, EWS_TAG_SUBJECT, s, len);
	b_crc(b);
}

/* Offset of the subject's first byte in utf8_blob: 12 + (8+8) + 8 */
#define UTF8_AT 36

static void
check_utf8(const char *what, const void *s, size_t len, EwsBlobStatus want, size_t want_off)
{
	Buf			b;
	size_t		off;
	EwsBlobStatus st;

	utf8_blob(&b, s, len);
	st = validate(&b, &off);
	if (want == EWS_BLOB_OK)
		CHECK_EQ_INT(st, EWS_BLOB_OK, "utf-8 accepted: %s", what);
	else
	{
		CHECK_EQ_INT(st, want, "utf-8 refused: %s", what);
		CHECK_EQ_INT(off, UTF8_AT + want_off, "utf-8 offset: %s", what);
	}
}

static void
test_round_trip(void)
{
	uint8_t		v_short[2],
				v_long[4],
				v_bool[1] = {1},
				v_i8[8],
				v_time[8],
				v_flags[4];
	static const char subject[] = "Gr\xC3\xBC\xC3\x9F" "e \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x8E\x89";
	static const uint8_t bin[] = {0, 1, 2, 0xFF, 0xFE, 0};
	EwsBlobProp props[12];
	size_t		n = 0;
	uint8_t		out[512];
	size_t		size;
	uint32_t	nprops = 0;
	size_t		off = 0;
	EwsBlobIter it;
	EwsBlobProp p;
	size_t		i;
	bool		same;
	size_t		expect_size;

	ews_put_le16(v_short, 0xBEEF);
	ews_put_le32(v_long, 2);
	ews_put_le64(v_i8, 0x8000000000000001ull);
	ews_put_le64(v_time, 133000000000000000ull);
	ews_put_le32(v_flags, 0x21);

	props[n++] = (EwsBlobProp) {0x00170003u, 4, v_long};	/* importance */
	props[n++] = (EwsBlobProp) {EWS_TAG_MESSAGE_CLASS, 8, (const uint8_t *) "IPM.Note"};
	props[n++] = (EwsBlobProp) {EWS_TAG_SUBJECT, (uint32_t) strlen(subject), (const uint8_t *) subject};
	props[n++] = (EwsBlobProp) {EWS_TAG_DELIVERY_TIME, 8, v_time};
	props[n++] = (EwsBlobProp) {EWS_TAG_MESSAGE_FLAGS, 4, v_flags};
	props[n++] = (EwsBlobProp) {0x0E1F000Bu, 1, v_bool};
	props[n++] = (EwsBlobProp) {EWS_TAG_BODY, 0, NULL};	/* empty string */
	props[n++] = (EwsBlobProp) {0x3FDE0002u, 2, v_short};
	props[n++] = (EwsBlobProp) {0x40000014u, 8, v_i8};
	props[n++] = (EwsBlobProp) {EWS_TAG_RFC822, 0, (const uint8_t *) ""};	/* empty binary */
	props[n++] = (EwsBlobProp) {0x7FF10102u, sizeof(bin), bin};
	props[n++] = (EwsBlobProp) {0x7FFF001Fu, 3, (const uint8_t *) "end"};

	expect_size = 12 + 4 + (4 + 8 + 8) + (4 + 4 + strlen(subject)) + (4 + 8) + (4 + 4) +
		(4 + 1) + (4 + 4) + (4 + 2) + (4 + 8) + (4 + 4) + (4 + 4 + sizeof(bin)) + (4 + 4 + 3) + 4;
	size = ews_blob_encoded_size(props, n);
	CHECK_EQ_INT(size, expect_size, "encoded size of every type");
	CHECK_EQ_INT(ews_blob_encode(props, n, out, sizeof(out)), EWS_BLOB_OK, "encode every type");
	CHECK_EQ_INT(ews_blob_validate(out, size, 0, &nprops, &off), EWS_BLOB_OK, "encoded blob validates");
	CHECK_EQ_INT(nprops, n, "validate reports the property count");
	CHECK_EQ_INT(ews_blob_validate(out, size, size, NULL, NULL), EWS_BLOB_OK,
				 "a blob exactly at max_size is accepted");

	ews_blob_iter_init(&it, out, size);
	same = true;
	for (i = 0; ews_blob_iter_next(&it, &p); i++)
	{
		if (i >= n || p.tag != props[i].tag || p.len != props[i].len ||
			(p.len && memcmp(p.value, props[i].value, p.len) != 0))
			same = false;
	}
	CHECK(same && i == n, "iteration gives back every property, value bytes identical");
	CHECK(!ews_blob_iter_next(&it, &p), "iteration stays finished");

	CHECK(ews_blob_find(out, size, EWS_TAG_SUBJECT, &p) && p.len == strlen(subject) &&
		  memcmp(p.value, subject, p.len) == 0, "find the non-ASCII subject");
	CHECK(ews_blob_find(out, size, 0x3FDE0002u, &p) && ews_le16(p.value) == 0xBEEF, "find PT_SHORT");
	CHECK(ews_blob_find(out, size, 0x40000014u, &p) && ews_le64(p.value) == 0x8000000000000001ull,
		  "find PT_I8");
	CHECK(ews_blob_find(out, size, EWS_TAG_DELIVERY_TIME, &p) && ews_le64(p.value) == 133000000000000000ull,
		  "find PT_SYSTIME");
	CHECK(ews_blob_find(out, size, 0x0E1F000Bu, &p) && p.len == 1 && p.value[0] == 1, "find PT_BOOLEAN");
	CHECK(ews_blob_find(out, size, EWS_TAG_BODY, &p) && p.len == 0, "find the empty string");
	CHECK(ews_blob_find(out, size, EWS_TAG_RFC822, &p) && p.len == 0, "find the empty binary");
	CHECK(ews_blob_find(out, size, 0x7FFF001Fu, &p) && p.len == 3, "find the last property");
	CHECK(!ews_blob_find(out, size, 0x0E080003u, &p), "an absent tag is not found");
	CHECK(!ews_blob_find(out, size, 0x7FFF0102u, NULL), "an absent tag past the last is not found");

	/* Re-encoding what was iterated gives the same bytes: the form is canonical */
	{
		EwsBlobProp again[12];
		uint8_t		out2[512];

		ews_blob_iter_init(&it, out, size);
		for (i = 0; i < n && ews_blob_iter_next(&it, &again[i]); i++)
			;
		CHECK(ews_blob_encode(again, n, out2, sizeof(out2)) == EWS_BLOB_OK &&
			  memcmp(out, out2, size) == 0, "re-encoding the iterated properties gives the same bytes");
	}
}

static void
test_golden(void)
{
	/* The one-property blob, byte by byte, as DESIGN.md lays it out */
	static const uint8_t want_head[] = {
		'E', 'W', 'S', 'B', 1, 0, 0, 0, 1, 0, 0, 0,
		0x1F, 0x00, 0x1A, 0x00, 8, 0, 0, 0, 'I', 'P', 'M', '.', 'N', 'o', 't', 'e'
	};
	EwsBlobProp p = {EWS_TAG_MESSAGE_CLASS, 8, (const uint8_t *) "IPM.Note"};
	uint8_t		out[64];

	CHECK_EQ_INT(ews_blob_encoded_size(&p, 1), 32, "minimal blob is 32 bytes");
	CHECK_EQ_INT(ews_blob_encode(&p, 1, out, sizeof(out)), EWS_BLOB_OK, "encode the minimal blob");
	CHECK_MEM(out, want_head, sizeof(want_head), "minimal blob bytes match the layout");
	CHECK_EQ_INT(ews_le32(out + 28), ews_blob_checksum(out, 28), "last 4 bytes are the CRC-32C of the rest");
	CHECK_EQ_INT(ews_blob_validate(out, 32, 0, NULL, NULL), EWS_BLOB_OK, "minimal blob validates");

	/* Empty message class is still a message class */
	p.len = 0;
	CHECK_EQ_INT(ews_blob_encode(&p, 1, out, sizeof(out)), EWS_BLOB_OK, "empty message class encodes");
	CHECK_EQ_INT(ews_blob_validate(out, 24, 0, NULL, NULL), EWS_BLOB_OK, "empty message class validates");
}

static void
test_every_status(void)
{
	Buf			b;
	size_t		off;
	uint8_t		out[64];
	EwsBlobProp cls = {EWS_TAG_MESSAGE_CLASS, 8, (const uint8_t *) "IPM.Note"};

	/* OK is 0 so callers can test it as a boolean */
	CHECK_EQ_INT(EWS_BLOB_OK, 0, "EWS_BLOB_OK is 0");

	/* TOO_LARGE: checked before anything else, even the magic */
	b_header(&b, 1);
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_crc(&b);
	CHECK_EQ_INT(ews_blob_validate(b.d, b.n, b.n - 1, NULL, &off), EWS_BLOB_TOO_LARGE, "TOO_LARGE");
	CHECK_EQ_INT(off, b.n - 1, "TOO_LARGE offset is max_size");
	b.d[0] = 'X';
	CHECK_EQ_INT(ews_blob_validate(b.d, b.n, 10, NULL, &off), EWS_BLOB_TOO_LARGE,
				 "size limit is checked before the magic");

	/* TOO_SHORT */
	b_header(&b, 0);
	CHECK_EQ_INT(ews_blob_validate(b.d, 15, 0, NULL, &off), EWS_BLOB_TOO_SHORT, "TOO_SHORT at 15 bytes");
	CHECK_EQ_INT(off, 15, "TOO_SHORT offset is the length");
	CHECK_EQ_INT(ews_blob_validate(b.d, 0, 0, NULL, &off), EWS_BLOB_TOO_SHORT, "TOO_SHORT at 0 bytes");
	CHECK_EQ_INT(ews_blob_validate(NULL, 0, 0, NULL, &off), EWS_BLOB_TOO_SHORT, "TOO_SHORT for NULL");

	/* 16 bytes, 0 properties: structurally fine, but no class */
	b_header(&b, 0);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_NO_MESSAGE_CLASS, "0 properties: NO_MESSAGE_CLASS");
	CHECK_EQ_INT(off, 12, "NO_MESSAGE_CLASS offset where the class would go");
	CHECK_EQ_INT(ews_blob_encoded_size(NULL, 0), 0, "encoded_size of 0 properties is 0");
	memset(out, 0xAA, sizeof(out));
	CHECK_EQ_INT(ews_blob_encode(NULL, 0, out, sizeof(out)), EWS_BLOB_NO_MESSAGE_CLASS,
				 "encode of 0 properties refused");
	CHECK(out[0] == 0xAA, "refused encode writes nothing");

	/* BAD_MAGIC, BAD_VERSION, BAD_FLAGS */
	ews_blob_encode(&cls, 1, out, sizeof(out));
	out[3] = 'b';
	fix_crc(out, 32);
	CHECK_EQ_INT(ews_blob_validate(out, 32, 0, NULL, &off), EWS_BLOB_BAD_MAGIC, "BAD_MAGIC");
	CHECK_EQ_INT(off, 0, "BAD_MAGIC offset 0");

	ews_blob_encode(&cls, 1, out, sizeof(out));
	ews_put_le16(out + 4, 2);
	fix_crc(out, 32);
	CHECK_EQ_INT(ews_blob_validate(out, 32, 0, NULL, &off), EWS_BLOB_BAD_VERSION, "BAD_VERSION (2)");
	CHECK_EQ_INT(off, 4, "BAD_VERSION offset 4");
	ews_put_le16(out + 4, 0);
	CHECK_EQ_INT(ews_blob_validate(out, 32, 0, NULL, &off), EWS_BLOB_BAD_VERSION, "BAD_VERSION (0)");
	ews_put_le16(out + 4, 0x0100);
	CHECK_EQ_INT(ews_blob_validate(out, 32, 0, NULL, &off), EWS_BLOB_BAD_VERSION,
				 "BAD_VERSION (big-endian 1)");

	ews_blob_encode(&cls, 1, out, sizeof(out));
	ews_put_le16(out + 6, 0x8000);
	fix_crc(out, 32);
	CHECK_EQ_INT(ews_blob_validate(out, 32, 0, NULL, &off), EWS_BLOB_BAD_FLAGS, "BAD_FLAGS");
	CHECK_EQ_INT(off, 6, "BAD_FLAGS offset 6");

	/* TRUNCATED: count says 2, only one property */
	b_header(&b, 2);
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TRUNCATED, "TRUNCATED: count larger than properties");
	CHECK_EQ_INT(off, 28, "TRUNCATED offset: where the missing tag would start");

	/* TRUNCATED: half a tag before the CRC */
	b_header(&b, 2);
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_u16(&b, 0x0003);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TRUNCATED, "TRUNCATED: tag cut by the CRC");
	CHECK_EQ_INT(off, 28, "TRUNCATED offset: the tag");

	/* TRUNCATED: PT_I8 with 5 of its 8 bytes */
	b_header(&b, 2);
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_u32(&b, EWS_TAG_DELIVERY_TIME);
	b_bytes(&b, "\1\2\3\4\5", 5);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TRUNCATED, "TRUNCATED: fixed-size value cut");
	CHECK_EQ_INT(off, 32, "TRUNCATED offset: the value");

	/* TRUNCATED: string length field itself cut */
	b_header(&b, 2);
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_u32(&b, EWS_TAG_SUBJECT);
	b_u16(&b, 3);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TRUNCATED, "TRUNCATED: length field cut");
	CHECK_EQ_INT(off, 32, "TRUNCATED offset: the length field");

	/* TRUNCATED: string one byte longer than what is left; the CRC is not data */
	b_header(&b, 2);
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_u32(&b, EWS_TAG_SUBJECT);
	b_u32(&b, 4);
	b_bytes(&b, "abc", 3);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TRUNCATED, "TRUNCATED: value runs into the CRC");
	CHECK_EQ_INT(off, 32, "TRUNCATED offset: the length field of the value");

	/* BAD_TYPE: PT_OBJECT (0x000D) is MAPI but not in a blob */
	b_header(&b, 2);
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_u32(&b, 0x0010000Du);
	b_bytes(&b, "\0\0\0\0\0\0\0\0", 8);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_BAD_TYPE, "BAD_TYPE");
	CHECK_EQ_INT(off, 28, "BAD_TYPE offset: the tag");

	/* BAD_BOOLEAN */
	b_header(&b, 2);
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_u32(&b, 0x0E1F000Bu);
	b_u8(&b, 2);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_BAD_BOOLEAN, "BAD_BOOLEAN (2)");
	CHECK_EQ_INT(off, 32, "BAD_BOOLEAN offset: the value byte");
	b.d[32] = 0xFF;
	fix_crc(b.d, b.n);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_BAD_BOOLEAN, "BAD_BOOLEAN (0xFF)");
	b.d[32] = 0;
	fix_crc(b.d, b.n);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_OK, "boolean 0 accepted");

	/* BAD_UTF8 in the message class itself */
	b_header(&b, 1);
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.\xC0\xAE");
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_BAD_UTF8, "BAD_UTF8 in the message class");
	CHECK_EQ_INT(off, 24, "BAD_UTF8 offset: the bad sequence");

	/* TAG_ORDER: a duplicate, then a descent */
	b_header(&b, 3);
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_str(&b, EWS_TAG_SUBJECT, "a");
	b_str(&b, EWS_TAG_SUBJECT, "b");
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TAG_ORDER, "TAG_ORDER: duplicate tag");
	CHECK_EQ_INT(off, 37, "TAG_ORDER offset: the second occurrence");

	b_header(&b, 2);
	b_str(&b, EWS_TAG_SUBJECT, "a");
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TAG_ORDER, "TAG_ORDER: descending tags");
	CHECK_EQ_INT(off, 21, "TAG_ORDER offset: the smaller tag");

	/* Same property id, different types: distinct tags, ordered by type */
	b_header(&b, 3);
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_u32(&b, 0x00370003u);
	b_u32(&b, 7);
	b_str(&b, EWS_TAG_SUBJECT, "a");
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_OK, "same id with two types, ascending: accepted");

	/* TRAILING_BYTES */
	b_header(&b, 1);
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_u8(&b, 0);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TRAILING_BYTES, "TRAILING_BYTES");
	CHECK_EQ_INT(off, 28, "TRAILING_BYTES offset: after the last property");

	/* BAD_CRC: in the CRC itself, and in a data byte */
	b_header(&b, 2);
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_str(&b, EWS_TAG_SUBJECT, "hello");
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_OK, "baseline for BAD_CRC");
	b.d[b.n - 1] ^= 0x01;
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_BAD_CRC, "BAD_CRC: CRC byte flipped");
	CHECK_EQ_INT(off, b.n - 4, "BAD_CRC offset: the CRC");
	b.d[b.n - 1] ^= 0x01;
	b.d[b.n - 6] = 'L';			/* "heLlo": still valid structure and UTF-8 */
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_BAD_CRC, "BAD_CRC: data byte changed");

	/* NO_MESSAGE_CLASS, with the class's place before and after others */
	b_header(&b, 1);
	b_str(&b, EWS_TAG_SUBJECT, "hi");
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_NO_MESSAGE_CLASS, "NO_MESSAGE_CLASS (subject only)");
	CHECK_EQ_INT(off, 12, "NO_MESSAGE_CLASS offset: before the subject");
	b_header(&b, 2);
	b_u32(&b, 0x00170003u);
	b_u32(&b, 1);
	b_str(&b, EWS_TAG_SUBJECT, "hi");
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_NO_MESSAGE_CLASS, "NO_MESSAGE_CLASS (importance, subject)");
	CHECK_EQ_INT(off, 20, "NO_MESSAGE_CLASS offset: between importance and subject");
	b_header(&b, 1);
	b_strn(&b, 0x001A0102u, "IPM.Note", 8);	/* right id, wrong type */
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_NO_MESSAGE_CLASS,
				 "NO_MESSAGE_CLASS: the class as PT_BINARY does not count");

	/* Every status has its own non-empty text */
	{
		bool		ok = true;

		for (int s = EWS_BLOB_OK; s <= EWS_BLOB_STATUS_LAST; s++)
		{
			const char *t = ews_blob_status_text((EwsBlobStatus) s);

			if (t == NULL || t[0] == '\0')
				ok = false;
			for (int u = EWS_BLOB_OK; u < s; u++)
				if (strcmp(t, ews_blob_status_text((EwsBlobStatus) u)) == 0)
					ok = false;
		}
		CHECK(ok, "every status has a distinct, non-empty text");
		CHECK(strcmp(ews_blob_status_text(EWS_BLOB_BAD_CRC), "CRC-32C mismatch") == 0, "CRC text");
		CHECK(strcmp(ews_blob_status_text(EWS_BLOB_BAD_MAGIC), "bad magic (expected EWSB)") == 0,
			  "magic text");
		CHECK(ews_blob_status_text((EwsBlobStatus) 999) != NULL, "unknown status still has a text");
	}
}

static void
test_check_order(void)
{
	Buf			b;
	size_t		off;

	/* Trailing bytes are reported before the CRC is looked at */
	b_header(&b, 1);
	b_str(&b, EWS_TAG_SUBJECT, "x");
	b_u8(&b, 7);
	b_u32(&b, 0);				/* wrong CRC */
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TRAILING_BYTES, "trailing bytes before CRC");

	/* A bad CRC is reported before a missing class */
	b_header(&b, 1);
	b_str(&b, EWS_TAG_SUBJECT, "x");
	b_u32(&b, 0);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_BAD_CRC, "CRC before message class");

	/* Within a property: the type is checked before the length */
	b_header(&b, 1);
	b_u32(&b, 0x0001000Du);
	b_u32(&b, 0);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_BAD_TYPE, "type before lengths");

	/* Bad UTF-8 is reported before the tag-order fault of the same property */
	b_header(&b, 2);
	b_str(&b, EWS_TAG_SUBJECT, "a");
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "\xFF");
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_BAD_UTF8, "utf-8 before tag order");

	/* Header faults in order: magic, then version, then flags */
	b_header(&b, 0);
	b.d[0] = 'Z';
	ews_put_le16(b.d + 4, 9);
	ews_put_le16(b.d + 6, 9);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_BAD_MAGIC, "magic before version");
	b.d[0] = 'E';
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_BAD_VERSION, "version before flags");
}

static void
test_utf8(void)
{
	check_utf8("ASCII", "plain", 5, EWS_BLOB_OK, 0);
	check_utf8("2-byte U+00E9", "\xC3\xA9", 2, EWS_BLOB_OK, 0);
	check_utf8("U+0080 and U+07FF", "\xC2\x80\xDF\xBF", 4, EWS_BLOB_OK, 0);
	check_utf8("U+0800", "\xE0\xA0\x80", 3, EWS_BLOB_OK, 0);
	check_utf8("U+D7FF, last before surrogates", "\xED\x9F\xBF", 3, EWS_BLOB_OK, 0);
	check_utf8("U+E000, first after surrogates", "\xEE\x80\x80", 3, EWS_BLOB_OK, 0);
	check_utf8("U+FFFF", "\xEF\xBF\xBF", 3, EWS_BLOB_OK, 0);
	check_utf8("U+10000", "\xF0\x90\x80\x80", 4, EWS_BLOB_OK, 0);
	check_utf8("U+10FFFF", "\xF4\x8F\xBF\xBF", 4, EWS_BLOB_OK, 0);
	check_utf8("emoji after 9 ASCII bytes", "abcdefghi\xF0\x9F\x98\x80", 13, EWS_BLOB_OK, 0);

	check_utf8("overlong 2-byte '/' (C0 AF)", "\xC0\xAF", 2, EWS_BLOB_BAD_UTF8, 0);
	check_utf8("overlong 2-byte (C1 BF)", "\xC1\xBF", 2, EWS_BLOB_BAD_UTF8, 0);
	check_utf8("overlong 3-byte (E0 80 AF)", "ab\xE0\x80\xAF", 5, EWS_BLOB_BAD_UTF8, 2);
	check_utf8("overlong 3-byte (E0 9F BF)", "\xE0\x9F\xBF", 3, EWS_BLOB_BAD_UTF8, 0);
	check_utf8("overlong 4-byte (F0 80 80 AF)", "\xF0\x80\x80\xAF", 4, EWS_BLOB_BAD_UTF8, 0);
	check_utf8("overlong 4-byte (F0 8F BF BF)", "\xF0\x8F\xBF\xBF", 4, EWS_BLOB_BAD_UTF8, 0);
	check_utf8("surrogate U+D800", "x\xED\xA0\x80", 4, EWS_BLOB_BAD_UTF8, 1);
	check_utf8("surrogate U+DFFF", "\xED\xBF\xBF", 3, EWS_BLOB_BAD_UTF8, 0);
	check_utf8("surrogate pair as CESU-8", "\xED\xA0\xBD\xED\xB8\x80", 6, EWS_BLOB_BAD_UTF8, 0);
	check_utf8("U+110000 (F4 90 80 80)", "\xF4\x90\x80\x80", 4, EWS_BLOB_BAD_UTF8, 0);
	check_utf8("lead byte F5", "\xF5\x80\x80\x80", 4, EWS_BLOB_BAD_UTF8, 0);
	check_utf8("lead byte FF", "ok\xFF", 3, EWS_BLOB_BAD_UTF8, 2);
	check_utf8("stray continuation byte", "a\x80" "b", 3, EWS_BLOB_BAD_UTF8, 1);
	check_utf8("truncated 2-byte at end", "abc\xC3", 4, EWS_BLOB_BAD_UTF8, 3);
	check_utf8("truncated 3-byte at end", "\xE2\x82", 2, EWS_BLOB_BAD_UTF8, 0);
	check_utf8("truncated 4-byte at end", "\xF0\x9F\x98", 3, EWS_BLOB_BAD_UTF8, 0);
	check_utf8("3-byte sequence broken by ASCII", "\xE2\x82" "A", 3, EWS_BLOB_BAD_UTF8, 0);
	check_utf8("4-byte sequence broken in 4th byte", "\xF0\x9F\x98" "A", 4, EWS_BLOB_BAD_UTF8, 0);
	check_utf8("NUL byte", "a\0b", 3, EWS_BLOB_BAD_UTF8, 1);
	check_utf8("NUL inside an 8-byte ASCII run", "abcdefgh\0jklmnopq", 17, EWS_BLOB_BAD_UTF8, 8);
	check_utf8("bad byte after 16 ASCII bytes", "abcdefghijklmnop\x80", 17, EWS_BLOB_BAD_UTF8, 16);

	/* A long, mostly ASCII body: the fast path and a multibyte char inside */
	{
		static uint8_t big[1 << 20];
		static uint8_t blob[(1 << 20) + 64];
		EwsBlobProp p[2];
		size_t		size;

		memset(big, 'a', sizeof(big));
		memcpy(big + 100001, "\xE2\x82\xAC", 3);
		p[0] = (EwsBlobProp) {EWS_TAG_MESSAGE_CLASS, 8, (const uint8_t *) "IPM.Note"};
		p[1] = (EwsBlobProp) {EWS_TAG_BODY, sizeof(big), big};
		size = ews_blob_encoded_size(p, 2);
		CHECK(ews_blob_encode(p, 2, blob, sizeof(blob)) == EWS_BLOB_OK &&
			  ews_blob_validate(blob, size, 0, NULL, NULL) == EWS_BLOB_OK, "1 MB body validates");
		CHECK_EQ_INT(ews_blob_validate(blob, size, 1 << 20, NULL, NULL), EWS_BLOB_TOO_LARGE,
					 "1 MB body over a 1 MB limit");
		big[700003] = 0xC0;
		CHECK_EQ_INT(ews_blob_encode(p, 2, blob, sizeof(blob)), EWS_BLOB_BAD_UTF8,
					 "encode refuses bad UTF-8 deep in a 1 MB body");
	}
}

static void
test_huge_lengths(void)
{
	static const uint32_t lens[] = {
		UINT32_MAX, UINT32_MAX - 1, UINT32_MAX - 3, UINT32_MAX - 7, 0x80000000u, 0x7FFFFFFFu, 5
	};
	Buf			b;
	size_t		off;
	bool		all_truncated = true;
	bool		all_at_length = true;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
	{
		b_header(&b, 2);
		b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
		b_u32(&b, EWS_TAG_RFC822);
		b_u32(&b, lens[i]);
		b_bytes(&b, "abcd", 4);
		b_crc(&b);
		if (validate(&b, &off) != EWS_BLOB_TRUNCATED)
			all_truncated = false;
		if (off != 32)
			all_at_length = false;
	}
	CHECK(all_truncated, "binary lengths near UINT32_MAX are TRUNCATED, not wrapped");
	CHECK(all_at_length, "and reported at the length field");

	/* The same for a string, where a wrap would also feed the UTF-8 check */
	b_header(&b, 2);
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_u32(&b, EWS_TAG_SUBJECT);
	b_u32(&b, UINT32_MAX);
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TRUNCATED, "string length UINT32_MAX is TRUNCATED");

	/* Property count UINT32_MAX with one property */
	b_header(&b, UINT32_MAX);
	b_str(&b, EWS_TAG_MESSAGE_CLASS, "IPM.Note");
	b_crc(&b);
	CHECK_EQ_INT(validate(&b, &off), EWS_BLOB_TRUNCATED, "count UINT32_MAX is TRUNCATED");
	CHECK_EQ_INT(off, 28, "at the end of the properties");

	/* The iterator on such a blob stops at the end and reads nothing past it */
	{
		EwsBlobIter it;
		EwsBlobProp p;
		int			got = 0;

		ews_blob_iter_init(&it, b.d, b.n);
		while (ews_blob_iter_next(&it, &p))
			got++;
		CHECK_EQ_INT(got, 1, "iterator over an unvalidated blob stops after what is there");
		CHECK(!ews_blob_find(b.d, b.n, EWS_TAG_SUBJECT, &p), "find stops too");
	}
	/* Iterator on a too-short buffer yields nothing */
	{
		EwsBlobIter it;
		EwsBlobProp p;

		ews_blob_iter_init(&it, b.d, 10);
		CHECK(!ews_blob_iter_next(&it, &p), "iterator over 10 bytes yields nothing");
		ews_blob_iter_init(&it, NULL, 0);
		CHECK(!ews_blob_iter_next(&it, &p), "iterator over NULL yields nothing");
	}
}

static void
test_encode_refusals(void)
{
	uint8_t		v4[4] = {0},
				v8[8] = {0},
				vb[1] = {2};
	EwsBlobProp p[3];
	uint8_t		out[128];
	size_t		size;

	memset(out, 0x5A, sizeof(out));
	p[0] = (EwsBlobProp) {EWS_TAG_SUBJECT, 1, (const uint8_t *) "s"};
	p[1] = (EwsBlobProp) {EWS_TAG_MESSAGE_CLASS, 8, (const uint8_t *) "IPM.Note"};
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, sizeof(out)), EWS_BLOB_TAG_ORDER, "encode refuses unsorted props");
	CHECK_EQ_INT(ews_blob_encoded_size(p, 2), 0, "encoded_size of unsorted props is 0");
	CHECK(out[0] == 0x5A && out[127] == 0x5A, "unsorted: nothing written");

	p[0] = (EwsBlobProp) {EWS_TAG_MESSAGE_CLASS, 8, (const uint8_t *) "IPM.Note"};
	p[1] = (EwsBlobProp) {EWS_TAG_SUBJECT, 1, (const uint8_t *) "s"};
	p[2] = (EwsBlobProp) {EWS_TAG_SUBJECT, 1, (const uint8_t *) "t"};
	CHECK_EQ_INT(ews_blob_encode(p, 3, out, sizeof(out)), EWS_BLOB_TAG_ORDER, "encode refuses duplicates");
	CHECK_EQ_INT(ews_blob_encoded_size(p, 3), 0, "encoded_size of duplicates is 0");

	p[1] = (EwsBlobProp) {0x0040000Du, 8, v8};
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, sizeof(out)), EWS_BLOB_BAD_TYPE, "encode refuses unknown type");
	CHECK_EQ_INT(ews_blob_encoded_size(p, 2), 0, "encoded_size of unknown type is 0");

	p[1] = (EwsBlobProp) {EWS_TAG_MESSAGE_FLAGS, 8, v8};
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, sizeof(out)), EWS_BLOB_BAD_TYPE,
				 "encode refuses PT_LONG with len 8");
	p[1] = (EwsBlobProp) {EWS_TAG_MESSAGE_FLAGS, 4, NULL};
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, sizeof(out)), EWS_BLOB_BAD_TYPE,
				 "encode refuses a NULL value with len > 0");
	p[1] = (EwsBlobProp) {0x0E1F000Bu, 1, vb};
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, sizeof(out)), EWS_BLOB_BAD_BOOLEAN, "encode refuses boolean 2");
	p[1] = (EwsBlobProp) {EWS_TAG_SUBJECT, 2, (const uint8_t *) "\xED\xA0"};
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, sizeof(out)), EWS_BLOB_BAD_UTF8, "encode refuses bad UTF-8");
	p[1] = (EwsBlobProp) {EWS_TAG_MESSAGE_FLAGS, 4, v4};
	CHECK_EQ_INT(ews_blob_encode(p + 1, 1, out, sizeof(out)), EWS_BLOB_NO_MESSAGE_CLASS,
				 "encode refuses a blob without message class");
	CHECK(out[0] == 0x5A && out[127] == 0x5A, "refusals wrote nothing");

	size = ews_blob_encoded_size(p, 2);
	CHECK_EQ_INT(size, 12 + 16 + 8 + 4, "valid props have a size");
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, size - 1), EWS_BLOB_TOO_LARGE, "encode refuses a short out buffer");
	CHECK(out[0] == 0x5A, "short out buffer: nothing written");
	CHECK_EQ_INT(ews_blob_encode(p, 2, out, size), EWS_BLOB_OK, "exact out buffer is enough");
}

/* Compare blob property `tag` between two blobs, bytes and all */
static bool
same_prop(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint32_t tag)
{
	EwsBlobProp pa,
				pb;

	if (!ews_blob_find(a, alen, tag, &pa) || !ews_blob_find(b, blen, tag, &pb))
		return false;
	return pa.len == pb.len && memcmp(pa.value, pb.value, pa.len) == 0;
}

static void
test_merge(void)
{
	uint8_t		t_old[8],
				t_new[8],
				ck_old[12] = {9, 0, 0, 0, 1},
				ck_new[12] = {9, 0, 0, 0, 2},
				flags[4],
				imp[4];
	EwsBlobProp base[5];
	EwsBlobProp over[5];
	EwsBlobProp want[8];
	uint8_t		a[256],
				m[256],
				e[256];
	size_t		alen,
				mlen,
				elen;
	uint32_t	nprops = 0;

	ews_put_le64(t_old, 1000);
	ews_put_le64(t_new, 2000);
	ews_put_le32(flags, 1);
	ews_put_le32(imp, 2);

	base[0] = (EwsBlobProp) {EWS_TAG_MESSAGE_CLASS, 8, (const uint8_t *) "IPM.Note"};
	base[1] = (EwsBlobProp) {EWS_TAG_SUBJECT, 5, (const uint8_t *) "Hello"};
	base[2] = (EwsBlobProp) {EWS_TAG_BODY, 9, (const uint8_t *) "body text"};
	base[3] = (EwsBlobProp) {EWS_TAG_LAST_MODIFICATION_TIME, 8, t_old};
	base[4] = (EwsBlobProp) {EWS_TAG_CHANGE_KEY, 12, ck_old};
	alen = ews_blob_encoded_size(base, 5);
	CHECK(alen > 0 && ews_blob_encode(base, 5, a, sizeof(a)) == EWS_BLOB_OK, "merge base encodes");

	/* Replace the two store-maintained properties */
	over[0] = (EwsBlobProp) {EWS_TAG_LAST_MODIFICATION_TIME, 8, t_new};
	over[1] = (EwsBlobProp) {EWS_TAG_CHANGE_KEY, 12, ck_new};
	mlen = ews_blob_merged_size(a, alen, over, 2);
	CHECK_EQ_INT(mlen, alen, "replacing same-size values keeps the size");
	memset(m, 0, sizeof(m));
	ews_blob_merge(a, alen, over, 2, m);
	CHECK_EQ_INT(ews_blob_validate(m, mlen, 0, &nprops, NULL), EWS_BLOB_OK, "replaced blob validates");
	CHECK_EQ_INT(nprops, 5, "replace keeps the count");
	CHECK(same_prop(m, mlen, a, alen, EWS_TAG_SUBJECT) && same_prop(m, mlen, a, alen, EWS_TAG_BODY) &&
		  same_prop(m, mlen, a, alen, EWS_TAG_MESSAGE_CLASS), "untouched properties are identical");
	{
		EwsBlobProp p;

		CHECK(ews_blob_find(m, mlen, EWS_TAG_CHANGE_KEY, &p) && p.len == 12 && p.value[4] == 2,
			  "change key replaced");
		CHECK(ews_blob_find(m, mlen, EWS_TAG_LAST_MODIFICATION_TIME, &p) && ews_le64(p.value) == 2000,
			  "modification time replaced");
	}
	/* Only the changed value bytes and the CRC differ */
	{
		size_t		ndiff = 0;

		for (size_t i = 0; i < alen; i++)
			ndiff += a[i] != m[i];
		CHECK(ndiff >= 2 && memcmp(a, m, alen - 4 - (8 + 12) - (4 + 8)) == 0,
			  "bytes before the replaced properties are identical");
	}

	/* Insert at the front, in the middle and at the end, and replace with another size */
	over[0] = (EwsBlobProp) {0x00170003u, 4, imp};
	over[1] = (EwsBlobProp) {EWS_TAG_SUBJECT, 11, (const uint8_t *) "Hello again"};
	over[2] = (EwsBlobProp) {EWS_TAG_MESSAGE_FLAGS, 4, flags};
	over[3] = (EwsBlobProp) {EWS_TAG_CHANGE_KEY, 12, ck_new};
	over[4] = (EwsBlobProp) {EWS_TAG_RFC822, 0, NULL};
	want[0] = over[0];
	want[1] = base[0];
	want[2] = over[1];
	want[3] = over[2];
	want[4] = base[2];
	want[5] = base[3];
	want[6] = over[3];
	want[7] = over[4];
	elen = ews_blob_encoded_size(want, 8);
	ews_blob_encode(want, 8, e, sizeof(e));
	mlen = ews_blob_merged_size(a, alen, over, 5);
	CHECK_EQ_INT(mlen, elen, "merged size with inserts");
	ews_blob_merge(a, alen, over, 5, m);
	CHECK(mlen == elen && memcmp(m, e, elen) == 0, "merge equals encoding the merged property list");
	CHECK_EQ_INT(ews_blob_validate(m, mlen, 0, &nprops, NULL), EWS_BLOB_OK, "merged blob validates");
	CHECK_EQ_INT(nprops, 8, "merged count");

	/* Nothing to merge: a byte-for-byte copy */
	mlen = ews_blob_merged_size(a, alen, NULL, 0);
	CHECK_EQ_INT(mlen, alen, "empty merge size");
	memset(m, 0, sizeof(m));
	ews_blob_merge(a, alen, NULL, 0, m);
	CHECK_MEM(m, a, alen, "empty merge copies the blob exactly");

	/* Refusals: unsorted `over`, bad value, damaged blob */
	over[0] = (EwsBlobProp) {EWS_TAG_CHANGE_KEY, 12, ck_new};
	over[1] = (EwsBlobProp) {EWS_TAG_LAST_MODIFICATION_TIME, 8, t_new};
	CHECK_EQ_INT(ews_blob_merged_size(a, alen, over, 2), 0, "unsorted over: merged size 0");
	memset(m, 0x77, sizeof(m));
	ews_blob_merge(a, alen, over, 2, m);
	CHECK(m[0] == 0x77 && m[alen] == 0x77, "unsorted over: merge writes nothing");
	over[0] = (EwsBlobProp) {EWS_TAG_SUBJECT, 1, (const uint8_t *) "\xC3"};
	CHECK_EQ_INT(ews_blob_merged_size(a, alen, over, 1), 0, "bad UTF-8 in over: merged size 0");
	over[0] = (EwsBlobProp) {EWS_TAG_SUBJECT, 1, (const uint8_t *) "x"};
	ews_put_le32(a + 8, 6);		/* count one too many */
	CHECK_EQ_INT(ews_blob_merged_size(a, alen, over, 1), 0, "blob that does not walk: merged size 0");
	ews_put_le32(a + 8, 4);		/* one too few: a property left over */
	CHECK_EQ_INT(ews_blob_merged_size(a, alen, over, 1), 0, "blob with leftover bytes: merged size 0");
	CHECK_EQ_INT(ews_blob_merged_size(a, 10, over, 1), 0, "too-short blob: merged size 0");
}

int
main(void)
{
	test_round_trip();
	test_golden();
	test_every_status();
	test_check_order();
	test_utf8();
	test_huge_lengths();
	test_encode_refusals();
	test_merge();
	return unit_done();
}
